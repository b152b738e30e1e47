/*
 * The trainer's validation per mass bin (hp_trainer_validate) against a float64 reference:
 * the box painted by the plain reference forward pass (hp_net_forward_ref on the periodically
 * padded density), the Poisson -ln L, correlation and abundance summed in double, and the
 * large-scale bias as a direct discrete Fourier sum over the modes 0 < |n| < nmax of
 * Re(delta_mu delta_rho*) / Re(delta_n delta_rho*) (no FFT). Also: an empty bin has no
 * abundance or bias (NaN), no bias without a cut or without whole validation boxes.
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

#include "nn/network.h"
#include "nn/painter.h"
#include "train/losses.h"
#include "train/trainer.h"

#define NV 16 /* box side (voxels) */
#define K 2   /* mass bins */

static double hash01(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

/* A smooth positive density with large-scale modes, and counts that follow it with noise. */
static void make_box(uint64_t seed, int64_t n, float **rho, float **counts) {
  hp_status st;
  const int64_t n3 = n * n * n;
  *rho = hp_alloc(sizeof(float) * (size_t)n3, "rho", &st);
  *counts = hp_alloc(sizeof(float) * (size_t)(K * n3), "counts", &st);
  assert_non_null(*rho);
  assert_non_null(*counts);
  const double w = 2 * M_PI / (double)n;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < n; l++) {
        const int64_t v = (i * n + j) * n + l;
        const double u = hash01(seed * 1000003u + (uint64_t)v);
        const double r = 1 + 0.35 * sin(w * (double)i + 0.2 * (double)seed) +
                         0.25 * cos(w * (double)(2 * j + l)) + 0.2 * sin(w * (double)(i + j)) +
                         0.1 * (u - 0.5);
        (*rho)[v] = (float)r;
        (*counts)[v] = (float)floor(2.5 * r * u);
        (*counts)[n3 + v] = (float)floor(1.2 * r * r * hash01((uint64_t)v + 77 * seed));
      }
}

/* Re(a(n) b(n)*) summed over the modes 0 < |n| < nmax by direct Fourier sums, in double;
 * a and b are turned into contrasts g / mean(g) - 1. */
static double direct_cross(const float *a, const float *b, double nmax) {
  const int64_t n3 = (int64_t)NV * NV * NV;
  double ma = 0, mb = 0;
  for (int64_t v = 0; v < n3; v++) ma += a[v], mb += b[v];
  ma /= (double)n3, mb /= (double)n3;
  const int r = (int)ceil(nmax);
  double sum = 0;
  for (int kx = -r; kx <= r; kx++)
    for (int ky = -r; ky <= r; ky++)
      for (int kz = -r; kz <= r; kz++) {
        const double k2 = kx * kx + ky * ky + kz * kz;
        if (k2 == 0 || k2 >= nmax * nmax) continue;
        double are = 0, aim = 0, bre = 0, bim = 0;
        for (int64_t i = 0; i < NV; i++)
          for (int64_t j = 0; j < NV; j++)
            for (int64_t l = 0; l < NV; l++) {
              const int64_t v = (i * NV + j) * NV + l;
              const double ph = -2 * M_PI * (double)(kx * i + ky * j + kz * l) / NV;
              const double da = a[v] / ma - 1, db = b[v] / mb - 1;
              are += da * cos(ph), aim += da * sin(ph);
              bre += db * cos(ph), bim += db * sin(ph);
            }
        sum += are * bre + aim * bim;
      }
  return sum;
}

typedef struct ref_val {
  double loss[K], corr[K], mean[K], bias[K];
} ref_val;

/* The reference scores of one whole periodic box: painted by hp_net_forward_ref. */
static void reference(const hp_net *net, const float *rho, const float *counts, double nmax,
                      ref_val *r) {
  hp_status st;
  const int h = hp_net_halo(net);
  const int64_t np = NV + 2 * h, n3 = (int64_t)NV * NV * NV, nin[3] = {np, np, np};
  float *in = malloc(sizeof(float) * (size_t)(np * np * np));
  float *mu = malloc(sizeof(float) * (size_t)(K * n3));
  for (int64_t i = 0; i < np; i++)
    for (int64_t j = 0; j < np; j++)
      for (int64_t l = 0; l < np; l++)
        in[(i * np + j) * np + l] =
            rho[(((i - h + NV) % NV) * NV + (j - h + NV) % NV) * NV + (l - h + NV) % NV];
  assert_int_equal(hp_net_forward_ref(net, in, nin, mu, &st), 0);
  for (int q = 0; q < K; q++) {
    const float *m = mu + q * n3, *c = counts + q * n3;
    double loss = 0, sm = 0, sn = 0, smn = 0, sm2 = 0, sn2 = 0;
    for (int64_t v = 0; v < n3; v++) {
      loss += m[v] - c[v] * log(m[v] + HP_POISSON_EPS);
      sm += m[v], sn += c[v], smn += (double)m[v] * c[v];
      sm2 += (double)m[v] * m[v], sn2 += (double)c[v] * c[v];
    }
    const double N = (double)n3;
    r->loss[q] = loss / N;
    r->corr[q] = (smn / N - sm / N * sn / N) /
                 sqrt((sm2 / N - sm / N * sm / N) * (sn2 / N - sn / N * sn / N));
    r->mean[q] = sm / sn;
    r->bias[q] = direct_cross(m, rho, nmax) / direct_cross(c, rho, nmax);
  }
  free(in), free(mu);
}

