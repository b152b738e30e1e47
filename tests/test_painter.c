/*
 * The painter against an independent float64 reference written plainly here
 * (nested loops, no shared code with nn/), and the engine's invariances:
 * tiling, thread count, periodic padding, periodic shifts.
 */
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

#include "fields.h"
#include "nn/layers.h"
#include "nn/network.h"
#include "nn/painter.h"

/* ---- float64 reference: valid 3D convolution on [c][n][n][n] tensors ---- */
static double *conv_d(const hp_net *net, int li, const double *in, int n, int *m_out) {
  const hp_conv *c = &net->conv[li];
  const int k = c->k, s = c->stride, m = (n - k) / s + 1;
  double *out = calloc((size_t)c->cout * m * m * m, sizeof *out);
  for (int co = 0; co < c->cout; co++)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < m; j++)
        for (int l = 0; l < m; l++) {
          double acc = net->w[c->b_off + co];
          for (int ci = 0; ci < c->cin; ci++)
            for (int a = 0; a < k; a++)
              for (int b = 0; b < k; b++)
                for (int d = 0; d < k; d++)
                  acc +=
                      (double)net
                          ->w[c->w_off + ((((size_t)co * c->cin + ci) * k + a) * k + b) * k + d] *
                      in[(((size_t)ci * n + s * i + a) * n + s * j + b) * n + s * l + d];
          out[(((size_t)co * m + i) * m + j) * m + l] = acc;
        }
  *m_out = m;
  return out;
}

static double lrelu_d(double x) { return x < 0 ? 0.1 * x : x; }

/* Generator in float64: blocks with crop + residual, head, ReLU. Output [K][n-8]^3. */
static double *generator_d(const hp_net *net, const double *x, int n) {
  const double *cur = x;
  double *owned = NULL;
  int cn = n;
  for (int bi = 0; bi < 2; bi++) {
    const hp_block *b = &net->block[bi];
    const int m = cn - 4;
    double *y = calloc((size_t)30 * m * m * m, sizeof *y);
    for (int br = 0; br < 3; br++) {
      int s1, s2;
      double *t = conv_d(net, b->first[br], cur, cn, &s1), *u = t;
      if (b->len[br] == 2) {
        u = conv_d(net, b->first[br] + 1, t, s1, &s2);
        free(t);
        s1 = s2;
      }
      const int off = (s1 - m) / 2;
      for (int c = 0; c < 10; c++)
        for (int i = 0; i < m; i++)
          for (int j = 0; j < m; j++)
            for (int l = 0; l < m; l++)
              y[(((size_t)(br * 10 + c) * m + i) * m + j) * m + l] =
                  u[(((size_t)c * s1 + i + off) * s1 + j + off) * s1 + l + off];
      free(u);
    }
    for (int c = 0; c < 30; c++)
      for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
          for (int l = 0; l < m; l++) {
            double *v = &y[(((size_t)c * m + i) * m + j) * m + l];
            *v = lrelu_d(*v + cur[(((size_t)0 * cn + i + 2) * cn + j + 2) * cn + l + 2]);
          }
    free(owned);
    owned = y;
    cur = y;
    cn = m;
  }
  for (int h = 0; h < net->head_len; h++) {
    int m;
    double *o = conv_d(net, net->head_first + h, cur, cn, &m);
    const size_t cnt = (size_t)net->conv[net->head_first + h].cout * m * m * m;
    for (size_t i = 0; i < cnt; i++)
      o[i] = h + 1 < net->head_len ? lrelu_d(o[i]) : (o[i] < 0 ? 0 : o[i]);
    free(owned);
    owned = o;
    cur = o;
  }
  return owned;
}

static uint64_t rng = 12345;
static double urand(void) { return hp_test_urand(&rng); }
static float *random_density(int64_t n0, int64_t n1, int64_t n2) {
  float *d = hp_test_random_density(&rng, n0, n1, n2);
  assert_non_null(d);
  return d;
}

