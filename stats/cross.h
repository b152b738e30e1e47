/**
 * @file cross.h
 * @brief How well a model field b reproduces a reference field a (Kodi Ramanah, Charnock &
 *        Lavaux 2019, section 4): transfer function T(k), cross-correlation coefficient
 *        r_c(k), stochasticity s(k), and the paper's baseline, the 2LPT matter density scaled
 *        by the large-scale linear bias.
 *
 * Definitions (a = reference, e.g. the N-body halos h; b = model, e.g. the painted halos p):
 *   T(k)   = sqrt(P_bb / P_aa)
 *   r_c(k) = P_ab / sqrt(P_aa P_bb)
 *   s(k)   = P_aa (1 - r_c^2)           [(Mpc/h)^3]
 * with the auto spectra raw (shot noise included, as the paper) or shot-subtracted
 * (subtract_shot = 1). For a Poisson sample of a field that b predicts exactly, s = 1/nbar.
 * Error of r_c (Gaussian fields): sigma_r = (1 - r^2) / sqrt(N_modes / 2).
 *
 * Baseline: the matter field m scaled by b_lin, with b_lin^2 the mode-weighted mean of
 * P_aa / P_mm over the bins with k_mean < k_bias; it has T = b_lin sqrt(P_mm / P_aa),
 * r_c = P_am / sqrt(P_aa P_mm) and s = P_aa (1 - r_c^2).
 */
#ifndef HP_STATS_CROSS_H
#define HP_STATS_CROSS_H

#include "stats/power.h"
#include "util/status.h"

/** T, r_c and s per k bin. Arrays owned (hp_stats_cross_free). */
typedef struct hp_stats_cross {
  int nbins;      /**< bins (as the spectra) */
  double *k_mean; /**< mean |k| [h/Mpc] */
  double *t;      /**< transfer function T [1] */
  double *r;      /**< cross-correlation coefficient r_c [1] */
  double *s;      /**< stochasticity [(Mpc/h)^3] */
  double *r_err;  /**< Gaussian error of r_c [1] */
} hp_stats_cross;

/** Free the arrays (safe to call twice). */
void hp_stats_cross_free(hp_stats_cross *c);

/**
 * T, r_c and s from the three spectra of one pass (hp_stats_power_pair).
 * @param paa, pbb, pab  auto spectra of a and b, their cross spectrum, on the same bins
 * @param subtract_shot  1: use P - shot for the auto spectra
 * @param out            allocated by the call
 * @param st             status
 * @return 0, HP_ERR_INPUT (bins differ) or HP_ERR_NOMEM
 */
int hp_stats_cross_from_pk(const hp_stats_pk *paa, const hp_stats_pk *pbb, const hp_stats_pk *pab,
                           int subtract_shot, hp_stats_cross *out, hp_status *st);

/**
 * Large-scale linear bias: b^2 = sum N_i P_aa,i / P_mm,i / sum N_i over the bins with
 * k_mean < k_bias (at least the first non-empty bin, if none is below k_bias).
 * @param paa            spectrum of the biased tracer (halos)
 * @param pmm            spectrum of the matter (2LPT) field
 * @param k_bias         largest k of the fit [h/Mpc]
 * @param subtract_shot  1: use P_aa - shot
 * @param b              out: the bias [1]
 * @param k_used         out (may be NULL): the largest k_mean used [h/Mpc]
 * @param st             status
 * @return 0 or HP_ERR_INPUT (no usable bin, non-positive ratio)
 */
int hp_stats_linear_bias(const hp_stats_pk *paa, const hp_stats_pk *pmm, double k_bias,
                         int subtract_shot, double *b, double *k_used, hp_status *st);

/**
 * T, r_c and s of the baseline b_lin * m against a (see above).
 * @param paa, pmm, pam  spectra of a, of m, and their cross spectrum
 * @param b              linear bias (hp_stats_linear_bias)
 * @param subtract_shot  1: use P_aa - shot
 * @param out            allocated by the call
 * @param st             status
 */
int hp_stats_cross_baseline(const hp_stats_pk *paa, const hp_stats_pk *pmm, const hp_stats_pk *pam,
                            double b, int subtract_shot, hp_stats_cross *out, hp_status *st);

#endif
