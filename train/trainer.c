/* The training loop's step: WGAN-GP (Gulrajani et al. 2017, as Kodi Ramanah et al. 2019),
 * Poisson likelihood, or both (train/trainer.h). */
#include "train/trainer.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "train/critic.h"
#include "train/generator.h"
#include "train/losses.h"
#include "nn/painter.h"
#include "stats/field.h"

struct hp_trainer {
  hp_train_config cfg;
  hp_net net;   /* the generator (owned copy) */
  double *wavg; /* the weights' moving average, or NULL (cfg.average_decay 0) */
  hp_net avg;   /* a generator holding the average in float, for painting */
  const hp_train_data *data;
  int wgan;        /* a critic is trained */
  int64_t update;  /* generator updates done */
  int64_t m, nout; /* output side, K m^3 */
  hp_f_gen_ws *gws;
  hp_adam gadam;
  float *ggrad; /* generator gradient */
  hp_critic critic;
  float *cw, *cgrad; /* critic weights and gradient */
  hp_adam cadam;
  hp_f_critic_ws *cws;
  float *rho, *counts, *xhat, *dfake; /* sample buffers */
  double gen_fwd_macs, gen_bwd_macs;
  size_t bytes;
};

void hp_train_config_default(hp_train_config *c) {
  memset(c, 0, sizeof *c);
  c->objective = HP_OBJ_WGAN_GP;
  c->lr = 1e-4, c->beta1 = 0.5, c->beta2 = 0.999, c->adam_eps = 1e-8;
  c->n_critic = 5;
  c->gp_lambda = 10;
  c->poisson_weight = 1;
  c->patch = 58;
  c->seed = 1;
}

const char *hp_objective_name(hp_objective o) {
  return o == HP_OBJ_POISSON ? "poisson" : o == HP_OBJ_BOTH ? "both" : "wgan-gp";
}

void hp_trainer_destroy(hp_trainer *t) {
  if (!t) return;
  hp_f_gen_ws_destroy(t->gws);
  hp_f_critic_ws_destroy(t->cws);
  hp_adam_free(&t->gadam);
  hp_adam_free(&t->cadam);
  hp_net_free(&t->net);
  hp_net_free(&t->avg);
  hp_free(t->wavg);
  hp_free(t->ggrad), hp_free(t->cw), hp_free(t->cgrad);
  hp_free(t->rho), hp_free(t->counts), hp_free(t->xhat), hp_free(t->dfake);
  free(t);
}

static float *alloc_floats(size_t n, const char *what, size_t *bytes, hp_status *st) {
  float *p = hp_alloc(n * sizeof(float), what, st);
  if (p) memset(p, 0, n * sizeof(float)), *bytes += n * sizeof(float);
  return p;
}

