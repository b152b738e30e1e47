/**
 * @file atomic_file.h
 * @brief Write-to-temporary-then-rename, so that no output is ever half-written.
 *
 * A writer asks for a temporary name beside the final path, writes there, and
 * either commits (rename over the final name, atomic on POSIX file systems)
 * or aborts (unlink). A run that fails leaves nothing behind.
 */
#ifndef HP_ATOMIC_FILE_H
#define HP_ATOMIC_FILE_H

#include "status.h"

/** Temporary and final names of one file being written. */
typedef struct hp_atomic_file {
  char final_path[4096]; /**< where the file will appear */
  char tmp_path[4200];   /**< "<final>.tmp.<pid>", in the same directory */
} hp_atomic_file;

/** Prepare names for writing @p path (no file is created). */
int hp_atomic_begin(hp_atomic_file *f, const char *path, hp_status *st);
/** Rename the temporary file onto the final name. */
int hp_atomic_commit(hp_atomic_file *f, hp_status *st);
/** Remove the temporary file (safe to call if it does not exist). */
void hp_atomic_abort(hp_atomic_file *f);

#endif