static hp_painter *plan(const hp_net *net, int64_t n0, int64_t n1, int64_t n2, int periodic,
                        int threads, int ty, int tz) {
  hp_painter *p = NULL;
  hp_status st;
  hp_painter_desc d = {{n0, n1, n2}, periodic, threads, ty, tz, 0};
  int rc = hp_painter_create(&p, net, &d, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  return p;
}

static void test_arch_counts(void **state) {
  (void)state;
  hp_net net = hp_test_random_net(1, 1);
  assert_int_equal(net.nparams, 32081); /* DESIGN.md's count for K = 1 */
  assert_int_equal(hp_net_halo(&net), 4);
  assert_float_equal(hp_net_macs_per_voxel(&net), 31940, 0.5);
  hp_net_free(&net);
}

static void test_conv3d_against_float64(void **state) {
  (void)state;
  const int ks[4] = {1, 3, 5, 7}, strides[2] = {1, 2};
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 2; b++) {
      hp_net net = {0};
      net.nconv = 1;
      hp_conv *c = &net.conv[0];
      c->cin = 3, c->cout = 4, c->k = ks[a], c->stride = strides[b];
      c->w_off = 0, c->b_off = (size_t)4 * 3 * ks[a] * ks[a] * ks[a];
      net.nparams = c->b_off + 4;
      net.w = malloc(sizeof(float) * net.nparams);
      for (size_t i = 0; i < net.nparams; i++) net.w[i] = (float)(urand() - 0.5);
      const int n = 13;
      float *in = malloc(sizeof(float) * 3 * n * n * n);
      double *ind = malloc(sizeof(double) * 3 * n * n * n);
      for (int i = 0; i < 3 * n * n * n; i++) ind[i] = in[i] = (float)urand();
      int m;
      double *ref = conv_d(&net, 0, ind, n, &m);
      float *out = malloc(sizeof(float) * 4 * m * m * m);
      const int64_t nn[3] = {n, n, n};
      hp_conv3d(c, net.w, in, nn, out);
      double err = 0, mx = 0;
      for (int i = 0; i < 4 * m * m * m; i++)
        err = fmax(err, fabs(out[i] - ref[i])), mx = fmax(mx, fabs(ref[i]));
      assert_true(mx > 0.1);
      assert_true(err < 1e-5 * mx);
      free(in), free(ind), free(ref), free(out), free(net.w);
    }
}

/* Non-periodic painting of side 22 -> 14 against the float64 generator. */
static void test_generator_against_float64(void **state) {
  (void)state;
  const int n = 22, m = n - 8, K = 2;
  hp_net net = hp_test_random_net(K, 7);
  float *rho = random_density(n, n, n);
  double *rd = malloc(sizeof *rd * n * n * n);
  for (int i = 0; i < n * n * n; i++) rd[i] = rho[i];
  double *ref = generator_d(&net, rd, n);
  /* the plain float forward, and the fast engine with small odd tiles */
  float *fwd = malloc(sizeof(float) * K * m * m * m);
  hp_status st;
  const int64_t nn[3] = {n, n, n};
  assert_int_equal(hp_net_forward_ref(&net, rho, nn, fwd, &st), 0);
  hp_painter *p = plan(&net, n, n, n, 0, 2, 5, 7);
  float **out = hp_test_alloc_grids(K, (int64_t)m * m * m);
  assert_int_equal(hp_painter_execute(p, rho, out, &st), 0);
  double e1 = 0, e2 = 0, mx = 0;
  for (int k = 0; k < K; k++)
    for (int i = 0; i < m * m * m; i++) {
      const double r = ref[(size_t)k * m * m * m + i];
      mx = fmax(mx, fabs(r));
      e1 = fmax(e1, fabs(fwd[(size_t)k * m * m * m + i] - r));
      e2 = fmax(e2, fabs(out[k][i] - r));
    }
  assert_true(mx > 0.1);
  assert_true(e1 < 1e-5 * mx);
  assert_true(e2 < 1e-5 * mx);
  hp_test_free_grids(out, K);
  hp_painter_destroy(p);
  free(rho), free(rd), free(ref), free(fwd);
  hp_net_free(&net);
}

