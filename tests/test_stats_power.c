/*
 * Power and cross spectra (stats/field, stats/mesh, stats/power, stats/cross) against
 * independent truths: a plane wave lands in its bin with amplitude A^2 V / 2; a Poisson sample
 * has raw P = 1/nbar (NGP, no deconvolution) and shot-subtracted P consistent with zero with
 * every window and with interlacing; two independent samples have r_c consistent with 0; a
 * field with itself has r_c = 1, T = 1, s = 0 exactly; a Gaussian random field of known P(k),
 * made here with FFTW and a fixed seed, is recovered within cosmic variance (expected values
 * and mode counts by a brute-force loop over the full mesh); a particle plane wave is
 * recovered after window deconvolution, with and without interlacing; the assignment agrees
 * with cic/; the aliasing sums agree with brute-force image sums; results are bit-identical
 * for 1, 2 and 3 threads.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fftw3.h>

#include "fields.h"
#include "cic/cic.h"
#include "stats/cross.h"
#include "stats/mesh.h"
#include "stats/power.h"

static uint64_t rng_state;
static double uniform(void) { return hp_test_uniform(&rng_state); }

/* n random positions, interleaved xyz, in [0, box). */
static float *random_positions(int64_t n, double box, uint64_t seed) {
  rng_state = seed;
  float *p = malloc((size_t)(3 * n) * sizeof *p);
  assert_non_null(p);
  for (int64_t i = 0; i < 3 * n; i++) p[i] = (float)(uniform() * box);
  return p;
}

static hp_cic_particles xyz(const float *p, int64_t n) {
  hp_cic_particles s = {0};
  s.n = n;
  s.x = p, s.y = p + 1, s.z = p + 2;
  s.stride = 3;
  return s;
}

static void field_from_particles(const hp_cic_particles *s, int64_t nm, double box, int window,
                                 int interlace, int deconvolve, int threads, hp_stats_field *f) {
  hp_status st;
  hp_stats_mesh *m = NULL;
  hp_stats_mesh_desc d = {nm, box, window, interlace, deconvolve, threads};
  assert_int_equal(hp_stats_mesh_create(&m, &d, &st), 0);
  assert_int_equal(hp_stats_field_alloc(f, nm, box, &st), 0);
  int rc = hp_stats_mesh_execute(m, s, f, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  hp_stats_mesh_destroy(m);
}

static void field_from_grid(const float *g, int64_t n, double box, int kind, hp_stats_field *f) {
  hp_status st;
  hp_stats_fft *fft = NULL;
  assert_int_equal(hp_stats_fft_create(&fft, n, 2, &st), 0);
  assert_int_equal(hp_stats_field_alloc(f, n, box, &st), 0);
  assert_int_equal(hp_stats_field_from_grid(fft, g, kind, HP_WIN_NONE, 0, f, &st), 0);
  hp_stats_fft_destroy(fft);
}

/* A plane wave delta = A cos(k0.x) on the voxel centres: all its power, A^2 V / 2, is in the
 * bin of |k0|, and nothing elsewhere. */
static void test_plane_wave_grid(void **state) {
  (void)state;
  const int64_t n = 32;
  const double L = 200.0, A = 0.3, V = L * L * L;
  const int waves[][3] = {{3, 4, 0}, {1, 2, 2}, {0, 0, 7}, {5, -3, 1}, {16, 0, 0}};
  float *g = malloc(sizeof(float) * n * n * n);
  for (int w = 0; w < 5; w++) {
    const double H = L / n, kf = 2 * M_PI / L;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++)
        for (int64_t l = 0; l < n; l++) {
          const double ph = kf * (waves[w][0] * (i + 0.5) * H + waves[w][1] * (j + 0.5) * H +
                                  waves[w][2] * (l + 0.5) * H);
          g[(i * n + j) * n + l] = (float)(A * cos(ph));
        }
    hp_stats_field f;
    field_from_grid(g, n, L, HP_GRID_CONTRAST, &f);
    hp_stats_bins b;
    hp_stats_bins_default(&b, n, L);
    hp_stats_pk pk;
    hp_status st;
    assert_int_equal(hp_stats_power(&f, NULL, &b, 2, &pk, &st), 0);
    const double k0 = kf * sqrt((double)(waves[w][0] * waves[w][0] + waves[w][1] * waves[w][1] +
                                         waves[w][2] * waves[w][2]));
    const int i0 = hp_stats_bin_index(&b, k0);
    assert_true(i0 >= 0);
    /* at Nyquist (16,0,0) the cosine on the centres is cos(pi (i + 1/2)) = 0: no power */
    const double expect = w == 4 ? 0.0 : A * A * V / 2;
    for (int i = 0; i < b.nbins; i++) {
      const double tot = pk.p[i] * (double)pk.nmodes[i];
      if (i == i0 && w != 4)
        assert_true(fabs(tot / expect - 1) < 1e-5);
      else
        assert_true(fabs(tot) < 1e-9 * A * A * V);
      assert_true(pk.shot[i] == 0.0);
    }
    hp_stats_pk_free(&pk);
    hp_stats_field_free(&f);
  }
  free(g);
}

