/*
 * Counts drawn along exclusion runs (nn/count_runs.h): the block's curve visits every voxel
 * once in unit steps (a Hilbert curve); every voxel keeps the model's distribution (mean and
 * variance per voxel over many draws, and the one-point PDF, CMP and Poisson); the count of a
 * block of expected total 1 with run length 1 has variance 1/3 (two partial runs of lengths
 * phi and 1 - phi, phi uniform) where independent draws give 1; and a slab with its ghost
 * planes draws exactly the whole grid's counts, whatever the thread count.
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

#include "nn/count_runs.h"
#include "util/rng.h"

#define BV (HP_RUN_BX * HP_RUN_BYZ * HP_RUN_BYZ)

static void test_curve_visits_each_voxel_by_unit_steps(void **state) {
  (void)state;
  static int16_t o[BV][3];
  static char seen[BV];
  hp_count_runs_block_order(o);
  int jumps = 0;
  for (int v = 0; v < BV; v++) {
    const int id = (o[v][0] * HP_RUN_BYZ + o[v][1]) * HP_RUN_BYZ + o[v][2];
    assert_true(o[v][0] >= 0 && o[v][0] < HP_RUN_BX && o[v][1] >= 0 && o[v][1] < HP_RUN_BYZ &&
                o[v][2] >= 0 && o[v][2] < HP_RUN_BYZ);
    assert_int_equal(seen[id], 0);
    seen[id] = 1;
    if (v > 0) {
      const int d =
          abs(o[v][0] - o[v - 1][0]) + abs(o[v][1] - o[v - 1][1]) + abs(o[v][2] - o[v - 1][2]);
      jumps += d != 1;
    }
  }
  /* a 16^3 Hilbert curve cut to its first 4 x-planes: unit steps, except where it leaves the
   * block and comes back (a few), so that runs stay compact */
  assert_true(jumps <= 16);
}

/* A grid of means with every voxel different: 1e-3 .. 3, so both p << 1 and multiple counts. */
static float *ramp(int64_t nv) {
  float *m = malloc(sizeof *m * (size_t)(nv * nv * nv));
  for (int64_t i = 0; i < nv * nv * nv; i++)
    m[i] = (float)(1e-3 * pow(3000.0, (double)((i * 7919) % 1000) / 999.0));
  return m;
}

/* Mean and variance of each voxel's count over many draws against its distribution's. */
static void check_marginals(const hp_count_table *t, double run) {
  const int64_t nv = 12, n3 = nv * nv * nv; /* edge blocks: partial in y and z */
  const int draws = 3000;
  float *mean = ramp(nv);
  int32_t *c = malloc(sizeof *c * (size_t)n3);
  double *s1 = calloc((size_t)n3, sizeof *s1), *s2 = calloc((size_t)n3, sizeof *s2);
  double pdf[4] = {0}, want[4] = {0};
  hp_status st;
  for (int d = 0; d < draws; d++) {
    assert_int_equal(hp_count_runs_draw(t, 1, run, mean, 0, nv, nv, 0, nv,
                                        hp_rng_key((uint64_t)d, 4), c, 2, &st),
                     HP_OK);
    for (int64_t i = 0; i < n3; i++) {
      s1[i] += c[i], s2[i] += (double)c[i] * c[i];
      if (c[i] < 4) pdf[c[i]] += 1.0 / draws;
    }
  }
  double worst = 0, worst_v = 0, dsum = 0, vsum = 0;
  for (int64_t i = 0; i < n3; i++) {
    const double mu = mean[i];
    double pn[48], var = 0, m4 = 0; /* the distribution's, from its pmf */
    for (int n = 0; n < 48; n++) {
      pn[n] = t ? hp_count_pmf(t, 1, mu, n) : exp(n * log(mu) - mu - lgamma(n + 1.0));
      var += pn[n] * (n - mu) * (n - mu), m4 += pn[n] * pow(n - mu, 4);
    }
    const double m = s1[i] / draws, v = s2[i] / draws - m * m;
    const double z = (m - mu) / sqrt(var / draws); /* standard error of the mean */
    if (fabs(z) > worst) worst = fabs(z);
    dsum += m - mu, vsum += var / draws;
    if (fabs(v - var) / sqrt((m4 - var * var) / draws) > worst_v)
      worst_v = fabs(v - var) / sqrt((m4 - var * var) / draws);
    for (int n = 0; n < 4; n++) want[n] += pn[n];
  }
  printf(
      "run %g: worst mean %.2f sigma, variance %.2f sigma over %lld voxels; all voxels' "
      "mean %.2f sigma\n",
      run, worst, worst_v, (long long)n3, dsum / sqrt(vsum));
  assert_true(worst < 5.0 && worst_v < 5.0); /* 1,728 voxels: 5 sigma */
  assert_true(fabs(dsum) < 4 * sqrt(vsum));  /* no bias common to the voxels (voxels of one run
                                                are dependent: the bound is loose, not tight) */
  for (int n = 0; n < 4; n++) assert_true(fabs(pdf[n] - want[n]) < 0.01 * want[n]);
  free(mean), free(c), free(s1), free(s2);
}

