/*
 * SVG figures drawn by halopaint itself (plot.h): panels with linear or logarithmic axes,
 * "nice" ticks (1, 2, 5 x 10^k; decades on log axes), lines, dashed lines, points with error
 * bars, shaded bands, legends. The slice figure (a heat map) is fig_slice.c.
 */
#include "stats/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/outbuf.h"

/* ---------------------------------------------------------------------------------------- */
/* Panels. */

static const char *palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

void hp_plot_panel_init(hp_plot_panel *p, const char *title, const char *xlabel, const char *ylabel,
                        int xlog, int ylog) {
  memset(p, 0, sizeof *p);
  p->title = title;
  p->xlabel = xlabel;
  p->ylabel = ylabel;
  p->xlog = xlog;
  p->ylog = ylog;
  p->xmin = p->xmax = p->ymin = p->ymax = NAN;
}

int hp_plot_add(hp_plot_panel *p, const hp_plot_series *s, hp_status *st) {
  if (p->nseries >= HP_PLOT_MAX_SERIES)
    return hp_fail(st, HP_ERR_INPUT, "plot: more than %d series in a panel", HP_PLOT_MAX_SERIES);
  p->series[p->nseries++] = *s;
  return HP_OK;
}

int hp_plot_add_xy(hp_plot_panel *p, const char *label, int style, int64_t n, const double *x,
                   const double *y, const double *ylo, const double *yhi, const char *color,
                   hp_status *st) {
  hp_plot_series s = {label, style, n, x, y, ylo, yhi, color};
  return hp_plot_add(p, &s, st);
}

/* Geometry of one panel in the figure. */
typedef struct frame {
  double left, top, w, h; /* plot area in SVG pixels */
  double t0, t1, u0, u1;  /* axis ranges in transformed units (log10 for log axes) */
  int xlog, ylog;
} frame;

static int usable(double v, int logscale) { return isfinite(v) && (!logscale || v > 0); }
static double tr(double v, int logscale) { return logscale ? log10(v) : v; }
static double px(const frame *f, double x) {
  return f->left + (tr(x, f->xlog) - f->t0) / (f->t1 - f->t0) * f->w;
}
static double py(const frame *f, double y) {
  return f->top + f->h - (tr(y, f->ylog) - f->u0) / (f->u1 - f->u0) * f->h;
}

/* Range of the data in transformed units, padded; 0 if there is no usable value. */
static int axis_range(double lo, double hi, int logscale, double *a, double *b) {
  if (!(lo <= hi)) return 0;
  double t0 = tr(lo, logscale), t1 = tr(hi, logscale);
  if (t1 - t0 < 1e-12 * (fabs(t0) + fabs(t1)) || t1 == t0) {
    const double d = logscale ? 0.5 : (t0 != 0 ? 0.1 * fabs(t0) : 1.0);
    t0 -= d;
    t1 += d;
  }
  const double pad = 0.04 * (t1 - t0);
  *a = t0 - pad;
  *b = t1 + pad;
  return 1;
}

static void data_range(const hp_plot_panel *p, int axis, double *lo, double *hi) {
  const int lg = axis ? p->ylog : p->xlog;
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int s = 0; s < p->nseries; s++) {
    const hp_plot_series *r = &p->series[s];
    const double *arrs[3] = {axis ? (r->style == HP_PLOT_BAND ? NULL : r->y) : r->x,
                             axis ? r->ylo : NULL, axis ? r->yhi : NULL};
    for (int a = 0; a < 3; a++) {
      if (!arrs[a]) continue;
      for (int64_t i = 0; i < r->n; i++) {
        const double v = arrs[a][i];
        if (!usable(v, lg) || !usable(r->x[i], p->xlog)) continue;
        if (axis && r->y && r->style != HP_PLOT_BAND && !usable(r->y[i], lg)) continue;
        *lo = fmin(*lo, v);
        *hi = fmax(*hi, v);
      }
    }
  }
}

