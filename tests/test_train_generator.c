/*
 * The generator's training passes (train/generator.h): the forward pass against the plain
 * reference hp_net_forward_ref; the float64 weight gradient of the whole generator against
 * central finite differences (every layer sampled, and a random direction; relative error
 * < 1e-4, kinks avoided by redrawing until every pre-activation is 10 steps from 0); the float
 * gradient against the float64 one; bit-identical results for 1 and 2 threads.
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

#include "train/generator.h"
#include "nn/network.h"
#include "nn/painter.h"

static double urand(uint64_t *s) { /* [-1, 1) */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-52 - 1.0;
}

static int64_t cube(int64_t n) { return n * n * n; }

/* A density-like input in [0.2, 2.2); weights N(0, 0.3) (the paper's 0.1 makes the network
 * nearly constant), biases in [-0.1, 0.3), the output layer's in [0.05, 0.25) (alive). */
static void draw(hp_net *net, uint64_t seed, int64_t n, float *x) {
  uint64_t s = seed;
  hp_net_init_random(net, seed, 0.3, 0.1);
  for (int i = 0; i < net->nconv; i++)
    for (int j = 0; j < net->conv[i].cout; j++)
      net->w[net->conv[i].b_off + j] =
          (float)(i + 1 < net->nconv ? 0.1 + 0.2 * urand(&s) : 0.15 + 0.1 * urand(&s));
  for (int64_t i = 0; i < cube(n); i++) x[i] = (float)(1.2 + urand(&s));
}

static void test_forward_matches_reference(void **state) {
  (void)state;
  for (int k = 1; k <= 3; k += 2) {
    hp_net net;
    hp_status st;
    assert_int_equal(hp_net_generator(&net, 1, k, &st), 0);
    const int64_t n = 21, m = n - 8;
    float *x = malloc(sizeof(float) * (size_t)cube(n)),
          *ref = malloc(sizeof(float) * (size_t)(k * cube(m)));
    double *xd = malloc(sizeof(double) * (size_t)cube(n)),
           *wd = malloc(sizeof(double) * net.nparams);
    draw(&net, 5 + k, n, x);
    assert_int_equal(hp_net_forward_ref(&net, x, (int64_t[3]){n, n, n}, ref, &st), 0);
    hp_f_gen_ws *gf;
    hp_d_gen_ws *gd;
    assert_int_equal(hp_f_gen_ws_create(&gf, &net, n, 2, &st), 0);
    assert_int_equal(hp_d_gen_ws_create(&gd, &net, n, 2, &st), 0);
    assert_int_equal(hp_f_gen_ws_out_side(gf), m);
    for (int64_t i = 0; i < cube(n); i++) xd[i] = x[i];
    for (size_t i = 0; i < net.nparams; i++) wd[i] = net.w[i];
    const float *of = hp_f_gen_forward(gf, net.w, x);
    const double *od = hp_d_gen_forward(gd, wd, xd);
    double scale = 0;
    for (int64_t i = 0; i < k * cube(m); i++) scale = fmax(scale, fabs(ref[i]));
    assert_true(scale > 0.1);
    int nonzero = 0;
    for (int64_t i = 0; i < k * cube(m); i++) {
      if (fabs(of[i] - ref[i]) > 1e-5 * scale)
        fail_msg("K=%d float: out[%lld] = %.9g, reference %.9g", k, (long long)i, of[i], ref[i]);
      if (fabs(od[i] - ref[i]) > 1e-5 * scale)
        fail_msg("K=%d float64: out[%lld] = %.9g, reference %.9g", k, (long long)i, od[i], ref[i]);
      nonzero += ref[i] > 0;
    }
    assert_true(nonzero > 0);
    hp_f_gen_ws_destroy(gf);
    hp_d_gen_ws_destroy(gd);
    free(x), free(ref), free(xd), free(wd);
    hp_net_free(&net);
  }
}

typedef struct check {
  hp_net net;
  hp_d_gen_ws *g;
  int64_t n, m;
  double *w, *x, *r;
} check;

static double loss(check *c) {
  const double *o = hp_d_gen_forward(c->g, c->w, c->x);
  double l = 0;
  for (int64_t i = 0; i < c->net.k_out * cube(c->m); i++) l += c->r[i] * o[i];
  return l;
}

static double rel_err(double a, double b) {
  const double den = fmax(fabs(a), fabs(b));
  return den == 0 ? 0 : fabs(a - b) / den;
}

