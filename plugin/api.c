/*
 * The public C API (plugin/halopaint.h): a context that carries options, the chosen device and
 * the last error; model handles; painter plans on density grids and on a host code's particles
 * (cloud-in-cell, cic/cic.h, then the painter engine, plugin/engine.h: CPU or CUDA).
 *
 * Every entry point validates its arguments before touching them, turns the library's
 * hp_status into the context's last error (and the log callback), and never prints or exits.
 * Plans allocate everything at creation; painting allocates nothing.
 */
#include "plugin/halopaint.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cic/cic.h"
#include "nn/model_io.h"
#include "nn/painter.h"
#include "plugin/engine.h"
#include "plugin/snapshot.h"

/** Relative difference of voxel sizes above which host grid and model disagree. */
#define HP_API_VOXEL_TOL 1e-3

enum { DEV_CPU = 0, DEV_CUDA = 1 };

struct hp_context {
  int nthreads;      /* OpenMP threads (0 = all) */
  int device;        /* DEV_CPU or DEV_CUDA, resolved by hp_init */
  int device_id;     /* CUDA device index */
  void *cuda_stream; /* host's cudaStream_t (unused on the CPU) */
  int tf32;          /* GPU convolutions on the tensor cores */
  hp_log_fn log;     /* log callback or NULL */
  void *log_user;    /* its first argument */
  int strict;        /* refuse voxel-size mismatches */
  int init_code;     /* nonzero: hp_init refused the options, every call returns it */
  hp_status last;    /* last call's code and message */
};

struct hp_model_handle {
  hp_model model; /* network + metadata */
  char path[4096];
};

struct hp_paint_plan {
  hp_engine *painter; /* painter plan on the context's device */
  hp_cic_plan *cic;   /* CIC plan (particles = 1) */
  float *density;     /* n^3 rho/rho_mean grid (particles = 1) */
  int64_t n[3];       /* input shape */
  int64_t out[3];     /* output shape */
  int k_out;          /* count grids */
  double box;         /* box side along x in the host's length unit */
  int periodic;       /* periodic plan */
  int has_density;    /* hp_paint_particles has filled density */
};

static const char null_ctx_msg[] =
    "halopaint: NULL context (hp_init returned NULL or was not called)";

/* ------------------------------------------------------------------------------------------ */
/* Context, errors and logging                                                                */
/* ------------------------------------------------------------------------------------------ */

