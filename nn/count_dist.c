/* The count distribution of a voxel given the painted mean: Poisson or CMP (count_dist.h). */
#include "nn/count_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAIL 40.0       /* terms below e^-40 of the largest are dropped */
#define LNMU_LO (-16.0) /* table range in ln mu: 1.1e-7 ... HP_CMP_MU_MAX */
#define PER_UNIT 128    /* table points per unit of ln mu */

void hp_count_dist_poisson(hp_count_dist *d, int nbins) {
  memset(d, 0, sizeof *d);
  d->kind = HP_COUNT_POISSON;
  d->nbins = nbins;
}

const char *hp_count_kind_name(int kind) {
  return kind == HP_COUNT_CMP_STEP ? "cmp-step" : kind == HP_COUNT_CMP ? "cmp" : "poisson";
}

int hp_count_kind_parse(const char *name) {
  if (!strcmp(name, "poisson")) return HP_COUNT_POISSON;
  if (!strcmp(name, "cmp")) return HP_COUNT_CMP;
  if (!strcmp(name, "cmp-step")) return HP_COUNT_CMP_STEP;
  return -1;
}

int hp_count_dist_check(const hp_count_dist *d, const char *where, hp_status *st) {
  if (d->kind != HP_COUNT_POISSON && !hp_count_is_cmp(d->kind))
    return hp_fail(st, HP_ERR_FORMAT, "%s: unknown count distribution %d", where, d->kind);
  if (d->nbins < 1 || d->nbins > HP_NET_MAX_K)
    return hp_fail(st, HP_ERR_FORMAT, "%s: %d mass bins in the count distribution", where,
                   d->nbins);
  for (int k = 0; k < d->nbins; k++)
    if (!isfinite(d->a[k]) || !isfinite(d->b[k]) || fabs(d->a[k]) > 100 || fabs(d->b[k]) > 100)
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: dispersion of bin %d (a = %g, b = %g) must be finite, |a|, |b| <= 100",
                     where, k, d->a[k], d->b[k]);
  for (int k = 0; k < d->nbins; k++)
    if (!(fabs(d->step[k]) <= HP_CMP_STEP_MAX))
      return hp_fail(st, HP_ERR_FORMAT, "%s: group step of bin %d is %g, expected |kappa| <= %g",
                     where, k, d->step[k], HP_CMP_STEP_MAX);
  for (int k = 0; k < d->nbins; k++)
    if (!(d->run[k] >= 0 && d->run[k] <= HP_RUN_MAX_LENGTH))
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: exclusion run length of bin %d is %g, expected 0 (independent draws) "
                     "to %g",
                     where, k, d->run[k], HP_RUN_MAX_LENGTH);
  return HP_OK;
}

static double raw_lognu(const hp_count_dist *d, int k, double mu) {
  return d->a[k] + d->b[k] * log1p(mu);
}

double hp_count_lognu(const hp_count_dist *d, int k, double mu) {
  if (!hp_count_is_cmp(d->kind)) return 0.0;
  const double x = raw_lognu(d, k, mu);
  return x > HP_CMP_LNNU_MAX ? HP_CMP_LNNU_MAX : x < -HP_CMP_LNNU_MAX ? -HP_CMP_LNNU_MAX : x;
}

int hp_count_lognu_clamped(const hp_count_dist *d, int k, double mu) {
  return hp_count_is_cmp(d->kind) && fabs(raw_lognu(d, k, mu)) > HP_CMP_LNNU_MAX;
}

double hp_count_step(const hp_count_dist *d, int k) {
  return d->kind == HP_COUNT_CMP_STEP ? d->step[k] : 0.0;
}

