/**
 * @file cosmology.h
 * @brief Background expansion, linear and second-order growth (D1, f1, D2, f2) and the linear
 *        power spectrum of a (possibly non-flat) Lambda-CDM cosmology.
 *
 * Background: E^2(a) = H^2/H0^2 = Omega_m a^-3 + Omega_k a^-2 + Omega_L, Omega_k = 1 - Omega_m -
 * Omega_L. Radiation and massive neutrinos are neglected in the background and in the growth
 * (T_cmb enters the EH98 transfer function only).
 *
 * Growth (Bouchet et al. 1995, A&A 296, 575; Scoccimarro 1998, MNRAS 299, 1097), x = ln a:
 *   D1'' + (2 + dlnE/dlna) D1' - 3/2 Omega_m(a) D1 = 0
 *   D2'' + (2 + dlnE/dlna) D2' - 3/2 Omega_m(a) D2 = -3/2 Omega_m(a) D1^2
 * growing mode from a = 1e-6 (D1 = a, D2 = -3/7 a^2, plus the first-order curvature correction),
 * normalised so that D1(a = 1) = 1 and D2 -> D2 / D1_raw(1)^2, hence D2 ~ -3/7 D1^2 < 0.
 * f1 = dlnD1/dlna > 0, f2 = dlnD2/dlna > 0.
 * With x = q + D1 psi1 + D2 psi2 the peculiar velocity is
 * v [km/s] = 100 a E(a) (f1 D1 psi1 + f2 D2 psi2), psi in Mpc/h.
 *
 * Units everywhere: k in h/Mpc, P in (Mpc/h)^3, R in Mpc/h. See docs/cosmology.md.
 *
 * The object is immutable after hp_cosmology_create; every function taking a const pointer is
 * thread-safe.
 */
#ifndef HP_COSMOLOGY_H
#define HP_COSMOLOGY_H

#include "lpt/power.h"
#include "util/status.h"

/** Cosmological parameters (N-GenIC parameter names in brackets). */
typedef struct hp_cosmo_desc {
  double omega_m;         /**< [Omega0] matter density today, Omega_m > 0 [1] */
  double omega_l;         /**< [OmegaLambda] Omega_Lambda today; Omega_k = 1 - Om - OL [1] */
  double omega_b;         /**< [OmegaBaryon] baryon density today, 0 <= Ob < Om [1] */
  double h;               /**< [HubbleParam] H0 / (100 km/s/Mpc) [1] */
  double sigma8;          /**< [Sigma8] rms linear density in 8 Mpc/h top hats at z = 0 [1] */
  double n_s;             /**< [PrimordialIndex] primordial spectral index [1] */
  double t_cmb;           /**< [CMBTemperature] CMB temperature today [K] (EH98 only) */
  int power;              /**< enum hp_power_kind: HP_POWER_EH98 (0), _EH98_NOWIGGLE, _FILE */
  const char *power_file; /**< tabulated file when power == HP_POWER_FILE (copied) */
  int power_file_type;    /**< enum hp_pfile_type: HP_PFILE_PK (k, P) or HP_PFILE_TK (k, T) */
  int power_file_column;  /**< 1-based column of P or T, k is column 1; 0 selects column 2 */
} hp_cosmo_desc;

/** A cosmology: background, growth normalisation and normalised linear spectrum (opaque). */
typedef struct hp_cosmology hp_cosmology;

/** Growth factors at one scale factor (all dimensionless). */
typedef struct hp_growth {
  double D1; /**< linear growth factor, D1(a = 1) = 1 [1] */
  double f1; /**< dlnD1/dlna [1] */
  double D2; /**< second-order growth factor, ~ -3/7 D1^2 (negative) [1] */
  double f2; /**< dlnD2/dlna [1] */
} hp_growth;

/** Earliest scale factor of the growth integration (matter domination assumed before it). */
#define HP_GROWTH_A_INIT 1e-6

