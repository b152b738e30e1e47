/*
 * Tests of the initial-condition writer and reader (lpt/ic_write, lpt/ic_read) and of the
 * HDF5 helpers: round trips in all three formats against positions/velocities/IDs computed
 * here independently, the raw Gadget header and format-2 labels read byte by byte, the
 * multi-file split, the kpc/h unit, atomicity (missing directory, a failure half-way), the
 * refusal of truncated and corrupt files, and the HDF5 /Parameters record.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <hdf5.h>

#include "lpt/ic_read.h"
#include "lpt/ic_write.h"
#include "util/hdf5_util.h"

#define NP 8
#define NTOT (NP * NP * NP)
#define BOX 100.0
#define ZINI 24.0
#define OM 0.3
#define OL 0.7
#define HH 0.7
#define MPC 3.085678e24
#define KPC 3.085678e21

static char g_dir[256];       /* per-run scratch directory */
static float g_disp[3][NTOT]; /* Mpc/h */
static float g_vel[3][NTOT];  /* km/s */

static const char *const g_keys[] = {"Omega0", "Seed", "PowerSpectrumFile", "Redshift"};
static const char *const g_vals[] = {"0.3", "42", "camb_z0.txt", "24"};

/* ------------------------------------------------------------------------------------------ */
/* Fixtures                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static double uniform(void) { /* xorshift64*, deterministic, in [0, 1) */
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return (double)((g_rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void rm_rf(const char *path) {
  struct stat sb;
  if (lstat(path, &sb) != 0) return;
  if (S_ISDIR(sb.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[1024];
    while (d != NULL && (e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      rm_rf(sub);
    }
    if (d != NULL) closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

static int setup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/hp_test_ic.XXXXXX");
  if (mkdtemp(g_dir) == NULL) return -1;
  for (int n = 0; n < NTOT; n++)
    for (int c = 0; c < 3; c++) {
      g_disp[c][n] = (float)(40.0 * uniform() - 20.0);
      g_vel[c][n] = (float)(1000.0 * uniform() - 500.0);
    }
  /* Edge cases of the periodic wrap: just below 0 (rounds to L), exactly -L/np, and far. */
  g_disp[0][0] = -1e-7f;
  g_disp[1][0] = -(float)(BOX / NP);
  g_disp[2][0] = 0.0f;
  g_disp[0][NTOT - 1] = (float)(BOX / NP); /* lands exactly on L */
  g_disp[1][7] = 150.0f;                   /* more than a box */
  return 0;
}

static int teardown(void **state) {
  (void)state;
  rm_rf(g_dir);
  return 0;
}

static hp_ic_particles particles(void) {
  hp_ic_particles p;
  p.np = NP;
  p.box = BOX;
  for (int c = 0; c < 3; c++) {
    p.disp[c] = g_disp[c];
    p.vel[c] = g_vel[c];
  }
  return p;
}

static hp_ic_desc desc(int format, const char *base, int num_files, double unit) {
  hp_ic_desc d;
  memset(&d, 0, sizeof d);
  d.format = format;
  d.path_base = base;
  d.num_files = num_files;
  d.redshift = ZINI;
  d.omega_m = OM;
  d.omega_l = OL;
  d.h = HH;
  d.unit_length_in_cm = unit;
  d.params.n = 4;
  d.params.key = g_keys;
  d.params.value = g_vals;
  d.software = "halopaint test";
  return d;
}

static void path_in(char *buf, size_t size, const char *name) {
  if (snprintf(buf, size, "%s/%s", g_dir, name) >= (int)size) fail_msg("path too long");
}

static int write_ok(const hp_ic_desc *d) {
  hp_status st;
  hp_ic_particles p = particles();
  hp_status_clear(&st);
  int rc = hp_ic_write(d, &p, &st);
  if (rc) fprintf(stderr, "hp_ic_write: %s\n", st.msg);
  return rc;
}

static int exists(const char *path) {
  struct stat sb;
  return lstat(path, &sb) == 0;
}

/* Number of entries of the scratch directory whose name contains `part`. */
static int count_entries(const char *dir, const char *part) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strstr(e->d_name, part)) n++;
  if (d != NULL) closedir(d);
  return n;
}

static long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Expected position (file unit) of particle n, component c, computed in double here. */
static double expected_pos(int n, int c, double unit) {
  const int lat[3] = {n / (NP * NP), (n / NP) % NP, n % NP};
  double x = lat[c] * (BOX / NP) + (double)g_disp[c][n];
  x = fmod(x, BOX);
  if (x < 0) x += BOX;
  return x * (MPC / unit);
}

/* Compare particles read back (in any order, identified by ID) with the input. */
static void check_particles(const hp_ic_data *r, int64_t n, double unit) {
  const double lf = BOX * MPC / unit, tol = 8 * FLT_EPSILON * lf;
  const double vs = sqrt(1.0 + ZINI);
  for (int64_t i = 0; i < n; i++) {
    const uint64_t id = r->id[i];
    assert_true(id >= 1 && id <= NTOT);
    const int k = (int)(id - 1);
    for (int c = 0; c < 3; c++) {
      const double got = r->pos[3 * i + c], want = expected_pos(k, c, unit);
      double d = fabs(got - want);
      d = fmin(d, lf - d); /* periodic: L and 0 are the same point */
      if (!(got >= 0 && got < lf))
        fail_msg("particle %d axis %d: pos %.9g outside [0, %g)", k, c, got, lf);
      if (d > tol) fail_msg("particle %d axis %d: pos %.9g, expected %.9g", k, c, got, want);
      const double vw = g_vel[c][k] * vs;
      if (fabs(r->vel[3 * i + c] - vw) > 4 * FLT_EPSILON * fabs(vw) + 1e-6)
        fail_msg("particle %d axis %d: vel %.9g, expected %.9g", k, c, r->vel[3 * i + c], vw);
    }
  }
}

static double mass_expected(void) { return 27.7536627 * OM * pow(BOX / NP, 3); }

/* ------------------------------------------------------------------------------------------ */
/* Round trips                                                                                */
/* ------------------------------------------------------------------------------------------ */

static void roundtrip(int format) {
  char base[512], name[32];
  hp_ic_data r;
  hp_status st;
  snprintf(name, sizeof name, "rt%d", format);
  path_in(base, sizeof base, name);
  hp_ic_desc d = desc(format, base, 0, MPC);
  assert_int_equal(write_ok(&d), 0);
  hp_status_clear(&st);
  int rc = hp_ic_read(base, format, &r, &st);
  if (rc) fail_msg("%s", st.msg);
  assert_int_equal(r.n, NTOT);
  assert_int_equal(r.hdr.format, format);
  assert_int_equal(r.hdr.num_files, 1);
  assert_int_equal(r.hdr.npart[1], NTOT);
  assert_int_equal(r.hdr.npart_total[1], NTOT);
  assert_int_equal(r.hdr.id_bytes, 4);
  assert_int_equal(r.hdr.pos_bytes, 4);
  assert_true(fabs(r.hdr.mass[1] - mass_expected()) < 1e-12 * mass_expected());
  assert_true(fabs(r.hdr.time - 1.0 / (1.0 + ZINI)) < 1e-15);
  assert_true(r.hdr.redshift == ZINI);
  assert_true(r.hdr.box == BOX);
  assert_true(r.hdr.omega_m == OM && r.hdr.omega_l == OL && r.hdr.h == HH);
  for (int i = 0; i < NTOT; i++) assert_int_equal(r.id[i], (uint64_t)i + 1);
  check_particles(&r, r.n, MPC);
  assert_int_equal(r.nparams, 4);
  assert_non_null(r.software);
  assert_string_equal(r.software, "halopaint test");
  hp_ic_data_free(&r);
  assert_null(r.pos);
  assert_int_equal(count_entries(g_dir, ".tmp."), 0);
}

static void test_roundtrip_format1(void **state) {
  (void)state;
  roundtrip(1);
  char p[512];
  path_in(p, sizeof p, "rt1");
  assert_true(exists(p));
  path_in(p, sizeof p, "rt1.params");
  assert_true(exists(p));
}

static void test_roundtrip_format2(void **state) {
  (void)state;
  roundtrip(2);
}

static void test_roundtrip_format3(void **state) {
  (void)state;
  roundtrip(3);
  char p[512];
  path_in(p, sizeof p, "rt3.hdf5");
  assert_true(exists(p));
  path_in(p, sizeof p, "rt3.params");
  assert_false(exists(p));
}

/* Auto-detected format of a single file via hp_ic_read_file; and the wrap edge cases. */
static void test_read_file_autodetect(void **state) {
  (void)state;
  char p[512];
  hp_ic_data r;
  hp_status st;
  const char *names[3] = {"rt1", "rt2", "rt3.hdf5"};
  for (int f = 0; f < 3; f++) {
    path_in(p, sizeof p, names[f]);
    hp_status_clear(&st);
    if (hp_ic_read_file(p, 0, &r, &st)) fail_msg("%s", st.msg);
    assert_int_equal(r.hdr.format, f + 1);
    assert_int_equal(r.n, NTOT);
    /* Particle 0: x just below L rounds to L in float and is stored as 0; y = -L/np wraps to
     * L - L/np; the last particle's x lands exactly on L: stored as 0. */
    assert_true(r.pos[0] == 0.0f);
    assert_true(fabs(r.pos[1] - (BOX - BOX / NP)) < 1e-4);
    assert_true(r.pos[3 * (NTOT - 1)] == 0.0f);
    hp_ic_data_free(&r);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Raw layout, read here independently of the reader                                          */
/* ------------------------------------------------------------------------------------------ */

static int32_t raw_i32(FILE *fp, long off) {
  int32_t v;
  assert_int_equal(fseek(fp, off, SEEK_SET), 0);
  assert_int_equal(fread(&v, 4, 1, fp), 1);
  return v;
}

static double raw_f64(FILE *fp, long off) {
  double v;
  assert_int_equal(fseek(fp, off, SEEK_SET), 0);
  assert_int_equal(fread(&v, 8, 1, fp), 1);
  return v;
}

/* Header fields of a format-1 file at byte `o` (start of the 256-byte payload). */
static void check_raw_header(FILE *fp, long o, int npart, int nfiles, double box) {
  assert_int_equal(raw_i32(fp, o - 4), 256);
  for (int t = 0; t < 6; t++) assert_int_equal(raw_i32(fp, o + 4 * t), t == 1 ? npart : 0);
  for (int t = 0; t < 6; t++) {
    const double m = raw_f64(fp, o + 24 + 8 * t);
    if (t == 1)
      assert_true(fabs(m - mass_expected()) < 1e-12 * mass_expected());
    else
      assert_true(m == 0.0);
  }
  assert_true(fabs(raw_f64(fp, o + 72) - 1.0 / (1.0 + ZINI)) < 1e-15); /* time */
  assert_true(raw_f64(fp, o + 80) == ZINI);                            /* redshift */
  assert_int_equal(raw_i32(fp, o + 88), 0);                            /* flag_sfr */
  assert_int_equal(raw_i32(fp, o + 92), 0);                            /* flag_feedback */
  for (int t = 0; t < 6; t++) assert_int_equal(raw_i32(fp, o + 96 + 4 * t), t == 1 ? NTOT : 0);
  assert_int_equal(raw_i32(fp, o + 120), 0);      /* flag_cooling */
  assert_int_equal(raw_i32(fp, o + 124), nfiles); /* num_files */
  assert_true(raw_f64(fp, o + 128) == box);       /* BoxSize */
  assert_true(raw_f64(fp, o + 136) == OM);
  assert_true(raw_f64(fp, o + 144) == OL);
  assert_true(raw_f64(fp, o + 152) == HH);
  for (int t = 0; t < 6; t++) assert_int_equal(raw_i32(fp, o + 168 + 4 * t), 0); /* high */
  assert_int_equal(raw_i32(fp, o + 256), 256);
}

static void test_gadget_header_raw(void **state) {
  (void)state;
  char p[512];
  path_in(p, sizeof p, "rt1");
  FILE *fp = fopen(p, "rb");
  assert_non_null(fp);
  check_raw_header(fp, 4, NTOT, 1, BOX);
  /* POS block right after: marker 12 N, first position, end marker; then VEL, ID. */
  long o = 4 + 256 + 4;
  assert_int_equal(raw_i32(fp, o), 12 * NTOT);
  assert_int_equal(raw_i32(fp, o + 4 + 12 * NTOT), 12 * NTOT);
  o += 8 + 12 * NTOT;
  assert_int_equal(raw_i32(fp, o), 12 * NTOT);
  assert_int_equal(raw_i32(fp, o + 4 + 12 * NTOT), 12 * NTOT);
  o += 8 + 12 * NTOT;
  assert_int_equal(raw_i32(fp, o), 4 * NTOT);
  assert_int_equal(raw_i32(fp, o + 4), 1);           /* first ID */
  assert_int_equal(raw_i32(fp, o + 4 * NTOT), NTOT); /* last ID */
  assert_int_equal(raw_i32(fp, o + 4 + 4 * NTOT), 4 * NTOT);
  fclose(fp);
  assert_int_equal(file_size(p), 264 + 2 * (12 * NTOT + 8) + 4 * NTOT + 8);
}

static void test_format2_labels(void **state) {
  (void)state;
  char p[512];
  static const char *const labels[4] = {"HEAD", "POS ", "VEL ", "ID  "};
  const long sizes[4] = {256, 12 * NTOT, 12 * NTOT, 4 * NTOT};
  path_in(p, sizeof p, "rt2");
  FILE *fp = fopen(p, "rb");
  assert_non_null(fp);
  long o = 0;
  for (int b = 0; b < 4; b++) {
    char lab[5] = {0};
    assert_int_equal(raw_i32(fp, o), 8);
    assert_int_equal(fseek(fp, o + 4, SEEK_SET), 0);
    assert_int_equal(fread(lab, 1, 4, fp), 4);
    assert_string_equal(lab, labels[b]);
    assert_int_equal(raw_i32(fp, o + 8), sizes[b] + 8);
    assert_int_equal(raw_i32(fp, o + 12), 8);
    o += 16;
    if (b == 0) check_raw_header(fp, o + 4, NTOT, 1, BOX);
    assert_int_equal(raw_i32(fp, o), sizes[b]);
    assert_int_equal(raw_i32(fp, o + 4 + sizes[b]), sizes[b]);
    o += 8 + sizes[b];
  }
  fclose(fp);
  assert_int_equal(file_size(p), o);
}

/* ------------------------------------------------------------------------------------------ */
/* Multi-file split and units                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void test_split_rule(void **state) {
  (void)state;
  int64_t first, count;
  assert_int_equal(hp_ic_auto_num_files(1, 512), 1);
  assert_int_equal(hp_ic_auto_num_files(3, 512), 1);
  assert_int_equal(hp_ic_auto_num_files(2, HP_IC_MAX_PER_BINARY_FILE), 1);
  assert_int_equal(hp_ic_auto_num_files(2, HP_IC_MAX_PER_BINARY_FILE + 1), 2);
  assert_int_equal(hp_ic_auto_num_files(1, (int64_t)2048 * 2048 * 2048), 49);
  assert_int_equal(hp_ic_auto_num_files(3, (int64_t)2048 * 2048 * 2048), 5);
  assert_int_equal(hp_ic_auto_num_files(4, 512), -1);
  /* The largest file of the automatic split fits, for a few large N. */
  const int64_t ns[] = {(int64_t)1024 * 1024 * 1024, (int64_t)3000 * 3000 * 3000,
                        (int64_t)2097151 * 2097151 * 2097151};
  for (int i = 0; i < 3; i++)
    for (int fmt = 1; fmt <= 3; fmt++) {
      const int64_t nf = hp_ic_auto_num_files(fmt, ns[i]);
      const int64_t max = fmt == 3 ? HP_IC_MAX_PER_HDF5_FILE : HP_IC_MAX_PER_BINARY_FILE;
      int64_t sum = 0;
      if (nf > 1000) continue; /* only check the sum on a manageable number of files */
      for (int f = 0; f < nf; f++) {
        hp_ic_file_range(ns[i], (int)nf, f, &first, &count);
        assert_int_equal(first, sum);
        assert_true(count <= max);
        sum += count;
      }
      assert_int_equal(sum, ns[i]);
      if (nf > 1) assert_true((ns[i] + nf - 2) / (nf - 1) > max); /* nf - 1 would not do */
    }
  hp_ic_file_range(512, 3, 0, &first, &count);
  assert_true(first == 0 && count == 170);
  hp_ic_file_range(512, 3, 1, &first, &count);
  assert_true(first == 170 && count == 171);
  hp_ic_file_range(512, 3, 2, &first, &count);
  assert_true(first == 341 && count == 171);
}

static void multifile(int format) {
  char base[512], name[32], p[600];
  const int64_t want[3] = {170, 171, 171};
  hp_status st;
  hp_ic_data r;
  snprintf(name, sizeof name, "mf%d", format);
  path_in(base, sizeof base, name);
  hp_ic_desc d = desc(format, base, 3, MPC);
  assert_int_equal(write_ok(&d), 0);
  assert_false(exists(base)); /* no single-file name */
  int64_t off = 0;
  for (int f = 0; f < 3; f++) {
    hp_status_clear(&st);
    assert_int_equal(hp_ic_file_path(format, base, 3, f, p, sizeof p, &st), 0);
    assert_true(exists(p));
    if (hp_ic_read_file(p, format, &r, &st)) fail_msg("%s", st.msg);
    assert_int_equal(r.n, want[f]);
    assert_int_equal(r.hdr.npart[1], want[f]);
    assert_int_equal(r.hdr.npart_total[1], NTOT);
    assert_int_equal(r.hdr.num_files, 3);
    for (int64_t i = 0; i < r.n; i++) assert_int_equal(r.id[i], (uint64_t)(off + i + 1));
    check_particles(&r, r.n, MPC);
    off += r.n;
    hp_ic_data_free(&r);
  }
  if (format == 3) { /* the raw per-file counts, independently of the reader */
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t a = H5Aopen_by_name(f, "Header", "NumPart_ThisFile", H5P_DEFAULT, H5P_DEFAULT);
    uint32_t np6[6];
    assert_true(a >= 0);
    assert_true(H5Aread(a, H5T_NATIVE_UINT32, np6) >= 0);
    assert_int_equal(np6[1], 171);
    H5Aclose(a);
    a = H5Aopen_by_name(f, "Header", "NumPart_Total", H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Aread(a, H5T_NATIVE_UINT32, np6) >= 0);
    assert_int_equal(np6[1], NTOT);
    H5Aclose(a);
    H5Fclose(f);
  } else {
    FILE *fp = fopen(p, "rb"); /* last file */
    assert_non_null(fp);
    check_raw_header(fp, format == 2 ? 20 : 4, 171, 3, BOX);
    fclose(fp);
  }
  hp_status_clear(&st);
  if (hp_ic_read(base, 0, &r, &st)) fail_msg("%s", st.msg);
  assert_int_equal(r.n, NTOT);
  int seen[NTOT] = {0};
  for (int64_t i = 0; i < r.n; i++) {
    assert_true(r.id[i] >= 1 && r.id[i] <= NTOT);
    seen[r.id[i] - 1]++;
  }
  for (int i = 0; i < NTOT; i++) assert_int_equal(seen[i], 1);
  check_particles(&r, r.n, MPC);
  hp_ic_data_free(&r);
}

static void test_multifile_format1(void **state) {
  (void)state;
  multifile(1);
}
static void test_multifile_format2(void **state) {
  (void)state;
  multifile(2);
}
static void test_multifile_format3(void **state) {
  (void)state;
  multifile(3);
}

static void test_kpc_units(void **state) {
  (void)state;
  char base[512], p[600];
  hp_status st;
  hp_ic_data r;
  for (int format = 1; format <= 3; format += 2) {
    snprintf(p, sizeof p, "kpc%d", format);
    path_in(base, sizeof base, p);
    hp_ic_desc d = desc(format, base, 0, KPC);
    assert_int_equal(write_ok(&d), 0);
    hp_status_clear(&st);
    if (hp_ic_read(base, format, &r, &st)) fail_msg("%s", st.msg);
    assert_true(fabs(r.hdr.box - 1000 * BOX) < 1e-9);
    assert_true(fabs(r.hdr.mass[1] - mass_expected()) < 1e-12 * mass_expected()); /* 1e10 Msun/h */
    check_particles(&r, r.n, KPC);
    if (format == 3) assert_true(fabs(r.hdr.unit_length_in_cm - KPC) < 1e-6 * KPC);
    hp_ic_data_free(&r);
  }
  path_in(p, sizeof p, "kpc1");
  FILE *fp = fopen(p, "rb");
  assert_non_null(fp);
  check_raw_header(fp, 4, NTOT, 1, 1000 * BOX);
  fclose(fp);
}

/* ------------------------------------------------------------------------------------------ */
/* HDF5 metadata                                                                              */
/* ------------------------------------------------------------------------------------------ */

static void test_hdf5_parameters(void **state) {
  (void)state;
  char p[512];
  path_in(p, sizeof p, "rt3.hdf5");
  hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t g = H5Gopen2(f, "Parameters", H5P_DEFAULT);
  assert_true(g >= 0);
  for (int i = 0; i < 4; i++) {
    char *v = NULL;
    hp_status st;
    hp_status_clear(&st);
    assert_true(H5Aexists(g, g_keys[i]) > 0);
    if (hp_h5_read_attr_string(g, g_keys[i], &v, &st)) fail_msg("%s", st.msg);
    assert_string_equal(v, g_vals[i]);
    free(v);
  }
  H5Gclose(g);
  /* halopaint group, units, and the Header layout a Gadget reader needs. */
  hp_status st;
  char *s = NULL;
  g = H5Gopen2(f, "halopaint", H5P_DEFAULT);
  assert_true(g >= 0);
  hp_status_clear(&st);
  assert_int_equal(hp_h5_read_attr_string(g, "Software", &s, &st), 0);
  assert_string_equal(s, "halopaint test");
  free(s);
  assert_int_equal(hp_h5_read_attr_string(g, "Units", &s, &st), 0);
  assert_non_null(strstr(s, "a^-1/2"));
  free(s);
  H5Gclose(g);
  g = H5Gopen2(f, "Header", H5P_DEFAULT);
  static const char *const need[] = {"NumPart_ThisFile",
                                     "NumPart_Total",
                                     "NumPart_Total_HighWord",
                                     "MassTable",
                                     "Time",
                                     "Redshift",
                                     "BoxSize",
                                     "NumFilesPerSnapshot",
                                     "Omega0",
                                     "OmegaLambda",
                                     "HubbleParam",
                                     "Flag_Sfr",
                                     "Flag_Cooling",
                                     "Flag_Feedback",
                                     "Flag_StellarAge",
                                     "Flag_Metals",
                                     "Flag_Entropy_ICs",
                                     "Flag_DoublePrecision"};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (H5Aexists(g, need[i]) <= 0) fail_msg("Header attribute %s missing", need[i]);
  H5Gclose(g);
  /* Masses (for SWIFT): every value is the MassTable mass. */
  static float m[NTOT];
  const hsize_t dim = NTOT;
  hp_status_clear(&st);
  if (hp_h5_read_dataset(f, "PartType1/Masses", H5T_NATIVE_FLOAT, 1, &dim, m, &st))
    fail_msg("%s", st.msg);
  for (int i = 0; i < NTOT; i++) assert_true(m[i] == (float)mass_expected());
  double ul = 0;
  g = H5Gopen2(f, "Units", H5P_DEFAULT);
  assert_int_equal(hp_h5_read_attr(g, "Unit length in cgs (U_L)", H5T_NATIVE_DOUBLE, &ul, 1, &st),
                   0);
  assert_true(ul == MPC);
  H5Gclose(g);
  /* hp_h5 helpers: a missing attribute is a clear failure naming file and object. */
  g = H5Gopen2(f, "Header", H5P_DEFAULT);
  hp_status_clear(&st);
  assert_int_equal(hp_h5_read_attr(g, "NoSuchThing", H5T_NATIVE_DOUBLE, &ul, 1, &st),
                   HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "rt3.hdf5"));
  assert_non_null(strstr(st.msg, "/Header"));
  assert_non_null(strstr(st.msg, "NoSuchThing"));
  H5Gclose(g);
  H5Fclose(f);

  /* Reader: the parameters come back as text. */
  hp_ic_data r;
  hp_status_clear(&st);
  if (hp_ic_read_file(p, 3, &r, &st)) fail_msg("%s", st.msg);
  assert_int_equal(r.nparams, 4);
  for (int i = 0; i < 4; i++) {
    int found = 0;
    for (int j = 0; j < r.nparams; j++)
      if (strcmp(r.param_key[j], g_keys[i]) == 0) {
        assert_string_equal(r.param_value[j], g_vals[i]);
        found = 1;
      }
    assert_true(found);
  }
  hp_ic_data_free(&r);
}

static void test_params_file(void **state) {
  (void)state;
  char p[512], line[256];
  path_in(p, sizeof p, "rt1.params");
  FILE *fp = fopen(p, "r");
  assert_non_null(fp);
  int keys = 0, soft = 0;
  while (fgets(line, sizeof line, fp)) {
    if (strncmp(line, "% software halopaint test", 25) == 0) soft = 1;
    for (int i = 0; i < 4; i++) {
      char want[128];
      snprintf(want, sizeof want, "%s %s\n", g_keys[i], g_vals[i]);
      if (strcmp(line, want) == 0) keys++;
    }
  }
  fclose(fp);
  assert_int_equal(soft, 1);
  assert_int_equal(keys, 4);
}

static void test_h5_open_errors(void **state) {
  (void)state;
  char p[512];
  hid_t f;
  hp_status st;
  path_in(p, sizeof p, "nothing.hdf5");
  hp_status_clear(&st);
  assert_int_equal(hp_h5_open_ro(p, &f, &st), HP_ERR_IO);
  assert_non_null(strstr(st.msg, p));
  path_in(p, sizeof p, "rt1"); /* a Gadget binary file */
  hp_status_clear(&st);
  assert_int_equal(hp_h5_open_ro(p, &f, &st), HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "not an HDF5 file"));
  assert_non_null(strstr(st.msg, p));
}

/* ------------------------------------------------------------------------------------------ */
/* Atomicity                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void test_missing_directory(void **state) {
  (void)state;
  char base[512];
  path_in(base, sizeof base, "no/such/dir/ics");
  const int before = count_entries(g_dir, "");
  for (int format = 1; format <= 3; format++)
    for (int nf = 1; nf <= 2; nf++) {
      hp_ic_desc d = desc(format, base, nf, MPC);
      hp_ic_particles p = particles();
      hp_status st;
      hp_status_clear(&st);
      assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_IO);
      assert_non_null(strstr(st.msg, base));
      assert_non_null(strstr(st.msg, "No such file or directory"));
    }
  char dir[512];
  path_in(dir, sizeof dir, "no");
  assert_false(exists(dir));
  assert_int_equal(count_entries(g_dir, ""), before);
}

static void test_failure_half_way(void **state) {
  (void)state;
  char sub[512], base[600], p[700];
  for (int format = 1; format <= 3; format++) {
    snprintf(p, sizeof p, "half%d", format);
    path_in(sub, sizeof sub, p);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(base, sizeof base, "%s/ics", sub);
    /* The second file's final name is an existing directory: its rename cannot happen. */
    hp_status st;
    hp_status_clear(&st);
    assert_int_equal(hp_ic_file_path(format, base, 3, 1, p, sizeof p, &st), 0);
    assert_int_equal(mkdir(p, 0755), 0);
    hp_ic_desc d = desc(format, base, 3, MPC);
    hp_ic_particles parts = particles();
    assert_int_equal(hp_ic_write(&d, &parts, &st), HP_ERR_IO);
    assert_non_null(strstr(st.msg, p));
    assert_int_equal(count_entries(sub, ""), 1); /* only the directory we made */
    rmdir(p);

    /* A failure while converting the last file (a NaN in its range): nothing is left. */
    g_vel[2][NTOT - 3] = NAN;
    hp_status_clear(&st);
    assert_int_equal(hp_ic_write(&d, &parts, &st), HP_ERR_INPUT);
    g_vel[2][NTOT - 3] = 1.0f;
    assert_non_null(strstr(st.msg, "velocity z of particle 509"));
    assert_int_equal(count_entries(sub, ""), 0);

    /* And the same description now succeeds. */
    assert_int_equal(write_ok(&d), 0);
    assert_int_equal(count_entries(sub, ".tmp."), 0);
    assert_int_equal(count_entries(sub, ""), format == 3 ? 3 : 4);
  }
}