static void test_gradient_finite_differences(void **state) {
  (void)state;
  const double h = 1e-6;
  hp_status st;
  for (int k = 1; k <= 2; k++) {
    check c;
    c.n = 13, c.m = 5;
    assert_int_equal(hp_net_generator(&c.net, 1, k, &st), 0);
    assert_int_equal(hp_d_gen_ws_create(&c.g, &c.net, c.n, 1, &st), 0);
    c.w = malloc(sizeof(double) * c.net.nparams);
    c.x = malloc(sizeof(double) * (size_t)cube(c.n));
    c.r = malloc(sizeof(double) * (size_t)(k * cube(c.m)));
    float *xf = malloc(sizeof(float) * (size_t)cube(c.n));
    uint64_t seed = 11 + k, s;
    int tries = 0;
    for (;;) { /* kinks avoided by construction */
      draw(&c.net, seed, c.n, xf);
      for (size_t i = 0; i < c.net.nparams; i++) c.w[i] = c.net.w[i];
      for (int64_t i = 0; i < cube(c.n); i++) c.x[i] = xf[i];
      hp_d_gen_forward(c.g, c.w, c.x);
      if (hp_d_gen_min_abs_preact(c.g) > 10 * h) break;
      seed += 101;
      if (++tries > 300) fail_msg("no kink-free draw");
    }
    s = seed * 3 + 1;
    for (int64_t i = 0; i < k * cube(c.m); i++) c.r[i] = urand(&s);
    double *gw = calloc(c.net.nparams, sizeof(double));
    hp_d_gen_forward(c.g, c.w, c.x);
    hp_d_gen_backward(c.g, c.w, c.r, gw);
    double worst = 0;
    for (int li = 0; li < c.net.nconv; li++) {
      const hp_conv *cv = &c.net.conv[li];
      const size_t nw = (size_t)cv->cout * cv->cin * cv->k * cv->k * cv->k;
      for (int t = 0; t < 6; t++) {
        const size_t iw = t < 2 ? cv->b_off + (size_t)t % (size_t)cv->cout
                                : cv->w_off + (size_t)((urand(&s) + 1) / 2 * (double)(nw - 1));
        const double w0 = c.w[iw];
        c.w[iw] = w0 + h;
        const double lp = loss(&c);
        c.w[iw] = w0 - h;
        const double lm = loss(&c);
        c.w[iw] = w0;
        const double fd = (lp - lm) / (2 * h), e = rel_err(fd, gw[iw]);
        if (e > worst) worst = e;
        if (e > 1e-4)
          fail_msg("K=%d layer %s: dL/dw[%zu] analytic %.12g, finite difference %.12g", k, cv->name,
                   iw, gw[iw], fd);
      }
    }
    /* the whole gradient along a random direction */
    double *dir = malloc(sizeof(double) * c.net.nparams),
           *w0 = malloc(sizeof(double) * c.net.nparams);
    double an = 0;
    memcpy(w0, c.w, sizeof(double) * c.net.nparams);
    for (size_t i = 0; i < c.net.nparams; i++) dir[i] = urand(&s), an += dir[i] * gw[i];
    const double hd = 1e-7;
    for (size_t i = 0; i < c.net.nparams; i++) c.w[i] = w0[i] + hd * dir[i];
    const double lp = loss(&c);
    for (size_t i = 0; i < c.net.nparams; i++) c.w[i] = w0[i] - hd * dir[i];
    const double lm = loss(&c);
    memcpy(c.w, w0, sizeof(double) * c.net.nparams);
    const double fd = (lp - lm) / (2 * hd);
    print_message("K=%d: worst per-weight relative error %.2e; random direction %.2e\n", k, worst,
                  rel_err(fd, an));
    assert_true(rel_err(fd, an) < 1e-4);
    free(dir), free(w0), free(gw), free(xf), free(c.w), free(c.x), free(c.r);
    hp_d_gen_ws_destroy(c.g);
    hp_net_free(&c.net);
  }
}

