/**
 * @file plot.h
 * @brief Plots the tool draws itself: SVG line plots (axes, linear or logarithmic scales,
 *        ticks and labels, lines, dashed lines, points with error bars, shaded bands, legend),
 *        one or several panels per figure (the slice figure, a heat map, is draw.h's).
 *
 * Why SVG: a figure is a few kB of text with real, searchable, resolution-free fonts (no bitmap
 * font to carry), it opens in every browser and converts to PDF or PNG with any tool.
 */
#ifndef HP_STATS_PLOT_H
#define HP_STATS_PLOT_H

#include <stdint.h>

#include "util/status.h"

/** How a series is drawn. */
enum hp_plot_style {
  HP_PLOT_LINE = 0,   /**< solid line through the finite points */
  HP_PLOT_DASHED = 1, /**< dashed line */
  HP_PLOT_POINTS = 2, /**< markers, with error bars from ylo..yhi when given */
  HP_PLOT_BAND = 3    /**< shaded band between ylo and yhi (y ignored) */
};

/** One series (arrays borrowed until the figure is written). */
typedef struct hp_plot_series {
  const char *label; /**< legend text, or NULL for none */
  int style;         /**< hp_plot_style */
  int64_t n;         /**< points */
  const double *x;   /**< n abscissae */
  const double *y;   /**< n ordinates (NULL allowed for a band) */
  const double *ylo; /**< n lower ends (error bars or band), or NULL */
  const double *yhi; /**< n upper ends, or NULL */
  const char *color; /**< SVG colour ("#1f77b4"), or NULL for the palette */
} hp_plot_series;

/** Most series per panel. */
#define HP_PLOT_MAX_SERIES 12

/** One panel: axes and series. */
typedef struct hp_plot_panel {
  const char *title;  /**< panel title (may be NULL) */
  const char *xlabel; /**< x axis label, with unit */
  const char *ylabel; /**< y axis label, with unit */
  int xlog, ylog;     /**< logarithmic axes */
  double xmin, xmax;  /**< x range; NaN for automatic */
  double ymin, ymax;  /**< y range; NaN for automatic */
  int legend;         /**< legend corner: 0 top right, 1 bottom right, 2 bottom left, 3 top left */
  int nseries;        /**< series used */
  hp_plot_series series[HP_PLOT_MAX_SERIES];
} hp_plot_panel;

/** Initialise a panel: labels, scales, automatic ranges, no series. */
void hp_plot_panel_init(hp_plot_panel *p, const char *title, const char *xlabel, const char *ylabel,
                        int xlog, int ylog);

/** Add a series (copied; its arrays are borrowed). @return 0 or HP_ERR_INPUT when full */
int hp_plot_add(hp_plot_panel *p, const hp_plot_series *s, hp_status *st);

/** Convenience: add a series of style @p style with optional ylo/yhi. */
int hp_plot_add_xy(hp_plot_panel *p, const char *label, int style, int64_t n, const double *x,
                   const double *y, const double *ylo, const double *yhi, const char *color,
                   hp_status *st);

/**
 * Write a figure of @p npanels panels on a grid of @p ncols columns as SVG, atomically.
 * @param panels   panels, row by row
 * @param npanels  >= 1
 * @param ncols    >= 1
 * @param title    figure title (may be NULL)
 * @param path     output file
 * @param st       status
 * @return 0, HP_ERR_INPUT (a panel with no finite data to scale its axes) or HP_ERR_IO
 */
int hp_plot_svg(const hp_plot_panel *panels, int npanels, int ncols, const char *title,
                const char *path, hp_status *st);

/**
 * Ticks of a linear axis from @p lo to @p hi at a "nice" step (1, 2 or 5 x 10^k, about five
 * ticks) into @p out; @return their count. *step: the spacing.
 */
int hp_plot_linear_ticks(double lo, double hi, double out[64], double *step);

#endif