static void test_bad_input(void **state) {
  (void)state;
  char base[512];
  hp_status st;
  hp_ic_particles p = particles();
  path_in(base, sizeof base, "bad");
  const int before = count_entries(g_dir, "");
  hp_ic_desc d = desc(4, base, 0, MPC);
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  d = desc(1, base, 0, MPC);
  d.omega_m = 0;
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  d = desc(1, base, 513, MPC);
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  d = desc(1, base, 0, 0.0);
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  d = desc(3, base, 0, MPC);
  const char *dup_k[2] = {"A", "A"}, *dup_v[2] = {"1", "2"};
  d.params.n = 2;
  d.params.key = dup_k;
  d.params.value = dup_v;
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "twice"));
  d = desc(1, base, 0, MPC);
  p.np = 0;
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  p = particles();
  p.vel[1] = NULL;
  assert_int_equal(hp_ic_write(&d, &p, &st), HP_ERR_INPUT);
  assert_int_equal(count_entries(g_dir, ""), before);
}

/* ------------------------------------------------------------------------------------------ */
/* Truncated and corrupt files                                                                */
/* ------------------------------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to) {
  char buf[4096];
  size_t n;
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  assert_non_null(a);
  assert_non_null(b);
  while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
  fclose(a);
  fclose(b);
}

static void expect_refused(const char *path, int format, const char *what) {
  hp_ic_data r;
  hp_status st;
  hp_status_clear(&st);
  int rc = hp_ic_read_file(path, format, &r, &st);
  if (rc == 0) fail_msg("%s was accepted", path);
  assert_true(rc == HP_ERR_FORMAT || rc == HP_ERR_IO);
  assert_non_null(strstr(st.msg, path));
  if (what != NULL && strstr(st.msg, what) == NULL)
    fail_msg("message '%s' lacks '%s'", st.msg, what);
  assert_null(r.pos);
}

static void test_truncated(void **state) {
  (void)state;
  char src[512], p[512];
  const char *names[3] = {"rt1", "rt2", "rt3.hdf5"};
  for (int f = 0; f < 3; f++) {
    path_in(src, sizeof src, names[f]);
    snprintf(p, sizeof p, "%s/trunc_%d", g_dir, f + 1);
    const long size = file_size(src);
    const long cuts[] = {size - 1, size - 4, size - 100, size / 2, 300, 100, 2, 0};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
      copy_file(src, p);
      assert_int_equal(truncate(p, cuts[c]), 0);
      expect_refused(p, f + 1, f < 2 && cuts[c] > 300 ? "truncated" : NULL);
      expect_refused(p, 0, NULL); /* auto-detection must not crash either */
    }
    unlink(p);
  }
  /* Snapshot reader: one file of three missing. */
  char base[512];
  path_in(base, sizeof base, "mf1");
  path_in(p, sizeof p, "mf1.1");
  path_in(src, sizeof src, "mf1.1.saved");
  assert_int_equal(rename(p, src), 0);
  hp_ic_data r;
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_ic_read(base, 1, &r, &st), HP_ERR_IO);
  assert_non_null(strstr(st.msg, "mf1.1"));
  assert_int_equal(rename(src, p), 0);
}