void hp_cmp_moments_at(double lnlam, double nu, double kappa, hp_cmp_moments *m) {
  /* t_j = j ln(lambda) - nu ln(j!) - kappa [j >= 2] falls for ever beyond CMP's mode (the step
   * is a constant from j = 2 on): sum with a running maximum M, every sum kept relative to
   * exp(M); sg, s5: the terms with j >= 2; q0, q1: those of j = 0, 1 */
  double M = 0, s0 = 1, s1 = 0, s2 = 0, s3 = 0, s4 = 0, sg = 0, s5 = 0, q0 = 1, q1 = 0, t = 0,
         lf = 0;
  const double mode = exp(lnlam / nu);
  for (int j = 1; j < HP_CMP_MAX_TERMS; j++) {
    const double lj = log((double)j);
    t += lnlam - nu * lj - (j == 2 ? kappa : 0);
    lf += lj;
    if (t > M) {
      const double r = exp(M - t);
      s0 *= r, s1 *= r, s2 *= r, s3 *= r, s4 *= r, sg *= r, s5 *= r, q0 *= r, q1 *= r;
      M = t;
    }
    const double w = exp(t - M);
    s0 += w;
    s1 += w * j;
    s2 += w * (double)j * j;
    s3 += w * lf;
    s4 += w * j * lf;
    if (j >= 2) sg += w, s5 += w * j;
    if (j == 1) q1 = w;
    if ((double)j > mode && j > 2 && t < M - TAIL) break;
  }
  m->lnz = M + log(s0);
  m->mean = s1 / s0;
  m->var = s2 / s0 - m->mean * m->mean;
  if (m->var < 0) m->var = 0;
  m->elf = s3 / s0;
  m->cov = s4 / s0 - m->mean * m->elf;
  m->eg = sg / s0;
  /* Cov(n, [n >= 2]) = E[n [n >= 2]] - mean P(n >= 2) = mean (P0 + P1) - P1: the form without
   * cancellation, the first where groups are rare, the second where they are common */
  m->covg = m->eg < 0.5 ? s5 / s0 - m->mean * m->eg : m->mean * (q0 + q1) / s0 - q1 / s0;
}

double hp_cmp_lnlambda(double mu, double nu, double kappa) {
  const double c = mu + (nu - 1) / (2 * nu); /* E[n] ~ lambda^(1/nu) - (nu - 1)/(2 nu) */
  double x = mu < 0.5 || c <= 0.25 ? log(mu) : nu * log(c);
  for (int it = 0; it < 200; it++) {
    hp_cmp_moments m;
    hp_cmp_moments_at(x, nu, kappa, &m);
    const double g = m.mean - mu;
    if (fabs(g) <= 1e-13 * mu) break;
    double step = m.var > 0 ? g / m.var : (g > 0 ? 1 : -1);
    if (step > 2) step = 2;
    if (step < -2) step = -2;
    x -= step;
  }
  return x;
}

double hp_cmp_nll(double lnlam, double nu, double kappa, const hp_cmp_moments *m, int64_t n) {
  return -(double)n * lnlam + nu * lgamma((double)n + 1) + (n >= 2 ? kappa : 0) + m->lnz;
}

/* ---------------------------------------------------------------------------------------- */
/* Tables for drawing counts. */

/* Where P(N = 0) is bounded below without a logarithm: means mu < 1 by their binary exponent,
 * [2^-64, 1) in 64 octaves (smaller means use the lowest). */
#define P0_OCTAVES 64

struct hp_count_table {
  hp_count_dist d;
  int n;                    /* points per bin */
  double *lnlam, *lnz, *nu; /* [K][n] */
  double *p0_lo;            /* [K][P0_OCTAVES]: P(N = 0) >= this for every mean of the octave */
};

void hp_count_table_destroy(hp_count_table *t) {
  if (!t) return;
  free(t->lnlam);
  free(t->lnz);
  free(t->nu);
  free(t->p0_lo);
  free(t);
}

static void lookup(const hp_count_table *t, int k, double mu, double *lnlam, double *lnz,
                   double *nu);

/* ln Z of bin k at mean mu as a draw takes it (mu <= 1: the table, linear in ln mu). */
static double lnz_at(const hp_count_table *t, int k, double mu) {
  double lnlam, lnz, nu;
  lookup(t, k, mu, &lnlam, &lnz, &nu);
  return lnz;
}

