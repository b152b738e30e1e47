/**
 * @file power.h
 * @brief Auto and cross power spectra of Fourier-space fields in linear or logarithmic
 *        |k| bins: mode counts, mean |k| per bin, aliased shot noise per bin, Gaussian errors.
 *
 * Estimator: P(bin) = sum_{k in bin} Re[a(k) b*(k)] / (V N_bin) [(Mpc/h)^3], over every mode of
 * the full n^3 mesh (the r2c half is weighted by 2 except its kz = 0 and kz = n/2 planes), the
 * mean mode excluded; k_mean is the mode average of |k|. A mode belongs to bin i when
 * edge_i <= |k| < edge_{i+1}; edges are kmin + i dk (linear) or kmin (kmax/kmin)^(i/nbins)
 * (logarithmic). For an auto spectrum the bin's shot noise is the mode average of the field's
 * aliased shot noise (field.h), so P - shot is the shot-subtracted power; cross spectra of two
 * different fields have no shot noise. Gaussian errors: var P_ab = (P_ab^2 + P_aa P_bb) / N_bin
 * (2 P^2 / N_bin for an auto spectrum; N_bin counts k and -k).
 *
 * Threads: each x-plane of modes is summed into its own partial sums, which are added in plane
 * order, so the results are bit-identical for any thread count.
 */
#ifndef HP_STATS_POWER_H
#define HP_STATS_POWER_H

#include <stdint.h>

#include "stats/field.h"
#include "util/status.h"

/** Binning in |k|. */
typedef struct hp_stats_bins {
  int log;     /**< 0: linear, 1: logarithmic */
  double kmin; /**< lower edge of the first bin [h/Mpc] (> 0 for log) */
  double kmax; /**< upper edge of the last bin [h/Mpc] */
  int nbins;   /**< number of bins, >= 1 */
} hp_stats_bins;

/**
 * The default binning of an n^3 mesh of side L: linear, width k_f = 2 pi/L, edges
 * (i + 1/2) k_f, i = 0..n/2, so bin i is centred on (i + 1) k_f and the last reaches the
 * Nyquist frequency k_Ny = pi n/L.
 */
void hp_stats_bins_default(hp_stats_bins *b, int64_t n, double box);

/** Check a binning: nbins >= 1, 0 <= kmin < kmax finite, kmin > 0 if log. */
int hp_stats_bins_check(const hp_stats_bins *b, hp_status *st);

/** Lower edge of bin i (i = nbins gives kmax) [h/Mpc]. */
double hp_stats_bin_edge(const hp_stats_bins *b, int i);

/** Bin of |k| (h/Mpc), or -1 outside [kmin, kmax) or for k = 0. */
int hp_stats_bin_index(const hp_stats_bins *b, double k);

/**
 * Bin of every integer |m|^2 = mx^2 + my^2 + mz^2 of an n^3 mesh (signed indices |m_c| <= n/2):
 * table[q] = hp_stats_bin_index(b, 2 pi sqrt(q) / L), q = 0 .. 3 (n/2)^2. Mode loops use it to
 * bin without transcendental functions. Free with free().
 * @param b     binning
 * @param n     mesh side
 * @param box   box side [Mpc/h]
 * @param qmax  out: largest q of the table
 * @param st    status
 * @return the table, or NULL (HP_ERR_NOMEM)
 */
int32_t *hp_stats_bin_table(const hp_stats_bins *b, int64_t n, double box, int64_t *qmax,
                            hp_status *st);

/** A binned spectrum. Arrays of nbins values, owned (hp_stats_pk_free). */
typedef struct hp_stats_pk {
  hp_stats_bins bins; /**< the binning */
  double *k_lo;       /**< lower bin edge [h/Mpc] */
  double *k_hi;       /**< upper bin edge [h/Mpc] */
  double *k_mean;     /**< mean |k| of the bin's modes [h/Mpc] (NaN if empty) */
  double *p;          /**< power, shot noise included [(Mpc/h)^3] (NaN if empty) */
  double *shot;       /**< shot noise of the bin [(Mpc/h)^3] (0 for a cross spectrum) */
  double *err;        /**< Gaussian standard error of p [(Mpc/h)^3] */
  int64_t *nmodes;    /**< modes in the bin (k and -k both counted) */
} hp_stats_pk;

/** Allocate the arrays of a spectrum for a binning (values zeroed, edges filled). */
int hp_stats_pk_alloc(hp_stats_pk *pk, const hp_stats_bins *b, hp_status *st);

/** Free a spectrum's arrays (safe to call twice). */
void hp_stats_pk_free(hp_stats_pk *pk);

/**
 * Auto power spectrum of @p a (b == NULL) or cross spectrum of @p a and @p b.
 * @param a, b      fields on the same mesh and box (b may be NULL)
 * @param bins      binning (checked)
 * @param nthreads  threads (<= 0: omp_get_max_threads()); results do not depend on it
 * @param out       allocated by the call (hp_stats_pk_free); any old contents are not freed
 * @param st        status
 * @return 0, HP_ERR_INPUT (mismatched fields, bad bins) or HP_ERR_NOMEM
 */
int hp_stats_power(const hp_stats_field *a, const hp_stats_field *b, const hp_stats_bins *bins,
                   int nthreads, hp_stats_pk *out, hp_status *st);

/**
 * P_aa, P_bb and P_ab in one pass over the modes (the three share bins, counts and k_mean;
 * errors of P_ab use P_aa and P_bb).
 */
int hp_stats_power_pair(const hp_stats_field *a, const hp_stats_field *b, const hp_stats_bins *bins,
                        int nthreads, hp_stats_pk *paa, hp_stats_pk *pbb, hp_stats_pk *pab,
                        hp_status *st);

#endif
