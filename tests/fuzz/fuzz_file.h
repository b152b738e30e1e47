/*
 * libFuzzer harnesses (scripts/fuzz.sh): each reader gets the fuzzer's bytes as a file, as a
 * user's file would reach it. One temporary file per process, rewritten for every input.
 */
#ifndef HP_FUZZ_FILE_H
#define HP_FUZZ_FILE_H

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* HDF5's free lists hand blocks above 64 KiB (the metadata cache of every open file) back to
 * the system; under ASan each one is then a fresh mmap and its page faults were most of a
 * harness's time. Unbounded lists reuse them: the readers run unchanged, 1.5-2x faster. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  H5set_free_list_limits(-1, -1, -1, -1, -1, -1);
  return 0;
}

/* The bytes as a file named ...<suffix>; NULL when it cannot be written. */
static const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix) {
  static char path[256];
  snprintf(path, sizeof path, "/tmp/hp_fuzz_%ld%s", (long)getpid(), suffix);
  FILE *f = fopen(path, "wb");
  if (!f) return NULL;
  const int ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok ? path : NULL;
}

#endif
