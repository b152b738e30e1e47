/*
 * Linear matter power spectrum at z = 0.
 *
 * - Transfer functions of Eisenstein & Hu 1998 (ApJ 496, 605): the full fit with baryon
 *   oscillations (eq. 2-24) and the no-wiggle fit (eq. 26, 28-31), following the conventions of
 *   the authors' tf_fit.c (TFset_parameters / TFfit_onek / TFnowiggles): z_eq = 2.5e4 omega_m
 *   Theta^-4 is used as 1 + z_eq in y = z_eq / (1 + z_d); q = k / (13.41 k_eq) in every form,
 *   so the no-wiggle q_eff = q omega_m / (Gamma_eff h); e is exact. T_cmb is the caller's
 *   (2.7255 K today, not tf_fit.c's 2.728 default).
 * - Tabulated P(k) or T(k) files: natural cubic spline of ln y against ln k, power-law
 *   extrapolation through the two end points on either side.
 * - sigma8 normalisation: sigma^2(R) = (1/2 pi^2) int dlnk k^3 P W^2(kR), composite 32-point
 *   Gauss-Legendre on 2000 segments of ln k in [1e-9, 1e5] h/Mpc (the rule used for the
 *   reference values in shared/reference/README.md).
 *
 * Nothing here calls GSL, so nothing can reach GSL's error handler.
 */
#include "lpt/power.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define HP_E 2.71828182845904523536

/* ---------------------------------------------------------------------------------------------
 * Eisenstein & Hu 1998
 * ------------------------------------------------------------------------------------------- */

int hp_eh98_init(hp_eh98 *eh, double omega_m, double omega_b, double h, double t_cmb,
                 hp_status *st) {
  if (!(omega_m > 0.0) || !isfinite(omega_m))
    return hp_fail(st, HP_ERR_INPUT, "EH98: Omega_m = %g must be positive", omega_m);
  if (!(omega_b >= 0.0) || !(omega_b < omega_m))
    return hp_fail(st, HP_ERR_INPUT, "EH98: Omega_b = %g must be in [0, Omega_m = %g)", omega_b,
                   omega_m);
  if (!(h > 0.0) || !isfinite(h))
    return hp_fail(st, HP_ERR_INPUT, "EH98: h = %g must be positive", h);
  if (!(t_cmb > 0.0) || !isfinite(t_cmb))
    return hp_fail(st, HP_ERR_INPUT, "EH98: T_cmb = %g K must be positive (2.7255 today)", t_cmb);

  const double th = t_cmb / 2.7, th2 = th * th, th4 = th2 * th2;
  const double om = omega_m * h * h, ob = omega_b * h * h, fb = omega_b / omega_m;
  eh->h = h;
  eh->omhh = om;
  eh->obhh = ob;
  eh->f_baryon = fb;
  eh->theta_cmb = th;

  /* eq. 2-4: equality (tf_fit.c's z_equality is really 1 + z_eq) */
  eh->z_equality = 2.50e4 * om / th4;
  eh->k_equality = 0.0746 * om / th2;
  /* eq. 4: drag epoch */
  const double b1 = 0.313 * pow(om, -0.419) * (1.0 + 0.607 * pow(om, 0.674));
  const double b2 = 0.238 * pow(om, 0.223);
  eh->z_drag = 1291.0 * pow(om, 0.251) / (1.0 + 0.659 * pow(om, 0.828)) * (1.0 + b1 * pow(ob, b2));
  /* eq. 5 */
  eh->r_drag = 31.5 * ob / th4 * (1000.0 / (1.0 + eh->z_drag));
  eh->r_equality = 31.5 * ob / th4 * (1000.0 / eh->z_equality);
  /* eq. 6: sound horizon (NaN when omega_b = 0; only the wiggle fit uses it) */
  const double rd = eh->r_drag, req = eh->r_equality;
  eh->sound_horizon = 2.0 / (3.0 * eh->k_equality) * sqrt(6.0 / req) *
                      log((sqrt(1.0 + rd) + sqrt(rd + req)) / (1.0 + sqrt(req)));
  /* eq. 7 */
  eh->k_silk = 1.6 * pow(ob, 0.52) * pow(om, 0.73) * (1.0 + pow(10.4 * om, -0.95));
  /* eq. 11 */
  const double a1 = pow(46.9 * om, 0.670) * (1.0 + pow(32.1 * om, -0.532));
  const double a2 = pow(12.0 * om, 0.424) * (1.0 + pow(45.0 * om, -0.582));
  eh->alpha_c = pow(a1, -fb) * pow(a2, -fb * fb * fb);
  /* eq. 12 */
  const double bb1 = 0.944 / (1.0 + pow(458.0 * om, -0.708));
  const double bb2 = pow(0.395 * om, -0.0266);
  eh->beta_c = 1.0 / (1.0 + bb1 * (pow(1.0 - fb, bb2) - 1.0));
  /* eq. 14-15 */
  const double y = eh->z_equality / (1.0 + eh->z_drag);
  const double sq = sqrt(1.0 + y);
  const double gy = y * (-6.0 * sq + (2.0 + 3.0 * y) * log((sq + 1.0) / (sq - 1.0)));
  eh->alpha_b = 2.07 * eh->k_equality * eh->sound_horizon * pow(1.0 + rd, -0.75) * gy;
  /* eq. 23-24 */
  eh->beta_node = 8.41 * pow(om, 0.435);
  eh->beta_b = 0.5 + fb + (3.0 - 2.0 * fb) * sqrt(17.2 * om * 17.2 * om + 1.0);
  /* eq. 26 and 31 (no-wiggle) */
  eh->sound_horizon_fit = 44.5 * log(9.83 / om) / sqrt(1.0 + 10.0 * pow(ob, 0.75));
  eh->alpha_gamma = 1.0 - 0.328 * log(431.0 * om) * fb + 0.38 * log(22.3 * om) * fb * fb;
  return HP_OK;
}