static void test_each_voxel_keeps_its_distribution(void **state) {
  (void)state;
  hp_count_dist d;
  hp_count_dist_poisson(&d, 2);
  d.kind = HP_COUNT_CMP;
  d.a[1] = 1.2, d.b[1] = 0.8; /* sub-Poisson, as the heavier bins */
  hp_count_table *t;
  hp_status st;
  assert_int_equal(hp_count_table_create(&t, &d, &st), HP_OK);
  check_marginals(t, 1.0);
  check_marginals(t, 0.3);
  check_marginals(NULL, 1.0); /* Poisson */
  hp_count_table_destroy(t);
}

/* Variance / mean of the block totals, every block holding expected total 1. */
static double block_dispersion(double run) {
  const int64_t nv = 64, n3 = nv * nv * nv, nb = 64 / HP_RUN_BYZ;
  const int64_t blocks = (nv / HP_RUN_BX) * nb * nb;
  float *mean = malloc(sizeof *mean * (size_t)n3);
  int32_t *c = malloc(sizeof *c * (size_t)n3);
  const float mu = (float)(1.0 / BV); /* p = 1 - e^-mu: the block's sum of p is 1 - 5e-4 */
  for (int64_t i = 0; i < n3; i++) mean[i] = mu;
  double s1 = 0, s2 = 0, n = 0;
  hp_status st;
  for (int d = 0; d < 40; d++) {
    if (run > 0)
      assert_int_equal(hp_count_runs_draw(NULL, 0, run, mean, 0, nv, nv, 0, nv,
                                          hp_rng_key((uint64_t)d, 9), c, 2, &st),
                       HP_OK);
    else
      for (int64_t i = 0; i < n3; i++)
        c[i] =
            (int32_t)hp_poisson_draw(mu, hp_rng_uniform(hp_rng_at(99, (uint64_t)d, (uint64_t)i)));
    for (int64_t b = 0; b < blocks; b++) {
      const int64_t bx = b / (nb * nb), by = b / nb % nb, bz = b % nb;
      double tot = 0;
      for (int x = 0; x < HP_RUN_BX; x++)
        for (int y = 0; y < HP_RUN_BYZ; y++)
          for (int z = 0; z < HP_RUN_BYZ; z++)
            tot += c[((bx * HP_RUN_BX + x) * nv + by * HP_RUN_BYZ + y) * nv + bz * HP_RUN_BYZ + z];
      s1 += tot, s2 += tot * tot, n++;
    }
  }
  free(mean), free(c);
  const double m = s1 / n;
  return (s2 / n - m * m) / m;
}

static void test_runs_exclude(void **state) {
  (void)state;
  const double ind = block_dispersion(0), run = block_dispersion(1.0);
  /* 2,560 blocks: the dispersion's standard error is about 0.03 */
  assert_true(fabs(ind - 1.0) < 0.1);
  assert_true(fabs(run - 1.0 / 3.0) < 0.06);
}

static void test_slab_equals_whole_grid(void **state) {
  (void)state;
  const int64_t nv = 22, plane = nv * nv; /* 22 = 5 blocks of 4 and 2 planes */
  float *mean = ramp(nv);
  int32_t *whole = malloc(sizeof *whole * (size_t)(nv * plane)),
          *slab = malloc(sizeof *slab * (size_t)(nv * plane));
  float *ghost = malloc(sizeof *ghost * (size_t)((nv + 2 * HP_RUN_GHOST) * plane));
  hp_status st;
  const uint64_t key = hp_rng_key(7, 4);
  assert_int_equal(hp_count_runs_draw(NULL, 0, 0.7, mean, 0, nv, nv, 0, nv, key, whole, 1, &st),
                   HP_OK);
  const int64_t cuts[][2] = {{0, 5}, {5, 6}, {11, 7}, {18, 4}, {3, 9}};
  for (int s = 0; s < 5; s++) {
    const int64_t x0 = cuts[s][0], nx = cuts[s][1];
    for (int64_t p = 0; p < nx + 2 * HP_RUN_GHOST; p++) /* the slab and its ghosts, periodic */
      memcpy(ghost + p * plane, mean + ((x0 - HP_RUN_GHOST + p + nv) % nv) * plane,
             sizeof(float) * (size_t)plane);
    assert_int_equal(hp_count_runs_draw(NULL, 0, 0.7, ghost, x0 - HP_RUN_GHOST,
                                        nx + 2 * HP_RUN_GHOST, nv, x0, nx, key, slab, 2, &st),
                     HP_OK);
    assert_memory_equal(slab, whole + x0 * plane, sizeof(int32_t) * (size_t)(nx * plane));
  }
  /* means that do not reach the slab's blocks: refused, naming the planes */
  assert_int_equal(
      hp_count_runs_draw(NULL, 0, 0.7, mean + 4 * plane, 4, 4, nv, 5, 4, key, slab, 1, &st),
      HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "planes [4, 8)"));
  free(mean), free(whole), free(slab), free(ghost);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_curve_visits_each_voxel_by_unit_steps),
      cmocka_unit_test(test_each_voxel_keeps_its_distribution),
      cmocka_unit_test(test_runs_exclude),
      cmocka_unit_test(test_slab_equals_whole_grid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
