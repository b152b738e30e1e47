/**
 * @file power.h
 * @brief Linear matter power spectrum at z = 0: Eisenstein & Hu (1998) transfer functions (with
 *        and without baryon wiggles), tabulated spectra or transfer functions read from a text
 *        file, and the sigma8 normalisation.
 *
 * Conventions (shared/DESIGN.md): k in h/Mpc, P(k) in (Mpc/h)^3, R in Mpc/h, z = 0,
 * P(k) = A k^n_s T(k)^2 with T(k -> 0) = 1 and k in h/Mpc (so the pivot is 1 h/Mpc), and
 * sigma^2(R) = (1/2 pi^2) int dk k^2 P(k) W^2(kR) with the real-space top hat
 * W(x) = 3 (sin x - x cos x) / x^3. The amplitude A is always fixed by sigma(8 Mpc/h) = sigma8,
 * using the same T as the P it normalises.
 *
 * EH98: Eisenstein & Hu 1998, ApJ 496, 605, with the conventions of the authors' tf_fit.c
 * (see docs/cosmology.md): T_cmb enters through Theta = T_cmb / 2.7; 2.5e4 omega_m Theta^-4 is used
 * as z_eq in R_eq and as 1 + z_eq in y; q = k / (13.41 k_eq) everywhere, including the no-wiggle
 * fit where q_eff = q omega_m / (Gamma_eff h).
 *
 * Every function in this file is thread-safe on a const object: objects are immutable after
 * creation.
 */
#ifndef HP_POWER_H
#define HP_POWER_H

#include <stddef.h>

#include "util/status.h"

/** Which linear spectrum to use. 0 is the default (EH98 with wiggles). */
enum hp_power_kind {
  HP_POWER_EH98 = 0,          /**< EH98 full fit, with baryon acoustic wiggles (eq. 16-24) */
  HP_POWER_EH98_NOWIGGLE = 1, /**< EH98 no-wiggle fit (eq. 26, 28-31), tf_fit.c q convention */
  HP_POWER_FILE = 2           /**< tabulated spectrum or transfer function from a text file */
};

/** What a tabulated file's value column holds. */
enum hp_pfile_type {
  HP_PFILE_PK = 0, /**< P(k) in (Mpc/h)^3 (shape only: the amplitude is set by sigma8) */
  HP_PFILE_TK = 1  /**< T(k), any constant factor (normalised by its smallest-k value) */
};

/** Derived EH98 scalars for one cosmology (tf_fit.c names in brackets). Lengths in Mpc. */
typedef struct hp_eh98 {
  double h;                 /**< Hubble parameter H0 / (100 km/s/Mpc) [1] */
  double omhh;              /**< omega_m = Omega_m h^2 [1] */
  double obhh;              /**< omega_b = Omega_b h^2 [1] */
  double f_baryon;          /**< Omega_b / Omega_m [1] */
  double theta_cmb;         /**< T_cmb / 2.7 K [1] */
  double z_equality;        /**< 2.5e4 omega_m Theta^-4, used as 1 + z_eq [1] */
  double k_equality;        /**< k_eq = 0.0746 omega_m Theta^-2 [1/Mpc] */
  double z_drag;            /**< drag-epoch redshift z_d [1] */
  double r_drag;            /**< R_d, baryon-to-photon momentum ratio at z_d [1] */
  double r_equality;        /**< R_eq, the same at z_eq [1] */
  double sound_horizon;     /**< s, sound horizon at the drag epoch [Mpc] */
  double k_silk;            /**< Silk damping scale [1/Mpc] */
  double alpha_c;           /**< CDM suppression [1] */
  double beta_c;            /**< CDM log shift [1] */
  double alpha_b;           /**< baryon suppression [1] */
  double beta_b;            /**< baryon envelope shift [1] */
  double beta_node;         /**< sound horizon shift [1] */
  double sound_horizon_fit; /**< s from the fit eq. 26 (no-wiggle form) [Mpc] */
  double alpha_gamma;       /**< alpha_Gamma of eq. 31 (no-wiggle form) [1] */
} hp_eh98;