/* The lower bounds on P(N = 0) = exp(-ln Z) per octave of the mean. The interpolated ln Z is
 * piecewise linear, so its largest value over an octave is at an end or at a table point
 * within; the factor keeps the bound below the draw's own rounding of exp(-ln Z). */
static int p0_bounds(hp_count_table *t) {
  const int K = t->d.nbins;
  t->p0_lo = malloc(sizeof *t->p0_lo * (size_t)(K * P0_OCTAVES));
  if (!t->p0_lo) return 1;
  for (int k = 0; k < K; k++)
    for (int j = 0; j < P0_OCTAVES; j++) {
      const double lo = ldexp(1.0, j - P0_OCTAVES), hi = 2 * lo;
      double top = fmax(lnz_at(t, k, j == 0 ? 0x1p-1074 : lo), lnz_at(t, k, hi));
      /* the table points of the octave: an index range one wider each side, then checked */
      const int i0 = (int)fmax(0, floor((log(lo) - LNMU_LO) * PER_UNIT) - 1),
                i1 = (int)fmin(t->n - 1, ceil((log(hi) - LNMU_LO) * PER_UNIT) + 1);
      for (int i = i0; i <= i1; i++) {
        const double mu = exp(LNMU_LO + (double)i / PER_UNIT);
        if (mu >= lo && mu <= hi) top = fmax(top, t->lnz[k * t->n + i]);
      }
      t->p0_lo[k * P0_OCTAVES + j] = exp(-top) * (1 - 1e-12);
    }
  return 0;
}

/* A lower bound on P(N = 0) at mean mu, from the binary exponent of mu: 0 where none. */
static inline double p0_lower(const hp_count_table *t, int k, double mu) {
  if (!(mu < 1)) return 0;
  if (!hp_count_is_cmp(t->d.kind)) return (1 - mu) * (1 - 1e-12); /* exp(-mu) >= 1 - mu */
  uint64_t b;
  memcpy(&b, &mu, sizeof b);
  const int e = (int)((b >> 52) & 0x7ff) - 1023; /* mu in [2^e, 2^(e + 1)) */
  return t->p0_lo[k * P0_OCTAVES + (e < -P0_OCTAVES ? 0 : e + P0_OCTAVES)];
}

int hp_count_table_create(hp_count_table **out, const hp_count_dist *d, hp_status *st) {
  *out = NULL;
  if (hp_count_dist_check(d, "count distribution", st)) return st->code;
  hp_count_table *t = calloc(1, sizeof *t);
  if (!t) return hp_fail(st, HP_ERR_NOMEM, "count tables");
  t->d = *d;
  if (hp_count_is_cmp(d->kind)) {
    t->n = (int)ceil((log(HP_CMP_MU_MAX) - LNMU_LO) * PER_UNIT) + 1;
    const size_t sz = sizeof(double) * (size_t)(t->n * d->nbins);
    t->lnlam = malloc(sz), t->lnz = malloc(sz), t->nu = malloc(sz);
    if (!t->lnlam || !t->lnz || !t->nu) {
      hp_count_table_destroy(t);
      return hp_fail(st, HP_ERR_NOMEM, "count tables");
    }
    for (int k = 0; k < d->nbins; k++)
#pragma omp parallel for schedule(dynamic, 16)
      for (int i = 0; i < t->n; i++) {
        const double mu = exp(LNMU_LO + (double)i / PER_UNIT);
        const double nu = exp(hp_count_lognu(d, k, mu)), kappa = hp_count_step(d, k);
        const double x = hp_cmp_lnlambda(mu, nu, kappa);
        hp_cmp_moments m;
        hp_cmp_moments_at(x, nu, kappa, &m);
        t->lnlam[k * t->n + i] = x;
        t->lnz[k * t->n + i] = m.lnz;
        t->nu[k * t->n + i] = nu;
      }
    if (p0_bounds(t)) {
      hp_count_table_destroy(t);
      return hp_fail(st, HP_ERR_NOMEM, "count tables");
    }
  }
  *out = t;
  return HP_OK;
}

