/*
 * The GPU painter (cuda/painter_cuda.h) against the CPU engine (nn/painter.h) on random
 * networks (K = 1 and 3), random lognormal fields and a real 2LPT + CIC density, periodic and
 * non-periodic, cubic, non-cubic and odd shapes; the slab path forced by a small device-memory
 * budget (bit-identical to one slab); repeated execution; bad plans.
 *
 * Error measures. FP32, per voxel and output channel: |gpu - cpu| / max(|cpu|, 1e-3 max|cpu|),
 * its maximum over the grid, must be <= 1e-5 (the CPU engine and a plain float forward with
 * another summation order differ by ~5e-7 here). TF32 (10-bit mantissa inputs, FP32
 * accumulation): max |gpu - cpu| / max|cpu| per channel must be <= 2e-3 (the CPU replay of the
 * tensor-core kernels in tests/test_cuda_emulate.c gives <= 6.4e-5); both are printed.
 *
 * Without the CUDA backend or without a device the program prints
 * "SKIP: test_cuda_painter: <reason>" and exits 0 before any test runs.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fields.h"
#include "cic/cic.h"
#include "cuda/device.h"
#include "cuda/painter_cuda.h"
#include "cuda/peak.h"
#include "nn/network.h"
#include "nn/painter.h"
#include "params/params.h"
#include "plugin/pipeline.h"

#define FP32_TOL 1e-5
#define TF32_TOL 2e-3

static int g_ndev = 0; /* devices seen by main(); the tests use device 0 */

static uint64_t rng = 20240611;
static float *random_density(int64_t n0, int64_t n1, int64_t n2) {
  float *d = hp_test_random_density(&rng, n0, n1, n2);
  assert_non_null(d);
  return d;
}

/*
 * A real density: 64^3 particles moved by 2LPT to z = 0 in a 128 Mpc/h box, CIC onto 64^3
 * voxels (rho/rho_mean: empty voxels, filaments, peaks of tens).
 */
static float *lpt_density(int64_t nv) {
  static const char *text =
      "Omega0 0.315\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.97\n"
      "BoxSize 128\nNParticles 64\nSeed 11\nRedshift 0\n";
  hp_params *p = NULL;
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  hp_cic_plan *cp = NULL;
  hp_status st;
  int rc = hp_params_parse_string(&p, "test.param", text, NULL, 0, HP_NEED_ALL, &st);
  if (!rc) rc = hp_pipeline_particles(p, 0.0, &c, &l, NULL, &st);
  if (!rc) rc = hp_cic_plan_create(&cp, nv, 128.0, 0, &st);
  float *rho = malloc(sizeof *rho * (size_t)(nv * nv * nv));
  assert_non_null(rho);
  if (!rc) {
    hp_cic_particles part = {0};
    part.n = 64 * 64 * 64;
    part.x = hp_lpt_displacement(l, 0), part.y = hp_lpt_displacement(l, 1);
    part.z = hp_lpt_displacement(l, 2);
    part.stride = 1, part.lattice_np = 64;
    rc = hp_cic_density(cp, &part, rho, &st);
  }
  if (rc) fprintf(stderr, "2LPT density: %s\n", st.msg);
  assert_int_equal(rc, 0);
  hp_cic_plan_destroy(cp);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  hp_params_free(p);
  return rho;
}

/* The CPU engine's output: the reference. Fills out_n with its output shape. */
static float **cpu_paint(const hp_net *net, const float *rho, const int64_t n[3], int periodic,
                         int64_t out_n[3]) {
  hp_painter *p = NULL;
  hp_status st;
  hp_painter_desc d = {{n[0], n[1], n[2]}, periodic, 0, 0, 0, 0};
  int rc = hp_painter_create(&p, net, &d, &st);
  if (rc) fprintf(stderr, "CPU plan: %s\n", st.msg);
  assert_int_equal(rc, 0);
  hp_painter_out_shape(p, out_n);
  float **o = hp_test_alloc_grids(net->k_out, out_n[0] * out_n[1] * out_n[2]);
  rc = hp_painter_execute(p, rho, o, &st);
  if (rc) fprintf(stderr, "CPU execute: %s\n", st.msg);
  assert_int_equal(rc, 0);
  hp_painter_destroy(p);
  return o;
}

