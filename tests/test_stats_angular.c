/*
 * Angular statistics (stats/angular): the chaining-mesh pair counts equal a brute-force O(N^2)
 * count, auto and cross, for several sets of bins (from one mesh cell to 128 per axis), and do
 * not depend on the thread count; randoms lie in their footprint; w(theta) of a uniform "data"
 * set is consistent with 0 (4 sigma) on the full sky, the octant and a HEALPix mask; points in
 * small clumps give w >> 0 at small theta and w ~ 0 far beyond the clump size.
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
#include "stats/angular.h"

/* Brute-force pair counts, binned the same way as the mesh (the chord; bins [lo, hi)). */
static void brute(const double *a, int64_t na, const double *b, int64_t nb, const double *edges,
                  int nbins, int64_t *counts) {
  double e2[64];
  for (int k = 0; k <= nbins; k++) {
    const double c = 2 * sin(edges[k] * (M_PI / 360));
    e2[k] = c * c;
  }
  memset(counts, 0, sizeof *counts * (size_t)nbins);
  for (int64_t i = 0; i < na; i++)
    for (int64_t j = b ? 0 : i + 1; j < (b ? nb : na); j++) {
      const double *p = a + 3 * i, *q = (b ? b : a) + 3 * j;
      const double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
      const double d2 = dx * dx + dy * dy + dz * dz;
      for (int k = 0; k < nbins; k++)
        if (d2 >= e2[k] && d2 < e2[k + 1]) counts[k]++;
    }
}

static void full_sky(hp_footprint *f) {
  hp_status st;
  assert_int_equal(hp_footprint_create(f, "FullSky", &st), 0);
}

static void test_pair_counts_brute_force(void **state) {
  (void)state;
  hp_status st;
  hp_footprint f;
  full_sky(&f);
  enum { N = 2000, M = 1500 };
  double *a = malloc(sizeof *a * 3 * N), *b = malloc(sizeof *b * 3 * M);
  assert_int_equal(hp_ang_randoms(&f, N, 11, a, &st), 0);
  assert_int_equal(hp_ang_randoms(&f, M, 12, b, &st), 0);
  /* 20 clumps of 10 points 0.02 to 0.2 degrees apart, so that the smallest bins have pairs */
  for (int i = 0; i < 200; i++)
    for (int c = 0; c < 3; c++) a[3 * (N - 200 + i) + c] = a[3 * (i / 10) + c] + 2e-4 * (i % 10);
  for (int i = N - 200; i < N; i++) {
    const double r =
        sqrt(a[3 * i] * a[3 * i] + a[3 * i + 1] * a[3 * i + 1] + a[3 * i + 2] * a[3 * i + 2]);
    for (int c = 0; c < 3; c++) a[3 * i + c] /= r;
  }
  /* 128 cells per axis (0.1 deg), ~11 (10 deg), 1 cell (120 deg): every mesh shape */
  const double sets[][7] = {{0.01, 0.03, 0.1}, {0.1, 0.3, 1, 3, 10}, {1, 10, 30, 60, 90, 120}};
  const int nbins[] = {2, 4, 5};
  for (int s = 0; s < 3; s++) {
    int64_t mesh[8], ref[8], mesh1[8];
    assert_int_equal(hp_ang_pair_count(a, N, NULL, 0, sets[s], nbins[s], 2, mesh, &st), 0);
    assert_int_equal(hp_ang_pair_count(a, N, NULL, 0, sets[s], nbins[s], 1, mesh1, &st), 0);
    brute(a, N, NULL, 0, sets[s], nbins[s], ref);
    for (int k = 0; k < nbins[s]; k++) {
      assert_int_equal(mesh[k], ref[k]);
      assert_int_equal(mesh1[k], ref[k]);
    }
    assert_true(ref[nbins[s] - 1] > 0);
    assert_int_equal(hp_ang_pair_count(a, N, b, M, sets[s], nbins[s], 3, mesh, &st), 0);
    brute(a, N, b, M, sets[s], nbins[s], ref);
    for (int k = 0; k < nbins[s]; k++) assert_int_equal(mesh[k], ref[k]);
  }
  /* bad edges are refused with the edge named */
  const double bad[] = {1, 0.5};
  int64_t c[1];
  assert_int_equal(hp_ang_pair_count(a, N, NULL, 0, bad, 1, 1, c, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "edge 1 = 0.5"));
  free(a);
  free(b);
}

/* |w| / err over the bins that have pairs; fails the test when any exceeds 4. */
static void assert_w_zero(const hp_stats_wtheta *w, const char *what) {
  double worst = 0;
  for (int i = 0; i < w->nbins; i++) {
    assert_true(w->dd[i] > 0);
    worst = fmax(worst, fabs(w->w[i]) / w->err[i]);
  }
  printf("  %s: largest |w|/err = %.2f over %d bins\n", what, worst, w->nbins);
  assert_true(worst < 4);
}