/* Tiles, x chunks and thread counts change nothing, bit for bit. */
static void test_tiling_and_threads_bit_identical(void **state) {
  (void)state;
  const int64_t n0 = 21, n1 = 26, n2 = 37, K = 1;
  hp_net net = hp_test_random_net(1, 3);
  float *rho = random_density(n0, n1, n2);
  const int64_t nv = n0 * n1 * n2;
  hp_painter *ref = plan(&net, n0, n1, n2, 1, 1, 0, 0);
  float **a = hp_test_alloc_grids(K, nv), **b = hp_test_alloc_grids(K, nv);
  hp_status st;
  assert_int_equal(hp_painter_execute(ref, rho, a, &st), 0);
  const int cfg[5][3] = {{2, 0, 0}, {3, 0, 0}, {2, 5, 7}, {3, 1, 1}, {1, 26, 37}};
  for (int c = 0; c < 5; c++) {
    hp_painter *p = plan(&net, n0, n1, n2, 1, cfg[c][0], cfg[c][1], cfg[c][2]);
    memset(b[0], 0, sizeof(float) * nv);
    assert_int_equal(hp_painter_execute(p, rho, b, &st), 0);
    assert_memory_equal(a[0], b[0], sizeof(float) * nv);
    hp_painter_destroy(p);
  }
  double mx = 0;
  for (int64_t i = 0; i < nv; i++) mx = fmax(mx, a[0][i]);
  assert_true(mx > 0);
  hp_test_free_grids(a, K), hp_test_free_grids(b, K);
  hp_painter_destroy(ref);
  free(rho);
  hp_net_free(&net);
}

/* Every vector path this CPU runs (HALOPAINT_SIMD), against the float64 generator, each bit
 * for bit the same for any tiles and threads; an unknown or unrunnable path is refused. */
static void test_vector_paths(void **state) {
  (void)state;
  const int n = 22, m = n - 8, K = 2;
  const int64_t mv = (int64_t)m * m * m;
  hp_net net = hp_test_random_net(K, 7);
  float *rho = random_density(n, n, n);
  double *rd = malloc(sizeof *rd * n * n * n);
  for (int i = 0; i < n * n * n; i++) rd[i] = rho[i];
  double *ref = generator_d(&net, rd, n);
  const char *keys[3] = {"portable", "avx2", "avx512"},
             *names[3] = {"portable", "AVX2+FMA", "AVX-512"};
  float **a = hp_test_alloc_grids(K, mv), **b = hp_test_alloc_grids(K, mv);
  hp_status st;
  int ran = 0;
  for (int k = 0; k < 3; k++) {
    setenv("HALOPAINT_SIMD", keys[k], 1);
    hp_painter *p = NULL;
    hp_painter_desc d = {{n, n, n}, 0, 1, 0, 0, 0};
    if (hp_painter_create(&p, &net, &d, &st)) { /* a path this CPU does not run */
      assert_non_null(strstr(st.msg, "this CPU does not run"));
      continue;
    }
    ran++;
    assert_string_equal(hp_painter_simd(p), names[k]);
    assert_int_equal(hp_painter_execute(p, rho, a, &st), 0);
    double err = 0, mx = 0;
    for (int c = 0; c < K; c++)
      for (int64_t i = 0; i < mv; i++) {
        const double r = ref[(size_t)c * mv + i];
        mx = fmax(mx, fabs(r)), err = fmax(err, fabs(a[c][i] - r));
      }
    assert_true(mx > 0.1);
    assert_true(err < 1e-5 * mx);
    hp_painter *q = plan(&net, n, n, n, 0, 2, 5, 7);
    assert_string_equal(hp_painter_simd(q), names[k]);
    assert_int_equal(hp_painter_execute(q, rho, b, &st), 0);
    for (int c = 0; c < K; c++) assert_memory_equal(a[c], b[c], sizeof(float) * mv);
    hp_painter_destroy(p), hp_painter_destroy(q);
  }
  assert_true(ran >= 1); /* portable runs everywhere */
  setenv("HALOPAINT_SIMD", "sse9", 1);
  hp_painter *p = NULL;
  hp_painter_desc d = {{n, n, n}, 0, 1, 0, 0, 0};
  assert_int_not_equal(hp_painter_create(&p, &net, &d, &st), 0);
  assert_non_null(strstr(st.msg, "HALOPAINT_SIMD=sse9: expected auto, portable"));
  unsetenv("HALOPAINT_SIMD");
  hp_test_free_grids(a, K), hp_test_free_grids(b, K);
  free(rho), free(rd), free(ref);
  hp_net_free(&net);
}

