/**
 * @file png.h
 * @brief PNG files through libpng (Debian's libpng-dev, its simplified write API): 8-bit
 *        palette images (heat maps, embedded in SVG figures) and RGB images (composed
 *        figures), in memory or written atomically; and the slices' colour map.
 */
#ifndef HP_STATS_PNG_H
#define HP_STATS_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/**
 * Encode an 8-bit palette image in memory.
 * @param pix      w * h palette indices, row-major, first row at the top
 * @param w, h     size in pixels (1 .. 65535)
 * @param palette  npal RGB triples
 * @param npal     1 .. 256
 * @param out      out: malloc'd PNG bytes (free with free())
 * @param len      out: their number
 * @param st       status
 * @return 0, HP_ERR_INPUT (size, palette, or an index beyond the palette) or HP_ERR_NOMEM
 */
int hp_png_encode(const uint8_t *pix, int w, int h, const uint8_t (*palette)[3], int npal,
                  uint8_t **out, size_t *len, hp_status *st);

/** Encode and write atomically to @p path (arguments as hp_png_encode). */
int hp_png_write(const char *path, const uint8_t *pix, int w, int h, const uint8_t (*palette)[3],
                 int npal, hp_status *st);

/** Write an RGB image (w * h * 3 bytes, row-major, first row at the top) atomically. */
int hp_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h, hp_status *st);

/** The 256-colour perceptually uniform map used by the slice images (viridis-like). */
void hp_png_colormap(uint8_t palette[256][3]);

#endif
