/*
 * Halo mass functions: Tinker et al. 2008 (ApJ 688, 709, Table 2 and eqs. 3, 5-8, Delta = 200
 * times the mean density) and Sheth & Tormen 1999 (MNRAS 308, 119), from sigma(M) of the linear
 * spectrum with the real-space top hat. sigma_0 and dln sigma/dln R are integrated together
 * (trapezoid in ln k, spectrally accurate for an integrand that vanishes at both ends) at 600
 * masses; ln sigma is interpolated by cubic Hermite with the exact slopes, the slope linearly.
 */
#include "lpt/massfunction.h"

#include <math.h>
#include <stdlib.h>

#define MF_NM 600    /* masses in the table */
#define MF_NK 8192   /* k nodes of the sigma integral */
#define MF_KMIN 1e-6 /* h/Mpc */
#define MF_KMAX 1e5  /* h/Mpc */
#define MF_GL 8      /* Gauss-Legendre nodes per segment of hp_massfunc_number */
#define MF_DELTA_C 1.686

struct hp_massfunc {
  const hp_cosmology *c;
  double rho_m;        /* Msun/h / (Mpc/h)^3 */
  double lnm0, dlnm;   /* table: ln M_i = lnm0 + i dlnm */
  double lns[MF_NM];   /* ln sigma_0 */
  double slope[MF_NM]; /* dln sigma / dln M */
};

/* Top hat W(x) and x dW/dx, with series for small x. */
static void tophat(double x, double *w, double *xdw) {
  if (x < 1e-3) {
    const double x2 = x * x;
    *w = 1.0 - x2 / 10.0;
    *xdw = -x2 / 5.0;
    return;
  }
  const double s = sin(x), c = cos(x), x3 = x * x * x;
  *w = 3.0 * (s - x * c) / x3;
  *xdw = 3.0 * ((x * x - 3.0) * s + 3.0 * x * c) / x3;
}

int hp_massfunc_create(hp_massfunc **out, const hp_cosmology *c, hp_status *st) {
  *out = NULL;
  hp_massfunc *m = calloc(1, sizeof *m);
  double *k3p = malloc(MF_NK * sizeof(double)), *kk = malloc(MF_NK * sizeof(double));
  if (!m || !k3p || !kk) {
    free(m);
    free(k3p);
    free(kk);
    return hp_fail(st, HP_ERR_NOMEM, "mass function: cannot allocate the sigma table");
  }
  m->c = c;
  m->rho_m = hp_cosmo_params(c)->omega_m * HP_MF_RHO_CRIT;
  const double lk0 = log(MF_KMIN), dlk = (log(MF_KMAX) - lk0) / (MF_NK - 1);
  for (int i = 0; i < MF_NK; i++) {
    kk[i] = exp(lk0 + i * dlk);
    k3p[i] = kk[i] * kk[i] * kk[i] * hp_cosmo_power(c, kk[i]) / (2.0 * M_PI * M_PI);
    if (i == 0 || i == MF_NK - 1) k3p[i] *= 0.5; /* trapezoid end weights */
  }
  m->lnm0 = log(HP_MF_MMIN);
  m->dlnm = (log(HP_MF_MMAX) - m->lnm0) / (MF_NM - 1);
  int bad = 0;
#pragma omp parallel for schedule(dynamic, 8) reduction(| : bad)
  for (int j = 0; j < MF_NM; j++) {
    const double M = exp(m->lnm0 + j * m->dlnm);
    const double R = cbrt(3.0 * M / (4.0 * M_PI * m->rho_m));
    double s2 = 0.0, ds2 = 0.0; /* sigma^2 and d sigma^2 / dln R */
    for (int i = 0; i < MF_NK; i++) {
      const double x = kk[i] * R;
      if (x > 2e4) break; /* W^2 < 1e-16 relative: the integrand is negligible */
      double w, xdw;
      tophat(x, &w, &xdw);
      s2 += k3p[i] * w * w;
      ds2 += k3p[i] * 2.0 * w * xdw;
    }
    s2 *= dlk;
    ds2 *= dlk;
    m->lns[j] = 0.5 * log(s2);
    m->slope[j] = ds2 / (2.0 * s2) / 3.0; /* dln sigma/dln M = (dln sigma^2/dln R) / 6 */
    if (!isfinite(m->lns[j]) || !isfinite(m->slope[j])) bad = 1;
  }
  free(k3p);
  free(kk);
  if (bad) {
    free(m);
    return hp_fail(st, HP_ERR_NUMERIC, "mass function: sigma(M) is not finite (power spectrum?)");
  }
  *out = m;
  return HP_OK;
}

void hp_massfunc_free(hp_massfunc *m) { free(m); }

double hp_massfunc_rho_m(const hp_massfunc *m) { return m->rho_m; }