/* Tiles by measurement (HP_PLAN_MEASURE, 2^20 voxels and more): the plan paints what the
 * estimated plan paints, bit for bit; its choice is kept in the wisdom file; a complete
 * search's line is read back, the line of a search cut short by its budget is searched again. */
static void test_measured_tiles(void **state) {
  (void)state;
  const int64_t n = 104, nv = n * n * n; /* 1.12e6 >= HP_PAINTER_TUNE_MIN */
  char wisdom[] = "/tmp/hp_wisdom_XXXXXX";
  const int fd = mkstemp(wisdom);
  assert_true(fd >= 0);
  close(fd);
  setenv("HALOPAINT_WISDOM", wisdom, 1);
  hp_net net = hp_test_random_net(1, 5);
  float *rho = random_density(n, n, n);
  float **a = hp_test_alloc_grids(1, nv), **b = hp_test_alloc_grids(1, nv);
  hp_status st;
  hp_painter *est = NULL, *mea = NULL, *again = NULL;
  hp_painter_desc de = {{n, n, n}, 1, 2, 0, 0, HP_PLAN_ESTIMATE}, dm = de;
  dm.planner = HP_PLAN_MEASURE;
  assert_int_equal(hp_painter_create(&est, &net, &de, &st), 0);
  assert_int_equal(hp_painter_create(&mea, &net, &dm, &st), 0);
  int ty, tz, measured, ty2, tz2, measured2;
  hp_painter_tiles(est, &ty, &tz, &measured);
  assert_int_equal(measured, 0);
  hp_painter_tiles(mea, &ty, &tz, &measured);
  assert_int_equal(measured, 1);
  assert_int_equal(hp_painter_execute(est, rho, a, &st), 0);
  assert_int_equal(hp_painter_execute(mea, rho, b, &st), 0);
  assert_memory_equal(a[0], b[0], sizeof(float) * nv);
  FILE *f = fopen(wisdom, "r");
  char line[1024] = "";
  assert_non_null(f);
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  assert_non_null(strstr(line, "painter-tiles "));
  assert_non_null(strstr(line, "threads=2 ny=104 nz=104 -> "));
  /* a complete search's line is the plan's choice, read back without a search */
  char key[1024];
  snprintf(key, sizeof key, "%.*s", (int)(strstr(line, " -> ") - line), line);
  f = fopen(wisdom, "w");
  fprintf(f, "%s -> 26 52 (1.0 ns per voxel)\n", key);
  fclose(f);
  assert_int_equal(hp_painter_create(&again, &net, &dm, &st), 0);
  hp_painter_tiles(again, &ty2, &tz2, &measured2);
  assert_int_equal(ty2, 26), assert_int_equal(tz2, 52), assert_int_equal(measured2, 1);
  hp_painter_destroy(again);
  /* the line of a search cut short by its budget is not trusted: the plan searches again */
  f = fopen(wisdom, "w");
  fprintf(f, "%s -> 26 52 (1.0 ns per voxel; the search ran out of its budget)\n", key);
  fclose(f);
  assert_int_equal(hp_painter_create(&again, &net, &dm, &st), 0);
  int lines = 0;
  f = fopen(wisdom, "r");
  while (fgets(line, sizeof line, f)) lines++;
  fclose(f);
  assert_int_equal(lines, 2);
  (void)ty, (void)tz;
  unsetenv("HALOPAINT_WISDOM");
  unlink(wisdom);
  hp_painter_destroy(est), hp_painter_destroy(mea), hp_painter_destroy(again);
  hp_test_free_grids(a, 1), hp_test_free_grids(b, 1);
  free(rho);
  hp_net_free(&net);
}

