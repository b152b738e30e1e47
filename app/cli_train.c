/*
 * `halopaint train FILE.param`: trains the painter on (2LPT density, halo catalogue) pairs.
 *
 * Reads the Train* keys (docs/training.md), builds one box per catalogue (density regenerated
 * in process from the parameters that made the truth, NGP counts per mass bin), starts from a
 * new model, a model file or a checkpoint (resuming it exactly), and runs generator updates to
 * TrainUpdates: a CSV loss log and its SVG plot every TrainLogEvery updates, a checkpoint every
 * TrainCheckpointEvery, the model at the end. Ctrl-C finishes the update in progress, writes
 * the checkpoint and the model, and exits with status 130; a second Ctrl-C kills at once.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/dispersion.h"
#include "train/checkpoint.h"
#include "nn/model_io.h"
#include "train/truth.h"
#include "train/log.h"
#include "train/trainer.h"
#include "params/resolve.h"
#include "app/cli.h"
#include "plugin/version.h"

#define MAX_LIST 256
#define VAL_KMAX 0.1 /* h/Mpc: the largest scales of the validation's bias (docs/training.md) */

static volatile sig_atomic_t interrupted = 0;
static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

/* Split a comma-separated list (spaces around items dropped) into @p item (pointers into
 * @p buf). Returns the number of items, -1 if more than @p max. */
static int split(const char *list, char *buf, size_t size, char **item, int max) {
  snprintf(buf, size, "%s", list ? list : "");
  int n = 0;
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    while (*t == ' ' || *t == '\t') t++;
    char *e = t + strlen(t);
    while (e > t && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    if (!*t) continue;
    if (n == max) return -1;
    item[n++] = t;
  }
  return n;
}

typedef struct train_ctx {
  const hp_cli_args *args;
  hp_params *p;
  hp_model model;
  int fresh;  /* the model was made here */
  int resume; /* continuing a checkpoint's run */
  hp_train_data data;
  hp_train_config cfg;
  hp_trainer *t;
  hp_params *user[2 * MAX_LIST]; /* parameter sets of hdf5/ascii catalogues */
  int nuser;
  hp_train_box_info info[2 * MAX_LIST];
  char *names[2 * MAX_LIST];
  int nbox;
  hp_train_log_row *rows;
  int64_t nrows;
  char svg[4200];
  double t0;
} train_ctx;

/* The model: new (TrainMassBins, VoxelSize, TrainSeed) or loaded (TrainModelIn). */
static int get_model(train_ctx *x, hp_status *st) {
  const char *in = hp_params_string(x->p, "TrainModelIn");
  if (in[0]) {
    if (hp_model_load(&x->model, in, st)) return hp_error_context(st, "TrainModelIn");
    int has = 0;
    if (hp_checkpoint_probe(in, &has, st)) return st->code;
    x->resume = has && hp_params_bool(x->p, "TrainResume") == 1;
    return HP_OK;
  }
  char buf[4096], *item[HP_NET_MAX_K + 2];
  double edges[HP_NET_MAX_K + 1];
  const char *bins = hp_params_string(x->p, "TrainMassBins");
  const int ne = split(bins, buf, sizeof buf, item, HP_NET_MAX_K + 1);
  if (ne < 2)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainMassBins = %s: expected 2 to %d comma-separated masses [Msun/h]", bins,
                   HP_NET_MAX_K + 1);
  for (int i = 0; i < ne; i++) {
    char *end;
    errno = 0;
    edges[i] = strtod(item[i], &end);
    if (*end || errno || !(edges[i] > 0) || (i && !(edges[i] > edges[i - 1])))
      return hp_fail(st, HP_ERR_INPUT,
                     "TrainMassBins = %s: '%s' is not a positive mass above the previous one", bins,
                     item[i]);
  }
  if (hp_model_init(&x->model, ne - 1, edges, (uint64_t)hp_params_int(x->p, "TrainSeed"), st))
    return hp_error_context(st, "TrainMassBins");
  x->model.meta.voxel_size = hp_params_real(x->p, "VoxelSize");
  x->fresh = 1;
  return HP_OK;
}