static void close_to(double got, double want, double tol, const char *what) {
  if (!(fabs(got - want) <= tol * fabs(want)))
    fail_msg("%s: %.9g against the reference %.9g (relative tolerance %g)", what, got, want, tol);
}

static void test_validation_per_bin(void **state) {
  (void)state;
  hp_status st;
  hp_net net;
  assert_int_equal(hp_net_generator(&net, 1, K, &st), 0);
  hp_net_init_random(&net, 5, 0.1, 0.1);
  const int h = hp_net_halo(&net);
  hp_train_data d;
  assert_int_equal(hp_train_data_init(&d, K, &st), 0);
  float *rho, *cnt;
  make_box(1, NV, &rho, &cnt); /* training */
  assert_int_equal(hp_train_data_adopt(&d, rho, cnt, NV, 0, "train", &st), 0);
  make_box(2, NV, &rho, &cnt); /* validation, whole and periodic */
  assert_int_equal(hp_train_data_adopt(&d, rho, cnt, NV, 1, "validation", &st), 0);
  assert_int_equal(hp_train_data_prepare(&d, 3 * h, h, 0, &st), 0);
  hp_train_config cfg;
  hp_train_config_default(&cfg);
  cfg.objective = HP_OBJ_POISSON, cfg.patch = 3 * h, cfg.nthreads = 2;
  hp_trainer *t;
  assert_int_equal(hp_trainer_create(&t, &cfg, &net, &d, &st), 0);
  const double nmax = 3.5, kv = nmax * 2 * M_PI / NV; /* modes |n| < 3.5: 122 of them */
  hp_train_val v;
  assert_int_equal(hp_trainer_validate(t, kv, &v, &st), 0);
  ref_val r;
  reference(&net, d.box[1].rho, d.box[1].counts, nmax, &r);
  assert_int_equal(v.k, K);
  for (int q = 0; q < K; q++) {
    print_message(
        "bin %d: -ln L %.6f (ref %.6f), r %.4f (%.4f), abundance %.4f (%.4f), bias %.4f "
        "(%.4f)\n",
        q, v.bin_loss[q], r.loss[q], v.bin_corr[q], r.corr[q], v.bin_mean[q], r.mean[q],
        v.bin_bias[q], r.bias[q]);
    close_to(v.bin_loss[q], r.loss[q], 1e-5, "-ln L");
    close_to(v.bin_corr[q], r.corr[q], 1e-4, "correlation");
    close_to(v.bin_mean[q], r.mean[q], 1e-5, "abundance");
    close_to(v.bin_bias[q], r.bias[q], 1e-4, "bias");
  }
  /* the criterion can fail: the bins differ far beyond the tolerances (a swap would show) */
  for (int q = 0; q < 4; q++) {
    const double *x = q == 0 ? r.loss : q == 1 ? r.corr : q == 2 ? r.mean : r.bias;
    assert_true(fabs(x[0] - x[1]) > 0.1 * fmax(fabs(x[0]), fabs(x[1])));
  }
  close_to(v.loss, 0.5 * (r.loss[0] + r.loss[1]), 1e-5, "-ln L of all bins");
  /* no cut: no bias */
  assert_int_equal(hp_trainer_validate(t, 0, &v, &st), 0);
  assert_true(isnan(v.bin_bias[0]) && isnan(v.bin_bias[1]));
  close_to(v.bin_loss[1], r.loss[1], 1e-5, "-ln L without the bias");
  /* an empty bin: a loss, but neither abundance nor bias nor correlation */
  const int64_t n3 = (int64_t)NV * NV * NV;
  memset(d.box[1].counts + n3, 0, sizeof(float) * (size_t)n3);
  assert_int_equal(hp_trainer_validate(t, kv, &v, &st), 0);
  assert_true(isnan(v.bin_mean[1]) && isnan(v.bin_bias[1]) && isnan(v.bin_corr[1]));
  assert_true(isfinite(v.bin_loss[1]));
  close_to(v.bin_bias[0], r.bias[0], 1e-4, "bias beside an empty bin");
  hp_trainer_destroy(t);
  hp_train_data_free(&d);
  /* a validation slab of a training box is not periodic: scores, but no bias */
  assert_int_equal(hp_train_data_init(&d, K, &st), 0);
  make_box(3, 24, &rho, &cnt);
  assert_int_equal(hp_train_data_adopt(&d, rho, cnt, 24, 0, "train with a slab", &st), 0);
  assert_int_equal(hp_train_data_prepare(&d, 3 * h, h, 0.375, &st), 0); /* 9 of 24 planes */
  assert_int_equal(hp_trainer_create(&t, &cfg, &net, &d, &st), 0);
  assert_int_equal(hp_trainer_validate(t, kv, &v, &st), 0);
  assert_true(isfinite(v.bin_loss[0]) && isfinite(v.bin_mean[0]) && isnan(v.bin_bias[0]));
  hp_trainer_destroy(t);
  hp_train_data_free(&d);
  hp_net_free(&net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_validation_per_bin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