/* eq. 19-20: T0(k; alpha, beta) with q = k / (13.41 k_eq) */
static double eh_t0(double q, double ln_beta, double alpha) {
  const double c = 14.2 / alpha + 386.0 / (1.0 + 69.9 * pow(q, 1.08));
  return ln_beta / (ln_beta + c * q * q);
}

/* sin(x)/x, accurate at small x */
static double sinc(double x) {
  if (fabs(x) < 1e-4) return 1.0 - x * x / 6.0;
  return sin(x) / x;
}

double hp_eh98_transfer(const hp_eh98 *eh, double k_hmpc) {
  if (!(k_hmpc > 0.0)) return 1.0;
  const double k = k_hmpc * eh->h; /* 1/Mpc */
  const double s = eh->sound_horizon, fb = eh->f_baryon;
  const double q = k / (13.41 * eh->k_equality);
  const double ks = k * s;

  /* CDM, eq. 17-18 */
  const double ln_beta = log(HP_E + 1.8 * eh->beta_c * q);
  const double f = 1.0 / (1.0 + pow(ks / 5.4, 4.0));
  const double t_c = f * eh_t0(q, ln_beta, 1.0) + (1.0 - f) * eh_t0(q, ln_beta, eh->alpha_c);

  /* baryons, eq. 21-22: s_tilde = s / [1 + (beta_node / ks)^3]^(1/3), written so that it
   * cannot overflow as k -> 0: k s_tilde = ks^2 / (ks^3 + beta_node^3)^(1/3) */
  const double bn = eh->beta_node;
  const double x_tilde = ks * ks / cbrt(ks * ks * ks + bn * bn * bn);
  const double ln_nobeta = log(HP_E + 1.8 * q);
  const double bb_ks = eh->beta_b / ks;
  const double t_b =
      (eh_t0(q, ln_nobeta, 1.0) / (1.0 + (ks / 5.2) * (ks / 5.2)) +
       eh->alpha_b / (1.0 + bb_ks * bb_ks * bb_ks) * exp(-pow(k / eh->k_silk, 1.4))) *
      sinc(x_tilde);
  return fb * t_b + (1.0 - fb) * t_c;
}

