/*
 * Training layers (train/layers.h): the forward pass against a plain float64 convolution
 * written here; the float64 input and weight gradients of conv + leaky ReLU against central
 * finite differences (relative error < 1e-4) for every geometry the generator and the critic
 * use (kernels 1, 3, 5, 7; strides 1 and 2; cropped views); the float path against the float64
 * path; and bit-identical results for 1 and 2 threads.
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

#include "train/layers.h"

/* splitmix64 uniform in [-1, 1) */
static double urand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-52 - 1.0;
}

typedef struct geo {
  int cin, cout, k, s;
  int64_t n, off, m;
} geo;

/* Geometries of the generator and the critic, at small sides, with and without views. */
static const geo geos[] = {
    {1, 10, 1, 1, 9, 0, 9},  {10, 10, 5, 1, 13, 0, 9}, {10, 10, 3, 1, 12, 1, 8},
    {30, 10, 1, 1, 8, 2, 4}, {1, 8, 7, 2, 19, 0, 7},   {8, 16, 5, 1, 11, 0, 7},
    {16, 5, 3, 2, 9, 0, 4},  {3, 6, 3, 2, 12, 1, 5},   {2, 3, 2, 3, 11, 1, 3},
    {4, 7, 1, 1, 21, 0, 21}, {3, 9, 3, 1, 37, 1, 34},
};
#define NGEO (int)(sizeof geos / sizeof geos[0])

static hp_conv make_conv(const geo *g) {
  hp_conv c;
  memset(&c, 0, sizeof c);
  c.cin = g->cin, c.cout = g->cout, c.k = g->k, c.stride = g->s;
  c.w_off = 3; /* not at 0: offsets must be honoured */
  c.b_off = c.w_off + (size_t)g->cout * g->cin * g->k * g->k * g->k;
  return c;
}

static size_t nparams(const hp_conv *c) { return c->b_off + (size_t)c->cout + 2; }

/* Plain float64 convolution of the view, no shared code with nn/. */
static void conv_ref(const geo *g, const hp_conv *c, const double *w, const double *in,
                     double *out) {
  const int64_t n = g->n, m = g->m, k = g->k, s = g->s;
  for (int co = 0; co < g->cout; co++)
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < m; j++)
        for (int64_t l = 0; l < m; l++) {
          double acc = w[c->b_off + co];
          for (int ci = 0; ci < g->cin; ci++)
            for (int64_t a = 0; a < k; a++)
              for (int64_t b = 0; b < k; b++)
                for (int64_t d = 0; d < k; d++)
                  acc += w[c->w_off + (((co * g->cin + ci) * k + a) * k + b) * k + d] *
                         in[((ci * n + g->off + s * i + a) * n + g->off + s * j + b) * n + g->off +
                            s * l + d];
          out[((co * m + i) * m + j) * m + l] = acc;
        }
}

typedef struct problem {
  geo g;
  hp_conv c;
  size_t np;
  int64_t nin, nout;
  double *w, *x, *r, *out, *scratch;
} problem;

static void problem_init(problem *p, const geo *g, uint64_t seed) {
  p->g = *g;
  p->c = make_conv(g);
  p->np = nparams(&p->c);
  p->nin = (int64_t)g->cin * g->n * g->n * g->n;
  p->nout = (int64_t)g->cout * g->m * g->m * g->m;
  p->w = malloc(sizeof(double) * p->np);
  p->x = malloc(sizeof(double) * (size_t)p->nin);
  p->r = malloc(sizeof(double) * (size_t)p->nout);
  p->out = malloc(sizeof(double) * (size_t)p->nout);
  p->scratch = malloc(sizeof(double) * hp_d_conv_scratch(&p->c, g->m));
  uint64_t s = seed;
  const double wscale = 1.0 / sqrt((double)g->cin * g->k * g->k * g->k);
  for (size_t i = 0; i < p->np; i++) p->w[i] = wscale * urand(&s);
  for (int64_t i = 0; i < p->nin; i++) p->x[i] = 1.0 + 0.8 * urand(&s);
  for (int64_t i = 0; i < p->nout; i++) p->r[i] = urand(&s);
}

static void problem_free(problem *p) {
  free(p->w), free(p->x), free(p->r), free(p->out), free(p->scratch);
}

/* L = sum r * lrelu(conv(x)) */
static double loss(problem *p) {
  hp_d_conv_forward(&p->c, p->w, p->x, p->g.n, p->g.off, p->out, p->g.m, 1, p->scratch, 2);
  double l = 0;
  for (int64_t i = 0; i < p->nout; i++) {
    const double z = p->out[i];
    l += p->r[i] * (z < 0 ? 0.1 * z : z);
  }
  return l;
}

static double min_abs_z(problem *p) {
  hp_d_conv_forward(&p->c, p->w, p->x, p->g.n, p->g.off, p->out, p->g.m, 1, p->scratch, 2);
  double mn = INFINITY;
  for (int64_t i = 0; i < p->nout; i++) mn = fmin(mn, fabs(p->out[i]));
  return mn;
}

