/*
 * 2LPT tests against analytic truth (shared/reference §7): a single plane
 * wave gives the exact Zel'dovich displacement and zero psi2; two orthogonal
 * waves give the closed-form psi2; plus thread-count and resolution
 * independence, the measured P(k) of the generated field, FFT counts, and
 * the 3/2-rule against the direct source on a band-limited field.
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

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "lpt/noise.h"

static const hp_lpt_factors SPLIT = {1.0, 0.0, 0.0, 1.0}; /* displacement = psi1, velocity = psi2 */

static hp_lpt *make_plan(int64_t np, double box, int order, int dealias, int nthreads) {
  hp_status st;
  hp_status_clear(&st);
  hp_lpt *l = NULL;
  hp_lpt_desc d = {np, box, order, dealias, nthreads};
  int rc = hp_lpt_create(&l, &d, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  return l;
}

/* Set mode (n1,n2,n3) to amp/2 so that delta = amp cos(k.q). */
static void set_cos_mode(hp_lpt *l, int64_t np, int64_t n1, int64_t n2, int64_t n3, double amp) {
  float(*K)[2] = hp_lpt_delta_k(l);
  const int64_t nzc = np / 2 + 1;
  if (n3 < 0) n1 = -n1, n2 = -n2, n3 = -n3;
  int64_t ix = (n1 + np) % np, iy = (n2 + np) % np;
  K[(ix * np + iy) * nzc + n3][0] += (float)(amp / 2);
  if (n3 == 0) { /* the conjugate partner is stored too */
    ix = (np - n1) % np, iy = (np - n2) % np;
    K[(ix * np + iy) * nzc][0] += (float)(amp / 2);
  }
}

static double max_abs(const float *a, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
  return m;
}

static void test_single_plane_wave(void **state) {
  (void)state;
  const int64_t np = 32;
  const double L = 100, A = 0.1;
  const int64_t dirs[3][3] = {{1, 0, 0}, {1, 1, 0}, {1, 2, 3}};
  for (int dealias = 0; dealias < 2; dealias++)
    for (int t = 0; t < 3; t++) {
      hp_lpt *l = make_plan(np, L, 2, dealias, 2);
      set_cos_mode(l, np, dirs[t][0], dirs[t][1], dirs[t][2], A);
      hp_status st;
      assert_int_equal(hp_lpt_execute(l, &SPLIT, &st), 0);
      double kv[3], k2 = 0, err = 0, psimax = 0, psi2max = 0;
      for (int a = 0; a < 3; a++) kv[a] = 2 * M_PI / L * dirs[t][a], k2 += kv[a] * kv[a];
      for (int64_t i = 0; i < np; i++)
        for (int64_t j = 0; j < np; j++)
          for (int64_t k = 0; k < np; k++) {
            const int64_t n = (i * np + j) * np + k;
            const double q[3] = {i * L / np, j * L / np, k * L / np};
            const double s = sin(kv[0] * q[0] + kv[1] * q[1] + kv[2] * q[2]);
            for (int a = 0; a < 3; a++) {
              const double exact = -A * kv[a] / k2 * s; /* psi1 = -(A k/|k|^2) sin(k.q) */
              err = fmax(err, fabs(hp_lpt_displacement(l, a)[n] - exact));
              psimax = fmax(psimax, fabs(exact));
              psi2max = fmax(psi2max, fabs(hp_lpt_velocity(l, a)[n]));
            }
          }
      assert_true(psimax > 0.1);
      assert_true(err < 1e-6 * psimax);
      assert_true(psi2max < 1e-6 * psimax); /* rank-1 Hessian: the source vanishes */
      hp_lpt_destroy(l);
    }
}

static void test_two_orthogonal_waves(void **state) {
  (void)state;
  const int64_t np = 32, n1 = 1, n2 = 2;
  const double L = 100, A = 0.1, B = 0.05;
  const double k1 = 2 * M_PI * n1 / L, k2 = 2 * M_PI * n2 / L, c = A * B / (k1 * k1 + k2 * k2);
  for (int dealias = 0; dealias < 2; dealias++) {
    hp_lpt *l = make_plan(np, L, 2, dealias, 2);
    set_cos_mode(l, np, n1, 0, 0, A);
    set_cos_mode(l, np, 0, n2, 0, B);
    hp_status st;
    assert_int_equal(hp_lpt_execute(l, &SPLIT, &st), 0);
    double err1 = 0, err2 = 0;
    for (int64_t i = 0; i < np; i++)
      for (int64_t j = 0; j < np; j++)
        for (int64_t k = 0; k < np; k++) {
          const int64_t n = (i * np + j) * np + k;
          const double s1 = sin(k1 * i * L / np), c1 = cos(k1 * i * L / np);
          const double s2 = sin(k2 * j * L / np), c2 = cos(k2 * j * L / np);
          const double g2[3] = {c * k1 * s1 * c2, c * k2 * c1 * s2, 0};
          const double p1[3] = {-A / k1 * s1, -B / k2 * s2, 0};
          for (int a = 0; a < 3; a++) {
            err1 = fmax(err1, fabs(hp_lpt_displacement(l, a)[n] - p1[a]));
            err2 = fmax(err2, fabs(hp_lpt_velocity(l, a)[n] - g2[a]));
          }
        }
    /* max |grad phi2| = 0.0318 (reference); float arithmetic */
    assert_true(err2 < 1e-6 * 0.03183099);
    assert_true(err1 < 1e-6 * 1.59);
    /* sample values of the reference table: (grad phi2) at (10,3,1) and (7,27,16) */
    const float *gx = hp_lpt_velocity(l, 0), *gy = hp_lpt_velocity(l, 1);
    assert_float_equal(gx[(10 * np + 3) * np + 1], 5.6269769760e-03, 1e-8);
    assert_float_equal(gy[(10 * np + 3) * np + 1], -1.1253953952e-02, 1e-8);
    assert_float_equal(gx[(7 * np + 27) * np + 16], -5.9735668959e-03, 1e-8);
    assert_float_equal(gy[(7 * np + 27) * np + 16], -5.7372159722e-03, 1e-8);
    hp_lpt_counters cnt = hp_lpt_get_counters(l);
    assert_int_equal(cnt.fft_np, dealias ? 6 : 13);
    assert_int_equal(cnt.fft_dealias, dealias ? 8 : 0);
    hp_lpt_destroy(l);
  }
}

static hp_cosmology *planck(void) {
  hp_cosmo_desc d = {0};
  d.omega_m = 0.315, d.omega_l = 0.685, d.omega_b = 0.049, d.h = 0.68, d.sigma8 = 0.81;
  d.n_s = 0.97, d.t_cmb = 2.7255, d.power = HP_POWER_EH98;
  hp_cosmology *c = NULL;
  hp_status st;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), 0);
  return c;
}