static void emit(hp_context *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emit(hp_context *ctx, int level, const char *fmt, ...) {
  char msg[HP_MSG_LEN];
  va_list ap;
  if (ctx->log == NULL) return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctx->log(ctx->log_user, level, msg);
}

/* Start of every call: a refused context answers with its init error; otherwise clear. */
static int begin(hp_context *ctx) {
  if (ctx->init_code) return ctx->init_code;
  hp_status_clear(&ctx->last);
  return HP_OK;
}

/* End of a failing call: the message is already in ctx->last; pass it to the log. */
static int failed(hp_context *ctx) {
  if (ctx->last.code == HP_OK) {
    ctx->last.code = HP_ERR_INTERNAL;
    snprintf(ctx->last.msg, sizeof ctx->last.msg, "internal error without a message");
  }
  emit(ctx, HP_LOG_ERROR, "%s", ctx->last.msg);
  return ctx->last.code;
}

/* Record a failure made here (printf-style) and log it. */
static int fail(hp_context *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(hp_context *ctx, int code, const char *fmt, ...) {
  va_list ap;
  ctx->last.code = code;
  va_start(ap, fmt);
  vsnprintf(ctx->last.msg, sizeof ctx->last.msg, fmt, ap);
  va_end(ap);
  return failed(ctx);
}

void hp_options_default(hp_options *opt) {
  if (opt == NULL) return;
  memset(opt, 0, sizeof *opt);
  opt->nthreads = 0;
  opt->device = "auto";
  opt->device_id = 0;
}

hp_context *hp_init(const hp_options *opt) {
  hp_options o;
  hp_context *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return NULL;
  if (opt != NULL)
    o = *opt;
  else
    hp_options_default(&o);
  ctx->nthreads = o.nthreads;
  ctx->device_id = o.device_id;
  ctx->cuda_stream = o.cuda_stream;
  ctx->tf32 = o.precision && !strcmp(o.precision, "tf32");
  ctx->log = o.log;
  ctx->log_user = o.log_user;
  ctx->strict = o.strict != 0;
  ctx->device = DEV_CPU;
  char note[512] = "";
  int rc = HP_OK, use_cuda = 0;
  if (o.nthreads < 0) {
    rc = fail(ctx, HP_ERR_INPUT, "hp_init: nthreads = %d: must be >= 0 (0 = all threads)",
              o.nthreads);
  } else if (o.precision && strcmp(o.precision, "fp32") && strcmp(o.precision, "tf32")) {
    rc = fail(ctx, HP_ERR_INPUT, "hp_init: precision \"%.100s\": expected \"fp32\" or \"tf32\"",
              o.precision);
  } else if (hp_engine_resolve_device(o.device, o.device_id, &use_cuda, note, sizeof note,
                                      &ctx->last)) {
    hp_error_context(&ctx->last, "hp_init");
    rc = failed(ctx);
  } else {
    ctx->device = use_cuda ? DEV_CUDA : DEV_CPU;
    emit(ctx, HP_LOG_INFO, "hp_init: device \"%s\" -> %s, %d thread(s) (0 = all)",
         o.device ? o.device : "auto", note, o.nthreads);
  }
  ctx->init_code = rc;
  return ctx;
}

void hp_finalize(hp_context *ctx) { free(ctx); }

int hp_last_code(const hp_context *ctx) { return ctx == NULL ? HP_ERR_INPUT : ctx->last.code; }

const char *hp_last_error(const hp_context *ctx) {
  return ctx == NULL ? null_ctx_msg : ctx->last.msg;
}

const char *hp_device(const hp_context *ctx) {
  return ctx == NULL ? "none" : (ctx->device == DEV_CUDA ? "cuda" : "cpu");
}

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                     */
/* ------------------------------------------------------------------------------------------ */

int hp_model_open(hp_context *ctx, const char *path, hp_model_handle **model) {
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (model == NULL) return fail(ctx, HP_ERR_INPUT, "hp_model_open: model (output) is NULL");
  *model = NULL;
  if (path == NULL || path[0] == '\0')
    return fail(ctx, HP_ERR_INPUT, "hp_model_open: no file name (path is NULL or empty)");
  if (strlen(path) >= sizeof((hp_model_handle *)0)->path)
    return fail(ctx, HP_ERR_INPUT, "hp_model_open: path longer than 4095 characters");
  hp_model_handle *h = calloc(1, sizeof *h);
  if (h == NULL) return fail(ctx, HP_ERR_NOMEM, "hp_model_open: out of memory");
  if (hp_model_load(&h->model, path, &ctx->last)) {
    free(h);
    return failed(ctx);
  }
  snprintf(h->path, sizeof h->path, "%s", path);
  emit(ctx, HP_LOG_DEBUG, "model %s: K = %d, voxel %g Mpc/h, z = %g, %zu parameters", path,
       h->model.net.k_out, h->model.meta.voxel_size, h->model.meta.redshift, h->model.net.nparams);
  *model = h;
  return HP_OK;
}

int hp_model_get_info(hp_context *ctx, const hp_model_handle *model, hp_model_info *info) {
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (model == NULL || info == NULL)
    return fail(ctx, HP_ERR_INPUT, "hp_model_get_info: %s is NULL", model ? "info" : "model");
  const hp_model_meta *m = &model->model.meta;
  memset(info, 0, sizeof *info);
  info->nbins = m->nbins;
  info->bin_edges = m->bin_edges;
  info->voxel_size = m->voxel_size;
  info->redshift = m->redshift;
  info->lpt_order = m->lpt_order;
  info->particles_per_voxel = m->particles_per_voxel;
  info->omega_m = m->omega_m;
  info->omega_l = m->omega_l;
  info->omega_b = m->omega_b;
  info->h = m->h;
  info->sigma8 = m->sigma8;
  info->n_s = m->n_s;
  info->halo = hp_net_halo(&model->model.net);
  info->nparams = model->model.net.nparams;
  info->format_version = m->format_version;
  info->density_norm = m->density_norm;
  info->provenance = m->provenance;
  info->path = model->path;
  return HP_OK;
}

void hp_model_close(hp_model_handle *model) {
  if (model == NULL) return;
  hp_model_free(&model->model);
  free(model);
}

/* ------------------------------------------------------------------------------------------ */
/* Plans                                                                                      */
/* ------------------------------------------------------------------------------------------ */

void hp_plan_free(hp_paint_plan *plan) {
  if (plan == NULL) return;
  hp_engine_destroy(plan->painter);
  hp_cic_plan_destroy(plan->cic);
  hp_free(plan->density);
  free(plan);
}

/* Host voxel vs model voxel: warn, or refuse in strict mode. */
static int check_voxel(hp_context *ctx, const hp_model_handle *model, const hp_plan_desc *d,
                       double unit) {
  const double mv = model->model.meta.voxel_size;
  if (d->box_size == 0) {
    if (ctx->strict)
      return fail(ctx, HP_ERR_INPUT,
                  "hp_plan_create: box_size = 0 (unknown) in strict mode: the model's voxel size "
                  "(%g Mpc/h) cannot be checked",
                  mv);
    emit(ctx, HP_LOG_INFO, "hp_plan_create: box size not given: model voxel %g Mpc/h not checked",
         mv);
    return HP_OK;
  }
  const double hv = d->box_size * unit / (double)d->n[0];
  if (fabs(hv - mv) <= HP_API_VOXEL_TOL * mv) return HP_OK;
  const double nv_ok = floor(d->box_size * unit / mv + 0.5);
  char msg[1600];
  snprintf(msg, sizeof msg,
           "hp_plan_create: host voxel %g Mpc/h (box_size %g / %lld voxels, length unit %g Mpc/h) "
           "differs from the model's %g Mpc/h (%.1000s): use %.0f voxels per side for this box",
           hv, d->box_size, (long long)d->n[0], unit, mv, model->path, nv_ok);
  if (ctx->strict) return fail(ctx, HP_ERR_INPUT, "%s (strict mode)", msg);
  emit(ctx, HP_LOG_WARNING, "%s; painting anyway (set hp_options.strict to refuse)", msg);
  return HP_OK;
}

int hp_plan_create(hp_context *ctx, const hp_model_handle *model, const hp_plan_desc *desc,
                   hp_paint_plan **plan) {
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (plan == NULL) return fail(ctx, HP_ERR_INPUT, "hp_plan_create: plan (output) is NULL");
  *plan = NULL;
  if (model == NULL) return fail(ctx, HP_ERR_INPUT, "hp_plan_create: model is NULL");
  if (desc == NULL) return fail(ctx, HP_ERR_INPUT, "hp_plan_create: desc is NULL");
  const hp_plan_desc *d = desc;
  const int halo = hp_net_halo(&model->model.net);
  for (int a = 0; a < 3; a++) {
    const int64_t min = d->periodic ? 1 : 2 * (int64_t)halo + 1;
    if (d->n[a] < min || d->n[a] > HP_CIC_NV_MAX)
      return fail(ctx, HP_ERR_INPUT,
                  "hp_plan_create: grid %lld x %lld x %lld: every side must be in %lld..%lld "
                  "(%s grid, the model's halo is %d voxels)",
                  (long long)d->n[0], (long long)d->n[1], (long long)d->n[2], (long long)min,
                  (long long)HP_CIC_NV_MAX, d->periodic ? "periodic" : "non-periodic", halo);
  }
  if (d->n[0] > INT64_MAX / d->n[1] / d->n[2])
    return fail(ctx, HP_ERR_INPUT, "hp_plan_create: grid too large (voxel count overflows)");
  if (d->periodic != 0 && d->periodic != 1)
    return fail(ctx, HP_ERR_INPUT, "hp_plan_create: periodic = %d: must be 0 or 1", d->periodic);
  if (d->particles != 0 && d->particles != 1)
    return fail(ctx, HP_ERR_INPUT, "hp_plan_create: particles = %d: must be 0 or 1", d->particles);
  if (!isfinite(d->box_size) || d->box_size < 0)
    return fail(ctx, HP_ERR_INPUT, "hp_plan_create: box_size = %g: must be finite and >= 0",
                d->box_size);
  if (!isfinite(d->length_unit) || d->length_unit < 0)
    return fail(ctx, HP_ERR_INPUT,
                "hp_plan_create: length_unit = %g Mpc/h: must be finite and > 0 (0 = Mpc/h)",
                d->length_unit);
  const double unit = d->length_unit > 0 ? d->length_unit : 1.0;
  if (d->particles) {
    if (!d->periodic || d->n[0] != d->n[1] || d->n[0] != d->n[2])
      return fail(ctx, HP_ERR_INPUT,
                  "hp_plan_create: painting particles needs a periodic cubic grid (got %lld x "
                  "%lld x %lld, periodic = %d)",
                  (long long)d->n[0], (long long)d->n[1], (long long)d->n[2], d->periodic);
    if (d->box_size <= 0)
      return fail(ctx, HP_ERR_INPUT,
                  "hp_plan_create: painting particles needs box_size > 0 (the CIC box side)");
  }
  if ((rc = check_voxel(ctx, model, d, unit))) return rc;

  hp_paint_plan *p = calloc(1, sizeof *p);
  if (p == NULL) return fail(ctx, HP_ERR_NOMEM, "hp_plan_create: out of memory");
  hp_engine_desc ed = {{d->n[0], d->n[1], d->n[2]},
                       d->periodic,
                       ctx->nthreads,
                       ctx->device == DEV_CUDA ? "cuda" : "cpu",
                       ctx->device_id,
                       ctx->cuda_stream,
                       0,
                       ctx->tf32};
  if (hp_engine_create(&p->painter, &model->model.net, &ed, &ctx->last)) goto fail;
  hp_engine_out_shape(p->painter, p->out);
  if (d->particles) {
    const int64_t nv = d->n[0];
    if (hp_cic_plan_create(&p->cic, nv, d->box_size, ctx->nthreads, &ctx->last)) goto fail;
    p->density = hp_alloc((size_t)(nv * nv * nv) * sizeof(float), "density grid", &ctx->last);
    if (p->density == NULL) goto fail;
  }
  memcpy(p->n, d->n, sizeof p->n);
  p->k_out = model->model.net.k_out;
  p->box = d->box_size;
  p->periodic = d->periodic;
  emit(ctx, HP_LOG_DEBUG, "plan: %lld x %lld x %lld -> %lld x %lld x %lld, K = %d, %zu bytes",
       (long long)p->n[0], (long long)p->n[1], (long long)p->n[2], (long long)p->out[0],
       (long long)p->out[1], (long long)p->out[2], p->k_out,
       hp_engine_host_bytes(p->painter) + (p->cic ? hp_cic_plan_workspace_bytes(p->cic) : 0));
  *plan = p;
  return HP_OK;
fail:
  hp_plan_free(p);
  hp_error_context(&ctx->last, "hp_plan_create");
  return failed(ctx);
}

int hp_plan_get_shape(hp_context *ctx, const hp_paint_plan *plan, int64_t out[3], int *nbins) {
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (plan == NULL || out == NULL)
    return fail(ctx, HP_ERR_INPUT, "hp_plan_get_shape: %s is NULL", plan ? "out" : "plan");
  memcpy(out, plan->out, sizeof plan->out);
  if (nbins != NULL) *nbins = plan->k_out;
  return HP_OK;
}

/* counts: K distinct non-NULL pointers, none equal to the input. */
static int check_counts(hp_context *ctx, const char *who, const hp_paint_plan *plan,
                        const float *input, float *const *counts) {
  if (counts == NULL) return fail(ctx, HP_ERR_INPUT, "%s: counts is NULL", who);
  for (int k = 0; k < plan->k_out; k++) {
    if (counts[k] == NULL)
      return fail(ctx, HP_ERR_INPUT, "%s: counts[%d] is NULL (the model paints %d grids)", who, k,
                  plan->k_out);
    if (counts[k] == input)
      return fail(ctx, HP_ERR_INPUT, "%s: counts[%d] is the input grid (painting is not in place)",
                  who, k);
    for (int j = 0; j < k; j++)
      if (counts[j] == counts[k])
        return fail(ctx, HP_ERR_INPUT, "%s: counts[%d] and counts[%d] are the same grid", who, j,
                    k);
  }
  return HP_OK;
}

int hp_plan_execute(hp_context *ctx, hp_paint_plan *plan, const float *density,
                    float *const *counts) {
  static const char who[] = "hp_plan_execute";
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (plan == NULL) return fail(ctx, HP_ERR_INPUT, "%s: plan is NULL", who);
  if (density == NULL) return fail(ctx, HP_ERR_INPUT, "%s: density is NULL", who);
  if ((rc = check_counts(ctx, who, plan, density, counts))) return rc;
  const int64_t bad = hp_painter_first_nonfinite(density, plan->n[0] * plan->n[1] * plan->n[2]);
  if (bad >= 0) {
    const int64_t z = bad % plan->n[2], y = (bad / plan->n[2]) % plan->n[1],
                  x = bad / plan->n[2] / plan->n[1];
    return fail(ctx, HP_ERR_INPUT, "%s: density voxel [%lld][%lld][%lld] is %s", who, (long long)x,
                (long long)y, (long long)z, isnan(density[bad]) ? "NaN" : "infinite");
  }
  if (hp_engine_execute(plan->painter, density, counts, &ctx->last)) {
    hp_error_context(&ctx->last, "%s", who);
    return failed(ctx);
  }
  return HP_OK;
}

int hp_particles_interleaved(hp_context *ctx, hp_particles *parts, int64_t n, const float *xyz,
                             ptrdiff_t stride) {
  static const char who[] = "hp_particles_interleaved";
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (parts == NULL) return fail(ctx, HP_ERR_INPUT, "%s: parts is NULL", who);
  memset(parts, 0, sizeof *parts);
  if (xyz == NULL) return fail(ctx, HP_ERR_INPUT, "%s: positions (xyz) are NULL", who);
  if (n < 1)
    return fail(ctx, HP_ERR_INPUT, "%s: n = %lld: need at least one particle", who, (long long)n);
  if (stride < 3)
    return fail(ctx, HP_ERR_INPUT,
                "%s: stride = %td floats: interleaved x y z need a stride of at least 3", who,
                stride);
  parts->n = n;
  parts->x = xyz;
  parts->y = xyz + 1;
  parts->z = xyz + 2;
  parts->stride = stride;
  return HP_OK;
}

int hp_paint_particles(hp_context *ctx, hp_paint_plan *plan, const hp_particles *parts,
                       float *const *counts) {
  static const char who[] = "hp_paint_particles";
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (plan == NULL) return fail(ctx, HP_ERR_INPUT, "%s: plan is NULL", who);
  if (plan->cic == NULL)
    return fail(ctx, HP_ERR_INPUT,
                "%s: the plan was created without particles = 1 (no CIC grid): use "
                "hp_plan_execute or create the plan with particles = 1",
                who);
  if (parts == NULL) return fail(ctx, HP_ERR_INPUT, "%s: parts is NULL", who);
  if (parts->n < 1)
    return fail(ctx, HP_ERR_INPUT, "%s: n = %lld particles: need at least one", who,
                (long long)parts->n);
  if (parts->x == NULL || parts->y == NULL || parts->z == NULL)
    return fail(ctx, HP_ERR_INPUT, "%s: position array %s is NULL", who,
                parts->x == NULL ? "x" : (parts->y == NULL ? "y" : "z"));
  if (parts->stride < 1)
    return fail(ctx, HP_ERR_INPUT, "%s: stride = %td floats: must be >= 1", who, parts->stride);
  if (parts->mass != NULL && parts->mass_stride < 1)
    return fail(ctx, HP_ERR_INPUT, "%s: mass_stride = %td floats: must be >= 1 with masses", who,
                parts->mass_stride);
  if (parts->lattice_np < 0)
    return fail(ctx, HP_ERR_INPUT, "%s: lattice_np = %lld: must be >= 0", who,
                (long long)parts->lattice_np);
  if (parts->lattice_np > 0) {
    const int64_t np = parts->lattice_np;
    if (np > 2097151 || np * np * np != parts->n)
      return fail(ctx, HP_ERR_INPUT, "%s: n = %lld particles but lattice_np^3 = %lld^3", who,
                  (long long)parts->n, (long long)np);
  }
  if ((rc = check_counts(ctx, who, plan, plan->density, counts))) return rc;
  hp_cic_particles cp = {parts->n,    parts->x,           parts->y,
                         parts->z,    parts->stride,      parts->lattice_np,
                         parts->mass, parts->mass_stride, NULL};
  plan->has_density = 0;
  if (hp_cic_density(plan->cic, &cp, plan->density, &ctx->last)) {
    hp_error_context(&ctx->last, "%s", who);
    return failed(ctx);
  }
  plan->has_density = 1;
  if (hp_engine_execute(plan->painter, plan->density, counts, &ctx->last)) {
    hp_error_context(&ctx->last, "%s", who);
    return failed(ctx);
  }
  return HP_OK;
}

const float *hp_plan_density(const hp_paint_plan *plan) {
  return plan != NULL && plan->has_density ? plan->density : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Particle files                                                                             */
/* ------------------------------------------------------------------------------------------ */

struct hp_particle_file {
  hp_snapshot snap;
};

int hp_particle_file_read(hp_context *ctx, const char *path, double length_unit, int peculiar,
                          hp_particle_file **file) {
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (file == NULL) return fail(ctx, HP_ERR_INPUT, "hp_particle_file_read: file is NULL");
  *file = NULL;
  if (path == NULL) return fail(ctx, HP_ERR_INPUT, "hp_particle_file_read: path is NULL");
  if (!(length_unit >= 0) || !isfinite(length_unit))
    return fail(ctx, HP_ERR_INPUT, "hp_particle_file_read: length_unit = %g: must be >= 0",
                length_unit);
  hp_particle_file *f = calloc(1, sizeof *f);
  if (f == NULL) return fail(ctx, HP_ERR_NOMEM, "hp_particle_file_read: out of memory");
  if (hp_snapshot_read(&f->snap, path, length_unit,
                       peculiar ? HP_SNAP_VEL_PECULIAR : HP_SNAP_VEL_GADGET, &ctx->last)) {
    free(f);
    return failed(ctx);
  }
  emit(ctx, HP_LOG_INFO, "%s: %lld particles, BoxSize %g Mpc/h, z = %g; length unit %s", path,
       (long long)f->snap.n, f->snap.box, f->snap.redshift, f->snap.unit_note);
  *file = f;
  return HP_OK;
}

int hp_particle_file_get_info(hp_context *ctx, const hp_particle_file *file,
                              hp_particle_file_info *info) {
  if (ctx == NULL) return HP_ERR_INPUT;
  int rc = begin(ctx);
  if (rc) return rc;
  if (file == NULL || info == NULL)
    return fail(ctx, HP_ERR_INPUT, "hp_particle_file_get_info: %s is NULL",
                file == NULL ? "file" : "info");
  info->n = file->snap.n, info->xyz = file->snap.pos, info->vel = file->snap.vel;
  info->box_size = file->snap.box, info->redshift = file->snap.redshift;
  info->length_unit = file->snap.length_unit;
  return HP_OK;
}

void hp_particle_file_free(hp_particle_file *file) {
  if (file == NULL) return;
  hp_snapshot_free(&file->snap);
  free(file);
}
