/**
 * @file atomic_file.h
 * @brief Write-to-temporary-then-rename, so that no output is ever half-written.
 *
 * A writer asks for a temporary name beside the final path, writes there, and
 * either commits (rename over the final name, atomic on POSIX file systems)
 * or aborts (unlink). A run that fails leaves nothing behind: the temporaries of a process
 * killed by SIGINT, SIGTERM or SIGHUP are removed when the program has called
 * hp_atomic_cleanup_on_signals (the command-line driver does; a library never takes a host's
 * signals), and the next writer of the same path removes those of writers that died otherwise
 * (SIGKILL, power loss) and that belonged to the same user.
 */
#ifndef HP_ATOMIC_FILE_H
#define HP_ATOMIC_FILE_H

#include "status.h"

/** Temporary and final names of one file being written. */
typedef struct hp_atomic_file {
  char final_path[4096]; /**< where the file will appear */
  char tmp_path[4200];   /**< "<final>.tmp.<pid>", in the same directory */
} hp_atomic_file;

/** Remove the live temporaries on SIGINT, SIGTERM and SIGHUP, then die of the signal (the
 * conventional exit status); signals the caller ignores stay ignored. */
void hp_atomic_cleanup_on_signals(void);
/** Prepare names for writing @p path (no file is created; stale temporaries of @p path whose
 * process is gone are removed). */
int hp_atomic_begin(hp_atomic_file *f, const char *path, hp_status *st);
/** Rename the temporary file onto the final name. */
int hp_atomic_commit(hp_atomic_file *f, hp_status *st);
/** Remove the temporary file (safe to call if it does not exist). */
void hp_atomic_abort(hp_atomic_file *f);

#endif