static void test_forward_matches_reference(void **state) {
  (void)state;
  for (int gi = 0; gi < NGEO; gi++) {
    problem p;
    problem_init(&p, &geos[gi], 100 + gi);
    double *ref = malloc(sizeof(double) * (size_t)p.nout);
    conv_ref(&p.g, &p.c, p.w, p.x, ref);
    hp_d_conv_forward(&p.c, p.w, p.x, p.g.n, p.g.off, p.out, p.g.m, 1, p.scratch, 2);
    for (int64_t i = 0; i < p.nout; i++)
      if (fabs(p.out[i] - ref[i]) > 1e-12 * (1 + fabs(ref[i])))
        fail_msg("geometry %d: out[%lld] = %.17g, reference %.17g", gi, (long long)i, p.out[i],
                 ref[i]);
    /* float path */
    float *wf = malloc(sizeof(float) * p.np), *xf = malloc(sizeof(float) * (size_t)p.nin),
          *of = malloc(sizeof(float) * (size_t)p.nout),
          *sf = malloc(sizeof(float) * hp_f_conv_scratch(&p.c, p.g.m));
    for (size_t i = 0; i < p.np; i++) wf[i] = (float)p.w[i];
    for (int64_t i = 0; i < p.nin; i++) xf[i] = (float)p.x[i];
    hp_f_conv_forward(&p.c, wf, xf, p.g.n, p.g.off, of, p.g.m, 1, sf, 2);
    for (int64_t i = 0; i < p.nout; i++)
      if (fabs(of[i] - ref[i]) > 2e-5 * (1 + fabs(ref[i])))
        fail_msg("geometry %d (float): out[%lld] = %.9g, reference %.9g", gi, (long long)i, of[i],
                 ref[i]);
    free(wf), free(xf), free(of), free(sf), free(ref);
    problem_free(&p);
  }
}

/* Analytic gradients of L = sum r lrelu(conv(x)) with the training kernels. */
static void analytic(problem *p, double *gw, double *gx) {
  double *d = malloc(sizeof(double) * (size_t)p->nout);
  hp_d_conv_forward(&p->c, p->w, p->x, p->g.n, p->g.off, p->out, p->g.m, 1, p->scratch, 2);
  hp_d_lrelu_forward(p->out, p->nout, 0.1, 2);
  memcpy(d, p->r, sizeof(double) * (size_t)p->nout);
  hp_d_lrelu_backward(p->out, d, p->nout, 0.1, 2);
  memset(gw, 0, sizeof(double) * p->np);
  memset(gx, 0, sizeof(double) * (size_t)p->nin);
  hp_d_conv_backward_weight(&p->c, p->x, p->g.n, p->g.off, d, p->g.m, 1.0, 1, gw, p->scratch, 2);
  hp_d_conv_backward_data(&p->c, p->w, d, p->g.m, gx, p->g.n, p->g.off, p->scratch, 2);
  free(d);
}

static double rel_err(double a, double b) {
  const double den = fmax(fabs(a), fabs(b));
  return den == 0 ? 0 : fabs(a - b) / den;
}

static void test_gradients_finite_differences(void **state) {
  (void)state;
  const double h = 1e-6;
  for (int gi = 0; gi < NGEO; gi++) {
    problem p;
    uint64_t seed = 1000 + 17 * gi;
    int tries = 0;
    /* kinks avoided by construction: redraw until every |z| exceeds 10 steps */
    for (;;) {
      problem_init(&p, &geos[gi], seed);
      if (min_abs_z(&p) > 10 * h) break; /* a step moves z by < 2 h */
      problem_free(&p);
      seed += 7919;
      if (++tries > 500) fail_msg("geometry %d: no kink-free draw", gi);
    }
    double *gw = malloc(sizeof(double) * p.np), *gx = malloc(sizeof(double) * (size_t)p.nin);
    analytic(&p, gw, gx);
    double worst = 0;
    uint64_t s = seed ^ 0x5555;
    /* every weight and bias of small layers, a sample of the others; a sample of the inputs */
    for (int t = 0; t < 60; t++) {
      size_t iw = p.np <= 62 ? (size_t)t % p.np
                             : p.c.w_off + (size_t)((urand(&s) + 1) / 2 * (p.np - p.c.w_off - 2));
      if (t < 4) iw = p.c.b_off + (size_t)t % (size_t)p.g.cout;
      const double w0 = p.w[iw];
      p.w[iw] = w0 + h;
      const double lp = loss(&p);
      p.w[iw] = w0 - h;
      const double lm = loss(&p);
      p.w[iw] = w0;
      const double fd = (lp - lm) / (2 * h), e = rel_err(fd, gw[iw]);
      if (iw < p.c.w_off || iw >= p.c.b_off + (size_t)p.g.cout) {
        assert_true(gw[iw] == 0); /* padding around the layer is not touched */
        continue;
      }
      if (e > worst) worst = e;
      if (e > 1e-4)
        fail_msg("geometry %d: dL/dw[%zu] analytic %.12g, finite difference %.12g", gi, iw, gw[iw],
                 fd);
    }
    for (int t = 0; t < 40; t++) {
      const int64_t ix = (int64_t)((urand(&s) + 1) / 2 * (double)(p.nin - 1));
      const double x0 = p.x[ix];
      p.x[ix] = x0 + h;
      const double lp = loss(&p);
      p.x[ix] = x0 - h;
      const double lm = loss(&p);
      p.x[ix] = x0;
      const double fd = (lp - lm) / (2 * h);
      if (fabs(fd) < 1e-12 && gx[ix] == 0) continue; /* outside the view */
      const double e = rel_err(fd, gx[ix]);
      if (e > worst) worst = e;
      if (e > 1e-4)
        fail_msg("geometry %d: dL/dx[%lld] analytic %.12g, finite difference %.12g", gi,
                 (long long)ix, gx[ix], fd);
    }
    print_message("geometry %d (cin %d cout %d k %d s %d): worst relative error %.2e\n", gi,
                  p.g.cin, p.g.cout, p.g.k, p.g.s, worst);
    free(gw), free(gx);
    problem_free(&p);
  }
}

