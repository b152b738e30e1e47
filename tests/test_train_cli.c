/*
 * `halopaint train` end to end (run from the repository root, on bin/halopaint): a run from a
 * halopaint catalogue writes the model (metadata from the data, provenance), the checkpoint,
 * the CSV log and its SVG plot; 10 updates + resume from the checkpoint + 10 updates give the
 * model of 20 uninterrupted updates bit for bit (and the log is continued, not duplicated);
 * Ctrl-C stops with status 130 after writing a checkpoint that is a model file; an empty
 * TrainCatalogs and a box that is not a whole number of voxels are refused with messages.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "train/checkpoint.h"
#include "nn/model_io.h"
#include "params/params.h"

static char dir[64];

static void path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static int exists(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0;
}

/* Start bin/halopaint train DIR/t.param (DIR/<tag>.param if it exists) with overrides; output
 * to DIR/<tag>.out. */
static pid_t start(const char *tag, const char *const *ovr, int n) {
  char param[256], out[256];
  path(param, sizeof param, tag);
  strcat(param, ".param");
  if (!exists(param)) path(param, sizeof param, "t.param");
  path(out, sizeof out, tag);
  strcat(out, ".out");
  const pid_t pid = fork();
  if (pid == 0) {
    FILE *f = freopen(out, "w", stdout);
    if (!f || dup2(fileno(stdout), 2) < 0) _exit(99);
    const char *argv[64] = {"bin/halopaint", "train", param};
    int a = 3;
    for (int i = 0; i < n; i++) argv[a++] = "-s", argv[a++] = ovr[i];
    argv[a] = NULL;
    execv("bin/halopaint", (char *const *)argv);
    _exit(98);
  }
  return pid;
}

