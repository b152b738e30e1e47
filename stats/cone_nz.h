/**
 * @file cone_nz.h
 * @brief The redshift distribution n(z) of a light cone against the density its painter
 *        promised: the check that a cone holds the halos its shells should hold.
 *
 * Redshift bins of width dz from Header ZMin to ZMax (the last may be narrower), each with the
 * comoving distances chi_lo, chi_hi of its edges and the volume of the footprint between them,
 *   V = f_sky (4 pi / 3) (chi_hi^3 - chi_lo^3)                     [(Mpc/h)^3].
 * Per painter mass bin k (and for all bins together), with N halos in the bin:
 *   dN/dz per square degree = N / (dz f_sky 41252.96),
 *   n     = N / V,
 *   n_exp = sum_s ShellMeanDensity[s][k] V(shell s within the bin) / V,
 *   ratio = n / n_exp, with the Poisson error sqrt(N) / (n_exp V),
 * where V(shell s within the bin) is the footprint's volume between the larger of ShellEdges[s]
 * and chi_lo and the smaller of ShellEdges[s + 1] and chi_hi. Binned in ZCos, or in ZObs (then
 * n_exp is still the real-space expectation: redshift-space distortions move halos between bins).
 */
#ifndef HP_STATS_CONE_NZ_H
#define HP_STATS_CONE_NZ_H

#include <stdint.h>

#include "lightcone/cone.h"
#include "util/status.h"

/** Square degrees of the whole sky, 4 pi (180/pi)^2. */
#define HP_SKY_DEG2 41252.961249419271

/** n(z) of a cone. Per-bin arrays are nz long; per-sample arrays nz x nsamp, row-major. Owned. */
typedef struct hp_stats_nz {
  int nz;                  /**< redshift bins */
  int nsamp;               /**< samples: the K painter mass bins, then all halos (K + 1) */
  int zobs;                /**< 1: binned in ZObs, 0: in ZCos */
  double area_deg2;        /**< footprint [deg^2] */
  double *z_lo, *z_hi;     /**< bin edges */
  double *chi_lo, *chi_hi; /**< their comoving distances [Mpc/h] */
  double *volume;          /**< V of the bin [(Mpc/h)^3] */
  int64_t *count;          /**< N: nz x nsamp */
  double *dndz;            /**< dN/dz per square degree [deg^-2]: nz x nsamp */
  double *n, *n_exp;       /**< observed and expected density [(h/Mpc)^3]: nz x nsamp */
  double *ratio, *err;     /**< n / n_exp and its Poisson error: nz x nsamp */
  int64_t below, above;    /**< halos with z below ZMin, above ZMax */
} hp_stats_nz;

/**
 * n(z) of cone @p c in bins of width @p dz (distances from the header's Omega0, OmegaLambda).
 * @return 0, HP_ERR_INPUT (dz <= 0, ZMin >= ZMax, SkyFraction outside (0, 1], more than 10^6
 *         bins, naming the value) or HP_ERR_NOMEM
 */
int hp_stats_cone_nz(const hp_cone *c, double dz, int zobs, hp_stats_nz *out, hp_status *st);

/** Free the arrays (safe to call twice). */
void hp_stats_nz_free(hp_stats_nz *nz);

#endif
