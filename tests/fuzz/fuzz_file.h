/*
 * libFuzzer harnesses (scripts/fuzz.sh): each reader gets the fuzzer's bytes as a file, as a
 * user's file would reach it. One temporary file per process, rewritten for every input.
 */
#ifndef HP_FUZZ_FILE_H
#define HP_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

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
