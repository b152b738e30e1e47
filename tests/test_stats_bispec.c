/*
 * Bispectrum (stats/bispec) against independent truths: the FFT shell estimator equals a
 * brute-force sum over all closed triangles of modes on a small mesh; a Gaussian random field
 * (made here with FFTW and a fixed seed) has B consistent with zero, bit-identical for 1, 2 and 3
 * threads; and the 2LPT density at z = 10 (hp_pipeline_particles, CIC
 * with interlacing) matches the tree-level prediction 2 F2 P P + cyc., averaged over the same
 * triangles of modes by brute force, within the estimator's Gaussian scatter.
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
#include "lpt/cosmology.h"
#include "plugin/pipeline.h"
#include "stats/bispec.h"
#include "stats/mesh.h"

static uint64_t rng_state;
static double gauss(void) { return hp_test_gauss(&rng_state); }

/* A real-space grid -> field, as a contrast. */
static void grid_field(const float *g, int64_t n, double L, hp_stats_field *f) {
  hp_status st;
  hp_stats_fft *fft = NULL;
  assert_int_equal(hp_stats_fft_create(&fft, n, 2, &st), 0);
  assert_int_equal(hp_stats_field_alloc(f, n, L, &st), 0);
  assert_int_equal(hp_stats_field_from_grid(fft, g, HP_GRID_CONTRAST, HP_WIN_NONE, 0, f, &st), 0);
  hp_stats_fft_destroy(fft);
}

/* Full-mesh mode value delta(m) for signed m (Hermitian completion of the r2c half). */
static void mode(const hp_stats_field *f, int64_t mx, int64_t my, int64_t mz, double *re,
                 double *im) {
  const int64_t n = f->n, nzc = n / 2 + 1;
  double s = 1;
  if (mz < 0) {
    mx = -mx, my = -my, mz = -mz;
    s = -1;
  }
  const int64_t ix = (mx % n + n) % n, iy = (my % n + n) % n;
  *re = f->dk[(ix * n + iy) * nzc + mz][0];
  *im = s * f->dk[(ix * n + iy) * nzc + mz][1];
}

/* The estimator equals the brute-force sum over closed triangles: B = sum Re(d1 d2 d3) /
 * (V N_tri), on a 12^3 random field, for several shells. */
static void test_estimator_matches_brute_force(void **state) {
  (void)state;
  const int64_t n = 12;
  const double L = 60.0, kf = 2 * M_PI / L, V = L * L * L;
  float *g = malloc(sizeof(float) * n * n * n);
  rng_state = 7;
  for (int64_t i = 0; i < n * n * n; i++) g[i] = (float)(gauss() + 0.3 * gauss() * gauss());
  hp_stats_field f;
  grid_field(g, n, L, &f);
  hp_status st;
  hp_stats_bispec *b = NULL;
  assert_int_equal(hp_stats_bispec_create(&b, n, L, 2, &st), 0);
  const hp_stats_bispec_config cfg[] = {{2 * kf, 2 * kf, 2 * kf},
                                        {2 * kf, 2 * kf, 3 * kf},
                                        {2 * kf, 3 * kf, 4 * kf},
                                        {3 * kf, 3 * kf, 1 * kf},
                                        {4 * kf, 3 * kf, 2 * kf}};
  const int nc = 5;
  const double dk = 1.0 * kf;
  hp_stats_bispec_result r[5];
  assert_int_equal(hp_stats_bispec_execute(b, &f, cfg, nc, dk, 0, r, &st), 0);
  const int64_t h = n / 2;
  for (int c = 0; c < nc; c++) {
    const double ks[3] = {cfg[c].k1, cfg[c].k2, cfg[c].k3};
    double sum = 0, ntri = 0;
    for (int64_t ax = -h + 1; ax <= h; ax++)
      for (int64_t ay = -h + 1; ay <= h; ay++)
        for (int64_t az = -h + 1; az <= h; az++) {
          const double ka = kf * sqrt((double)(ax * ax + ay * ay + az * az));
          if (!(ka >= ks[0] - dk / 2 && ka < ks[0] + dk / 2)) continue;
          for (int64_t bx = -h + 1; bx <= h; bx++)
            for (int64_t by = -h + 1; by <= h; by++)
              for (int64_t bz = -h + 1; bz <= h; bz++) {
                const double kb = kf * sqrt((double)(bx * bx + by * by + bz * bz));
                if (!(kb >= ks[1] - dk / 2 && kb < ks[1] + dk / 2)) continue;
                /* k3 = -(ka + kb), folded back onto the mesh */
                int64_t cx = -(ax + bx), cy = -(ay + by), cz = -(az + bz);
                cx = ((cx + h - 1) % n + n) % n - h + 1;
                cy = ((cy + h - 1) % n + n) % n - h + 1;
                cz = ((cz + h - 1) % n + n) % n - h + 1;
                const double kc = kf * sqrt((double)(cx * cx + cy * cy + cz * cz));
                if (!(kc >= ks[2] - dk / 2 && kc < ks[2] + dk / 2)) continue;
                double r1, i1, r2, i2, r3, i3;
                mode(&f, ax, ay, az, &r1, &i1);
                mode(&f, bx, by, bz, &r2, &i2);
                mode(&f, cx, cy, cz, &r3, &i3);
                const double pr = r1 * r2 - i1 * i2, pi = r1 * i2 + i1 * r2;
                sum += pr * r3 - pi * i3;
                ntri++;
              }
        }
    assert_true(ntri > 0);
    assert_true(fabs(r[c].n_tri - ntri) < 1e-3);
    const double bb = sum / (V * ntri);
    if (fabs(r[c].b - bb) > 1e-4 * fabs(bb) + 1e-6 * r[c].b_err)
      fprintf(stderr, "config %d: estimator %g, brute force %g\n", c, r[c].b, bb);
    assert_true(fabs(r[c].b - bb) <= 1e-4 * fabs(bb) + 1e-6 * r[c].b_err);
  }
  hp_stats_bispec_destroy(b);
  hp_stats_field_free(&f);
  free(g);
}

