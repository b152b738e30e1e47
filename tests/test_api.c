/*
 * Tests of the public C API (plugin/halopaint.h): options and devices, error codes and
 * messages for every kind of invalid argument (never a crash), the log callback, the voxel-size
 * check (warning, or refusal in strict mode), and painting: hp_paint_particles must equal, bit
 * for bit, CIC (cic/cic.h) followed by hp_painter_execute done by hand, for separate and
 * interleaved positions, with masses and with lattice displacements; hp_plan_execute must equal
 * the painter on the same grid. The job API (hp_job_*) must give the catalogue of plugin/run.h's
 * hp_run_seed for the same file, overrides and seed, and name the file, key or value it refuses.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cic/cic.h"
#include "lpt/ic_write.h"
#include "nn/model_io.h"
#include "nn/painter.h"
#include "cuda/device.h"
#include "plugin/halopaint.h"
#include "plugin/run.h"

#define NV 16
#define BOX 64.0 /* Mpc/h: 4 Mpc/h voxels, the model's */
#define NPART 6000
#define K 2

static char g_dir[256];
static char g_model[512];
static hp_model g_ref;         /* the model as written */
static float g_pos[NPART * 4]; /* x y z m per particle (interleaved, stride 4) */
static float g_sep[3][NPART];  /* the same positions as separate arrays */

/* Log capture. */
typedef struct log_rec {
  int n[4];
  char last[4][HP_MSG_LEN];
} log_rec;

