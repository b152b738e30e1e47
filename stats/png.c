/*
 * Minimal PNG writer (png.h): signature, IHDR, PLTE, IDAT (zlib stream of stored deflate
 * blocks, RFC 1950/1951), IEND; CRC-32 (PNG specification annex D) and Adler-32 computed here.
 */
#include "stats/png.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"

uint32_t hp_png_crc32(uint32_t crc, const uint8_t *buf, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= buf[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t hp_png_adler32(uint32_t adler, const uint8_t *buf, size_t n) {
  uint32_t a = adler & 0xFFFFu, b = adler >> 16;
  for (size_t i = 0; i < n; i++) {
    a = (a + buf[i]) % 65521u;
    b = (b + a) % 65521u;
  }
  return (b << 16) | a;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Append a chunk (length, type, data, CRC over type and data) at *pos. */
static void chunk(uint8_t *out, size_t *pos, const char *type, const uint8_t *data, size_t n) {
  uint8_t *p = out + *pos;
  put32(p, (uint32_t)n);
  memcpy(p + 4, type, 4);
  if (n) memcpy(p + 8, data, n);
  put32(p + 8 + n, hp_png_crc32(0, p + 4, n + 4));
  *pos += 12 + n;
}

int hp_png_encode(const uint8_t *pix, int w, int h, const uint8_t (*palette)[3], int npal,
                  uint8_t **out, size_t *len, hp_status *st) {
  *out = NULL;
  *len = 0;
  if (w < 1 || h < 1 || w > 65535 || h > 65535 || npal < 1 || npal > 256)
    return hp_fail(st, HP_ERR_INPUT, "PNG: size %d x %d or palette of %d colours", w, h, npal);
  /* raw scanlines: filter byte 0 + w indices */
  const size_t raw = (size_t)h * ((size_t)w + 1);
  const size_t nblk = raw / 65535 + 1;
  const size_t zlen = 2 + raw + 5 * nblk + 4;
  const size_t total = 8 + 25 + (12 + 3 * (size_t)npal) + (12 + zlen) + 12;
  uint8_t *png = malloc(total), *z = malloc(zlen), *r = malloc(raw);
  if (!png || !z || !r) {
    free(png);
    free(z);
    free(r);
    return hp_fail(st, HP_ERR_NOMEM, "PNG: %zu bytes", total);
  }
  for (int y = 0; y < h; y++) {
    r[(size_t)y * (w + 1)] = 0;
    memcpy(r + (size_t)y * (w + 1) + 1, pix + (size_t)y * w, (size_t)w);
  }
  /* zlib: CMF 0x78 (deflate, 32K window), FLG 0x01 (check bits: 0x7801 % 31 == 0) */
  size_t zp = 0;
  z[zp++] = 0x78;
  z[zp++] = 0x01;
  for (size_t off = 0; off < raw;) {
    const size_t n = raw - off > 65535 ? 65535 : raw - off;
    z[zp++] = (uint8_t)(off + n == raw ? 1 : 0); /* BFINAL, BTYPE = 00 (stored) */
    z[zp++] = (uint8_t)(n & 0xFF);
    z[zp++] = (uint8_t)(n >> 8);
    z[zp++] = (uint8_t)(~n & 0xFF);
    z[zp++] = (uint8_t)((~n >> 8) & 0xFF);
    memcpy(z + zp, r + off, n);
    zp += n;
    off += n;
  }
  put32(z + zp, hp_png_adler32(1, r, raw));
  zp += 4;
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  size_t pos = 0;
  memcpy(png, sig, 8);
  pos = 8;
  uint8_t ihdr[13];
  put32(ihdr, (uint32_t)w);
  put32(ihdr + 4, (uint32_t)h);
  ihdr[8] = 8;  /* bit depth */
  ihdr[9] = 3;  /* colour type: palette */
  ihdr[10] = 0; /* deflate */
  ihdr[11] = 0; /* filter method */
  ihdr[12] = 0; /* no interlace */
  chunk(png, &pos, "IHDR", ihdr, 13);
  chunk(png, &pos, "PLTE", (const uint8_t *)palette, 3 * (size_t)npal);
  chunk(png, &pos, "IDAT", z, zp);
  chunk(png, &pos, "IEND", NULL, 0);
  free(z);
  free(r);
  *out = png;
  *len = pos;
  return HP_OK;
}

int hp_png_write(const char *path, const uint8_t *pix, int w, int h, const uint8_t (*palette)[3],
                 int npal, hp_status *st) {
  uint8_t *buf;
  size_t len;
  if (hp_png_encode(pix, w, h, palette, npal, &buf, &len, st))
    return hp_error_context(st, "%s", path);
  hp_atomic_file af;
  if (hp_atomic_begin(&af, path, st)) {
    free(buf);
    return st->code;
  }
  FILE *f = fopen(af.tmp_path, "wb");
  if (!f) {
    free(buf);
    return hp_fail(st, HP_ERR_IO, "cannot write %s: %s", af.tmp_path, strerror(errno));
  }
  const size_t wr = fwrite(buf, 1, len, f);
  free(buf);
  errno = 0;
  if (fclose(f) != 0 || wr != len) {
    const int e = errno; /* the reason (a full disk: "No space left on device") */
    hp_atomic_abort(&af);
    return hp_fail(st, HP_ERR_IO, "%s: write failed: %s", path, e ? strerror(e) : "short write");
  }
  return hp_atomic_commit(&af, st);
}

void hp_png_colormap(uint8_t palette[256][3]) {
  /* viridis at 9 control points (matplotlib's table), linearly interpolated */
  static const double cp[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                  {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                  {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  for (int i = 0; i < 256; i++) {
    const double t = i / 255.0 * 8.0;
    int j = (int)t;
    if (j > 7) j = 7;
    const double f = t - j;
    for (int c = 0; c < 3; c++)
      palette[i][c] = (uint8_t)(cp[j][c] + f * (cp[j + 1][c] - cp[j][c]) + 0.5);
  }
}
