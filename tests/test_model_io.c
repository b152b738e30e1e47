/*
 * Tests of the painter model files (nn/model_io): random initialisation (N(0, 0.1) weights,
 * 0.1 biases, default metadata), the save/load round trip (every weight and metadata field),
 * atomic saving (nothing left behind on any failure), and the refusal of every kind of broken
 * file, each built here with the HDF5 API from a valid one, with a message that names the
 * file and the object.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
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

#include "nn/model_io.h"
#include "util/hdf5_util.h"

static char g_dir[256];  /* per-run scratch directory */
static char g_good[512]; /* a valid K = 2 model file */
static const double g_edges2[3] = {1e12, 1e13, 1e15};

/* ------------------------------------------------------------------------------------------ */
/* Fixtures and helpers                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void rm_rf(const char *path) {
  struct stat sb;
  if (lstat(path, &sb) != 0) return;
  if (S_ISDIR(sb.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[1024];
    while (d != NULL && (e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      rm_rf(sub);
    }
    if (d != NULL) closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* Number of directory entries (other than . and ..) in @p dir. */
static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void path_in(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", g_dir, name);
}

static int setup(void **state) {
  hp_model m;
  hp_status st;
  (void)state;
  hp_status_clear(&st);
  snprintf(g_dir, sizeof g_dir, "/tmp/hp_test_model.XXXXXX");
  if (mkdtemp(g_dir) == NULL) return -1;
  path_in(g_good, sizeof g_good, "good.h5");
  if (hp_model_init(&m, 2, g_edges2, 7, &st)) return -1;
  int rc = hp_model_save(&m, g_good, &st);
  hp_model_free(&m);
  return rc ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  rm_rf(g_dir);
  return 0;
}

/* Copy the valid model to a new file in the scratch directory; returns its path. */
static const char *copy_good(const char *name) {
  static char path[512];
  char buf[65536];
  size_t n;
  path_in(path, sizeof path, name);
  FILE *in = fopen(g_good, "rb"), *out = fopen(path, "wb");
  assert_non_null(in);
  assert_non_null(out);
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
  fclose(in);
  fclose(out);
  return path;
}

static hid_t open_rw(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  return f;
}

static void del_attr(const char *path, const char *obj, const char *name) {
  hid_t f = open_rw(path);
  assert_true(H5Adelete_by_name(f, obj, name, H5P_DEFAULT) >= 0);
  H5Fclose(f);
}

/* Replace (or create) attribute @p name of @p obj with @p n doubles (n = 0: scalar). */
static void set_attr_doubles(const char *path, const char *obj, const char *name, const double *v,
                             size_t n) {
  hp_status st;
  hid_t f = open_rw(path), o = H5Oopen(f, obj, H5P_DEFAULT);
  assert_true(o >= 0);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  assert_int_equal(hp_h5_write_attr_double(o, name, v, n, &st), 0);
  H5Oclose(o);
  H5Fclose(f);
}

static void set_attr_int(const char *path, const char *obj, const char *name, int v) {
  hp_status st;
  hid_t f = open_rw(path), o = H5Oopen(f, obj, H5P_DEFAULT);
  assert_true(o >= 0);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  assert_int_equal(hp_h5_write_attr_int(o, name, &v, 0, &st), 0);
  H5Oclose(o);
  H5Fclose(f);
}

static void set_attr_string(const char *path, const char *obj, const char *name, const char *v) {
  hp_status st;
  hid_t f = open_rw(path), o = H5Oopen(f, obj, H5P_DEFAULT);
  assert_true(o >= 0);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  assert_int_equal(hp_h5_write_attr_string(o, name, v, &st), 0);
  H5Oclose(o);
  H5Fclose(f);
}

static void del_link(const char *path, const char *name) {
  hid_t f = open_rw(path);
  assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
  H5Fclose(f);
}