int hp_trainer_create(hp_trainer **out, const hp_train_config *cfg, const hp_net *gen,
                      const hp_train_data *data, hp_status *st) {
  *out = NULL;
  if (cfg->objective != HP_OBJ_WGAN_GP && cfg->objective != HP_OBJ_POISSON &&
      cfg->objective != HP_OBJ_BOTH)
    return hp_fail(st, HP_ERR_INPUT, "training: unknown objective %d", (int)cfg->objective);
  if (!(cfg->average_decay >= 0 && cfg->average_decay < 1))
    return hp_fail(st, HP_ERR_INPUT, "training: TrainAverageDecay = %g (expected 0 <= d < 1)",
                   cfg->average_decay);
  if (cfg->n_critic < 1 || !(cfg->gp_lambda >= 0) || !(cfg->poisson_weight >= 0))
    return hp_fail(st, HP_ERR_INPUT,
                   "training: TrainCriticSteps = %d, TrainGPLambda = %g, TrainPoissonWeight = "
                   "%g (expected >= 1, >= 0, >= 0)",
                   cfg->n_critic, cfg->gp_lambda, cfg->poisson_weight);
  if (data->patch != cfg->patch || data->k != gen->k_out)
    return hp_fail(st, HP_ERR_INPUT,
                   "training: data prepared for patch %d and %d mass bins, the run needs %d and "
                   "%d",
                   data->patch, data->k, cfg->patch, gen->k_out);
  hp_trainer *t = calloc(1, sizeof *t);
  if (!t) return hp_fail(st, HP_ERR_NOMEM, "training: out of memory");
  t->cfg = *cfg;
  t->data = data;
  t->wgan = cfg->objective != HP_OBJ_POISSON;
  t->bytes = sizeof *t;
  if (hp_net_copy(&t->net, gen, st)) goto fail;
  if (cfg->average_decay > 0) {
    if (hp_net_copy(&t->avg, gen, st)) goto fail;
    if (!(t->wavg = hp_alloc(sizeof(double) * t->net.nparams, "weight average", st))) goto fail;
    for (size_t i = 0; i < t->net.nparams; i++) t->wavg[i] = t->net.w[i];
    t->bytes += t->net.nparams * (sizeof(double) + sizeof(float));
  }
  if (hp_f_gen_ws_create(&t->gws, &t->net, cfg->patch, cfg->nthreads, st)) goto fail;
  /* by likelihood, a bin whose output fell below zero everywhere must be able to come back */
  if (cfg->objective != HP_OBJ_WGAN_GP) hp_f_gen_ws_set_output_leak(t->gws, HP_TRAIN_OUTPUT_LEAK);
  t->bytes += hp_f_gen_ws_bytes(t->gws) + 3 * t->net.nparams * sizeof(float);
  t->m = hp_f_gen_ws_out_side(t->gws);
  if (t->m != cfg->patch - 2 * data->halo) {
    hp_fail(st, HP_ERR_INPUT, "training: the generator's halo (%lld) differs from the data's (%d)",
            (long long)(cfg->patch - t->m) / 2, data->halo);
    goto fail;
  }
  t->nout = (int64_t)t->net.k_out * t->m * t->m * t->m;
  if (hp_adam_init(&t->gadam, t->net.nparams, cfg->lr, cfg->beta1, cfg->beta2, cfg->adam_eps, st))
    goto fail;
  if (!(t->ggrad = alloc_floats(t->net.nparams, "generator gradient", &t->bytes, st))) goto fail;
  if (!(t->rho = alloc_floats((size_t)cfg->patch * cfg->patch * cfg->patch, "density patch",
                              &t->bytes, st)))
    goto fail;
  if (!(t->counts = alloc_floats((size_t)t->nout, "counts patch", &t->bytes, st))) goto fail;
  if (!(t->dfake = alloc_floats((size_t)t->nout, "output gradient", &t->bytes, st))) goto fail;
  hp_f_gen_ws_macs(t->gws, &t->gen_fwd_macs, &t->gen_bwd_macs);
  if (t->wgan) {
    if (hp_critic_paper(&t->critic, t->net.k_out, t->m, st)) goto fail;
    if (!(t->cw = alloc_floats(t->critic.nparams, "critic weights", &t->bytes, st))) goto fail;
    if (!(t->cgrad = alloc_floats(t->critic.nparams, "critic gradient", &t->bytes, st))) goto fail;
    if (!(t->xhat = alloc_floats((size_t)t->nout, "penalty sample", &t->bytes, st))) goto fail;
    hp_critic_init_random(&t->critic, t->cw, cfg->seed ^ 0x6372697469635eedULL, 0.1, 0.1);
    if (hp_adam_init(&t->cadam, t->critic.nparams, cfg->lr, cfg->beta1, cfg->beta2, cfg->adam_eps,
                     st))
      goto fail;
    t->bytes += 2 * t->critic.nparams * sizeof(float);
    if (hp_f_critic_ws_create(&t->cws, &t->critic, cfg->nthreads, st)) goto fail;
  }
  *out = t;
  return HP_OK;
fail:
  hp_trainer_destroy(t);
  return hp_error_context(st, "planning the training");
}