/* A Poisson sample: NGP without deconvolution has the flat shot noise 1/nbar exactly and raw
 * P consistent with it; every window, deconvolved, with or without interlacing, has P - shot
 * consistent with zero (chi^2 over bins) and a positive shot-noise shape. */
static void test_poisson_shot_noise(void **state) {
  (void)state;
  const int64_t N = 40000, nm = 32;
  const double L = 300.0, V = L * L * L;
  float *p = random_positions(N, L, 11);
  hp_cic_particles s = xyz(p, N);
  const int conf[][3] = {{HP_WIN_NGP, 0, 0}, {HP_WIN_CIC, 0, 1}, {HP_WIN_CIC, 1, 1},
                         {HP_WIN_TSC, 0, 1}, {HP_WIN_TSC, 1, 1}, {HP_WIN_NGP, 1, 1}};
  for (int c = 0; c < 6; c++) {
    hp_stats_field f;
    field_from_particles(&s, nm, L, conf[c][0], conf[c][1], conf[c][2], 2, &f);
    assert_true(fabs(f.shot - V / N) < 1e-9 * V / N);
    assert_true(fabs(f.nbar - N / V) < 1e-12);
    hp_stats_bins b;
    hp_stats_bins_default(&b, nm, L);
    hp_stats_pk pk;
    hp_status st;
    assert_int_equal(hp_stats_power(&f, NULL, &b, 2, &pk, &st), 0);
    double chi2 = 0, sum_p = 0, sum_n = 0;
    for (int i = 0; i < b.nbins; i++) {
      if (conf[c][0] == HP_WIN_NGP && !conf[c][2]) assert_true(pk.shot[i] == V / N);
      assert_true(pk.shot[i] > 0);
      const double dev = (pk.p[i] - pk.shot[i]) / pk.err[i];
      chi2 += dev * dev;
      sum_p += (pk.p[i] - pk.shot[i]) / pk.shot[i] * pk.nmodes[i];
      sum_n += pk.nmodes[i];
    }
    /* chi^2 with 16 degrees of freedom: mean 16, sd 5.7 */
    if (chi2 > 16 + 5 * 5.7) fprintf(stderr, "config %d: chi2 %g\n", c, chi2);
    assert_true(chi2 < 16 + 5 * 5.7);
    /* all modes together: mean of (P - shot)/shot is 0 within 4 sigma = 4 sqrt(2/N_modes) */
    assert_true(fabs(sum_p / sum_n) < 4 * sqrt(2.0 / sum_n));
    hp_stats_pk_free(&pk);
    hp_stats_field_free(&f);
  }
  free(p);
}

/* Two independent Poisson samples: r_c consistent with 0; a field with itself: r_c = 1,
 * T = 1, s = 0 exactly, and the pair pass equals the single passes. */
