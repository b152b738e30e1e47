/*
 * The critic (train/critic.h): the paper's shapes (8x22^3, 16x18^3, 32x8^3, 64x8^3, 32768 for a
 * 50^3 input); the forward pass against a plain float64 evaluation written here; in float64,
 * dC/dtheta and dC/dx, and the gradient penalty's weight gradient (double backpropagation)
 * against central finite differences of C and of lambda (||g|| - 1)^2 (relative error < 1e-4;
 * kinks avoided by redrawing until every pre-activation is 10 steps from 0); the float passes
 * against the float64 ones; bit-identical results for 1 and 2 threads.
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

#include "train/critic.h"

static double urand(uint64_t *s) { /* [-1, 1) */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-52 - 1.0;
}

static int64_t cube(int64_t n) { return n * n * n; }

static void test_paper_shapes(void **state) {
  (void)state;
  hp_critic c;
  hp_status st;
  assert_int_equal(hp_critic_paper(&c, 1, 50, &st), 0);
  const int64_t side[4] = {22, 18, 8, 8}, ch[4] = {8, 16, 32, 64};
  for (int l = 0; l < 4; l++) {
    assert_int_equal(c.out_side[l], side[l]);
    assert_int_equal(c.conv[l].cout, ch[l]);
  }
  assert_int_equal(c.dense_in, 32768);
  assert_int_equal(c.nparams,
                   8 * 343 + 8 + 16 * 8 * 125 + 16 + 32 * 16 * 27 + 32 + 64 * 32 + 64 + 32768 + 1);
  assert_int_equal(hp_critic_paper(&c, 1, 18, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "TrainPatch"));
  assert_int_equal(hp_critic_paper(&c, 1, 19, &st), 0);
  assert_int_equal(c.out_side[3], 1);
}

/* Plain float64 critic: nested loops, no code shared with nn/. */
static double critic_ref(const hp_critic *c, const double *w, const double *x) {
  const double *in = x;
  double *owned = NULL;
  int64_t n = c->side;
  for (int l = 0; l < c->nconv; l++) {
    const hp_conv *cv = &c->conv[l];
    const int64_t m = c->out_side[l], k = cv->k, s = cv->stride;
    double *out = malloc(sizeof(double) * (size_t)(cv->cout * cube(m)));
    for (int co = 0; co < cv->cout; co++)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < m; j++)
          for (int64_t q = 0; q < m; q++) {
            double z = w[cv->b_off + co];
            for (int ci = 0; ci < cv->cin; ci++)
              for (int64_t a = 0; a < k; a++)
                for (int64_t b = 0; b < k; b++)
                  for (int64_t d = 0; d < k; d++)
                    z += w[cv->w_off + (((co * cv->cin + ci) * k + a) * k + b) * k + d] *
                         in[((ci * n + s * i + a) * n + s * j + b) * n + s * q + d];
            out[((co * m + i) * m + j) * m + q] = z < 0 ? (double)c->slope * z : z;
          }
    free(owned);
    owned = out;
    in = out;
    n = m;
  }
  double C = w[c->dense_b_off];
  for (int64_t i = 0; i < c->dense_in; i++) C += w[c->dense_w_off + i] * in[i];
  free(owned);
  return C;
}

typedef struct prob {
  hp_critic c;
  hp_d_critic_ws *ws;
  double *w, *x;
  int64_t nin;
} prob;

/* Weights N(0, sigma), biases in [-0.1, 0.3); input in [0, 2) (counts-like, K channels);
 * redrawn until the forward pass at x (and at the penalty's x) is 10 steps from every kink. */