/* Parameter sets of hdf5/ascii catalogues: TrainCatalogParams (one for all, or one each). */
static int user_params(train_ctx *x, int ncat, hp_status *st) {
  char buf[8192], *item[2 * MAX_LIST];
  const char *list = hp_params_string(x->p, "TrainCatalogParams");
  const int n = split(list, buf, sizeof buf, item, 2 * MAX_LIST);
  if (n == 0) return HP_OK; /* this file: checked below */
  if (n != 1 && n != ncat)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainCatalogParams names %d files for %d catalogues: give one for all, or one "
                   "per catalogue (training, then validation)",
                   n, ncat);
  for (int i = 0; i < n; i++) {
    if (hp_params_load(&x->user[i], item[i], NULL, 0, HP_NEED_ALL, st))
      return hp_error_context(st, "TrainCatalogParams");
    x->nuser++;
  }
  return HP_OK;
}

/* One box per catalogue. */
static int load_data(train_ctx *x, hp_status *st) {
  static char cbuf[16384], vbuf[16384];
  char *cat[MAX_LIST], *val[MAX_LIST];
  const int nc = split(hp_params_string(x->p, "TrainCatalogs"), cbuf, sizeof cbuf, cat, MAX_LIST);
  const int nvc =
      split(hp_params_string(x->p, "TrainValidationCatalogs"), vbuf, sizeof vbuf, val, MAX_LIST);
  if (nc <= 0)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainCatalogs is empty: name the halo catalogues to train on (files of "
                   "halopaint sim, or your own with TrainCatalogFormat = hdf5 or ascii)");
  if (nvc < 0) return hp_fail(st, HP_ERR_INPUT, "TrainValidationCatalogs: more than %d", MAX_LIST);
  const char *fmt = hp_params_string(x->p, "TrainCatalogFormat");
  hp_train_source src;
  memset(&src, 0, sizeof src);
  src.format = !strcmp(fmt, "hdf5")    ? HP_TRAIN_CAT_HDF5
               : !strcmp(fmt, "ascii") ? HP_TRAIN_CAT_ASCII
                                       : HP_TRAIN_CAT_HALOPAINT;
  src.hdf5_position = hp_params_string(x->p, "TrainHDF5Position");
  src.hdf5_mass = hp_params_string(x->p, "TrainHDF5Mass");
  src.position_unit = hp_params_real(x->p, "TrainPositionUnit");
  src.mass_unit = hp_params_real(x->p, "TrainMassUnit");
  src.nthreads = hp_resolve_threads(x->p);
  src.nparticles = hp_params_int(x->p, "TrainInputNParticles");
  if (src.nparticles > 0 && src.format != HP_TRAIN_CAT_HALOPAINT)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainInputNParticles = %lld: for halopaint catalogues; with TrainCatalogFormat "
                   "= %s set NParticles in the TrainCatalogParams files",
                   (long long)src.nparticles, fmt);
  const char *cols = hp_params_string(x->p, "TrainASCIIColumns");
  if (src.format == HP_TRAIN_CAT_ASCII &&
      sscanf(cols, "%d %d %d %d", &src.ascii_columns[0], &src.ascii_columns[1],
             &src.ascii_columns[2], &src.ascii_columns[3]) != 4)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainASCIIColumns = %s: expected four column numbers (x y z mass)", cols);
  if (src.format != HP_TRAIN_CAT_HALOPAINT) {
    if (user_params(x, nc + nvc, st)) return st->code;
    if (x->nuser == 0) { /* this file: it must hold the cosmology and the box */
      if (hp_params_load(&x->user[0], x->args->param_file, x->args->overrides, x->args->n_overrides,
                         HP_NEED_ALL, st))
        return hp_error_context(
            st,
            "TrainCatalogFormat = %s: the density of your catalogues is made from "
            "the parameters of their initial conditions: name their file in "
            "TrainCatalogParams, or complete this one",
            fmt);
      x->nuser = 1;
    }
  }
  const int k = x->model.meta.nbins;
  if (hp_train_data_init(&x->data, k, st)) return st->code;
  for (int i = 0; i < nc + nvc; i++) {
    const int validation = i >= nc;
    src.path = validation ? val[i - nc] : cat[i];
    src.params = x->nuser == 1 ? x->user[0] : x->nuser ? x->user[i] : NULL;
    float *rho, *counts;
    hp_train_box_info *inf = &x->info[i];
    if (hp_train_box_from_catalog(&src, x->model.meta.voxel_size, k, x->model.meta.bin_edges, &rho,
                                  &counts, inf, st))
      return st->code;
    if (hp_train_data_adopt(&x->data, rho, counts, inf->nv, validation, src.path, st))
      return st->code;
    x->names[i] = (char *)src.path;
    x->nbox++;
    hp_cli_progress(x->t0,
                    "%s box %s: %g Mpc/h, %lld^3 voxels, z = %g, %lld^3 particles, seed %lld: "
                    "%lld of %lld halos in the %d mass bin(s)",
                    validation ? "validation" : "training", src.path, inf->box_size,
                    (long long)inf->nv, inf->redshift, (long long)inf->nparticles,
                    (long long)inf->seed, (long long)inf->ncounted, (long long)inf->nhalos, k);
  }
  return HP_OK;
}