static int all_finite(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

int hp_trainer_step(hp_trainer *t, hp_train_stats *s, hp_status *st) {
  const hp_train_config *cfg = &t->cfg;
  const int nt = cfg->nthreads;
  const int64_t u = t->update;
  hp_train_stats loc = {NAN, NAN, NAN, NAN, NAN};
  hp_train_draw dr;
  if (t->wgan) {
    double lc = 0, w = 0, pen = 0;
    for (int c = 0; c < cfg->n_critic; c++) {
      hp_train_data_draw(t->data, cfg->seed, u, c, &dr);
      hp_train_data_patch(t->data, &dr, t->rho, t->counts, nt);
      const float *fake = hp_f_gen_forward(t->gws, t->net.w, t->rho);
      memset(t->cgrad, 0, sizeof(float) * t->critic.nparams);
      const double cf = hp_f_critic_forward(t->cws, t->cw, fake);
      hp_f_critic_backward(t->cws, t->cw, 1.0, t->cgrad, NULL);
      const double cr = hp_f_critic_forward(t->cws, t->cw, t->counts);
      hp_f_critic_backward(t->cws, t->cw, -1.0, t->cgrad, NULL);
      const float e = (float)dr.eps, e1 = 1.0f - e;
#pragma omp parallel for num_threads(nt > 0 ? nt : omp_get_max_threads()) schedule(static)
      for (int64_t i = 0; i < t->nout; i++) t->xhat[i] = e * t->counts[i] + e1 * fake[i];
      const double p =
          hp_f_critic_gradient_penalty(t->cws, t->cw, t->xhat, cfg->gp_lambda, t->cgrad, NULL);
      hp_adam_step(&t->cadam, t->cw, t->cgrad, nt);
      lc += cf - cr + p, w += cr - cf, pen += p;
    }
    loc.critic_loss = lc / cfg->n_critic;
    loc.wasserstein = w / cfg->n_critic;
    loc.penalty = pen / cfg->n_critic;
  }
  hp_train_data_draw(t->data, cfg->seed, u, t->wgan ? cfg->n_critic : 0, &dr);
  hp_train_data_patch(t->data, &dr, t->rho, t->counts, nt);
  const float *fake = hp_f_gen_forward(t->gws, t->net.w, t->rho);
  double lg = 0;
  memset(t->dfake, 0, sizeof(float) * (size_t)t->nout);
  if (t->wgan) {
    const double cf = hp_f_critic_forward(t->cws, t->cw, fake);
    hp_f_critic_backward(t->cws, t->cw, -1.0, NULL, t->dfake);
    lg -= cf;
  }
  if (cfg->objective != HP_OBJ_WGAN_GP) {
    const double wgt =
        cfg->objective == HP_OBJ_BOTH ? cfg->poisson_weight * sqrt((double)t->nout) : 1.0;
    loc.poisson = hp_f_poisson_loss(fake, t->counts, t->nout, HP_POISSON_EPS, t->dfake, wgt, nt);
    lg += wgt * loc.poisson;
  } else {
    loc.poisson = hp_f_poisson_loss(fake, t->counts, t->nout, HP_POISSON_EPS, NULL, 0, nt);
  }
  loc.gen_loss = lg;
  memset(t->ggrad, 0, sizeof(float) * t->net.nparams);
  hp_f_gen_backward(t->gws, t->net.w, t->dfake, t->ggrad);
  hp_adam_step(&t->gadam, t->net.w, t->ggrad, nt);
  if (t->wavg) {
    const double d = cfg->average_decay, d1 = 1 - d;
    for (size_t i = 0; i < t->net.nparams; i++) t->wavg[i] = d * t->wavg[i] + d1 * t->net.w[i];
  }
  t->update++;
  if (s) *s = loc;
  if (!isfinite(lg) || !all_finite(t->net.w, t->net.nparams) ||
      (t->wgan && (!isfinite(loc.critic_loss) || !all_finite(t->cw, t->critic.nparams))))
    return hp_fail(st, HP_ERR_NUMERIC,
                   "training diverged at update %lld (generator loss %g, critic loss %g): lower "
                   "TrainLearningRate",
                   (long long)u + 1, lg, loc.critic_loss);
  return HP_OK;
}

/* Per-bin sums of the validation: Poisson loss terms, voxels, moments of painted (mu) and true
 * (n) counts, and the large-scale cross-power of each with the input density. */
typedef struct val_acc {
  double loss, nvox, mu, n, mun, mu2, n2, xmu, xn;
} val_acc;

/* Sum over the modes 0 < |k| < nmax (in units of the fundamental frequency) of Re(a b*), over
 * the whole k space (FFTW's r2c half counted twice where its mirror is not stored). */
static double lowk_cross(const hp_stats_field *a, const hp_stats_field *b, double nmax) {
  const int64_t n = a->n, nzc = n / 2 + 1;
  double sum = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < nzc; l++) {
        const double kx = i <= n / 2 ? (double)i : (double)(i - n),
                     ky = j <= n / 2 ? (double)j : (double)(j - n);
        const double k2 = kx * kx + ky * ky + (double)(l * l);
        if (k2 == 0 || k2 >= nmax * nmax) continue;
        const int64_t at = (i * n + j) * nzc + l;
        const double w = l == 0 || 2 * l == n ? 1 : 2;
        sum += w * ((double)a->dk[at][0] * b->dk[at][0] + (double)a->dk[at][1] * b->dk[at][1]);
      }
  return sum;
}