double hp_eh98_transfer_nowiggle(const hp_eh98 *eh, double k_hmpc) {
  if (!(k_hmpc > 0.0)) return 1.0;
  const double k = k_hmpc * eh->h; /* 1/Mpc */
  const double ag = eh->alpha_gamma;
  const double x = 0.43 * k * eh->sound_horizon_fit;
  const double x2 = x * x;
  /* eq. 30: Gamma_eff h / omega_m */
  const double gamma_ratio = ag + (1.0 - ag) / (1.0 + x2 * x2);
  /* tf_fit.c: q_eff = k / (13.41 k_eq) * omega_m / (Gamma_eff h) */
  const double q = k / (13.41 * eh->k_equality) / gamma_ratio;
  /* eq. 29 */
  const double l0 = log(2.0 * HP_E + 1.8 * q);
  const double c0 = 14.2 + 731.0 / (1.0 + 62.5 * q);
  return l0 / (l0 + c0 * q * q);
}

/* ---------------------------------------------------------------------------------------------
 * Tabulated functions: natural cubic spline of ln y against ln k
 * ------------------------------------------------------------------------------------------- */

struct hp_ktable {
  size_t n;  /* number of nodes (>= 4) */
  double *x; /* ln k [ln(h/Mpc)], strictly increasing */
  double *y; /* ln y */
  double *m; /* second derivatives d^2 y / dx^2 at the nodes (natural: m[0] = m[n-1] = 0) */
};

void hp_ktable_free(hp_ktable *t) {
  if (!t) return;
  free(t->x);
  free(t->y);
  free(t->m);
  free(t);
}

/* Second derivatives of the natural cubic spline through (x, y): tridiagonal solve (Thomas). */
static void spline_natural(size_t n, const double *x, const double *y, double *m, double *work) {
  /* unknowns m[1..n-2]; work holds the modified super-diagonal */
  m[0] = m[n - 1] = 0.0;
  for (size_t i = 1; i + 1 < n; i++) {
    const double h0 = x[i] - x[i - 1], h1 = x[i + 1] - x[i];
    const double rhs = 6.0 * ((y[i + 1] - y[i]) / h1 - (y[i] - y[i - 1]) / h0);
    const double diag = 2.0 * (h0 + h1);
    const double sub = (i > 1) ? h0 : 0.0;
    const double prev_w = (i > 1) ? work[i - 1] : 0.0;
    const double prev_m = (i > 1) ? m[i - 1] : 0.0;
    const double denom = diag - sub * prev_w;
    work[i] = h1 / denom;
    m[i] = (rhs - sub * prev_m) / denom;
  }
  /* back substitution (the last super-diagonal term multiplies m[n-1] = 0) */
  for (size_t i = n - 2; i >= 2; i--) m[i - 1] -= work[i - 1] * m[i];
}

