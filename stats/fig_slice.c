/*
 * Slices of density fields (figures.h): the mean of a slab of planes, and the paper's Fig. 8,
 * panels of log10(rho/rho_mean) side by side on one colour scale, with axes in Mpc/h and a
 * colour bar, drawn once (draw.h) as PNG or SVG.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/draw.h"
#include "stats/figures.h"
#include "stats/plot.h"
#include "stats/png.h"

int hp_fig_project(const float *grid, int64_t n, int axis, int64_t start, int64_t thick,
                   double *out, hp_status *st) {
  if (axis < 0 || axis > 2 || thick < 1 || thick > n)
    return hp_fail(st, HP_ERR_INPUT, "slice: axis %d, thickness %lld cells (1 .. %lld)", axis,
                   (long long)thick, (long long)n);
  const int64_t s0 = ((start % n) + n) % n;
  for (int64_t a = 0; a < n; a++)
    for (int64_t b = 0; b < n; b++) {
      double s = 0.0;
      for (int64_t t = 0; t < thick; t++) {
        const int64_t c = (s0 + t) % n;
        const int64_t i = axis == 0   ? (c * n + a) * n + b
                          : axis == 1 ? (a * n + c) * n + b
                                      : (a * n + b) * n + c;
        s += grid[i];
      }
      out[a * n + b] = s / (double)thick;
    }
  return HP_OK;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double shown(double rho) { return log10(fmax(rho, 1e-2)); }

/* Colour range: the 0.5th to the 99.5th percentile of all panels, so that a few empty voxels
 * do not wash the maps out. */
static int colour_range(const double *const *slabs, int np, int64_t n, double *lo, double *hi,
                        hp_status *st) {
  const int64_t m = (int64_t)np * n * n;
  double *v = malloc(sizeof(double) * (size_t)m);
  if (!v) return hp_fail(st, HP_ERR_NOMEM, "slice figure: %lld values", (long long)m);
  for (int p = 0; p < np; p++)
    for (int64_t i = 0; i < n * n; i++) v[p * n * n + i] = shown(slabs[p][i]);
  qsort(v, (size_t)m, sizeof *v, cmp_double);
  *lo = v[(int64_t)(0.005 * (double)(m - 1))];
  *hi = v[(int64_t)(0.995 * (double)(m - 1))];
  free(v);
  if (!(*hi > *lo)) *hi = *lo + 1.0;
  return HP_OK;
}

/* Ticks along a side of a box: outward marks of 6 px and their labels. side 0: bottom (values
 * lo..hi left to right), 1: left (bottom to top), 2: right (bottom to top). */
static void axis_ticks(hp_draw *d, double x, double y, double w, double h, double lo, double hi,
                       int side, int labels) {
  double tv[64], step;
  const int nt = hp_plot_linear_ticks(lo, hi, tv, &step);
  for (int i = 0; i < nt; i++) {
    char t[32];
    snprintf(t, sizeof t, "%g", fabs(tv[i]) < 1e-9 * step ? 0.0 : tv[i]);
    const double f = (tv[i] - lo) / (hi - lo);
    if (side == 0) {
      const double px = x + f * w;
      hp_draw_line(d, px, y + h, px, y + h + 6);
      if (labels) hp_draw_text(d, px, y + h + 6 + HP_DRAW_FONT_PX, HP_ANCHOR_MIDDLE, 0, t);
    } else {
      const double py = y + h - f * h, px = side == 1 ? x : x + w;
      hp_draw_line(d, px, py, side == 1 ? px - 6 : px + 6, py);
      if (labels)
        hp_draw_text(d, side == 1 ? px - 9 : px + 9, py + 5,
                     side == 1 ? HP_ANCHOR_END : HP_ANCHOR_START, 0, t);
    }
  }
}

