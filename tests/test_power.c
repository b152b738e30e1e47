/*
 * Linear power spectrum tests against independent truth:
 * - EH98 wiggle and no-wiggle T(k), sigma8-normalised P(k), sigma(R) and A for the central
 *   cosmology, copied from shared/reference/README.md (computed there from scratch in float64
 *   and cross-checked against Eisenstein & Hu's tf_fit.c);
 * - a second cosmology, evaluated by a separate pure-Python implementation (see the comment
 *   above COSMO_B);
 * - T(k -> 0) = 1; round trips through tabulated P(k) and T(k) files; every malformed file
 *   gives a nonzero code and a message naming the file.
 */
#define _POSIX_C_SOURCE 200809L
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

#include "lpt/cosmology.h"
#include "lpt/power.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double relerr(double x, double ref) { return fabs(x / ref - 1.0); }

#define CHECK_REL(x, ref, tol, maxerr)                                                     \
  do {                                                                                     \
    const double e_ = relerr((x), (ref));                                                  \
    if (e_ > (maxerr)) (maxerr) = e_;                                                      \
    if (!(e_ <= (tol)))                                                                    \
      fail_msg("%s = %.12e, expected %.12e (relative error %.3e > %.1e)", #x, (double)(x), \
               (double)(ref), e_, (double)(tol));                                          \
  } while (0)

/* ---- central cosmology (shared/reference/README.md, "Cosmology A") ---- */

static hp_cosmo_desc cosmo_a(int power) {
  hp_cosmo_desc d = {0};
  d.omega_m = 0.315;
  d.omega_l = 0.685;
  d.omega_b = 0.049;
  d.h = 0.68;
  d.sigma8 = 0.81;
  d.n_s = 0.97;
  d.t_cmb = 2.7255;
  d.power = power;
  return d;
}

static hp_cosmology *make(const hp_cosmo_desc *d) {
  hp_status st;
  hp_status_clear(&st);
  hp_cosmology *c = NULL;
  const int rc = hp_cosmology_create(&c, d, &st);
  if (rc) fail_msg("hp_cosmology_create: %s", st.msg);
  assert_non_null(c);
  return c;
}

static const double REF_K[8] = {0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0};
static const double REF_T_W[8] = {9.9252788098e-01, 7.8467643710e-01, 2.7714824748e-01,
                                  1.3508175427e-01, 5.6894550595e-02, 1.4629116075e-02,
                                  4.8719870082e-03, 3.1918947464e-04};
static const double REF_T_NW[8] = {9.9235038530e-01, 7.9069106890e-01, 2.8446674306e-01,
                                   1.3713608106e-01, 5.6510175334e-02, 1.4635226384e-02,
                                   4.8426427018e-03, 3.1587185142e-04};
static const double REF_P_W[8] = {3.4549176899e+03, 2.0152711953e+04, 1.1977810895e+04,
                                  5.5737265563e+03, 1.9368353945e+03, 3.1145072808e+02,
                                  6.7665067219e+01, 1.3837266413e+00};
static const double REF_P_NW[8] = {3.4293170803e+03, 2.0318480380e+04, 1.2529722779e+04,
                                   5.7040198234e+03, 1.8972735954e+03, 3.0951189969e+02,
                                   6.6380789253e+01, 1.3455514647e+00};
static const double REF_R[3] = {1.0, 4.0, 16.0};
static const double REF_SIG_W[3] = {2.4494022022, 1.2513159232, 0.4771578956};
static const double REF_SIG_NW[3] = {2.4316938686, 1.2501064873, 0.4764392256};
static const double REF_A_W = 2.850704980854e+06, REF_A_NW = 2.830593840219e+06;

static void test_reference_transfer(void **state) {
  (void)state;
  hp_cosmo_desc dw = cosmo_a(HP_POWER_EH98), dn = cosmo_a(HP_POWER_EH98_NOWIGGLE);
  hp_cosmology *cw = make(&dw), *cn = make(&dn);
  double ew = 0, en = 0;
  for (int i = 0; i < 8; i++) {
    CHECK_REL(hp_cosmo_transfer(cw, REF_K[i]), REF_T_W[i], 1e-6, ew);
    CHECK_REL(hp_cosmo_transfer(cn, REF_K[i]), REF_T_NW[i], 1e-6, en);
  }
  print_message("  max rel err vs reference: T_EH98 %.2e, T_nowiggle %.2e\n", ew, en);
  hp_cosmology_free(cw);
  hp_cosmology_free(cn);
}