int hp_ktable_create(hp_ktable **out, const double *k, const double *y, size_t n, const char *what,
                     hp_status *st) {
  *out = NULL;
  if (n < 4)
    return hp_fail(st, HP_ERR_INPUT, "%s table has %zu rows, at least 4 are needed", what, n);
  for (size_t i = 0; i < n; i++) {
    if (!(k[i] > 0.0) || !isfinite(k[i]))
      return hp_fail(st, HP_ERR_INPUT, "%s table row %zu: k = %g must be positive", what, i + 1,
                     k[i]);
    if (!(y[i] > 0.0) || !isfinite(y[i]))
      return hp_fail(st, HP_ERR_INPUT, "%s table row %zu: %s = %g must be positive", what, i + 1,
                     what, y[i]);
    if (i > 0 && !(k[i] > k[i - 1]))
      return hp_fail(st, HP_ERR_INPUT,
                     "%s table row %zu: k = %g is not larger than the previous k = %g", what, i + 1,
                     k[i], k[i - 1]);
  }
  hp_ktable *t = calloc(1, sizeof *t);
  double *work = malloc(n * sizeof *work);
  if (t) {
    t->n = n;
    t->x = malloc(n * sizeof *t->x);
    t->y = malloc(n * sizeof *t->y);
    t->m = malloc(n * sizeof *t->m);
  }
  if (!t || !work || !t->x || !t->y || !t->m) {
    hp_ktable_free(t);
    free(work);
    return hp_fail(st, HP_ERR_NOMEM, "cannot allocate a %s table of %zu rows", what, n);
  }
  for (size_t i = 0; i < n; i++) {
    t->x[i] = log(k[i]);
    t->y[i] = log(y[i]);
  }
  for (size_t i = 1; i < n; i++) {
    if (!(t->x[i] > t->x[i - 1])) {
      hp_ktable_free(t);
      free(work);
      return hp_fail(st, HP_ERR_INPUT,
                     "%s table row %zu: k = %.17g is too close to the previous k = %.17g", what,
                     i + 1, k[i], k[i - 1]);
    }
  }
  spline_natural(n, t->x, t->y, t->m, work);
  free(work);
  *out = t;
  return HP_OK;
}

double hp_ktable_eval(const hp_ktable *t, double k) {
  if (!(k > 0.0)) return NAN;
  const double x = log(k);
  const size_t n = t->n;
  const double *xs = t->x, *ys = t->y;
  if (x <= xs[0]) return exp(ys[0] + (ys[1] - ys[0]) / (xs[1] - xs[0]) * (x - xs[0]));
  if (x >= xs[n - 1])
    return exp(ys[n - 1] + (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2]) * (x - xs[n - 1]));
  size_t lo = 0, hi = n - 1; /* xs[lo] <= x < xs[hi] */
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (xs[mid] <= x)
      lo = mid;
    else
      hi = mid;
  }
  const double h = xs[hi] - xs[lo];
  const double b = (x - xs[lo]) / h, a = 1.0 - b;
  const double v = a * ys[lo] + b * ys[hi] +
                   ((a * a * a - a) * t->m[lo] + (b * b * b - b) * t->m[hi]) * (h * h) / 6.0;
  return exp(v);
}

void hp_ktable_range(const hp_ktable *t, size_t *n, double *kmin, double *kmax) {
  if (n) *n = t->n;
  if (kmin) *kmin = exp(t->x[0]);
  if (kmax) *kmax = exp(t->x[t->n - 1]);
}

/* Growable array of doubles. */
typedef struct dvec {
  double *v;
  size_t n, cap;
} dvec;