/* Tick label text of value v (step = tick spacing for linear axes). */
static void tick_label(hp_outbuf *b, double v, int logscale, double step) {
  if (logscale) {
    const double e = log10(v), er = floor(e + 0.5);
    if (fabs(e - er) < 1e-6) {
      const int k = (int)er;
      if (k >= -3 && k <= 3) {
        char t[32];
        snprintf(t, sizeof t, "%.*f", k < 0 ? -k : 0, pow(10.0, k));
        hp_ob_printf(b, "%s", t);
      } else {
        hp_ob_printf(b, "10<tspan dy=\"-6\" font-size=\"9\">%d</tspan>", k);
      }
      return;
    }
    hp_ob_printf(b, "%g", v);
    return;
  }
  if (fabs(v) < 1e-9 * step) v = 0.0;
  hp_ob_printf(b, "%g", v);
}

/* Tick positions (in data units) of an axis; returns the count (<= 64). */
static int ticks(double t0, double t1, int logscale, double *out, int *major, double *step) {
  int n = 0;
  *step = 0;
  if (logscale && t1 - t0 < 1.0) {
    /* less than a decade: linear ticks of the values, placed on the log axis */
    const double v0 = pow(10.0, t0), v1 = pow(10.0, t1);
    const int m = ticks(v0, v1, 0, out, major, step);
    for (int i = 0; i < m; i++) major[i] = out[i] > 0 ? 2 : 0;
    return m;
  }
  if (logscale) {
    const int d0 = (int)ceil(t0 - 1e-9), d1 = (int)floor(t1 + 1e-9);
    const int ndec = d1 - d0 + 1;
    const int every = ndec > 8 ? (ndec + 7) / 8 : 1;
    for (int d = (int)floor(t0); d <= (int)ceil(t1) && n < 60; d++) {
      for (int m = 1; m <= 9 && n < 60; m++) {
        const double v = m * pow(10.0, d), t = log10(v);
        if (t < t0 - 1e-9 || t > t1 + 1e-9) continue;
        const int is_major = m == 1 && ((d - d0) % every == 0);
        const int labelled_minor = ndec < 2 && (m == 2 || m == 5);
        if (m != 1 && ndec > 4) continue; /* no minor ticks over many decades */
        out[n] = v;
        major[n] = is_major ? 2 : labelled_minor ? 1 : 0;
        n++;
      }
    }
    return n;
  }
  const double raw = (t1 - t0) / 5.0, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
  const double s = (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
  *step = s;
  for (double v = ceil(t0 / s) * s; v <= t1 + 1e-9 * s && n < 60; v += s) {
    out[n] = v;
    major[n++] = 2;
  }
  return n;
}

int hp_plot_linear_ticks(double lo, double hi, double out[64], double *step) {
  int major[64];
  return ticks(lo, hi, 0, out, major, step);
}

static int draw_panel(hp_outbuf *b, const hp_plot_panel *p, double ox, double oy, double W,
                      double H, int id, hp_status *st) {
  frame f;
  f.left = ox + 78;
  f.top = oy + 30;
  f.w = W - 78 - 16;
  f.h = H - 30 - 50;
  f.xlog = p->xlog;
  f.ylog = p->ylog;
  double lo, hi;
  data_range(p, 0, &lo, &hi);
  if (isfinite(p->xmin)) lo = p->xmin;
  if (isfinite(p->xmax)) hi = p->xmax;
  if (!axis_range(lo, hi, p->xlog, &f.t0, &f.t1))
    return hp_fail(st, HP_ERR_INPUT, "plot '%s': no finite x values%s", p->title ? p->title : "",
                   p->xlog ? " > 0 for the log axis" : "");
  if (isfinite(p->xmin) && isfinite(p->xmax))
    f.t0 = tr(p->xmin, p->xlog), f.t1 = tr(p->xmax, p->xlog);
  data_range(p, 1, &lo, &hi);
  if (isfinite(p->ymin)) lo = p->ymin;
  if (isfinite(p->ymax)) hi = p->ymax;
  if (!axis_range(lo, hi, p->ylog, &f.u0, &f.u1))
    return hp_fail(st, HP_ERR_INPUT, "plot '%s': no finite y values%s", p->title ? p->title : "",
                   p->ylog ? " > 0 for the log axis" : "");
  if (isfinite(p->ymin) && isfinite(p->ymax))
    f.u0 = tr(p->ymin, p->ylog), f.u1 = tr(p->ymax, p->ylog);
  /* frame, clip path, title */
  hp_ob_printf(b,
               "<clipPath id=\"c%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>"
               "</clipPath>\n",
               id, f.left, f.top, f.w, f.h);
  hp_ob_printf(b,
               "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"white\" "
               "stroke=\"black\"/>\n",
               f.left, f.top, f.w, f.h);
  if (p->title) {
    hp_ob_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"14\">",
                 f.left + f.w / 2, oy + 20);
    hp_ob_text(b, p->title);
    hp_ob_printf(b, "</text>\n");
  }
  /* ticks and grid */
  double tv[64], step;
  int maj[64];
  for (int axis = 0; axis < 2; axis++) {
    const int lg = axis ? f.ylog : f.xlog;
    const int nt = ticks(axis ? f.u0 : f.t0, axis ? f.u1 : f.t1, lg, tv, maj, &step);
    for (int i = 0; i < nt; i++) {
      if (!usable(tv[i], lg)) continue;
      const double len = maj[i] ? 6 : 3;
      if (axis == 0) {
        const double x = px(&f, tv[i]);
        if (maj[i])
          hp_ob_printf(
              b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e5e5e5\"/>\n", x,
              f.top, x, f.top + f.h);
        hp_ob_printf(b,
                     "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n",
                     x, f.top + f.h, x, f.top + f.h - len);
        if (maj[i]) {
          hp_ob_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">", x,
                       f.top + f.h + 16);
          tick_label(b, tv[i], lg, step);
          hp_ob_printf(b, "</text>\n");
        }
      } else {
        const double y = py(&f, tv[i]);
        if (maj[i])
          hp_ob_printf(
              b, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e5e5e5\"/>\n",
              f.left, y, f.left + f.w, y);
        hp_ob_printf(b,
                     "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\"/>\n",
                     f.left, y, f.left + len, y);
        if (maj[i]) {
          hp_ob_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\">",
                       f.left - 5, y + 4);
          tick_label(b, tv[i], lg, step);
          hp_ob_printf(b, "</text>\n");
        }
      }
    }
  }
  if (p->xlabel) {
    hp_ob_printf(b, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">",
                 f.left + f.w / 2, f.top + f.h + 38);
    hp_ob_text(b, p->xlabel);
    hp_ob_printf(b, "</text>\n");
  }
  if (p->ylabel) {
    const double x = ox + 16, y = f.top + f.h / 2;
    hp_ob_printf(b,
                 "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" "
                 "transform=\"rotate(-90 %.2f %.2f)\">",
                 x, y, x, y);
    hp_ob_text(b, p->ylabel);
    hp_ob_printf(b, "</text>\n");
  }
  /* series, clipped to the frame */
  hp_ob_printf(b, "<g clip-path=\"url(#c%d)\">\n", id);
  for (int s = 0; s < p->nseries; s++) {
    const hp_plot_series *r = &p->series[s];
    const char *col = r->color ? r->color : palette[s % 10];
    if (r->style == HP_PLOT_BAND && r->ylo && r->yhi) {
      hp_ob_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"", col);
      for (int64_t i = 0; i < r->n; i++)
        if (usable(r->x[i], f.xlog) && usable(r->yhi[i], f.ylog))
          hp_ob_printf(b, "%.2f,%.2f ", px(&f, r->x[i]), py(&f, r->yhi[i]));
      for (int64_t i = r->n - 1; i >= 0; i--)
        if (usable(r->x[i], f.xlog) && usable(r->ylo[i], f.ylog))
          hp_ob_printf(b, "%.2f,%.2f ", px(&f, r->x[i]), py(&f, r->ylo[i]));
      hp_ob_printf(b, "\"/>\n");
    } else if (r->style == HP_PLOT_POINTS) {
      for (int64_t i = 0; i < r->n; i++) {
        if (!usable(r->x[i], f.xlog) || !r->y || !usable(r->y[i], f.ylog)) continue;
        const double x = px(&f, r->x[i]), y = py(&f, r->y[i]);
        if (r->ylo && r->yhi && isfinite(r->ylo[i]) && isfinite(r->yhi[i])) {
          const double ylo = usable(r->ylo[i], f.ylog) ? py(&f, r->ylo[i]) : f.top + f.h + 5;
          const double yhi = usable(r->yhi[i], f.ylog) ? py(&f, r->yhi[i]) : f.top - 5;
          hp_ob_printf(b,
                       "<path d=\"M%.2f %.2fV%.2fM%.2f %.2fh6M%.2f %.2fh6\" stroke=\"%s\" "
                       "fill=\"none\"/>\n",
                       x, ylo, yhi, x - 3, ylo, x - 3, yhi, col);
        }
        hp_ob_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.6\" fill=\"%s\"/>\n", x, y, col);
      }
    } else if (r->y) {
      /* polylines broken at unusable points */
      int open = 0;
      for (int64_t i = 0; i < r->n; i++) {
        const int ok = usable(r->x[i], f.xlog) && usable(r->y[i], f.ylog);
        if (ok && !open) {
          hp_ob_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"",
                       col, r->style == HP_PLOT_DASHED ? " stroke-dasharray=\"6,4\"" : "");
          open = 1;
        }
        if (ok) hp_ob_printf(b, "%.2f,%.2f ", px(&f, r->x[i]), py(&f, r->y[i]));
        if ((!ok || i == r->n - 1) && open) {
          hp_ob_printf(b, "\"/>\n");
          open = 0;
        }
      }
    }
  }
  hp_ob_printf(b, "</g>\n");
  /* legend */
  int nl = 0;
  for (int s = 0; s < p->nseries; s++) nl += p->series[s].label != NULL;
  if (nl) {
    double lw = 0;
    for (int s = 0; s < p->nseries; s++)
      if (p->series[s].label) lw = fmax(lw, 6.2 * (double)strlen(p->series[s].label));
    const int right = p->legend == 0 || p->legend == 1, top = p->legend == 0 || p->legend == 3;
    const double bx = right ? f.left + f.w - lw - 40 : f.left + 6;
    const double by = top ? f.top + 6 : f.top + f.h - 6 - (16 * nl + 6);
    hp_ob_printf(b,
                 "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%d\" fill=\"white\" "
                 "fill-opacity=\"0.85\" stroke=\"#999\"/>\n",
                 bx, by, lw + 34, 16 * nl + 6);
    int k = 0;
    for (int s = 0; s < p->nseries; s++) {
      const hp_plot_series *r = &p->series[s];
      if (!r->label) continue;
      const char *col = r->color ? r->color : palette[s % 10];
      const double y = by + 14 + 16 * k++;
      if (r->style == HP_PLOT_BAND)
        hp_ob_printf(b,
                     "<rect x=\"%.2f\" y=\"%.2f\" width=\"20\" height=\"8\" fill=\"%s\" "
                     "fill-opacity=\"0.25\"/>\n",
                     bx + 5, y - 7, col);
      else if (r->style == HP_PLOT_POINTS)
        hp_ob_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.6\" fill=\"%s\"/>\n", bx + 15, y - 3,
                     col);
      else
        hp_ob_printf(b,
                     "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
                     "stroke-width=\"1.6\"%s/>\n",
                     bx + 5, y - 3, bx + 25, y - 3, col,
                     r->style == HP_PLOT_DASHED ? " stroke-dasharray=\"6,4\"" : "");
      hp_ob_printf(b, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">", bx + 30, y);
      hp_ob_text(b, r->label);
      hp_ob_printf(b, "</text>\n");
    }
  }
  return HP_OK;
}

