/* The model loader (nn/model_io.c): every shape and value checked before use. */
#include "nn/model_io.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".h5");
  if (!path) return 0;
  hp_model m;
  hp_status st;
  if (hp_model_load(&m, path, &st) == 0) hp_model_free(&m);
  return 0;
}