/* Boxes agree with each other and with the model (or, for a new or untrained model, set it). */
static int check_meta(train_ctx *x, hp_status *st) {
  hp_model_meta *m = &x->model.meta;
  const hp_train_box_info *a = &x->info[0];
  for (int i = 1; i < x->nbox; i++) {
    const hp_train_box_info *b = &x->info[i];
    if (fabs(b->redshift - a->redshift) > 1e-6 || b->lpt_order != a->lpt_order ||
        fabs(b->particles_per_voxel / a->particles_per_voxel - 1) > 1e-9)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s (z = %g, LPTOrder %d, %g particles per voxel) and %s (z = %g, LPTOrder "
                     "%d, %g) differ: a model paints one redshift from one kind of density",
                     x->names[0], a->redshift, a->lpt_order, a->particles_per_voxel, x->names[i],
                     b->redshift, b->lpt_order, b->particles_per_voxel);
  }
  const int untrained = isnan(m->omega_m), expert = hp_params_bool(x->p, "AllowModelMismatch") == 1;
  if (fabs(m->redshift - a->redshift) > 1e-6 && !x->fresh && !expert)
    return hp_fail(st, HP_ERR_INPUT,
                   "the model %s is for redshift %g, the catalogues are at z = %g: make the model "
                   "with halopaint model init ... --redshift %g (or leave TrainModelIn empty), or "
                   "AllowModelMismatch = 1 to continue its training at this redshift",
                   hp_params_string(x->p, "TrainModelIn"), m->redshift, a->redshift, a->redshift);
  if (!untrained && !x->fresh && !expert &&
      (m->lpt_order != a->lpt_order ||
       fabs(m->particles_per_voxel / a->particles_per_voxel - 1) > 1e-6))
    return hp_fail(st, HP_ERR_INPUT,
                   "the model %s was trained on LPTOrder %d, %g particles per voxel; the "
                   "catalogues' densities are LPTOrder %d, %g particles per voxel "
                   "(AllowModelMismatch = 1 to train it anyway)",
                   hp_params_string(x->p, "TrainModelIn"), m->lpt_order, m->particles_per_voxel,
                   a->lpt_order, a->particles_per_voxel);
  m->redshift = a->redshift;
  m->lpt_order = a->lpt_order;
  m->particles_per_voxel = a->particles_per_voxel;
  if (untrained || x->fresh) {
    m->omega_m = a->omega_m, m->omega_l = a->omega_l, m->omega_b = a->omega_b;
    m->h = a->h, m->sigma8 = a->sigma8, m->n_s = a->n_s;
  }
  return HP_OK;
}