/* Replace dataset @p name by one of the given rank, dims, file type and (float) contents. */
static void replace_dataset(const char *path, const char *name, int rank, const hsize_t *dims,
                            hid_t file_type, const float *data) {
  hid_t f = open_rw(path);
  assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(f, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  H5Fclose(f);
}

/* Set element @p index (flat) of float dataset @p name to @p v, keeping the rest. */
static void poke(const char *path, const char *name, size_t index, float v) {
  hid_t f = open_rw(path), d = H5Dopen2(f, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t sp = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  float *buf = malloc((size_t)n * sizeof *buf);
  assert_non_null(buf);
  assert_true(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  buf[index] = v;
  assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  free(buf);
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
}

/*
 * The file must be refused with @p code, a message naming the file and containing every
 * further string given (NULL-terminated list), and the model left empty.
 */
static void expect_refused(const char *path, int code, ...) {
  hp_model m;
  hp_status st;
  va_list ap;
  hp_status_clear(&st);
  memset(&m, 0x5a, sizeof m);
  int rc = hp_model_load(&m, path, &st);
  if (rc != code || strstr(st.msg, path) == NULL)
    fail_msg("%s: rc %d (expected %d), message: %s", path, rc, code, st.msg);
  assert_null(m.net.w);
  assert_int_equal(m.net.nparams, 0);
  va_start(ap, code);
  for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *))
    if (strstr(st.msg, s) == NULL) {
      va_end(ap);
      fail_msg("message for %s lacks \"%s\": %s", path, s, st.msg);
    }
  va_end(ap);
}

/* ------------------------------------------------------------------------------------------ */
/* Initialisation                                                                             */
/* ------------------------------------------------------------------------------------------ */

static void test_init_distribution(void **state) {
  hp_model m;
  hp_status st;
  const double edges[2] = {1e13, 1e14};
  (void)state;
  assert_int_equal(hp_model_init(&m, 1, edges, 42, &st), 0);
  assert_int_equal(m.net.nparams, 32081);
  assert_int_equal(m.net.cin, 1);
  assert_int_equal(m.net.k_out, 1);
  assert_int_equal(hp_net_halo(&m.net), 4);
  double s = 0, s2 = 0;
  size_t nw = 0, nb = 0;
  for (int i = 0; i < m.net.nconv; i++) {
    const hp_conv *c = &m.net.conv[i];
    const size_t n = (size_t)c->cout * c->cin * c->k * c->k * c->k;
    for (size_t j = 0; j < n; j++) {
      s += m.net.w[c->w_off + j];
      s2 += (double)m.net.w[c->w_off + j] * m.net.w[c->w_off + j];
    }
    nw += n;
    for (int j = 0; j < c->cout; j++, nb++) assert_true(m.net.w[c->b_off + j] == 0.1f);
  }
  assert_int_equal(nw + nb, 32081);
  const double mean = s / nw, sd = sqrt(s2 / nw - mean * mean);
  /* ~32,000 samples: the sample mean has sigma 0.1/sqrt(n) = 5.6e-4, the std ~4e-4 */
  assert_true(fabs(mean) < 3e-3);
  assert_true(fabs(sd - 0.1) < 3e-3);
  /* default metadata */
  assert_int_equal(m.meta.format_version, HP_MODEL_FORMAT_VERSION);
  assert_true(m.meta.voxel_size == 4.0 && m.meta.redshift == 0.0);
  assert_int_equal(m.meta.lpt_order, 2);
  assert_true(m.meta.particles_per_voxel == 8.0);
  assert_int_equal(m.meta.nbins, 1);
  assert_true(m.meta.bin_edges[0] == 1e13 && m.meta.bin_edges[1] == 1e14);
  assert_true(isnan(m.meta.omega_m) && isnan(m.meta.omega_l) && isnan(m.meta.omega_b));
  assert_true(isnan(m.meta.h) && isnan(m.meta.sigma8) && isnan(m.meta.n_s));
  assert_string_equal(m.meta.density_norm, "rho/rho_mean");
  assert_string_equal(m.meta.provenance, "random initialisation, seed 42");
  assert_int_equal(hp_model_check(&m, &st), 0);
  /* same seed, same weights; another seed, other weights */
  hp_model m2;
  assert_int_equal(hp_model_init(&m2, 1, edges, 42, &st), 0);
  assert_memory_equal(m.net.w, m2.net.w, m.net.nparams * sizeof(float));
  hp_model_free(&m2);
  assert_int_equal(hp_model_init(&m2, 1, edges, 43, &st), 0);
  assert_true(memcmp(m.net.w, m2.net.w, m.net.nparams * sizeof(float)) != 0);
  hp_model_free(&m2);
  hp_model_free(&m);
  assert_null(m.net.w);
  hp_model_free(&m); /* twice is fine */
}

static void test_init_refuses(void **state) {
  hp_model m;
  hp_status st;
  const double bad_order[3] = {1e13, 1e12, 1e14}, neg[2] = {-1, 1e13}, nan_e[2] = {NAN, 1};
  const double ok[2] = {1e12, 1e13};
  (void)state;
  assert_int_equal(hp_model_init(&m, 2, bad_order, 1, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "MassBinEdges[1]"));
  assert_null(m.net.w);
  assert_int_equal(hp_model_init(&m, 1, neg, 1, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "MassBinEdges[0]"));
  assert_int_equal(hp_model_init(&m, 1, nan_e, 1, &st), HP_ERR_INPUT);
  assert_int_equal(hp_model_init(&m, 1, NULL, 1, &st), HP_ERR_INPUT);
  assert_int_equal(hp_model_init(&m, 0, ok, 1, &st), HP_ERR_INPUT);
  assert_int_equal(hp_model_init(&m, HP_NET_MAX_K + 1, ok, 1, &st), HP_ERR_INPUT);
  assert_int_equal(hp_model_init(NULL, 1, ok, 1, &st), HP_ERR_INPUT);
}

static void test_layer_list(void **state) {
  hp_model m;
  hp_status st;
  char buf[4096];
  (void)state;
  assert_int_equal(hp_model_init(&m, 3, (const double[]){1, 2, 3, 4}, 1, &st), 0);
  size_t n = hp_model_layer_list(&m.net, buf, sizeof buf);
  assert_int_equal(n, strlen(buf));
  assert_int_equal(
      strncmp(buf, "inception1/branch5_reduce 1 10 1 1\ninception1/branch5 10 10 5 1\n", 64), 0);
  assert_non_null(strstr(buf, "\nhead/out 10 3 1 1\n"));
  int lines = 0;
  for (const char *p = buf; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, m.net.nconv);
  /* a short buffer: truncated, NUL-terminated, full length returned */
  char small[40];
  assert_int_equal(hp_model_layer_list(&m.net, small, sizeof small), n);
  assert_true(strlen(small) < sizeof small);
  hp_model_free(&m);
}

/* ------------------------------------------------------------------------------------------ */
/* Round trip and atomic saving                                                               */
/* ------------------------------------------------------------------------------------------ */

static void assert_same_double(double a, double b) {
  if (isnan(a) || isnan(b))
    assert_true(isnan(a) && isnan(b));
  else
    assert_memory_equal(&a, &b, sizeof a);
}

static void check_round_trip(const hp_model *m, const char *path) {
  hp_model r;
  hp_status st;
  hp_status_clear(&st);
  if (hp_model_save(m, path, &st)) fail_msg("save: %s", st.msg);
  if (hp_model_load(&r, path, &st)) fail_msg("load: %s", st.msg);
  assert_int_equal(r.net.nparams, m->net.nparams);
  assert_memory_equal(r.net.w, m->net.w, m->net.nparams * sizeof(float));
  assert_int_equal(r.net.nconv, m->net.nconv);
  assert_int_equal(r.net.k_out, m->net.k_out);
  assert_true(r.net.slope == m->net.slope);
  for (int i = 0; i < m->net.nconv; i++) {
    assert_string_equal(r.net.conv[i].name, m->net.conv[i].name);
    assert_int_equal(r.net.conv[i].w_off, m->net.conv[i].w_off);
  }
  const hp_model_meta *a = &m->meta, *b = &r.meta;
  assert_int_equal(b->format_version, HP_MODEL_FORMAT_VERSION);
  assert_same_double(a->voxel_size, b->voxel_size);
  assert_same_double(a->redshift, b->redshift);
  assert_int_equal(a->lpt_order, b->lpt_order);
  assert_same_double(a->particles_per_voxel, b->particles_per_voxel);
  assert_int_equal(a->nbins, b->nbins);
  for (int i = 0; i <= a->nbins; i++) assert_same_double(a->bin_edges[i], b->bin_edges[i]);
  assert_same_double(a->omega_m, b->omega_m);
  assert_same_double(a->omega_l, b->omega_l);
  assert_same_double(a->omega_b, b->omega_b);
  assert_same_double(a->h, b->h);
  assert_same_double(a->sigma8, b->sigma8);
  assert_same_double(a->n_s, b->n_s);
  assert_string_equal(a->density_norm, b->density_norm);
  assert_string_equal(a->provenance, b->provenance);
  assert_int_equal(a->count.kind, b->count.kind);
  for (int i = 0; i < a->nbins; i++) {
    assert_same_double(a->count.a[i], b->count.a[i]);
    assert_same_double(a->count.b[i], b->count.b[i]);
    assert_same_double(a->count.run[i], b->count.run[i]);
  }
  hp_model_free(&r);
}

static void test_round_trip(void **state) {
  hp_model m;
  hp_status st;
  char path[512];
  const double edges[4] = {3.2e11, 1.7e12, 2.5e13, 9.9e14};
  (void)state;
  /* untrained defaults (NaN cosmology) */
  assert_int_equal(hp_model_init(&m, 3, edges, 11, &st), 0);
  path_in(path, sizeof path, "rt_default.h5");
  check_round_trip(&m, path);
  /* every field changed, weights not representable in few digits */
  m.meta.voxel_size = 3.90625;
  m.meta.redshift = 0.55;
  m.meta.lpt_order = 1;
  m.meta.particles_per_voxel = 27.0 / 7.0;
  m.meta.omega_m = 0.3089;
  m.meta.omega_l = 0.6911;
  m.meta.omega_b = 0.0486;
  m.meta.h = 0.6774;
  m.meta.sigma8 = 0.8159;
  m.meta.n_s = 0.9667;
  snprintf(m.meta.provenance, sizeof m.meta.provenance,
           "trained 5e5 updates on 2LPT/PM pairs; `halopaint train x.param -s Seed=3`");
  for (size_t i = 0; i < m.net.nparams; i++) m.net.w[i] = (float)(sin((double)i) * 1e-3 * i);
  path_in(path, sizeof path, "rt_full.h5");
  check_round_trip(&m, path);
  /* overwrite an existing file */
  m.net.w[5] = -7.25f;
  check_round_trip(&m, path);
  /* a learned count distribution */
  m.meta.count.kind = HP_COUNT_CMP;
  for (int i = 0; i < 3; i++) m.meta.count.a[i] = 0.1 * i - 0.3, m.meta.count.b[i] = 1.0 / 3 + i;
  check_round_trip(&m, path);
  /* exclusion runs */
  for (int i = 0; i < 3; i++) m.meta.count.run[i] = 0.3 * i + 1.0 / 7;
  check_round_trip(&m, path);
  hp_model_free(&m);
}

/* Whole file as bytes (NULL on failure); *n its length. */
static unsigned char *slurp(const char *path, long *n) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  if (f && fseek(f, 0, SEEK_END) == 0 && (*n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)*n)) && fread(buf, 1, (size_t)*n, f) != (size_t)*n) {
    free(buf);
    buf = NULL;
  }
  if (f) fclose(f);
  return buf;
}