static void log_cb(void *user, int level, const char *msg) {
  log_rec *r = user;
  assert_true(level >= HP_LOG_DEBUG && level <= HP_LOG_ERROR);
  assert_non_null(msg);
  r->n[level]++;
  snprintf(r->last[level], sizeof r->last[level], "%s", msg);
}

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static double uniform(void) {
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return (double)((g_rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int setup(void **state) {
  hp_status st;
  const double edges[K + 1] = {1e12, 1e13, 1e14};
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/hp_test_api.XXXXXX");
  if (mkdtemp(g_dir) == NULL) return -1;
  snprintf(g_model, sizeof g_model, "%s/model.h5", g_dir);
  if (hp_model_init(&g_ref, K, edges, 99, &st) || hp_model_save(&g_ref, g_model, &st)) return -1;
  /* clustered particles: a few Gaussian clumps plus a uniform background, some outside */
  for (int i = 0; i < NPART; i++) {
    double c[3];
    const int clump = i % 5;
    for (int a = 0; a < 3; a++) {
      double u = uniform();
      if (clump < 4) {
        double g = sqrt(-2 * log(uniform() + 1e-12)) * cos(2 * M_PI * uniform());
        c[a] = BOX * (0.2 + 0.2 * clump) + 3.0 * g + (a == 1 ? 7.0 * clump : 0);
      } else {
        c[a] = BOX * (1.2 * u - 0.1); /* partly outside [0, L): wrapped */
      }
      g_pos[4 * i + a] = (float)c[a];
      g_sep[a][i] = (float)c[a];
    }
    g_pos[4 * i + 3] = (float)(0.5 + uniform());
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  hp_model_free(&g_ref);
  unlink(g_model);
  rmdir(g_dir);
  return 0;
}

static hp_context *make_ctx(log_rec *rec, int strict) {
  hp_options o;
  hp_options_default(&o);
  o.nthreads = 2;
  o.log = log_cb;
  o.log_user = rec;
  o.strict = strict;
  hp_context *ctx = hp_init(&o);
  assert_non_null(ctx);
  assert_int_equal(hp_last_code(ctx), 0);
  return ctx;
}

/* ------------------------------------------------------------------------------------------ */
/* Context and devices                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void test_null_context(void **state) {
  hp_model_handle *m = NULL;
  hp_paint_plan *p = NULL;
  hp_particles parts;
  hp_plan_desc d = {{NV, NV, NV}, BOX, 1, 1, 1};
  int64_t out[3];
  hp_model_info info;
  float *counts[K] = {NULL, NULL};
  (void)state;
  assert_int_equal(hp_last_code(NULL), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(NULL), "NULL context"));
  assert_string_equal(hp_device(NULL), "none");
  assert_int_equal(hp_model_open(NULL, g_model, &m), HP_ERR_INPUT);
  assert_null(m);
  assert_int_equal(hp_model_get_info(NULL, m, &info), HP_ERR_INPUT);
  assert_int_equal(hp_plan_create(NULL, m, &d, &p), HP_ERR_INPUT);
  assert_int_equal(hp_plan_get_shape(NULL, p, out, NULL), HP_ERR_INPUT);
  assert_int_equal(hp_plan_execute(NULL, p, g_sep[0], counts), HP_ERR_INPUT);
  assert_int_equal(hp_particles_interleaved(NULL, &parts, NPART, g_pos, 4), HP_ERR_INPUT);
  assert_int_equal(hp_paint_particles(NULL, p, &parts, counts), HP_ERR_INPUT);
  assert_null(hp_plan_density(NULL));
  hp_plan_free(NULL);
  hp_model_close(NULL);
  hp_finalize(NULL);
  hp_options_default(NULL);
}

static void test_devices(void **state) {
  log_rec rec;
  hp_options o;
  hp_model_handle *m = (hp_model_handle *)&rec; /* must be reset to NULL */
  (void)state;
  /* defaults and NULL options */
  hp_context *ctx = hp_init(NULL);
  assert_non_null(ctx);
  assert_int_equal(hp_last_code(ctx), 0);
  assert_string_equal(hp_last_error(ctx), "");
  assert_string_equal(hp_device(ctx), "cpu");
  hp_finalize(ctx);
  /* auto -> cpu, said at INFO level */
  memset(&rec, 0, sizeof rec);
  hp_options_default(&o);
  assert_string_equal(o.device, "auto");
  o.log = log_cb;
  o.log_user = &rec;
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), 0);
  assert_string_equal(hp_device(ctx), "cpu");
  assert_int_equal(rec.n[HP_LOG_INFO], 1);
  assert_non_null(strstr(rec.last[HP_LOG_INFO], "cpu"));
  hp_finalize(ctx);
  /* cuda: the GPU painter where a device is present, else a clear error that the context
   * answers every call with */
  memset(&rec, 0, sizeof rec);
  o.device = "cuda";
  ctx = hp_init(&o);
  assert_non_null(ctx);
  int ndev = 0;
  hp_status dst = {0};
  assert_int_equal(hp_cuda_device_count(&ndev, &dst), HP_OK);
  if (ndev > 0) {
    assert_int_equal(hp_last_code(ctx), 0);
    assert_string_equal(hp_device(ctx), "cuda");
  } else {
    assert_int_equal(hp_last_code(ctx), HP_ERR_DEVICE);
    assert_non_null(strstr(hp_last_error(ctx), "device \"cuda\""));
    assert_non_null(strstr(hp_last_error(ctx),
                           hp_cuda_compiled() ? "0 CUDA device(s) present" : "no CUDA backend"));
    assert_int_equal(rec.n[HP_LOG_ERROR], 1);
    assert_string_equal(rec.last[HP_LOG_ERROR], hp_last_error(ctx));
    assert_int_equal(hp_model_open(ctx, g_model, &m), HP_ERR_DEVICE);
    assert_non_null(strstr(hp_last_error(ctx), "device \"cuda\""));
  }
  hp_finalize(ctx);
  o.device_id = -1;
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "device_id = -1"));
  hp_finalize(ctx);
  /* unknown device string */
  o.device_id = 0;
  o.device = "gpu";
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "unknown device \"gpu\""));
  m = (hp_model_handle *)&rec;
  assert_int_equal(hp_model_open(ctx, g_model, &m), HP_ERR_INPUT);
  hp_finalize(ctx);
  o.device = "";
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), HP_ERR_INPUT);
  hp_finalize(ctx);
  /* precision: fp32, tf32, or refused */
  o.device = "cpu";
  o.precision = "fp16";
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "precision \"fp16\""));
  hp_finalize(ctx);
  o.precision = "tf32";
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), 0);
  hp_finalize(ctx);
  o.precision = NULL;
  /* negative thread count; NULL device = auto */
  o.device = NULL;
  o.nthreads = -2;
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "nthreads = -2"));
  hp_finalize(ctx);
  o.nthreads = 1;
  o.log = NULL;
  ctx = hp_init(&o);
  assert_int_equal(hp_last_code(ctx), 0);
  hp_finalize(ctx);
}

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_model_errors(void **state) {
  log_rec rec;
  char path[600];
  hp_model_handle *m = NULL;
  hp_model_info info;
  (void)state;
  memset(&rec, 0, sizeof rec);
  hp_context *ctx = make_ctx(&rec, 0);
  assert_int_equal(hp_model_open(ctx, NULL, &m), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "path"));
  assert_int_equal(hp_model_open(ctx, "", &m), HP_ERR_INPUT);
  assert_int_equal(hp_model_open(ctx, g_model, NULL), HP_ERR_INPUT);
  snprintf(path, sizeof path, "%s/absent.h5", g_dir);
  assert_int_equal(hp_model_open(ctx, path, &m), HP_ERR_IO);
  assert_null(m);
  assert_non_null(strstr(hp_last_error(ctx), "absent.h5"));
  assert_string_equal(rec.last[HP_LOG_ERROR], hp_last_error(ctx));
  snprintf(path, sizeof path, "%s/text.h5", g_dir);
  FILE *f = fopen(path, "w");
  fputs("not a model", f);
  fclose(f);
  assert_int_equal(hp_model_open(ctx, path, &m), HP_ERR_FORMAT);
  assert_non_null(strstr(hp_last_error(ctx), "text.h5"));
  unlink(path);
  /* a success clears the last error */
  assert_int_equal(hp_model_open(ctx, g_model, &m), 0);
  assert_int_equal(hp_last_code(ctx), 0);
  assert_string_equal(hp_last_error(ctx), "");
  assert_int_equal(hp_model_get_info(ctx, NULL, &info), HP_ERR_INPUT);
  assert_int_equal(hp_model_get_info(ctx, m, NULL), HP_ERR_INPUT);
  assert_int_equal(hp_model_get_info(ctx, m, &info), 0);
  assert_int_equal(info.nbins, K);
  assert_true(info.bin_edges[0] == 1e12 && info.bin_edges[K] == 1e14);
  assert_true(info.voxel_size == 4.0 && info.redshift == 0.0);
  assert_int_equal(info.lpt_order, 2);
  assert_int_equal(info.halo, 4);
  assert_int_equal(info.nparams, g_ref.net.nparams);
  assert_int_equal(info.format_version, HP_MODEL_FORMAT_VERSION);
  assert_true(isnan(info.omega_m) && isnan(info.sigma8));
  assert_string_equal(info.density_norm, "rho/rho_mean");
  assert_string_equal(info.provenance, "random initialisation, seed 99");
  assert_string_equal(info.path, g_model);
  hp_model_close(m);
  hp_finalize(ctx);
}

