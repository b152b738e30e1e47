/* The grid reader (stats/grid_io.c): a user's density or count grid in HDF5. */
#include <stdlib.h>

#include "stats/grid_io.h"
#include "tests/fuzz/fuzz_file.h"
#include "util/memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".h5");
  if (!path) return 0;
  float *g = NULL;
  int64_t n = 0;
  double box = 0;
  int ncomp = 0;
  hp_status st;
  if (hp_stats_grid_read(path, "density", -1, &g, &n, &box, &ncomp, &st) == 0) hp_free(g);
  return 0;
}
