/**
 * @file dispersion.h
 * @brief Fitting the count distribution (nn/count_dist.h) of a trained painter: the CMP
 *        dispersion ln nu = a_k + b_k ln(1 + mu) per mass bin, by maximum likelihood.
 *
 * The painted means mu of whole boxes and their true counts n are gathered in a histogram per
 * mass bin: voxels binned in ln mu (HP_DISP_DLNMU wide; each bin represented by the mean mu of
 * its voxels) times the count n. The likelihood of (a_k, b_k) is then a sum over a few hundred
 * mu bins instead of millions of voxels, and its gradient is exact for the histogram:
 *
 *   d(-ln P(n))/d nu |_mu = (mu - n) Cov(n, ln n!) / Var(n) + ln n! - E[ln n!]
 *
 * (the mean is held fixed, so ln lambda moves with nu by Cov / Var), times d nu / d(a, b); and
 * for the group step of cmp-step (nn/count_dist.h), with g = [n >= 2],
 *
 *   d(-ln P(n))/d kappa |_mu = (mu - n) Cov(n, g) / Var(n) + g(n) - E[g].
 */
#ifndef HP_TRAIN_DISPERSION_H
#define HP_TRAIN_DISPERSION_H

#include <stdint.h>

#include "nn/count_dist.h"
#include "nn/network.h"
#include "train/data.h"
#include "util/status.h"

#define HP_DISP_DLNMU 0.025     /**< width of the ln mu bins */
#define HP_DISP_LNMU_LO (-12.0) /**< lower edge; smaller means go to the first bin */
#define HP_DISP_BMAX 3.0        /**< fits keep |b| <= 3 and |a| <= HP_CMP_LNNU_MAX */
#define HP_DISP_NMAX 64 /**< counts >= NMAX are kept as NMAX - 1 (never reached in practice) */
#define HP_DISP_NPAR 3  /**< parameters of a bin's law: a, b, kappa */

/** Voxels of each mass bin, binned by painted mean and count. */
typedef struct hp_count_hist {
  int k;           /**< mass bins */
  int nmu;         /**< ln mu bins */
  double *nvox;    /**< [k][nmu] voxels */
  double *summu;   /**< [k][nmu] sum of their means */
  double *h;       /**< [k][nmu][HP_DISP_NMAX] voxels with count n */
  int64_t clipped; /**< counts clipped to NMAX - 1 */
} hp_count_hist;

int hp_count_hist_init(hp_count_hist *h, int k, hp_status *st);
void hp_count_hist_free(hp_count_hist *h);
/** Add @p count voxels of bin @p kb: painted means @p mu, true counts @p n. */
void hp_count_hist_add(hp_count_hist *h, int kb, const float *mu, const float *n, int64_t count);

/**
 * Negative log-likelihood per voxel of bin @p kb under @p d (Poisson, CMP or cmp-step; the
 * constant ln n! of Poisson included, so they compare), and when @p grad is not NULL its
 * gradient with respect to (a_kb, b_kb, kappa_kb) (the last 0 unless cmp-step).
 */
double hp_dispersion_nll(const hp_count_hist *h, int kb, const hp_count_dist *d,
                         double grad[HP_DISP_NPAR]);

/**
 * Fit (a_k, b_k), and kappa_k where @p kind is HP_COUNT_CMP_STEP, of every bin from Poisson
 * (all 0): Newton's method where the likelihood is convex, steepest descent where it is not,
 * both with a line search inside the bounds |a| <= HP_CMP_LNNU_MAX, |b| <= HP_DISP_BMAX,
 * |kappa| <= HP_CMP_STEP_MAX (where nu is clamped the likelihood is flat and nothing else would
 * stop b). d->kind = @p kind (HP_COUNT_CMP or HP_COUNT_CMP_STEP).
 */
int hp_dispersion_fit(const hp_count_hist *h, int kind, hp_count_dist *d, hp_status *st);

/** The exclusion runs' fit (train/runs_fit.c): the large-scale stochasticity (P_hh - P_hm^2 /
 *  P_mm) n of the training boxes' halos, over the modes of 16 voxels and longer, of the truth
 *  and of independent draws (1 for Poisson points following the matter), and the error of the
 *  truth's deficit (independent - truth) from its scatter over the boxes. */
typedef struct hp_runs_report {
  double truth[HP_NET_MAX_K], independent[HP_NET_MAX_K]; /**< NaN: boxes too small to fit */
  double deficit_err[HP_NET_MAX_K];                      /**< NaN: fewer than 2 boxes */
} hp_runs_report;

/**
 * Fit each bin's exclusion run length d->run[k] (nn/count_runs.h) in [0, 1] on the training
 * boxes of @p data, whose painted means are @p mus[box] (K x nv^3; NULL for validation boxes)
 * and whose count distribution's tables are @p t (NULL: Poisson): the length at which the
 * counts' large-scale stochasticity matches the truth's (0 where independent draws already
 * scatter less, or where the truth's deficit is within 2 errors of its mean over the boxes; one
 * box has no error: no runs).
 * Only whole training boxes count; without one every length stays 0.
 */
int hp_runs_fit(const hp_train_data *data, float *const *mus, const hp_count_table *t,
                hp_count_dist *d, hp_runs_report *rep, int nthreads, hp_status *st);

/** What the fit of a trained network gives, on the training and on the validation boxes. */
typedef struct hp_dispersion_report {
  int k;
  double nll_train_poisson[HP_NET_MAX_K], nll_train_cmp[HP_NET_MAX_K];
  double nll_val_poisson[HP_NET_MAX_K], nll_val_cmp[HP_NET_MAX_K]; /**< NaN without validation */
  double voxels_train, voxels_val;
  double scale[HP_NET_MAX_K]; /**< calibration: true / painted halos on the training boxes */
  hp_runs_report runs;        /**< the exclusion runs' fit */
} hp_dispersion_report;

/**
 * Paint every box of @p data whole (periodic) with @p net; if @p calibrate, calibrate each
 * bin's mean (the Poisson maximum-likelihood scale of the painted means on the training boxes,
 * sum n / sum mu: single-patch updates leave the overall level of the last iterate noisy),
 * written into the output layer of @p net (exact: the output ReLU is positively homogeneous;
 * otherwise rep->scale is 1 and the weights are untouched); then fit the
 * dispersion (@p kind: HP_COUNT_CMP or HP_COUNT_CMP_STEP) on the training boxes and score it on the
 * validation boxes; then fit the exclusion runs on the training boxes (hp_runs_fit).
 */
int hp_dispersion_fit_net(hp_net *net, const hp_train_data *data, int nthreads, int calibrate,
                          int kind, hp_count_dist *d, hp_dispersion_report *rep, hp_status *st);

#endif
