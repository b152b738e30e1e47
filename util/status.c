/* Error status: messages with context chaining, and checked allocation. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void hp_status_clear(hp_status *st) {
  st->code = HP_OK;
  st->msg[0] = '\0';
}

int hp_fail(hp_status *st, int code, const char *fmt, ...) {
  va_list ap;
  st->code = code;
  va_start(ap, fmt);
  vsnprintf(st->msg, sizeof st->msg, fmt, ap);
  va_end(ap);
  return code;
}

int hp_error_context(hp_status *st, const char *fmt, ...) {
  char ctx[HP_MSG_LEN];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(ctx, sizeof ctx - 2, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (n > (int)sizeof ctx - 3) n = (int)sizeof ctx - 3;
  memcpy(ctx + n, ": ", 3);
  n += 2;
  /* shift the old message right by n bytes (truncating its tail), then put ctx in front */
  size_t old = strlen(st->msg), keep = sizeof st->msg - 1 - (size_t)n;
  if (old > keep) old = keep;
  memmove(st->msg + n, st->msg, old);
  st->msg[n + old] = '\0';
  memcpy(st->msg, ctx, (size_t)n);
  if (st->code == HP_OK) st->code = HP_ERR_INTERNAL; /* context on success is a bug */
  return st->code;
}

const char *hp_code_name(int code) {
  switch (code) {
    case HP_OK:
      return "success";
    case HP_ERR_INPUT:
      return "input error";
    case HP_ERR_IO:
      return "I/O error";
    case HP_ERR_FORMAT:
      return "format error";
    case HP_ERR_NOMEM:
      return "out of memory";
    case HP_ERR_NUMERIC:
      return "numerical error";
    case HP_ERR_DEVICE:
      return "device error";
    default:
      return "internal error";
  }
}

/* Arrays from this size on are put on transparent huge pages: a first touch then faults once
 * per 2 MB instead of once per 4 kB (in a virtual machine a fault costs microseconds; the
 * sampler's count grids spent half their time in them). */
#define HUGE_FROM (4u << 20)
#define HUGE_PAGE (2u << 20)

void *hp_alloc(size_t n, const char *what, hp_status *st) {
  void *p = NULL;
  const size_t align = n >= HUGE_FROM ? HUGE_PAGE : 64;
  size_t rounded = (n + align - 1) / align * align;
  if (rounded == 0) rounded = 64;
  if (posix_memalign(&p, align, rounded) != 0) {
    hp_fail(st, HP_ERR_NOMEM, "cannot allocate %.3f MB for %s", n / 1e6, what);
    return NULL;
  }
#ifdef MADV_HUGEPAGE
  if (align == HUGE_PAGE) (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only */
#endif
  return p;
}

void hp_free(void *p) { free(p); }