static double pk_power_law(double k) { return 3000.0 * pow(k / 0.1, -1.2); }

/* A Gaussian random field: every configuration's B / sigma_B is consistent with a unit normal
 * (no |B| above 4.5 sigma, chi^2 within 5 sd of its mean). */
static void test_gaussian_field_zero(void **state) {
  (void)state;
  const int64_t n = 64;
  const double L = 500.0, kf = 2 * M_PI / L;
  rng_state = 2024;
  float *g = hp_test_gaussian_field(n, L, pk_power_law, &rng_state);
  hp_stats_field f;
  grid_field(g, n, L, &f);
  hp_status st;
  hp_stats_bispec *b = NULL;
  assert_int_equal(hp_stats_bispec_create(&b, n, L, 2, &st), 0);
  enum { NC = 24 };
  hp_stats_bispec_config cfg[NC];
  int nc = 0;
  const double k1s[] = {6 * kf, 12 * kf, 18 * kf}, k2f[] = {1.0, 1.5};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      for (int t = 0; t < 4; t++)
        cfg[nc++] = hp_stats_bispec_config_theta(k1s[i], k2f[j] * k1s[i], M_PI * (0.2 + 0.2 * t));
  hp_stats_bispec_result r[NC];
  assert_int_equal(hp_stats_bispec_execute(b, &f, cfg, nc, 2 * kf, 0, r, &st), 0);
  double chi2 = 0;
  for (int i = 0; i < nc; i++) {
    const double d = r[i].b / r[i].b_err;
    if (getenv("HP_VERBOSE"))
      fprintf(stderr, "k %.3f %.3f %.3f: B/sigma %+.2f, Q %+.3f, Ntri %.0f\n", r[i].k1, r[i].k2,
              r[i].k3, d, r[i].q, r[i].n_tri);
    assert_true(fabs(d) < 4.5);
    chi2 += d * d;
  }
  assert_true(chi2 < NC + 5 * sqrt(2.0 * NC));
  /* bit-identical with 1 and 3 threads */
  for (int t = 1; t <= 3; t += 2) {
    hp_stats_bispec *b1 = NULL;
    hp_stats_bispec_result r1[NC];
    assert_int_equal(hp_stats_bispec_create(&b1, n, L, t, &st), 0);
    assert_int_equal(hp_stats_bispec_execute(b1, &f, cfg, nc, 2 * kf, 0, r1, &st), 0);
    assert_memory_equal(r1, r, sizeof(hp_stats_bispec_result) * nc);
    hp_stats_bispec_destroy(b1);
  }
  /* and the same field's P in the shells is the input spectrum within cosmic variance */
  for (int i = 0; i < nc; i++) {
    const double p = 3000.0 * pow(r[i].km1 / 0.1, -1.2);
    assert_true(fabs(r[i].p1 / p - 1) < 0.3);
  }
  hp_stats_bispec_destroy(b);
  hp_stats_field_free(&f);
  fftwf_free(g);
}

