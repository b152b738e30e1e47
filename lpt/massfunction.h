/**
 * @file massfunction.h
 * @brief Halo mass functions from the linear power spectrum: Tinker et al. (2008, ApJ 688, 709)
 *        for Delta = 200 times the mean density, and Sheth & Tormen (1999, MNRAS 308, 119).
 *
 *   dn/dlnM = f(sigma) (rho_m / M) |dln sigma / dln M|       [(Mpc/h)^-3]
 *   sigma(M, z) = D1(z) sigma_0(R),  M = 4/3 pi rho_m R^3,  rho_m = Omega_m rho_crit
 *   sigma_0^2(R) = 1/(2 pi^2) int dk k^2 P(k) W^2(kR),  W(x) = 3 (sin x - x cos x)/x^3
 *   Tinker 08 (Delta = 200 mean): f = A [(sigma/b)^-a + 1] exp(-c/sigma^2),
 *     A = 0.186 (1+z)^-0.14, a = 1.47 (1+z)^-0.06, b = 2.57 (1+z)^-alpha, c = 1.19,
 *     log10 alpha = -[0.75 / log10(200/75)]^1.2
 *   Sheth-Tormen: f = A sqrt(2a/pi) [1 + (a nu^2)^-p] nu exp(-a nu^2/2), nu = delta_c/sigma,
 *     A = 0.3222, a = 0.707, p = 0.3, delta_c = 1.686.
 *
 * Normalisation: Sheth-Tormen puts all the mass in halos (int f dln(1/sigma) = 1, so
 * int M dn/dlnM dlnM = rho_m over all masses; tested). Tinker's f is a fit to halos of
 * 1e10.5-1e15.5 Msun/h and is NOT normalised: its integral over all sigma is not 1 (it diverges
 * slowly as sigma -> infinity), so it must not be extrapolated far below that range.
 *
 * sigma_0 is tabulated at creation (trapezoid in ln k on 2^14 points of [1e-6, 1e5] h/Mpc,
 * 600 masses, cubic spline of ln sigma in ln M; accurate to ~1e-5, derivative ~1e-4), so that
 * evaluations are cheap (the catalogue sampler calls them often). Units: M in Msun/h,
 * rho_m in Msun/h / (Mpc/h)^3, densities in (Mpc/h)^-3.
 */
#ifndef HP_MASSFUNCTION_H
#define HP_MASSFUNCTION_H

#include <stdint.h>

#include "lpt/cosmology.h"
#include "util/status.h"

/** Mass function fits. */
typedef enum hp_mf_kind {
  HP_MF_TINKER08 = 0,    /**< Tinker et al. 2008, Delta = 200 x mean density */
  HP_MF_SHETH_TORMEN = 1 /**< Sheth & Tormen 1999 (FoF-like, b ~ 0.2) */
} hp_mf_kind;

/** Masses covered by the table [Msun/h]. */
#define HP_MF_MMIN 1e3
#define HP_MF_MMAX 1e18
/** Critical density today, h^2 Msun/Mpc^3 (as lpt/ic_write.h). */
#define HP_MF_RHO_CRIT 2.77536627e11

typedef struct hp_massfunc hp_massfunc;

/**
 * Tabulate sigma_0(M) for a cosmology (kept by pointer: @p c must outlive the object).
 * @return 0, HP_ERR_NOMEM or HP_ERR_NUMERIC (non-finite sigma).
 */
int hp_massfunc_create(hp_massfunc **out, const hp_cosmology *c, hp_status *st);
/** Free (NULL is fine). */
void hp_massfunc_free(hp_massfunc *m);

/** Mean matter density Omega_m rho_crit [Msun/h / (Mpc/h)^3]. */
double hp_massfunc_rho_m(const hp_massfunc *m);

/**
 * sigma_0(M) at z = 0 and dln sigma / dln M, from the table.
 * @return 0 or HP_ERR_INPUT (M outside [HP_MF_MMIN, HP_MF_MMAX] or not finite)
 */
int hp_massfunc_sigma(const hp_massfunc *m, double M, double *sigma, double *dlns_dlnm,
                      hp_status *st);

/**
 * Multiplicity f(sigma) of a fit at redshift z (Tinker's parameters evolve with z).
 * @return f, or NaN for an unknown kind or sigma <= 0
 */
double hp_massfunc_f(int kind, double sigma, double z);

/**
 * dn/dlnM [(Mpc/h)^-3] at @p n masses @p M (Msun/h) and redshift @p z (D1 from the cosmology).
 * @return 0, HP_ERR_INPUT (unknown kind, z < 0, a mass out of range) or HP_ERR_NUMERIC
 */
int hp_massfunc_dndlnm(const hp_massfunc *m, int kind, double z, const double *M, int64_t n,
                       double *out, hp_status *st);

/**
 * Number density of halos with M1 <= M < M2 [(Mpc/h)^-3] (Gauss-Legendre in ln M, 16 nodes per
 * factor e of mass, relative accuracy ~1e-8 for the smooth fits).
 */
int hp_massfunc_number(const hp_massfunc *m, int kind, double z, double M1, double M2, double *n,
                       hp_status *st);

/** A halo sampler's mass shape: Tinker et al. (2008) dn/dlnM at redshift z. */
typedef struct hp_mf_shape_ctx {
  hp_massfunc *mf;
  double z;
} hp_mf_shape_ctx;

/** dn/dlnM [(h/Mpc)^3] at mass @p m for @p ctx (an hp_mf_shape_ctx); NaN on failure. */
double hp_mf_shape(void *ctx, double m);

#endif