static hp_lpt *seeded(hp_cosmology *c, int64_t np, double L, int order, int dealias, int nthreads,
                      int fixed) {
  hp_lpt *l = make_plan(np, L, order, dealias, nthreads);
  hp_noise_desc nd = {12345, fixed, 0};
  hp_status st;
  assert_int_equal(hp_lpt_set_linear(l, c, &nd, &st), 0);
  return l;
}

static void test_thread_count_bit_identical(void **state) {
  hp_cosmology *c = *state;
  hp_lpt_factors f;
  hp_status st;
  assert_int_equal(hp_lpt_factors_at(c, 1.0 / 11, &f, &st), 0);
  for (int dealias = 0; dealias < 2; dealias++) {
    hp_lpt *l1 = seeded(c, 64, 200, 2, dealias, 1, 0);
    assert_int_equal(hp_lpt_execute(l1, &f, &st), 0);
    assert_true(max_abs(hp_lpt_displacement(l1, 0), 64 * 64 * 64) > 0.1);
    for (int threads = 2; threads <= 3; threads++) {
      hp_lpt *l2 = seeded(c, 64, 200, 2, dealias, threads, 0);
      assert_int_equal(hp_lpt_execute(l2, &f, &st), 0);
      for (int a = 0; a < 3; a++) {
        assert_memory_equal(hp_lpt_displacement(l1, a), hp_lpt_displacement(l2, a),
                            64 * 64 * 64 * 4);
        assert_memory_equal(hp_lpt_velocity(l1, a), hp_lpt_velocity(l2, a), 64 * 64 * 64 * 4);
      }
      hp_lpt_destroy(l2);
    }
    hp_lpt_destroy(l1);
  }
}