static void test_wtheta_uniform(void **state) {
  (void)state;
  hp_status st;
  double edges[13];
  hp_ang_theta_edges_log(0.1, 10, 12, edges);
  assert_true(fabs(edges[6] - 1) < 1e-12);
  const char *specs[] = {"FullSky", "Octant"};
  const int64_t nd[] = {20000, 6000};
  for (int s = 0; s < 2; s++) {
    hp_footprint f;
    assert_int_equal(hp_ang_footprint_from_header(specs[s], &f, &st), 0);
    double *d = malloc(sizeof *d * 3 * (size_t)nd[s]);
    assert_int_equal(hp_ang_randoms(&f, nd[s], 1000 + s, d, &st), 0);
    for (int64_t i = 0; i < nd[s]; i++) assert_true(hp_footprint_contains(&f, d + 3 * i));
    hp_stats_wtheta w;
    assert_int_equal(hp_stats_wtheta_compute(d, nd[s], &f, 4 * nd[s], 1, edges, 12, 2, &w, &st), 0);
    assert_int_equal(w.nr, 4 * nd[s]);
    assert_w_zero(&w, specs[s]);
    hp_stats_wtheta_free(&w);
    free(d);
  }
}

static void test_wtheta_healpix_mask(void **state) {
  (void)state;
  hp_status st;
  /* an in-memory Nside 1 mask, RING order: the 4 polar pixels of the north, 2 of the equator */
  unsigned char in[12] = {1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0};
  hp_footprint f = {.kind = HP_FOOT_HEALPIX, .nside = 1, .nested = 0, .in = in};
  f.sky_fraction = 6.0 / 12;
  snprintf(f.desc, sizeof f.desc, "HEALPix test (Nside 1, RING)");
  enum { N = 8000 };
  double *d = malloc(sizeof *d * 3 * N);
  assert_int_equal(hp_ang_randoms(&f, N, 7, d, &st), 0);
  /* every point inside; the 4 polar pixels hold 4/6 of them (equal-area pixels) */
  unsigned char in_polar[12] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  hp_footprint polar = f;
  polar.in = in_polar;
  int64_t north = 0;
  for (int i = 0; i < N; i++) {
    assert_true(hp_footprint_contains(&f, d + 3 * i));
    north += hp_footprint_contains(&polar, d + 3 * i);
  }
  assert_true(fabs(north / (double)N - 4.0 / 6) < 4 * sqrt(4.0 / 6 * 2.0 / 6 / N));
  double edges[9];
  hp_ang_theta_edges_log(0.5, 10, 8, edges);
  hp_stats_wtheta w;
  assert_int_equal(hp_stats_wtheta_compute(d, N, &f, 4 * N, 1, edges, 8, 2, &w, &st), 0);
  assert_w_zero(&w, "HEALPix mask");
  hp_stats_wtheta_free(&w);
  /* a mask file that is not there: the message names it */
  hp_footprint g;
  assert_int_not_equal(
      hp_ang_footprint_from_header("HEALPix /nonexistent/mask.fits (Nside 4, RING)", &g, &st), 0);
  assert_non_null(strstr(st.msg, "/nonexistent/mask.fits"));
  free(d);
}

static void test_wtheta_clumps(void **state) {
  (void)state;
  hp_status st;
  hp_footprint f;
  full_sky(&f);
  /* 500 clumps of 10 points, each within ~0.05 degrees of its centre */
  enum { NC = 500, PER = 10, N = NC * PER };
  double *c = malloc(sizeof *c * 3 * NC), *d = malloc(sizeof *d * 3 * N);
  assert_int_equal(hp_ang_randoms(&f, NC, 21, c, &st), 0);
  uint64_t rng = 5;
  const double sigma = 0.05 * M_PI / 180;
  for (int i = 0; i < N; i++) {
    double *p = d + 3 * i, r = 0;
    for (int a = 0; a < 3; a++) p[a] = c[3 * (i / PER) + a] + sigma * hp_test_gauss(&rng);
    for (int a = 0; a < 3; a++) r += p[a] * p[a];
    for (int a = 0; a < 3; a++) p[a] /= sqrt(r);
  }
  double edges[13];
  hp_ang_theta_edges_log(0.1, 10, 12, edges);
  hp_stats_wtheta w;
  assert_int_equal(hp_stats_wtheta_compute(d, N, &f, 4 * N, 1, edges, 12, 2, &w, &st), 0);
  printf("  clumps: w(%.3g deg) = %.3g +- %.2g, w(%.3g deg) = %.3g +- %.2g\n", w.theta_mid[0],
         w.w[0], w.err[0], w.theta_mid[11], w.w[11], w.err[11]);
  /* within a clump (0.1-0.15 deg): pairs far above random; at 7-10 deg: only chance pairs, whose
     scatter is ~PER times the Poisson error (the clumps, not the points, are independent) */
  assert_true(w.w[0] > 10 && w.w[0] > 5 * w.err[0]);
  assert_true(fabs(w.w[11]) < 4 * PER * w.err[11]);
  hp_stats_wtheta_free(&w);
  free(c);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pair_counts_brute_force),
      cmocka_unit_test(test_wtheta_uniform),
      cmocka_unit_test(test_wtheta_healpix_mask),
      cmocka_unit_test(test_wtheta_clumps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