static void test_reference_power_sigma(void **state) {
  (void)state;
  hp_cosmo_desc dw = cosmo_a(HP_POWER_EH98), dn = cosmo_a(HP_POWER_EH98_NOWIGGLE);
  hp_cosmology *cw = make(&dw), *cn = make(&dn);
  double ew = 0, en = 0, sw = 0, sn = 0, aw = 0, an = 0, s8 = 0;
  for (int i = 0; i < 8; i++) {
    CHECK_REL(hp_cosmo_power(cw, REF_K[i]), REF_P_W[i], 1e-4, ew);
    CHECK_REL(hp_cosmo_power(cn, REF_K[i]), REF_P_NW[i], 1e-4, en);
  }
  for (int i = 0; i < 3; i++) {
    CHECK_REL(hp_cosmo_sigma(cw, REF_R[i]), REF_SIG_W[i], 1e-4, sw);
    CHECK_REL(hp_cosmo_sigma(cn, REF_R[i]), REF_SIG_NW[i], 1e-4, sn);
  }
  CHECK_REL(hp_cosmo_amplitude(cw), REF_A_W, 1e-4, aw);
  CHECK_REL(hp_cosmo_amplitude(cn), REF_A_NW, 1e-4, an);
  CHECK_REL(hp_cosmo_sigma(cw, 8.0), 0.81, 1e-8, s8);
  CHECK_REL(hp_cosmo_sigma(cn, 8.0), 0.81, 1e-8, s8);
  /* P = A k^ns T^2 holds exactly */
  for (int i = 0; i < 8; i++) {
    const double t = hp_cosmo_transfer(cw, REF_K[i]);
    assert_true(relerr(hp_cosmo_power(cw, REF_K[i]),
                       hp_cosmo_amplitude(cw) * pow(REF_K[i], 0.97) * t * t) < 1e-14);
  }
  print_message(
      "  max rel err vs reference: P wiggle %.2e, P nowiggle %.2e, sigma wiggle %.2e, "
      "sigma nowiggle %.2e, A %.2e / %.2e, |sigma(8)/sigma8-1| %.2e\n",
      ew, en, sw, sn, aw, an, s8);
  hp_cosmology_free(cw);
  hp_cosmology_free(cn);
}

/* ---- second cosmology, independent evaluation ----
 * COSMO_B: Omega_m = 0.25, Omega_b = 0.04, h = 0.7, T_cmb = 2.7255 K, n_s = 0.96, sigma8 = 0.8.
 * Numbers made with a separate pure-Python (math module only) transcription of EH98 eq. 2-31 in
 * the tf_fit.c conventions of shared/reference/README.md §3, written independently of this C
 * code (the same script reproduces the README's Cosmology A table to all 11 printed digits);
 * sigma from composite 32-point Gauss-Legendre on 2000 segments of ln k in [1e-9, 1e5]
 * (changing to 4000 segments on [1e-10, 1e6] changes sigma^2 by 9e-15). Printed with %.12e. */
static const double B_K[6] = {0.002, 0.03, 0.07, 0.15, 0.3, 2.0};
static const double B_T_W[6] = {9.659558198697e-01, 3.759631732650e-01, 1.701467486083e-01,
                                6.220470310769e-02, 2.348120717099e-02, 1.098850396662e-03};
static const double B_P_W[6] = {1.106402462599e+04, 2.255988225465e+04, 1.042200406644e+04,
                                2.895368618116e+03, 8.025776400981e+02, 1.086114834379e+01};
static const double B_T_NW[6] = {9.662541879863e-01, 3.800394054096e-01, 1.642495916530e-01,
                                 6.373744986882e-02, 2.356237804866e-02, 1.089881617498e-03};
static const double B_P_NW[6] = {1.095122219277e+04, 2.280261636280e+04, 9.607131420395e+03,
                                 3.006962359184e+03, 7.994027911994e+02, 1.056911120079e+01};
static const double B_SIG_W[3] = {2.273944010129e+00, 1.204511381086e+00, 4.873988244368e-01};
static const double B_SIG_NW[3] = {2.255627129720e+00, 1.202476226511e+00, 4.867639098925e-01};
static const double B_A_W = 4.623914670181e+06, B_A_NW = 4.573945822932e+06;

