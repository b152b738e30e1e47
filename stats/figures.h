/**
 * @file figures.h
 * @brief The figures of `halopaint stats` (as in Kodi Ramanah et al. 2019): P(k) with a
 *        reference curve, T(k) with a +-10% band, r_c(k) and s(k) with the linear-bias baseline
 *        and the Poisson level, the mass function with Poisson errors, the reduced bispectrum
 *        with its tree-level prediction, redshift-space multipoles, and a projected slice of a
 *        density field (the paper's Fig. 8) as a PNG or SVG heat map. Built on plot.h and draw.h.
 */
#ifndef HP_STATS_FIGURES_H
#define HP_STATS_FIGURES_H

#include <stdint.h>

#include "stats/bispec.h"
#include "stats/cross.h"
#include "stats/hmf.h"
#include "stats/power.h"
#include "util/status.h"

/** A reference curve (borrowed arrays). n = 0 for none. */
typedef struct hp_fig_curve {
  int64_t n;         /**< points */
  const double *x;   /**< abscissae */
  const double *y;   /**< ordinates */
  const char *label; /**< legend */
} hp_fig_curve;

/**
 * P(k) of @p n spectra (points with Gaussian errors; shot-subtracted when @p subtract_shot),
 * their shot-noise levels (dotted, when not subtracted), and a reference curve; log-log.
 */
int hp_fig_power(const char *path, const char *title, const hp_stats_pk *const *pk,
                 const char *const *labels, int n, int subtract_shot, const hp_fig_curve *ref,
                 hp_status *st);

/**
 * Four panels: P_aa and P_bb (and b^2 P_mm if @p pmm), T(k) with the +-10% band, r_c(k) with
 * errors, s(k) with the Poisson level 1/nbar (if @p poisson > 0). @p base (may be NULL) is the
 * linear-bias baseline, drawn dashed in each panel. Labels name a and b.
 */
int hp_fig_cross(const char *path, const char *title, const hp_stats_pk *paa,
                 const hp_stats_pk *pbb, const hp_stats_pk *pmm, double bias,
                 const hp_stats_cross *c, const hp_stats_cross *base, double poisson,
                 const char *label_a, const char *label_b, hp_status *st);

/** dn/dlog10M of @p n mass functions with Poisson error bars; log-log. */
int hp_fig_hmf(const char *path, const char *title, const hp_stats_hmf *const *h,
               const char *const *labels, int n, hp_status *st);

/** Q against theta/pi for @p n configurations, with the tree-level Q (if @p q_tree). */
int hp_fig_bispec(const char *path, const char *title, const hp_stats_bispec_result *r, int n,
                  const double *q_tree, hp_status *st);

/** k P_0(k), k P_2(k) (and k P_4 if given) with errors; the real-space k P(k) if given. */
int hp_fig_multipoles(const char *path, const char *title, const hp_stats_pk *p0,
                      const hp_stats_pk *p2, const hp_stats_pk *p4, const hp_stats_pk *preal,
                      hp_status *st);

/**
 * Mean of @p thick planes of a grid perpendicular to @p axis, starting at plane @p start
 * (periodic), into @p out (n x n; row-major: first index the lower of the two other axes,
 * e.g. [x][y] for axis 2).
 */
int hp_fig_project(const float *grid, int64_t n, int axis, int64_t start, int64_t thick,
                   double *out, hp_status *st);

/**
 * The paper's Fig. 8: projected slabs side by side (e.g. truth and painted) as heat maps of
 * log10(rho/rho_mean) (clipped at 1e-2) on one colour scale (the 0.5th to the 99.5th
 * percentile of all panels), axes in Mpc/h with ticks, a colour bar and @p title (the mass bin
 * and the slab). At least 900 px wide. PNG or SVG by the name's extension; any other is
 * refused (HP_ERR_INPUT), nothing written.
 * @param slabs    npanels slabs of n x n mean densities rho/rho_mean (hp_fig_project)
 * @param labels   npanels panel titles
 * @param npanels  1 .. 4
 * @param n        side
 * @param axis     the projected axis (names the image axes)
 * @param box      box side [Mpc/h]
 */
int hp_fig_slice(const char *path, const char *title, const double *const *slabs,
                 const char *const *labels, int npanels, int64_t n, int axis, double box,
                 hp_status *st);

#endif