static void test_corrupt(void **state) {
  (void)state;
  char src[512], p[512];
  int32_t bad = 12345;
  /* A wrong end marker of the POS block. */
  path_in(src, sizeof src, "rt1");
  path_in(p, sizeof p, "corrupt1");
  copy_file(src, p);
  FILE *fp = fopen(p, "r+b");
  assert_non_null(fp);
  fseek(fp, 264 + 4 + 12 * NTOT, SEEK_SET);
  fwrite(&bad, 4, 1, fp);
  fclose(fp);
  expect_refused(p, 1, "record marker mismatch");
  /* A header that announces more particles than the file holds. */
  copy_file(src, p);
  fp = fopen(p, "r+b");
  int32_t more = NTOT + 1;
  fseek(fp, 4 + 4, SEEK_SET);
  fwrite(&more, 4, 1, fp);
  fclose(fp);
  expect_refused(p, 1, NULL);
  /* A format-1 file read as format 2 and vice versa. */
  expect_refused(src, 2, "mismatch");
  path_in(src, sizeof src, "rt2");
  expect_refused(src, 1, "format-2");
  /* A corrupted label. */
  copy_file(src, p);
  fp = fopen(p, "r+b");
  fseek(fp, 280 + 4, SEEK_SET);
  fwrite("XYZW", 1, 4, fp);
  fclose(fp);
  expect_refused(p, 2, "no 'POS ' block");
  /* An HDF5 file without its ParticleIDs dataset. */
  path_in(src, sizeof src, "rt3.hdf5");
  path_in(p, sizeof p, "corrupt3.hdf5");
  copy_file(src, p);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_true(H5Ldelete(f, "PartType1/ParticleIDs", H5P_DEFAULT) >= 0);
  H5Fclose(f);
  expect_refused(p, 3, "ParticleIDs");
  unlink(p);
}