static hp_cosmo_desc cosmo_b(int power) {
  hp_cosmo_desc d = {0};
  d.omega_m = 0.25;
  d.omega_l = 0.75;
  d.omega_b = 0.04;
  d.h = 0.7;
  d.sigma8 = 0.8;
  d.n_s = 0.96;
  d.t_cmb = 2.7255;
  d.power = power;
  return d;
}

static void test_second_cosmology(void **state) {
  (void)state;
  hp_cosmo_desc dw = cosmo_b(HP_POWER_EH98), dn = cosmo_b(HP_POWER_EH98_NOWIGGLE);
  hp_cosmology *cw = make(&dw), *cn = make(&dn);
  double tw = 0, tn = 0, pw = 0, pn = 0, sw = 0, sn = 0, am = 0;
  for (int i = 0; i < 6; i++) {
    CHECK_REL(hp_cosmo_transfer(cw, B_K[i]), B_T_W[i], 1e-6, tw);
    CHECK_REL(hp_cosmo_transfer(cn, B_K[i]), B_T_NW[i], 1e-6, tn);
    CHECK_REL(hp_cosmo_power(cw, B_K[i]), B_P_W[i], 1e-4, pw);
    CHECK_REL(hp_cosmo_power(cn, B_K[i]), B_P_NW[i], 1e-4, pn);
  }
  for (int i = 0; i < 3; i++) {
    CHECK_REL(hp_cosmo_sigma(cw, REF_R[i]), B_SIG_W[i], 1e-4, sw);
    CHECK_REL(hp_cosmo_sigma(cn, REF_R[i]), B_SIG_NW[i], 1e-4, sn);
  }
  CHECK_REL(hp_cosmo_amplitude(cw), B_A_W, 1e-4, am);
  CHECK_REL(hp_cosmo_amplitude(cn), B_A_NW, 1e-4, am);
  print_message(
      "  cosmology B max rel err: T %.2e / %.2e, P %.2e / %.2e, sigma %.2e / %.2e, "
      "A %.2e (wiggle / nowiggle)\n",
      tw, tn, pw, pn, sw, sn, am);
  hp_cosmology_free(cw);
  hp_cosmology_free(cn);
}

static void test_transfer_low_k(void **state) {
  (void)state;
  for (int kind = HP_POWER_EH98; kind <= HP_POWER_EH98_NOWIGGLE; kind++) {
    hp_cosmo_desc d = cosmo_a(kind);
    hp_cosmology *c = make(&d);
    assert_true(hp_cosmo_transfer(c, 0.0) == 1.0);
    double prev = 1.0;
    for (double k = 1e-12; k < 1e-3; k *= 10.0) {
      const double t = hp_cosmo_transfer(c, k);
      assert_true(isfinite(t));
      assert_true(t <= prev + 1e-15); /* T decreases towards 1 from below as k grows */
      prev = t;
    }
    /* 1 - T ~ 400 q^2 with q = k h / (13.41 k_eq) */
    assert_true(fabs(hp_cosmo_transfer(c, 1e-7) - 1.0) < 1e-9);
    assert_true(fabs(hp_cosmo_transfer(c, 1e-5) - 1.0) < 1e-5);
    assert_true(hp_cosmo_power(c, 0.0) == 0.0);
    /* large k stays finite and positive */
    assert_true(hp_cosmo_transfer(c, 1e4) > 0.0 && isfinite(hp_cosmo_transfer(c, 1e4)));
    hp_cosmology_free(c);
  }
}

/* ---- tabulated files ---- */

static void make_temp(char *path, size_t n) {
  snprintf(path, n, "/tmp/hp_test_power_XXXXXX");
  const int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
}

static void write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

#define NTAB 400
#define TAB_KMIN 1e-4
#define TAB_KMAX 1e2

