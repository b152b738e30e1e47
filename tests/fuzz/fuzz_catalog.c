/* The halo-catalogue readers (catalog/catalog_hdf5.c, catalog_ascii.c): HDF5 by signature. */
#include "catalog/catalog.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".cat");
  if (!path) return 0;
  hp_catalog c;
  hp_status st;
  if (hp_catalog_read(&c, path, &st) == 0) hp_catalog_free(&c);
  return 0;
}
