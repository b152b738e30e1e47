/* Maximum-likelihood fit of the CMP dispersion of a trained painter (dispersion.h). */
#include "train/dispersion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/painter.h"

#define LNMU_HI 5.3   /* ln HP_CMP_MU_MAX: larger means go to the last bin */
#define MU_FLOOR 1e-6 /* a painted 0 (ReLU) scored as 1e-6, so a voxel with halos stays finite */

int hp_count_hist_init(hp_count_hist *h, int k, hp_status *st) {
  memset(h, 0, sizeof *h);
  h->k = k;
  h->nmu = (int)ceil((LNMU_HI - HP_DISP_LNMU_LO) / HP_DISP_DLNMU);
  const size_t n = (size_t)k * (size_t)h->nmu;
  h->nvox = calloc(n, sizeof *h->nvox);
  h->summu = calloc(n, sizeof *h->summu);
  h->h = calloc(n * HP_DISP_NMAX, sizeof *h->h);
  if (!h->nvox || !h->summu || !h->h) {
    hp_count_hist_free(h);
    return hp_fail(st, HP_ERR_NOMEM, "count histograms");
  }
  return HP_OK;
}

void hp_count_hist_free(hp_count_hist *h) {
  free(h->nvox);
  free(h->summu);
  free(h->h);
  memset(h, 0, sizeof *h);
}

void hp_count_hist_add(hp_count_hist *h, int kb, const float *mu, const float *n, int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    const double m = mu[i] > MU_FLOOR ? mu[i] : MU_FLOOR;
    int b = (int)floor((log(m) - HP_DISP_LNMU_LO) / HP_DISP_DLNMU);
    b = b < 0 ? 0 : b >= h->nmu ? h->nmu - 1 : b;
    int64_t c = (int64_t)llround(n[i] > 0 ? n[i] : 0);
    if (c >= HP_DISP_NMAX) {
      c = HP_DISP_NMAX - 1;
      h->clipped++;
    }
    const size_t j = (size_t)kb * h->nmu + b;
    h->nvox[j] += 1;
    h->summu[j] += m;
    h->h[j * HP_DISP_NMAX + c] += 1;
  }
}

double hp_dispersion_nll(const hp_count_hist *h, int kb, const hp_count_dist *d,
                         double grad[HP_DISP_NPAR]) {
  double nll = 0, tot = 0, ga = 0, gb = 0, gk = 0, lf[HP_DISP_NMAX];
  const int cmp = hp_count_is_cmp(d->kind);
  const double kappa = hp_count_step(d, kb);
  for (int n = 0; n < HP_DISP_NMAX; n++) lf[n] = lgamma(n + 1.0);
  for (int b = 0; b < h->nmu; b++) {
    const size_t j = (size_t)kb * h->nmu + b;
    if (h->nvox[j] <= 0) continue;
    const double mu = h->summu[j] / h->nvox[j], *hn = h->h + j * HP_DISP_NMAX;
    double nu = 1, lnlam = log(mu), step = 0;
    hp_cmp_moments m = {mu, mu, mu, 0, 0, 0, 0}; /* Poisson: ln Z = mu */
    if (cmp && mu <= HP_CMP_MU_MAX) {            /* (larger means are drawn Poisson) */
      nu = exp(hp_count_lognu(d, kb, mu)), step = kappa;
      lnlam = hp_cmp_lnlambda(mu, nu, step);
      hp_cmp_moments_at(lnlam, nu, step, &m);
    }
    /* at fixed mean, d ln lambda / d nu = Cov(n, ln n!) / Var and d ln lambda / d kappa =
     * Cov(n, [n >= 2]) / Var */
    double gnu = 0, gstep = 0;
    for (int n = 0; n < HP_DISP_NMAX; n++) {
      if (hn[n] <= 0) continue;
      nll += hn[n] * (-n * lnlam + nu * lf[n] + (n >= 2 ? step : 0) + m.lnz);
      if (m.var > 0) {
        gnu += hn[n] * ((mu - n) * m.cov / m.var + lf[n] - m.elf);
        gstep += hn[n] * ((mu - n) * m.covg / m.var + (n >= 2) - m.eg);
      }
    }
    tot += h->nvox[j];
    if (grad && cmp && mu <= HP_CMP_MU_MAX) {
      if (!hp_count_lognu_clamped(d, kb, mu)) {
        ga += gnu * nu;
        gb += gnu * nu * log1p(mu);
      }
      gk += gstep;
    }
  }
  if (grad) {
    grad[0] = tot > 0 ? ga / tot : 0;
    grad[1] = tot > 0 ? gb / tot : 0;
    grad[2] = tot > 0 && d->kind == HP_COUNT_CMP_STEP ? gk / tot : 0;
  }
  return tot > 0 ? nll / tot : 0;
}

static double clip(double v, double m) { return v > m ? m : v < -m ? -m : v; }

/* Bounds of (a, b, kappa): where nu is clamped the likelihood is flat and nothing else would
 * stop b; kappa's bound keeps the tables' range. */