/* The same model saved twice, more than a second apart, is the same file byte for byte: no
 * object records its modification time (HDF5's default does, to the second). */
static void test_same_bytes(void **state) {
  hp_model m;
  hp_status st;
  char p1[512], p2[512];
  const double edges[3] = {1e13, 1e14, 1e15};
  (void)state;
  assert_int_equal(hp_model_init(&m, 2, edges, 5, &st), 0);
  path_in(p1, sizeof p1, "same1.h5");
  path_in(p2, sizeof p2, "same2.h5");
  assert_int_equal(hp_model_save(&m, p1, &st), 0);
  sleep(2);
  assert_int_equal(hp_model_save(&m, p2, &st), 0);
  long n1 = 0, n2 = 0;
  unsigned char *b1 = slurp(p1, &n1), *b2 = slurp(p2, &n2);
  assert_non_null(b1);
  assert_non_null(b2);
  assert_int_equal(n1, n2);
  assert_memory_equal(b1, b2, (size_t)n1);
  free(b1), free(b2);
  hp_model_free(&m);
}

static void test_atomic_save(void **state) {
  hp_model m, r;
  hp_status st;
  char sub[512], path[600], dir_as_target[600];
  (void)state;
  path_in(sub, sizeof sub, "atomic");
  assert_int_equal(mkdir(sub, 0700), 0);
  assert_int_equal(hp_model_init(&m, 1, (const double[]){1e12, 1e13}, 3, &st), 0);
  /* a missing directory */
  snprintf(path, sizeof path, "%s/no/such/dir/m.h5", sub);
  assert_int_equal(hp_model_save(&m, path, &st), HP_ERR_IO);
  assert_non_null(strstr(st.msg, "m.h5"));
  assert_int_equal(count_entries(sub), 0);
  /* the target is a directory: written in full, then the rename fails; nothing left */
  snprintf(dir_as_target, sizeof dir_as_target, "%s/target.h5", sub);
  assert_int_equal(mkdir(dir_as_target, 0700), 0);
  assert_int_equal(hp_model_save(&m, dir_as_target, &st), HP_ERR_IO);
  assert_int_equal(count_entries(sub), 1);
  assert_int_equal(count_entries(dir_as_target), 0);
  rmdir(dir_as_target);
  /* a valid file, then a failing save over it: the old file is intact */
  snprintf(path, sizeof path, "%s/m.h5", sub);
  assert_int_equal(hp_model_save(&m, path, &st), 0);
  assert_int_equal(count_entries(sub), 1);
  const float keep = m.net.w[100];
  m.net.w[100] = NAN;
  assert_int_equal(hp_model_save(&m, path, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "inception1/branch5/kernel"));
  assert_non_null(strstr(st.msg, "NaN"));
  assert_int_equal(count_entries(sub), 1);
  assert_int_equal(hp_model_load(&r, path, &st), 0);
  assert_true(r.net.w[100] == keep);
  hp_model_free(&r);
  /* invalid metadata is refused before anything is written */
  m.net.w[100] = keep;
  m.meta.voxel_size = 0;
  assert_int_equal(hp_model_save(&m, path, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "VoxelSize"));
  m.meta.voxel_size = 4;
  m.meta.lpt_order = 3;
  assert_int_equal(hp_model_save(&m, path, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "LPTOrder"));
  m.meta.lpt_order = 2;
  m.meta.sigma8 = INFINITY;
  assert_int_equal(hp_model_save(&m, path, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "Sigma8"));
  m.meta.sigma8 = NAN;
  assert_int_equal(count_entries(sub), 1);
  assert_int_equal(hp_model_save(NULL, path, &st), HP_ERR_INPUT);
  assert_int_equal(hp_model_save(&m, NULL, &st), HP_ERR_INPUT);
  hp_model_free(&m);
}

