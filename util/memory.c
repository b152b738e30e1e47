/* Memory of this process and what it may still take (Linux /proc and cgroups; memory.h). */
#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
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

/* One number from a file ("max" and values >= 2^60 mean no limit: -1); -2 if unreadable. */
static double read_number(const char *dir, const char *group, const char *file) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s/%s", dir, group, file);
  FILE *f = fopen(path, "r");
  if (!f) return -2;
  char buf[64] = "";
  const int got = fgets(buf, sizeof buf, f) != NULL;
  fclose(f);
  if (!got) return -2;
  if (!strncmp(buf, "max", 3)) return -1;
  char *end;
  const double v = strtod(buf, &end);
  if (end == buf) return -2;
  return v >= 1152921504606846976.0 ? -1 : v;
}

/* Limit minus usage of the group at @p group under @p dir, or at the mount's root; -1 if none. */
static double group_room(const char *dir, const char *group, const char *limit_file,
                         const char *usage_file) {
  const char *where[2] = {group, ""};
  for (int i = 0; i < 2; i++) {
    const double lim = read_number(dir, where[i], limit_file);
    if (lim == -2) continue;
    if (lim < 0) return -1;
    const double use = read_number(dir, where[i], usage_file);
    return use >= 0 && use < lim ? lim - use : 0;
  }
  return -1;
}

double hp_memory_available_at(const char *proc, const char *cgroup) {
  char path[4096], line[4096];
  double avail = 0, kb = 0;
  snprintf(path, sizeof path, "%s/meminfo", proc);
  FILE *f = fopen(path, "r");
  if (f) {
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) {
        avail = kb * 1024.0;
        break;
      }
    fclose(f);
  }
  snprintf(path, sizeof path, "%s/self/cgroup", proc);
  if (!(f = fopen(path, "r"))) return avail;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c1 = *c2 = '\0';
    const char *controllers = c1 + 1, *group = c2 + 1;
    double room = -1;
    char dir[4096];
    if (!strcmp(line, "0") && !controllers[0]) { /* v2 */
      snprintf(dir, sizeof dir, "%s", cgroup);
      room = group_room(dir, group, "memory.max", "memory.current");
    } else if (strstr(controllers, "memory")) { /* v1 */
      snprintf(dir, sizeof dir, "%s/memory", cgroup);
      room = group_room(dir, group, "memory.limit_in_bytes", "memory.usage_in_bytes");
    }
    if (room >= 0 && (avail <= 0 || room < avail)) avail = room;
  }
  fclose(f);
  return avail;
}

double hp_memory_available(void) { return hp_memory_available_at("/proc", "/sys/fs/cgroup"); }

int hp_memory_check(double need, double limit_mb, const char *what, hp_status *st) {
  const double avail = limit_mb > 0 ? limit_mb * 1e6 : hp_memory_available();
  if (avail > 0 && need > avail)
    return hp_fail(st, HP_ERR_NOMEM, "%s needs about %.0f MB; %s is %.0f MB", what, need / 1e6,
                   limit_mb > 0 ? "MemoryLimit" : "the memory available", avail / 1e6);
  return HP_OK;
}
