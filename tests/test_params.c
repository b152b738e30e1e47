/* Tests of the parameter-file module (params/): parsing, defaults, overrides, need masks, every
 * error message, the shipped params/example.param and params/default.param, kv, help, write.
 * Run from the repository root (the shipped .param files are read by relative path). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params/params.h"

/* The required keys of both groups, Planck-like; each test adds or changes lines. */
#define COSMO_LINES    \
  "Omega0 0.3\n"       \
  "OmegaBaryon 0.05\n" \
  "HubbleParam 0.7\n"  \
  "Sigma8 0.8\n"       \
  "PrimordialIndex 0.96\n"
#define BOX_LINES   \
  "BoxSize 100\n"   \
  "NParticles 64\n" \
  "Seed 7\n"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

/* Fail with the message if `needle` is not in st->msg. */
static void assert_msg_has(const hp_status *st, const char *needle) {
  if (!strstr(st->msg, needle)) fail_msg("message \"%s\" lacks \"%s\"", st->msg, needle);
}

/* Parse `text` named "run.param"; return the code; *p is the set (or NULL). */
static int parse(hp_params **p, const char *text, const char *const *ovr, int n_ovr, unsigned need,
                 hp_status *st) {
  int rc;
  hp_status_clear(st);
  rc = hp_params_parse_string(p, "run.param", text, ovr, n_ovr, need, st);
  if (rc) assert_null(*p);
  return rc;
}

/* Expect `text` (+ overrides) to fail with a nonzero code and a message holding every needle. */
static void expect_fail(const char *text, const char *const *ovr, int n_ovr, unsigned need,
                        const char *n1, const char *n2, const char *n3, const char *n4) {
  hp_params *p = (hp_params *)1;
  hp_status st;
  int rc = parse(&p, text, ovr, n_ovr, need, &st);
  if (rc == 0) {
    hp_params_free(p);
    fail_msg("expected a failure containing \"%s\"", n1 ? n1 : "");
  }
  assert_int_equal(rc, st.code);
  assert_true(strlen(st.msg) > 0);
  if (n1) assert_msg_has(&st, n1);
  if (n2) assert_msg_has(&st, n2);
  if (n3) assert_msg_has(&st, n3);
  if (n4) assert_msg_has(&st, n4);
}

/* Parse text that must load; returns the set. */
static hp_params *must_parse(const char *text, const char *const *ovr, int n_ovr, unsigned need) {
  hp_params *p = NULL;
  hp_status st;
  if (parse(&p, text, ovr, n_ovr, need, &st)) fail_msg("unexpected failure: %s", st.msg);
  assert_non_null(p);
  return p;
}

/* Write n bytes to a new temporary file; its name goes to path (size >= 32). */
static void temp_file(char *path, const void *bytes, size_t n) {
  int fd;
  strcpy(path, "/tmp/hp_test_params_XXXXXX");
  fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, bytes, n), (ssize_t)n);
  close(fd);
}

/* Read a whole text file (for the shipped .param files). */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  char *b;
  long n;
  if (!f) fail_msg("cannot open %s (run the tests from the repository root)", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc((size_t)n + 1);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  b[n] = '\0';
  fclose(f);
  return b;
}

/* ---------------------------------------------------------------------------------------------
 * Good files, defaults, overrides
 * ------------------------------------------------------------------------------------------- */

