/*
 * PNG files (png.h) through libpng's simplified API (png_image_write_to_memory): no setjmp,
 * errors come back in the image's message. Files are encoded in memory, then written atomically
 * (outbuf.h) so that a failed write leaves nothing behind.
 */
#include "stats/png.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/outbuf.h"

/* Encode the image of format fmt (buffer, and colormap for a palette format). */
static int encode(png_uint_32 fmt, const void *buf, int w, int h, const uint8_t (*palette)[3],
                  int npal, uint8_t **out, size_t *len, hp_status *st) {
  *out = NULL;
  *len = 0;
  if (w < 1 || h < 1 || w > 65535 || h > 65535)
    return hp_fail(st, HP_ERR_INPUT, "PNG: size %d x %d (expected 1 .. 65535 each)", w, h);
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = (png_uint_32)w;
  im.height = (png_uint_32)h;
  im.format = fmt;
  im.colormap_entries = palette ? (png_uint_32)npal : 0;
  png_alloc_size_t n = 0;
  /* the first call sizes the file, the second writes it */
  if (!png_image_write_to_memory(&im, NULL, &n, 0, buf, 0, palette)) {
    const int bad = im.message[0] != '\0';
    png_image_free(&im);
    return hp_fail(st, HP_ERR_INPUT, "PNG: %s", bad ? im.message : "cannot encode");
  }
  uint8_t *mem = malloc(n);
  if (!mem) return hp_fail(st, HP_ERR_NOMEM, "PNG: %zu bytes", (size_t)n);
  if (!png_image_write_to_memory(&im, mem, &n, 0, buf, 0, palette)) {
    free(mem);
    png_image_free(&im);
    return hp_fail(st, HP_ERR_INPUT, "PNG: %s", im.message);
  }
  *out = mem;
  *len = n;
  return HP_OK;
}

int hp_png_encode(const uint8_t *pix, int w, int h, const uint8_t (*palette)[3], int npal,
                  uint8_t **out, size_t *len, hp_status *st) {
  if (npal < 1 || npal > 256)
    return hp_fail(st, HP_ERR_INPUT, "PNG: a palette of %d colours (expected 1 .. 256)", npal);
  for (size_t i = 0; i < (size_t)(w > 0 ? w : 0) * (size_t)(h > 0 ? h : 0); i++)
    if (pix[i] >= npal)
      return hp_fail(st, HP_ERR_INPUT, "PNG: pixel %zu has index %d, beyond the %d colours", i,
                     pix[i], npal);
  return encode(PNG_FORMAT_RGB_COLORMAP, pix, w, h, palette, npal, out, len, st);
}

int hp_png_write(const char *path, const uint8_t *pix, int w, int h, const uint8_t (*palette)[3],
                 int npal, hp_status *st) {
  uint8_t *buf;
  size_t len;
  if (hp_png_encode(pix, w, h, palette, npal, &buf, &len, st))
    return hp_error_context(st, "%s", path);
  const int rc = hp_write_bytes(path, buf, len, st);
  free(buf);
  return rc;
}

int hp_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h, hp_status *st) {
  uint8_t *buf;
  size_t len;
  if (encode(PNG_FORMAT_RGB, rgb, w, h, NULL, 0, &buf, &len, st))
    return hp_error_context(st, "%s", path);
  const int rc = hp_write_bytes(path, buf, len, st);
  free(buf);
  return rc;
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