static int config(train_ctx *x, hp_status *st) {
  hp_train_config *c = &x->cfg;
  if (!strcmp(hp_params_string(x->p, "TrainModelOut"), hp_params_string(x->p, "TrainCheckpoint")))
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainModelOut and TrainCheckpoint are both %s: the model would replace the "
                   "checkpoint's training state; give them different names",
                   hp_params_string(x->p, "TrainModelOut"));
  hp_train_config_default(c);
  const char *o = hp_params_string(x->p, "TrainObjective");
  c->objective = !strcmp(o, "poisson") ? HP_OBJ_POISSON
                 : !strcmp(o, "both")  ? HP_OBJ_BOTH
                                       : HP_OBJ_WGAN_GP;
  c->lr = hp_params_real(x->p, "TrainLearningRate");
  c->beta1 = hp_params_real(x->p, "TrainBeta1");
  c->beta2 = hp_params_real(x->p, "TrainBeta2");
  c->average_decay = hp_params_real(x->p, "TrainAverageDecay");
  c->n_critic = (int)hp_params_int(x->p, "TrainCriticSteps");
  c->gp_lambda = hp_params_real(x->p, "TrainGPLambda");
  c->poisson_weight = hp_params_real(x->p, "TrainPoissonWeight");
  c->patch = (int)hp_params_int(x->p, "TrainPatch");
  c->seed = (uint64_t)hp_params_int(x->p, "TrainSeed");
  c->nthreads = hp_resolve_threads(x->p);
  if (c->objective != HP_OBJ_POISSON && c->patch - 2 * hp_net_halo(&x->model.net) < 19)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainPatch = %d: the critic of %s reads halo patches of at least 19 voxels, "
                   "so the density patch must be at least %d",
                   c->patch, o, 19 + 2 * hp_net_halo(&x->model.net));
  return hp_train_data_prepare(&x->data, c->patch, hp_net_halo(&x->model.net),
                               hp_params_real(x->p, "TrainValidationFraction"), st);
}

/* The model's provenance: how it was trained. */
static void provenance(train_ctx *x, double vloss, double vcorr) {
  hp_model_meta *m = &x->model.meta;
  char before[sizeof m->provenance]; /* a model trained further keeps its history */
  snprintf(before, sizeof before, "%s", x->fresh ? "" : m->provenance);
  size_t n = (size_t)snprintf(
      m->provenance, sizeof m->provenance,
      "%s halopaint train: objective %s, %lld generator updates, seed %llu, patch %d, Adam lr "
      "%g betas %g %g, weight average decay %g, n_critic %d, lambda %g, Poisson weight %g; "
      "validation Poisson NLL %.6g, correlation %.4f; started from %s; boxes:",
      HP_SOFTWARE, hp_objective_name(x->cfg.objective), (long long)hp_trainer_updates(x->t),
      (unsigned long long)x->cfg.seed, x->cfg.patch, x->cfg.lr, x->cfg.beta1, x->cfg.beta2,
      x->cfg.average_decay, x->cfg.n_critic, x->cfg.gp_lambda, x->cfg.poisson_weight, vloss, vcorr,
      x->fresh ? "a new model" : hp_params_string(x->p, "TrainModelIn"));
  for (int i = 0; i < x->nbox && n < sizeof m->provenance; i++)
    n += (size_t)snprintf(m->provenance + n, sizeof m->provenance - n, " %s%s (z %g, seed %lld)",
                          x->data.box[i].validation ? "validation " : "", x->names[i],
                          x->info[i].redshift, (long long)x->info[i].seed);
  if (before[0] && n < sizeof m->provenance)
    snprintf(m->provenance + n, sizeof m->provenance - n, " || before: %.*s",
             (int)(sizeof m->provenance - n), before); /* cut at the field's size */
}

/* The count distribution of the trained means (TrainCountModel): CMP or cmp-step fitted on
 * the training boxes, scored on the validation boxes (train/dispersion.h), or Poisson. */