static void test_good_file(void **state) {
  const char *text =
      "% a comment line\n"
      "\n"
      "Omega0 0.3   % trailing comment\n"
      "OmegaBaryon\t0.05\n"
      "# hash comment\n"
      "HubbleParam = 0.7\r\n"
      "   Sigma8   0.8   \n"
      "PrimordialIndex 0.96#no space before the comment\n"
      "BoxSize 100.5\n"
      "NParticles 64\n"
      "Seed 4611686018427387904\n"
      "LPTDealias yes\n"
      "FixedAmplitude TRUE\n"
      "PhaseFlip 0\n"
      "PowerSpectrum eh98nowiggle\n"
      "OutputDir /tmp/my dir   % strings run to the comment\n"
      "Redshift 1.5e0\n"
      "UnitLength_in_cm 3.085678e21\n";
  hp_params *p = must_parse(text, NULL, 0, HP_NEED_ALL);
  (void)state;
  assert_true(hp_params_real(p, "Omega0") == 0.3);
  assert_true(hp_params_real(p, "OmegaBaryon") == 0.05);
  assert_true(hp_params_real(p, "HubbleParam") == 0.7);
  assert_true(hp_params_real(p, "Sigma8") == 0.8);
  assert_true(hp_params_real(p, "PrimordialIndex") == 0.96);
  assert_true(hp_params_real(p, "BoxSize") == 100.5);
  assert_int_equal(hp_params_int(p, "NParticles"), 64);
  assert_true(hp_params_int(p, "Seed") == INT64_C(4611686018427387904));
  assert_int_equal(hp_params_bool(p, "LPTDealias"), 1);
  assert_int_equal(hp_params_bool(p, "FixedAmplitude"), 1);
  assert_int_equal(hp_params_bool(p, "PhaseFlip"), 0);
  assert_string_equal(hp_params_string(p, "PowerSpectrum"), "EH98NoWiggle");
  assert_string_equal(hp_params_string(p, "OutputDir"), "/tmp/my dir");
  assert_true(hp_params_real(p, "Redshift") == 1.5);
  assert_true(hp_params_real(p, "UnitLength_in_cm") == 3.085678e21);
  assert_true(hp_params_is_set(p, "PhaseFlip"));
  assert_false(hp_params_is_set(p, "CMBTemperature"));
  hp_params_free(p);
}

static void test_defaults(void **state) {
  hp_params *p = must_parse(COSMO_LINES BOX_LINES, NULL, 0, HP_NEED_ALL);
  (void)state;
  assert_true(hp_params_real(p, "OmegaLambda") == 1.0 - 0.3);
  assert_false(hp_params_is_set(p, "OmegaLambda"));
  assert_true(hp_params_real(p, "CMBTemperature") == 2.7255);
  assert_string_equal(hp_params_string(p, "PowerSpectrum"), "EH98");
  assert_string_equal(hp_params_string(p, "PowerSpectrumFile"), "");
  assert_string_equal(hp_params_string(p, "PowerSpectrumFileType"), "Pk");
  assert_int_equal(hp_params_int(p, "PowerSpectrumFileColumn"), 2);
  assert_true(hp_params_real(p, "Redshift") == 0);
  assert_true(hp_params_real(p, "RedshiftIC") == 49);
  assert_int_equal(hp_params_int(p, "LPTOrder"), 2);
  assert_int_equal(hp_params_bool(p, "LPTDealias"), 0);
  assert_int_equal(hp_params_int(p, "Threads"), 0);
  assert_true(hp_params_real(p, "VoxelSize") == 4);
  assert_int_equal(hp_params_int(p, "NVoxels"), 25); /* 100 / 4 */
  assert_string_equal(hp_params_string(p, "OutputDir"), ".");
  assert_string_equal(hp_params_string(p, "FileBase"), "halopaint");
  assert_string_equal(hp_params_string(p, "OutputFormat"), "HDF5");
  assert_int_equal(hp_params_int(p, "ICFormat"), 3);
  assert_int_equal(hp_params_int(p, "NumFilesPerSnapshot"), 0);
  assert_true(hp_params_real(p, "UnitLength_in_cm") == 3.085678e24);
  hp_params_free(p);

  /* OmegaLambda as given when present */
  p = must_parse(COSMO_LINES "OmegaLambda 0.5\n", NULL, 0, HP_NEED_COSMO);
  assert_true(hp_params_real(p, "OmegaLambda") == 0.5);
  assert_true(hp_params_is_set(p, "OmegaLambda"));
  hp_params_free(p);
}

static void test_nvoxels(void **state) {
  hp_params *p;
  const char *o1[] = {"VoxelSize=3"}, *o2[] = {"NVoxels=50"}, *o3[] = {"VoxelSize=1000"};
  const char *o4[] = {"VoxelSize=0.001"};
  (void)state;
  p = must_parse(COSMO_LINES BOX_LINES, o1, 1, HP_NEED_ALL);
  assert_int_equal(hp_params_int(p, "NVoxels"), 33); /* nearest integer to 33.3 */
  hp_params_free(p);
  p = must_parse(COSMO_LINES BOX_LINES, o2, 1, HP_NEED_ALL);
  assert_int_equal(hp_params_int(p, "NVoxels"), 50);
  hp_params_free(p);
  p = must_parse(COSMO_LINES, NULL, 0, HP_NEED_COSMO); /* no box: stays 0 */
  assert_int_equal(hp_params_int(p, "NVoxels"), 0);
  hp_params_free(p);
  expect_fail(COSMO_LINES BOX_LINES, o3, 1, HP_NEED_ALL, "-s VoxelSize=1000", "BoxSize = 100",
              "NVoxels", NULL);
  expect_fail(COSMO_LINES BOX_LINES, o4, 1, HP_NEED_ALL, "-s VoxelSize=0.001", "100000", "8192",
              NULL);
}