/* ln lambda, ln Z and nu of bin k at mean mu (mu <= HP_CMP_MU_MAX), linear in ln mu. */
static void lookup(const hp_count_table *t, int k, double mu, double *lnlam, double *lnz,
                   double *nu) {
  const double *L = t->lnlam + k * t->n, *Z = t->lnz + k * t->n, *N = t->nu + k * t->n;
  const double u = (log(mu) - LNMU_LO) * PER_UNIT;
  if (u <= 0) { /* lambda ~ mu, Z ~ 1 + lambda: scale the first point */
    *lnlam = L[0] + log(mu) - LNMU_LO;
    *lnz = log1p(exp(*lnlam));
    *nu = N[0];
    return;
  }
  int i = (int)u;
  if (i >= t->n - 1) i = t->n - 2;
  const double f = u - i;
  *lnlam = L[i] + f * (L[i + 1] - L[i]);
  *lnz = Z[i] + f * (Z[i + 1] - Z[i]);
  *nu = N[i] + f * (N[i + 1] - N[i]);
}

static int64_t poisson_draw(double lambda, double u) {
  if (lambda > 50) { /* normal approximation by bisection of the normal CDF (one uniform) */
    double lo = -40, hi = 40;
    for (int i = 0; i < 100; i++) {
      const double mid = 0.5 * (lo + hi);
      if (0.5 * erfc(-mid / sqrt(2.0)) < u)
        lo = mid;
      else
        hi = mid;
    }
    const double n = floor(lambda + sqrt(lambda) * 0.5 * (lo + hi) + 0.5);
    return n < 0 ? 0 : n > 9e15 ? (int64_t)9e15 : (int64_t)n;
  }
  double p = exp(-lambda), F = p; /* inversion of the CDF */
  int64_t n = 0;
  while (u > F && n < 100000) {
    n++;
    p *= lambda / (double)n;
    F += p;
    if (p < 1e-300 && (double)n > lambda) break;
  }
  return n;
}

int64_t hp_poisson_draw(double lambda, double u) {
  if (!(lambda > 0) || u < (1 - lambda) * (1 - 1e-12)) return 0; /* exp(-lambda) >= 1 - lambda */
  return poisson_draw(lambda, u);
}

/* ln lambda and ln Z of CMP bin k at mean 0 < mu <= HP_CMP_MU_MAX, and its nu. */
static void cmp_params(const hp_count_table *t, int k, double mu, double *lnlam, double *lnz,
                       double *nu) {
  lookup(t, k, mu, lnlam, lnz, nu);
  if (mu > 1) { /* ln Z grows like mu: its interpolation error would bias the CDF; sum it */
    hp_cmp_moments m;
    hp_cmp_moments_at(*lnlam, *nu, hp_count_step(&t->d, k), &m);
    *lnz = m.lnz;
  }
}

int64_t hp_count_draw_p0(const hp_count_table *t, int k, double mu, double u, double *p0) {
  if (!(mu > 0)) {
    *p0 = 1;
    return 0;
  }
  if (!hp_count_is_cmp(t->d.kind) || mu > HP_CMP_MU_MAX) {
    *p0 = exp(-mu);
    return poisson_draw(mu, u);
  }
  double lnlam, lnz, nu;
  cmp_params(t, k, mu, &lnlam, &lnz, &nu);
  double F = exp(-lnz), tj = 0;
  *p0 = F;
  if (u < F) return 0;
  const double mode = exp(lnlam / nu), kappa = hp_count_step(&t->d, k);
  for (int j = 1; j < HP_CMP_MAX_TERMS; j++) {
    tj += lnlam - nu * log((double)j) - (j == 2 ? kappa : 0);
    const double p = exp(tj - lnz);
    F += p;
    if (u < F || ((double)j > mode && p < 1e-17)) return j;
  }
  return HP_CMP_MAX_TERMS;
}