/**
 * @brief Validate a descriptor, build the spectrum (reading the file if any), normalise it to
 *        sigma8, and the growth normalisation D1_raw(a = 1).
 *
 * Refused (HP_ERR_INPUT, message naming the parameter): non-finite values, Omega_m <= 0,
 * Omega_b outside [0, Omega_m), h <= 0, sigma8 <= 0, T_cmb <= 0 for EH98, Omega_b = 0 with the
 * wiggle fit, and any (closed or Omega_L < 0) cosmology whose E^2(a) is not positive for all
 * 0 < a <= 1 (it recollapses or bounces before today).
 * @param out receives the object (NULL on failure); free with hp_cosmology_free
 * @param d   parameters; d->power_file is copied, d itself is not kept
 * @param st  status
 * @return 0, HP_ERR_INPUT, HP_ERR_IO or HP_ERR_FORMAT (power file), HP_ERR_NOMEM,
 *         HP_ERR_NUMERIC (growth integration or sigma8 normalisation failed).
 */
int hp_cosmology_create(hp_cosmology **out, const hp_cosmo_desc *d, hp_status *st);

/** Free a cosmology (NULL is allowed). */
void hp_cosmology_free(hp_cosmology *c);

/**
 * @brief The parameters the object was created with (power_file points to the object's copy,
 *        NULL unless power == HP_POWER_FILE; column 0 is reported as 2). Valid until free.
 */
const hp_cosmo_desc *hp_cosmo_params(const hp_cosmology *c);

/** Omega_k = 1 - Omega_m - Omega_L [1]. */
double hp_cosmo_omega_k(const hp_cosmology *c);

/**
 * @brief Dimensionless Hubble rate E(a) = H(a)/H0 = sqrt(Om a^-3 + Ok a^-2 + OL).
 * @param a scale factor (> 0; any a > 0 is allowed, also a > 1)
 * @return E(a) [1], or NaN for a <= 0 or where E^2 <= 0 (only possible for a > 1 in an accepted
 *         cosmology).
 */
double hp_cosmo_E(const hp_cosmology *c, double a);

/** Omega_m(a) = Omega_m a^-3 / E^2(a) [1] (a > 0; NaN otherwise). */
double hp_cosmo_omega_m_a(const hp_cosmology *c, double a);

/**
 * @brief Growth factors D1, f1, D2, f2 at scale factor a.
 *
 * Integrates the growth ODEs (GSL rk8pd, relative tolerance 1e-12) from a = 1e-6 to a on each
 * call (about 35 us; no table, no interpolation error). For 0 < a < 1e-6 the growing-mode
 * series the integration starts from is returned (D1 = a (1 - 4/7 kappa a) / u(1),
 * D2 = -3/7 a^2 (1 - 10/9 kappa a) / u(1)^2, kappa = Omega_k / Omega_m; error O(a^2)).
 * @param a  scale factor, 0 < a <= 1 (a > 1 is refused)
 * @param g  filled on success
 * @param st status
 * @return 0, HP_ERR_INPUT (a out of range) or HP_ERR_NUMERIC (the integrator failed).
 */
int hp_cosmo_growth(const hp_cosmology *c, double a, hp_growth *g, hp_status *st);

/**
 * @brief Transfer function at z = 0, T(k -> 0) = 1 (k in h/Mpc; k <= 0 returns 1).
 *
 * EH98 kinds: the fit. T file: the file's T divided by its first value. P file:
 * sqrt[(P(k)/k^n_s) / (P(k1)/k1^n_s)], k1 the first k of the file. Files are interpolated by a
 * cubic spline in log-log and extrapolated beyond the table as power laws through the two end
 * points on each side.
 */
double hp_cosmo_transfer(const hp_cosmology *c, double k);

/** Linear P(k) at z = 0, sigma8-normalised [(Mpc/h)^3]; k in h/Mpc (k <= 0 returns 0). */
double hp_cosmo_power(const hp_cosmology *c, double k);

/** sigma(R) at z = 0 for a real-space top hat of radius R [Mpc/h] (R > 0, else NaN). */
double hp_cosmo_sigma(const hp_cosmology *c, double R);

/** A in P(k) = A k^n_s T(k)^2, k in h/Mpc [(Mpc/h)^(3 + n_s)]. */
double hp_cosmo_amplitude(const hp_cosmology *c);

/** The cosmology's spectrum, for code that works with hp_power directly (owned by c). */
const hp_power *hp_cosmo_spectrum(const hp_cosmology *c);

#endif