static int finish(pid_t pid) {
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(const char *tag, const char *const *ovr, int n) {
  return finish(start(tag, ovr, n));
}

static int output_has(const char *tag, const char *what) {
  char out[256], buf[16384];
  path(out, sizeof out, tag);
  strcat(out, ".out");
  FILE *f = fopen(out, "r");
  if (!f) return 0;
  const size_t len = fread(buf, 1, sizeof buf - 1, f);
  buf[len] = '\0';
  fclose(f);
  return strstr(buf, what) != NULL;
}

/* The outputs of a run tagged @p t, as overrides: model t.h5, checkpoint ckt.h5, log lt.csv. */
typedef struct {
  char model[256], checkpoint[256], log[256];
} run_outputs;
static run_outputs outputs(const char *t) {
  run_outputs o;
  snprintf(o.model, sizeof o.model, "TrainModelOut=%s/%s.h5", dir, t);
  snprintf(o.checkpoint, sizeof o.checkpoint, "TrainCheckpoint=%s/ck%s.h5", dir, t);
  snprintf(o.log, sizeof o.log, "TrainLog=%s/l%s.csv", dir, t);
  return o;
}

static int count_lines(const char *p) {
  FILE *f = fopen(p, "r");
  int n = 0, c;
  if (!f) return -1;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

static int setup(void **state) {
  (void)state;
  if (access("bin/halopaint", X_OK) != 0) return 0;
  snprintf(dir, sizeof dir, "/tmp/hp_test_train_XXXXXX");
  if (!mkdtemp(dir)) return -1;
  const char *ptext =
      "Omega0 0.31\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.97\n"
      "BoxSize 96\nNParticles 24\nSeed 5\n";
  hp_status st;
  hp_params *p;
  if (hp_params_parse_string(&p, "test", ptext, NULL, 0, HP_NEED_ALL, &st)) return -1;
  hp_catalog c;
  const int64_t nh = 800;
  if (hp_catalog_alloc(&c, nh, 0, &st)) return -1;
  c.hdr.box = 96, c.hdr.omega_m = 0.31, c.hdr.omega_l = 0.69, c.hdr.omega_b = 0.049;
  c.hdr.h = 0.68, c.hdr.sigma8 = 0.81, c.hdr.n_s = 0.97, c.hdr.seed = 5;
  uint64_t s = 3;
  for (int64_t i = 0; i < nh; i++) {
    for (int a = 0; a < 3; a++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      c.pos[3 * i + a] = (float)(96.0 * (double)(s >> 11) * 0x1p-53);
    }
    c.mass[i] = 1e12 * pow(10, 3.0 * (double)(i % 89) / 89);
    c.id[i] = i + 1;
  }
  const hp_kv_list kv = hp_params_kv(p);
  char cat[256], param[256];
  path(cat, sizeof cat, "cat.h5");
  if (hp_catalog_set_params(&c, &kv, &st) || hp_catalog_write_hdf5(&c, cat, &st)) return -1;
  hp_catalog_free(&c);
  hp_params_free(p);
  path(param, sizeof param, "t.param");
  FILE *f = fopen(param, "w");
  fprintf(f,
          "TrainCatalogs %s\nTrainObjective poisson\nTrainPatch 14\nTrainUpdates 20\n"
          "TrainLogEvery 5\nTrainCheckpointEvery 10\nTrainLearningRate 1e-3\n"
          "TrainMassBins 1e12,1e13,1e16\nTrainValidationFraction 0.4\nThreads 1\n"
          "TrainModelOut %s/m.h5\nTrainCheckpoint %s/ck.h5\nTrainLog %s/log.csv\n",
          cat, dir, dir, dir);
  fclose(f);
  return 0;
}

static int teardown(void **state) {
  if (getenv("HP_KEEP")) return 0;
  (void)state;
  if (dir[0]) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return -1;
  }
  return 0;
}

#define NEED_BINARY()                                                        \
  if (!dir[0]) {                                                             \
    print_message("bin/halopaint not built (run make all): test skipped\n"); \
    skip();                                                                  \
  }

static void load(const char *name, hp_model *m) {
  char p[256];
  hp_status st;
  path(p, sizeof p, name);
  if (hp_model_load(m, p, &st)) fail_msg("%s", st.msg);
}

static void test_run_and_resume(void **state) {
  (void)state;
  NEED_BINARY();
  char g[256], h[256], q[256];
  const run_outputs ra = outputs("a"), rb = outputs("b");
  const char *ova[3] = {ra.model, ra.checkpoint, ra.log};
  assert_int_equal(run("a", ova, 3), 0);
  char la[256], svg[256];
  path(la, sizeof la, "la.csv");
  path(svg, sizeof svg, "la.svg");
  assert_int_equal(count_lines(la), 5); /* header + updates 5, 10, 15, 20 */
  assert_true(exists(svg));
  assert_true(output_has("a", "updates/s"));
  hp_model ma, mc;
  load("a.h5", &ma);
  assert_int_equal(ma.meta.nbins, 2);
  assert_true(ma.meta.omega_m == 0.31 && ma.meta.redshift == 0);
  assert_true(ma.meta.lpt_order == 2 && ma.meta.particles_per_voxel == 1);
  assert_non_null(strstr(ma.meta.provenance, "halopaint train"));
  /* 10 updates, then resume to 20 */
  const char *ovb[4] = {rb.checkpoint, rb.log, rb.model, "TrainUpdates=10"};
  assert_int_equal(run("b", ovb, 4), 0);
  snprintf(g, sizeof g, "TrainModelIn=%s/ckb.h5", dir);
  snprintf(h, sizeof h, "TrainModelOut=%s/c.h5", dir);
  snprintf(q, sizeof q, "TrainCheckpoint=%s/ckc.h5", dir);
  const char *ovc[4] = {g, h, q, rb.log};
  assert_int_equal(run("c", ovc, 4), 0);
  assert_true(output_has("c", "resuming"));
  load("c.h5", &mc);
  assert_int_equal(ma.net.nparams, mc.net.nparams);
  assert_memory_equal(ma.net.w, mc.net.w, sizeof(float) * ma.net.nparams);
  char lb[256];
  path(lb, sizeof lb, "lb.csv");
  assert_int_equal(count_lines(lb), 5);
  /* resuming with another seed is refused */
  const char *ovs[4] = {g, h, q, "TrainSeed=2"};
  assert_int_equal(run("s", ovs, 4), 1);
  assert_true(output_has("s", "TrainSeed"));
  hp_model_free(&ma), hp_model_free(&mc);
}

/* A refit of the count distribution alone (TrainUpdates 0, TrainCalibrate 0) keeps the
 * network's weights bit for bit and stores a fitted law (cmp-step by default, CMP on request);
 * with calibration the log names the scale. */
static void test_refit_counts_only(void **state) {
  (void)state;
  NEED_BINARY();
  char in[300];
  const run_outputs r = outputs("r"), r0 = outputs("r0"), r1 = outputs("r1"), r2 = outputs("r2");
  const char *ov[4] = {r.model, r.checkpoint, r.log, "TrainUpdates=5"};
  assert_int_equal(run("r", ov, 4), 0);
  snprintf(in, sizeof in, "TrainModelIn=%s/r.h5", dir);
  const char *ov0[6] = {in, r0.model, r0.checkpoint, r0.log, "TrainUpdates=0", "TrainCalibrate=0"};
  assert_int_equal(run("r0", ov0, 6), 0);
  assert_true(output_has("r0", "painted means as trained"));
  const char *ov1[5] = {in, r1.model, r1.checkpoint, r1.log, "TrainUpdates=0"};
  assert_int_equal(run("r1", ov1, 5), 0);
  assert_true(output_has("r1", "painted means calibrated by"));
  const char *ov2[7] = {in,
                        r2.model,
                        r2.checkpoint,
                        r2.log,
                        "TrainUpdates=0",
                        "TrainCalibrate=0",
                        "TrainCountModel=cmp"};
  assert_int_equal(run("r2", ov2, 7), 0);
  hp_model m, m0, m2;
  load("r.h5", &m);
  load("r0.h5", &m0);
  load("r2.h5", &m2);
  assert_int_equal(m.net.nparams, m0.net.nparams);
  assert_memory_equal(m.net.w, m0.net.w, sizeof(float) * m.net.nparams);
  assert_memory_equal(m.net.w, m2.net.w, sizeof(float) * m.net.nparams);
  assert_int_equal(m0.meta.count.kind, HP_COUNT_CMP_STEP);
  assert_true(output_has("r0", "group step"));
  assert_int_equal(m2.meta.count.kind, HP_COUNT_CMP);
  assert_true(m2.meta.count.step[0] == 0 && m2.meta.count.step[1] == 0);
  hp_model_free(&m), hp_model_free(&m0), hp_model_free(&m2);
}

/* A new model trained by likelihood starts at each bin's mean count (the output bias): after
 * one update of 1e-3 the bias is within a few 1e-3 of the halos per voxel of each bin (270 and
 * 530 of the 800 random halos in 24^3 voxels; the training slab is 60 % of the box). */
static void test_output_starts_at_mean(void **state) {
  (void)state;
  NEED_BINARY();
  const run_outputs ri = outputs("i");
  const char *ov[4] = {ri.model, ri.checkpoint, ri.log, "TrainUpdates=1"};
  assert_int_equal(run("i", ov, 4), 0);
  hp_model m;
  load("cki.h5", &m); /* the checkpoint: the network before calibration */
  const hp_conv *o = &m.net.conv[m.net.head_first + m.net.head_len - 1];
  const double expect[2] = {270.0 / 13824, 530.0 / 13824};
  for (int k = 0; k < 2; k++) {
    const double bias = m.net.w[o->b_off + k];
    if (!(fabs(bias - expect[k]) < 0.25 * expect[k] + 3e-3))
      fail_msg("bin %d: output bias %g, expected about %g", k, bias, expect[k]);
  }
  hp_model_free(&m);
}

/* Train 20 updates from a model whose bin @p bin has output = bias = -0.5 on every voxel (dead:
 * the ReLU passes no gradient), bins @p edges; returns that bias afterwards. */
static double dead_bin_bias(const char *tag, const double edges[3], int bin) {
  hp_model m;
  hp_status st;
  char in[256], a[300], b[256], c[256], d[256], e[256], name[64];
  snprintf(name, sizeof name, "%s.h5", tag);
  path(in, sizeof in, name);
  assert_int_equal(hp_model_init(&m, 2, edges, 9, &st), 0);
  const hp_conv *o = &m.net.conv[m.net.head_first + m.net.head_len - 1];
  for (int i = 0; i < o->cin; i++) m.net.w[o->w_off + bin * o->cin + i] = 0.0f;
  m.net.w[o->b_off + bin] = -0.5f;
  m.meta.voxel_size = 4.0;
  assert_int_equal(hp_model_save(&m, in, &st), 0);
  hp_model_free(&m);
  snprintf(a, sizeof a, "TrainModelIn=%s", in);
  snprintf(b, sizeof b, "TrainModelOut=%s/%s-out.h5", dir, tag);
  snprintf(c, sizeof c, "TrainCheckpoint=%s/%s-ck.h5", dir, tag);
  snprintf(d, sizeof d, "TrainLog=%s/%s-log.csv", dir, tag);
  snprintf(e, sizeof e, "TrainMassBins=%g,%g,%g", edges[0], edges[1], edges[2]);
  const char *ov[6] = {a, b, c, d, e, "TrainUpdates=20"};
  assert_int_equal(run(tag, ov, 6), 0);
  snprintf(name, sizeof name, "%s-ck.h5", tag);
  load(name, &m);
  const double bias = m.net.w[o->b_off + bin];
  hp_model_free(&m);
  return bias;
}

/* A dead mass bin comes back in likelihood training where it has halos: its output bias rises
 * (the surrogate gradient of trainer.h; with the exact derivative it would not move at all).
 * A dead bin without a single halo (above the catalogue's heaviest) is not driven deeper: the
 * surrogate passes only gradients that would raise the output, so its bias stays put, where a
 * two-sided surrogate pushed it down on every voxel (and made a redshift-2 training with an
 * empty heaviest bin diverge, docs/training.md). */
static void test_dead_bin_revives(void **state) {
  (void)state;
  NEED_BINARY();
  const double with_halos[3] = {1e12, 1e13, 1e16}, empty[3] = {1e12, 1e15, 1e16};
  const double bias = dead_bin_bias("dead", with_halos, 0);
  if (!(bias > -0.5 + 0.005)) fail_msg("the dead bin's output bias moved from -0.5 to %g", bias);
  const double still = dead_bin_bias("empty", empty, 1);
  if (still != -0.5f) fail_msg("the empty dead bin's output bias moved from -0.5 to %.9g", still);
}

static void test_interrupt(void **state) {
  (void)state;
  NEED_BINARY();
  char log[256], ck[256];
  const run_outputs o = outputs("d");
  const char *ov[5] = {o.checkpoint, o.log, o.model, "TrainUpdates=100000000", "TrainLogEvery=1"};
  path(log, sizeof log, "ld.csv");
  path(ck, sizeof ck, "ckd.h5");
  const pid_t pid = start("d", ov, 5);
  for (int i = 0; i < 1200 && !exists(log); i++) nanosleep(&(struct timespec){0, 50000000}, NULL);
  assert_true(exists(log));
  kill(pid, SIGINT);
  assert_int_equal(finish(pid), 130);
  assert_true(output_has("d", "interrupted"));
  hp_model m;
  load("ckd.h5", &m);
  hp_model_free(&m);
  int has = 0;
  hp_status st;
  assert_int_equal(hp_checkpoint_probe(ck, &has, &st), 0);
  assert_int_equal(has, 1);
}

/* TrainInputNParticles: the input density comes from that many particles per side instead of
 * the catalogue's own (24 here, 1 a voxel), and the model says so; refused for other formats. */
static void test_input_particles(void **state) {
  (void)state;
  NEED_BINARY();
  const run_outputs o = outputs("n");
  const char *ov[5] = {o.model, o.checkpoint, o.log, "TrainUpdates=1", "TrainInputNParticles=48"};
  assert_int_equal(run("n", ov, 5), 0);
  assert_true(output_has("n", "48^3 particles"));
  hp_model m;
  load("n.h5", &m);
  assert_true(fabs(m.meta.particles_per_voxel - 8.0) < 1e-9);
  hp_model_free(&m);
  const char *o2[2] = {"TrainInputNParticles=48", "TrainCatalogFormat=hdf5"};
  assert_int_equal(run("n2", o2, 2), 1);
  assert_true(output_has("n2", "TrainInputNParticles = 48: for halopaint catalogues"));
}

static void test_refusals(void **state) {
  (void)state;
  NEED_BINARY();
  char p1[256];
  path(p1, sizeof p1, "e1.param");
  FILE *f = fopen(p1, "w");
  fputs("TrainObjective poisson\n", f);
  fclose(f);
  assert_int_equal(run("e1", NULL, 0), 1);
  assert_true(output_has("e1", "TrainCatalogs is empty"));
  const char *o2[1] = {"VoxelSize=5"};
  assert_int_equal(run("e2", o2, 1), 1);
  assert_true(output_has("e2", "whole number"));
  const char *o3[1] = {"TrainObjective=wgan-gp"};
  assert_int_equal(run("e3", o3, 1), 1); /* patch 14: too small for the critic */
  assert_true(output_has("e3", "critic"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run_and_resume),
      cmocka_unit_test(test_refit_counts_only),
      cmocka_unit_test(test_output_starts_at_mean),
      cmocka_unit_test(test_dead_bin_revives),
      cmocka_unit_test(test_interrupt),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_input_particles),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