/* ------------------------------------------------------------------------------------------ */
/* Broken files                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void test_not_a_model(void **state) {
  char path[512];
  (void)state;
  path_in(path, sizeof path, "text.h5");
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("this is not an HDF5 file\n", f);
  fclose(f);
  expect_refused(path, HP_ERR_FORMAT, "not an HDF5 file", NULL);
  path_in(path, sizeof path, "missing.h5");
  expect_refused(path, HP_ERR_IO, NULL);
  path_in(path, sizeof path, "empty.h5");
  f = fopen(path, "w");
  fclose(f);
  expect_refused(path, HP_ERR_FORMAT, NULL);
  /* an HDF5 file that is not a model */
  path_in(path, sizeof path, "other.h5");
  hid_t h = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(h);
  expect_refused(path, HP_ERR_FORMAT, "FormatVersion", "not found", NULL);
  hp_model m;
  hp_status st;
  assert_int_equal(hp_model_load(&m, NULL, &st), HP_ERR_INPUT);
  assert_int_equal(hp_model_load(NULL, g_good, &st), HP_ERR_INPUT);
}

static void test_truncated(void **state) {
  struct stat sb;
  (void)state;
  assert_int_equal(stat(g_good, &sb), 0);
  /* a cut at the half, then at 64 places across the file: always refused, never a crash */
  const char *p = copy_good("truncated.h5");
  assert_int_equal(truncate(p, sb.st_size / 2), 0);
  expect_refused(p, HP_ERR_FORMAT, NULL);
  for (int i = 0; i < 64; i++) {
    p = copy_good("truncated_n.h5");
    const off_t len = (off_t)((double)sb.st_size * i / 64.0);
    assert_int_equal(truncate(p, len), 0);
    expect_refused(p, HP_ERR_FORMAT, NULL);
  }
  p = copy_good("truncated_1.h5");
  assert_int_equal(truncate(p, sb.st_size - 1), 0);
  expect_refused(p, HP_ERR_FORMAT, NULL);
}