static const double BOUND[HP_DISP_NPAR] = {HP_CMP_LNNU_MAX, HP_DISP_BMAX, HP_CMP_STEP_MAX};

/* f and gradient of bin kb at x = (a, b, kappa). */
static double eval(const hp_count_hist *h, int kb, hp_count_dist *d, const double *x, double *g) {
  d->a[kb] = x[0], d->b[kb] = x[1], d->step[kb] = x[2];
  return hp_dispersion_nll(h, kb, d, g);
}

/* Solve H s = -g (np x np, symmetric) by Gaussian elimination without pivoting; 0 where H is
 * positive definite (every pivot of the unpivoted elimination positive and not tiny), else 1. */
static int newton_step(double H[HP_DISP_NPAR][HP_DISP_NPAR], const double *g, int np, double *s) {
  double A[HP_DISP_NPAR][HP_DISP_NPAR + 1];
  for (int r = 0; r < np; r++) {
    for (int c = 0; c < np; c++) A[r][c] = H[r][c];
    A[r][np] = -g[r];
  }
  for (int c = 0; c < np; c++) {
    if (!(A[c][c] > 1e-12 * fabs(H[c][c]) && A[c][c] > 0)) return 1;
    for (int r = c + 1; r < np; r++) {
      const double f = A[r][c] / A[c][c];
      for (int q = c; q <= np; q++) A[r][q] -= f * A[c][q];
    }
  }
  for (int r = np - 1; r >= 0; r--) {
    double v = A[r][np];
    for (int q = r + 1; q < np; q++) v -= A[r][q] * s[q];
    s[r] = v / A[r][r];
  }
  return 0;
}

int hp_dispersion_fit(const hp_count_hist *h, int kind, hp_count_dist *d, hp_status *st) {
  hp_count_dist_poisson(d, h->k);
  d->kind = kind == HP_COUNT_CMP_STEP ? HP_COUNT_CMP_STEP : HP_COUNT_CMP;
  const int np = d->kind == HP_COUNT_CMP_STEP ? 3 : 2; /* (a, b) or (a, b, kappa) */
  for (int kb = 0; kb < h->k; kb++) {
    double x[HP_DISP_NPAR] = {0, 0, 0}, g[HP_DISP_NPAR], f = eval(h, kb, d, x, g);
    for (int it = 0; it < 200; it++) {
      double gsum = 0;
      for (int c = 0; c < np; c++) gsum += fabs(g[c]);
      if (!(gsum > 1e-12)) break;
      /* Hessian by central differences of the exact gradient */
      double H[HP_DISP_NPAR][HP_DISP_NPAR], gp[HP_DISP_NPAR], gm[HP_DISP_NPAR], s[HP_DISP_NPAR];
      const double e = 1e-4;
      for (int c = 0; c < np; c++) {
        double xp[HP_DISP_NPAR], xm[HP_DISP_NPAR];
        memcpy(xp, x, sizeof xp), memcpy(xm, x, sizeof xm);
        xp[c] += e, xm[c] -= e;
        eval(h, kb, d, xp, gp);
        eval(h, kb, d, xm, gm);
        for (int r = 0; r < np; r++) H[r][c] = (gp[r] - gm[r]) / (2 * e);
      }
      for (int r = 0; r < np; r++)
        for (int c = 0; c < r; c++) H[r][c] = H[c][r] = 0.5 * (H[r][c] + H[c][r]);
      if (newton_step(H, g, np, s)) { /* not convex here (the likelihood need not be): a
                                         steepest-descent step of 0.2, shortened below */
        double gn = 0;
        for (int c = 0; c < np; c++) gn += g[c] * g[c];
        for (int c = 0; c < np; c++) s[c] = -0.2 * g[c] / sqrt(gn);
      }
      double t = 1, fn = f, gn[HP_DISP_NPAR], xn[HP_DISP_NPAR] = {0, 0, 0};
      for (int ls = 0; ls < 40; ls++, t *= 0.5) {
        for (int c = 0; c < np; c++) xn[c] = clip(x[c] + t * s[c], BOUND[c]);
        fn = eval(h, kb, d, xn, gn);
        if (fn < f) break;
      }
      if (!(fn < f)) break; /* no descent left: at the optimum to rounding */
      double moved = 0;
      for (int c = 0; c < np; c++) moved += fabs(xn[c] - x[c]);
      memcpy(x, xn, sizeof x);
      const double df = f - fn;
      f = fn;
      memcpy(g, gn, sizeof g);
      if (df < 1e-15 * (fabs(f) + 1e-300) && moved < 1e-9) break;
    }
    d->a[kb] = x[0], d->b[kb] = x[1], d->step[kb] = x[2];
  }
  return hp_count_dist_check(d, "fitted dispersion", st);
}