static void test_overrides(void **state) {
  const char *o1[] = {"Seed=99", "Redshift=2", " Sigma8 = 0.9 "};
  const char *o2[] = {"BoxSize=50", "NParticles=32", "Seed=1"};
  hp_params *p;
  (void)state;
  /* replaces a file value, sets an absent key, tolerates spaces */
  p = must_parse(COSMO_LINES BOX_LINES, o1, 3, HP_NEED_ALL);
  assert_int_equal(hp_params_int(p, "Seed"), 99);
  assert_true(hp_params_real(p, "Redshift") == 2);
  assert_true(hp_params_real(p, "Sigma8") == 0.9);
  assert_true(hp_params_is_set(p, "Redshift"));
  hp_params_free(p);
  /* required keys can come from overrides alone */
  p = must_parse(COSMO_LINES, o2, 3, HP_NEED_ALL);
  assert_true(hp_params_real(p, "BoxSize") == 50);
  hp_params_free(p);
  /* a bad file value that an override replaces is not an error */
  {
    const char *o[] = {"NParticles=32"};
    p = must_parse(COSMO_LINES "BoxSize 100\nNParticles 63\nSeed 1\n", o, 1, HP_NEED_ALL);
    assert_int_equal(hp_params_int(p, "NParticles"), 32);
    hp_params_free(p);
  }
  /* errors */
  {
    const char *sed[] = {"Sed=3"}, *noeq[] = {"Seed"}, *bad[] = {"NParticles=12.5"};
    const char *dup[] = {"Seed=1", "Seed=2"}, *empty[] = {"Seed="}, *nokey[] = {"=3"};
    const char *pct[] = {"FileBase=a%b"}, *far[] = {"Xyzzyplugh=1"};
    expect_fail(COSMO_LINES BOX_LINES, sed, 1, HP_NEED_ALL, "-s Sed=3: unknown key",
                "did you mean Seed?", NULL, NULL);
    expect_fail(COSMO_LINES BOX_LINES, noeq, 1, HP_NEED_ALL, "-s Seed", "expected Key=Value", NULL,
                NULL);
    expect_fail(COSMO_LINES BOX_LINES, bad, 1, HP_NEED_ALL, "-s NParticles=12.5",
                "expected an integer", NULL, NULL);
    expect_fail(COSMO_LINES BOX_LINES, dup, 2, HP_NEED_ALL, "-s Seed=2", "-s Seed=1", NULL, NULL);
    expect_fail(COSMO_LINES BOX_LINES, empty, 1, HP_NEED_ALL, "-s Seed=", "missing value", NULL,
                NULL);
    expect_fail(COSMO_LINES BOX_LINES, nokey, 1, HP_NEED_ALL, "-s =3", "key is missing", NULL,
                NULL);
    expect_fail(COSMO_LINES BOX_LINES, pct, 1, HP_NEED_ALL, "-s FileBase=a%b", "comments", NULL,
                NULL);
    expect_fail(COSMO_LINES BOX_LINES, far, 1, HP_NEED_ALL, "-s Xyzzyplugh=1", "unknown key",
                "halopaint help params", NULL);
  }
}

static void test_load_without_file(void **state) {
  const char *o[] = {"Omega0=0.3", "OmegaBaryon=0.04", "HubbleParam=0.7", "Sigma8=0.8",
                     "PrimordialIndex=1"};
  hp_params *p = NULL;
  hp_status st;
  (void)state;
  hp_status_clear(&st);
  assert_int_equal(hp_params_load(&p, NULL, o, 5, HP_NEED_COSMO, &st), 0);
  assert_true(hp_params_real(p, "PrimordialIndex") == 1);
  hp_params_free(p);
  assert_int_not_equal(hp_params_load(&p, NULL, o, 5, HP_NEED_ALL, &st), 0);
  assert_null(p);
  assert_msg_has(&st, "BoxSize");
}

/* ---------------------------------------------------------------------------------------------
 * Errors in files
 * ------------------------------------------------------------------------------------------- */