static int dvec_push(dvec *a, double x) {
  if (a->n == a->cap) {
    const size_t cap = a->cap ? 2 * a->cap : 256;
    double *v = realloc(a->v, cap * sizeof *v);
    if (!v) return -1;
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = x;
  return 0;
}

#define LINE_MAX_CHARS 8192

int hp_ktable_load(hp_ktable **out, const char *path, int column, const char *what, hp_status *st) {
  *out = NULL;
  if (!path || !path[0])
    return hp_fail(st, HP_ERR_INPUT, "no file name given for the tabulated %s", what);
  if (column < 2)
    return hp_fail(st, HP_ERR_INPUT,
                   "%s: the %s column is %d; it must be 2 or more (k is column 1)", path, what,
                   column);
  errno = 0;
  FILE *fp = fopen(path, "r");
  if (!fp)
    return hp_fail(st, HP_ERR_IO, "cannot open %s file %s: %s", what, path,
                   errno ? strerror(errno) : "unknown error");

  int rc = HP_OK;
  dvec ks = {0}, ys = {0};
  char *line = malloc(LINE_MAX_CHARS);
  if (!line) {
    rc = hp_fail(st, HP_ERR_NOMEM, "cannot allocate a line buffer to read %s", path);
    goto cleanup;
  }
  long lineno = 0;
  long prev_line = 0;
  while (fgets(line, LINE_MAX_CHARS, fp)) {
    lineno++;
    const size_t len = strlen(line);
    if (len == LINE_MAX_CHARS - 1 && line[len - 1] != '\n' && !feof(fp)) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %ld: longer than %d characters", path, lineno,
                   LINE_MAX_CHARS - 2);
      goto cleanup;
    }
    char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' || *p == '\f') p++;
    if (*p == '\0' || *p == '#' || *p == '%') continue;

    double kval = 0.0, yval = 0.0;
    for (int col = 1; col <= column; col++) {
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' || *p == '\f') p++;
      if (*p == '\0') {
        rc = hp_fail(st, HP_ERR_FORMAT, "%s line %ld: %d column%s, need at least %d (k, ..., %s)",
                     path, lineno, col - 1, col - 1 == 1 ? "" : "s", column, what);
        goto cleanup;
      }
      char *end = NULL;
      const double v = strtod(p, &end);
      const int sep = (*end == '\0' || *end == ' ' || *end == '\t' || *end == '\r' ||
                       *end == '\n' || *end == '\v' || *end == '\f');
      if (end == p || !sep || !isfinite(v)) {
        char tok[64];
        size_t m = 0;
        while (p[m] && p[m] != ' ' && p[m] != '\t' && p[m] != '\r' && p[m] != '\n' &&
               m + 1 < sizeof tok) {
          /* a binary file's bytes never reach the terminal */
          const unsigned char ch = (unsigned char)p[m];
          tok[m] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
          m++;
        }
        tok[m] = '\0';
        rc = hp_fail(st, HP_ERR_FORMAT, "%s line %ld, column %d: '%s' is not a finite number", path,
                     lineno, col, tok);
        goto cleanup;
      }
      if (col == 1) kval = v;
      if (col == column) yval = v;
      p = end;
    }
    if (!(kval > 0.0)) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %ld: k = %g must be positive", path, lineno, kval);
      goto cleanup;
    }
    if (!(yval > 0.0)) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %ld: %s = %g (column %d) must be positive", path,
                   lineno, what, yval, column);
      goto cleanup;
    }
    if (ks.n > 0 && !(kval > ks.v[ks.n - 1])) {
      rc = hp_fail(st, HP_ERR_FORMAT,
                   "%s line %ld: k = %g does not increase (previous data line %ld has k = %g); "
                   "k must be strictly increasing",
                   path, lineno, kval, prev_line, ks.v[ks.n - 1]);
      goto cleanup;
    }
    if (dvec_push(&ks, kval) || dvec_push(&ys, yval)) {
      rc = hp_fail(st, HP_ERR_NOMEM, "%s line %ld: out of memory", path, lineno);
      goto cleanup;
    }
    prev_line = lineno;
  }
  if (ferror(fp)) {
    rc = hp_fail(st, HP_ERR_IO, "read error in %s after line %ld", path, lineno);
    goto cleanup;
  }
  if (ks.n < 4) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: %zu data row%s, at least 4 are needed", path, ks.n,
                 ks.n == 1 ? "" : "s");
    goto cleanup;
  }
  rc = hp_ktable_create(out, ks.v, ys.v, ks.n, what, st);
  if (rc) {
    if (rc == HP_ERR_INPUT) st->code = rc = HP_ERR_FORMAT;
    hp_error_context(st, "%s", path);
  }

cleanup:
  free(line);
  free(ks.v);
  free(ys.v);
  fclose(fp);
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Top-hat variance
 * ------------------------------------------------------------------------------------------- */

double hp_tophat_window(double x) {
  const double ax = fabs(x);
  if (ax < 1e-2) {
    const double x2 = x * x;
    return 1.0 - x2 / 10.0 + x2 * x2 / 280.0 - x2 * x2 * x2 / 15120.0;
  }
  return 3.0 * (sin(x) - x * cos(x)) / (x * x * x);
}