static void test_pk_file_round_trip(void **state) {
  (void)state;
  hp_cosmo_desc da = cosmo_a(HP_POWER_EH98);
  hp_cosmology *ref = make(&da);
  char path[64];
  make_temp(path, sizeof path);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fprintf(fp, "# k [h/Mpc]   P [(Mpc/h)^3]   (EH98, Cosmology A)\n%% a percent comment\n\n");
  for (int i = 0; i < NTAB; i++) {
    const double k = TAB_KMIN * pow(TAB_KMAX / TAB_KMIN, i / (NTAB - 1.0));
    fprintf(fp, "  %.17g\t%.17g\n", k, hp_cosmo_power(ref, k));
  }
  fclose(fp);

  hp_cosmo_desc df = cosmo_a(HP_POWER_FILE);
  df.power_file = path;
  df.power_file_type = HP_PFILE_PK;
  df.power_file_column = 2;
  df.n_s = 0.5; /* must not matter for a P file */
  hp_cosmology *c = make(&df);
  double ep = 0, es = 0, et = 0;
  for (int i = 0; i < 8; i++) CHECK_REL(hp_cosmo_power(c, REF_K[i]), REF_P_W[i], 1e-4, ep);
  for (int i = 0; i < 3; i++) CHECK_REL(hp_cosmo_sigma(c, REF_R[i]), REF_SIG_W[i], 1e-4, es);
  CHECK_REL(hp_cosmo_sigma(c, 8.0), 0.81, 1e-8, es);
  /* T is sqrt(P / k^ns) normalised at the first k, and P = A k^ns T^2 */
  const double t1 = hp_cosmo_transfer(ref, TAB_KMIN);
  for (int i = 0; i < 8; i++) {
    CHECK_REL(hp_cosmo_transfer(c, REF_K[i]),
              hp_cosmo_transfer(ref, REF_K[i]) / t1 * pow(REF_K[i] / TAB_KMIN, (0.97 - 0.5) / 2),
              1e-4, et);
    const double t = hp_cosmo_transfer(c, REF_K[i]);
    assert_true(relerr(hp_cosmo_power(c, REF_K[i]),
                       hp_cosmo_amplitude(c) * pow(REF_K[i], 0.5) * t * t) < 1e-13);
  }
  assert_true(fabs(hp_cosmo_transfer(c, TAB_KMIN) - 1.0) < 1e-14);
  /* beyond the table: power law through the two end points */
  const double kr = pow(TAB_KMAX / TAB_KMIN, 1.0 / (NTAB - 1.0));
  const double pk_hi = hp_cosmo_power(c, TAB_KMAX), pk_hi2 = hp_cosmo_power(c, TAB_KMAX / kr);
  const double slope = log(pk_hi / pk_hi2) / log(kr);
  assert_true(relerr(hp_cosmo_power(c, 10 * TAB_KMAX), pk_hi * pow(10.0, slope)) < 1e-10);
  const double pk_lo = hp_cosmo_power(c, TAB_KMIN), pk_lo2 = hp_cosmo_power(c, TAB_KMIN * kr);
  const double slope_lo = log(pk_lo2 / pk_lo) / log(kr);
  assert_true(relerr(hp_cosmo_power(c, TAB_KMIN / 100), pk_lo * pow(0.01, slope_lo)) < 1e-10);
  /* the descriptor keeps its own copy of the name */
  assert_string_equal(hp_cosmo_params(c)->power_file, path);
  print_message("  P file round trip max rel err: P %.2e, sigma %.2e, T %.2e\n", ep, es, et);
  hp_cosmology_free(c);
  hp_cosmology_free(ref);
  remove(path);
}

static void test_tk_file_round_trip(void **state) {
  (void)state;
  hp_cosmo_desc dn = cosmo_a(HP_POWER_EH98_NOWIGGLE);
  hp_cosmology *ref = make(&dn);
  char path[64];
  make_temp(path, sizeof path);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fprintf(fp, "# k  junk  T(k)*3.7  junk\n");
  for (int i = 0; i < NTAB; i++) {
    const double k = TAB_KMIN * pow(TAB_KMAX / TAB_KMIN, i / (NTAB - 1.0));
    fprintf(fp, "%.17g -1.5 %.17g nan\n", k, 3.7 * hp_cosmo_transfer(ref, k));
  }
  fclose(fp);

  hp_cosmo_desc df = cosmo_a(HP_POWER_FILE);
  df.power_file = path;
  df.power_file_type = HP_PFILE_TK;
  df.power_file_column = 3;
  hp_cosmology *c = make(&df);
  double ep = 0, es = 0, et = 0;
  for (int i = 0; i < 8; i++) CHECK_REL(hp_cosmo_power(c, REF_K[i]), REF_P_NW[i], 1e-4, ep);
  for (int i = 0; i < 3; i++) CHECK_REL(hp_cosmo_sigma(c, REF_R[i]), REF_SIG_NW[i], 1e-4, es);
  CHECK_REL(hp_cosmo_sigma(c, 8.0), 0.81, 1e-8, es);
  const double t1 = hp_cosmo_transfer(ref, TAB_KMIN);
  for (int i = 0; i < 8; i++) CHECK_REL(hp_cosmo_transfer(c, REF_K[i]), REF_T_NW[i] / t1, 1e-4, et);
  print_message("  T file round trip max rel err: P %.2e, sigma %.2e, T %.2e\n", ep, es, et);
  hp_cosmology_free(c);
  hp_cosmology_free(ref);
  remove(path);
}

