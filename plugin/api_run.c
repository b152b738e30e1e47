/*
 * The job API of plugin/halopaint.h: `halopaint run` as library calls, for bindings that have
 * no C compiler (python/ through ctypes). Parameters are resolved by params/ exactly as the
 * command line resolves FILE.param and its -s overrides, and the realisation is plugin/run.h's,
 * so a job's catalogue equals the file `halopaint run` writes for the same seed.
 *
 * A job keeps its own last error (a context's is private to api.c, and a job needs none of a
 * context's options: Threads and Device are parameter keys). Never prints, never exits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params/params.h"
#include "plugin/halopaint.h"
#include "plugin/run.h"

struct hp_job {
  hp_params *p;    /* resolved parameters; NULL when refused */
  char file[4096]; /* the parameter file, for messages */
  unsigned flags;  /* hp_job_flag bits */
  int init_code;   /* nonzero: hp_job_create refused, every call returns it */
  hp_run *run;     /* the planned pipeline (hp_job_plan) */
  uint64_t *seeds; /* hp_job_seeds, parsed once */
  int64_t nseeds;  /* its length */
  hp_catalog cat;  /* the last realisation */
  int has_cat;     /* cat holds one */
  hp_status last;  /* last call's code and message */
};

static const char null_job_msg[] = "halopaint: NULL job (hp_job_create returned NULL)";

/* Start of every call that can fail: a refused job answers with its refusal. */
static int begin(hp_job *job) {
  if (job->init_code) return job->init_code;
  hp_status_clear(&job->last);
  return HP_OK;
}

