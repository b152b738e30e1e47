/**
 * @file count_dist.h
 * @brief The distribution of a voxel's halo count given the painted mean: Poisson, or the
 *        mean-parameterised Conway-Maxwell-Poisson (CMP) with a dispersion per mass bin.
 *
 * The painter's output is the mean count mu of a voxel and mass bin. Real halo counts at fixed
 * mean are not Poisson: massive halos exclude each other (sub-Poisson), light ones sit in
 * environments the mean does not resolve (super-Poisson). CMP covers both with one parameter:
 *
 *   P(n) = lambda^n / (n!)^nu / Z(lambda, nu),   Z = sum_j lambda^j / (j!)^nu,
 *
 * nu > 1 sub-Poisson, nu < 1 super-Poisson, nu = 1 Poisson (lambda = mu). The support is all
 * n >= 0 whatever nu (a binomial's bounded support would give observed counts zero
 * probability). We keep the mean as the painted quantity: lambda is solved from E[n] = mu.
 * The dispersion of bin k is a smooth function of the mean,
 *
 *   ln nu = a_k + b_k ln(1 + mu),   clamped to |ln nu| <= HP_CMP_LNNU_MAX,
 *
 * fitted by maximum likelihood on the training boxes after the mean network is trained
 * (train/dispersion.h): the Poisson likelihood the network is trained with gives the right
 * conditional mean whatever the true dispersion, so the two fits separate.
 *
 * CMP's one shape parameter ties the pairs to the triples: at the same mean and variance the
 * truth's lightest bin has fewer voxels with two halos and more with three (a voxel holds one
 * halo, or a group). "cmp-step" adds a group step kappa_k per bin,
 *
 *   P(n) = lambda^n / (n!)^nu exp(-kappa [n >= 2]) / Z,
 *
 * the log-odds against a voxel holding more than one halo beyond CMP's (kappa = 0 is CMP);
 * lambda is again solved from E[n] = mu.
 */
#ifndef HP_COUNT_DIST_H
#define HP_COUNT_DIST_H

#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Ordered by generality: each law is the next with a parameter at 0. */
enum hp_count_kind { HP_COUNT_POISSON = 0, HP_COUNT_CMP = 1, HP_COUNT_CMP_STEP = 2 };

/** CMP with or without the group step. */
static inline int hp_count_is_cmp(int kind) {
  return kind == HP_COUNT_CMP || kind == HP_COUNT_CMP_STEP;
}

#define HP_CMP_LNNU_MAX 3.0   /**< |ln nu| bound: nu in [0.05, 20] */
#define HP_CMP_MU_MAX 200.0   /**< largest mean the CMP code handles (painted means are O(1)) */
#define HP_CMP_MAX_TERMS 4096 /**< most terms of a CMP sum */
#define HP_RUN_MAX_LENGTH 4.0 /**< largest exclusion run length a model may carry */
#define HP_CMP_STEP_MAX 8.0   /**< |kappa| bound of the group step */

/** A model's count distribution (stored in the model file, docs/model-format.md). */
typedef struct hp_count_dist {
  int kind;                  /**< enum hp_count_kind */
  int nbins;                 /**< mass bins K */
  double a[HP_NET_MAX_K];    /**< ln nu at mu = 0, per bin (CMP) */
  double b[HP_NET_MAX_K];    /**< d ln nu / d ln(1 + mu), per bin (CMP) */
  double step[HP_NET_MAX_K]; /**< group step kappa per bin (cmp-step; 0 for the others) */
  /** Exclusion: run length per bin (nn/count_runs.h), 0 = counts drawn independently. */
  double run[HP_NET_MAX_K];
} hp_count_dist;

/** Moments of CMP(lambda, nu): everything the likelihood, its gradients and the fits need. */
typedef struct hp_cmp_moments {
  double lnz;  /**< ln Z */
  double mean; /**< E[n] */
  double var;  /**< Var[n] */
  double elf;  /**< E[ln n!] */
  double cov;  /**< Cov(n, ln n!) */
  double eg;   /**< P(n >= 2), the group indicator's mean */
  double covg; /**< Cov(n, [n >= 2]) */
} hp_cmp_moments;

/** Poisson for @p nbins bins (a = b = 0). */
void hp_count_dist_poisson(hp_count_dist *d, int nbins);
/** "poisson", "cmp" or "cmp-step". */
const char *hp_count_kind_name(int kind);
/** Kind from its name; -1 if unknown. */
int hp_count_kind_parse(const char *name);
/** Every parameter finite and the kind known; a message naming @p where otherwise. */
int hp_count_dist_check(const hp_count_dist *d, const char *where, hp_status *st);

/** ln nu of bin @p k at mean @p mu (0 for Poisson). */
double hp_count_lognu(const hp_count_dist *d, int k, double mu);
/** 1 where the clamp of ln nu is active (no gradient with respect to a, b there). */
int hp_count_lognu_clamped(const hp_count_dist *d, int k, double mu);
/** The group step kappa of bin @p k (0 unless cmp-step). */
double hp_count_step(const hp_count_dist *d, int k);

/** Moments of CMP(exp(lnlam), nu) with group step @p kappa by direct summation (double). */
void hp_cmp_moments_at(double lnlam, double nu, double kappa, hp_cmp_moments *m);
/** ln lambda with E[n] = mu for this nu, kappa (Newton on ln lambda); mu in (0, HP_CMP_MU_MAX]. */
double hp_cmp_lnlambda(double mu, double nu, double kappa);
/** -ln P(n) of CMP(exp(lnlam), nu) with group step @p kappa, given its moments. */
double hp_cmp_nll(double lnlam, double nu, double kappa, const hp_cmp_moments *m, int64_t n);

/**
 * Per bin, tables of ln lambda(mu) and ln Z(mu) on a grid in ln mu, so that drawing a count
 * costs one interpolation and, for most voxels (P(0) close to 1), one exponential.
 */
typedef struct hp_count_table hp_count_table;
int hp_count_table_create(hp_count_table **out, const hp_count_dist *d, hp_status *st);
void hp_count_table_destroy(hp_count_table *t);
/** A Poisson count of mean @p lambda from one uniform @p u in [0, 1) (inverse CDF; normal
 * approximation above 50). */
int64_t hp_poisson_draw(double lambda, double u);
/** The count of bin @p k for mean @p mu from one uniform @p u in [0, 1) (inverse CDF). */
int64_t hp_count_draw(const hp_count_table *t, int k, double mu, double u);
/** hp_count_draw, and P(0) of that distribution into *p0 from the same table lookup. */
int64_t hp_count_draw_p0(const hp_count_table *t, int k, double mu, double u, double *p0);
/** P(n) of bin @p k at mean @p mu (from the tables; tests: hp_count_expected_cells sums it). */
double hp_count_pmf(const hp_count_table *t, int k, double mu, int64_t n);
/**
 * Expected counts in cells of bin @p k: h[n] = sum over the @p nvox voxels of P(n | mu_v) for
 * n < @p nmax, h[nmax] that of P(n >= nmax) (h holds nmax + 1). The one-point PDF the sampler
 * draws from, without a draw's noise (exclusion runs keep every voxel's distribution). The same
 * bits for any @p nthreads. @return HP_OK or HP_ERR_NOMEM.
 */
int hp_count_expected_cells(const hp_count_table *t, int k, const float *mu, int64_t nvox, int nmax,
                            double *h, int nthreads, hp_status *st);
/** Var[n] of bin @p k at mean @p mu. */
double hp_count_variance(const hp_count_table *t, int k, double mu);

#ifdef __cplusplus
}
#endif

#endif
