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

double hp_dispersion_nll(const hp_count_hist *h, int kb, const hp_count_dist *d, double grad[2]) {
  double nll = 0, tot = 0, ga = 0, gb = 0, lf[HP_DISP_NMAX];
  for (int n = 0; n < HP_DISP_NMAX; n++) lf[n] = lgamma(n + 1.0);
  for (int b = 0; b < h->nmu; b++) {
    const size_t j = (size_t)kb * h->nmu + b;
    if (h->nvox[j] <= 0) continue;
    const double mu = h->summu[j] / h->nvox[j], *hn = h->h + j * HP_DISP_NMAX;
    const double nu = exp(hp_count_lognu(d, kb, mu));
    double lnlam = log(mu);
    hp_cmp_moments m = {mu, mu, mu, 0, 0}; /* Poisson: ln Z = mu */
    if (d->kind == HP_COUNT_CMP && mu <= HP_CMP_MU_MAX) {
      lnlam = hp_cmp_lnlambda(mu, nu);
      hp_cmp_moments_at(lnlam, nu, &m);
    }
    double gnu = 0;
    for (int n = 0; n < HP_DISP_NMAX; n++) {
      if (hn[n] <= 0) continue;
      nll += hn[n] * (-n * lnlam + nu * lf[n] + m.lnz);
      if (m.var > 0) gnu += hn[n] * ((mu - n) * m.cov / m.var + lf[n] - m.elf);
    }
    tot += h->nvox[j];
    if (grad && d->kind == HP_COUNT_CMP && !hp_count_lognu_clamped(d, kb, mu)) {
      ga += gnu * nu;
      gb += gnu * nu * log1p(mu);
    }
  }
  if (grad) {
    grad[0] = tot > 0 ? ga / tot : 0;
    grad[1] = tot > 0 ? gb / tot : 0;
  }
  return tot > 0 ? nll / tot : 0;
}

static double clip(double v, double m) { return v > m ? m : v < -m ? -m : v; }

/* f and gradient of bin kb at (a, b). */
static double eval(const hp_count_hist *h, int kb, hp_count_dist *d, double a, double b,
                   double g[2]) {
  d->a[kb] = a, d->b[kb] = b;
  return hp_dispersion_nll(h, kb, d, g);
}

int hp_dispersion_fit(const hp_count_hist *h, hp_count_dist *d, hp_status *st) {
  hp_count_dist_poisson(d, h->k);
  d->kind = HP_COUNT_CMP;
  for (int kb = 0; kb < h->k; kb++) {
    double x[2] = {0, 0}, g[2], f = eval(h, kb, d, x[0], x[1], g);
    for (int it = 0; it < 200 && fabs(g[0]) + fabs(g[1]) > 1e-12; it++) {
      /* Hessian by central differences of the exact gradient */
      double H[2][2], gp[2], gm[2];
      const double e = 1e-4;
      for (int c = 0; c < 2; c++) {
        double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
        xp[c] += e, xm[c] -= e;
        eval(h, kb, d, xp[0], xp[1], gp);
        eval(h, kb, d, xm[0], xm[1], gm);
        for (int r = 0; r < 2; r++) H[r][c] = (gp[r] - gm[r]) / (2 * e);
      }
      H[0][1] = H[1][0] = 0.5 * (H[0][1] + H[1][0]);
      const double det = H[0][0] * H[1][1] - H[0][1] * H[0][1];
      double s[2];
      if (H[0][0] > 0 && det > 1e-12 * H[0][0] * H[1][1]) { /* Newton */
        s[0] = -(H[1][1] * g[0] - H[0][1] * g[1]) / det;
        s[1] = -(-H[0][1] * g[0] + H[0][0] * g[1]) / det;
      } else { /* not convex here (the likelihood need not be): a steepest-descent step of
                  0.2 in (a, b), shortened by the line search */
        const double gn = sqrt(g[0] * g[0] + g[1] * g[1]);
        s[0] = -0.2 * g[0] / gn;
        s[1] = -0.2 * g[1] / gn;
      }
      double t = 1, fn = f, gn[2] = {g[0], g[1]}, xn[2] = {x[0], x[1]};
      for (int ls = 0; ls < 40; ls++, t *= 0.5) {
        xn[0] = clip(x[0] + t * s[0], HP_CMP_LNNU_MAX);
        xn[1] = clip(x[1] + t * s[1], HP_DISP_BMAX);
        fn = eval(h, kb, d, xn[0], xn[1], gn);
        if (fn < f) break;
      }
      if (!(fn < f)) break; /* no descent left: at the optimum to rounding */
      const double moved = fabs(xn[0] - x[0]) + fabs(xn[1] - x[1]);
      x[0] = xn[0], x[1] = xn[1];
      const double df = f - fn;
      f = fn, g[0] = gn[0], g[1] = gn[1];
      if (df < 1e-15 * (fabs(f) + 1e-300) && moved < 1e-9) break;
    }
    d->a[kb] = x[0], d->b[kb] = x[1];
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
                          hp_count_dist *d, hp_dispersion_report *rep, hp_status *st) {
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
  if (!rc) rc = hp_dispersion_fit(&ht, d, st);
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