static void test_wrong_kernel_shape(void **state) {
  float w[10 * 10 * 27];
  const hsize_t dims[5] = {10, 10, 3, 3, 3};
  (void)state;
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = 0.01f;
  const char *p = copy_good("shape.h5");
  replace_dataset(p, "Weights/inception1/branch5/kernel", 5, dims, H5T_IEEE_F32LE, w);
  expect_refused(p, HP_ERR_FORMAT, "Weights/inception1/branch5/kernel", "(10, 10, 3, 3, 3)",
                 "expected (10, 10, 5, 5, 5)", NULL);
  /* a bias of the wrong length, a kernel of the wrong rank */
  const hsize_t b[1] = {3}, r4[4] = {2, 10, 1, 1};
  p = copy_good("bias_shape.h5");
  replace_dataset(p, "Weights/head/out/bias", 1, b, H5T_IEEE_F32LE, w);
  expect_refused(p, HP_ERR_FORMAT, "Weights/head/out/bias", "(3)", "expected (2)", NULL);
  p = copy_good("rank.h5");
  replace_dataset(p, "Weights/head/out/kernel", 4, r4, H5T_IEEE_F32LE, w);
  expect_refused(p, HP_ERR_FORMAT, "Weights/head/out/kernel", "expected (2, 10, 1, 1, 1)", NULL);
  /* integer weights are not weights */
  const hsize_t k1[5] = {2, 10, 1, 1, 1};
  p = copy_good("int_kernel.h5");
  replace_dataset(p, "Weights/head/out/kernel", 5, k1, H5T_STD_I32LE, w);
  expect_refused(p, HP_ERR_FORMAT, "Weights/head/out/kernel", "floating point", NULL);
}

static void test_nonfinite_weight(void **state) {
  (void)state;
  /* kernel (10, 10, 1, 1, 1) of head/conv2: flat 37 = [3][7][0][0][0] */
  const char *p = copy_good("nan.h5");
  poke(p, "Weights/head/conv2/kernel", 37, NAN);
  expect_refused(p, HP_ERR_FORMAT, "head/conv2", "[3][7][0][0][0]", "NaN", NULL);
  p = copy_good("inf.h5");
  poke(p, "Weights/inception2/branch3/bias", 9, -INFINITY);
  expect_refused(p, HP_ERR_FORMAT, "inception2/branch3/bias", "[9]", "infinite", NULL);
  /* 5x5x5 kernel: flat 1 + 5*(2 + 5*(3 + 5*(4 + 10*6))) = [6][4][3][2][1] */
  p = copy_good("nan5.h5");
  poke(p, "Weights/inception1/branch5/kernel", 1 + 5 * (2 + 5 * (3 + 5 * (4 + 10 * 6))), NAN);
  expect_refused(p, HP_ERR_FORMAT, "inception1/branch5/kernel", "[6][4][3][2][1]", NULL);
}