/* A power law is exact for a log-log spline, inside and outside the table. */
static void test_ktable_power_law(void **state) {
  (void)state;
  double k[7], y[7];
  for (int i = 0; i < 7; i++) {
    k[i] = 0.01 * pow(3.0, i);
    y[i] = 5.0 * pow(k[i], -2.5);
  }
  hp_status st;
  hp_status_clear(&st);
  hp_ktable *t = NULL;
  assert_int_equal(hp_ktable_create(&t, k, y, 7, "P(k)", &st), 0);
  for (double kk = 1e-4; kk < 1e3; kk *= 1.7)
    assert_true(relerr(hp_ktable_eval(t, kk), 5.0 * pow(kk, -2.5)) < 1e-12);
  size_t n = 0;
  double lo = 0, hi = 0;
  hp_ktable_range(t, &n, &lo, &hi);
  assert_int_equal(n, 7);
  assert_true(relerr(lo, 0.01) < 1e-15 && relerr(hi, 0.01 * 729) < 1e-14);
  hp_ktable_free(t);
  /* too few points, non-increasing k */
  assert_int_equal(hp_ktable_create(&t, k, y, 3, "P(k)", &st), HP_ERR_INPUT);
  assert_null(t);
  k[3] = k[2];
  assert_int_equal(hp_ktable_create(&t, k, y, 7, "P(k)", &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "row 4"));
}

struct bad_case {
  const char *text;   /* file contents (NULL: the file does not exist) */
  int type, column;   /* file type and column */
  int code;           /* expected code */
  const char *needle; /* expected in the message besides the file name */
};

static void test_bad_files(void **state) {
  (void)state;
  static const struct bad_case cases[] = {
      {NULL, HP_PFILE_PK, 2, HP_ERR_IO, "cannot open"},
      {"# k P\n0.1 1\n0.2 abc\n0.3 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "line 3"},
      {"0.1 1\n0.2 1.5x\n0.3 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "'1.5x'"},
      {"0.1 1\n0.2 inf\n0.3 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "not a finite number"},
      {"0.1 1 2\n0.2 1 2\n0.3 1\n0.4 1 2\n", HP_PFILE_TK, 3, HP_ERR_FORMAT, "line 3"},
      {"0.1\n0.2\n0.3\n0.4\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "1 column"},
      {"0.1 1\n0.3 1\n0.2 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "line 3"},
      {"0.1 1\n0.2 1\n0.2 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "increas"},
      {"0.1 1\n0.2 0\n0.3 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "must be positive"},
      {"0.1 1\n0.2 1\n0.3 -2\n0.4 1\n", HP_PFILE_TK, 2, HP_ERR_FORMAT, "line 3"},
      {"-0.1 1\n0.2 1\n0.3 1\n0.4 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "k = -0.1"},
      {"# only three rows\n0.1 1\n0.2 1\n0.3 1\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "3 data rows"},
      {"# nothing\n", HP_PFILE_PK, 2, HP_ERR_FORMAT, "0 data rows"},
      {"0.1 1\n0.2 1\n0.3 1\n0.4 1\n", HP_PFILE_PK, 1, HP_ERR_INPUT, "column"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[64];
    make_temp(path, sizeof path);
    if (cases[i].text)
      write_file(path, cases[i].text);
    else
      remove(path);
    hp_cosmo_desc d = cosmo_a(HP_POWER_FILE);
    d.power_file = path;
    d.power_file_type = cases[i].type;
    d.power_file_column = cases[i].column;
    hp_status st;
    hp_status_clear(&st);
    hp_cosmology *c = (hp_cosmology *)&st; /* must be reset to NULL */
    const int rc = hp_cosmology_create(&c, &d, &st);
    if (rc != cases[i].code || !strstr(st.msg, path) || !strstr(st.msg, cases[i].needle))
      fail_msg("case %zu: code %d (expected %d), message '%s' (expected the file name and '%s')", i,
               rc, cases[i].code, st.msg, cases[i].needle);
    assert_null(c);
    remove(path);
  }
}

static void test_bad_descriptors(void **state) {
  (void)state;
  hp_status st;
  hp_cosmology *c = NULL;
  hp_cosmo_desc d = cosmo_a(HP_POWER_EH98);
  d.power = 7;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "unknown power spectrum kind 7"));
  d = cosmo_a(HP_POWER_EH98);
  d.sigma8 = 0.0;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "sigma8"));
  d = cosmo_a(HP_POWER_EH98);
  d.t_cmb = 0.0;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "T_cmb"));
  d = cosmo_a(HP_POWER_EH98);
  d.omega_b = 0.0;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "no-wiggle"));
  d = cosmo_a(HP_POWER_EH98_NOWIGGLE);
  d.omega_b = 0.0; /* allowed: zero-baryon shape */
  assert_int_equal(hp_cosmology_create(&c, &d, &st), 0);
  assert_true(relerr(hp_cosmo_sigma(c, 8.0), 0.81) < 1e-8);
  hp_cosmology_free(c);
  d = cosmo_a(HP_POWER_EH98);
  d.omega_b = 0.4;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "OmegaBaryon"));
  d = cosmo_a(HP_POWER_EH98);
  d.n_s = NAN;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  d = cosmo_a(HP_POWER_FILE);
  d.power_file = NULL;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "file"));
  d = cosmo_a(HP_POWER_FILE);
  d.power_file = "/nonexistent";
  d.power_file_type = 5;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), HP_ERR_INPUT);
  assert_null(c);
}

