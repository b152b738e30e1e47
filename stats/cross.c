/*
 * Transfer function, cross-correlation coefficient and stochasticity of a model field against
 * a reference field, and the linear-bias baseline (cross.h; Kodi Ramanah, Charnock & Lavaux
 * 2019, PRD 100, 043515, section 4; Seljak, Hamaus & Desjacques 2009 for s(k)).
 */
#include "stats/cross.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hp_stats_cross_free(hp_stats_cross *c) {
  if (!c) return;
  free(c->k_mean);
  memset(c, 0, sizeof *c);
}

static int alloc_cross(hp_stats_cross *c, int nb, hp_status *st) {
  memset(c, 0, sizeof *c);
  double *buf = calloc((size_t)(5 * nb), sizeof *buf);
  if (!buf) return hp_fail(st, HP_ERR_NOMEM, "cross statistics: %d bins", nb);
  c->nbins = nb;
  c->k_mean = buf;
  c->t = buf + nb;
  c->r = buf + 2 * nb;
  c->s = buf + 3 * nb;
  c->r_err = buf + 4 * nb;
  return HP_OK;
}

static int same_bins(const hp_stats_pk *a, const hp_stats_pk *b, hp_status *st) {
  if (a->bins.nbins != b->bins.nbins || a->bins.log != b->bins.log ||
      a->bins.kmin != b->bins.kmin || a->bins.kmax != b->bins.kmax)
    return hp_fail(st, HP_ERR_INPUT, "cross statistics: the spectra have different k bins");
  return HP_OK;
}

static double auto_p(const hp_stats_pk *p, int i, int sub) {
  return sub ? p->p[i] - p->shot[i] : p->p[i];
}

/* Common core: T = sqrt(scale^2 Pbb/Paa), r = Pab/sqrt(Paa Pbb), s = Paa (1 - r^2). */
static int compute(const hp_stats_pk *paa, const hp_stats_pk *pbb, const hp_stats_pk *pab,
                   double scale, int sub, hp_stats_cross *out, hp_status *st) {
  if (same_bins(paa, pbb, st) || same_bins(paa, pab, st)) return st->code;
  const int nb = paa->bins.nbins;
  if (alloc_cross(out, nb, st)) return st->code;
  for (int i = 0; i < nb; i++) {
    const double a = auto_p(paa, i, sub), b = auto_p(pbb, i, sub), ab = pab->p[i];
    out->k_mean[i] = paa->k_mean[i];
    out->t[i] = a > 0 && b >= 0 ? scale * sqrt(b / a) : NAN;
    out->r[i] = a > 0 && b > 0 ? ab / sqrt(a * b) : NAN;
    out->s[i] = a * (1.0 - out->r[i] * out->r[i]);
    const double nm = (double)paa->nmodes[i];
    out->r_err[i] = nm > 0 ? (1.0 - out->r[i] * out->r[i]) / sqrt(nm / 2.0) : NAN;
  }
  return HP_OK;
}

int hp_stats_cross_from_pk(const hp_stats_pk *paa, const hp_stats_pk *pbb, const hp_stats_pk *pab,
                           int subtract_shot, hp_stats_cross *out, hp_status *st) {
  return compute(paa, pbb, pab, 1.0, subtract_shot, out, st);
}

int hp_stats_linear_bias(const hp_stats_pk *paa, const hp_stats_pk *pmm, double k_bias,
                         int subtract_shot, double *b, double *k_used, hp_status *st) {
  if (same_bins(paa, pmm, st)) return st->code;
  double num = 0.0, den = 0.0, kmax = 0.0;
  for (int i = 0; i < paa->bins.nbins; i++) {
    if (paa->nmodes[i] <= 0) continue;
    if (den > 0 && !(paa->k_mean[i] < k_bias)) break; /* bins are ordered in k */
    const double a = auto_p(paa, i, subtract_shot), m = pmm->p[i];
    if (!(m > 0))
      return hp_fail(st, HP_ERR_INPUT, "linear bias: matter power %g at k = %g is not positive", m,
                     paa->k_mean[i]);
    const double w = (double)paa->nmodes[i];
    num += w * a / m;
    den += w;
    kmax = paa->k_mean[i];
  }
  if (!(den > 0)) return hp_fail(st, HP_ERR_INPUT, "linear bias: no bin has modes");
  if (!(num > 0))
    return hp_fail(st, HP_ERR_INPUT,
                   "linear bias: the mean of P_hh/P_mm below k = %g h/Mpc is %g (not positive)",
                   kmax, num / den);
  *b = sqrt(num / den);
  if (k_used) *k_used = kmax;
  return HP_OK;
}

int hp_stats_cross_baseline(const hp_stats_pk *paa, const hp_stats_pk *pmm, const hp_stats_pk *pam,
                            double b, int subtract_shot, hp_stats_cross *out, hp_status *st) {
  if (!(b > 0) || !isfinite(b))
    return hp_fail(st, HP_ERR_INPUT, "baseline: linear bias %g must be finite and > 0", b);
  /* T = sqrt(b^2 Pmm / Paa); r and s do not depend on the scaling (matter has no shot noise) */
  return compute(paa, pmm, pam, b, subtract_shot, out, st);
}