static void prob_init(prob *p, int cin, int64_t side, uint64_t seed, double h) {
  hp_status st;
  assert_int_equal(hp_critic_paper(&p->c, cin, side, &st), 0);
  assert_int_equal(hp_d_critic_ws_create(&p->ws, &p->c, 1, &st), 0);
  p->nin = cin * cube(side);
  p->w = malloc(sizeof(double) * p->c.nparams);
  p->x = malloc(sizeof(double) * (size_t)p->nin);
  for (int tries = 0;; tries++) {
    uint64_t s = seed + 7919 * (uint64_t)tries;
    for (size_t i = 0; i < p->c.nparams; i++) p->w[i] = 0.15 * urand(&s);
    for (int l = 0; l < p->c.nconv; l++)
      for (int j = 0; j < p->c.conv[l].cout; j++)
        p->w[p->c.conv[l].b_off + j] = 0.1 + 0.2 * urand(&s);
    for (int64_t i = 0; i < p->nin; i++) p->x[i] = 1 + urand(&s);
    hp_d_critic_forward(p->ws, p->w, p->x);
    if (hp_d_critic_min_abs_preact(p->ws) > 10 * h) break;
    if (tries > 300) fail_msg("no kink-free draw");
  }
}

static void prob_free(prob *p) {
  hp_d_critic_ws_destroy(p->ws);
  free(p->w), free(p->x);
}

static double rel_err(double a, double b) {
  const double den = fmax(fabs(a), fabs(b));
  return den == 0 ? 0 : fabs(a - b) / den;
}

static void test_forward_matches_reference(void **state) {
  (void)state;
  prob p;
  prob_init(&p, 2, 25, 3, 0);
  const double C = hp_d_critic_forward(p.ws, p.w, p.x), ref = critic_ref(&p.c, p.w, p.x);
  if (!(fabs(C - ref) < 1e-12 * (1 + fabs(ref)))) fail_msg("C = %.17g, reference %.17g", C, ref);
  float *wf = malloc(sizeof(float) * p.c.nparams), *xf = malloc(sizeof(float) * (size_t)p.nin);
  for (size_t i = 0; i < p.c.nparams; i++) wf[i] = (float)p.w[i];
  for (int64_t i = 0; i < p.nin; i++) xf[i] = (float)p.x[i];
  hp_f_critic_ws *wsf;
  hp_status st;
  assert_int_equal(hp_f_critic_ws_create(&wsf, &p.c, 2, &st), 0);
  const double Cf = hp_f_critic_forward(wsf, wf, xf);
  assert_true(fabs(Cf - ref) < 1e-4 * (1 + fabs(ref)));
  hp_f_critic_ws_destroy(wsf);
  free(wf), free(xf);
  prob_free(&p);
}

static void test_critic_gradients(void **state) {
  (void)state;
  const double h = 1e-6;
  for (int cin = 1; cin <= 2; cin++) {
    prob p;
    prob_init(&p, cin, cin == 1 ? 23 : 21, 40 + cin, h);
    double *gw = calloc(p.c.nparams, sizeof(double)), *gx = malloc(sizeof(double) * (size_t)p.nin);
    hp_d_critic_forward(p.ws, p.w, p.x);
    hp_d_critic_backward(p.ws, p.w, -0.5, gw, gx); /* loss -0.5 C */
    uint64_t s = 5;
    double worst = 0;
    for (int l = 0; l <= p.c.nconv; l++) {
      const size_t lo = l < p.c.nconv ? p.c.conv[l].w_off : p.c.dense_w_off;
      const size_t hi = l < p.c.nconv ? p.c.conv[l].b_off + (size_t)p.c.conv[l].cout : p.c.nparams;
      for (int t = 0; t < 8; t++) {
        const size_t iw =
            t == 0 ? hi - 1 : lo + (size_t)((urand(&s) + 1) / 2 * (double)(hi - lo - 1));
        const double w0 = p.w[iw];
        p.w[iw] = w0 + h;
        const double lp = -0.5 * hp_d_critic_forward(p.ws, p.w, p.x);
        p.w[iw] = w0 - h;
        const double lm = -0.5 * hp_d_critic_forward(p.ws, p.w, p.x);
        p.w[iw] = w0;
        const double fd = (lp - lm) / (2 * h), e = rel_err(fd, gw[iw]);
        worst = fmax(worst, e);
        if (e > 1e-4)
          fail_msg("dC/dw[%zu]: analytic %.12g, finite difference %.12g", iw, gw[iw], fd);
      }
    }
    for (int t = 0; t < 30; t++) {
      const int64_t ix = (int64_t)((urand(&s) + 1) / 2 * (double)(p.nin - 1));
      const double x0 = p.x[ix];
      p.x[ix] = x0 + h;
      const double lp = -0.5 * hp_d_critic_forward(p.ws, p.w, p.x);
      p.x[ix] = x0 - h;
      const double lm = -0.5 * hp_d_critic_forward(p.ws, p.w, p.x);
      p.x[ix] = x0;
      const double fd = (lp - lm) / (2 * h);
      if (fd == 0 && gx[ix] == 0) continue; /* an input the stride skips */
      const double e = rel_err(fd, gx[ix]);
      worst = fmax(worst, e);
      if (e > 1e-4)
        fail_msg("dC/dx[%lld]: analytic %.12g, finite difference %.12g", (long long)ix, gx[ix], fd);
    }
    print_message("critic K=%d: worst relative error %.2e\n", cin, worst);
    free(gw), free(gx);
    prob_free(&p);
  }
}