static void test_missing_objects(void **state) {
  (void)state;
  const char *p = copy_good("no_attr.h5");
  del_attr(p, "Metadata", "Redshift");
  expect_refused(p, HP_ERR_FORMAT, "/Metadata", "'Redshift' not found", NULL);
  p = copy_good("no_unit.h5");
  del_attr(p, "Metadata", "VoxelSizeUnit");
  expect_refused(p, HP_ERR_FORMAT, "/Metadata", "VoxelSizeUnit", NULL);
  p = copy_good("no_arch_attr.h5");
  del_attr(p, "Architecture", "LayerList");
  expect_refused(p, HP_ERR_FORMAT, "/Architecture", "LayerList", NULL);
  p = copy_good("no_sw.h5");
  del_attr(p, "/", "Software");
  expect_refused(p, HP_ERR_FORMAT, "Software", NULL);
  p = copy_good("no_bias.h5");
  del_link(p, "Weights/head/out/bias");
  expect_refused(p, HP_ERR_FORMAT, "Weights/head/out/bias", "not found", NULL);
  p = copy_good("no_kernel.h5");
  del_link(p, "Weights/inception2/branch1/kernel");
  expect_refused(p, HP_ERR_FORMAT, "Weights/inception2/branch1/kernel", "not found", NULL);
  p = copy_good("no_layer.h5");
  del_link(p, "Weights/head/conv3");
  expect_refused(p, HP_ERR_FORMAT, "Weights/head/conv3/kernel", "not found", NULL);
  p = copy_good("no_weights.h5");
  del_link(p, "Weights");
  expect_refused(p, HP_ERR_FORMAT, "'Weights' not found", NULL);
  p = copy_good("no_meta.h5");
  del_link(p, "Metadata");
  expect_refused(p, HP_ERR_FORMAT, "'Metadata' not found", NULL);
  p = copy_good("no_arch.h5");
  del_link(p, "Architecture");
  expect_refused(p, HP_ERR_FORMAT, "'Architecture' not found", NULL);
}

static void test_bad_architecture(void **state) {
  (void)state;
  const char *p = copy_good("newer.h5");
  set_attr_int(p, "/", "FormatVersion", HP_MODEL_FORMAT_VERSION + 1);
  expect_refused(p, HP_ERR_FORMAT, "FormatVersion = 3", "newer", NULL);
  p = copy_good("version0.h5");
  set_attr_int(p, "/", "FormatVersion", 0);
  expect_refused(p, HP_ERR_FORMAT, "FormatVersion = 0", NULL);
  p = copy_good("version_real.h5");
  set_attr_doubles(p, "/", "FormatVersion", (const double[]){1.0}, 0);
  expect_refused(p, HP_ERR_FORMAT, "FormatVersion", "integer", NULL);
  p = copy_good("name.h5");
  set_attr_string(p, "Architecture", "Name", "UNet3D");
  expect_refused(p, HP_ERR_FORMAT, "/Architecture", "unknown architecture", "UNet3D", NULL);
  p = copy_good("cin.h5");
  set_attr_int(p, "Architecture", "InputChannels", 2);
  expect_refused(p, HP_ERR_FORMAT, "InputChannels = 2", NULL);
  p = copy_good("cout0.h5");
  set_attr_int(p, "Architecture", "OutputChannels", 0);
  expect_refused(p, HP_ERR_FORMAT, "OutputChannels = 0", NULL);
  p = copy_good("cout_big.h5");
  set_attr_int(p, "Architecture", "OutputChannels", HP_NET_MAX_K + 1);
  expect_refused(p, HP_ERR_FORMAT, "OutputChannels = 65", NULL);
  /* K = 3 outputs but three edges (K = 2): the bin edges, not a kernel shape, are blamed */
  p = copy_good("cout_edges.h5");
  set_attr_int(p, "Architecture", "OutputChannels", 3);
  expect_refused(p, HP_ERR_FORMAT, "MassBinEdges", "3 values", "K + 1 = 4", NULL);
  p = copy_good("slope.h5");
  set_attr_doubles(p, "Architecture", "LeakySlope", (const double[]){0.2}, 0);
  expect_refused(p, HP_ERR_FORMAT, "LeakySlope = 0.2", NULL);
  p = copy_good("halo.h5");
  set_attr_int(p, "Architecture", "Halo", 5);
  expect_refused(p, HP_ERR_FORMAT, "Halo = 5", NULL);
  p = copy_good("nparams.h5");
  set_attr_int(p, "Architecture", "NumParameters", 31930);
  expect_refused(p, HP_ERR_FORMAT, "NumParameters = 31930", NULL);
  p = copy_good("layers.h5");
  set_attr_string(p, "Architecture", "LayerList",
                  "inception1/branch5_reduce 1 10 1 1\ninception1/branch5 10 10 7 1\n");
  expect_refused(p, HP_ERR_FORMAT, "'LayerList' line 2", "inception1/branch5 10 10 7 1",
                 "expected \"inception1/branch5 10 10 5 1\"", NULL);
  p = copy_good("layers_short.h5");
  set_attr_string(p, "Architecture", "LayerList", "inception1/branch5_reduce 1 10 1 1\n");
  expect_refused(p, HP_ERR_FORMAT, "'LayerList' line 2", NULL);
}

