/**
 * @file hmf.h
 * @brief Halo mass function: counts and dn/dlog10(M) with Poisson errors in given mass bins.
 *
 * A halo of mass M belongs to bin i when edge_i <= M < edge_{i+1} (Msun/h). In a periodic box
 * of volume V = L^3 (Mpc/h)^3:
 *   dn/dlog10M (bin i) = N_i / (V (log10 edge_{i+1} - log10 edge_i))   [(h/Mpc)^3]
 * with the Poisson error sqrt(N_i) in place of N_i. The mean mass of the bin's halos is
 * reported too (NaN for an empty bin).
 */
#ifndef HP_STATS_HMF_H
#define HP_STATS_HMF_H

#include <stdint.h>

#include "util/status.h"

/** A binned mass function. Arrays of nbins values, owned (hp_stats_hmf_free). */
typedef struct hp_stats_hmf {
  int nbins;         /**< number of mass bins */
  double volume;     /**< box volume [(Mpc/h)^3] */
  double *m_lo;      /**< lower bin edge [Msun/h] */
  double *m_hi;      /**< upper bin edge [Msun/h] */
  double *m_mean;    /**< mean mass of the bin's halos [Msun/h] (NaN if empty) */
  double *dndlog10m; /**< dn/dlog10M [(h/Mpc)^3] */
  double *err;       /**< Poisson error of dn/dlog10M [(h/Mpc)^3] */
  int64_t *count;    /**< halos in the bin */
  int64_t below;     /**< halos below the first edge */
  int64_t above;     /**< halos at or above the last edge */
} hp_stats_hmf;

/**
 * Mass function of @p n masses.
 * @param mass   masses [Msun/h] (finite, >= 0)
 * @param n      how many (>= 0)
 * @param edges  nbins + 1 strictly increasing positive edges [Msun/h]
 * @param nbins  >= 1
 * @param box    box side [Mpc/h] (> 0)
 * @param out    allocated by the call
 * @param st     status
 * @return 0, HP_ERR_INPUT (bad edges, box or mass, naming it) or HP_ERR_NOMEM
 */
int hp_stats_hmf_compute(const double *mass, int64_t n, const double *edges, int nbins, double box,
                         hp_stats_hmf *out, hp_status *st);

/** Free the arrays (safe to call twice). */
void hp_stats_hmf_free(hp_stats_hmf *h);

/**
 * nbins + 1 edges evenly spaced in log10 M from mmin to mmax [Msun/h] (0 < mmin < mmax).
 * @return 0 or HP_ERR_INPUT
 */
int hp_stats_mass_edges_log(double mmin, double mmax, int nbins, double *edges, hp_status *st);

/**
 * Check mass-bin edges: nbins >= 1, finite, positive, strictly increasing.
 * @return 0 or HP_ERR_INPUT naming the first bad edge
 */
int hp_stats_mass_edges_check(const double *edges, int nbins, hp_status *st);

/** Bin of mass @p m (edge_i <= m < edge_{i+1}), or -1 outside (binary search). */
int hp_stats_mass_bin(const double *edges, int nbins, double m);

#endif