int hp_fig_slice(const char *path, const char *title, const double *const *slabs,
                 const char *const *labels, int npanels, int64_t n, int axis, double box,
                 hp_status *st) {
  const int format = hp_draw_format_of(path);
  if (format < 0)
    return hp_fail(st, HP_ERR_INPUT,
                   "%s: unknown figure format; the slice figure is written as .png or .svg", path);
  if (npanels < 1 || npanels > 4 || n < 1 || n > 65535 || axis < 0 || axis > 2 || !(box > 0))
    return hp_fail(st, HP_ERR_INPUT, "slice figure: %d panels (1 .. 4), side %lld, axis %d",
                   npanels, (long long)n, axis);
  double vmin = 0, vmax = 1;
  if (colour_range(slabs, npanels, n, &vmin, &vmax, st)) return st->code;
  uint8_t pal[256][3], *pix = malloc((size_t)(n * n)), bar[256];
  if (!pix) return hp_fail(st, HP_ERR_NOMEM, "slice figure: %lld pixels", (long long)(n * n));
  hp_png_colormap(pal);
  for (int i = 0; i < 256; i++) bar[i] = (uint8_t)(255 - i); /* the colour bar, top = high */
  /* layout [px]: margins, square panels side by side, then the colour bar */
  const double P = npanels == 1 ? 720 : 480, L = 86, G = 40, T = 70, B = 66;
  const double cx = L + npanels * P + (npanels - 1) * G + 28, cw = 22;
  const int W = (int)(cx + cw + 110), H = (int)(T + P + B);
  hp_draw *d;
  if (hp_draw_begin(&d, format, W, H, st)) {
    free(pix);
    return st->code;
  }
  if (title && hp_draw_text_width(title) <= W - 20) {
    hp_draw_text(d, W / 2.0, 26, HP_ANCHOR_MIDDLE, 0, title);
  } else if (title) { /* too wide: two lines, split at the last "; " */
    char line[1024];
    snprintf(line, sizeof line, "%s", title);
    char *cut = NULL;
    for (char *c = strstr(line, "; "); c; c = strstr(c + 1, "; ")) cut = c;
    if (cut) *cut = '\0';
    hp_draw_text(d, W / 2.0, cut ? 16 : 26, HP_ANCHOR_MIDDLE, 0, line);
    if (cut) hp_draw_text(d, W / 2.0, 36, HP_ANCHOR_MIDDLE, 0, cut + 2);
  }
  const char *names[3] = {"x [Mpc/h]", "y [Mpc/h]", "z [Mpc/h]"};
  const char *xl = names[axis == 0 ? 1 : 0], *yl = names[axis == 2 ? 1 : 2];
  for (int p = 0; p < npanels; p++) {
    const double x = L + p * (P + G);
    /* image: horizontal = first remaining axis (index a), vertical = second (index b), upward */
    for (int64_t r = 0; r < n; r++)
      for (int64_t c = 0; c < n; c++) {
        const double v = (shown(slabs[p][c * n + (n - 1 - r)]) - vmin) / (vmax - vmin);
        const int k = (int)floor(v * 255.0 + 0.5);
        pix[r * n + c] = (uint8_t)(k < 0 ? 0 : k > 255 ? 255 : k);
      }
    hp_draw_image(d, x, T, P, P, pix, (int)n, (int)n, (const uint8_t(*)[3])pal, 256);
    hp_draw_rect(d, x, T, P, P, HP_DRAW_NONE, 0);
    if (labels && labels[p]) hp_draw_text(d, x + P / 2, T - 12, HP_ANCHOR_MIDDLE, 0, labels[p]);
    axis_ticks(d, x, T, P, P, 0, box, 0, 1);
    axis_ticks(d, x, T, P, P, 0, box, 1, p == 0);
    hp_draw_text(d, x + P / 2, T + P + 54, HP_ANCHOR_MIDDLE, 0, xl);
  }
  hp_draw_text(d, 24, T + P / 2, HP_ANCHOR_MIDDLE, 1, yl);
  hp_draw_image(d, cx, T, cw, P, bar, 1, 256, (const uint8_t(*)[3])pal, 256);
  hp_draw_rect(d, cx, T, cw, P, HP_DRAW_NONE, 0);
  axis_ticks(d, cx, T, cw, P, vmin, vmax, 2, 1);
  hp_draw_text(d, cx + cw + 88, T + P / 2, HP_ANCHOR_MIDDLE, 1, "log10(rho/rho_mean)");
  free(pix);
  const int rc = hp_draw_write(d, path, st);
  hp_draw_free(d);
  return rc;
}