/* ------------------------------------------------------------------------------------------ */
/* Plans: invalid arguments                                                                   */
/* ------------------------------------------------------------------------------------------ */

static void expect_plan_error(hp_context *ctx, const hp_model_handle *m, const hp_plan_desc *d,
                              const char *needle) {
  hp_paint_plan *p = (hp_paint_plan *)&p;
  int rc = hp_plan_create(ctx, m, d, &p);
  if (rc != HP_ERR_INPUT || strstr(hp_last_error(ctx), needle) == NULL)
    fail_msg("rc %d, message \"%s\" lacks \"%s\"", rc, hp_last_error(ctx), needle);
  assert_null(p);
}

static void test_plan_errors(void **state) {
  log_rec rec;
  hp_model_handle *m;
  hp_paint_plan *p = NULL;
  (void)state;
  memset(&rec, 0, sizeof rec);
  hp_context *ctx = make_ctx(&rec, 0);
  assert_int_equal(hp_model_open(ctx, g_model, &m), 0);
  hp_plan_desc d = {{NV, NV, NV}, BOX, 1, 1, 1};
  assert_int_equal(hp_plan_create(ctx, m, &d, NULL), HP_ERR_INPUT);
  expect_plan_error(ctx, NULL, &d, "model is NULL");
  expect_plan_error(ctx, m, NULL, "desc is NULL");
  hp_plan_desc b = d;
  b.n[1] = 0;
  expect_plan_error(ctx, m, &b, "grid 16 x 0 x 16");
  b = d;
  b.n[2] = -5;
  expect_plan_error(ctx, m, &b, "every side");
  b = d;
  b.particles = 0;
  b.periodic = 0;
  b.n[0] = 8; /* non-periodic: more than 2 halo = 8 voxels per side */
  expect_plan_error(ctx, m, &b, "halo is 4");
  b = d;
  b.periodic = 2;
  expect_plan_error(ctx, m, &b, "periodic = 2");
  b = d;
  b.particles = -1;
  expect_plan_error(ctx, m, &b, "particles = -1");
  b = d;
  b.n[2] = NV + 1;
  expect_plan_error(ctx, m, &b, "periodic cubic grid");
  b = d;
  b.periodic = 0;
  expect_plan_error(ctx, m, &b, "periodic cubic grid");
  b = d;
  b.box_size = 0;
  expect_plan_error(ctx, m, &b, "box_size > 0");
  b = d;
  b.box_size = NAN;
  expect_plan_error(ctx, m, &b, "box_size = nan");
  b = d;
  b.box_size = -BOX;
  expect_plan_error(ctx, m, &b, "box_size = -64");
  b = d;
  b.length_unit = -1;
  expect_plan_error(ctx, m, &b, "length_unit");
  b = d;
  b.n[0] = b.n[1] = b.n[2] = 3000000;
  expect_plan_error(ctx, m, &b, "every side");

  /* voxel size: warning (non-strict), plan made; kpc/h hosts through length_unit */
  memset(&rec, 0, sizeof rec);
  b = d;
  b.box_size = 100.0; /* 6.25 Mpc/h voxels */
  assert_int_equal(hp_plan_create(ctx, m, &b, &p), 0);
  assert_int_equal(rec.n[HP_LOG_WARNING], 1);
  assert_non_null(strstr(rec.last[HP_LOG_WARNING], "6.25 Mpc/h"));
  assert_non_null(strstr(rec.last[HP_LOG_WARNING], "use 25 voxels"));
  hp_plan_free(p);
  memset(&rec, 0, sizeof rec);
  b.box_size = BOX * 1000; /* kpc/h */
  b.length_unit = 1e-3;
  assert_int_equal(hp_plan_create(ctx, m, &b, &p), 0);
  assert_int_equal(rec.n[HP_LOG_WARNING], 0);
  hp_plan_free(p);
  /* grid without a box size: accepted, said at INFO level */
  memset(&rec, 0, sizeof rec);
  b = d;
  b.particles = 0;
  b.box_size = 0;
  assert_int_equal(hp_plan_create(ctx, m, &b, &p), 0);
  assert_int_equal(rec.n[HP_LOG_INFO], 1);
  hp_plan_free(p);
  hp_finalize(ctx);

  /* strict: the same mismatches are refused */
  memset(&rec, 0, sizeof rec);
  ctx = make_ctx(&rec, 1);
  b = d;
  b.box_size = 100.0;
  expect_plan_error(ctx, m, &b, "strict");
  assert_non_null(strstr(hp_last_error(ctx), "6.25 Mpc/h"));
  assert_int_equal(rec.n[HP_LOG_ERROR], 1);
  b = d;
  b.particles = 0;
  b.box_size = 0;
  expect_plan_error(ctx, m, &b, "strict mode");
  assert_int_equal(hp_plan_create(ctx, m, &d, &p), 0);
  hp_plan_free(p);
  hp_finalize(ctx);
  hp_model_close(m);
}