static void test_gradient_penalty(void **state) {
  (void)state;
  const double h = 1e-6, lambda = 10;
  for (int cin = 1; cin <= 2; cin++) {
    prob p;
    prob_init(&p, cin, cin == 1 ? 23 : 21, 70 + cin, h);
    double *gw = calloc(p.c.nparams, sizeof(double)), gnorm;
    const double pen = hp_d_critic_gradient_penalty(p.ws, p.w, p.x, lambda, gw, &gnorm);
    assert_true(fabs(pen - lambda * (gnorm - 1) * (gnorm - 1)) < 1e-12 * pen);
    assert_true(gnorm > 0);
    /* biases get no gradient from the penalty */
    for (int l = 0; l < p.c.nconv; l++)
      for (int j = 0; j < p.c.conv[l].cout; j++) assert_true(gw[p.c.conv[l].b_off + j] == 0);
    assert_true(gw[p.c.dense_b_off] == 0);
    uint64_t s = 9;
    double worst = 0;
    for (int l = 0; l <= p.c.nconv; l++) {
      const size_t lo = l < p.c.nconv ? p.c.conv[l].w_off : p.c.dense_w_off;
      const size_t hi = l < p.c.nconv ? p.c.conv[l].b_off : p.c.dense_b_off;
      for (int t = 0; t < 10; t++) {
        const size_t iw = lo + (size_t)((urand(&s) + 1) / 2 * (double)(hi - lo - 1));
        const double w0 = p.w[iw];
        p.w[iw] = w0 + h;
        const double lp = hp_d_critic_gradient_penalty(p.ws, p.w, p.x, lambda, NULL, NULL);
        assert_true(hp_d_critic_min_abs_preact(p.ws) > 2 * h);
        p.w[iw] = w0 - h;
        const double lm = hp_d_critic_gradient_penalty(p.ws, p.w, p.x, lambda, NULL, NULL);
        p.w[iw] = w0;
        const double fd = (lp - lm) / (2 * h), e = rel_err(fd, gw[iw]);
        worst = fmax(worst, e);
        if (e > 1e-4)
          fail_msg("K=%d layer %d: d penalty/dw[%zu]: analytic %.12g, finite difference %.12g", cin,
                   l, iw, gw[iw], fd);
      }
    }
    /* all weights at once along a random direction */
    double *dir = malloc(sizeof(double) * p.c.nparams), *w0 = malloc(sizeof(double) * p.c.nparams),
           an = 0;
    memcpy(w0, p.w, sizeof(double) * p.c.nparams);
    for (size_t i = 0; i < p.c.nparams; i++) dir[i] = urand(&s), an += dir[i] * gw[i];
    const double hd = 1e-7;
    for (size_t i = 0; i < p.c.nparams; i++) p.w[i] = w0[i] + hd * dir[i];
    const double lp = hp_d_critic_gradient_penalty(p.ws, p.w, p.x, lambda, NULL, NULL);
    for (size_t i = 0; i < p.c.nparams; i++) p.w[i] = w0[i] - hd * dir[i];
    const double lm = hp_d_critic_gradient_penalty(p.ws, p.w, p.x, lambda, NULL, NULL);
    const double ed = rel_err((lp - lm) / (2 * hd), an);
    print_message(
        "penalty K=%d (||g|| = %.3g): worst per-weight relative error %.2e, random "
        "direction %.2e\n",
        cin, gnorm, worst, ed);
    assert_true(ed < 1e-4);
    free(dir), free(w0), free(gw);
    prob_free(&p);
  }
}

