/*
 * The user's own initial field (lpt/field_file.h, hp_lpt_set_initial): a written field read
 * back gives the same modes and particles bit for bit; a real-space cosine is read as its one
 * Fourier mode; a coarser grid is zero-padded; a white-noise file equals a float64 DFT of it;
 * and every bad file is refused with a message that names it.
 */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lpt/lpt_linear.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/hp_field_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static hp_cosmology *cosmology(void) {
  hp_cosmo_desc cd = {0};
  cd.omega_m = 0.31, cd.omega_l = 0.69, cd.omega_b = 0.049, cd.h = 0.68, cd.sigma8 = 0.81;
  cd.n_s = 0.96, cd.t_cmb = 2.7255;
  hp_cosmology *c = NULL;
  hp_status st;
  assert_int_equal(hp_cosmology_create(&c, &cd, &st), 0);
  return c;
}

static hp_lpt *plan(int64_t np, double box) {
  hp_lpt_desc d = {np, box, 2, 0, 1};
  hp_lpt *l = NULL;
  hp_status st;
  assert_int_equal(hp_lpt_create(&l, &d, &st), 0);
  return l;
}

static int64_t nmodes(int64_t np) { return np * np * (np / 2 + 1); }

/** An HDF5 file with a BoxSize attribute and one double dataset of the given shape. */
static void write_file(const char *path, double box, const char *name, int rank,
                       const hsize_t *dims, const double *v) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "BoxSize", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Awrite(a, H5T_NATIVE_DOUBLE, &box) >= 0);
  H5Aclose(a), H5Sclose(s);
  s = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(f, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  H5Dclose(d), H5Sclose(s), H5Fclose(f);
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

/* WriteLinearField's file read back: the same modes and the same displacements, bit for bit;
 * and its power against the cosmology's P(k) is about 1. */
static void test_round_trip(void **state) {
  (void)state;
  const int64_t np = 16;
  const double box = 64.0;
  hp_cosmology *c = cosmology();
  hp_lpt *a = plan(np, box), *b = plan(np, box);
  hp_status st;
  hp_initial_desc seeded = {{11, 0, 0}, "", ""};
  assert_int_equal(hp_lpt_set_initial(a, c, &seeded, NULL, &st), 0);
  char path[128];
  path_of(path, sizeof path, "field.h5");
  assert_int_equal(
      hp_field_write_linear(path, (const float(*)[2])hp_lpt_delta_k(a), np, box, NULL, 1, &st), 0);
  hp_initial_desc file = {{99, 0, 0}, "", path};
  hp_field_info fi;
  assert_int_equal(hp_lpt_set_initial(b, c, &file, &fi, &st), 0);
  assert_int_equal(fi.n, np);
  assert_int_equal(fi.fourier, 1);
  assert_memory_equal(hp_lpt_delta_k(a), hp_lpt_delta_k(b), sizeof(float[2]) * nmodes(np));
  const hp_lpt_factors f = {1.0, -3.0 / 7.0, 50.0, -40.0};
  assert_int_equal(hp_lpt_execute(a, &f, &st), 0);
  assert_int_equal(hp_lpt_execute(b, &f, &st), 0);
  for (int ax = 0; ax < 3; ax++) {
    assert_memory_equal(hp_lpt_displacement(a, ax), hp_lpt_displacement(b, ax),
                        sizeof(float) * np * np * np);
    assert_memory_equal(hp_lpt_velocity(a, ax), hp_lpt_velocity(b, ax),
                        sizeof(float) * np * np * np);
  }
  /* ~1,000 modes below half the Nyquist wavenumber: the ratio is 1 within ~5 % */
  assert_true(fi.power_ratio > 0.85 && fi.power_ratio < 1.15);
  /* PhaseFlip negates the file's field */
  file.noise.phase_flip = 1;
  assert_int_equal(hp_lpt_set_initial(b, c, &file, NULL, &st), 0);
  const float(*ka)[2] = (const float(*)[2])hp_lpt_delta_k(a);
  const float(*kb)[2] = (const float(*)[2])hp_lpt_delta_k(b);
  for (int64_t i = 0; i < nmodes(np); i++) {
    assert_true(kb[i][0] == -ka[i][0]);
    assert_true(kb[i][1] == -ka[i][1]);
  }
  hp_lpt_destroy(a), hp_lpt_destroy(b), hp_cosmology_free(c);
}

/* A real-space cosine A cos(2 pi (m x + l y) / L) on a coarse 8^3 grid read into 16^3: its two
 * modes (m, l, 0) and (-m, -l, 0) hold A / 2, every other mode is zero (the analytic
 * transform); a Nyquist cosine of the coarse grid is dropped. */
static void test_real_space_and_padding(void **state) {
  (void)state;
  const int64_t n = 8, np = 16;
  const double box = 100.0, A = 0.3;
  double *v = malloc(sizeof *v * (size_t)(n * n * n));
  for (int64_t x = 0; x < n; x++)
    for (int64_t y = 0; y < n; y++)
      for (int64_t z = 0; z < n; z++)
        v[(x * n + y) * n + z] =
            A * cos(2.0 * M_PI * (2.0 * x + 1.0 * y) / n) + 0.1 * cos(M_PI * z); /* Nyquist z */
  char path[128];
  path_of(path, sizeof path, "coarse.h5");
  const hsize_t dims[3] = {8, 8, 8};
  write_file(path, box, "delta", 3, dims, v);
  free(v);
  hp_cosmology *c = cosmology();
  hp_lpt *l = plan(np, box);
  hp_status st;
  hp_initial_desc d = {{1, 0, 0}, "", path};
  hp_field_info fi;
  assert_int_equal(hp_lpt_set_initial(l, c, &d, &fi, &st), 0);
  assert_int_equal(fi.n, n);
  assert_int_equal(fi.fourier, 0);
  const float(*K)[2] = (const float(*)[2])hp_lpt_delta_k(l);
  const int64_t nzc = np / 2 + 1;
  for (int64_t ix = 0; ix < np; ix++)
    for (int64_t iy = 0; iy < np; iy++)
      for (int64_t iz = 0; iz < nzc; iz++) {
        const float *m = K[(ix * np + iy) * nzc + iz];
        const int on = iz == 0 && ((ix == 2 && iy == 1) || (ix == np - 2 && iy == np - 1));
        assert_float_equal(m[0], on ? A / 2 : 0.0, 1e-6);
        assert_float_equal(m[1], 0.0, 1e-6);
      }
  hp_lpt_destroy(l), hp_cosmology_free(c);
}

/* A white-noise file equals a float64 DFT of its values divided by sqrt(N^3), with the mean
 * and the Nyquist modes zeroed; then scaled like the seeded noise. */
static void test_white_noise(void **state) {
  (void)state;
  const int64_t np = 8, n3 = np * np * np, nzc = np / 2 + 1;
  const double box = 64.0;
  double *w = malloc(sizeof *w * (size_t)n3), mean = 0, var = 0;
  srand(7);
  for (int64_t i = 0; i < n3; i++) {
    const double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = rand() / (RAND_MAX + 1.0);
    w[i] = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
    mean += w[i] / n3;
  }
  for (int64_t i = 0; i < n3; i++) var += (w[i] - mean) * (w[i] - mean) / n3;
  for (int64_t i = 0; i < n3; i++) w[i] = (w[i] - mean) / sqrt(var); /* exactly unit variance */
  char path[128];
  path_of(path, sizeof path, "noise.h5");
  const hsize_t dims[3] = {8, 8, 8};
  write_file(path, box, "white_noise", 3, dims, w);
  hp_cosmology *c = cosmology();
  hp_lpt *l = plan(np, box);
  hp_status st;
  hp_field_info fi;
  assert_int_equal(hp_field_read_noise(path, np, hp_lpt_delta_k(l), &fi, 1, &st), 0);
  assert_float_equal(fi.var, 1.0, 1e-6);
  const float(*K)[2] = (const float(*)[2])hp_lpt_delta_k(l);
  for (int64_t kx = 0; kx < np; kx++)
    for (int64_t ky = 0; ky < np; ky++)
      for (int64_t kz = 0; kz < nzc; kz++) {
        double re = 0, im = 0;
        for (int64_t x = 0; x < np; x++)
          for (int64_t y = 0; y < np; y++)
            for (int64_t z = 0; z < np; z++) {
              const double ph = -2.0 * M_PI * (double)(kx * x + ky * y + kz * z) / np;
              re += w[(x * np + y) * np + z] * cos(ph);
              im += w[(x * np + y) * np + z] * sin(ph);
            }
        const int zero = kx == np / 2 || ky == np / 2 || kz == np / 2 || (!kx && !ky && !kz);
        const double s = zero ? 0.0 : 1.0 / sqrt((double)n3);
        const float *m = K[(kx * np + ky) * nzc + kz];
        assert_float_equal(m[0], re * s, 1e-5);
        assert_float_equal(m[1], im * s, 1e-5);
      }
  /* through hp_lpt_set_initial: the same noise times sqrt(P(k)/V), as the seeded path scales */
  float(*copy)[2] = malloc(sizeof *copy * (size_t)(np * np * nzc));
  memcpy(copy, K, sizeof *copy * (size_t)(np * np * nzc));
  hp_initial_desc d = {{1, 0, 0}, path, ""};
  assert_int_equal(hp_lpt_set_initial(l, c, &d, NULL, &st), 0);
  const double kf = 2.0 * M_PI / box, vol = box * box * box;
  for (int64_t kx = 0; kx < np; kx++)
    for (int64_t ky = 0; ky < np; ky++)
      for (int64_t kz = 1; kz < np / 2; kz++) {
        const int64_t sx = kx <= np / 2 ? kx : kx - np, sy = ky <= np / 2 ? ky : ky - np;
        const double amp =
            sqrt(hp_cosmo_power(c, kf * sqrt((double)(sx * sx + sy * sy + kz * kz))) / vol);
        const int64_t i = (kx * np + ky) * nzc + kz;
        assert_float_equal(K[i][0], copy[i][0] * amp, 1e-5 * amp + 1e-9);
      }
  free(copy), free(w);
  hp_lpt_destroy(l), hp_cosmology_free(c);
}

/* Bad files and combinations: refused, and the message names the file and what is wrong. */
static void test_refusals(void **state) {
  (void)state;
  const int64_t np = 8;
  hp_cosmology *c = cosmology();
  hp_lpt *l = plan(np, 64.0);
  hp_status st;
  char good[128], nan_path[128], fine[128], odd[128];
  path_of(good, sizeof good, "good.h5");
  path_of(nan_path, sizeof nan_path, "nan.h5");
  path_of(fine, sizeof fine, "fine.h5");
  path_of(odd, sizeof odd, "odd.h5");
  double v[16 * 16 * 16] = {0};
  const hsize_t d8[3] = {8, 8, 8}, d16[3] = {16, 16, 16}, d7[3] = {8, 8, 7};
  write_file(good, 64.0, "delta", 3, d8, v);
  v[3 * 64 + 2 * 8 + 5] = NAN;
  write_file(nan_path, 64.0, "delta", 3, d8, v);
  v[3 * 64 + 2 * 8 + 5] = 0;
  write_file(fine, 64.0, "delta", 3, d16, v);
  write_file(odd, 64.0, "delta", 3, d7, v);
  struct {
    const char *noise, *field, *expect;
    int fixed;
    double box;
  } cases[] = {
      {"", nan_path, "[3][2][5]", 0, 64.0},
      {"", good, "BoxSize 64", 0, 80.0},
      {"", fine, "finer than NParticles", 0, 64.0},
      {"", odd, "expected shape (n, n, n)", 0, 64.0},
      {"", good, "FixedAmplitude", 1, 64.0},
      {"", "/nonexistent/f.h5", "/nonexistent/f.h5", 0, 64.0},
      {good, "", "white_noise", 0, 64.0},
      {good, good, "both set", 0, 64.0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hp_lpt *lb = plan(np, cases[i].box);
    hp_initial_desc d = {{1, cases[i].fixed, 0}, cases[i].noise, cases[i].field};
    double bytes;
    hp_status_clear(&st);
    int rc = hp_lpt_initial_check(&d, np, &bytes, &st);
    if (!rc) rc = hp_lpt_set_initial(lb, c, &d, NULL, &st);
    if (!rc || !strstr(st.msg, cases[i].expect))
      fail_msg("case %zu: rc %d, message \"%s\", expected it to contain \"%s\"", i, rc, st.msg,
               cases[i].expect);
    hp_lpt_destroy(lb);
  }
  hp_lpt_destroy(l), hp_cosmology_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_real_space_and_padding),
      cmocka_unit_test(test_white_noise),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