static void test_execute_errors(void **state) {
  log_rec rec;
  hp_model_handle *m;
  hp_paint_plan *grid_plan, *part_plan;
  hp_particles parts;
  float *a = calloc(NV * NV * NV, sizeof(float)), *b = calloc(NV * NV * NV, sizeof(float));
  float *rho = calloc(NV * NV * NV, sizeof(float));
  (void)state;
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(rho);
  memset(&rec, 0, sizeof rec);
  hp_context *ctx = make_ctx(&rec, 0);
  assert_int_equal(hp_model_open(ctx, g_model, &m), 0);
  hp_plan_desc d = {{NV, NV, NV}, BOX, 1, 1, 0};
  assert_int_equal(hp_plan_create(ctx, m, &d, &grid_plan), 0);
  d.particles = 1;
  assert_int_equal(hp_plan_create(ctx, m, &d, &part_plan), 0);
  int64_t out[3];
  int nb = 0;
  assert_int_equal(hp_plan_get_shape(ctx, grid_plan, out, &nb), 0);
  assert_true(out[0] == NV && out[1] == NV && out[2] == NV && nb == K);
  assert_int_equal(hp_plan_get_shape(ctx, NULL, out, &nb), HP_ERR_INPUT);
  assert_int_equal(hp_plan_get_shape(ctx, grid_plan, NULL, &nb), HP_ERR_INPUT);
  assert_int_equal(hp_plan_get_shape(ctx, grid_plan, out, NULL), 0);

  float *counts[K] = {a, b}, *nulls[K] = {a, NULL}, *same[K] = {a, a}, *alias[K] = {rho, b};
  for (int i = 0; i < NV * NV * NV; i++) rho[i] = 1.0f;
  assert_int_equal(hp_plan_execute(ctx, NULL, rho, counts), HP_ERR_INPUT);
  assert_int_equal(hp_plan_execute(ctx, grid_plan, NULL, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "density is NULL"));
  assert_int_equal(hp_plan_execute(ctx, grid_plan, rho, NULL), HP_ERR_INPUT);
  assert_int_equal(hp_plan_execute(ctx, grid_plan, rho, nulls), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "counts[1] is NULL"));
  assert_int_equal(hp_plan_execute(ctx, grid_plan, rho, same), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "same grid"));
  assert_int_equal(hp_plan_execute(ctx, grid_plan, rho, alias), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "in place"));
  rho[NV * NV + 2] = NAN; /* the CLI refused it; the API painted a NaN box */
  assert_int_equal(hp_plan_execute(ctx, grid_plan, rho, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "voxel [1][0][2] is NaN"));
  rho[NV * NV + 2] = 1.0f;
  assert_int_equal(hp_plan_execute(ctx, grid_plan, rho, counts), 0);

  /* particle descriptions */
  assert_int_equal(hp_particles_interleaved(ctx, NULL, NPART, g_pos, 4), HP_ERR_INPUT);
  assert_int_equal(hp_particles_interleaved(ctx, &parts, NPART, NULL, 4), HP_ERR_INPUT);
  assert_int_equal(hp_particles_interleaved(ctx, &parts, 0, g_pos, 4), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "n = 0"));
  assert_int_equal(hp_particles_interleaved(ctx, &parts, NPART, g_pos, 2), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "stride = 2"));
  assert_int_equal(hp_particles_interleaved(ctx, &parts, NPART, g_pos, 4), 0);

  assert_int_equal(hp_paint_particles(ctx, grid_plan, &parts, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "particles = 1"));
  assert_int_equal(hp_paint_particles(ctx, NULL, &parts, counts), HP_ERR_INPUT);
  assert_int_equal(hp_paint_particles(ctx, part_plan, NULL, counts), HP_ERR_INPUT);
  assert_int_equal(hp_paint_particles(ctx, part_plan, &parts, NULL), HP_ERR_INPUT);
  assert_int_equal(hp_paint_particles(ctx, part_plan, &parts, nulls), HP_ERR_INPUT);
  hp_particles bad = parts;
  bad.n = 0;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "n = 0"));
  bad = parts;
  bad.n = -3;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  bad = parts;
  bad.y = NULL;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "array y is NULL"));
  bad = parts;
  bad.stride = 0;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "stride = 0"));
  bad = parts;
  bad.stride = -4;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  bad = parts;
  bad.mass = g_pos + 3;
  bad.mass_stride = 0;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "mass_stride = 0"));
  bad = parts;
  bad.lattice_np = 17;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "lattice_np"));
  bad.lattice_np = -1;
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  /* a non-finite position: refused, naming the particle */
  float *pos = malloc(sizeof g_pos);
  assert_non_null(pos);
  memcpy(pos, g_pos, sizeof g_pos);
  pos[4 * 1234 + 1] = NAN;
  assert_int_equal(hp_particles_interleaved(ctx, &bad, NPART, pos, 4), 0);
  assert_int_equal(hp_paint_particles(ctx, part_plan, &bad, counts), HP_ERR_INPUT);
  assert_non_null(strstr(hp_last_error(ctx), "1234"));
  assert_null(hp_plan_density(part_plan));
  free(pos);
  /* and the plan still works after all that */
  assert_int_equal(hp_paint_particles(ctx, part_plan, &parts, counts), 0);
  assert_non_null(hp_plan_density(part_plan));
  assert_null(hp_plan_density(grid_plan));
  hp_plan_free(grid_plan);
  hp_plan_free(part_plan);
  hp_model_close(m);
  hp_finalize(ctx);
  free(a);
  free(b);
  free(rho);
}

/* ------------------------------------------------------------------------------------------ */
/* Painting equals CIC + painter by hand                                                      */
/* ------------------------------------------------------------------------------------------ */