/* Forward FFT of a displacement component, returned as half-complex (caller frees). */
static fftwf_complex *forward(const float *field, int64_t np) {
  float *in = fftwf_malloc(sizeof(float) * np * np * np);
  fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * np * np * (np / 2 + 1));
  fftwf_plan p = fftwf_plan_dft_r2c_3d(np, np, np, in, out, FFTW_ESTIMATE);
  memcpy(in, field, sizeof(float) * np * np * np);
  fftwf_execute(p);
  fftwf_destroy_plan(p);
  fftwf_free(in);
  return out;
}

static void test_resolution_independence(void **state) {
  hp_cosmology *c = *state;
  hp_lpt *lo = seeded(c, 64, 256, 1, 0, 2, 0), *hi = seeded(c, 128, 256, 1, 0, 2, 0);
  hp_lpt_factors f = {1, 0, 0, 0};
  hp_status st;
  assert_int_equal(hp_lpt_execute(lo, &f, &st), 0);
  assert_int_equal(hp_lpt_execute(hi, &f, &st), 0);
  /* delta_k: identical values on every mode shared by both grids */
  float(*Kl)[2] = hp_lpt_delta_k(lo), (*Kh)[2] = hp_lpt_delta_k(hi);
  fftwf_complex *Fl = forward(hp_lpt_displacement(lo, 0), 64);
  fftwf_complex *Fh = forward(hp_lpt_displacement(hi, 0), 128);
  int64_t shared = 0;
  double maxdiff = 0, maxmag = 0;
  for (int64_t kx = -31; kx <= 31; kx++)
    for (int64_t ky = -31; ky <= 31; ky++)
      for (int64_t kz = 0; kz <= 31; kz++) {
        const int64_t il = (((kx + 64) % 64) * 64 + (ky + 64) % 64) * 33 + kz;
        const int64_t ih = (((kx + 128) % 128) * 128 + (ky + 128) % 128) * 65 + kz;
        assert_true(Kl[il][0] == Kh[ih][0] && Kl[il][1] == Kh[ih][1]);
        /* displacement modes: FFT normalisation differs by the grid volume ratio 8 */
        const double re = Fh[ih][0] / 8.0, im = Fh[ih][1] / 8.0;
        maxmag = fmax(maxmag, hypot(re, im));
        maxdiff = fmax(maxdiff, hypot(Fl[il][0] - re, Fl[il][1] - im));
        shared++;
      }
  assert_true(shared > 100000);
  assert_true(maxmag > 0);
  assert_true(maxdiff < 1e-5 * maxmag); /* float FFT rounding only */
  fftwf_free(Fl);
  fftwf_free(Fh);
  hp_lpt_destroy(lo);
  hp_lpt_destroy(hi);
}

/* Binned P(k) of the plan's delta_k: mean V |c_k|^2 / P(k) per shell, counting each mode once. */
static void measure_ratio(hp_lpt *l, hp_cosmology *c, int64_t np, double L, double *ratio,
                          double *nmodes, int nbins) {
  float(*K)[2] = hp_lpt_delta_k(l);
  const int64_t nzc = np / 2 + 1;
  for (int b = 0; b < nbins; b++) ratio[b] = nmodes[b] = 0;
  for (int64_t ix = 0; ix < np; ix++)
    for (int64_t iy = 0; iy < np; iy++)
      for (int64_t iz = 1; iz < np / 2; iz++) { /* kz > 0: each independent mode once */
        const int64_t sx = ix <= np / 2 ? ix : ix - np, sy = iy <= np / 2 ? iy : iy - np;
        const double kn = sqrt((double)(sx * sx + sy * sy + iz * iz));
        const int b = (int)(kn / (np / 2.0) * nbins);
        if (b >= nbins || ix == np / 2 || iy == np / 2) continue;
        const float *m = K[(ix * np + iy) * nzc + iz];
        const double p = (m[0] * (double)m[0] + m[1] * (double)m[1]) * L * L * L;
        ratio[b] += p / hp_cosmo_power(c, 2 * M_PI / L * kn);
        nmodes[b] += 1;
      }
  for (int b = 0; b < nbins; b++) ratio[b] /= nmodes[b];
}