/* Load @p path into @p m, failing the test with @p what and the message if it is refused. */
static void load_ok(hp_model *m, const char *path, const char *what) {
  hp_status st;
  hp_status_clear(&st);
  if (hp_model_load(m, path, &st)) fail_msg("%s: %s", what, st.msg);
}

/* Format 1 (before the count distribution) paints Poisson; format 2 needs a valid one. */
static void test_count_distribution(void **state) {
  (void)state;
  const char *p = copy_good("v1.h5");
  set_attr_int(p, "/", "FormatVersion", 1);
  del_attr(p, "Metadata", "CountDistribution");
  del_attr(p, "Metadata", "DispersionA");
  del_attr(p, "Metadata", "DispersionB");
  hp_model m;
  load_ok(&m, p, "a version-1 model");
  assert_int_equal(m.meta.count.kind, HP_COUNT_POISSON);
  hp_model_free(&m);
  p = copy_good("nocount.h5");
  del_attr(p, "Metadata", "CountDistribution");
  expect_refused(p, HP_ERR_FORMAT, "CountDistribution", NULL);
  p = copy_good("badcount.h5");
  set_attr_string(p, "Metadata", "CountDistribution", "binomial");
  expect_refused(p, HP_ERR_FORMAT, "CountDistribution", "binomial", "cmp", NULL);
  p = copy_good("nandisp.h5");
  set_attr_doubles(p, "Metadata", "DispersionB", (const double[]){0, NAN}, 2);
  expect_refused(p, HP_ERR_FORMAT, "bin 1", "finite", NULL);
  p = copy_good("shortdisp.h5");
  set_attr_doubles(p, "Metadata", "DispersionA", (const double[]){0}, 1);
  expect_refused(p, HP_ERR_FORMAT, "DispersionA", NULL);
  /* exclusion runs: optional (a model without draws independently), else 0 .. 4 per bin */
  p = copy_good("noruns.h5");
  del_attr(p, "Metadata", "ExclusionRun");
  load_ok(&m, p, "a model without exclusion runs");
  assert_true(m.meta.count.run[0] == 0 && m.meta.count.run[1] == 0);
  hp_model_free(&m);
  p = copy_good("badruns.h5");
  set_attr_doubles(p, "Metadata", "ExclusionRun", (const double[]){0.5, -0.1}, 2);
  expect_refused(p, HP_ERR_FORMAT, "exclusion run length of bin 1", "-0.1", NULL);
  p = copy_good("shortruns.h5");
  set_attr_doubles(p, "Metadata", "ExclusionRun", (const double[]){0.5}, 1);
  expect_refused(p, HP_ERR_FORMAT, "ExclusionRun", NULL);
  /* the group step: optional for cmp and Poisson (a model without has none), required by
     cmp-step, saved and loaded again as it was; never nonzero outside cmp-step */
  p = copy_good("nostep.h5");
  del_attr(p, "Metadata", "GroupStep");
  load_ok(&m, p, "a model without a group step");
  assert_true(m.meta.count.step[0] == 0 && m.meta.count.step[1] == 0);
  hp_model_free(&m);
  p = copy_good("step.h5");
  set_attr_string(p, "Metadata", "CountDistribution", "cmp-step");
  set_attr_doubles(p, "Metadata", "GroupStep", (const double[]){0.375, -1.25}, 2);
  load_ok(&m, p, "a cmp-step model");
  assert_int_equal(m.meta.count.kind, HP_COUNT_CMP_STEP);
  char p2[512];
  path_in(p2, sizeof p2, "step2.h5");
  hp_status st;
  hp_status_clear(&st);
  if (hp_model_save(&m, p2, &st)) fail_msg("save: %s", st.msg);
  hp_model_free(&m);
  load_ok(&m, p2, "a saved cmp-step model");
  assert_int_equal(m.meta.count.kind, HP_COUNT_CMP_STEP);
  assert_true(m.meta.count.step[0] == 0.375 && m.meta.count.step[1] == -1.25);
  hp_model_free(&m);
  p = copy_good("step_missing.h5");
  set_attr_string(p, "Metadata", "CountDistribution", "cmp-step");
  del_attr(p, "Metadata", "GroupStep");
  expect_refused(p, HP_ERR_FORMAT, "GroupStep", NULL);
  p = copy_good("step_notcmpstep.h5");
  set_attr_string(p, "Metadata", "CountDistribution", "cmp");
  set_attr_doubles(p, "Metadata", "GroupStep", (const double[]){0, 0.5}, 2);
  expect_refused(p, HP_ERR_FORMAT, "group step 0.5 of bin 1", "\"cmp\"", NULL);
  p = copy_good("step_big.h5");
  set_attr_string(p, "Metadata", "CountDistribution", "cmp-step");
  set_attr_doubles(p, "Metadata", "GroupStep", (const double[]){0, 9}, 2);
  expect_refused(p, HP_ERR_FORMAT, "group step of bin 1 is 9", NULL);
}

