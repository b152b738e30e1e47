/**
 * @file outbuf.h
 * @brief The byte buffer figures are composed in (SVG text, PNG bytes): printf, XML-escaped
 *        text, base64, and an atomic write (util/atomic_file.h), so that no figure is ever
 *        half-written.
 */
#ifndef HP_STATS_OUTBUF_H
#define HP_STATS_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/** A growing buffer; start it as {NULL, 0, 0, 0} and free(s) when done. */
typedef struct hp_outbuf {
  char *s;
  size_t len, cap;
  int oom; /**< an append ran out of memory: later appends do nothing, the write fails */
} hp_outbuf;

/** Append formatted text. */
void hp_ob_printf(hp_outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append text with <, >, &, " escaped for XML. */
void hp_ob_text(hp_outbuf *b, const char *t);
/** Append @p n bytes in base64 (RFC 4648). */
void hp_ob_base64(hp_outbuf *b, const uint8_t *d, size_t n);
/** Write the buffer to @p path atomically (HP_ERR_NOMEM if an append failed, HP_ERR_IO). */
int hp_ob_write(const hp_outbuf *b, const char *path, hp_status *st);
/** Write @p len bytes to @p path atomically. */
int hp_write_bytes(const char *path, const void *data, size_t len, hp_status *st);

#endif