int hp_massfunc_sigma(const hp_massfunc *m, double M, double *sigma, double *dlns_dlnm,
                      hp_status *st) {
  if (!(M >= HP_MF_MMIN * (1 - 1e-9) && M <= HP_MF_MMAX * (1 + 1e-9)))
    return hp_fail(st, HP_ERR_INPUT, "mass function: M = %g Msun/h outside [%g, %g]", M, HP_MF_MMIN,
                   HP_MF_MMAX);
  const double u = (log(M) - m->lnm0) / m->dlnm;
  int i = (int)floor(u);
  if (i >= MF_NM - 1) i = MF_NM - 2;
  if (i < 0) i = 0;
  const double t = u - i, h = m->dlnm;
  const double y0 = m->lns[i], y1 = m->lns[i + 1], d0 = m->slope[i] * h, d1 = m->slope[i + 1] * h;
  const double t2 = t * t, t3 = t2 * t;
  const double y = (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * y1 +
                   (t3 - t2) * d1;
  *sigma = exp(y);
  if (dlns_dlnm) *dlns_dlnm = (1 - t) * m->slope[i] + t * m->slope[i + 1];
  return HP_OK;
}

double hp_massfunc_f(int kind, double sigma, double z) {
  if (!(sigma > 0)) return NAN;
  if (kind == HP_MF_TINKER08) {
    const double alpha = pow(10.0, -pow(0.75 / log10(200.0 / 75.0), 1.2));
    const double A = 0.186 * pow(1 + z, -0.14), a = 1.47 * pow(1 + z, -0.06);
    const double b = 2.57 * pow(1 + z, -alpha), c = 1.19;
    return A * (pow(sigma / b, -a) + 1.0) * exp(-c / (sigma * sigma));
  }
  if (kind == HP_MF_SHETH_TORMEN) {
    const double A = 0.3222, a = 0.707, p = 0.3, nu = MF_DELTA_C / sigma;
    return A * sqrt(2 * a / M_PI) * (1 + pow(a * nu * nu, -p)) * nu * exp(-0.5 * a * nu * nu);
  }
  return NAN;
}

int hp_massfunc_dndlnm(const hp_massfunc *m, int kind, double z, const double *M, int64_t n,
                       double *out, hp_status *st) {
  if (kind != HP_MF_TINKER08 && kind != HP_MF_SHETH_TORMEN)
    return hp_fail(st, HP_ERR_INPUT, "mass function: unknown kind %d", kind);
  if (!(z >= 0)) return hp_fail(st, HP_ERR_INPUT, "mass function: z = %g must be >= 0", z);
  hp_growth g;
  if (hp_cosmo_growth(m->c, 1 / (1 + z), &g, st)) return hp_error_context(st, "mass function");
  for (int64_t i = 0; i < n; i++) {
    double s, slope;
    if (hp_massfunc_sigma(m, M[i], &s, &slope, st)) return st->code;
    out[i] = hp_massfunc_f(kind, s * g.D1, z) * m->rho_m / M[i] * fabs(slope);
  }
  return HP_OK;
}

int hp_massfunc_number(const hp_massfunc *m, int kind, double z, double M1, double M2, double *n,
                       hp_status *st) {
  /* 8-point Gauss-Legendre nodes and weights on [-1, 1] */
  static const double x[MF_GL] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
                                  -0.1834346424956498, 0.1834346424956498,  0.5255324099163290,
                                  0.7966664774136267,  0.9602898564975363};
  static const double w[MF_GL] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
                                  0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                                  0.2223810344533745, 0.1012285362903763};
  *n = 0;
  if (!(M2 >= M1)) return hp_fail(st, HP_ERR_INPUT, "mass function: bin [%g, %g) is empty", M1, M2);
  const double l1 = log(M1), l2 = log(M2);
  const int nseg = 1 + (int)(2.0 * (l2 - l1));
  const double d = (l2 - l1) / nseg;
  double Ms[MF_GL], v[MF_GL], sum = 0;
  for (int s = 0; s < nseg; s++) {
    const double c = l1 + (s + 0.5) * d;
    for (int i = 0; i < MF_GL; i++) Ms[i] = exp(c + 0.5 * d * x[i]);
    if (hp_massfunc_dndlnm(m, kind, z, Ms, MF_GL, v, st)) return st->code;
    for (int i = 0; i < MF_GL; i++) sum += 0.5 * d * w[i] * v[i];
  }
  *n = sum;
  return HP_OK;
}

double hp_mf_shape(void *ctx, double m) {
  const hp_mf_shape_ctx *c = ctx;
  double out;
  hp_status st;
  return hp_massfunc_dndlnm(c->mf, HP_MF_TINKER08, c->z, &m, 1, &out, &st) ? NAN : out;
}