static void test_cross_coefficients(void **state) {
  (void)state;
  const int64_t N = 30000, nm = 32;
  const double L = 250.0;
  float *p1 = random_positions(N, L, 21), *p2 = random_positions(N, L, 22);
  hp_cic_particles s1 = xyz(p1, N), s2 = xyz(p2, N);
  hp_stats_field a, b;
  field_from_particles(&s1, nm, L, HP_WIN_CIC, 1, 1, 2, &a);
  field_from_particles(&s2, nm, L, HP_WIN_CIC, 1, 1, 2, &b);
  hp_stats_bins bins;
  hp_stats_bins_default(&bins, nm, L);
  hp_stats_pk paa, pbb, pab, q;
  hp_stats_cross cr;
  hp_status st;
  assert_int_equal(hp_stats_power_pair(&a, &b, &bins, 2, &paa, &pbb, &pab, &st), 0);
  assert_int_equal(hp_stats_cross_from_pk(&paa, &pbb, &pab, 0, &cr, &st), 0);
  double chi2 = 0;
  for (int i = 0; i < bins.nbins; i++) {
    const double dev = cr.r[i] / cr.r_err[i];
    chi2 += dev * dev;
    assert_true(fabs(dev) < 4.5);
    assert_true(pab.shot[i] == 0.0);
    /* T of two samples of equal density: P_bb/P_aa ~ 1 */
    assert_true(fabs(cr.t[i] - 1) < 5 * sqrt(2.0 / paa.nmodes[i]) + 0.02);
  }
  assert_true(chi2 < 16 + 5 * 5.7);
  /* the pair pass is the single passes */
  assert_int_equal(hp_stats_power(&a, NULL, &bins, 2, &q, &st), 0);
  assert_memory_equal(q.p, paa.p, sizeof(double) * bins.nbins);
  assert_memory_equal(q.shot, paa.shot, sizeof(double) * bins.nbins);
  hp_stats_pk_free(&q);
  assert_int_equal(hp_stats_power(&a, &b, &bins, 2, &q, &st), 0);
  assert_memory_equal(q.p, pab.p, sizeof(double) * bins.nbins);
  hp_stats_pk_free(&q);
  hp_stats_cross_free(&cr);
  hp_stats_pk_free(&paa);
  hp_stats_pk_free(&pbb);
  hp_stats_pk_free(&pab);
  /* a field with itself */
  assert_int_equal(hp_stats_power_pair(&a, &a, &bins, 2, &paa, &pbb, &pab, &st), 0);
  assert_int_equal(hp_stats_cross_from_pk(&paa, &pbb, &pab, 0, &cr, &st), 0);
  for (int i = 0; i < bins.nbins; i++) {
    assert_true(cr.r[i] == 1.0);
    assert_true(cr.t[i] == 1.0);
    assert_true(cr.s[i] == 0.0);
  }
  hp_stats_cross_free(&cr);
  /* baseline: a scaled copy of a field has bias b exactly, T = r = 1 */
  double bias, kused;
  hp_stats_pk pmm = paa;
  double *scaled = malloc(sizeof(double) * bins.nbins);
  for (int i = 0; i < bins.nbins; i++) scaled[i] = paa.p[i] / 4.0;
  pmm.p = scaled;
  assert_int_equal(hp_stats_linear_bias(&paa, &pmm, 0.1, 0, &bias, &kused, &st), 0);
  assert_true(fabs(bias - 2.0) < 1e-12);
  assert_true(kused < 0.1);
  hp_stats_pk pam = paa;
  double *sc2 = malloc(sizeof(double) * bins.nbins);
  for (int i = 0; i < bins.nbins; i++) sc2[i] = paa.p[i] / 2.0;
  pam.p = sc2;
  assert_int_equal(hp_stats_cross_baseline(&paa, &pmm, &pam, bias, 0, &cr, &st), 0);
  for (int i = 0; i < bins.nbins; i++) {
    assert_true(fabs(cr.t[i] - 1) < 1e-12);
    assert_true(fabs(cr.r[i] - 1) < 1e-12);
  }
  hp_stats_cross_free(&cr);
  free(scaled);
  free(sc2);
  hp_stats_pk_free(&paa);
  hp_stats_pk_free(&pbb);
  hp_stats_pk_free(&pab);
  hp_stats_field_free(&a);
  hp_stats_field_free(&b);
  free(p1);
  free(p2);
}