/* By hand: CIC density of @p cp, then the painter, into ref[K][NV^3] (and rho). */
static void by_hand(const hp_cic_particles *cp, float *rho, float *const *ref) {
  hp_status st;
  hp_cic_plan *cic;
  hp_painter *pt;
  hp_painter_desc pd = {{NV, NV, NV}, 1, 2, 0, 0, 0};
  hp_status_clear(&st);
  if (hp_cic_plan_create(&cic, NV, BOX, 2, &st)) fail_msg("%s", st.msg);
  if (hp_cic_density(cic, cp, rho, &st)) fail_msg("%s", st.msg);
  if (hp_painter_create(&pt, &g_ref.net, &pd, &st)) fail_msg("%s", st.msg);
  if (hp_painter_execute(pt, rho, ref, &st)) fail_msg("%s", st.msg);
  hp_painter_destroy(pt);
  hp_cic_plan_destroy(cic);
}

static void test_paint_equals_by_hand(void **state) {
  log_rec rec;
  hp_model_handle *m;
  hp_paint_plan *p;
  const size_t nvox = (size_t)NV * NV * NV, bytes = nvox * sizeof(float);
  float *buf = calloc(5 * nvox, sizeof(float));
  float *api[K] = {buf, buf + nvox}, *ref[K] = {buf + 2 * nvox, buf + 3 * nvox};
  float *rho = buf + 4 * nvox;
  (void)state;
  assert_non_null(buf);
  memset(&rec, 0, sizeof rec);
  hp_context *ctx = make_ctx(&rec, 1);
  assert_int_equal(hp_model_open(ctx, g_model, &m), 0);
  hp_plan_desc d = {{NV, NV, NV}, BOX, 1, 1, 1};
  assert_int_equal(hp_plan_create(ctx, m, &d, &p), 0);

  /* interleaved (stride 4: x y z m), equal masses */
  hp_particles parts;
  assert_int_equal(hp_particles_interleaved(ctx, &parts, NPART, g_pos, 4), 0);
  assert_int_equal(hp_paint_particles(ctx, p, &parts, api), 0);
  hp_cic_particles cp = {NPART, g_pos, g_pos + 1, g_pos + 2, 4, 0, NULL, 0, NULL};
  by_hand(&cp, rho, ref);
  assert_memory_equal(hp_plan_density(p), rho, bytes);
  for (int k = 0; k < K; k++) assert_memory_equal(api[k], ref[k], bytes);
  double s = 0, c = 0;
  for (size_t i = 0; i < nvox; i++) s += rho[i], c += api[0][i] + api[1][i];
  assert_true(fabs(s / nvox - 1) < 1e-5); /* rho/rho_mean */
  assert_true(c > 0 && isfinite(c));      /* something was painted */

  /* separate arrays: the same positions, the same grids */
  memset(api[0], 0, 2 * bytes);
  hp_particles sep = {NPART, g_sep[0], g_sep[1], g_sep[2], 1, NULL, 0, 0};
  assert_int_equal(hp_paint_particles(ctx, p, &sep, api), 0);
  for (int k = 0; k < K; k++) assert_memory_equal(api[k], ref[k], bytes);

  /* hp_plan_execute on the CIC grid paints the same */
  float *grid_out[K] = {buf, buf + nvox};
  float *copy = malloc(bytes);
  assert_non_null(copy);
  memcpy(copy, rho, bytes);
  assert_int_equal(hp_plan_execute(ctx, p, copy, grid_out), 0);
  for (int k = 0; k < K; k++) assert_memory_equal(grid_out[k], ref[k], bytes);
  free(copy);

  /* masses (stride 4, the fourth float of each record) */
  parts.mass = g_pos + 3;
  parts.mass_stride = 4;
  assert_int_equal(hp_paint_particles(ctx, p, &parts, api), 0);
  hp_cic_particles cpm = {NPART, g_pos, g_pos + 1, g_pos + 2, 4, 0, g_pos + 3, 4, NULL};
  by_hand(&cpm, rho, ref);
  assert_memory_equal(hp_plan_density(p), rho, bytes);
  for (int k = 0; k < K; k++) assert_memory_equal(api[k], ref[k], bytes);

  /* lattice displacements, as an LPT code holds them (8^3 particles on the 16^3 grid) */
  const int np = 8;
  float *disp = malloc(3 * (size_t)np * np * np * sizeof(float));
  assert_non_null(disp);
  for (int i = 0; i < 3 * np * np * np; i++) disp[i] = (float)(3.0 * sin(0.37 * i));
  hp_particles lat;
  assert_int_equal(hp_particles_interleaved(ctx, &lat, (int64_t)np * np * np, disp, 3), 0);
  lat.lattice_np = np;
  assert_int_equal(hp_paint_particles(ctx, p, &lat, api), 0);
  hp_cic_particles cpl = {(int64_t)np * np * np, disp, disp + 1, disp + 2, 3, np, NULL, 0, NULL};
  by_hand(&cpl, rho, ref);
  for (int k = 0; k < K; k++) assert_memory_equal(api[k], ref[k], bytes);

  /* a second context with another thread count paints the same bits */
  hp_options o;
  hp_options_default(&o);
  o.nthreads = 1;
  hp_context *c1 = hp_init(&o);
  hp_paint_plan *p1;
  assert_int_equal(hp_plan_create(c1, m, &d, &p1), 0);
  float *one[K] = {buf + 2 * nvox, buf + 3 * nvox};
  assert_int_equal(hp_paint_particles(c1, p1, &lat, one), 0);
  for (int k = 0; k < K; k++) assert_memory_equal(one[k], api[k], bytes);
  hp_plan_free(p1);
  hp_finalize(c1);
  free(disp);

  /* non-periodic grid plan: output n - 8 */
  hp_plan_desc dn = {{NV, NV + 2, NV + 4}, BOX, 1, 0, 0};
  hp_paint_plan *pn;
  int64_t out[3];
  assert_int_equal(hp_plan_create(ctx, m, &dn, &pn), 0);
  assert_int_equal(hp_plan_get_shape(ctx, pn, out, NULL), 0);
  assert_true(out[0] == NV - 8 && out[1] == NV - 6 && out[2] == NV - 4);
  hp_plan_free(pn);

  hp_plan_free(p);
  hp_model_close(m); /* the plan does not need the model any more */
  hp_finalize(ctx);
  free(buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs: `halopaint run` in process                                                           */
/* ------------------------------------------------------------------------------------------ */

/* A tiny run on the test model: 16^3 voxels of 4 Mpc/h, 8 particles per voxel (the model's). */
static void write_job_param(char *path, size_t n, const char *name, const char *extra) {
  snprintf(path, n, "%s/%s", g_dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f,
          "Omega0 0.31\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\n"
          "PrimordialIndex 0.96\nBoxSize %g\nNParticles 32\nSeed 5\nThreads 2\nDevice cpu\n"
          "ModelFile %s\n%s",
          BOX, g_model, extra);
  assert_int_equal(fclose(f), 0);
}

/* A particle file (here Gadget-4 HDF5 written by lpt/ic_write.c from 16^3 of the test's
 * particles as lattice displacements): read back in Mpc/h at the written positions and
 * velocities, and painted as the same particles held in memory; a missing file is named. */
static void test_particle_file(void **state) {
  (void)state;
  enum { NP = 16, N = NP * NP * NP };
  static float disp[3][N], vel[3][N];
  const double dq = BOX / NP;
  for (int i = 0; i < N; i++) {
    const int q[3] = {i / (NP * NP), (i / NP) % NP, i % NP};
    for (int a = 0; a < 3; a++)
      disp[a][i] = (float)(g_sep[a][i] - q[a] * dq), vel[a][i] = 10.0f * a + i % 7;
  }
  char base[600];
  snprintf(base, sizeof base, "%s/parts", g_dir);
  hp_ic_desc d = {0};
  d.format = HP_IC_HDF5, d.path_base = base, d.num_files = 1, d.redshift = 0.0, d.omega_m = 0.3;
  d.omega_l = 0.7, d.h = 0.7, d.unit_length_in_cm = HP_IC_MPC_IN_CM;
  hp_ic_particles ip = {NP, BOX, {disp[0], disp[1], disp[2]}, {vel[0], vel[1], vel[2]}};
  hp_status st;
  assert_int_equal(hp_ic_write(&d, &ip, &st), 0);
  log_rec rec;
  memset(&rec, 0, sizeof rec);
  hp_context *ctx = make_ctx(&rec, 1);
  hp_particle_file *f = NULL;
  char path[700];
  snprintf(path, sizeof path, "%s.hdf5", base);
  assert_int_equal(hp_particle_file_read(ctx, path, 0, 0, &f), 0);
  hp_particle_file_info fi;
  assert_int_equal(hp_particle_file_get_info(ctx, f, &fi), 0);
  assert_int_equal(fi.n, N);
  assert_float_equal(fi.box_size, BOX, 1e-12);
  assert_float_equal(fi.redshift, 0.0, 1e-12);
  for (int i = 0; i < N; i++)
    for (int a = 0; a < 3; a++) {
      const double x = fmod(g_sep[a][i] + BOX, BOX); /* the written position, wrapped */
      const double dx = fabs(fi.xyz[3 * i + a] - x);
      assert_true(fmin(dx, BOX - dx) < 1e-4);
      assert_float_equal(fi.vel[3 * i + a], vel[a][i], 1e-4);
    }
  /* painted from the file = painted from memory (the same particles, to float rounding) */
  hp_model_handle *m;
  hp_paint_plan *p;
  assert_int_equal(hp_model_open(ctx, g_model, &m), 0);
  hp_plan_desc pd = {{NV, NV, NV}, fi.box_size, 1, 1, 1};
  assert_int_equal(hp_plan_create(ctx, m, &pd, &p), 0);
  const size_t nvox = (size_t)NV * NV * NV;
  float *buf = calloc(2 * K * nvox, sizeof(float));
  float *a[K] = {buf, buf + nvox}, *b[K] = {buf + 2 * nvox, buf + 3 * nvox};
  hp_particles from_file, in_memory = {N, g_sep[0], g_sep[1], g_sep[2], 1, NULL, 0, 0};
  assert_int_equal(hp_particles_interleaved(ctx, &from_file, fi.n, fi.xyz, 3), 0);
  assert_int_equal(hp_paint_particles(ctx, p, &from_file, a), 0);
  assert_int_equal(hp_paint_particles(ctx, p, &in_memory, b), 0);
  for (int k = 0; k < K; k++)
    for (size_t i = 0; i < nvox; i++) assert_float_equal(a[k][i], b[k][i], 1e-4 * (1 + b[k][i]));
  free(buf);
  hp_plan_free(p);
  hp_model_close(m);
  hp_particle_file_free(f);
  /* a missing file: refused, named, nothing returned */
  f = (hp_particle_file *)1;
  assert_int_not_equal(hp_particle_file_read(ctx, "/nonexistent/snap_005", 0, 0, &f), 0);
  assert_null(f);
  assert_non_null(strstr(hp_last_error(ctx), "/nonexistent/snap_005"));
  hp_finalize(ctx);
}

/* Column @p name of the job's catalogue equals @p ref (n rows of @p cols values, @p size each). */
static void expect_column(hp_job *job, const char *name, const void *ref, int64_t n, int cols,
                          size_t size) {
  const void *data = NULL;
  int64_t rows = -1;
  int c = -1;
  assert_int_equal(hp_job_column(job, name, &data, &rows, &c), 0);
  assert_int_equal(rows, n);
  assert_int_equal(c, cols);
  assert_non_null(data);
  assert_memory_equal(data, ref, (size_t)n * (size_t)cols * size);
}

static void test_job_equals_run(void **state) {
  char path[600];
  const char *ov[] = {"Seed=9", "RedshiftSpaceAxis=z"};
  (void)state;
  write_job_param(path, sizeof path, "job.param", "");
  hp_job *job = hp_job_create(path, ov, 2, 0);
  assert_non_null(job);
  assert_int_equal(hp_job_last_code(job), 0);
  assert_string_equal(hp_job_last_error(job), "");
  /* overrides replace the file's values; defaults and derived values are resolved */
  assert_string_equal(hp_job_param(job, "Seed"), "9");
  assert_string_equal(hp_job_param(job, "RedshiftSpaceAxis"), "z");
  assert_string_equal(hp_job_param(job, "NVoxels"), "16");
  assert_string_equal(hp_job_param(job, "OmegaLambda"), "0.69");
  assert_int_equal(hp_job_param_is_set(job, "Seed"), 1);
  assert_int_equal(hp_job_param_is_set(job, "NVoxels"), 0);
  assert_true(hp_job_param_count(job) > 50);
  assert_string_equal(hp_job_param_key(job, 0), "Omega0");
  assert_null(hp_job_param_key(job, hp_job_param_count(job)));
  const uint64_t *seeds;
  int64_t ns;
  assert_int_equal(hp_job_seeds(job, &seeds, &ns), 0);
  assert_true(ns == 1 && seeds[0] == 9);

  /* the same file and overrides through plugin/run.h directly */
  hp_params *p = NULL;
  hp_status st;
  assert_int_equal(hp_params_load(&p, path, ov, 2, HP_NEED_ALL, &st), 0);
  hp_run *r = NULL;
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  hp_catalog ref;
  hp_run_times t;
  memset(&ref, 0, sizeof ref);
  assert_int_equal(hp_run_seed(r, 11, &ref, &t, &st), 0);
  assert_true(ref.n > 0);
  assert_non_null(ref.mass_bin);

  assert_int_equal(hp_job_plan(job), 0);
  assert_int_equal(hp_job_plan(job), 0); /* planned once */
  for (int pass = 0; pass < 2; pass++) { /* and the same catalogue when run twice */
    assert_int_equal(hp_job_run(job, 11), 0);
    expect_column(job, "Position", ref.pos, ref.n, 3, sizeof(float));
    expect_column(job, "Velocity", ref.vel, ref.n, 3, sizeof(float));
    expect_column(job, "Mass", ref.mass, ref.n, 1, sizeof(double));
    expect_column(job, "ID", ref.id, ref.n, 1, sizeof(int64_t));
    expect_column(job, "MassBin", ref.mass_bin, ref.n, 1, sizeof(int32_t));
  }
  /* a painted catalogue has no FoF columns */
  const void *data = g_pos;
  int64_t rows = -1;
  assert_int_equal(hp_job_column(job, "NumParticles", &data, &rows, NULL), 0);
  assert_null(data);
  assert_int_equal(rows, ref.n);
  assert_int_equal(hp_job_column(job, "LagrangianPosition", &data, NULL, NULL), 0);
  assert_null(data);
  /* another seed, another catalogue */
  assert_int_equal(hp_job_run(job, 12), 0);
  assert_int_equal(hp_job_column(job, "Mass", &data, &rows, NULL), 0);
  assert_true(rows != ref.n || memcmp(data, ref.mass, (size_t)rows * sizeof(double)));
  hp_catalog_free(&ref);
  hp_run_destroy(r);
  hp_params_free(p);
  hp_job_free(job);
  unlink(path);
}

static void test_job_errors(void **state) {
  char path[600];
  const void *data;
  const uint64_t *seeds;
  int64_t ns;
  (void)state;
  /* NULL job */
  assert_int_equal(hp_job_last_code(NULL), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(NULL), "NULL job"));
  assert_int_equal(hp_job_run(NULL, 1), HP_ERR_INPUT);
  assert_int_equal(hp_job_plan(NULL), HP_ERR_INPUT);
  assert_int_equal(hp_job_seeds(NULL, &seeds, &ns), HP_ERR_INPUT);
  assert_int_equal(hp_job_column(NULL, "Mass", &data, NULL, NULL), HP_ERR_INPUT);
  assert_null(hp_job_param(NULL, "Seed"));
  assert_int_equal(hp_job_param_count(NULL), 0);
  assert_int_equal(hp_job_param_is_set(NULL, "Seed"), 0);
  hp_job_free(NULL);
  /* key types from the table */
  assert_string_equal(hp_job_key_type("NParticles"), "int");
  assert_string_equal(hp_job_key_type("BoxSize"), "real");
  assert_string_equal(hp_job_key_type("AllowModelMismatch"), "bool");
  assert_string_equal(hp_job_key_type("ModelFile"), "string");
  assert_string_equal(hp_job_key_type("Device"), "choice");
  assert_null(hp_job_key_type("Omega_0"));
  assert_null(hp_job_key_type(NULL));

  /* a misspelt key in the file: file, line and key named; the job answers with it */
  write_job_param(path, sizeof path, "bad.param", "Omega_0 0.3\n");
  hp_job *job = hp_job_create(path, NULL, 0, 0);
  assert_non_null(job);
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "bad.param line 12"));
  assert_non_null(strstr(hp_job_last_error(job), "Omega_0"));
  assert_int_equal(hp_job_run(job, 1), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "Omega_0"));
  assert_int_equal(hp_job_param_count(job), 0);
  assert_null(hp_job_param(job, "Seed"));
  hp_job_free(job);
  unlink(path);

  /* a bad override, a bad value, a missing file, bad arguments */
  write_job_param(path, sizeof path, "job.param", "");
  const char *typo[] = {"Sed=3"};
  job = hp_job_create(path, typo, 1, 0);
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "-s Sed=3"));
  hp_job_free(job);
  const char *odd[] = {"NParticles=33"};
  job = hp_job_create(path, odd, 1, 0);
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "NParticles"));
  assert_non_null(strstr(hp_job_last_error(job), "33"));
  hp_job_free(job);
  job = hp_job_create("/nonexistent/run.param", NULL, 0, 0);
  assert_int_equal(hp_job_last_code(job), HP_ERR_IO);
  assert_non_null(strstr(hp_job_last_error(job), "/nonexistent/run.param"));
  hp_job_free(job);
  job = hp_job_create(path, NULL, 2, 0);
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  hp_job_free(job);
  const char *holes[] = {"Seed=1", NULL};
  job = hp_job_create(path, holes, 2, 0);
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "overrides[1] is NULL"));
  hp_job_free(job);
  job = hp_job_create(path, NULL, 0, 8);
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "flags = 8"));
  hp_job_free(job);

  /* a good job: errors of the later calls, each naming what was wrong */
  const char *ov[] = {"Seeds=3-5,8"};
  job = hp_job_create(path, ov, 1, 0);
  assert_int_equal(hp_job_last_code(job), 0);
  assert_int_equal(hp_job_seeds(job, &seeds, &ns), 0);
  assert_true(ns == 4 && seeds[0] == 3 && seeds[2] == 5 && seeds[3] == 8);
  assert_null(hp_job_param(job, "Omega_0"));
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "unknown key \"Omega_0\""));
  assert_int_equal(hp_job_param_is_set(job, "Omega_0"), 0);
  assert_int_equal(hp_job_column(job, "Mass", &data, NULL, NULL), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "no catalogue yet"));
  assert_int_equal(hp_job_run(job, HP_SEED_MAX + 1), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "above the largest seed"));
  assert_int_equal(hp_job_run(job, 3), 0);
  assert_string_equal(hp_job_last_error(job), "");
  assert_int_equal(hp_job_column(job, "Masses", &data, NULL, NULL), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "unknown column \"Masses\""));
  assert_int_equal(hp_job_column(job, "Mass", NULL, NULL, NULL), HP_ERR_INPUT);
  hp_job_free(job);
  const char *badseeds[] = {"Seeds=5-3"};
  job = hp_job_create(path, badseeds, 1, 0);
  assert_int_equal(hp_job_seeds(job, &seeds, &ns), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "Seeds = 5-3"));
  hp_job_free(job);

  /* the model must match: refused at planning, naming the file and what differs */
  const char *z1[] = {"Redshift=1"};
  job = hp_job_create(path, z1, 1, 0);
  assert_int_equal(hp_job_last_code(job), 0);
  assert_int_equal(hp_job_plan(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "job.param"));
  assert_non_null(strstr(hp_job_last_error(job), "redshift: Redshift = 1"));
  assert_int_equal(hp_job_run(job, 1), HP_ERR_INPUT);
  hp_job_free(job);
  const char *nomodel[] = {"ModelFile=/nonexistent/model.h5"};
  job = hp_job_create(path, nomodel, 1, 0);
  assert_int_not_equal(hp_job_run(job, 1), 0);
  assert_non_null(strstr(hp_job_last_error(job), "/nonexistent/model.h5"));
  hp_job_free(job);
  unlink(path);

  /* parameters only: no file, keys a run requires missing, defaults resolved, no run */
  const char *few[] = {"BoxSize=100", "VoxelSize=5"};
  job = hp_job_create(NULL, few, 2, HP_JOB_PARAMS_ONLY);
  assert_int_equal(hp_job_last_code(job), 0);
  assert_string_equal(hp_job_param(job, "NVoxels"), "20");
  assert_string_equal(hp_job_param(job, "ModelFile"), "models/default.h5");
  assert_string_equal(hp_job_param(job, "Omega0"), "");
  assert_int_equal(hp_job_seeds(job, &seeds, &ns), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "neither Seeds nor Seed"));
  assert_int_equal(hp_job_run(job, 1), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "HP_JOB_PARAMS_ONLY"));
  hp_job_free(job);
  job = hp_job_create(NULL, few, 2, 0); /* a run needs the cosmology */
  assert_int_equal(hp_job_last_code(job), HP_ERR_INPUT);
  assert_non_null(strstr(hp_job_last_error(job), "Omega0"));
  hp_job_free(job);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_null_context),   cmocka_unit_test(test_devices),
      cmocka_unit_test(test_model_errors),   cmocka_unit_test(test_plan_errors),
      cmocka_unit_test(test_execute_errors), cmocka_unit_test(test_paint_equals_by_hand),
      cmocka_unit_test(test_job_equals_run), cmocka_unit_test(test_job_errors),
      cmocka_unit_test(test_particle_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