static int fit_counts(train_ctx *x, hp_status *st) {
  hp_count_dist *d = &x->model.meta.count;
  const int kind = hp_count_kind_parse(hp_params_string(x->p, "TrainCountModel"));
  if (!hp_count_is_cmp(kind)) {
    hp_count_dist_poisson(d, x->model.meta.nbins);
    return HP_OK;
  }
  hp_dispersion_report r;
  const int calibrate = hp_params_bool(x->p, "TrainCalibrate");
  if (hp_dispersion_fit_net(&x->model.net, &x->data, x->cfg.nthreads, calibrate, kind, d, &r, st))
    return st->code;
  for (int k = 0; k < r.k; k++) {
    char means[64] = "painted means as trained (TrainCalibrate 0)", step[48] = "";
    if (calibrate) snprintf(means, sizeof means, "painted means calibrated by %.4f", r.scale[k]);
    if (kind == HP_COUNT_CMP_STEP) snprintf(step, sizeof step, ", group step %+.4f", d->step[k]);
    hp_cli_progress(x->t0,
                    "count distribution, bin %d: %s; ln nu = %+.4f %+.4f ln(1 + mu)%s; -ln L per "
                    "voxel (Poisson -> %s): training %.6f -> %.6f, validation %.6f -> %.6f",
                    k, means, d->a[k], d->b[k], step, hp_count_kind_name(kind),
                    r.nll_train_poisson[k], r.nll_train_cmp[k], r.nll_val_poisson[k],
                    r.nll_val_cmp[k]);
  }
  for (int k = 0; k < r.k; k++)
    hp_cli_progress(x->t0,
                    "exclusion runs, bin %d: length %.3f (large-scale stochasticity on the "
                    "training boxes: truth %.3f, independent draws %.3f, their difference's "
                    "error over the boxes %.3f; fitted where the difference exceeds 2 errors)",
                    k, d->run[k], r.runs.truth[k], r.runs.independent[k], r.runs.deficit_err[k]);
  return HP_OK;
}

/* A new model trained by likelihood starts by predicting each bin's mean count per voxel (the
 * output layer's bias; its weights scaled by 0.1): an output unit that starts below zero
 * everywhere gets no gradient through the output ReLU and stays dead (the first learning curve
 * lost a whole mass bin that way). */
static void init_output_at_mean(train_ctx *x) {
  hp_net *net = &x->model.net;
  const hp_conv *o = &net->conv[net->head_first + net->head_len - 1];
  const int K = x->data.k;
  for (int k = 0; k < K; k++) {
    double sum = 0, nvox = 0;
    for (int b = 0; b < x->data.nbox; b++) {
      const hp_train_box *bx = &x->data.box[b];
      if (bx->validation) continue;
      const int64_t plane = bx->nv * bx->nv, n = bx->train_nx * plane;
      const float *c = bx->counts + (size_t)k * (size_t)(bx->nv * plane);
      for (int64_t i = 0; i < n; i++) sum += c[i];
      nvox += (double)n;
    }
    net->w[o->b_off + k] = nvox > 0 ? (float)(sum / nvox) : 0.0f;
  }
  for (size_t i = 0; i < (size_t)o->cout * o->cin; i++) net->w[o->w_off + i] *= 0.1f;
}

static int write_log(train_ctx *x, hp_status *st) {
  char title[512];
  snprintf(title, sizeof title,
           "halopaint train: %s, %d training box(es), patch %d -> %d, seed %llu",
           hp_objective_name(x->cfg.objective), x->nbox, x->cfg.patch,
           x->cfg.patch - 2 * x->data.halo, (unsigned long long)x->cfg.seed);
  const char *log = hp_params_string(x->p, "TrainLog");
  if (hp_train_log_write(log, x->rows, x->nrows, st)) return st->code;
  return hp_train_log_svg(x->svg, x->rows, x->nrows, title, st);
}

static int save(train_ctx *x, double elapsed, hp_status *st) {
  return hp_checkpoint_save(hp_params_string(x->p, "TrainCheckpoint"), &x->model, x->t, elapsed,
                            st);
}

/* The validation per mass bin, one progress line: each quantity, bin after bin. */
static void progress_bins(const train_ctx *x, const hp_train_val *v) {
  const double *q[4] = {v->bin_loss, v->bin_corr, v->bin_mean, v->bin_bias};
  const char *name[4] = {"-ln L", "r", "abundance", "bias (k < 0.1)"};
  char line[2048];
  size_t n = 0;
  line[0] = '\0';
  for (int i = 0; i < 4 && n < sizeof line; i++)
    for (int k = 0; k < v->k && n < sizeof line; k++)
      n += (size_t)snprintf(line + n, sizeof line - n, "%s%s%s%.*g", i && !k ? "; " : "",
                            k ? "" : name[i], k ? " / " : " ", i ? 4 : 5, q[i][k]);
  hp_cli_progress(x->t0, "validation per bin: %s", line);
}