static double pk_model(double k) { return 2000.0 * pow(k / 0.1, -1.5) * exp(-k * k / 0.5); }

/* A Gaussian random field of known P(k), made here: white noise in real space, FFT,
 * times sqrt(P n^3 / V), inverse FFT. Every bin agrees with the mode average of P(k) within
 * cosmic variance; mode counts and mean k agree with a brute-force loop over the full mesh. */
static void test_gaussian_field_recovered(void **state) {
  (void)state;
  const int64_t n = 48;
  const double L = 400.0, kf = 2 * M_PI / L;
  rng_state = 12345;
  float *g = hp_test_gaussian_field(n, L, pk_model, &rng_state);
  hp_stats_field f;
  field_from_grid(g, n, L, HP_GRID_CONTRAST, &f);
  hp_stats_bins b = {1, 0.02, 0.35, 12}; /* logarithmic */
  hp_stats_pk pk;
  hp_status st;
  assert_int_equal(hp_stats_power(&f, NULL, &b, 2, &pk, &st), 0);
  /* brute force over the full mesh */
  double *ep = calloc(b.nbins, sizeof(double)), *ek = calloc(b.nbins, sizeof(double));
  int64_t *en = calloc(b.nbins, sizeof(int64_t));
  for (int64_t sx = -n / 2 + 1; sx <= n / 2; sx++)
    for (int64_t sy = -n / 2 + 1; sy <= n / 2; sy++)
      for (int64_t sz = -n / 2 + 1; sz <= n / 2; sz++) {
        const double k = kf * sqrt((double)(sx * sx + sy * sy + sz * sz));
        const double lo = log(b.kmin), hi = log(b.kmax);
        if (k <= 0 || k < b.kmin || k >= b.kmax) continue;
        const int i = (int)floor((log(k) - lo) / (hi - lo) * b.nbins);
        if (i < 0 || i >= b.nbins) continue;
        ep[i] += pk_model(k);
        ek[i] += k;
        en[i]++;
      }
  double chi2 = 0;
  for (int i = 0; i < b.nbins; i++) {
    assert_int_equal(pk.nmodes[i], en[i]);
    assert_true(fabs(pk.k_mean[i] - ek[i] / en[i]) < 1e-9 * pk.k_mean[i]);
    const double expect = ep[i] / en[i], sigma = expect * sqrt(2.0 / en[i]);
    const double dev = (pk.p[i] - expect) / sigma;
    chi2 += dev * dev;
    assert_true(fabs(dev) < 4.5);
  }
  assert_true(chi2 < 12 + 5 * sqrt(24.0));
  free(ep);
  free(ek);
  free(en);
  hp_stats_pk_free(&pk);
  hp_stats_field_free(&f);
  fftwf_free(g);
}

/* Particles following delta = A cos(k0 x) to first order (a 3x denser lattice displaced by
 * psi = -(A/k0) sin(k0 q)). The lattice's sidebands at k0 +- 6 j k_Ny alias onto k0; for odd j
 * they are images of odd order, which interlacing cancels. After deconvolution the bin of k0
 * holds A^2 V / 2: to 0.5% at k0 = k_Ny/8 for every configuration; up to k_Ny/2, with
 * interlacing, to 1% (TSC) and 1.5% (CIC), and better than without interlacing. A wrong
 * interlacing phase would lose cos^2(k0 H/2) (15% at k_Ny/2). */
