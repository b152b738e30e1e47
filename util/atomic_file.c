/* Atomic output files: write to a temporary name, rename on success; temporaries removed on
 * SIGINT/SIGTERM/SIGHUP (when the program asks) and swept when their writer died. */
#define _POSIX_C_SOURCE 200809L
#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporaries being written, for the signal handler: a slot is in use while its flag is 1.
 * The handler only reads the flags and calls unlink (async-signal-safe). */
#define SLOTS 64
static char live_path[SLOTS][4200];
static volatile sig_atomic_t live[SLOTS];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static void track(const char *tmp, int on) {
  pthread_mutex_lock(&live_lock);
  for (int i = 0; i < SLOTS; i++) {
    if (on && !live[i]) {
      snprintf(live_path[i], sizeof live_path[i], "%s", tmp);
      live[i] = 1;
      break;
    }
    if (!on && live[i] && !strcmp(live_path[i], tmp)) {
      live[i] = 0;
      break;
    }
  }
  pthread_mutex_unlock(&live_lock);
}

static void on_signal(int sig) {
  for (int i = 0; i < SLOTS; i++)
    if (live[i]) unlink(live_path[i]);
  signal(sig, SIG_DFL);
  raise(sig); /* the conventional status: killed by the signal */
}

void hp_atomic_cleanup_on_signals(void) {
  const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; i++) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* a signal the caller ignores (nohup) stays ignored */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sigs[i], &sa, NULL);
  }
}

/* Remove "<path>.tmp.<pid>" files of processes that no longer exist and that we own. */
static void sweep_stale(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
  if (slash == path) snprintf(dir, sizeof dir, "/");
  DIR *d = opendir(dir);
  if (!d) return;
  const size_t nb = strlen(base);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, base, nb) || strncmp(e->d_name + nb, ".tmp.", 5)) continue;
    char *end;
    const long pid = strtol(e->d_name + nb + 5, &end, 10);
    if (*end || pid <= 0 || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
    char full[8400];
    snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(full, &sb) == 0 && sb.st_uid == getuid()) unlink(full);
  }
  closedir(d);
}

int hp_atomic_begin(hp_atomic_file *f, const char *path, hp_status *st) {
  if (strlen(path) >= sizeof f->final_path)
    return hp_fail(st, HP_ERR_INPUT, "output path too long: %.80s...", path);
  snprintf(f->final_path, sizeof f->final_path, "%s", path);
  snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp.%ld", path, (long)getpid());
  sweep_stale(path);
  track(f->tmp_path, 1);
  return HP_OK;
}

int hp_atomic_commit(hp_atomic_file *f, hp_status *st) {
  track(f->tmp_path, 0);
  if (rename(f->tmp_path, f->final_path) != 0) {
    int e = errno;
    unlink(f->tmp_path);
    return hp_fail(st, HP_ERR_IO, "cannot rename %s to %s: %s", f->tmp_path, f->final_path,
                   strerror(e));
  }
  return HP_OK;
}

void hp_atomic_abort(hp_atomic_file *f) {
  track(f->tmp_path, 0);
  unlink(f->tmp_path);
}
