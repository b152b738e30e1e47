/* The initial-condition reader (lpt/ic_read.c): Gadget-2 formats 1, 2 and HDF5, detected. */
#include "lpt/ic_read.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".ic");
  if (!path) return 0;
  hp_ic_data d;
  hp_status st;
  if (hp_ic_read_file(path, 0, &d, &st) == 0) hp_ic_data_free(&d);
  return 0;
}
