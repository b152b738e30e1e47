/**
 * @file halofit.h
 * @brief Nonlinear matter power spectrum from the linear one: halofit with the coefficients of
 *        Takahashi, Sato, Nishimichi, Taruya & Oguri (2012, ApJ 761, 152, appendix), on the
 *        form of Smith et al. (2003, MNRAS 341, 1311).
 *
 * With Delta_L^2(k) = k^3 P_lin(k, z) / (2 pi^2) and the Gaussian-filtered variance
 * sigma^2(R) = int Delta_L^2 exp(-k^2 R^2) dln k:
 *   k_sigma = 1/R where sigma(R) = 1;  n_eff = -3 - dln sigma^2/dln R;
 *   C = -d^2 ln sigma^2 / dln R^2 (both at R = 1/k_sigma);  y = k / k_sigma
 *   Delta_NL^2 = Delta_Q^2 + Delta_H^2
 *   Delta_Q^2 = Delta_L^2 [(1 + Delta_L^2)^beta / (1 + alpha Delta_L^2)] exp(-y/4 - y^2/8)
 *   Delta_H^2 = a y^(3 f1) / (1 + b y^f2 + (c f3 y)^(3 - gamma)) / (1 + mu/y + nu/y^2)
 * with a, b, c, gamma, alpha, beta, mu = 0, nu the Takahashi fits in n_eff and C (eqs. A6-A13,
 * w = -1), and f1, f2, f3 interpolated between the open (Omega_m^-0.0732, ^-0.1423, ^0.0725)
 * and flat-Lambda (Omega_m^-0.0307, ^-0.0585, ^0.0743) forms with Omega_L(z)/(1 - Omega_m(z)),
 * Omega_m and Omega_L at z. When sigma(R) < 1 at every R (very early times) the spectrum is
 * linear. Units: k in h/Mpc, P in (Mpc/h)^3. Radiation and neutrinos are neglected.
 * Takahashi et al. quote 5% accuracy for k < 1 h/Mpc at z <= 10 and 10% for k < 10 h/Mpc.
 */
#ifndef HP_HALOFIT_H
#define HP_HALOFIT_H

#include "lpt/cosmology.h"
#include "util/status.h"

/** The nonlinear scales of one redshift (fill with hp_halofit_init). */
typedef struct hp_halofit {
  const hp_cosmology *c; /**< the cosmology (borrowed) */
  double z;              /**< redshift [1] */
  double D1;             /**< linear growth at z, D1(0) = 1 [1] */
  int linear;            /**< 1 if sigma < 1 at every R: P_NL = P_lin */
  double k_sigma;        /**< nonlinear wavenumber 1/R(sigma = 1) [h/Mpc] */
  double n_eff;          /**< effective spectral index [1] */
  double C;              /**< spectral curvature [1] */
  double om_z, ol_z;     /**< Omega_m(z), Omega_L(z) [1] */
} hp_halofit;

/**
 * Compute k_sigma, n_eff and C at redshift @p z (>= 0) for the cosmology's linear spectrum.
 * @return 0, HP_ERR_INPUT (z < 0) or HP_ERR_NUMERIC (growth or root find failed)
 */
int hp_halofit_init(hp_halofit *h, const hp_cosmology *c, double z, hp_status *st);

/** Linear P(k) at the object's redshift [(Mpc/h)^3]. */
double hp_halofit_linear(const hp_halofit *h, double k);

/** Nonlinear P(k) at the object's redshift [(Mpc/h)^3] (k > 0 in h/Mpc; 0 for k <= 0). */
double hp_halofit_power(const hp_halofit *h, double k);

#endif