/* Random byte corruptions and truncations of binary files: read or refused, never a crash. */
static void test_fuzz_binary(void **state) {
  (void)state;
  char src[512], p[512];
  static unsigned char orig[65536], buf[65536];
  for (int fmt = 1; fmt <= 2; fmt++) {
    path_in(src, sizeof src, fmt == 1 ? "rt1" : "rt2");
    path_in(p, sizeof p, "fuzz");
    FILE *fp = fopen(src, "rb");
    assert_non_null(fp);
    const size_t n = fread(orig, 1, sizeof orig, fp);
    fclose(fp);
    assert_true(n > 0 && n < sizeof orig);
    for (int it = 0; it < 300; it++) {
      memcpy(buf, orig, n);
      const int flips = 1 + (int)(4 * uniform());
      for (int j = 0; j < flips; j++)
        buf[(size_t)(uniform() * n)] = (unsigned char)(256 * uniform());
      const size_t len = uniform() < 0.25 ? (size_t)(uniform() * n) : n;
      fp = fopen(p, "wb");
      assert_non_null(fp);
      assert_int_equal(fwrite(buf, 1, len, fp), len);
      fclose(fp);
      for (int f = 0; f <= 2; f++) {
        hp_ic_data r;
        hp_status st;
        hp_status_clear(&st);
        if (hp_ic_read_file(p, f, &r, &st) == 0) {
          assert_true(r.n >= 0 && r.n <= NTOT);
          hp_ic_data_free(&r);
        } else {
          assert_true(st.msg[0] != '\0');
          assert_null(r.pos);
        }
      }
    }
    unlink(p);
  }
}

/* Every HDF5 handle opened by the writer, the reader and the helpers was closed. */
static void test_no_open_hdf5_handles(void **state) {
  (void)state;
  assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_format1),
      cmocka_unit_test(test_roundtrip_format2),
      cmocka_unit_test(test_roundtrip_format3),
      cmocka_unit_test(test_read_file_autodetect),
      cmocka_unit_test(test_gadget_header_raw),
      cmocka_unit_test(test_format2_labels),
      cmocka_unit_test(test_split_rule),
      cmocka_unit_test(test_multifile_format1),
      cmocka_unit_test(test_multifile_format2),
      cmocka_unit_test(test_multifile_format3),
      cmocka_unit_test(test_kpc_units),
      cmocka_unit_test(test_hdf5_parameters),
      cmocka_unit_test(test_params_file),
      cmocka_unit_test(test_h5_open_errors),
      cmocka_unit_test(test_missing_directory),
      cmocka_unit_test(test_failure_half_way),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_corrupt),
      cmocka_unit_test(test_fuzz_binary),
      cmocka_unit_test(test_no_open_hdf5_handles),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
