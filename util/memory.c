/* Resident memory from /proc/self/status (Linux); 0 where unavailable. */
#include "memory.h"

#include <stdio.h>
#include <string.h>

static double status_field(const char *name) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kb = 0;
  size_t n = strlen(name);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, n) && line[n] == ':') {
      sscanf(line + n + 1, "%lf", &kb);
      break;
    }
  fclose(f);
  return kb * 1024.0;
}

double hp_memory_rss(void) { return status_field("VmRSS"); }
double hp_memory_peak(void) { return status_field("VmHWM"); }