static double pk_gauss(const void *ctx, double k) {
  (void)ctx;
  return exp(-k * k) / (k * k);
}
static double pk_minus2(const void *ctx, double k) {
  (void)ctx;
  return 1.0 / (k * k);
}

/* The window and the sigma quadrature against closed forms. */
static void test_window_and_quadrature(void **state) {
  (void)state;
  assert_true(hp_tophat_window(0.0) == 1.0);
  assert_true(relerr(hp_tophat_window(0.00999999), hp_tophat_window(0.01000001)) < 1e-8);
  assert_true(relerr(hp_tophat_window(0.5), 3 * (sin(0.5) - 0.5 * cos(0.5)) / 0.125) < 1e-15);
  assert_true(fabs(hp_tophat_window(4.493409457909064)) < 1e-15); /* first zero, tan x = x */
  /* R -> 0 (W = 1): (1/2 pi^2) int_0^inf dk exp(-k^2) = 1 / (4 pi^(3/2)), less the part below
   * the quadrature's k_min = 1e-9 h/Mpc, (1/2 pi^2) 1e-9 */
  const double s0 = hp_sigma2_tophat(pk_gauss, NULL, 1e-6);
  const double s0_exact = 1.0 / (4.0 * pow(M_PI, 1.5)) - 1e-9 / (2 * M_PI * M_PI);
  assert_true(relerr(s0, s0_exact) < 1e-10);
  /* P = k^-2: int_0^inf W^2(x) dx = 3 pi / 5, so sigma^2(R) = 3 / (10 pi R), less the part
   * below the quadrature's k_min = 1e-9 h/Mpc, (1/2 pi^2) 1e-9 (W = 1 there) */
  double e = 0;
  for (double R = 0.5; R < 2000; R *= 4)
    CHECK_REL(hp_sigma2_tophat(pk_minus2, NULL, R),
              3.0 / (10.0 * M_PI * R) - 1e-9 / (2 * M_PI * M_PI), 1e-10, e);
  print_message("  sigma^2 quadrature vs closed forms: %.2e (Gaussian), %.2e (k^-2)\n",
                relerr(s0, s0_exact), e);
  assert_true(isnan(hp_sigma2_tophat(pk_minus2, NULL, 0.0)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_transfer), cmocka_unit_test(test_reference_power_sigma),
      cmocka_unit_test(test_second_cosmology),   cmocka_unit_test(test_transfer_low_k),
      cmocka_unit_test(test_pk_file_round_trip), cmocka_unit_test(test_tk_file_round_trip),
      cmocka_unit_test(test_ktable_power_law),   cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_bad_descriptors),    cmocka_unit_test(test_window_and_quadrature),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