static void test_unknown_key(void **state) {
  (void)state;
  expect_fail("% cosmology\n\nOmega_0 0.3\n", NULL, 0, 0, "run.param line 3",
              "Omega_0 = 0.3: unknown key", "did you mean Omega0?", NULL);
  expect_fail("omega0 0.3\n", NULL, 0, 0, "line 1", "omega0", "did you mean Omega0?", NULL);
  expect_fail("Seed 1\nBox 100\n", NULL, 0, 0, "line 2", "Box", "did you mean BoxSize?", NULL);
  expect_fail("NParticle 64\n", NULL, 0, 0, "NParticle", "did you mean NParticles?", NULL, NULL);
  expect_fail("Xyzzyplugh 3\n", NULL, 0, 0, "run.param line 1: Xyzzyplugh = 3: unknown key",
              "halopaint help params", NULL, NULL);
  expect_fail("= 3\n", NULL, 0, 0, "run.param line 1", "key is missing", NULL, NULL);
}

static void test_duplicate_key(void **state) {
  (void)state;
  expect_fail(COSMO_LINES "Seed 1\nBoxSize 10\nSeed 2\n", NULL, 0, 0, "run.param line 8",
              "Seed = 2: duplicate key", "line 6", NULL);
}

static void test_missing_value(void **state) {
  (void)state;
  expect_fail("Omega0 0.3\nSeed   % no value\n", NULL, 0, 0, "run.param line 2", "Seed",
              "missing value", "an integer");
  expect_fail("Omega0 =\n", NULL, 0, 0, "run.param line 1", "Omega0", "missing value", NULL);
}

static void test_missing_required(void **state) {
  (void)state;
  expect_fail("Omega0 0.3\nOmegaBaryon 0.05\nHubbleParam 0.7\nSigma8 0.8\n", NULL, 0, HP_NEED_COSMO,
              "run.param", "missing required key PrimordialIndex", "PrimordialIndex <value>", NULL);
  expect_fail("% only a comment\n", NULL, 0, HP_NEED_ALL, "run.param",
              "Omega0, OmegaBaryon, HubbleParam, Sigma8, PrimordialIndex, BoxSize, NParticles, "
              "Seed",
              NULL, NULL);
}

static void test_wrong_type(void **state) {
  (void)state;
  expect_fail(COSMO_LINES "BoxSize 100\nNParticles 12.5\n", NULL, 0, 0,
              "run.param line 7: NParticles = 12.5: expected an integer", NULL, NULL, NULL);
  expect_fail("Omega0 abc\n", NULL, 0, 0, "run.param line 1: Omega0 = abc: expected a real",
              "(0, 2]", NULL, NULL);
  expect_fail("Omega0 0.3 0.4\n", NULL, 0, 0, "run.param line 1: Omega0 = 0.3 0.4", "single value",
              NULL, NULL);
  expect_fail("Omega0 nan\n", NULL, 0, 0, "Omega0 = nan: expected a real", NULL, NULL, NULL);
  expect_fail("LPTDealias maybe\n", NULL, 0, 0, "run.param line 1: LPTDealias = maybe", "yes/no",
              NULL, NULL);
  expect_fail("Seed 99999999999999999999\n", NULL, 0, 0, "Seed = 99999999999999999999", "too large",
              NULL, NULL);
}

static void test_out_of_range(void **state) {
  (void)state;
  expect_fail("Omega0 3\n", NULL, 0, 0, "run.param line 1: Omega0 = 3: out of range", "(0, 2]",
              NULL, NULL);
  expect_fail("Omega0 0\n", NULL, 0, 0, "Omega0 = 0: out of range", "(0, 2]", NULL, NULL);
  expect_fail("Seed 1\nBoxSize -5\n", NULL, 0, 0, "run.param line 2: BoxSize = -5", "> 0 Mpc/h",
              NULL, NULL);
  expect_fail("CMBTemperature 5\n", NULL, 0, 0, "CMBTemperature = 5", "(1, 4) K", NULL, NULL);
  expect_fail("HubbleParam 67.7\n", NULL, 0, 0, "HubbleParam = 67.7", "(0.2, 2)", NULL, NULL);
  expect_fail("Seed 4611686018427387905\n", NULL, 0, 0, "Seed = 4611686018427387905",
              "[0, 4611686018427387904]", NULL, NULL);
  expect_fail("Seed -1\n", NULL, 0, 0, "Seed = -1: out of range", NULL, NULL, NULL);
  expect_fail("Threads 5000\n", NULL, 0, 0, "Threads = 5000", "[0, 4096]", NULL, NULL);
}