/* Add the large-scale cross-power of each bin's painted means and true counts with the density
 * of a whole periodic box; a bin without halos (or painted all zero) adds nothing. */
static int box_lowk(const hp_train_box *bx, int k, float *const *outs, double nmax, int nthreads,
                    val_acc *acc, hp_status *st) {
  const int64_t nv = bx->nv, nv3 = nv * nv * nv;
  hp_stats_fft *fft = NULL;
  hp_stats_field rho, f;
  memset(&rho, 0, sizeof rho), memset(&f, 0, sizeof f);
  int rc = hp_stats_fft_create(&fft, nv, nthreads, st);
  if (!rc) rc = hp_stats_field_alloc(&rho, nv, (double)nv, st);
  if (!rc) rc = hp_stats_field_alloc(&f, nv, (double)nv, st);
  if (!rc) rc = hp_stats_field_from_grid(fft, bx->rho, HP_GRID_DENSITY, HP_WIN_NONE, 0, &rho, st);
  for (int q = 0; q < k && !rc; q++) {
    const float *grid[2] = {outs[q], bx->counts + q * nv3};
    double cross[2];
    int empty = 0;
    for (int s = 0; s < 2 && !rc && !empty; s++) {
      double sum = 0;
      for (int64_t v = 0; v < nv3; v++) sum += grid[s][v];
      empty = !(sum > 0);
      if (!empty) rc = hp_stats_field_from_grid(fft, grid[s], HP_GRID_MEAN, HP_WIN_NONE, 0, &f, st);
      if (!rc && !empty) cross[s] = lowk_cross(&f, &rho, nmax);
    }
    if (!rc && !empty) acc[q].xmu += cross[0], acc[q].xn += cross[1];
  }
  hp_stats_field_free(&f), hp_stats_field_free(&rho);
  hp_stats_fft_destroy(fft);
  return rc;
}

/* Paint one validation region and add its sums. */
static int validate_box(hp_trainer *t, const hp_net *net, int b, double kmax_voxel, val_acc *acc,
                        hp_status *st) {
  const hp_train_data *d = t->data;
  const hp_train_box *bx = &d->box[b];
  const int h = d->halo, k = d->k;
  int64_t x0, nx;
  int periodic;
  if (!hp_train_data_val_region(d, b, &x0, &nx, &periodic)) return HP_OK;
  const int64_t nv = bx->nv, nv3 = nv * nv * nv;
  hp_painter_desc pd;
  memset(&pd, 0, sizeof pd);
  pd.nthreads = t->cfg.nthreads;
  pd.periodic = periodic;
  float *in = NULL, *outbuf = NULL, *outs[HP_NET_MAX_K];
  int64_t ox = nv, n1 = nv;
  const float *src = bx->rho;
  if (periodic) {
    pd.n[0] = pd.n[1] = pd.n[2] = nv;
  } else { /* the slab, padded periodically in y and z by the halo */
    n1 = nv + 2 * h;
    ox = nx - 2 * h;
    pd.n[0] = nx, pd.n[1] = pd.n[2] = n1;
    in = hp_alloc(sizeof(float) * (size_t)(nx * n1 * n1), "validation input", st);
    if (!in) return st->code;
    for (int64_t i = 0; i < nx; i++)
      for (int64_t j = 0; j < n1; j++)
        for (int64_t l = 0; l < n1; l++)
          in[(i * n1 + j) * n1 + l] =
              bx->rho[((x0 + i) * nv + (j - h + nv) % nv) * nv + (l - h + nv) % nv];
    src = in;
  }
  const int64_t nvox = ox * nv * nv;
  outbuf = hp_alloc(sizeof(float) * (size_t)(k * nvox), "validation output", st);
  hp_painter *p = NULL;
  int rc = outbuf ? hp_painter_create(&p, net, &pd, st) : st->code;
  if (!rc) {
    for (int q = 0; q < k; q++) outs[q] = outbuf + q * nvox;
    rc = hp_painter_execute(p, src, outs, st);
  }
  if (!rc) {
    const int64_t xs = periodic ? 0 : x0 + h;
    for (int q = 0; q < k; q++) {
      val_acc *a = &acc[q];
      for (int64_t v = 0; v < nvox; v++) {
        const double lam = outs[q][v], n = bx->counts[q * nv3 + xs * nv * nv + v];
        a->loss += lam - n * log(lam + HP_POISSON_EPS);
        a->nvox += 1;
        a->mu += lam, a->n += n, a->mun += lam * n;
        a->mu2 += lam * lam, a->n2 += n * n;
      }
    }
    /* the large scales need the whole box's modes: periodic validation boxes only */
    const double nmax = kmax_voxel * (double)nv / (2 * M_PI);
    if (periodic && nmax > 0) rc = box_lowk(bx, k, outs, nmax, t->cfg.nthreads, acc, st);
  }
  hp_painter_destroy(p);
  hp_free(in);
  hp_free(outbuf);
  return rc ? hp_error_context(st, "validation on %s", bx->name) : HP_OK;
}