/* Periodic painting = non-periodic painting of an explicitly padded periodic copy. */
static void test_periodic_equals_padded_copy(void **state) {
  (void)state;
  const int64_t n = 24, np = n + 8;
  hp_net net = hp_test_random_net(1, 11);
  float *rho = random_density(n, n, n), *pad = malloc(sizeof(float) * np * np * np);
  for (int64_t i = 0; i < np; i++)
    for (int64_t j = 0; j < np; j++)
      for (int64_t l = 0; l < np; l++)
        pad[(i * np + j) * np + l] =
            rho[(((i + n - 4) % n) * n + (j + n - 4) % n) * n + (l + n - 4) % n];
  hp_painter *pp = plan(&net, n, n, n, 1, 2, 0, 0), *pn = plan(&net, np, np, np, 0, 2, 0, 0);
  int64_t on[3];
  hp_painter_out_shape(pn, on);
  assert_int_equal(on[0], n);
  float **a = hp_test_alloc_grids(1, n * n * n), **b = hp_test_alloc_grids(1, n * n * n);
  hp_status st;
  assert_int_equal(hp_painter_execute(pp, rho, a, &st), 0);
  assert_int_equal(hp_painter_execute(pn, pad, b, &st), 0);
  assert_memory_equal(a[0], b[0], sizeof(float) * n * n * n);
  hp_test_free_grids(a, 1), hp_test_free_grids(b, 1);
  hp_painter_destroy(pp), hp_painter_destroy(pn);
  free(rho), free(pad);
  hp_net_free(&net);
}

/* A periodic shift of the input shifts the output by the same amount. */
static void test_shift_equivariance(void **state) {
  (void)state;
  const int64_t n = 20, s[3] = {3, 7, 11};
  hp_net net = hp_test_random_net(1, 5);
  float *rho = random_density(n, n, n), *sh = malloc(sizeof(float) * n * n * n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < n; l++)
        sh[(((i + s[0]) % n) * n + (j + s[1]) % n) * n + (l + s[2]) % n] = rho[(i * n + j) * n + l];
  hp_painter *p = plan(&net, n, n, n, 1, 2, 0, 0);
  float **a = hp_test_alloc_grids(1, n * n * n), **b = hp_test_alloc_grids(1, n * n * n);
  hp_status st;
  assert_int_equal(hp_painter_execute(p, rho, a, &st), 0);
  assert_int_equal(hp_painter_execute(p, sh, b, &st), 0);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < n; l++)
        assert_true(b[0][(((i + s[0]) % n) * n + (j + s[1]) % n) * n + (l + s[2]) % n] ==
                    a[0][(i * n + j) * n + l]);
  hp_test_free_grids(a, 1), hp_test_free_grids(b, 1);
  hp_painter_destroy(p);
  free(rho), free(sh);
  hp_net_free(&net);
}

static void test_bad_plans(void **state) {
  (void)state;
  hp_net net = hp_test_random_net(1, 1);
  hp_painter *p = NULL;
  hp_status st;
  hp_painter_desc small = {{8, 30, 30}, 0, 1, 0, 0, 0};
  assert_int_equal(hp_painter_create(&p, &net, &small, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "too small"));
  /* plans larger than the memory are refused before allocating: 10^5 threads, a 2e6^3 grid */
  hp_painter_desc threads = {{16, 16, 16}, 1, 100000, 0, 0, 0};
  assert_int_equal(hp_painter_create(&p, &net, &threads, &st), HP_ERR_NOMEM);
  assert_non_null(strstr(st.msg, "100000 threads"));
  hp_painter_desc huge = {{2000000, 2000000, 2000000}, 1, 1, 0, 0, 0};
  assert_int_not_equal(hp_painter_create(&p, &net, &huge, &st), 0);
  assert_null(p);
  net.conv[1].k = 3; /* no longer the paper's generator */
  hp_painter_desc ok = {{16, 16, 16}, 1, 1, 0, 0, 0};
  assert_int_equal(hp_painter_create(&p, &net, &ok, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "generator"));
  assert_null(p);
  hp_net_free(&net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arch_counts),
      cmocka_unit_test(test_conv3d_against_float64),
      cmocka_unit_test(test_generator_against_float64),
      cmocka_unit_test(test_tiling_and_threads_bit_identical),
      cmocka_unit_test(test_vector_paths),
      cmocka_unit_test(test_measured_tiles),
      cmocka_unit_test(test_periodic_equals_padded_copy),
      cmocka_unit_test(test_shift_equivariance),
      cmocka_unit_test(test_bad_plans),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