static void fmt_time(double s, char *buf, size_t n) {
  if (!isfinite(s) || s < 0) s = 0;
  const long h = (long)(s / 3600), mnt = (long)(fmod(s, 3600) / 60);
  if (h)
    snprintf(buf, n, "%ldh%02ldm", h, mnt);
  else
    snprintf(buf, n, "%ldm%02lds", mnt, (long)fmod(s, 60));
}

int hp_cmd_train(int argc, char **argv) {
  hp_cli_args a;
  if (hp_cli_parse(argc, argv, "train", &a)) return 2;
  train_ctx x;
  memset(&x, 0, sizeof x);
  x.args = &a;
  if (!(x.p = hp_cli_load(&a, 0))) return 1;
  x.t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  int rc = 1;
  double elapsed0 = 0;
  if (get_model(&x, &st)) goto fail;
  hp_cli_progress(
      x.t0, "model: %s, %d mass bin(s), voxel %g Mpc/h%s",
      x.fresh ? "new (the paper's initialisation; by likelihood, the output layer starts at "
                "each bin's mean count)"
              : hp_params_string(x.p, "TrainModelIn"),
      x.model.meta.nbins, x.model.meta.voxel_size, x.resume ? "; resuming its training run" : "");
  if (load_data(&x, &st)) goto fail;
  if (check_meta(&x, &st)) goto fail;
  if (config(&x, &st)) goto fail;
  if (x.fresh && x.cfg.objective != HP_OBJ_WGAN_GP) init_output_at_mean(&x);
  if (hp_trainer_create(&x.t, &x.cfg, &x.model.net, &x.data, &st)) goto fail;
  if (x.resume && hp_checkpoint_restore(hp_params_string(x.p, "TrainModelIn"), x.t, &elapsed0, &st))
    goto fail;
  /* the log: a resumed run keeps the rows up to its checkpoint */
  const char *log = hp_params_string(x.p, "TrainLog");
  snprintf(x.svg, sizeof x.svg, "%.*s.svg",
           (int)(strlen(log) > 4 && !strcmp(log + strlen(log) - 4, ".csv") ? strlen(log) - 4
                                                                           : strlen(log)),
           log);
  const int64_t u0 = hp_trainer_updates(x.t), total = hp_params_int(x.p, "TrainUpdates");
  if (x.resume) {
    if (hp_train_log_read(log, &x.rows, &x.nrows, &st)) goto fail;
    while (x.nrows > 0 && x.rows[x.nrows - 1].update > u0) x.nrows--;
  }
  const int64_t every = hp_params_int(x.p, "TrainLogEvery"),
                ckpt = hp_params_int(x.p, "TrainCheckpointEvery");
  hp_cli_progress(x.t0,
                  "training: %s, updates %lld -> %lld, patch %d^3 -> %d^3, %d thread(s), %.1f "
                  "GFLOP per update, %.0f MB; validation on %lld voxels per bin",
                  hp_objective_name(x.cfg.objective), (long long)u0, (long long)total, x.cfg.patch,
                  x.cfg.patch - 2 * x.data.halo,
                  x.cfg.nthreads ? x.cfg.nthreads : omp_get_max_threads(),
                  hp_trainer_flops_per_update(x.t) / 1e9, hp_trainer_bytes(x.t) / 1e6,
                  (long long)x.data.n_val_voxels);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills */
  sigaction(SIGINT, &sa, NULL);
  double sums[5] = {0}, tlast = omp_get_wtime();
  int64_t nsum = 0, ulast = u0;
  const double trun = omp_get_wtime();
  hp_train_val val = {.loss = NAN, .corr = NAN};
  const double kv = VAL_KMAX * x.model.meta.voxel_size; /* the bias's k < 0.1 h/Mpc */
  while (hp_trainer_updates(x.t) < total && !interrupted) {
    hp_train_stats s;
    if (hp_trainer_step(x.t, &s, &st)) goto fail;
    const double v[5] = {s.critic_loss, s.gen_loss, s.wasserstein, s.penalty, s.poisson};
    for (int i = 0; i < 5; i++) sums[i] += v[i];
    nsum++;
    const int64_t u = hp_trainer_updates(x.t);
    if (u % every == 0 || u == total) {
      if (hp_trainer_validate(x.t, kv, &val, &st)) goto fail;
      const double now = omp_get_wtime();
      hp_train_log_row *nr = realloc(x.rows, sizeof *nr * (size_t)(x.nrows + 1));
      if (!nr) {
        hp_fail(&st, HP_ERR_NOMEM, "log: out of memory");
        goto fail;
      }
      x.rows = nr;
      hp_train_log_row *r = &x.rows[x.nrows++];
      memset(r, 0, sizeof *r);
      r->update = u, r->time_s = elapsed0 + now - trun;
      r->critic_loss = sums[0] / nsum, r->generator_loss = sums[1] / nsum;
      r->wasserstein = sums[2] / nsum, r->gradient_penalty = sums[3] / nsum;
      r->poisson_loss = sums[4] / nsum;
      r->validation_loss = val.loss, r->validation_corr = val.corr, r->nbins = val.k;
      for (int k = 0; k < val.k; k++) {
        r->bin[k][0] = val.bin_loss[k], r->bin[k][1] = val.bin_corr[k];
        r->bin[k][2] = val.bin_mean[k], r->bin[k][3] = val.bin_bias[k];
      }
      if (write_log(&x, &st)) goto fail;
      const double rate = (double)(u - ulast) / (now - tlast);
      char eta[32];
      fmt_time((double)(total - u) / rate, eta, sizeof eta);
      char gan[96] = ""; /* the critic's numbers exist only for wgan-gp and both */
      if (!isnan(r->critic_loss))
        snprintf(gan, sizeof gan, "critic %.4g, W %.4g, ", r->critic_loss, r->wasserstein);
      hp_cli_progress(x.t0,
                      "update %lld/%lld: %sgenerator %.4g, validation %.5g (r %.3f); %.3g "
                      "updates/s, %.1f GFLOP/s, ETA %s",
                      (long long)u, (long long)total, gan, r->generator_loss, val.loss, val.corr,
                      rate, rate * hp_trainer_flops_per_update(x.t) / 1e9, eta);
      if (!isnan(val.loss)) progress_bins(&x, &val);
      memset(sums, 0, sizeof sums);
      nsum = 0;
      tlast = omp_get_wtime(), ulast = u;
    }
    if (u % ckpt == 0 && u < total) {
      if (save(&x, elapsed0 + omp_get_wtime() - trun, &st)) goto fail;
      hp_cli_progress(x.t0, "checkpoint %s (update %lld)", hp_params_string(x.p, "TrainCheckpoint"),
                      (long long)u);
    }
  }
  signal(SIGINT, SIG_DFL);
  if (isnan(val.loss)) { /* no interval ended here: score the model handed out */
    if (hp_trainer_validate(x.t, kv, &val, &st)) goto fail;
    if (!isnan(val.loss)) progress_bins(&x, &val);
  }
  memcpy(x.model.net.w, hp_trainer_output_net(x.t)->w, sizeof(float) * x.model.net.nparams);
  if (fit_counts(&x, &st)) goto fail;
  provenance(&x, val.loss, val.corr);
  if (save(&x, elapsed0 + omp_get_wtime() - trun, &st)) goto fail;
  if (hp_model_save(&x.model, hp_params_string(x.p, "TrainModelOut"), &st)) goto fail;
  hp_cli_progress(x.t0, "%s after update %lld: model %s, checkpoint %s (resume: TrainModelIn = %s)",
                  interrupted ? "interrupted" : "done", (long long)hp_trainer_updates(x.t),
                  hp_params_string(x.p, "TrainModelOut"), hp_params_string(x.p, "TrainCheckpoint"),
                  hp_params_string(x.p, "TrainCheckpoint"));
  rc = interrupted ? 130 : 0;
  goto done;
fail:
  hp_error_context(&st, "%s", a.param_file);
  hp_cli_error("train", &st);
done:
  hp_trainer_destroy(x.t);
  hp_train_data_free(&x.data);
  hp_model_free(&x.model);
  for (int i = 0; i < x.nuser; i++) hp_params_free(x.user[i]);
  free(x.rows);
  hp_params_free(x.p);
  return rc;
}
