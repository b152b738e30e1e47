/*
 * Halofit (Smith et al. 2003) with the revised coefficients of Takahashi et al. 2012 (ApJ 761,
 * 152, eqs. A6-A13). The Gaussian-filtered variance and its first two ln R derivatives are
 * integrated by the trapezoid rule in ln k (spectrally accurate: the integrand vanishes at both
 * ends); the root sigma(R) = 1 is found by bisection in ln R refined by Newton steps.
 */
#include "lpt/halofit.h"

#include <math.h>

#define HF_NK 4096
#define HF_KMIN 1e-6 /* h/Mpc */

/* sigma^2(R) and its first and second derivatives in ln R, at D1 = h->D1. */
static void sigma2(const hp_halofit *h, double R, double *s0, double *s1, double *s2) {
  const double lk0 = log(HF_KMIN), lk1 = log(30.0 / R); /* exp(-900): nothing beyond */
  const double d = (lk1 - lk0) / (HF_NK - 1), g2 = h->D1 * h->D1;
  double a0 = 0, a1 = 0, a2 = 0;
  for (int i = 0; i < HF_NK; i++) {
    const double k = exp(lk0 + i * d), x2 = k * k * R * R;
    double v = k * k * k * hp_cosmo_power(h->c, k) * g2 / (2 * M_PI * M_PI) * exp(-x2);
    if (i == 0 || i == HF_NK - 1) v *= 0.5;
    a0 += v;
    a1 += v * (-2.0 * x2);
    a2 += v * (4.0 * x2 * x2 - 4.0 * x2);
  }
  *s0 = a0 * d;
  *s1 = a1 * d;
  *s2 = a2 * d;
}

int hp_halofit_init(hp_halofit *h, const hp_cosmology *c, double z, hp_status *st) {
  if (!(z >= 0)) return hp_fail(st, HP_ERR_INPUT, "halofit: z = %g must be >= 0", z);
  hp_growth g;
  const double a = 1 / (1 + z);
  if (hp_cosmo_growth(c, a, &g, st)) return hp_error_context(st, "halofit");
  h->c = c;
  h->z = z;
  h->D1 = g.D1;
  const double E2 = hp_cosmo_E(c, a) * hp_cosmo_E(c, a);
  h->om_z = hp_cosmo_omega_m_a(c, a);
  h->ol_z = hp_cosmo_params(c)->omega_l / E2;
  h->linear = 0;
  double s0, s1, s2;
  double lo = log(1e-4), hi = log(1e3); /* R in Mpc/h */
  sigma2(h, exp(lo), &s0, &s1, &s2);
  if (s0 < 1) { /* linear at every scale */
    h->linear = 1;
    h->k_sigma = h->n_eff = h->C = NAN;
    return HP_OK;
  }
  for (int it = 0; it < 60; it++) { /* sigma^2 decreases with R */
    const double mid = 0.5 * (lo + hi);
    sigma2(h, exp(mid), &s0, &s1, &s2);
    if (s0 > 1)
      lo = mid;
    else
      hi = mid;
    if (hi - lo < 1e-6) break;
  }
  double lr = 0.5 * (lo + hi);
  for (int it = 0; it < 3; it++) { /* Newton on ln sigma^2(ln R) = 0 */
    sigma2(h, exp(lr), &s0, &s1, &s2);
    lr -= log(s0) / (s1 / s0);
  }
  sigma2(h, exp(lr), &s0, &s1, &s2);
  if (!(fabs(log(s0)) < 1e-8))
    return hp_fail(st, HP_ERR_NUMERIC, "halofit: no sigma(R) = 1 root found at z = %g", z);
  h->k_sigma = exp(-lr);
  const double dl = s1 / s0;           /* dln sigma^2 / dln R */
  const double d2 = s2 / s0 - dl * dl; /* d^2 ln sigma^2 / dln R^2 */
  h->n_eff = -3.0 - dl;
  h->C = -d2;
  return HP_OK;
}

double hp_halofit_linear(const hp_halofit *h, double k) {
  return k > 0 ? hp_cosmo_power(h->c, k) * h->D1 * h->D1 : 0.0;
}

double hp_halofit_power(const hp_halofit *h, double k) {
  const double pl = hp_halofit_linear(h, k);
  if (h->linear || !(k > 0)) return pl;
  const double n = h->n_eff, C = h->C, n2 = n * n, n3 = n2 * n, n4 = n2 * n2;
  const double an = pow(10, 1.5222 + 2.8553 * n + 2.3706 * n2 + 0.9903 * n3 + 0.2250 * n4 -
                                0.6038 * C); /* + 0.1749 Omega_de (1 + w), w = -1 */
  const double bn = pow(10, -0.5642 + 0.5864 * n + 0.5716 * n2 - 1.5474 * C);
  const double cn = pow(10, 0.3698 + 2.0404 * n + 0.8161 * n2 + 0.5869 * C);
  const double gam = 0.1971 - 0.0843 * n + 0.8460 * C;
  const double alpha = fabs(6.0835 + 1.3373 * n - 0.1959 * n2 - 5.5274 * C);
  const double beta = 2.0379 - 0.7354 * n + 0.3157 * n2 + 1.2490 * n3 + 0.3980 * n4 - 0.1682 * C;
  const double nu = pow(10, 5.2105 + 3.6902 * n); /* mu = 0 */
  const double om = h->om_z;
  double f1 = 1, f2 = 1, f3 = 1;
  if (fabs(1 - om) > 0.01) {
    const double frac = h->ol_z / (1 - om);
    f1 = frac * pow(om, -0.0307) + (1 - frac) * pow(om, -0.0732);
    f2 = frac * pow(om, -0.0585) + (1 - frac) * pow(om, -0.1423);
    f3 = frac * pow(om, 0.0743) + (1 - frac) * pow(om, 0.0725);
  }
  const double y = k / h->k_sigma, norm = k * k * k / (2 * M_PI * M_PI);
  const double dl = pl * norm;
  const double dq = dl * pow(1 + dl, beta) / (1 + alpha * dl) * exp(-y / 4 - y * y / 8);
  const double dh1 = an * pow(y, 3 * f1) / (1 + bn * pow(y, f2) + pow(cn * f3 * y, 3 - gam));
  const double dh = dh1 / (1 + nu / (y * y));
  return (dq + dh) / norm;
}
