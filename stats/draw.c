/*
 * One figure, two outputs (draw.h): every call either appends an SVG element to a text buffer
 * or paints an RGB raster, so the SVG and the PNG of a figure have the same layout.
 */
#include "stats/draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stats/font.h"
#include "stats/outbuf.h"
#include "stats/png.h"

struct hp_draw {
  int format, w, h;
  hp_outbuf svg; /* HP_DRAW_SVG */
  uint8_t *rgb;  /* HP_DRAW_PNG: w * h * 3 */
  int failed;    /* a drawing call failed: st says why */
  hp_status st;
};

int hp_draw_format_of(const char *path) {
  const char *dot = path ? strrchr(path, '.') : NULL;
  if (!dot || strchr(dot, '/')) return -1;
  return !strcasecmp(dot, ".svg") ? HP_DRAW_SVG : !strcasecmp(dot, ".png") ? HP_DRAW_PNG : -1;
}

int hp_draw_begin(hp_draw **d, int format, int w, int h, hp_status *st) {
  *d = NULL;
  if ((format != HP_DRAW_SVG && format != HP_DRAW_PNG) || w < 1 || h < 1 || w > 8192 || h > 8192)
    return hp_fail(st, HP_ERR_INPUT, "figure: format %d, size %d x %d (1 .. 8192 each)", format, w,
                   h);
  hp_draw *f = calloc(1, sizeof *f);
  if (!f) return hp_fail(st, HP_ERR_NOMEM, "figure");
  f->format = format;
  f->w = w;
  f->h = h;
  if (format == HP_DRAW_PNG) {
    if (!(f->rgb = malloc((size_t)w * (size_t)h * 3))) {
      free(f);
      return hp_fail(st, HP_ERR_NOMEM, "figure: %d x %d pixels", w, h);
    }
    memset(f->rgb, 255, (size_t)w * (size_t)h * 3);
  } else {
    hp_ob_printf(&f->svg,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
                 "font-size=\"%d\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                 w, h, w, h, HP_DRAW_FONT_PX);
  }
  *d = f;
  return HP_OK;
}

void hp_draw_free(hp_draw *d) {
  if (!d) return;
  free(d->svg.s);
  free(d->rgb);
  free(d);
}

/* Raster: blend colour c over pixel (x, y) with coverage a in [0, 1]. */
static void blend(hp_draw *d, int x, int y, uint32_t c, double a) {
  if (x < 0 || y < 0 || x >= d->w || y >= d->h || a <= 0) return;
  uint8_t *p = d->rgb + 3 * ((size_t)y * d->w + x);
  for (int k = 0; k < 3; k++) {
    const double v = (double)((c >> (16 - 8 * k)) & 255);
    p[k] = (uint8_t)(p[k] + (v - p[k]) * (a > 1 ? 1 : a) + 0.5);
  }
}

static void fill(hp_draw *d, int x0, int y0, int x1, int y1, uint32_t c) {
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) blend(d, x, y, c, 1.0);
}

static int ir(double v) { return (int)lround(v); }

void hp_draw_rect(hp_draw *d, double x, double y, double w, double h, uint32_t fill_c,
                  uint32_t stroke) {
  if (d->format == HP_DRAW_SVG) {
    hp_ob_printf(&d->svg, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" ", x, y, w,
                 h);
    if (fill_c == HP_DRAW_NONE)
      hp_ob_printf(&d->svg, "fill=\"none\" ");
    else
      hp_ob_printf(&d->svg, "fill=\"#%06x\" ", fill_c);
    if (stroke != HP_DRAW_NONE) hp_ob_printf(&d->svg, "stroke=\"#%06x\" ", stroke);
    hp_ob_printf(&d->svg, "/>\n");
    return;
  }
  const int x0 = ir(x), y0 = ir(y), x1 = ir(x + w), y1 = ir(y + h);
  if (fill_c != HP_DRAW_NONE) fill(d, x0, y0, x1, y1, fill_c);
  if (stroke != HP_DRAW_NONE) { /* the outline just outside the filled box */
    fill(d, x0 - 1, y0 - 1, x1 + 1, y0, stroke);
    fill(d, x0 - 1, y1, x1 + 1, y1 + 1, stroke);
    fill(d, x0 - 1, y0, x0, y1, stroke);
    fill(d, x1, y0, x1 + 1, y1, stroke);
  }
}

