/**
 * @file angular.h
 * @brief Angular statistics of a light cone: random points in its footprint
 *        (lightcone/footprint.h), pair counts in bins of angular separation on a chaining mesh,
 *        and the angular correlation function w(theta) by the Landy & Szalay (1993, ApJ 412, 64)
 *        estimator.
 *
 * Points are unit vectors (x at RA = 0, z at Dec = +90, as lightcone/geometry.h). A pair is
 * binned by its chord d = |u - v| = 2 sin(theta/2): bin i holds edge_i <= theta < edge_{i+1}.
 * The chord is accurate at small angles, where 1 - u.v loses every digit.
 *
 * Pair counting: the unit vectors are sorted into a 3-D grid of cubic cells of side >= the chord
 * of the largest edge, so every pair that can count lies in the same or a neighbouring cell:
 * O(N x neighbours), not O(N^2). Threads accumulate integer counts, so the result does not
 * depend on the thread count. Estimator, with N_d data and N_r random points:
 *   w = (DD/n_dd - 2 DR/n_dr + RR/n_rr) / (RR/n_rr),
 *   n_dd = N_d (N_d - 1)/2, n_dr = N_d N_r, n_rr = N_r (N_r - 1)/2,
 * with the Poisson error (1 + w)/sqrt(DD).
 */
#ifndef HP_STATS_ANGULAR_H
#define HP_STATS_ANGULAR_H

#include <stdint.h>

#include "lightcone/footprint.h"
#include "util/status.h"

/**
 * A cone's Header/Footprint text ("FullSky", "Octant" or "HEALPix FILE (Nside N, ...)") -> the
 * footprint, the HEALPix mask read from FILE (lightcone/footprint.h). Free with
 * hp_footprint_free.
 * @return 0, or the error of hp_footprint_create naming the text
 */
int hp_ang_footprint_from_header(const char *text, hp_footprint *f, hp_status *st);

/** Unit vector of (RA, Dec) in degrees. */
void hp_ang_unit_vector(double ra, double dec, double u[3]);

/**
 * @p n unit vectors uniform in footprint @p f into @p u (n x 3): drawn directly on the full sky
 * and the octant, by rejection from the full sky for a HEALPix mask. Point i is a pure function
 * of (seed, i) (util/rng.h): the first m points of a longer set are the same m points.
 * @return 0, or HP_ERR_INPUT when a mask is so small that 10^6 draws miss it
 */
int hp_ang_randoms(const hp_footprint *f, int64_t n, uint64_t seed, double *u, hp_status *st);

/** @p nbins + 1 edges log-spaced from @p tmin to @p tmax degrees (0 < tmin < tmax). */
void hp_ang_theta_edges_log(double tmin, double tmax, int nbins, double *edges);

/**
 * Check angular edges [degrees]: nbins >= 1, finite, > 0, strictly increasing, last <= 180.
 * @return 0 or HP_ERR_INPUT naming the first bad edge
 */
int hp_ang_theta_edges_check(const double *edges, int nbins, hp_status *st);

/**
 * Pair counts in angular bins on a chaining mesh.
 * @param a, na     first set: na unit vectors (na x 3)
 * @param b, nb     second set, or b = NULL for the pairs within a (each unordered pair once)
 * @param edges     nbins + 1 increasing angles [degrees] (hp_ang_theta_edges_check)
 * @param nbins     bins
 * @param nthreads  threads (>= 1); the counts do not depend on it
 * @param counts    nbins pair counts (overwritten)
 * @param st        status
 * @return 0, HP_ERR_INPUT (bad edges) or HP_ERR_NOMEM
 */
int hp_ang_pair_count(const double *a, int64_t na, const double *b, int64_t nb, const double *edges,
                      int nbins, int nthreads, int64_t *counts, hp_status *st);

/** w(theta) in angular bins. Arrays of nbins values, owned (hp_stats_wtheta_free). */
typedef struct hp_stats_wtheta {
  int nbins;             /**< angular bins */
  int64_t nd, nr;        /**< data and random points */
  double *theta_lo;      /**< lower edge [degrees] */
  double *theta_hi;      /**< upper edge [degrees] */
  double *theta_mid;     /**< geometric mean of the edges [degrees] */
  int64_t *dd, *dr, *rr; /**< pair counts (DD, RR: unordered pairs) */
  double *w;             /**< Landy-Szalay w (NaN when RR = 0) */
  double *err;           /**< Poisson error (1 + w)/sqrt(DD) (NaN when DD = 0) */
} hp_stats_wtheta;

/**
 * w(theta) of @p nd data points against @p nr randoms uniform in footprint @p f
 * (hp_ang_randoms with @p seed).
 * @return 0, HP_ERR_INPUT (bad edges, fewer than 2 data or random points, a tiny mask) or
 *         HP_ERR_NOMEM
 */
int hp_stats_wtheta_compute(const double *data, int64_t nd, const hp_footprint *f, int64_t nr,
                            uint64_t seed, const double *edges, int nbins, int nthreads,
                            hp_stats_wtheta *out, hp_status *st);

/** Free the arrays (safe to call twice). */
void hp_stats_wtheta_free(hp_stats_wtheta *w);

#endif