/* The float kernels against the float64 ones, and 1 thread against 2 (bitwise). */
static void test_float_path_and_threads(void **state) {
  (void)state;
  for (int gi = 0; gi < NGEO; gi++) {
    problem p;
    problem_init(&p, &geos[gi], 77 + gi);
    double *gw = malloc(sizeof(double) * p.np), *gx = malloc(sizeof(double) * (size_t)p.nin);
    analytic(&p, gw, gx);
    float *wf = malloc(sizeof(float) * p.np), *xf = malloc(sizeof(float) * (size_t)p.nin),
          *sf = malloc(sizeof(float) * hp_f_conv_scratch(&p.c, p.g.m));
    for (size_t i = 0; i < p.np; i++) wf[i] = (float)p.w[i];
    for (int64_t i = 0; i < p.nin; i++) xf[i] = (float)p.x[i];
    float *res[2][3];
    for (int th = 1; th <= 2; th++) {
      float *o = malloc(sizeof(float) * (size_t)p.nout),
            *d = malloc(sizeof(float) * (size_t)p.nout);
      float *gwf = calloc(p.np, sizeof(float)), *gxf = calloc((size_t)p.nin, sizeof(float));
      hp_f_conv_forward(&p.c, wf, xf, p.g.n, p.g.off, o, p.g.m, 1, sf, th);
      hp_f_lrelu_forward(o, p.nout, 0.1, th);
      for (int64_t i = 0; i < p.nout; i++) d[i] = (float)p.r[i];
      hp_f_lrelu_backward(o, d, p.nout, 0.1, th);
      hp_f_conv_backward_weight(&p.c, xf, p.g.n, p.g.off, d, p.g.m, 1.0, 1, gwf, sf, th);
      hp_f_conv_backward_data(&p.c, wf, d, p.g.m, gxf, p.g.n, p.g.off, sf, th);
      res[th - 1][0] = o, res[th - 1][1] = gwf, res[th - 1][2] = gxf;
      free(d);
    }
    assert_memory_equal(res[0][0], res[1][0], sizeof(float) * (size_t)p.nout);
    assert_memory_equal(res[0][1], res[1][1], sizeof(float) * p.np);
    assert_memory_equal(res[0][2], res[1][2], sizeof(float) * (size_t)p.nin);
    double gmax = 0, xmax = 0;
    for (size_t i = 0; i < p.np; i++) gmax = fmax(gmax, fabs(gw[i]));
    for (int64_t i = 0; i < p.nin; i++) xmax = fmax(xmax, fabs(gx[i]));
    for (size_t i = 0; i < p.np; i++)
      if (fabs(res[0][1][i] - gw[i]) > 1e-5 * gmax)
        fail_msg("geometry %d: float dL/dw[%zu] = %.9g, float64 %.9g", gi, i, res[0][1][i], gw[i]);
    for (int64_t i = 0; i < p.nin; i++)
      if (fabs(res[0][2][i] - gx[i]) > 1e-5 * xmax)
        fail_msg("geometry %d: float dL/dx[%lld] = %.9g, float64 %.9g", gi, (long long)i,
                 res[0][2][i], gx[i]);
    for (int th = 0; th < 2; th++)
      for (int q = 0; q < 3; q++) free(res[th][q]);
    free(wf), free(xf), free(sf), free(gw), free(gx);
    problem_free(&p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forward_matches_reference),
      cmocka_unit_test(test_gradients_finite_differences),
      cmocka_unit_test(test_float_path_and_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
