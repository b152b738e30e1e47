/* The tabulated P(k) / T(k) reader and its normalisation (lpt/power.c). */
#include "lpt/power.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".pk");
  if (!path) return 0;
  hp_power_desc d = {
      HP_POWER_FILE, 0.31, 0.049, 0.68, 2.7255, 0.96, 0.81, path, (int)(size & 1) /* P or T */, 0};
  hp_power *p = NULL;
  hp_status st;
  if (hp_power_create(&p, &d, &st) == 0) hp_power_free(p);
  return 0;
}