static void test_power_spectrum_of_field(void **state) {
  hp_cosmology *c = *state;
  enum { NB = 8 };
  double r[NB], nm[NB];
  hp_lpt *l = seeded(c, 64, 500, 2, 0, 2, 0);
  measure_ratio(l, c, 64, 500, r, nm, NB);
  double chi2 = 0;
  for (int b = 0; b < NB; b++) {
    const double sigma = 1 / sqrt(nm[b]); /* |g|^2 is Exp(1): relative sd 1 per mode */
    assert_true(fabs(r[b] - 1) < 4 * sigma);
    chi2 += pow((r[b] - 1) / sigma, 2);
  }
  assert_true(chi2 < 30); /* 8 bins: p < 1e-3 */
  hp_lpt_destroy(l);
  hp_lpt *lf = seeded(c, 64, 500, 2, 0, 2, 1);
  measure_ratio(lf, c, 64, 500, r, nm, NB);
  for (int b = 0; b < NB; b++) assert_true(fabs(r[b] - 1) < 1e-5);
  hp_lpt_destroy(lf);
}

static void test_dealias_matches_direct_when_band_limited(void **state) {
  hp_cosmology *c = *state;
  const int64_t np = 32, nzc = 17;
  hp_lpt *ld = seeded(c, np, 100, 2, 0, 2, 0), *la = seeded(c, np, 100, 2, 1, 2, 0);
  hp_lpt *ls[2] = {ld, la};
  for (int p = 0; p < 2; p++) { /* keep |k_i| < np/4: products stay below Nyquist */
    float(*K)[2] = hp_lpt_delta_k(ls[p]);
    for (int64_t ix = 0; ix < np; ix++)
      for (int64_t iy = 0; iy < np; iy++)
        for (int64_t iz = 0; iz < nzc; iz++) {
          const int64_t sx = ix <= np / 2 ? ix : np - ix, sy = iy <= np / 2 ? iy : np - iy;
          if (sx >= np / 4 || sy >= np / 4 || iz >= np / 4)
            K[(ix * np + iy) * nzc + iz][0] = K[(ix * np + iy) * nzc + iz][1] = 0;
        }
  }
  hp_status st;
  assert_int_equal(hp_lpt_execute(ld, &SPLIT, &st), 0);
  assert_int_equal(hp_lpt_execute(la, &SPLIT, &st), 0);
  const int64_t n3 = np * np * np;
  double scale = max_abs(hp_lpt_velocity(ld, 0), n3), err = 0;
  assert_true(scale > 0);
  for (int a = 0; a < 3; a++)
    for (int64_t n = 0; n < n3; n++)
      err = fmax(err, fabs(hp_lpt_velocity(ld, a)[n] - hp_lpt_velocity(la, a)[n]));
  assert_true(err < 1e-5 * scale);
  hp_lpt_destroy(ld);
  hp_lpt_destroy(la);
}

static void test_bad_descriptors(void **state) {
  (void)state;
  hp_status st;
  hp_lpt *l = NULL;
  hp_lpt_desc odd = {33, 100, 2, 0, 1}, order = {32, 100, 3, 0, 1}, box = {32, -1, 2, 0, 1};
  assert_int_equal(hp_lpt_create(&l, &odd, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "NParticles = 33"));
  assert_int_equal(hp_lpt_create(&l, &order, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "LPTOrder"));
  assert_int_equal(hp_lpt_create(&l, &box, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "BoxSize"));
  assert_null(l);
}

static int setup(void **state) {
  *state = planck();
  return 0;
}
static int teardown(void **state) {
  hp_cosmology_free(*state);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_plane_wave),
      cmocka_unit_test(test_two_orthogonal_waves),
      cmocka_unit_test(test_thread_count_bit_identical),
      cmocka_unit_test(test_resolution_independence),
      cmocka_unit_test(test_power_spectrum_of_field),
      cmocka_unit_test(test_dealias_matches_direct_when_band_limited),
      cmocka_unit_test(test_bad_descriptors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