static void test_odd_nparticles(void **state) {
  (void)state;
  expect_fail(COSMO_LINES "NParticles 127\n", NULL, 0, 0, "run.param line 6: NParticles = 127",
              "must be even", NULL, NULL);
}

static void test_bad_choice(void **state) {
  (void)state;
  expect_fail("PowerSpectrum EH99\n", NULL, 0, 0, "run.param line 1: PowerSpectrum = EH99",
              "one of EH98, EH98NoWiggle, File", NULL, NULL);
  expect_fail("LPTOrder 3\n", NULL, 0, 0, "LPTOrder = 3", "one of 1, 2", NULL, NULL);
  expect_fail("ICFormat 4\n", NULL, 0, 0, "ICFormat = 4", "one of 1, 2, 3", NULL, NULL);
  expect_fail("OutputFormat FITS\n", NULL, 0, 0, "OutputFormat = FITS", "HDF5, ASCII", NULL, NULL);
}

static void test_cross_checks(void **state) {
  hp_params *p;
  const char *psf[] = {"PowerSpectrumFile=pk.dat"};
  (void)state;
  expect_fail("Omega0 0.3\nOmegaBaryon 0.4\n", NULL, 0, 0, "run.param line 2: OmegaBaryon = 0.4",
              "Omega0 = 0.3", "line 1", NULL);
  expect_fail("Omega0 0.3\nOmegaBaryon 0.3\n", NULL, 0, 0, "OmegaBaryon", "Omega0", NULL, NULL);
  expect_fail(COSMO_LINES "PowerSpectrum File\n", NULL, 0, HP_NEED_COSMO,
              "run.param line 6: PowerSpectrum = File", "PowerSpectrumFile", "not given", NULL);
  p = must_parse(COSMO_LINES "PowerSpectrum File\n", psf, 1, HP_NEED_COSMO);
  assert_string_equal(hp_params_string(p, "PowerSpectrumFile"), "pk.dat");
  assert_string_equal(hp_params_string(p, "PowerSpectrum"), "File");
  hp_params_free(p);
}

static void test_need_mask(void **state) {
  hp_params *p;
  (void)state;
  p = must_parse(COSMO_LINES, NULL, 0, HP_NEED_COSMO);
  assert_string_equal(hp_params_string(p, "BoxSize"), "");
  assert_true(isnan(hp_params_real(p, "BoxSize")));
  hp_params_free(p);
  expect_fail(COSMO_LINES, NULL, 0, HP_NEED_COSMO | HP_NEED_BOX, "run.param",
              "BoxSize, NParticles, Seed", NULL, NULL);
  expect_fail(BOX_LINES, NULL, 0, HP_NEED_COSMO | HP_NEED_BOX, "Omega0", NULL, NULL, NULL);
  p = must_parse(BOX_LINES, NULL, 0, HP_NEED_BOX);
  assert_true(isnan(hp_params_real(p, "OmegaLambda"))); /* no Omega0 to derive it from */
  hp_params_free(p);
}

static void test_empty_file(void **state) {
  char path[64];
  hp_params *p = (hp_params *)1;
  hp_status st;
  (void)state;
  temp_file(path, "", 0);
  hp_status_clear(&st);
  assert_int_equal(hp_params_load(&p, path, NULL, 0, HP_NEED_COSMO, &st), HP_ERR_FORMAT);
  assert_null(p);
  assert_msg_has(&st, path);
  assert_msg_has(&st, "is empty: expected Key Value lines, see `halopaint help params`");
  unlink(path);
  temp_file(path, " \n\t\r\n\n", 6);
  assert_int_not_equal(hp_params_load(&p, path, NULL, 0, 0, &st), 0);
  assert_msg_has(&st, "is empty");
  unlink(path);
  /* a comment-only file is not empty: with no required keys it loads with defaults */
  temp_file(path, "% nothing\n", 10);
  assert_int_equal(hp_params_load(&p, path, NULL, 0, 0, &st), 0);
  assert_int_equal(hp_params_int(p, "LPTOrder"), 2);
  hp_params_free(p);
  unlink(path);
}