/* Paint box @p b whole into mu (K x nv^3). */
static int paint_box(const hp_net *net, const hp_train_box *b, int K, int nthreads, float *mu,
                     hp_status *st) {
  const int64_t n3 = b->nv * b->nv * b->nv;
  hp_painter_desc pd = {{b->nv, b->nv, b->nv}, 1, nthreads, 0, 0, 0};
  hp_painter *p = NULL;
  float *out[HP_NET_MAX_K];
  for (int k = 0; k < K; k++) out[k] = mu + k * n3;
  int rc = hp_painter_create(&p, net, &pd, st);
  if (!rc) rc = hp_painter_execute(p, b->rho, out, st);
  hp_painter_destroy(p);
  return rc ? hp_error_context(st, "painting %s for the count fit", b->name) : HP_OK;
}

int hp_dispersion_fit_net(hp_net *net, const hp_train_data *data, int nthreads, int calibrate,
                          int kind, hp_count_dist *d, hp_dispersion_report *rep, hp_status *st) {
  const int K = data->k;
  hp_count_hist ht, hv;
  memset(rep, 0, sizeof *rep);
  rep->k = K;
  int64_t nmax = 0;
  for (int bi = 0; bi < data->nbox; bi++)
    if (data->box[bi].nv > nmax) nmax = data->box[bi].nv;
  float *mu = hp_alloc(sizeof *mu * (size_t)(nmax * nmax * nmax * K), "painted means", st);
  if (!mu) return st->code;
  /* 1. calibration: Poisson MLE of one scale per bin over the training boxes (or none) */
  double sn[HP_NET_MAX_K] = {0}, sm[HP_NET_MAX_K] = {0};
  int rc = HP_OK;
  for (int k = 0; k < K; k++) rep->scale[k] = 1.0;
  for (int bi = 0; calibrate && bi < data->nbox && !rc; bi++) {
    const hp_train_box *b = &data->box[bi];
    const int64_t n3 = b->nv * b->nv * b->nv;
    if (b->validation || (rc = paint_box(net, b, K, nthreads, mu, st))) continue;
    for (int k = 0; k < K; k++)
      for (int64_t i = 0; i < n3; i++) sn[k] += b->counts[k * n3 + i], sm[k] += mu[k * n3 + i];
  }
  const hp_conv *out = &net->conv[net->nconv - 1];
  for (int k = 0; calibrate && !rc && k < K; k++) {
    if (sm[k] > 0 && sn[k] > 0) rep->scale[k] = sn[k] / sm[k];
    for (int ci = 0; ci < out->cin; ci++)
      net->w[out->w_off + (size_t)k * out->cin + ci] *= (float)rep->scale[k];
    net->w[out->b_off + k] *= (float)rep->scale[k];
  }
  /* 2. the dispersion of the calibrated means */
  if (!rc) rc = hp_count_hist_init(&ht, K, st);
  if (!rc && hp_count_hist_init(&hv, K, st)) {
    hp_count_hist_free(&ht);
    rc = st->code;
  }
  if (rc) {
    hp_free(mu);
    return rc;
  }
  /* the training boxes' means are kept for the runs' fit */
  float **mus = calloc((size_t)data->nbox, sizeof *mus);
  if (!mus) rc = hp_fail(st, HP_ERR_NOMEM, "painted means: out of memory");
  for (int bi = 0; bi < data->nbox && !rc; bi++) {
    const hp_train_box *b = &data->box[bi];
    const int64_t n3 = b->nv * b->nv * b->nv;
    float *m = mu;
    if (!b->validation &&
        !(m = mus[bi] = hp_alloc(sizeof *m * (size_t)(n3 * K), "painted means", st)))
      rc = st->code;
    if (rc || (rc = paint_box(net, b, K, nthreads, m, st))) break;
    for (int k = 0; k < K; k++)
      hp_count_hist_add(b->validation ? &hv : &ht, k, m + k * n3, b->counts + k * n3, n3);
    *(b->validation ? &rep->voxels_val : &rep->voxels_train) += (double)n3;
  }
  hp_free(mu);
  if (!rc) rc = hp_dispersion_fit(&ht, kind, d, st);
  if (!rc) {
    hp_count_dist pois;
    hp_count_dist_poisson(&pois, K);
    for (int k = 0; k < K; k++) {
      rep->nll_train_poisson[k] = hp_dispersion_nll(&ht, k, &pois, NULL);
      rep->nll_train_cmp[k] = hp_dispersion_nll(&ht, k, d, NULL);
      rep->nll_val_poisson[k] = rep->voxels_val > 0 ? hp_dispersion_nll(&hv, k, &pois, NULL) : NAN;
      rep->nll_val_cmp[k] = rep->voxels_val > 0 ? hp_dispersion_nll(&hv, k, d, NULL) : NAN;
    }
  }
  hp_count_table *t = NULL;
  if (!rc) rc = hp_count_table_create(&t, d, st);
  if (!rc) rc = hp_runs_fit(data, mus, t, d, &rep->runs, nthreads, st);
  hp_count_table_destroy(t);
  for (int bi = 0; mus && bi < data->nbox; bi++) hp_free(mus[bi]);
  free(mus);
  hp_count_hist_free(&ht);
  hp_count_hist_free(&hv);
  return rc;
}
