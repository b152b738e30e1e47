/* The figures' output buffer (outbuf.h): formatted and escaped text, base64, atomic writes. */
#include "stats/outbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"

void hp_ob_printf(hp_outbuf *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->oom = 1;
      return;
    }
    if (b->s && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? 2 * b->cap : 65536;
    while (cap < b->len + (size_t)n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->oom = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}

void hp_ob_text(hp_outbuf *b, const char *t) {
  for (; t && *t; t++) {
    switch (*t) {
      case '<':
        hp_ob_printf(b, "&lt;");
        break;
      case '>':
        hp_ob_printf(b, "&gt;");
        break;
      case '&':
        hp_ob_printf(b, "&amp;");
        break;
      case '"':
        hp_ob_printf(b, "&quot;");
        break;
      default:
        hp_ob_printf(b, "%c", *t);
    }
  }
}

void hp_ob_base64(hp_outbuf *b, const uint8_t *d, size_t n) {
  static const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char q[5] = {0};
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t v = ((uint32_t)d[i] << 16) | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                       (i + 2 < n ? d[i + 2] : 0);
    q[0] = tab[(v >> 18) & 63];
    q[1] = tab[(v >> 12) & 63];
    q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    q[3] = i + 2 < n ? tab[v & 63] : '=';
    hp_ob_printf(b, "%s", q);
  }
}

int hp_write_bytes(const char *path, const void *data, size_t len, hp_status *st) {
  hp_atomic_file af;
  if (hp_atomic_begin(&af, path, st)) return st->code;
  FILE *f = fopen(af.tmp_path, "wb");
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot write %s: %s", af.tmp_path, strerror(errno));
  const size_t wr = fwrite(data, 1, len, f);
  errno = 0;
  if (fclose(f) != 0 || wr != len) {
    const int e = errno; /* the reason (a full disk: "No space left on device") */
    hp_atomic_abort(&af);
    return hp_fail(st, HP_ERR_IO, "%s: write failed: %s", path, e ? strerror(e) : "short write");
  }
  return hp_atomic_commit(&af, st);
}

int hp_ob_write(const hp_outbuf *b, const char *path, hp_status *st) {
  if (b->oom) return hp_fail(st, HP_ERR_NOMEM, "%s: out of memory composing the figure", path);
  return hp_write_bytes(path, b->s, b->len, st);
}