void hp_draw_line(hp_draw *d, double x0, double y0, double x1, double y1) {
  if (d->format == HP_DRAW_SVG) {
    hp_ob_printf(&d->svg,
                 "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", x0,
                 y0, x1, y1);
    return;
  }
  if (ir(y0) == ir(y1)) /* horizontal: the row just above y */
    fill(d, ir(fmin(x0, x1)), ir(y0) - 1, ir(fmax(x0, x1)), ir(y0), 0);
  else /* vertical: the column just left of x */
    fill(d, ir(x0) - 1, ir(fmin(y0, y1)), ir(x0), ir(fmax(y0, y1)), 0);
}

static const hp_font_glyph *glyph(char c) {
  return &hp_font_glyphs[(c < 32 || c > 126) ? '?' - 32 : c - 32];
}

int hp_draw_text_width(const char *s) {
  int w = 0;
  for (; s && *s; s++) w += glyph(*s)->advance;
  return w;
}

void hp_draw_text(hp_draw *d, double x, double y, int anchor, int up, const char *s) {
  if (d->format == HP_DRAW_SVG) {
    static const char *an[3] = {"start", "middle", "end"};
    hp_ob_printf(&d->svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, an[anchor % 3]);
    if (up) hp_ob_printf(&d->svg, " transform=\"rotate(-90 %.1f %.1f)\"", x, y);
    hp_ob_printf(&d->svg, ">");
    hp_ob_text(&d->svg, s);
    hp_ob_printf(&d->svg, "</text>\n");
    return;
  }
  /* along the text u (from the anchor), across it v (down from the baseline); reading upwards
   * the text's u runs up the figure and its v to the right */
  int u = -(anchor == HP_ANCHOR_MIDDLE ? hp_draw_text_width(s) / 2
            : anchor == HP_ANCHOR_END  ? hp_draw_text_width(s)
                                       : 0);
  const int bx = ir(x), by = ir(y);
  for (; s && *s; s++) {
    const hp_font_glyph *g = glyph(*s);
    for (int r = 0; r < g->h; r++)
      for (int c = 0; c < g->w; c++) {
        const char h = g->alpha[r * g->w + c];
        const int a = h >= 'a' ? h - 'a' + 10 : h - '0';
        const int gu = u + g->left + c, gv = r - g->top;
        if (up)
          blend(d, bx + gv, by - gu, 0, a / 15.0);
        else
          blend(d, bx + gu, by + gv, 0, a / 15.0);
      }
    u += g->advance;
  }
}

void hp_draw_image(hp_draw *d, double x, double y, double w, double h, const uint8_t *pix, int iw,
                   int ih, const uint8_t (*palette)[3], int npal) {
  if (d->failed) return;
  if (d->format == HP_DRAW_SVG) {
    uint8_t *png;
    size_t len;
    if (hp_png_encode(pix, iw, ih, palette, npal, &png, &len, &d->st)) {
      d->failed = 1;
      return;
    }
    hp_ob_printf(&d->svg,
                 "<image x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
                 "href=\"data:image/png;base64,",
                 x, y, w, h);
    hp_ob_base64(&d->svg, png, len);
    hp_ob_printf(&d->svg, "\"/>\n");
    free(png);
    return;
  }
  const int x0 = ir(x), y0 = ir(y), x1 = ir(x + w), y1 = ir(y + h);
  for (int py = y0; py < y1; py++) {
    const int sy = (int)((py - y0 + 0.5) * ih / (double)(y1 - y0));
    for (int px = x0; px < x1; px++) {
      const int sx = (int)((px - x0 + 0.5) * iw / (double)(x1 - x0));
      const int k = pix[(size_t)sy * iw + sx];
      const uint8_t *c = palette[k < npal ? k : npal - 1];
      blend(d, px, py, (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2], 1.0);
    }
  }
}

int hp_draw_write(hp_draw *d, const char *path, hp_status *st) {
  if (d->failed) {
    *st = d->st;
    return hp_error_context(st, "%s", path);
  }
  if (d->format == HP_DRAW_PNG) return hp_png_write_rgb(path, d->rgb, d->w, d->h, st);
  hp_ob_printf(&d->svg, "</svg>\n");
  return hp_ob_write(&d->svg, path, st);
}