static void test_binary_file(void **state) {
  static const unsigned char nul[] = "Omega0 0.3\n\0\0\x01\x02garbage";
  unsigned char junk[4096];
  char path[64];
  hp_params *p = NULL;
  hp_status st;
  size_t i;
  (void)state;
  temp_file(path, nul, sizeof nul);
  hp_status_clear(&st);
  assert_int_equal(hp_params_load(&p, path, NULL, 0, 0, &st), HP_ERR_FORMAT);
  assert_msg_has(&st, path);
  assert_msg_has(&st, "binary");
  assert_msg_has(&st, "NUL");
  unlink(path);
  for (i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(1 + (i * 97 + 13) % 255);
  temp_file(path, junk, sizeof junk);
  assert_int_equal(hp_params_load(&p, path, NULL, 0, 0, &st), HP_ERR_FORMAT);
  assert_msg_has(&st, "binary");
  assert_msg_has(&st, "not printable");
  unlink(path);
  /* UTF-8 in comments is text */
  temp_file(path, "% \xce\xa9 matter density\nOmega0 0.3\n", 31);
  assert_int_equal(hp_params_load(&p, path, NULL, 0, 0, &st), 0);
  hp_params_free(p);
  unlink(path);
}

static void test_unreadable_file(void **state) {
  hp_params *p = NULL;
  hp_status st;
  (void)state;
  hp_status_clear(&st);
  assert_int_equal(hp_params_load(&p, "/nonexistent/run.param", NULL, 0, 0, &st), HP_ERR_IO);
  assert_null(p);
  assert_msg_has(&st, "/nonexistent/run.param");
  assert_msg_has(&st, "No such file or directory");
  assert_int_equal(hp_params_load(&p, "/tmp", NULL, 0, 0, &st), HP_ERR_IO);
  assert_msg_has(&st, "Is a directory");
}

static void test_file_messages_name_the_file(void **state) {
  char path[64];
  const char *text = "Omega0 0.3\nOmegaBaryon 0.05\nSeed 1\nNParticles 12.5\n";
  hp_params *p = NULL;
  hp_status st;
  char want[128];
  (void)state;
  temp_file(path, text, strlen(text));
  hp_status_clear(&st);
  assert_int_equal(hp_params_load(&p, path, NULL, 0, 0, &st), HP_ERR_INPUT);
  snprintf(want, sizeof want, "%s line 4: NParticles = 12.5: expected an integer", path);
  assert_msg_has(&st, want);
  unlink(path);
}

static void test_long_lines(void **state) {
  size_t n = 1 << 20, i;
  char *text = malloc(n + 64), *ovr = malloc(n + 64);
  const char *o[1];
  hp_params *p;
  hp_status st;
  (void)state;
  assert_non_null(text);
  assert_non_null(ovr);
  /* a 1 MB value of a real key */
  strcpy(text, "Omega0 ");
  for (i = 7; i < n; i++) text[i] = '9';
  strcpy(text + n, "\n");
  p = (hp_params *)1;
  assert_int_not_equal(parse(&p, text, NULL, 0, 0, &st), 0);
  assert_true(strlen(st.msg) < HP_MSG_LEN);
  assert_msg_has(&st, "run.param line 1: Omega0 = 999");
  assert_msg_has(&st, "...");
  /* a 1 MB unknown key */
  for (i = 0; i < n; i++) text[i] = 'K';
  strcpy(text + n, " 1\n");
  assert_int_not_equal(parse(&p, text, NULL, 0, 0, &st), 0);
  assert_msg_has(&st, "run.param line 1: KKK");
  assert_msg_has(&st, "unknown key");
  /* a 1 MB string value loads, as does a 1 MB override */
  strcpy(text, "FileBase ");
  for (i = 9; i < n; i++) text[i] = 'a';
  strcpy(text + n, "\n");
  strcpy(ovr, "OutputDir=");
  for (i = 10; i < n; i++) ovr[i] = 'b';
  ovr[n] = '\0';
  o[0] = ovr;
  p = must_parse(text, o, 1, 0);
  assert_int_equal(strlen(hp_params_string(p, "FileBase")), n - 9);
  assert_int_equal(strlen(hp_params_string(p, "OutputDir")), n - 10);
  hp_params_free(p);
  free(text);
  free(ovr);
}

/* ---------------------------------------------------------------------------------------------
 * Shipped files, table, kv, help, write
 * ------------------------------------------------------------------------------------------- */

static void test_example_param(void **state) {
  int n, k;
  const hp_param_spec *t = hp_param_table(&n);
  char *text = slurp("params/example.param"), *line, *save = NULL;
  int *active = calloc((size_t)n, sizeof *active), *commented = calloc((size_t)n, sizeof(int));
  hp_params *p = NULL;
  hp_status st;
  (void)state;
  hp_status_clear(&st);
  if (hp_params_load(&p, "params/example.param", NULL, 0, HP_NEED_ALL, &st)) fail_msg("%s", st.msg);
  /* every key is given, except keys whose default is empty (shown commented out) */
  for (k = 0; k < n; k++) {
    if (t[k].def && !t[k].def[0]) {
      assert_false(hp_params_is_set(p, t[k].key));
    } else if (!hp_params_is_set(p, t[k].key)) {
      fail_msg("example.param does not set %s", t[k].key);
    }
  }
  /* and each exactly once as the first word of a line ("% Key" for the commented one) */
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char word[128];
    int commented_line = 0;
    if (line[0] == '%' && line[1] == ' ') line += 2, commented_line = 1;
    if (sscanf(line, "%127s", word) != 1) continue;
    for (k = 0; k < n; k++)
      if (strcmp(word, t[k].key) == 0) (commented_line ? commented : active)[k]++;
  }
  for (k = 0; k < n; k++) {
    const int empty = t[k].def && !t[k].def[0];
    if (active[k] != (empty ? 0 : 1) || commented[k] != (empty ? 1 : 0))
      fail_msg("example.param lists %s %d times (+%d commented)", t[k].key, active[k],
               commented[k]);
  }
  /* the values are the defaults (OmegaLambda: the derived one) */
  for (k = 0; k < n; k++)
    if (t[k].def && t[k].def[0] && strcmp(t[k].key, "NVoxels") != 0) {
      hp_params *d = must_parse("% nothing\n", NULL, 0, 0);
      assert_string_equal(hp_params_string(p, t[k].key), hp_params_string(d, t[k].key));
      hp_params_free(d);
    }
  assert_true(hp_params_real(p, "OmegaLambda") == 1 - hp_params_real(p, "Omega0"));
  hp_params_free(p);
  free(active);
  free(commented);
  free(text);
}

