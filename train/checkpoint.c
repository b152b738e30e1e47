/* Training checkpoints: model file + /Training group (train/checkpoint.h). */
#define _POSIX_C_SOURCE 200809L
#include "train/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "nn/model_io.h"
#include "util/atomic_file.h"
#include "util/hdf5_util.h"

/* A 1-D dataset of n values: file type @p ft, memory type @p mt. */
static int write_array(hid_t g, const char *name, hid_t ft, hid_t mt, const void *v, size_t n,
                       hp_status *st) {
  const hsize_t dims[1] = {n}, start[1] = {0};
  hid_t d;
  int rc = hp_h5_create_dataset(g, name, ft, 1, dims, &d, st);
  if (rc) return rc;
  rc = hp_h5_write_slab(d, mt, start, dims, v, st);
  H5Dclose(d);
  return rc;
}

/* Optimiser state and weights: float32. */
static int write_vec(hid_t g, const char *name, const float *v, size_t n, hp_status *st) {
  return write_array(g, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v, n, st);
}

static int write_i64(hid_t g, const char *name, int64_t v, hp_status *st) {
  return hp_h5_write_attr(g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v, 0, st);
}

static int write_state(hid_t file, hp_trainer *t, double elapsed, hp_status *st) {
  const hp_train_config *c = hp_trainer_config(t);
  hp_train_state s;
  hid_t g;
  hp_trainer_state(t, &s);
  int rc = hp_h5_create_group(file, "Training", &g, st);
  if (rc) return rc;
  const uint64_t seed = c->seed;
  const double reals[] = {c->lr,        c->beta1,          c->beta2,         c->adam_eps,
                          c->gp_lambda, c->poisson_weight, c->average_decay, elapsed};
  const char *rnames[] = {"LearningRate", "Beta1",         "Beta2",        "AdamEpsilon",
                          "GPLambda",     "PoissonWeight", "AverageDecay", "ElapsedSeconds"};
  rc = write_i64(g, "Update", *s.update, st);
  if (!rc) rc = hp_h5_write_attr(g, "Seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed, 0, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "Objective", hp_objective_name(c->objective), st);
  if (!rc) rc = hp_h5_write_attr_int(g, "Patch", &c->patch, 0, st);
  if (!rc) rc = hp_h5_write_attr_int(g, "CriticSteps", &c->n_critic, 0, st);
  for (size_t i = 0; i < sizeof reals / sizeof reals[0] && !rc; i++)
    rc = hp_h5_write_attr_double(g, rnames[i], &reals[i], 0, st);
  if (!rc) rc = write_i64(g, "GeneratorAdamStep", s.gen_adam->t, st);
  if (!rc) rc = write_vec(g, "GeneratorAdamM", s.gen_adam->m, s.gen_n, st);
  if (!rc) rc = write_vec(g, "GeneratorAdamV", s.gen_adam->v, s.gen_n, st);
  /* the weight average in float64: its increments are below float32's resolution */
  if (!rc && s.gen_avg)
    rc = write_array(g, "GeneratorAverage", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s.gen_avg, s.gen_n,
                     st);
  if (!rc && s.critic_w) {
    rc = write_i64(g, "CriticAdamStep", s.critic_adam->t, st);
    if (!rc) rc = write_vec(g, "CriticWeights", s.critic_w, s.critic_n, st);
    if (!rc) rc = write_vec(g, "CriticAdamM", s.critic_adam->m, s.critic_n, st);
    if (!rc) rc = write_vec(g, "CriticAdamV", s.critic_adam->v, s.critic_n, st);
  }
  H5Gclose(g);
  return rc;
}

int hp_checkpoint_save(const char *path, const hp_model *model, hp_trainer *t, double elapsed,
                       hp_status *st) {
  hp_atomic_file af;
  hp_model m = *model;
  const hp_net *net = hp_trainer_net(t);
  if (model->net.nparams != net->nparams)
    return hp_fail(st, HP_ERR_INPUT, "checkpoint %s: the model has %zu parameters, the trainer %zu",
                   path, model->net.nparams, net->nparams);
  m.net.w = net->w; /* the current weights, with the model's metadata */
  int rc = hp_atomic_begin(&af, path, st);
  if (rc) return rc;
  if ((rc = hp_model_save(&m, af.tmp_path, st))) goto fail;
  {
    hp_h5_quiet q;
    hp_h5_quiet_begin(&q);
    hid_t file = H5Fopen(af.tmp_path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) {
      rc = hp_h5_fail(st, HP_ERR_IO, -1, "cannot reopen %s", af.tmp_path);
    } else {
      rc = write_state(file, t, elapsed, st);
      if (H5Fclose(file) < 0 && !rc)
        rc = hp_h5_fail(st, HP_ERR_IO, -1, "cannot close %s", af.tmp_path);
    }
    hp_h5_quiet_end(&q);
    if (rc) goto fail;
  }
  if ((rc = hp_atomic_commit(&af, st))) goto fail;
  return HP_OK;
fail:
  hp_atomic_abort(&af);
  return hp_error_context(st, "writing checkpoint %s", path);
}

int hp_checkpoint_probe(const char *path, int *has, hp_status *st) {
  hid_t file;
  *has = 0;
  int rc = hp_h5_open_ro(path, &file, st);
  if (rc) return rc;
  *has = hp_h5_exists(file, "Training");
  H5Fclose(file);
  return HP_OK;
}

static int read_vec(hid_t g, const char *name, float *v, size_t n, hp_status *st) {
  const hsize_t dims[1] = {n};
  return hp_h5_read_dataset(g, name, H5T_NATIVE_FLOAT, 1, dims, v, st);
}

/* A recorded setting must equal the run's. */
static int same_real(hid_t g, const char *path, const char *name, const char *key, double want,
                     hp_status *st) {
  double have;
  int rc = hp_h5_read_attr(g, name, H5T_NATIVE_DOUBLE, &have, 1, st);
  if (rc) return rc;
  if (have != want)
    return hp_fail(st, HP_ERR_INPUT,
                   "checkpoint %s was made with %s = %.17g, this run has %.17g: restore the "
                   "setting to resume, or set TrainResume = 0 to start a new run from its weights",
                   path, key, have, want);
  return HP_OK;
}

static int same_int(hid_t g, const char *path, const char *name, const char *key, int64_t want,
                    hp_status *st) {
  int64_t have;
  int rc = hp_h5_read_attr(g, name, H5T_NATIVE_INT64, &have, 1, st);
  if (rc) return rc;
  if (have != want)
    return hp_fail(st, HP_ERR_INPUT,
                   "checkpoint %s was made with %s = %lld, this run has %lld: restore the "
                   "setting to resume, or set TrainResume = 0 to start a new run from its weights",
                   path, key, (long long)have, (long long)want);
  return HP_OK;
}

int hp_checkpoint_restore(const char *path, hp_trainer *t, double *elapsed, hp_status *st) {
  const hp_train_config *c = hp_trainer_config(t);
  hp_train_state s;
  hid_t file = -1, g = -1;
  char *obj = NULL;
  int64_t upd = 0, gstep = 0, cstep = 0;
  uint64_t seed = 0;
  double el = 0;
  hp_trainer_state(t, &s);
  int rc = hp_h5_open_ro(path, &file, st);
  if (rc) return hp_error_context(st, "checkpoint");
  if ((rc = hp_h5_open_group(file, "Training", &g, st))) goto done;
  if ((rc = hp_h5_read_attr_string(g, "Objective", &obj, st))) goto done;
  if (strcmp(obj, hp_objective_name(c->objective))) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "checkpoint %s was made with TrainObjective = %s, this run has %s: restore the "
                 "setting to resume, or set TrainResume = 0 to start a new run from its weights",
                 path, obj, hp_objective_name(c->objective));
    goto done;
  }
  if ((rc = hp_h5_read_attr(g, "Seed", H5T_NATIVE_UINT64, &seed, 1, st))) goto done;
  if (seed != c->seed) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "checkpoint %s was made with TrainSeed = %llu, this run has %llu: restore the "
                 "setting to resume, or set TrainResume = 0 to start a new run from its weights",
                 path, (unsigned long long)seed, (unsigned long long)c->seed);
    goto done;
  }
  if ((rc = same_int(g, path, "Patch", "TrainPatch", c->patch, st))) goto done;
  if ((rc = same_int(g, path, "CriticSteps", "TrainCriticSteps", c->n_critic, st))) goto done;
  if ((rc = same_real(g, path, "LearningRate", "TrainLearningRate", c->lr, st))) goto done;
  if ((rc = same_real(g, path, "Beta1", "TrainBeta1", c->beta1, st))) goto done;
  if ((rc = same_real(g, path, "Beta2", "TrainBeta2", c->beta2, st))) goto done;
  if ((rc = same_real(g, path, "AdamEpsilon", "the Adam epsilon", c->adam_eps, st))) goto done;
  if ((rc = same_real(g, path, "GPLambda", "TrainGPLambda", c->gp_lambda, st))) goto done;
  if ((rc = same_real(g, path, "PoissonWeight", "TrainPoissonWeight", c->poisson_weight, st)))
    goto done;
  /* checkpoints from before the average have none: decay 0 */
  if (hp_h5_attr_exists(g, "AverageDecay")) {
    if ((rc = same_real(g, path, "AverageDecay", "TrainAverageDecay", c->average_decay, st)))
      goto done;
  } else if (c->average_decay != 0) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "checkpoint %s was made without TrainAverageDecay, this run has %g: set it to 0 "
                 "to resume, or set TrainResume = 0 to start a new run from its weights",
                 path, c->average_decay);
    goto done;
  }
  if ((rc = hp_h5_read_attr(g, "Update", H5T_NATIVE_INT64, &upd, 1, st))) goto done;
  if ((rc = hp_h5_read_attr(g, "GeneratorAdamStep", H5T_NATIVE_INT64, &gstep, 1, st))) goto done;
  if ((rc = hp_h5_read_attr(g, "ElapsedSeconds", H5T_NATIVE_DOUBLE, &el, 1, st))) goto done;
  if (upd < 0 || gstep < 0) {
    rc = hp_fail(st, HP_ERR_FORMAT, "checkpoint %s: Update = %lld, GeneratorAdamStep = %lld", path,
                 (long long)upd, (long long)gstep);
    goto done;
  }
  if ((rc = read_vec(g, "GeneratorAdamM", s.gen_adam->m, s.gen_n, st))) goto done;
  if ((rc = read_vec(g, "GeneratorAdamV", s.gen_adam->v, s.gen_n, st))) goto done;
  if (s.gen_avg) {
    const hsize_t dims[1] = {s.gen_n};
    if ((rc = hp_h5_read_dataset(g, "GeneratorAverage", H5T_NATIVE_DOUBLE, 1, dims, s.gen_avg, st)))
      goto done;
  }
  if (s.critic_w) {
    if ((rc = hp_h5_read_attr(g, "CriticAdamStep", H5T_NATIVE_INT64, &cstep, 1, st))) goto done;
    if ((rc = read_vec(g, "CriticWeights", s.critic_w, s.critic_n, st))) goto done;
    if ((rc = read_vec(g, "CriticAdamM", s.critic_adam->m, s.critic_n, st))) goto done;
    if ((rc = read_vec(g, "CriticAdamV", s.critic_adam->v, s.critic_n, st))) goto done;
    s.critic_adam->t = cstep;
  }
  *s.update = upd;
  s.gen_adam->t = gstep;
  if (elapsed) *elapsed = el;
done:
  free(obj);
  if (g >= 0) H5Gclose(g);
  H5Fclose(file);
  return rc ? hp_error_context(st, "resuming from %s", path) : HP_OK;
}