static int fail(hp_job *job, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(hp_job *job, int code, const char *fmt, ...) {
  va_list ap;
  job->last.code = code;
  va_start(ap, fmt);
  vsnprintf(job->last.msg, sizeof job->last.msg, fmt, ap);
  va_end(ap);
  return code;
}

hp_job *hp_job_create(const char *param_file, const char *const *overrides, int n_overrides,
                      unsigned flags) {
  hp_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->flags = flags;
  snprintf(job->file, sizeof job->file, "%s", param_file ? param_file : "(no parameter file)");
  if (flags & ~(unsigned)HP_JOB_PARAMS_ONLY)
    fail(job, HP_ERR_INPUT, "hp_job_create: flags = %u: expected 0 or HP_JOB_PARAMS_ONLY (1)",
         flags);
  else if (n_overrides < 0 || (n_overrides > 0 && overrides == NULL))
    fail(job, HP_ERR_INPUT, "hp_job_create: %d overrides at %p: need n_overrides >= 0 strings",
         n_overrides, (const void *)overrides);
  else
    for (int i = 0; i < n_overrides && !job->last.code; i++)
      if (overrides[i] == NULL)
        fail(job, HP_ERR_INPUT, "hp_job_create: overrides[%d] is NULL (expected \"Key=Value\")", i);
  if (!job->last.code)
    hp_params_load(&job->p, param_file, overrides, n_overrides,
                   (flags & HP_JOB_PARAMS_ONLY) ? 0u : (unsigned)HP_NEED_ALL, &job->last);
  job->init_code = job->last.code;
  return job;
}

void hp_job_free(hp_job *job) {
  if (job == NULL) return;
  hp_catalog_free(&job->cat);
  hp_run_destroy(job->run);
  hp_params_free(job->p);
  free(job->seeds);
  free(job);
}

int hp_job_last_code(const hp_job *job) { return job == NULL ? HP_ERR_INPUT : job->last.code; }

const char *hp_job_last_error(const hp_job *job) {
  return job == NULL ? null_job_msg : job->last.msg;
}

const char *hp_job_key_type(const char *key) {
  static const char *const names[] = {"int", "real", "bool", "string", "choice"};
  const hp_param_spec *s = key ? hp_param_find(key) : NULL;
  return s ? names[s->type] : NULL;
}

int hp_job_param_count(const hp_job *job) {
  return job == NULL || job->p == NULL ? 0 : hp_params_kv(job->p).n;
}

const char *hp_job_param_key(const hp_job *job, int i) {
  if (i < 0 || i >= hp_job_param_count(job)) return NULL;
  return hp_params_kv(job->p).key[i];
}

const char *hp_job_param(hp_job *job, const char *key) {
  if (job == NULL || begin(job)) return NULL;
  const char *v = key ? hp_params_string(job->p, key) : NULL;
  if (v == NULL)
    fail(job, HP_ERR_INPUT, "hp_job_param: unknown key \"%.200s\" (see `halopaint help params`)",
         key ? key : "(NULL)");
  return v;
}

int hp_job_param_is_set(const hp_job *job, const char *key) {
  return job != NULL && job->p != NULL && key != NULL && hp_params_is_set(job->p, key) == 1;
}

int hp_job_seeds(hp_job *job, const uint64_t **seeds, int64_t *n) {
  if (job == NULL) return HP_ERR_INPUT;
  int rc = begin(job);
  if (rc) return rc;
  if (seeds == NULL || n == NULL)
    return fail(job, HP_ERR_INPUT, "hp_job_seeds: %s is NULL", seeds ? "n" : "seeds");
  if (job->seeds == NULL) {
    const char *spec = hp_params_string(job->p, "Seeds");
    if (!spec[0] && !hp_params_is_set(job->p, "Seed"))
      return fail(job, HP_ERR_INPUT, "hp_job_seeds: %s: neither Seeds nor Seed is given",
                  job->file);
    if (hp_run_parse_seeds(spec, (uint64_t)hp_params_int(job->p, "Seed"), &job->seeds, &job->nseeds,
                           &job->last))
      return hp_error_context(&job->last, "hp_job_seeds: %s", job->file);
  }
  *seeds = job->seeds;
  *n = job->nseeds;
  return HP_OK;
}

/* hp_job_plan after begin(). */
static int plan(hp_job *job, const char *who) {
  if (job->run) return HP_OK;
  if (job->flags & HP_JOB_PARAMS_ONLY)
    return fail(job, HP_ERR_INPUT,
                "%s: the job was created with HP_JOB_PARAMS_ONLY (parameters only, no run)", who);
  if (hp_run_create(&job->run, job->p, &job->last))
    return hp_error_context(&job->last, "%s: %s", who, job->file);
  return HP_OK;
}

int hp_job_plan(hp_job *job) {
  if (job == NULL) return HP_ERR_INPUT;
  const int rc = begin(job);
  return rc ? rc : plan(job, "hp_job_plan");
}

int hp_job_run(hp_job *job, uint64_t seed) {
  static const char who[] = "hp_job_run";
  if (job == NULL) return HP_ERR_INPUT;
  int rc = begin(job);
  if (rc) return rc;
  hp_catalog_free(&job->cat);
  job->has_cat = 0;
  if (seed > HP_SEED_MAX)
    return fail(job, HP_ERR_INPUT, "%s: seed %llu is above the largest seed %llu", who,
                (unsigned long long)seed, (unsigned long long)HP_SEED_MAX);
  if ((rc = plan(job, who))) return rc;
  hp_run_times t;
  memset(&job->cat, 0, sizeof job->cat);
  if (hp_run_seed(job->run, seed, &job->cat, &t, &job->last)) {
    hp_catalog_free(&job->cat);
    return hp_error_context(&job->last, "%s: %s", who, job->file);
  }
  job->has_cat = 1;
  return HP_OK;
}

int hp_job_column(hp_job *job, const char *name, const void **data, int64_t *rows, int *cols) {
  static const char who[] = "hp_job_column";
  if (job == NULL) return HP_ERR_INPUT;
  int rc = begin(job);
  if (rc) return rc;
  if (data == NULL) return fail(job, HP_ERR_INPUT, "%s: data (output) is NULL", who);
  *data = NULL;
  if (!job->has_cat)
    return fail(job, HP_ERR_INPUT, "%s: no catalogue yet (call hp_job_run first)", who);
  const hp_catalog *c = &job->cat;
  const struct {
    const char *name;
    const void *data;
    int cols;
  } col[] = {{"Position", c->pos, 3},
             {"Velocity", c->vel, 3},
             {"Mass", c->mass, 1},
             {"ID", c->id, 1},
             {"MassBin", c->mass_bin, 1},
             {"NumParticles", c->npart, 1},
             {"LagrangianPosition", c->lagr_pos, 3}};
  for (size_t i = 0; name && i < sizeof col / sizeof col[0]; i++)
    if (!strcmp(name, col[i].name)) {
      *data = col[i].data;
      if (rows) *rows = c->n;
      if (cols) *cols = col[i].cols;
      return HP_OK;
    }
  return fail(job, HP_ERR_INPUT,
              "%s: unknown column \"%.200s\": expected Position, Velocity, Mass, ID, MassBin, "
              "NumParticles or LagrangianPosition",
              who, name ? name : "(NULL)");
}