static void test_default_param(void **state) {
  hp_params *p = NULL;
  hp_status st;
  (void)state;
  hp_status_clear(&st);
  if (hp_params_load(&p, "params/default.param", NULL, 0, HP_NEED_COSMO, &st))
    fail_msg("%s", st.msg);
  hp_params_free(p);
  if (hp_params_load(&p, "params/default.param", NULL, 0, HP_NEED_COSMO | HP_NEED_BOX, &st))
    fail_msg("%s", st.msg);
  assert_true(hp_params_real(p, "Omega0") == 0.3089);
  assert_true(hp_params_real(p, "OmegaBaryon") == 0.0486);
  assert_true(hp_params_real(p, "HubbleParam") == 0.6774);
  assert_true(hp_params_real(p, "Sigma8") == 0.8159);
  assert_true(hp_params_real(p, "PrimordialIndex") == 0.9667);
  assert_true(hp_params_real(p, "BoxSize") == 256);
  assert_int_equal(hp_params_int(p, "NParticles"), 256);
  assert_int_equal(hp_params_int(p, "Seed"), 42);
  assert_true(hp_params_real(p, "Redshift") == 0);
  assert_int_equal(hp_params_int(p, "NVoxels"), 64);
  hp_params_free(p);
}

static void test_table(void **state) {
  int n, k, j;
  const hp_param_spec *t = hp_param_table(&n);
  (void)state;
  assert_true(n >= 29);
  for (k = 0; k < n; k++) {
    assert_ptr_equal(hp_param_find(t[k].key), &t[k]);
    assert_non_null(t[k].unit);
    assert_true(t[k].help && strlen(t[k].help) > 10);
    for (j = 0; j < k; j++) assert_string_not_equal(t[j].key, t[k].key);
    if (!t[k].def && !(t[k].flags & HP_PF_DERIVED)) assert_true(t[k].need != 0);
    if (t[k].type == HP_P_CHOICE) assert_non_null(t[k].choices);
    if (t[k].type == HP_P_INT || t[k].type == HP_P_REAL) assert_true(t[k].min <= t[k].max);
  }
  assert_null(hp_param_find("omega0"));
  assert_null(hp_param_find(NULL));
}

