/*
 * The synthetic learning problem shared by tests/test_train_learn.c and tests/test_train_wgan.c:
 * a smooth lognormal density rho (mean 1) and halo counts drawn from a Poisson law of mean
 * mu(rho) = 0.5 max(rho - 0.8, 0)^1.5; a training box (32^3) and a held-out box (24^3).
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

#include "nn/painter.h"
#include "tests/train_synthetic.h"

static uint64_t sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return ((double)(sm64(s) >> 11) + 0.5) * 0x1p-53; }
static double gauss(uint64_t *s) { return sqrt(-2 * log(unif(s))) * cos(2 * M_PI * unif(s)); }

static double mean_of(double rho) { return rho > 0.8 ? 0.5 * pow(rho - 0.8, 1.5) : 0; }

/* Lognormal field: white noise smoothed by a Gaussian of 1.2 voxels (periodic), normalised to
 * sigma_G = 0.6, rho = exp(g - sigma_G^2 / 2). */
static void lognormal(int64_t n, uint64_t seed, float *rho) {
  const int64_t n3 = n * n * n;
  double *a = malloc(sizeof(double) * (size_t)n3), *b = malloc(sizeof(double) * (size_t)n3);
  uint64_t s = seed;
  for (int64_t i = 0; i < n3; i++) a[i] = gauss(&s);
  double w[7], ws = 0;
  for (int d = -3; d <= 3; d++) ws += w[d + 3] = exp(-0.5 * d * d / (1.2 * 1.2));
  for (int ax = 0; ax < 3; ax++) {
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++)
        for (int64_t l = 0; l < n; l++) {
          double acc = 0;
          for (int d = -3; d <= 3; d++) {
            int64_t q[3] = {i, j, l};
            q[ax] = (q[ax] + d + n) % n;
            acc += w[d + 3] / ws * a[(q[0] * n + q[1]) * n + q[2]];
          }
          b[(i * n + j) * n + l] = acc;
        }
    memcpy(a, b, sizeof(double) * (size_t)n3);
  }
  double m = 0, v = 0;
  for (int64_t i = 0; i < n3; i++) m += a[i];
  m /= (double)n3;
  for (int64_t i = 0; i < n3; i++) v += (a[i] - m) * (a[i] - m);
  v = sqrt(v / (double)n3);
  for (int64_t i = 0; i < n3; i++) rho[i] = (float)exp((a[i] - m) / v * 0.6 - 0.18);
  free(a), free(b);
}

static int poisson_draw(uint64_t *s, double mu) {
  const double lim = exp(-mu);
  double p = 1;
  int k = -1;
  do p *= unif(s), k++;
  while (p > lim);
  return k;
}

/* A training box of 32^3 and a held-out validation box of 24^3. */
void synth_make_data(hp_train_data *d, int patch) {
  hp_status st;
  uint64_t s = 99;
  assert_int_equal(hp_train_data_init(d, 1, &st), 0);
  for (int b = 0; b < 2; b++) {
    const int64_t n = b ? 24 : 32, n3 = n * n * n;
    float *rho = hp_alloc(sizeof(float) * (size_t)n3, "rho", &st);
    float *cnt = hp_alloc(sizeof(float) * (size_t)n3, "counts", &st);
    lognormal(n, (uint64_t)b + 1, rho);
    for (int64_t i = 0; i < n3; i++) cnt[i] = (float)poisson_draw(&s, mean_of(rho[i]));
    assert_int_equal(hp_train_data_adopt(d, rho, cnt, n, b, b ? "held-out" : "training", &st), 0);
  }
  assert_int_equal(hp_train_data_prepare(d, patch, 4, 0, &st), 0);
}

/* Correlation of the painted mean with the true mean mu(rho) on the held-out box. */
double synth_held_out_corr(const hp_net *net, const hp_train_data *d, double *ratio) {
  const hp_train_box *b = &d->box[1];
  const int64_t n = b->nv, n3 = n * n * n;
  hp_status st;
  hp_painter *p;
  hp_painter_desc pd = {{n, n, n}, 1, 1, 0, 0, 0};
  assert_int_equal(hp_painter_create(&p, net, &pd, &st), 0);
  float *o = malloc(sizeof(float) * (size_t)n3), *outs[1] = {o};
  assert_int_equal(hp_painter_execute(p, b->rho, outs, &st), 0);
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (int64_t i = 0; i < n3; i++) {
    const double x = o[i], y = mean_of(b->rho[i]);
    sa += x, sb += y, sab += x * y, saa += x * x, sbb += y * y;
  }
  const double N = (double)n3, va = saa / N - sa * sa / N / N, vb = sbb / N - sb * sb / N / N;
  if (ratio) *ratio = sa / sb;
  hp_painter_destroy(p);
  free(o);
  return va > 0 ? (sab / N - sa / N * sb / N) / sqrt(va * vb) : 0;
}