static void test_particle_plane_wave(void **state) {
  (void)state;
  const int64_t nm = 32, np = 3 * nm, N = np * np * np;
  const double L = 100.0, V = L * L * L, A = 0.02;
  float *dx = calloc(N, sizeof(float)), *zero = calloc(N, sizeof(float));
  const int modes[] = {2, 5, 8};
  for (int mi = 0; mi < 3; mi++) {
    const double k0 = 2 * M_PI / L * modes[mi];
    for (int64_t i = 0; i < N; i++) {
      const double q = (double)(i / (np * np)) * L / np;
      dx[i] = (float)(-(A / k0) * sin(k0 * q));
    }
    hp_cic_particles s = {0};
    s.n = N;
    s.x = dx, s.y = zero, s.z = zero;
    s.stride = 1;
    s.lattice_np = np;
    const int conf[][2] = {{HP_WIN_CIC, 0}, {HP_WIN_CIC, 1}, {HP_WIN_TSC, 0}, {HP_WIN_TSC, 1}};
    double got[4];
    for (int c = 0; c < 4; c++) {
      hp_stats_field f;
      field_from_particles(&s, nm, L, conf[c][0], conf[c][1], 1, 2, &f);
      hp_stats_bins b;
      hp_stats_bins_default(&b, nm, L);
      hp_stats_pk pk;
      hp_status st;
      assert_int_equal(hp_stats_power(&f, NULL, &b, 2, &pk, &st), 0);
      const int i0 = hp_stats_bin_index(&b, k0);
      got[c] = pk.p[i0] * pk.nmodes[i0] / (A * A * V / 2) - 1;
      if (getenv("HP_VERBOSE")) fprintf(stderr, "mode %d conf %d: %+.5f\n", modes[mi], c, got[c]);
      hp_stats_pk_free(&pk);
      hp_stats_field_free(&f);
    }
    if (mi == 0) {
      for (int c = 0; c < 4; c++) assert_true(fabs(got[c]) < 0.005);
    } else {
      assert_true(fabs(got[1]) < 0.015);
      assert_true(fabs(got[3]) < 0.01);
      assert_true(fabs(got[1]) < fabs(got[0]));
      assert_true(fabs(got[3]) < fabs(got[2]));
    }
  }
  free(dx);
  free(zero);
}

/* The CIC assignment of stats/mesh equals cic/'s (independent implementations). */
static void test_cic_matches_cic_module(void **state) {
  (void)state;
  const int64_t N = 5000, nm = 16;
  const double L = 50.0;
  float *p = random_positions(N, L, 5);
  p[0] = 0.0f, p[1] = (float)L, p[2] = -1.0f; /* edges and wrapping */
  hp_cic_particles s = xyz(p, N);
  hp_status st;
  hp_stats_mesh *m = NULL;
  hp_stats_mesh_desc d = {nm, L, HP_WIN_CIC, 0, 0, 2};
  assert_int_equal(hp_stats_mesh_create(&m, &d, &st), 0);
  float *g1 = malloc(sizeof(float) * nm * nm * nm), *g2 = malloc(sizeof(float) * nm * nm * nm);
  assert_int_equal(hp_stats_mesh_density(m, &s, g1, &st), 0);
  hp_cic_plan *cp = NULL;
  assert_int_equal(hp_cic_plan_create(&cp, nm, L, 2, &st), 0);
  assert_int_equal(hp_cic_density(cp, &s, g2, &st), 0);
  double mean = 0;
  for (int64_t i = 0; i < nm * nm * nm; i++) {
    assert_true(fabs(g1[i] - g2[i]) < 1e-4 * (1 + fabs(g2[i])));
    mean += g1[i];
  }
  assert_true(fabs(mean / (nm * nm * nm) - 1) < 1e-5);
  /* TSC and NGP conserve the total weight */
  for (int w = HP_WIN_NGP; w <= HP_WIN_TSC; w += 2) {
    hp_stats_mesh *m2 = NULL;
    hp_stats_mesh_desc d2 = {nm, L, w, 0, 0, 2};
    assert_int_equal(hp_stats_mesh_create(&m2, &d2, &st), 0);
    assert_int_equal(hp_stats_mesh_density(m2, &s, g1, &st), 0);
    mean = 0;
    for (int64_t i = 0; i < nm * nm * nm; i++) mean += g1[i];
    assert_true(fabs(mean / (nm * nm * nm) - 1) < 1e-5);
    hp_stats_mesh_destroy(m2);
  }
  /* a non-finite coordinate is refused and named */
  p[3 * 17 + 1] = NAN;
  assert_int_equal(hp_stats_mesh_density(m, &s, g1, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "particle 17"));
  hp_cic_plan_destroy(cp);
  hp_stats_mesh_destroy(m);
  free(g1);
  free(g2);
  free(p);
}

