/**
 * @file png.h
 * @brief A minimal PNG writer with no library: 8-bit palette images, zlib stream of stored
 *        (uncompressed) deflate blocks, CRC-32 and Adler-32 computed here (PNG specification,
 *        ISO/IEC 15948; RFC 1950 and 1951).
 *
 * Stored blocks keep the writer to ~100 lines and are read by every PNG decoder; a palette
 * image costs one byte per pixel (a 256 x 256 slice is 66 kB).
 */
#ifndef HP_STATS_PNG_H
#define HP_STATS_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/** CRC-32 (ISO 3309, as PNG) of @p n bytes, continuing from @p crc (start with 0). */
uint32_t hp_png_crc32(uint32_t crc, const uint8_t *buf, size_t n);

/** Adler-32 (RFC 1950) of @p n bytes, continuing from @p adler (start with 1). */
uint32_t hp_png_adler32(uint32_t adler, const uint8_t *buf, size_t n);

/**
 * Encode an 8-bit palette image in memory.
 * @param pix      w * h palette indices, row-major, first row at the top
 * @param w, h     size in pixels (1 .. 65535)
 * @param palette  npal RGB triples
 * @param npal     1 .. 256
 * @param out      out: malloc'd PNG bytes (free with free())
 * @param len      out: their number
 * @param st       status
 * @return 0, HP_ERR_INPUT or HP_ERR_NOMEM
 */
int hp_png_encode(const uint8_t *pix, int w, int h, const uint8_t (*palette)[3], int npal,
                  uint8_t **out, size_t *len, hp_status *st);

/** Encode and write atomically to @p path (arguments as hp_png_encode). */
int hp_png_write(const char *path, const uint8_t *pix, int w, int h, const uint8_t (*palette)[3],
                 int npal, hp_status *st);

/** The 256-colour perceptually uniform map used by the slice images (viridis-like). */
void hp_png_colormap(uint8_t palette[256][3]);

#endif