#define GL_N 32
#define SIGMA_SEGMENTS 2000
#define SIGMA_KMIN 1e-9
#define SIGMA_KMAX 1e5

/* Nodes and weights of the n-point Gauss-Legendre rule on [-1, 1] (Newton on P_n). */
static void gauss_legendre(int n, double *x, double *w) {
  for (int i = 0; i < n; i++) {
    double z = cos(M_PI * (i + 0.75) / (n + 0.5));
    double dp = 1.0;
    for (int it = 0; it < 100; it++) {
      double p0 = 1.0, p1 = z;
      for (int j = 2; j <= n; j++) {
        const double p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (z * p1 - p0) / (z * z - 1.0);
      const double dz = p1 / dp;
      z -= dz;
      if (fabs(dz) < 1e-16) break;
    }
    double p0 = 1.0, p1 = z;
    for (int j = 2; j <= n; j++) {
      const double p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
      p0 = p1;
      p1 = p2;
    }
    dp = n * (z * p1 - p0) / (z * z - 1.0);
    x[i] = z;
    w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
  }
}

double hp_sigma2_tophat(double (*pk)(const void *ctx, double k), const void *ctx, double R) {
  if (!(R > 0.0) || !isfinite(R)) return NAN;
  double gx[GL_N], gw[GL_N];
  gauss_legendre(GL_N, gx, gw);
  const double lo = log(SIGMA_KMIN), hi = log(SIGMA_KMAX);
  const double d = (hi - lo) / SIGMA_SEGMENTS;
  double total = 0.0;
  for (int s = 0; s < SIGMA_SEGMENTS; s++) {
    const double c = lo + (s + 0.5) * d;
    double seg = 0.0;
    for (int i = 0; i < GL_N; i++) {
      const double k = exp(c + 0.5 * d * gx[i]);
      const double w = hp_tophat_window(k * R);
      seg += gw[i] * k * k * k * pk(ctx, k) * w * w;
    }
    total += 0.5 * d * seg;
  }
  return total / (2.0 * M_PI * M_PI);
}

/* ---------------------------------------------------------------------------------------------
 * The normalised spectrum
 * ------------------------------------------------------------------------------------------- */

struct hp_power {
  int kind;         /* enum hp_power_kind */
  int file_type;    /* enum hp_pfile_type (HP_POWER_FILE) */
  double n_s;       /* primordial index [1] */
  double sigma8;    /* target sigma(8 Mpc/h) [1] */
  hp_eh98 eh;       /* EH98 scalars (EH98 kinds) */
  hp_ktable *table; /* tabulated P or T (HP_POWER_FILE) */
  double k1;        /* first k of the table [h/Mpc] */
  double y1;        /* table value at k1: P [(Mpc/h)^3] or T [arbitrary] */
  double amp;       /* A in P = A k^n_s T^2 [(Mpc/h)^(3+n_s)] */
};

double hp_power_transfer(const hp_power *p, double k) {
  if (!(k > 0.0)) return 1.0;
  switch (p->kind) {
    case HP_POWER_EH98:
      return hp_eh98_transfer(&p->eh, k);
    case HP_POWER_EH98_NOWIGGLE:
      return hp_eh98_transfer_nowiggle(&p->eh, k);
    default:
      if (p->file_type == HP_PFILE_TK) return hp_ktable_eval(p->table, k) / p->y1;
      /* P file: T^2 = (P(k) / k^n_s) / (P(k1) / k1^n_s) */
      return sqrt(hp_ktable_eval(p->table, k) / p->y1 * pow(p->k1 / k, p->n_s));
  }
}

double hp_power_eval(const hp_power *p, double k) {
  if (!(k > 0.0)) return 0.0;
  if (p->kind == HP_POWER_FILE && p->file_type == HP_PFILE_PK)
    return p->amp * pow(p->k1, p->n_s) / p->y1 * hp_ktable_eval(p->table, k);
  const double t = hp_power_transfer(p, k);
  return p->amp * pow(k, p->n_s) * t * t;
}

static double power_unit(const void *ctx, double k) { return hp_power_eval(ctx, k); }

double hp_power_sigma(const hp_power *p, double R) {
  return sqrt(hp_sigma2_tophat(power_unit, p, R));
}

double hp_power_amplitude(const hp_power *p) { return p->amp; }

void hp_power_free(hp_power *p) {
  if (!p) return;
  hp_ktable_free(p->table);
  free(p);
}

int hp_power_create(hp_power **out, const hp_power_desc *d, hp_status *st) {
  *out = NULL;
  if (!(d->sigma8 > 0.0) || !isfinite(d->sigma8))
    return hp_fail(st, HP_ERR_INPUT, "sigma8 = %g must be positive", d->sigma8);
  if (!isfinite(d->n_s))
    return hp_fail(st, HP_ERR_INPUT, "the primordial index n_s = %g must be finite", d->n_s);
  hp_power *p = calloc(1, sizeof *p);
  if (!p) return hp_fail(st, HP_ERR_NOMEM, "cannot allocate the power spectrum");
  p->kind = d->kind;
  p->n_s = d->n_s;
  p->sigma8 = d->sigma8;
  p->amp = 1.0;
  int rc = HP_OK;

  switch (d->kind) {
    case HP_POWER_EH98:
    case HP_POWER_EH98_NOWIGGLE:
      if (d->kind == HP_POWER_EH98 && !(d->omega_b > 0.0)) {
        rc = hp_fail(st, HP_ERR_INPUT,
                     "EH98 with wiggles needs Omega_b > 0 (got %g); use the no-wiggle form for a "
                     "baryon-free spectrum",
                     d->omega_b);
        goto fail;
      }
      rc = hp_eh98_init(&p->eh, d->omega_m, d->omega_b, d->h, d->t_cmb, st);
      if (rc) goto fail;
      break;
    case HP_POWER_FILE: {
      if (d->file_type != HP_PFILE_PK && d->file_type != HP_PFILE_TK) {
        rc = hp_fail(st, HP_ERR_INPUT, "power file type %d is neither P(k) (%d) nor T(k) (%d)",
                     d->file_type, HP_PFILE_PK, HP_PFILE_TK);
        goto fail;
      }
      p->file_type = d->file_type;
      const char *what = d->file_type == HP_PFILE_PK ? "P(k)" : "T(k)";
      const int column = d->file_column == 0 ? 2 : d->file_column;
      rc = hp_ktable_load(&p->table, d->file, column, what, st);
      if (rc) goto fail;
      hp_ktable_range(p->table, NULL, &p->k1, NULL);
      p->y1 = hp_ktable_eval(p->table, p->k1);
      break;
    }
    default:
      rc = hp_fail(st, HP_ERR_INPUT,
                   "unknown power spectrum kind %d (EH98 = %d, EH98 no-wiggle = %d, file = %d)",
                   d->kind, HP_POWER_EH98, HP_POWER_EH98_NOWIGGLE, HP_POWER_FILE);
      goto fail;
  }

  /* Normalise: A = sigma8^2 / sigma^2(8) at A = 1 */
  const double s2 = hp_sigma2_tophat(power_unit, p, 8.0);
  if (!(s2 > 0.0) || !isfinite(s2)) {
    rc = hp_fail(st, HP_ERR_NUMERIC,
                 "the unnormalised sigma^2(8 Mpc/h) is %g: cannot normalise to sigma8 (is the "
                 "spectrum zero or divergent over 1e-9 < k < 1e5 h/Mpc?)",
                 s2);
    goto fail;
  }
  p->amp = d->sigma8 * d->sigma8 / s2;
  *out = p;
  return HP_OK;

fail:
  hp_power_free(p);
  return rc;
}