static void test_bad_metadata(void **state) {
  (void)state;
  const char *p = copy_good("edges_k.h5");
  set_attr_doubles(p, "Metadata", "MassBinEdges", (const double[]){1e12, 1e13, 1e14, 1e15}, 4);
  expect_refused(p, HP_ERR_FORMAT, "/Metadata", "MassBinEdges", "4 values", "K + 1 = 3", NULL);
  p = copy_good("edges_order.h5");
  set_attr_doubles(p, "Metadata", "MassBinEdges", (const double[]){1e12, 1e14, 1e13}, 3);
  expect_refused(p, HP_ERR_FORMAT, "/Metadata", "MassBinEdges[2]", "increasing", NULL);
  p = copy_good("edges_neg.h5");
  set_attr_doubles(p, "Metadata", "MassBinEdges", (const double[]){0, 1e14, 1e15}, 3);
  expect_refused(p, HP_ERR_FORMAT, "MassBinEdges[0]", NULL);
  p = copy_good("edges_inf.h5");
  set_attr_doubles(p, "Metadata", "MassBinEdges", (const double[]){1e12, 1e14, INFINITY}, 3);
  expect_refused(p, HP_ERR_FORMAT, "MassBinEdges[2]", NULL);
  p = copy_good("voxel.h5");
  set_attr_doubles(p, "Metadata", "VoxelSize", (const double[]){0.0}, 0);
  expect_refused(p, HP_ERR_FORMAT, "/Metadata", "VoxelSize = 0", NULL);
  p = copy_good("voxel_neg.h5");
  set_attr_doubles(p, "Metadata", "VoxelSize", (const double[]){-4.0}, 0);
  expect_refused(p, HP_ERR_FORMAT, "VoxelSize = -4", NULL);
  p = copy_good("voxel_str.h5");
  set_attr_string(p, "Metadata", "VoxelSize", "4 Mpc/h");
  expect_refused(p, HP_ERR_FORMAT, "VoxelSize", NULL);
  p = copy_good("lpt.h5");
  set_attr_int(p, "Metadata", "LPTOrder", 3);
  expect_refused(p, HP_ERR_FORMAT, "LPTOrder = 3", NULL);
  p = copy_good("lpt_real.h5");
  set_attr_doubles(p, "Metadata", "LPTOrder", (const double[]){2.0}, 0);
  expect_refused(p, HP_ERR_FORMAT, "LPTOrder", "integer", NULL);
  p = copy_good("ppv.h5");
  set_attr_doubles(p, "Metadata", "ParticlesPerVoxel", (const double[]){NAN}, 0);
  expect_refused(p, HP_ERR_FORMAT, "ParticlesPerVoxel", NULL);
  p = copy_good("z.h5");
  set_attr_doubles(p, "Metadata", "Redshift", (const double[]){INFINITY}, 0);
  expect_refused(p, HP_ERR_FORMAT, "Redshift = inf", NULL);
  p = copy_good("om.h5");
  set_attr_doubles(p, "Metadata", "Omega0", (const double[]){-0.3}, 0);
  expect_refused(p, HP_ERR_FORMAT, "Omega0 = -0.3", NULL);
  p = copy_good("norm.h5");
  set_attr_string(p, "Metadata", "DensityNormalisation", "delta");
  expect_refused(p, HP_ERR_FORMAT, "DensityNormalisation", "delta", NULL);
  p = copy_good("unit.h5");
  set_attr_string(p, "Metadata", "VoxelSizeUnit", "kpc/h");
  expect_refused(p, HP_ERR_FORMAT, "VoxelSizeUnit", "kpc/h", "expected \"Mpc/h\"", NULL);
  p = copy_good("munit.h5");
  set_attr_string(p, "Metadata", "MassBinEdgesUnit", "Msun");
  expect_refused(p, HP_ERR_FORMAT, "MassBinEdgesUnit", NULL);
  /* a finite, trained cosmology is accepted */
  p = copy_good("trained.h5");
  set_attr_doubles(p, "Metadata", "Omega0", (const double[]){0.31}, 0);
  set_attr_doubles(p, "Metadata", "Sigma8", (const double[]){0.81}, 0);
  hp_model m;
  hp_status st;
  if (hp_model_load(&m, p, &st)) fail_msg("%s", st.msg);
  assert_true(m.meta.omega_m == 0.31 && m.meta.sigma8 == 0.81 && isnan(m.meta.h));
  hp_model_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_distribution),  cmocka_unit_test(test_init_refuses),
      cmocka_unit_test(test_layer_list),         cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_same_bytes),         cmocka_unit_test(test_atomic_save),
      cmocka_unit_test(test_not_a_model),        cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_wrong_kernel_shape), cmocka_unit_test(test_nonfinite_weight),
      cmocka_unit_test(test_missing_objects),    cmocka_unit_test(test_bad_architecture),
      cmocka_unit_test(test_bad_metadata),       cmocka_unit_test(test_count_distribution),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