/* Modes of the full mesh in the shell [k - dk/2, k + dk/2): signed triples, *count of them. */
static int64_t *shell_modes(int64_t n, double L, double k, double dk, int64_t *count) {
  const double kf = 2 * M_PI / L;
  const int64_t h = n / 2;
  int64_t cap = 1024, c = 0, *m = malloc(sizeof(int64_t) * 3 * cap);
  for (int64_t x = -h + 1; x <= h; x++)
    for (int64_t y = -h + 1; y <= h; y++)
      for (int64_t z = -h + 1; z <= h; z++) {
        const double q = kf * sqrt((double)(x * x + y * y + z * z));
        if (!(q >= k - dk / 2 && q < k + dk / 2)) continue;
        if (c == cap) m = realloc(m, sizeof(int64_t) * 3 * (cap *= 2));
        m[3 * c] = x, m[3 * c + 1] = y, m[3 * c + 2] = z;
        c++;
      }
  *count = c;
  return m;
}

/* Brute-force average of B_tree over the closed triangles of the three shells (about 400
 * modes of shell 1, evenly strided, against every mode of shell 2), P = D1^2 P_lin. */
static double tree_average(const hp_cosmology *c, double d1, int64_t n, double L,
                           const hp_stats_bispec_config *cfg, double dk) {
  const double kf = 2 * M_PI / L;
  int64_t n1, n2;
  int64_t *m1 = shell_modes(n, L, cfg->k1, dk, &n1), *m2 = shell_modes(n, L, cfg->k2, dk, &n2);
  const int64_t stride = n1 / 400 > 1 ? n1 / 400 : 1;
  double sum = 0, ntri = 0;
  for (int64_t i = 0; i < n1; i += stride) {
    const int64_t x = m1[3 * i], y = m1[3 * i + 1], z = m1[3 * i + 2];
    const double k1 = kf * sqrt((double)(x * x + y * y + z * z));
    const double p1 = d1 * d1 * hp_cosmo_power(c, k1);
    for (int64_t j = 0; j < n2; j++) {
      const int64_t cx = x + m2[3 * j], cy = y + m2[3 * j + 1], cz = z + m2[3 * j + 2];
      const double k3 = kf * sqrt((double)(cx * cx + cy * cy + cz * cz));
      if (!(k3 >= cfg->k3 - dk / 2 && k3 < cfg->k3 + dk / 2)) continue;
      const double k2 = kf * sqrt((double)(m2[3 * j] * m2[3 * j] + m2[3 * j + 1] * m2[3 * j + 1] +
                                           m2[3 * j + 2] * m2[3 * j + 2]));
      sum += hp_stats_bispec_tree(k1, k2, k3, p1, d1 * d1 * hp_cosmo_power(c, k2),
                                  d1 * d1 * hp_cosmo_power(c, k3));
      ntri++;
    }
  }
  free(m1);
  free(m2);
  return sum / ntri;
}