/* Closed-form aliasing sums against brute-force image sums. */
static void test_alias_sums(void **state) {
  (void)state;
  const int64_t n = 20;
  for (int w = HP_WIN_NGP; w <= HP_WIN_TSC; w++)
    for (int64_t i = -n / 2; i <= n / 2; i++) {
      double s, a, bs = 0, ba = 0;
      hp_stats_alias_sums(w, n, i, &s, &a);
      for (int64_t m = -20000; m <= 20000; m++) {
        const double x = (double)i / n + m, sn = x == 0 ? 1 : sin(M_PI * x) / (M_PI * x);
        const double t = pow(sn, 2 * w);
        bs += t;
        ba += (m % 2 ? -1 : 1) * t;
      }
      assert_true(fabs(s - bs) < 1e-4);
      assert_true(fabs(a - ba) < 1e-4);
    }
}

/* Bit-identical fields and spectra for 1, 2 and 3 threads. */
static void test_thread_count_free(void **state) {
  (void)state;
  const int64_t N = 300000, nm = 32;
  const double L = 100.0;
  float *p = random_positions(N, L, 99);
  hp_cic_particles s = xyz(p, N);
  hp_stats_field f[3];
  hp_stats_pk pk[3];
  hp_stats_bins b;
  hp_stats_bins_default(&b, nm, L);
  hp_status st;
  for (int t = 0; t < 3; t++) {
    field_from_particles(&s, nm, L, HP_WIN_TSC, 1, 1, t + 1, &f[t]);
    assert_int_equal(hp_stats_power(&f[t], NULL, &b, t + 1, &pk[t], &st), 0);
  }
  for (int t = 1; t < 3; t++) {
    assert_memory_equal(f[0].dk, f[t].dk, sizeof(float) * 2 * nm * nm * (nm / 2 + 1));
    assert_memory_equal(pk[0].p, pk[t].p, sizeof(double) * b.nbins);
  }
  for (int t = 0; t < 3; t++) {
    hp_stats_pk_free(&pk[t]);
    hp_stats_field_free(&f[t]);
  }
  free(p);
}

/* Bins: edges, indices, checks. */
static void test_bins(void **state) {
  (void)state;
  hp_stats_bins b = {0, 0.0, 1.0, 10};
  hp_status st;
  assert_int_equal(hp_stats_bins_check(&b, &st), 0);
  assert_int_equal(hp_stats_bin_index(&b, 0.05), 0);
  assert_int_equal(hp_stats_bin_index(&b, 0.1), 1);
  assert_int_equal(hp_stats_bin_index(&b, 0.999), 9);
  assert_int_equal(hp_stats_bin_index(&b, 1.0), -1);
  assert_int_equal(hp_stats_bin_index(&b, 0.0), -1);
  hp_stats_bins l = {1, 0.01, 1.0, 2};
  assert_int_equal(hp_stats_bin_index(&l, 0.0999), 0);
  assert_int_equal(hp_stats_bin_index(&l, 0.1), 1);
  assert_true(fabs(hp_stats_bin_edge(&l, 1) - 0.1) < 1e-15);
  hp_stats_bins bad = {1, 0.0, 1.0, 4};
  assert_int_equal(hp_stats_bins_check(&bad, &st), HP_ERR_INPUT);
  hp_stats_bins bad2 = {0, 0.5, 0.1, 4};
  assert_int_equal(hp_stats_bins_check(&bad2, &st), HP_ERR_INPUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bins),
      cmocka_unit_test(test_alias_sums),
      cmocka_unit_test(test_plane_wave_grid),
      cmocka_unit_test(test_poisson_shot_noise),
      cmocka_unit_test(test_cross_coefficients),
      cmocka_unit_test(test_gaussian_field_recovered),
      cmocka_unit_test(test_particle_plane_wave),
      cmocka_unit_test(test_cic_matches_cic_module),
      cmocka_unit_test(test_thread_count_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