static hp_cuda_painter *gpu_plan(const hp_net *net, const int64_t n[3], int periodic, int prec,
                                 size_t max_bytes) {
  hp_cuda_painter *p = NULL;
  hp_status st;
  hp_cuda_painter_desc d = {{n[0], n[1], n[2]}, periodic, 0, NULL, prec, max_bytes};
  int rc = hp_cuda_painter_create(&p, net, &d, &st);
  if (rc) fprintf(stderr, "GPU plan: %s\n", st.msg);
  assert_int_equal(rc, 0);
  assert_non_null(p);
  return p;
}

static void gpu_execute(hp_cuda_painter *p, const float *rho, float **out) {
  hp_status st;
  int rc = hp_cuda_painter_execute(p, rho, out, &st);
  if (rc) fprintf(stderr, "GPU execute: %s\n", st.msg);
  assert_int_equal(rc, 0);
}

/* max over voxels and channels of |g - c| / max(|c|, 1e-3 max_channel|c|); NaN counts as inf. */
static double rel_err(float *const *g, float *const *c, int K, int64_t nv) {
  double worst = 0;
  for (int k = 0; k < K; k++) {
    double mx = 0;
    for (int64_t i = 0; i < nv; i++) mx = fmax(mx, fabs(c[k][i]));
    const double floor_ = mx > 0 ? 1e-3 * mx : 1e-30;
    for (int64_t i = 0; i < nv; i++) {
      const double e = fabs((double)g[k][i] - c[k][i]) / fmax(fabs(c[k][i]), floor_);
      if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
  }
  return worst;
}

/* max over channels of max|g - c| / max|c| (TF32: errors scale with the field, not the voxel). */
static double max_err(float *const *g, float *const *c, int K, int64_t nv) {
  double worst = 0;
  for (int k = 0; k < K; k++) {
    double mx = 0, e = 0;
    for (int64_t i = 0; i < nv; i++) {
      mx = fmax(mx, fabs(c[k][i]));
      const double d = fabs((double)g[k][i] - c[k][i]);
      if (!(d <= e)) e = isnan(d) ? INFINITY : d;
    }
    const double r = mx > 0 ? e / mx : e;
    if (!(r <= worst)) worst = r;
  }
  return worst;
}

static int outputs_equal(float *const *a, float *const *b, int K, int64_t nv) {
  for (int k = 0; k < K; k++)
    if (memcmp(a[k], b[k], sizeof(float) * (size_t)nv)) return 0;
  return 1;
}

/*
 * One case: CPU reference, then the GPU painter in FP32 (<= 1e-5) and TF32 (<= 2e-3), each
 * executed twice by the same plan (bit-identical), output shape and timings checked.
 */
static void compare_case(const char *what, const hp_net *net, const float *rho, int64_t n0,
                         int64_t n1, int64_t n2, int periodic) {
  const int64_t n[3] = {n0, n1, n2};
  const int K = net->k_out;
  int64_t on[3];
  float **ref = cpu_paint(net, rho, n, periodic, on);
  const int64_t nv = on[0] * on[1] * on[2];
  double err[2] = {0, 0};
  for (int prec = HP_GPU_FP32; prec <= HP_GPU_TF32; prec++) {
    hp_cuda_painter *p = gpu_plan(net, n, periodic, prec, 0);
    int64_t gn[3];
    hp_cuda_painter_out_shape(p, gn);
    for (int a = 0; a < 3; a++) assert_int_equal(gn[a], on[a]);
    assert_true(hp_cuda_painter_nslabs(p) >= 1);
    assert_true(hp_cuda_painter_device_bytes(p) > 0);
    float **g = hp_test_alloc_grids(K, nv), **g2 = hp_test_alloc_grids(K, nv);
    gpu_execute(p, rho, g);
    double total = -1, compute = -1;
    hp_cuda_painter_last_ms(p, &total, &compute);
    assert_true(compute > 0 && total >= 0.9 * compute - 0.01);
    gpu_execute(p, rho, g2);
    assert_true(outputs_equal(g, g2, K, nv));
    err[prec] = prec == HP_GPU_FP32 ? rel_err(g, ref, K, nv) : max_err(g, ref, K, nv);
    hp_test_free_grids(g, K), hp_test_free_grids(g2, K);
    hp_cuda_painter_destroy(p);
  }
  printf(
      "  %-14s %3lldx%3lldx%3lld %-12s K=%d: fp32 max rel err %.2e (<= %.0e), tf32 max "
      "err / max %.2e (<= %.0e)\n",
      what, (long long)n0, (long long)n1, (long long)n2, periodic ? "periodic" : "non-periodic", K,
      err[0], FP32_TOL, err[1], TF32_TOL);
  fflush(stdout);
  assert_true(err[0] <= FP32_TOL);
  assert_true(err[1] <= TF32_TOL);
  hp_test_free_grids(ref, K);
}

static void test_random_fields(void **state) {
  (void)state;
  static const struct {
    int64_t n[3];
    int periodic, K;
  } cases[] = {
      {{16, 16, 16}, 1, 1}, {{16, 16, 16}, 0, 3}, {{24, 20, 18}, 1, 3}, {{24, 20, 18}, 0, 1},
      {{37, 33, 29}, 1, 1}, {{37, 33, 29}, 0, 3}, {{64, 64, 64}, 1, 1}, {{64, 64, 64}, 0, 3},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    hp_net net = hp_test_random_net(cases[c].K, 100 + c);
    float *rho = random_density(cases[c].n[0], cases[c].n[1], cases[c].n[2]);
    compare_case("lognormal", &net, rho, cases[c].n[0], cases[c].n[1], cases[c].n[2],
                 cases[c].periodic);
    free(rho);
    hp_net_free(&net);
  }
}

static void test_lpt_field(void **state) {
  (void)state;
  const int64_t nv = 64;
  float *rho = lpt_density(nv);
  double mx = 0, zeros = 0;
  for (int64_t i = 0; i < nv * nv * nv; i++) mx = fmax(mx, rho[i]), zeros += rho[i] == 0;
  printf("  2LPT z=0 density: max rho/rho_mean %.1f, %.1f%% empty voxels\n", mx,
         100.0 * zeros / (double)(nv * nv * nv));
  for (int K = 1; K <= 3; K += 2) {
    hp_net net = hp_test_random_net(K, 200 + K);
    compare_case("2LPT+CIC", &net, rho, nv, nv, nv, 1);
    compare_case("2LPT+CIC", &net, rho, nv, nv, nv, 0);
    hp_net_free(&net);
  }
  free(rho);
}

/*
 * Budgets below the one-slab plan's size: each accepted plan stays within its budget, and
 * whenever it paints in several slabs its output is bit-identical to the one-slab plan's.
 */
static void slab_case(int64_t n0, int64_t n1, int64_t n2, int periodic, int K, int prec) {
  const int64_t n[3] = {n0, n1, n2};
  hp_net net = hp_test_random_net(K, 300 + K);
  float *rho = random_density(n0, n1, n2);
  hp_cuda_painter *one = gpu_plan(&net, n, periodic, prec, 0);
  assert_int_equal(hp_cuda_painter_nslabs(one), 1);
  const size_t b1 = hp_cuda_painter_device_bytes(one);
  int64_t on[3];
  hp_cuda_painter_out_shape(one, on);
  const int64_t nv = on[0] * on[1] * on[2];
  float **a = hp_test_alloc_grids(K, nv), **b = hp_test_alloc_grids(K, nv);
  gpu_execute(one, rho, a);
  static const double frac[] = {0.75, 0.5, 0.35, 0.25, 0.17, 0.125, 0.09, 0.0625};
  int multi = 0, maxslabs = 1;
  for (size_t f = 0; f < sizeof frac / sizeof frac[0]; f++) {
    const size_t budget = (size_t)(frac[f] * (double)b1);
    hp_cuda_painter *p = NULL;
    hp_status st;
    hp_cuda_painter_desc d = {{n0, n1, n2}, periodic, 0, NULL, prec, budget};
    if (hp_cuda_painter_create(&p, &net, &d, &st)) {
      printf("    budget %.2f x one slab (%zu bytes): refused: %s\n", frac[f], budget, st.msg);
      assert_null(p);
      continue;
    }
    const int ns = hp_cuda_painter_nslabs(p);
    const size_t used = hp_cuda_painter_device_bytes(p);
    printf("    budget %.2f x one slab (%zu bytes): %d slabs, %zu bytes\n", frac[f], budget, ns,
           used);
    assert_true(used <= budget);
    for (int k = 0; k < K; k++)
      for (int64_t i = 0; i < nv; i++) b[k][i] = NAN;
    gpu_execute(p, rho, b);
    assert_true(outputs_equal(a, b, K, nv));
    if (ns > 1) multi++;
    if (ns > maxslabs) maxslabs = ns;
    hp_cuda_painter_destroy(p);
  }
  printf(
      "  slabs %3lldx%3lldx%3lld %-12s K=%d %s: one slab %zu bytes; %d budgets painted in "
      "several slabs (up to %d), all bit-identical\n",
      (long long)n0, (long long)n1, (long long)n2, periodic ? "periodic" : "non-periodic", K,
      prec == HP_GPU_FP32 ? "fp32" : "tf32", b1, multi, maxslabs);
  fflush(stdout);
  assert_true(multi > 0);
  hp_test_free_grids(a, K), hp_test_free_grids(b, K);
  hp_cuda_painter_destroy(one);
  free(rho);
  hp_net_free(&net);
}

static void test_slabs(void **state) {
  (void)state;
  slab_case(64, 64, 64, 1, 3, HP_GPU_FP32);
  slab_case(37, 33, 29, 0, 1, HP_GPU_FP32);
  slab_case(64, 64, 64, 1, 1, HP_GPU_TF32);
}

static void test_bad_plans(void **state) {
  (void)state;
  hp_net net = hp_test_random_net(1, 1);
  hp_cuda_painter *p = NULL;
  hp_status st;
  /* too small for the network's halo, as the CPU engine refuses it */
  hp_cuda_painter_desc small = {{8, 30, 30}, 0, 0, NULL, HP_GPU_FP32, 0};
  assert_int_equal(hp_cuda_painter_create(&p, &net, &small, &st), HP_ERR_INPUT);
  assert_null(p);
  /* a bad device id */
  hp_cuda_painter_desc bad_dev = {{16, 16, 16}, 1, g_ndev + 5, NULL, HP_GPU_FP32, 0};
  assert_int_equal(hp_cuda_painter_create(&p, &net, &bad_dev, &st), HP_ERR_DEVICE);
  printf("  bad device: %s\n", st.msg);
  assert_null(p);
  /* not the paper's generator */
  net.conv[1].k = 3;
  hp_cuda_painter_desc ok = {{16, 16, 16}, 1, 0, NULL, HP_GPU_FP32, 0};
  assert_int_equal(hp_cuda_painter_create(&p, &net, &ok, &st), HP_ERR_INPUT);
  printf("  wrong architecture: %s\n", st.msg);
  assert_null(p);
  ok.precision = HP_GPU_TF32;
  assert_int_equal(hp_cuda_painter_create(&p, &net, &ok, &st), HP_ERR_INPUT);
  assert_null(p);
  hp_cuda_painter_destroy(NULL);
  hp_net_free(&net);
}

/* The device ceilings (cuda/peak.h) measure something on device 0 and refuse a bad id. */
static void test_peaks(void **state) {
  (void)state;
  char buf[512];
  hp_status st;
  int rc = hp_cuda_device_props(0, buf, sizeof buf, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  printf("  %s\n", buf);
  double fp32 = 0, tf32 = 0;
  rc = hp_cuda_peak_fp32(0, &fp32, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  assert_true(fp32 > 100);
  rc = hp_cuda_peak_tf32(0, &tf32, &st);
  if (rc) {
    printf("  TF32 peak: %s\n", st.msg);
    assert_int_equal(rc, HP_ERR_DEVICE);
    assert_non_null(strstr(st.msg, "compute capability"));
  } else {
    assert_true(tf32 > 100);
  }
  printf("  measured peaks: FP32 %.1f TFLOP/s, TF32 (WMMA) %.1f TFLOP/s\n", fp32 / 1e3, tf32 / 1e3);
  assert_int_equal(hp_cuda_peak_fp32(g_ndev + 5, &fp32, &st), HP_ERR_DEVICE);
  assert_int_equal(hp_cuda_device_props(-1, buf, sizeof buf, &st), HP_ERR_DEVICE);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  hp_status st;
  if (!hp_cuda_compiled()) {
    printf("SKIP: test_cuda_painter: this build has no CUDA backend (built with CUDA=0)\n");
    return 0;
  }
  if (hp_cuda_device_count(&g_ndev, &st)) {
    printf("SKIP: test_cuda_painter: no usable CUDA device: %s\n", st.msg);
    return 0;
  }
  if (g_ndev == 0) {
    printf("SKIP: test_cuda_painter: no CUDA device on this machine\n");
    return 0;
  }
  char name[256];
  if (hp_cuda_device_name(0, name, sizeof name, &st) == 0) printf("device 0: %s\n", name);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_peaks),         cmocka_unit_test(test_bad_plans),
      cmocka_unit_test(test_random_fields), cmocka_unit_test(test_lpt_field),
      cmocka_unit_test(test_slabs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