/* Float against float64 (C, dC/dtheta, dC/dx, penalty gradient), and 1 thread against 2. */
static void test_float_path_and_threads(void **state) {
  (void)state;
  prob p;
  hp_status st;
  prob_init(&p, 1, 30, 123, 0);
  const size_t np = p.c.nparams;
  double *gd = calloc(np, sizeof(double)), *gxd = malloc(sizeof(double) * (size_t)p.nin),
         *gpd = calloc(np, sizeof(double));
  hp_d_critic_forward(p.ws, p.w, p.x);
  hp_d_critic_backward(p.ws, p.w, 1.0, gd, gxd);
  hp_d_critic_gradient_penalty(p.ws, p.w, p.x, 10, gpd, NULL);
  float *wf = malloc(sizeof(float) * np), *xf = malloc(sizeof(float) * (size_t)p.nin);
  for (size_t i = 0; i < np; i++) wf[i] = (float)p.w[i];
  for (int64_t i = 0; i < p.nin; i++) xf[i] = (float)p.x[i];
  float *g[2], *gx[2], *gp[2];
  for (int th = 1; th <= 2; th++) {
    hp_f_critic_ws *ws;
    assert_int_equal(hp_f_critic_ws_create(&ws, &p.c, th, &st), 0);
    g[th - 1] = calloc(np, sizeof(float));
    gp[th - 1] = calloc(np, sizeof(float));
    gx[th - 1] = malloc(sizeof(float) * (size_t)p.nin);
    hp_f_critic_forward(ws, wf, xf);
    hp_f_critic_backward(ws, wf, 1.0, g[th - 1], gx[th - 1]);
    hp_f_critic_gradient_penalty(ws, wf, xf, 10, gp[th - 1], NULL);
    hp_f_critic_ws_destroy(ws);
  }
  assert_memory_equal(g[0], g[1], sizeof(float) * np);
  assert_memory_equal(gp[0], gp[1], sizeof(float) * np);
  assert_memory_equal(gx[0], gx[1], sizeof(float) * (size_t)p.nin);
  const struct {
    const char *what;
    const float *f;
    const double *d;
    size_t n;
  } cmp[] = {{"dC/dtheta", g[0], gd, np},
             {"dC/dx", gx[0], gxd, (size_t)p.nin},
             {"penalty", gp[0], gpd, np}};
  for (int q = 0; q < 3; q++) {
    double num = 0, den = 0;
    for (size_t i = 0; i < cmp[q].n; i++)
      num += (cmp[q].f[i] - cmp[q].d[i]) * (cmp[q].f[i] - cmp[q].d[i]),
          den += cmp[q].d[i] * cmp[q].d[i];
    if (!(sqrt(num / den) < 1e-4))
      fail_msg("%s: float differs from float64 by %.3g (relative norm)", cmp[q].what,
               sqrt(num / den));
  }
  for (int t = 0; t < 2; t++) free(g[t]), free(gx[t]), free(gp[t]);
  free(gd), free(gxd), free(gpd), free(wf), free(xf);
  prob_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_paper_shapes),
      cmocka_unit_test(test_forward_matches_reference),
      cmocka_unit_test(test_critic_gradients),
      cmocka_unit_test(test_gradient_penalty),
      cmocka_unit_test(test_float_path_and_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
