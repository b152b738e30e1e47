/* The light-cone reader (lightcone/cone_hdf5.c). */
#include "lightcone/cone.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".hdf5");
  if (!path) return 0;
  hp_cone c;
  hp_status st;
  if (hp_cone_read(&c, path, &st) == 0) hp_cone_free(&c);
  return 0;
}
