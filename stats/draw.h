/**
 * @file draw.h
 * @brief A figure drawn once and written as SVG (vector text) or PNG (raster, the bitmap font
 *        of font.h): filled and stroked rectangles, horizontal and vertical lines, text
 *        (horizontal or reading upwards), palette images scaled to a box. Pixel coordinates,
 *        origin at the top left. Used by the slice figure (figures.h, fig_slice.c).
 */
#ifndef HP_STATS_DRAW_H
#define HP_STATS_DRAW_H

#include <stdint.h>

#include "util/status.h"

/** Output formats. */
enum hp_draw_format { HP_DRAW_SVG = 0, HP_DRAW_PNG = 1 };

/** Where text stands relative to its point: start, middle or end of the text. */
enum hp_draw_anchor { HP_ANCHOR_START = 0, HP_ANCHOR_MIDDLE = 1, HP_ANCHOR_END = 2 };

/** "No colour" for a rectangle's fill or stroke; colours are 0xRRGGBB. */
#define HP_DRAW_NONE 0xFFFFFFFFu

/** Text height in pixels (the font's size; SVG uses the same font-size). */
#define HP_DRAW_FONT_PX 15

typedef struct hp_draw hp_draw;

/** The format a figure path asks for: .svg or .png (any case), else -1. */
int hp_draw_format_of(const char *path);

/** Start a w x h figure (1 .. 8192 each) on white; *d NULL on failure. */
int hp_draw_begin(hp_draw **d, int format, int w, int h, hp_status *st);

/** A rectangle: filled with @p fill and/or outlined (1 px) with @p stroke (HP_DRAW_NONE: no). */
void hp_draw_rect(hp_draw *d, double x, double y, double w, double h, uint32_t fill,
                  uint32_t stroke);

/** A 1 px line, horizontal or vertical (from (x0, y0) to (x1, y1)), black. */
void hp_draw_line(hp_draw *d, double x0, double y0, double x1, double y1);

/** Black text with its baseline through (x, y); @p up: rotated to read upwards. */
void hp_draw_text(hp_draw *d, double x, double y, int anchor, int up, const char *s);

/** Width in pixels of @p s in the raster font (SVG text is about as wide). */
int hp_draw_text_width(const char *s);

/**
 * A palette image (iw x ih indices, first row at the top) stretched over the box (x, y, w, h),
 * pixel by pixel (no smoothing).
 */
void hp_draw_image(hp_draw *d, double x, double y, double w, double h, const uint8_t *pix, int iw,
                   int ih, const uint8_t (*palette)[3], int npal);

/** Write the figure atomically; reports any failure of the drawing calls. */
int hp_draw_write(hp_draw *d, const char *path, hp_status *st);

void hp_draw_free(hp_draw *d);

#endif