/* The 2LPT density at z = 10 has the tree-level bispectrum. */
static void test_2lpt_tree_level(void **state) {
  (void)state;
  const char *text =
      "Omega0 0.315\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.97\n"
      "BoxSize 256\nNParticles 128\nSeed 4242\nRedshift 10\n";
  const double z = 10.0, L = 256.0, kf = 2 * M_PI / L;
  const int64_t np = 128, nm = 128;
  hp_params *p = NULL;
  hp_status st;
  assert_int_equal(hp_params_parse_string(&p, "test", text, NULL, 0, HP_NEED_ALL, &st), 0);
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  assert_int_equal(hp_pipeline_particles(p, z, &c, &l, NULL, &st), 0);
  hp_growth gr;
  assert_int_equal(hp_cosmo_growth(c, 1.0 / (1.0 + z), &gr, &st), 0);
  hp_cic_particles s = {0};
  s.n = np * np * np;
  s.x = hp_lpt_displacement(l, 0), s.y = hp_lpt_displacement(l, 1);
  s.z = hp_lpt_displacement(l, 2);
  s.stride = 1, s.lattice_np = np;
  hp_stats_mesh *m = NULL;
  hp_stats_mesh_desc d = {nm, L, HP_WIN_CIC, 1, 1, 2};
  assert_int_equal(hp_stats_mesh_create(&m, &d, &st), 0);
  hp_stats_field f;
  assert_int_equal(hp_stats_field_alloc(&f, nm, L, &st), 0);
  assert_int_equal(hp_stats_mesh_execute(m, &s, &f, &st), 0);
  f.shot = f.shot3 = 0; /* a displaced lattice, not a Poisson sample */
  hp_stats_mesh_destroy(m);
  hp_lpt_destroy(l);
  hp_stats_bispec *b = NULL;
  assert_int_equal(hp_stats_bispec_create(&b, nm, L, 2, &st), 0);
  /* k up to 0.85 h/Mpc = 0.55 k_Nyquist; Delta^2(k) < 0.05, so one-loop terms are small */
  enum { NC = 8 };
  hp_stats_bispec_config cfg[NC];
  const double dk = 4 * kf;
  const double kk[NC][2] = {{16, 16}, {16, 16}, {16, 24}, {16, 24},
                            {16, 24}, {24, 24}, {24, 24}, {24, 24}};
  const double th[NC] = {0.35, 0.65, 0.35, 0.5, 0.8, 0.45, 0.6, 0.8};
  for (int i = 0; i < NC; i++)
    cfg[i] = hp_stats_bispec_config_theta(kk[i][0] * kf, kk[i][1] * kf, th[i] * M_PI);
  hp_stats_bispec_result r[NC];
  assert_int_equal(hp_stats_bispec_execute(b, &f, cfg, NC, dk, 0, r, &st), 0);
  double chi2 = 0;
  for (int i = 0; i < NC; i++) {
    const double bt = tree_average(c, gr.D1, nm, L, &cfg[i], dk);
    const double dev = (r[i].b - bt) / r[i].b_err;
    chi2 += dev * dev;
    if (getenv("HP_VERBOSE"))
      fprintf(stderr, "k %.3f %.3f %.3f theta %.2f: B %.4g tree %.4g sigma %.3g (%+.2f) Q %.3f\n",
              r[i].k1, r[i].k2, r[i].k3, r[i].theta, r[i].b, bt, r[i].b_err, dev, r[i].q);
    assert_true(fabs(dev) < 4.0);
    assert_true(bt > 3 * r[i].b_err); /* the signal is detected: the test can fail */
  }
  assert_true(chi2 < NC + 5 * sqrt(2.0 * NC));
  hp_stats_bispec_destroy(b);
  hp_stats_field_free(&f);
  hp_cosmology_free(c);
  hp_params_free(p);
}

/* F2 and the tree-level bispectrum: known values. */
static void test_tree_formulae(void **state) {
  (void)state;
  /* equilateral: F2 = 5/7 - 1/2 + 1/14 = 2/7, B = 3 * 2 * 2/7 P^2, Q = 4/7 */
  assert_true(fabs(hp_stats_f2(1, 1, -0.5) - 2.0 / 7.0) < 1e-15);
  assert_true(fabs(hp_stats_bispec_tree(1, 1, 1, 2, 2, 2) - 6.0 * 2.0 / 7.0 * 4.0) < 1e-12);
  assert_true(fabs(hp_stats_bispec_tree(1, 1, 1, 3, 3, 3) / 27.0 - 4.0 / 7.0) < 1e-12);
  /* collinear k2 = k1 (theta = 0): F2(k,k,1) = 5/7 + 1 + 2/7 = 2 */
  assert_true(fabs(hp_stats_f2(1, 1, 1.0) - 2.0) < 1e-15);
  assert_true(isnan(hp_stats_bispec_tree(1, 1, 3, 1, 1, 1)));
  hp_stats_bispec_config cf = hp_stats_bispec_config_theta(1.0, 1.0, M_PI / 2);
  assert_true(fabs(cf.k3 - sqrt(2.0)) < 1e-15);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tree_formulae),
      cmocka_unit_test(test_estimator_matches_brute_force),
      cmocka_unit_test(test_gaussian_field_zero),
      cmocka_unit_test(test_2lpt_tree_level),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