static void test_float_path_and_threads(void **state) {
  (void)state;
  hp_status st;
  hp_net net;
  const int64_t n = 26, m = 18;
  assert_int_equal(hp_net_generator(&net, 1, 2, &st), 0);
  float *x = malloc(sizeof(float) * (size_t)cube(n)),
        *r = malloc(sizeof(float) * 2 * (size_t)cube(m));
  double *xd = malloc(sizeof(double) * (size_t)cube(n)), *wd = malloc(sizeof(double) * net.nparams),
         *rd = malloc(sizeof(double) * 2 * (size_t)cube(m)),
         *gd = calloc(net.nparams, sizeof(double));
  draw(&net, 99, n, x);
  uint64_t s = 3;
  for (int64_t i = 0; i < 2 * cube(m); i++) rd[i] = r[i] = (float)urand(&s);
  for (int64_t i = 0; i < cube(n); i++) xd[i] = x[i];
  for (size_t i = 0; i < net.nparams; i++) wd[i] = net.w[i];
  hp_d_gen_ws *g;
  assert_int_equal(hp_d_gen_ws_create(&g, &net, n, 2, &st), 0);
  hp_d_gen_forward(g, wd, xd);
  hp_d_gen_backward(g, wd, rd, gd);
  hp_d_gen_ws_destroy(g);
  float *gf[2], *of[2];
  for (int th = 1; th <= 2; th++) {
    hp_f_gen_ws *gfw;
    assert_int_equal(hp_f_gen_ws_create(&gfw, &net, n, th, &st), 0);
    gf[th - 1] = calloc(net.nparams, sizeof(float));
    of[th - 1] = malloc(sizeof(float) * 2 * (size_t)cube(m));
    memcpy(of[th - 1], hp_f_gen_forward(gfw, net.w, x), sizeof(float) * 2 * (size_t)cube(m));
    hp_f_gen_backward(gfw, net.w, r, gf[th - 1]);
    hp_f_gen_ws_destroy(gfw);
  }
  assert_memory_equal(of[0], of[1], sizeof(float) * 2 * (size_t)cube(m));
  assert_memory_equal(gf[0], gf[1], sizeof(float) * net.nparams);
  /* float against float64, layer by layer (norm-wise) */
  for (int li = 0; li < net.nconv; li++) {
    const hp_conv *cv = &net.conv[li];
    double num = 0, den = 0;
    for (size_t i = cv->w_off; i < cv->b_off + (size_t)cv->cout; i++) {
      num += (gf[0][i] - gd[i]) * (gf[0][i] - gd[i]);
      den += gd[i] * gd[i];
    }
    if (!(sqrt(num / den) < 1e-4))
      fail_msg("layer %s: float gradient differs from float64 by %.3g (relative norm)", cv->name,
               sqrt(num / den));
  }
  for (int t = 0; t < 2; t++) free(gf[t]), free(of[t]);
  free(x), free(r), free(xd), free(wd), free(rd), free(gd);
  hp_net_free(&net);
}

/* Per-layer timing (bench_train's table): the timed passes give the same bits, every layer's
 * multiply-adds sum to the workspace's count, and the clocks run exactly where a pass exists
 * (no input gradient in block 0, whose input is the density; folded reduces not at all). */
static void test_layer_profile(void **state) {
  (void)state;
  hp_status st;
  hp_net net;
  const int64_t n = 24, m = 16;
  assert_int_equal(hp_net_generator(&net, 1, 2, &st), 0);
  hp_net_init_random(&net, 5, 0.1, 0.1);
  float *x = malloc(sizeof(float) * (size_t)cube(n)),
        *r = malloc(sizeof(float) * 2 * (size_t)cube(m));
  float *gw[2] = {calloc(net.nparams, sizeof(float)), calloc(net.nparams, sizeof(float))};
  draw(&net, 17, n, x);
  uint64_t s = 9;
  for (int64_t i = 0; i < 2 * cube(m); i++) r[i] = (float)urand(&s);
  hp_f_gen_ws *g;
  assert_int_equal(hp_f_gen_ws_create(&g, &net, n, 2, &st), 0);
  float *out[2];
  for (int p = 0; p < 2; p++) {
    hp_f_gen_ws_profile(g, p);
    out[p] = malloc(sizeof(float) * 2 * (size_t)cube(m));
    memcpy(out[p], hp_f_gen_forward(g, net.w, x), sizeof(float) * 2 * (size_t)cube(m));
    hp_f_gen_backward(g, net.w, r, gw[p]);
  }
  assert_memory_equal(out[0], out[1], sizeof(float) * 2 * (size_t)cube(m));
  assert_memory_equal(gw[0], gw[1], sizeof(float) * net.nparams);
  double fwd, bwd, sum = 0;
  hp_f_gen_ws_macs(g, &fwd, &bwd);
  for (int i = 0; i < net.nconv; i++) {
    double t[3], macs;
    hp_f_gen_ws_layer_time(g, i, t, &macs);
    sum += macs;
    const int folded = macs == 0, block0 = i < net.block[1].first[0];
    if (folded) {
      assert_true(t[0] == 0 && t[1] == 0 && t[2] == 0);
      continue;
    }
    if (!(t[0] > 0 && t[1] > 0))
      fail_msg("layer %s: forward %g s, weight gradient %g s", net.conv[i].name, t[0], t[1]);
    if (block0 ? t[2] != 0 : !(t[2] > 0))
      fail_msg("layer %s: input gradient clock %g s", net.conv[i].name, t[2]);
  }
  assert_true(fabs(sum - fwd) <= 1e-9 * fwd);
  hp_f_gen_ws_profile(g, 0); /* off: the clocks stay as they are */
  double before[3], after[3], macs;
  hp_f_gen_ws_layer_time(g, net.nconv - 1, before, &macs);
  hp_f_gen_forward(g, net.w, x);
  hp_f_gen_ws_layer_time(g, net.nconv - 1, after, &macs);
  assert_true(before[0] == after[0]);
  hp_f_gen_ws_destroy(g);
  for (int p = 0; p < 2; p++) free(out[p]), free(gw[p]);
  free(x), free(r);
  hp_net_free(&net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forward_matches_reference),
      cmocka_unit_test(test_gradient_finite_differences),
      cmocka_unit_test(test_float_path_and_threads),
      cmocka_unit_test(test_layer_profile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
