/**
 * @file font.h
 * @brief The bitmap font of the PNG figures: printable ASCII, one anti-aliased glyph each
 *        (16 grey levels), rendered once from DejaVu Sans by scripts/gen-font.c (font_data.c).
 *
 * Why a table and not FreeType at run time: the figure is the same bytes on every machine and
 * needs no font installed (a compute node often has none).
 */
#ifndef HP_STATS_FONT_H
#define HP_STATS_FONT_H

/** One glyph: pen advance, bitmap offset from the pen (left; top above the baseline), size. */
typedef struct hp_font_glyph {
  int advance, left, top, w, h;
  const char *alpha; /**< w * h hex digits, row by row: coverage 0 (none) .. f (full) */
} hp_font_glyph;

/** Pixels above and below the baseline of a line of text. */
extern const int hp_font_ascent, hp_font_descent;

/** Glyphs of the characters 32 (' ') to 126 ('~'). */
extern const hp_font_glyph hp_font_glyphs[95];

#endif