static void svg_open(hp_outbuf *b, double W, double H, const char *title) {
  hp_ob_printf(b,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
               W, H, W, H);
  if (title) {
    hp_ob_printf(b,
                 "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" "
                 "font-weight=\"bold\">",
                 W / 2);
    hp_ob_text(b, title);
    hp_ob_printf(b, "</text>\n");
  }
}

int hp_plot_svg(const hp_plot_panel *panels, int npanels, int ncols, const char *title,
                const char *path, hp_status *st) {
  if (npanels < 1 || ncols < 1)
    return hp_fail(st, HP_ERR_INPUT, "plot %s: %d panels in %d columns", path, npanels, ncols);
  if (ncols > npanels) ncols = npanels;
  const double PW = 520, PH = 360, TH = title ? 34 : 0;
  const int nrows = (npanels + ncols - 1) / ncols;
  hp_outbuf b = {NULL, 0, 0, 0};
  svg_open(&b, PW * ncols, PH * nrows + TH, title);
  for (int i = 0; i < npanels; i++) {
    if (draw_panel(&b, &panels[i], PW * (i % ncols), TH + PH * (i / ncols), PW, PH, i, st)) {
      free(b.s);
      return hp_error_context(st, "%s", path);
    }
  }
  hp_ob_printf(&b, "</svg>\n");
  const int rc = hp_ob_write(&b, path, st);
  free(b.s);
  return rc;
}