int64_t hp_count_draw(const hp_count_table *t, int k, double mu, double u) {
  if (u < p0_lower(t, k, mu)) return 0; /* most voxels: the same 0, without log and exp */
  double p0;
  return hp_count_draw_p0(t, k, mu, u, &p0);
}

double hp_count_pmf(const hp_count_table *t, int k, double mu, int64_t n) {
  if (n < 0) return 0;
  if (!(mu > 0)) return n == 0;
  if (!hp_count_is_cmp(t->d.kind) || mu > HP_CMP_MU_MAX)
    return exp((double)n * log(mu) - mu - lgamma((double)n + 1));
  double lnlam, lnz, nu;
  cmp_params(t, k, mu, &lnlam, &lnz, &nu);
  return exp((double)n * lnlam - nu * lgamma((double)n + 1) -
             (n >= 2 ? hp_count_step(&t->d, k) : 0) - lnz);
}

int hp_count_expected_cells(const hp_count_table *t, int k, const float *mu, int64_t nvox, int nmax,
                            double *h, int nthreads, hp_status *st) {
  enum { CHUNK = 16384 }; /* partial sums of fixed chunks, added in order: any thread count */
  const int64_t nchunk = (nvox + CHUNK - 1) / CHUNK;
  double *part = calloc((size_t)nchunk * (size_t)(nmax + 1) + 1, sizeof *part);
  double *lnfact = malloc((size_t)(nmax + 1) * sizeof *lnfact); /* ln n!, outside the threads */
  if (!part || !lnfact) {
    free(part);
    free(lnfact);
    return hp_fail(st, HP_ERR_NOMEM, "expected counts in cells: %lld partial sums",
                   (long long)nchunk);
  }
  for (int n = 0; n <= nmax; n++) lnfact[n] = lgamma((double)n + 1);
  const int cmp = hp_count_is_cmp(t->d.kind);
  const double kappa = hp_count_step(&t->d, k);
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
  for (int64_t c = 0; c < nchunk; c++) {
    double *q = part + c * (nmax + 1);
    const int64_t end = (c + 1) * CHUNK < nvox ? (c + 1) * CHUNK : nvox;
    for (int64_t v = c * CHUNK; v < end; v++) {
      const double m = mu[v];
      if (!(m > 0)) {
        q[0] += 1;
        continue;
      }
      double lnlam = log(m), lnz = m, nu = 1, step = 0; /* Poisson */
      if (cmp && m <= HP_CMP_MU_MAX) cmp_params(t, k, m, &lnlam, &lnz, &nu), step = kappa;
      for (int n = 0; n < nmax; n++)
        q[n] += exp((double)n * lnlam - nu * lnfact[n] - (n >= 2 ? step : 0) - lnz);
      /* the tail summed term by term: 1 - the others would carry their rounding */
      const double mode = exp(lnlam / nu);
      double lp = (double)nmax * lnlam - nu * lnfact[nmax] - (nmax >= 2 ? step : 0) - lnz;
      for (int n = nmax; n < HP_CMP_MAX_TERMS; n++) {
        if (n > nmax) lp += lnlam - nu * log((double)n) - (n == 2 ? step : 0);
        const double p = exp(lp);
        q[nmax] += p;
        if ((double)n > mode && p < 1e-17) break;
      }
    }
  }
  for (int n = 0; n <= nmax; n++) h[n] = 0;
  for (int64_t c = 0; c < nchunk; c++)
    for (int n = 0; n <= nmax; n++) h[n] += part[c * (nmax + 1) + n];
  free(part);
  free(lnfact);
  return HP_OK;
}

double hp_count_variance(const hp_count_table *t, int k, double mu) {
  if (!(mu > 0)) return 0;
  if (!hp_count_is_cmp(t->d.kind) || mu > HP_CMP_MU_MAX) return mu;
  double lnlam, lnz, nu;
  lookup(t, k, mu, &lnlam, &lnz, &nu);
  hp_cmp_moments m;
  hp_cmp_moments_at(lnlam, nu, hp_count_step(&t->d, k), &m);
  return m.var;
}