/**
 * @brief Compute the EH98 scalars for one cosmology.
 * @param eh       filled on success
 * @param omega_m  Omega_m today (> 0)
 * @param omega_b  Omega_b today (0 <= omega_b < omega_m; > 0 for the wiggle fit)
 * @param h        H0 / (100 km/s/Mpc) (> 0)
 * @param t_cmb    CMB temperature [K] (> 0; 2.7255 is the modern value)
 * @param st       status, filled on failure
 * @return 0 or HP_ERR_INPUT (a parameter out of range; the message names it).
 */
int hp_eh98_init(hp_eh98 *eh, double omega_m, double omega_b, double h, double t_cmb,
                 hp_status *st);

/**
 * @brief EH98 transfer function with baryon wiggles (tf_fit.c TFfit_onek), z = 0.
 * @param k wavenumber [h/Mpc]; k <= 0 returns 1 (the k -> 0 limit)
 * @return T(k) [1], T -> 1 as k -> 0. Needs omega_b > 0: with omega_b = 0 the sound horizon is
 *         undefined and the result is NaN (use the no-wiggle form).
 */
double hp_eh98_transfer(const hp_eh98 *eh, double k);

/**
 * @brief EH98 no-wiggle transfer function (eq. 26, 28-31) with tf_fit.c's
 *        q_eff = k / (13.41 k_eq) * omega_m / (Gamma_eff h).
 * @param k wavenumber [h/Mpc]; k <= 0 returns 1
 * @return T(k) [1].
 */
double hp_eh98_transfer_nowiggle(const hp_eh98 *eh, double k);

/** A tabulated function y(k) > 0, interpolated as a cubic spline of ln y against ln k. */
typedef struct hp_ktable hp_ktable;

/**
 * @brief Build a table from arrays (copied).
 *
 * Interpolation is a natural cubic spline in (ln k, ln y). Outside [k[0], k[n-1]] the function
 * is extrapolated as a power law through the first two (below) or last two (above) points.
 * @param out  receives the table (free with hp_ktable_free)
 * @param k    n strictly increasing positive wavenumbers [h/Mpc]
 * @param y    n positive values
 * @param n    number of points (>= 4)
 * @param what what the table holds, for messages ("P(k)", "T(k)")
 * @param st   status
 * @return 0, HP_ERR_INPUT (n < 4, k not positive or not increasing, y not positive) or
 *         HP_ERR_NOMEM.
 */
int hp_ktable_create(hp_ktable **out, const double *k, const double *y, size_t n, const char *what,
                     hp_status *st);

/**
 * @brief Read a table from a whitespace-separated text file.
 *
 * Lines that are blank or whose first non-blank character is '#' or '%' are skipped. Column 1
 * is k [h/Mpc]; @p column (1-based, >= 2) holds the value; columns after @p column are ignored.
 * Every error message names the file and, where one applies, the line: missing or unreadable
 * file, non-numeric (or non-finite) entry, too few columns, k not strictly increasing, k or value
 * not positive, fewer than 4 data rows.
 * @param out    receives the table
 * @param path   file name
 * @param column 1-based column holding the value (>= 2)
 * @param what   what the column holds, for messages ("P(k)", "T(k)")
 * @param st     status
 * @return 0, HP_ERR_IO, HP_ERR_FORMAT, HP_ERR_INPUT (bad column) or HP_ERR_NOMEM.
 */
int hp_ktable_load(hp_ktable **out, const char *path, int column, const char *what, hp_status *st);

/** Free a table (NULL is allowed). */
void hp_ktable_free(hp_ktable *t);

/**
 * @brief Evaluate the table: spline inside, power law outside.
 * @param k wavenumber [h/Mpc], > 0 (k <= 0 returns NaN)
 */
double hp_ktable_eval(const hp_ktable *t, double k);