/* Pearson correlation from the sums of a, b, ab, a^2, b^2 over n. */
static double pearson(double n, double a, double b, double ab, double a2, double b2) {
  const double cov = ab / n - a / n * b / n, va = a2 / n - a / n * a / n,
               vb = b2 / n - b / n * b / n;
  return va > 0 && vb > 0 ? cov / sqrt(va * vb) : NAN;
}

int hp_trainer_validate(hp_trainer *t, double kmax_voxel, hp_train_val *v, hp_status *st) {
  const int k = t->data->k;
  val_acc acc[HP_NET_MAX_K], all;
  memset(acc, 0, sizeof acc), memset(&all, 0, sizeof all);
  v->loss = v->corr = NAN;
  v->k = k;
  for (int q = 0; q < k; q++)
    v->bin_loss[q] = v->bin_corr[q] = v->bin_mean[q] = v->bin_bias[q] = NAN;
  const hp_net *net = hp_trainer_output_net(t);
  for (int b = 0; b < t->data->nbox; b++)
    if (validate_box(t, net, b, kmax_voxel, acc, st)) return st->code;
  for (int q = 0; q < k; q++) {
    const val_acc *a = &acc[q];
    all.loss += a->loss, all.nvox += a->nvox, all.mu += a->mu, all.n += a->n;
    all.mun += a->mun, all.mu2 += a->mu2, all.n2 += a->n2;
    if (a->nvox == 0) continue;
    v->bin_loss[q] = a->loss / a->nvox;
    v->bin_corr[q] = pearson(a->nvox, a->mu, a->n, a->mun, a->mu2, a->n2);
    v->bin_mean[q] = a->n > 0 ? a->mu / a->n : NAN;
    v->bin_bias[q] = a->xn != 0 ? a->xmu / a->xn : NAN;
  }
  if (all.nvox == 0) return HP_OK;
  v->loss = all.loss / all.nvox;
  v->corr = pearson(all.nvox, all.mu, all.n, all.mun, all.mu2, all.n2);
  return HP_OK;
}

const hp_net *hp_trainer_net(const hp_trainer *t) { return &t->net; }

const hp_net *hp_trainer_output_net(hp_trainer *t) {
  if (!t->wavg) return &t->net;
  for (size_t i = 0; i < t->avg.nparams; i++) t->avg.w[i] = (float)t->wavg[i];
  return &t->avg;
}
int64_t hp_trainer_updates(const hp_trainer *t) { return t->update; }
const hp_train_config *hp_trainer_config(const hp_trainer *t) { return &t->cfg; }
size_t hp_trainer_bytes(const hp_trainer *t) { return t->bytes; }

double hp_trainer_flops_per_update(const hp_trainer *t) {
  double macs = t->gen_fwd_macs + t->gen_bwd_macs;
  if (t->wgan) {
    const double fc = hp_critic_macs(&t->critic);
    const hp_conv *c0 = &t->critic.conv[0];
    const double s0 = (double)t->critic.out_side[0];
    const double f0 = (double)c0->cout * c0->cin * c0->k * c0->k * c0->k * s0 * s0 * s0;
    /* per critic update: G forward; C forward at fake, real, x_hat; backward (weights and
     * inner input gradients) at fake and real; penalty: input gradient, tangent forward,
     * weight gradients. Generator update: C forward and input gradient. */
    macs += t->cfg.n_critic * (t->gen_fwd_macs + 3 * fc + 2 * (2 * fc - f0) + 3 * fc) + 2 * fc;
  }
  return 2 * macs;
}

void hp_trainer_state(hp_trainer *t, hp_train_state *s) {
  s->update = &t->update;
  s->gen_w = t->net.w;
  s->gen_n = t->net.nparams;
  s->gen_adam = &t->gadam;
  s->gen_avg = t->wavg;
  s->critic_w = t->wgan ? t->cw : NULL;
  s->critic_n = t->wgan ? t->critic.nparams : 0;
  s->critic_adam = t->wgan ? &t->cadam : NULL;
}
