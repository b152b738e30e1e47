/* Atomic output files: write to a temporary name, rename on success. */
#define _POSIX_C_SOURCE 200809L
#include "atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int hp_atomic_begin(hp_atomic_file *f, const char *path, hp_status *st) {
  if (strlen(path) >= sizeof f->final_path)
    return hp_fail(st, HP_ERR_INPUT, "output path too long: %.80s...", path);
  snprintf(f->final_path, sizeof f->final_path, "%s", path);
  snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp.%ld", path, (long)getpid());
  return HP_OK;
}

int hp_atomic_commit(hp_atomic_file *f, hp_status *st) {
  if (rename(f->tmp_path, f->final_path) != 0) {
    int e = errno;
    unlink(f->tmp_path);
    return hp_fail(st, HP_ERR_IO, "cannot rename %s to %s: %s", f->tmp_path, f->final_path,
                   strerror(e));
  }
  return HP_OK;
}

void hp_atomic_abort(hp_atomic_file *f) { unlink(f->tmp_path); }