/** Number of rows, and the first and last k [h/Mpc] of a table (any pointer may be NULL). */
void hp_ktable_range(const hp_ktable *t, size_t *n, double *kmin, double *kmax);

/** Real-space spherical top hat in Fourier space, W(x) = 3 (sin x - x cos x) / x^3, W(0) = 1. */
double hp_tophat_window(double x);

/**
 * @brief Top-hat variance of any spectrum at radius R:
 *        sigma^2(R) = (1/2 pi^2) int dlnk k^3 P(k) W^2(kR).
 *
 * Composite 32-point Gauss-Legendre on 2000 equal segments in ln k over [1e-9, 1e5] h/Mpc
 * (the reference values' rule at half the segments; against closed forms it is accurate to
 * 3e-13 for 0.5 <= R <= 512 Mpc/h).
 * @param pk  P(k) [(Mpc/h)^3] as a function of k [h/Mpc]
 * @param ctx passed to pk
 * @param R   radius [Mpc/h] (> 0)
 * @return sigma^2(R) [1].
 */
double hp_sigma2_tophat(double (*pk)(const void *ctx, double k), const void *ctx, double R);

/** What a spectrum is made from (the power-related subset of the cosmology descriptor). */
typedef struct hp_power_desc {
  int kind;         /**< enum hp_power_kind */
  double omega_m;   /**< Omega_m today [1] (EH98 kinds) */
  double omega_b;   /**< Omega_b today [1] (EH98 kinds) */
  double h;         /**< H0 / (100 km/s/Mpc) [1] (EH98 kinds) */
  double t_cmb;     /**< CMB temperature [K] (EH98 kinds) */
  double n_s;       /**< primordial index [1] (EH98 and T files; ignored for P files) */
  double sigma8;    /**< target sigma(8 Mpc/h) at z = 0 [1] */
  const char *file; /**< tabulated file (HP_POWER_FILE), borrowed during create only */
  int file_type;    /**< enum hp_pfile_type */
  int file_column;  /**< 1-based column of P or T (k is column 1); 0 selects 2 */
} hp_power_desc;

/** A sigma8-normalised linear spectrum at z = 0 (opaque, immutable). */
typedef struct hp_power hp_power;

/**
 * @brief Create a normalised linear spectrum.
 *
 * EH98 kinds: P = A k^n_s T_EH^2. T file: P = A k^n_s T^2 with T divided by its first
 * (smallest-k) value. P file: the shape is the file's P (n_s is not used for the shape);
 * T(k) is then defined as sqrt(P(k) k1^n_s / (k^n_s P(k1))) with k1 the first k of the file,
 * and A = P(k1) / k1^n_s times the sigma8 rescaling, so that P = A k^n_s T^2 still holds.
 * In all cases A is set by sigma(8 Mpc/h) = sigma8 (hp_sigma2_tophat).
 * @param out receives the object (free with hp_power_free)
 * @param d   descriptor
 * @param st  status
 * @return 0, HP_ERR_INPUT, HP_ERR_IO, HP_ERR_FORMAT, HP_ERR_NOMEM or HP_ERR_NUMERIC
 *         (the unnormalised sigma(8) is zero or not finite).
 */
int hp_power_create(hp_power **out, const hp_power_desc *d, hp_status *st);

/** Free a spectrum (NULL is allowed). */
void hp_power_free(hp_power *p);

/** Transfer function T(k) at z = 0 (k in h/Mpc; k <= 0 returns 1). */
double hp_power_transfer(const hp_power *p, double k);

/** Linear P(k) at z = 0 [(Mpc/h)^3], sigma8-normalised (k in h/Mpc; k <= 0 returns 0). */
double hp_power_eval(const hp_power *p, double k);

/** sigma(R) at z = 0 for the top hat of radius R [Mpc/h] (R > 0; otherwise NaN). */
double hp_power_sigma(const hp_power *p, double R);

/** The amplitude A in P = A k^n_s T^2 [(Mpc/h)^(3 + n_s)], k in h/Mpc. */
double hp_power_amplitude(const hp_power *p);

#endif