static void test_kv_and_getters(void **state) {
  int n, k;
  const hp_param_spec *t = hp_param_table(&n);
  hp_params *p = must_parse(COSMO_LINES, NULL, 0, HP_NEED_COSMO);
  hp_kv_list kv = hp_params_kv(p);
  (void)state;
  assert_int_equal(kv.n, n);
  for (k = 0; k < n; k++) {
    assert_string_equal(kv.key[k], t[k].key);
    assert_non_null(kv.value[k]);
    assert_string_equal(kv.value[k], hp_params_string(p, t[k].key));
  }
  assert_string_equal(hp_params_string(p, "OmegaLambda"), "0.7");
  assert_string_equal(hp_params_string(p, "PowerSpectrumFile"), "");
  assert_string_equal(hp_params_string(p, "Seed"), ""); /* no box: unset */
  assert_string_equal(hp_params_string(p, "Redshift"), "0");
  assert_string_equal(hp_params_string(p, "LPTDealias"), "0");
  /* unknown keys and wrong types */
  assert_null(hp_params_string(p, "Nope"));
  assert_true(isnan(hp_params_real(p, "Nope")));
  assert_true(isnan(hp_params_real(p, "FileBase")));
  assert_int_equal(hp_params_int(p, "Omega0"), 0);
  assert_int_equal(hp_params_bool(p, "Omega0"), -1);
  assert_int_equal(hp_params_is_set(p, "Nope"), 0);
  assert_true(hp_params_real(p, "PowerSpectrumFileColumn") == 2.0);
  hp_params_free(p);
  hp_params_free(NULL);
  kv = hp_params_kv(NULL);
  assert_int_equal(kv.n, 0);
}

static void test_help(void **state) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  int n, k;
  const hp_param_spec *t = hp_param_table(&n);
  (void)state;
  assert_non_null(f);
  hp_params_help(f);
  fclose(f);
  for (k = 0; k < n; k++) {
    char head[64];
    snprintf(head, sizeof head, "\n%s  (", t[k].key);
    if (!strstr(buf, head)) fail_msg("help lacks an entry for %s", t[k].key);
  }
  assert_non_null(strstr(buf, "Omega0  (real; required for cosmo; in (0, 2])"));
  assert_non_null(strstr(buf, "BoxSize  (real, Mpc/h; required for box; > 0 Mpc/h)"));
  assert_non_null(strstr(buf, "one of EH98, EH98NoWiggle, File"));
  assert_non_null(strstr(buf, "default 2.7255"));
  free(buf);
}

static void test_write_roundtrip(void **state) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  const char *o[] = {"OutputDir=/tmp/a b", "LPTDealias=true", "Seed=5"};
  hp_params *p = must_parse(COSMO_LINES BOX_LINES "UnitLength_in_cm 3.085678e21\n", o, 3,
                            HP_NEED_ALL),
            *q;
  hp_kv_list a, b;
  hp_status st;
  int k;
  (void)state;
  assert_non_null(f);
  hp_status_clear(&st);
  assert_int_equal(hp_params_write(p, f, &st), 0);
  fclose(f);
  q = must_parse(buf, NULL, 0, HP_NEED_ALL);
  a = hp_params_kv(p);
  b = hp_params_kv(q);
  assert_int_equal(a.n, b.n);
  for (k = 0; k < a.n; k++) assert_string_equal(a.value[k], b.value[k]);
  assert_true(hp_params_real(q, "OmegaLambda") == hp_params_real(p, "OmegaLambda"));
  hp_params_free(p);
  hp_params_free(q);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_file),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_nvoxels),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_load_without_file),
      cmocka_unit_test(test_unknown_key),
      cmocka_unit_test(test_duplicate_key),
      cmocka_unit_test(test_missing_value),
      cmocka_unit_test(test_missing_required),
      cmocka_unit_test(test_wrong_type),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_odd_nparticles),
      cmocka_unit_test(test_bad_choice),
      cmocka_unit_test(test_cross_checks),
      cmocka_unit_test(test_need_mask),
      cmocka_unit_test(test_empty_file),
      cmocka_unit_test(test_binary_file),
      cmocka_unit_test(test_unreadable_file),
      cmocka_unit_test(test_file_messages_name_the_file),
      cmocka_unit_test(test_long_lines),
      cmocka_unit_test(test_example_param),
      cmocka_unit_test(test_default_param),
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_kv_and_getters),
      cmocka_unit_test(test_help),
      cmocka_unit_test(test_write_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
