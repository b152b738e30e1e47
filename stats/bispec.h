/**
 * @file bispec.h
 * @brief Bispectrum B(k1, k2, k3) by the FFT shell estimator (Scoccimarro 2000, ApJ 544, 597;
 *        Sefusatti et al. 2016), the reduced bispectrum Q, its shot noise and Gaussian error,
 *        and the tree-level perturbation-theory prediction (Fry 1984).
 *
 * Convention: <delta(k1) delta(k2) delta(k3)> = (2 pi)^3 delta_D(k1 + k2 + k3) B, so that on a
 * mesh <delta_1 delta_2 delta_3> = V B for closed triangles (delta in (Mpc/h)^3, B in
 * (Mpc/h)^6). A configuration is three shells of centres k1, k2, k3 and full width dk
 * (kc - dk/2 <= |k| < kc + dk/2); with I_i(x) = sum_{k in shell i} delta(k) e^{ik.x} and
 * N_i(x) the same with delta = 1 (inverse FFTs),
 *   B = sum_x I_1 I_2 I_3 / (V sum_x N_1 N_2 N_3),
 * N_tri = sum_x N_1 N_2 N_3 / n^3 being the number of closed (ordered) triangles. theta is the
 * angle between the vectors k1 and k2 of the shell centres, k3^2 = k1^2 + k2^2 + 2 k1 k2
 * cos(theta) (theta = 0: k3 = k1 + k2, folded; theta = pi: k3 = |k1 - k2|, squeezed).
 *
 * Shot noise (Poisson sample, unit weights): B_shot = (P1 + P2 + P3) S + S3 with P_i the
 * shot-subtracted shell powers, S the field's white shot noise and S3 = V^2 sum w^3/(sum w)^3
 * (= 1/nbar^2); exact for NGP without deconvolution, approximate otherwise (the shell powers
 * themselves subtract the aliased shot noise, field.h). Reduced bispectrum
 * Q = B / (P1 P2 + P2 P3 + P3 P1), both shot-subtracted or both raw. Gaussian error
 * sigma_B^2 = s V P1 P2 P3 / N_tri with raw shell powers and s = 6, 2, 1 for equilateral,
 * isosceles and general shells.
 *
 * Cost: 2 inverse FFTs per shell (data and counts); configurations that share (k1, k2) with
 * the previous one reuse the products I_1 I_2 and N_1 N_2, so a scan in theta costs 2 FFTs
 * per configuration plus 4 per (k1, k2). Memory: 3 padded meshes (12 n^3 bytes).
 */
#ifndef HP_STATS_BISPEC_H
#define HP_STATS_BISPEC_H

#include <stdint.h>

#include "stats/field.h"
#include "util/status.h"

/** One triangle configuration: shell centres [h/Mpc]. */
typedef struct hp_stats_bispec_config {
  double k1, k2, k3;
} hp_stats_bispec_config;

/** What the estimator returns for one configuration. */
typedef struct hp_stats_bispec_result {
  double k1, k2, k3;    /**< shell centres [h/Mpc] */
  double theta;         /**< angle between k1 and k2 [rad] (NaN if not a triangle) */
  double km1, km2, km3; /**< mean |k| of each shell's modes [h/Mpc] */
  double p1, p2, p3;    /**< raw power in each shell [(Mpc/h)^3] */
  double s1, s2, s3;    /**< aliased shot noise of each shell [(Mpc/h)^3] */
  double b;             /**< bispectrum, shot noise included [(Mpc/h)^6] */
  double b_shot;        /**< its Poisson shot noise [(Mpc/h)^6] (0 without shot noise) */
  double q;             /**< reduced bispectrum [1] */
  double b_err;         /**< Gaussian standard error of b [(Mpc/h)^6] */
  double n_tri;         /**< closed ordered triangles of modes in the three shells */
} hp_stats_bispec_result;

/** Opaque bispectrum plan. */
typedef struct hp_stats_bispec hp_stats_bispec;

/**
 * Allocate the three padded meshes and plan the inverse FFT.
 * @param out       receives the plan
 * @param n         mesh side
 * @param box       box side [Mpc/h]
 * @param nthreads  threads (<= 0: all); results do not depend on it
 * @param st        status
 * @return 0, HP_ERR_INPUT, HP_ERR_NOMEM or HP_ERR_INTERNAL
 */
int hp_stats_bispec_create(hp_stats_bispec **out, int64_t n, double box, int nthreads,
                           hp_status *st);

/** Free a plan (NULL is allowed). */
void hp_stats_bispec_destroy(hp_stats_bispec *b);

/**
 * Estimate B for @p ncfg configurations of a field.
 * @param b              plan (same n and box as the field)
 * @param f              field
 * @param cfg            configurations; consecutive ones with equal (k1, k2) share work
 * @param ncfg           how many
 * @param dk             shell width [h/Mpc] (> 0; at least the fundamental 2 pi/L is sensible)
 * @param subtract_shot  1: Q from shot-subtracted B and P
 * @param out            ncfg results
 * @param st             status
 * @return 0 or HP_ERR_INPUT (mismatch, bad shells: k - dk/2 < 0 or k + dk/2 beyond the mesh)
 */
int hp_stats_bispec_execute(hp_stats_bispec *b, const hp_stats_field *f,
                            const hp_stats_bispec_config *cfg, int ncfg, double dk,
                            int subtract_shot, hp_stats_bispec_result *out, hp_status *st);

/** The configuration with |k1| = k1, |k2| = k2 and angle theta [rad] between them. */
hp_stats_bispec_config hp_stats_bispec_config_theta(double k1, double k2, double theta);

/**
 * Second-order PT kernel F2(k1, k2) = 5/7 + mu/2 (k1/k2 + k2/k1) + 2/7 mu^2, mu the cosine of
 * the angle between the vectors.
 */
double hp_stats_f2(double k1, double k2, double mu);

/**
 * Tree-level bispectrum of a closed triangle of sides k1, k2, k3 [h/Mpc] with linear powers
 * p1, p2, p3 [(Mpc/h)^3]: 2 F2(k1,k2) p1 p2 + 2 F2(k2,k3) p2 p3 + 2 F2(k3,k1) p3 p1
 * [(Mpc/h)^6]. NaN if the sides do not close.
 */
double hp_stats_bispec_tree(double k1, double k2, double k3, double p1, double p2, double p3);

#endif
