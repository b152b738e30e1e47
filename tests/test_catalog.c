/*
 * Halo catalogue files (catalog/): HDF5 and ASCII round trips of every column, header field and
 * parameter (bit-identical values, including a position one ulp below BoxSize that %.7g would
 * round up to BoxSize); detection by magic bytes; atomic writes (a failed write leaves nothing
 * and keeps an existing file intact); and refusals, each with a message naming the file and
 * the object or line: truncated HDF5, missing dataset, lengths inconsistent with NumHalos,
 * positions outside the box, malformed, non-finite and missing ASCII lines.
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
#include <unistd.h>
#include <cmocka.h>
#include <hdf5.h>

#include "catalog/catalog.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/hp_test_catalog_XXXXXX");
  return mkdtemp(dir) == NULL;
}

static int teardown(void **state) {
  (void)state;
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  return rmdir(dir);
}

static const char *in_dir(const char *name) {
  static char path[8][256];
  static int k = 0;
  k = (k + 1) % 8;
  snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
  return path[k];
}

/* Number of entries in the test directory (to see leftover temporary files). */
static int dir_entries(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* A catalogue with every column, header field and some parameters (with awkward values). */
static void make_catalogue(hp_catalog *c, int64_t n, unsigned cols) {
  hp_status st;
  assert_int_equal(hp_catalog_alloc(c, n, cols, &st), 0);
  hp_catalog_header *h = &c->hdr;
  h->box = 250.5, h->redshift = 0.5, h->omega_m = 0.315, h->omega_l = 0.685;
  h->omega_b = 0.049, h->h = 0.6774, h->sigma8 = 0.8159, h->n_s = 0.9667, h->seed = 4242424242ll;
  h->particle_mass = 8.57e10 / 3;
  snprintf(h->mass_def, sizeof h->mass_def, "FoF b=0.2");
  snprintf(h->command, sizeof h->command, "halopaint sim run.param -s Seed=4242424242 \\ =x\nz");
  snprintf(h->software, sizeof h->software, "halopaint 0.1.0");
  for (int64_t i = 0; i < n; i++) {
    for (int a = 0; a < 3; a++) {
      c->pos[3 * i + a] = (float)fmod(17.3 * (double)(i + 1) * (a + 1.1), 250.5);
      c->vel[3 * i + a] = (float)(-321.123456 + 97.7 * (double)i - 11.1 * a);
      if (c->lagr_pos) c->lagr_pos[3 * i + a] = (float)fmod(3.7 * (double)(i + 2) * (a + 1), 250.5);
    }
    c->mass[i] = 1.2345678912345e12 * (double)(n - i) / 3.0;
    c->id[i] = 1000000000000ll + 7 * i;
    if (c->npart) c->npart[i] = (int32_t)(100 * (n - i));
    if (c->mass_bin) c->mass_bin[i] = (int32_t)(i % 4);
  }
  if (n > 1) {
    c->pos[0] = nextafterf(250.5f, 0.0f); /* %.7g would print 250.5 */
    c->pos[1] = 0.0f;
    c->pos[2] = 1e-30f;
    c->lagr_pos ? (void)(c->lagr_pos[0] = nextafterf(250.5f, 0.0f)) : (void)0;
  }
  static const char *keys[] = {"Omega0", "BoxSize", "FileBase", "PowerSpectrumFile", "Note"};
  static const char *vals[] = {"0.315", "250.5", "my run = two words", "", "a\\b\nc"};
  hp_kv_list kv = {5, keys, vals};
  assert_int_equal(hp_catalog_set_params(c, &kv, &st), 0);
}

static int find_param(const hp_catalog *c, const char *key) {
  for (int i = 0; i < c->nparams; i++)
    if (strcmp(c->param_key[i], key) == 0) return i;
  return -1;
}

static void assert_same(const hp_catalog *a, const hp_catalog *b, int same_param_order) {
  assert_int_equal(a->n, b->n);
  assert_int_equal(a->columns, b->columns);
  const hp_catalog_header *x = &a->hdr, *y = &b->hdr;
  assert_true(x->box == y->box && x->redshift == y->redshift && x->omega_m == y->omega_m);
  assert_true(x->omega_l == y->omega_l && x->omega_b == y->omega_b && x->h == y->h);
  assert_true(x->sigma8 == y->sigma8 && x->n_s == y->n_s && x->particle_mass == y->particle_mass);
  assert_int_equal(x->seed, y->seed);
  assert_string_equal(x->mass_def, y->mass_def);
  assert_string_equal(x->command, y->command);
  assert_string_equal(x->software, y->software);
  const size_t n = (size_t)a->n;
  if (n > 0) {
    assert_memory_equal(a->pos, b->pos, 3 * n * sizeof(float));
    assert_memory_equal(a->vel, b->vel, 3 * n * sizeof(float));
    assert_memory_equal(a->mass, b->mass, n * sizeof(double));
    assert_memory_equal(a->id, b->id, n * sizeof(int64_t));
    if (a->columns & HP_CAT_NPART) assert_memory_equal(a->npart, b->npart, n * 4);
    if (a->columns & HP_CAT_LAGRANGE) assert_memory_equal(a->lagr_pos, b->lagr_pos, 3 * n * 4);
    if (a->columns & HP_CAT_MASSBIN) assert_memory_equal(a->mass_bin, b->mass_bin, n * 4);
  }
  assert_int_equal(a->nparams, b->nparams);
  for (int i = 0; i < a->nparams; i++) {
    const int j = same_param_order ? i : find_param(b, a->param_key[i]);
    assert_true(j >= 0);
    assert_string_equal(a->param_key[i], b->param_key[j]);
    assert_string_equal(a->param_value[i], b->param_value[j]);
  }
}

static void test_hdf5_round_trip(void **state) {
  (void)state;
  const unsigned sets[3] = {HP_CAT_ALL, 0, HP_CAT_NPART | HP_CAT_LAGRANGE};
  const int64_t sizes[3] = {37, 0, 5};
  for (int k = 0; k < 3; k++) {
    hp_catalog c, r;
    hp_status st;
    make_catalogue(&c, sizes[k], sets[k]);
    const char *path = in_dir("cat.hdf5");
    int rc = hp_catalog_write_hdf5(&c, path, &st);
    if (rc) fprintf(stderr, "%s\n", st.msg);
    assert_int_equal(rc, 0);
    rc = hp_catalog_read(&r, path, &st);
    if (rc) fprintf(stderr, "%s\n", st.msg);
    assert_int_equal(rc, 0);
    assert_same(&c, &r, 0);
    hp_catalog_free(&r);
    /* detection is by content, not by name */
    const char *other = in_dir("cat_really_hdf5.txt");
    assert_int_equal(rename(path, other), 0);
    assert_int_equal(hp_catalog_read(&r, other, &st), 0);
    assert_same(&c, &r, 0);
    hp_catalog_free(&r);
    unlink(other);
    hp_catalog_free(&c);
  }
  assert_int_equal(dir_entries(), 0);
}

static void test_hdf5_layout_for_other_readers(void **state) {
  (void)state;
  hp_catalog c;
  hp_status st;
  make_catalogue(&c, 4, HP_CAT_NPART);
  const char *path = in_dir("layout.hdf5");
  assert_int_equal(hp_catalog_write_hdf5(&c, path, &st), 0);
  /* read with the plain HDF5 API, as h5py / nbodykit would */
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t d = H5Dopen2(f, "/Halos/Position", H5P_DEFAULT);
  hid_t s = H5Dget_space(d);
  hsize_t dims[2];
  assert_int_equal(H5Sget_simple_extent_ndims(s), 2);
  H5Sget_simple_extent_dims(s, dims, NULL);
  assert_int_equal(dims[0], 4);
  assert_int_equal(dims[1], 3);
  char units[64] = "";
  hid_t a = H5Aopen(d, "Units", H5P_DEFAULT), t = H5Aget_type(a);
  assert_int_equal(H5Aread(a, t, units), 0);
  assert_string_equal(units, "Mpc/h comoving");
  H5Tclose(t), H5Aclose(a), H5Sclose(s), H5Dclose(d);
  double box = 0;
  a = H5Aopen_by_name(f, "/Header", "BoxSize", H5P_DEFAULT, H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_DOUBLE, &box);
  H5Aclose(a);
  assert_true(box == 250.5);
  int64_t nh = 0;
  a = H5Aopen_by_name(f, "/Header", "NumHalos", H5P_DEFAULT, H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_INT64, &nh);
  H5Aclose(a);
  assert_int_equal(nh, 4);
  assert_true(H5Lexists(f, "/Halos/LagrangianPosition", H5P_DEFAULT) == 0);
  assert_true(H5Aexists_by_name(f, "/Parameters", "FileBase", H5P_DEFAULT) > 0);
  H5Fclose(f);
  unlink(path);
  hp_catalog_free(&c);
}

static void test_ascii_round_trip(void **state) {
  (void)state;
  const unsigned sets[3] = {HP_CAT_ALL, 0, HP_CAT_LAGRANGE | HP_CAT_MASSBIN};
  const int64_t sizes[3] = {37, 0, 5};
  for (int k = 0; k < 3; k++) {
    hp_catalog c, r;
    hp_status st;
    make_catalogue(&c, sizes[k], sets[k]);
    const char *path = in_dir("cat.txt");
    int rc = hp_catalog_write_ascii(&c, path, &st);
    if (rc) fprintf(stderr, "%s\n", st.msg);
    assert_int_equal(rc, 0);
    rc = hp_catalog_read(&r, path, &st);
    if (rc) fprintf(stderr, "%s\n", st.msg);
    assert_int_equal(rc, 0);
    assert_same(&c, &r, 1);
    hp_catalog_free(&r);
    hp_catalog_free(&c);
    unlink(path);
  }
  /* the text itself: sections, escapes, the columns line, the short form of exact values */
  hp_catalog c;
  hp_status st;
  make_catalogue(&c, 3, HP_CAT_NPART);
  c.pos[3] = 12.5f;
  const char *path = in_dir("look.txt");
  assert_int_equal(hp_catalog_write_ascii(&c, path, &st), 0);
  FILE *f = fopen(path, "r");
  char text[8192];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  assert_non_null(strstr(text, "# [Header]\n"));
  assert_non_null(strstr(text, "# BoxSize = 250.5\n"));
  assert_non_null(strstr(text, "# Seed = 4242424242\n"));
  assert_non_null(
      strstr(text, "# Command = halopaint sim run.param -s Seed=4242424242 \\\\ =x\\nz\n"));
  assert_non_null(strstr(text, "# [Parameters]\n# Omega0 = 0.315\n"));
  assert_non_null(strstr(text, "# Note = a\\\\b\\nc\n"));
  assert_non_null(strstr(text,
                         "# columns: x[Mpc/h] y[Mpc/h] z[Mpc/h] vx[km/s] vy[km/s] vz[km/s] "
                         "mass[Msun/h] id npart\n"));
  assert_non_null(strstr(text, "\n12.5 "));
  assert_non_null(strstr(text, "\n250.49998 0 1e-30 "));
  unlink(path);
  hp_catalog_free(&c);
}

static void test_atomic_write(void **state) {
  (void)state;
  hp_catalog c, r;
  hp_status st;
  make_catalogue(&c, 6, HP_CAT_NPART);
  const char *h5 = in_dir("keep.hdf5"), *txt = in_dir("keep.txt");
  assert_int_equal(hp_catalog_write_hdf5(&c, h5, &st), 0);
  assert_int_equal(hp_catalog_write_ascii(&c, txt, &st), 0);
  assert_int_equal(dir_entries(), 2);
  /* a failure after the file was created (duplicate parameter key, put in by hand) */
  free(c.param_key[1]);
  c.param_key[1] = strdup("Omega0");
  c.id[0] = -5; /* the old file must survive unchanged */
  assert_int_equal(hp_catalog_write_hdf5(&c, h5, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "duplicate"));
  assert_non_null(strstr(st.msg, "keep.hdf5"));
  assert_int_equal(hp_catalog_write_ascii(&c, txt, &st), HP_ERR_INPUT);
  assert_int_equal(dir_entries(), 2); /* no temporary file left */
  assert_int_equal(hp_catalog_read(&r, h5, &st), 0);
  assert_int_equal(r.id[0], 1000000000000ll);
  hp_catalog_free(&r);
  assert_int_equal(hp_catalog_read(&r, txt, &st), 0);
  assert_int_equal(r.id[0], 1000000000000ll);
  hp_catalog_free(&r);
  /* a new path: nothing appears */
  assert_int_equal(hp_catalog_write_hdf5(&c, in_dir("new.hdf5"), &st), HP_ERR_INPUT);
  assert_int_equal(dir_entries(), 2);
  free(c.param_key[1]);
  c.param_key[1] = strdup("BoxSize");
  /* an invalid catalogue is refused before anything is written */
  c.pos[4] = 251.0f;
  assert_int_equal(hp_catalog_write_hdf5(&c, in_dir("bad.hdf5"), &st), HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "Position of halo 1"));
  assert_non_null(strstr(st.msg, "outside [0, BoxSize)"));
  assert_int_equal(hp_catalog_write_ascii(&c, in_dir("bad.txt"), &st), HP_ERR_FORMAT);
  assert_int_equal(dir_entries(), 2);
  c.pos[4] = 1.0f;
  /* a directory that does not exist */
  assert_int_equal(hp_catalog_write_hdf5(&c, "/nonexistent_dir_hp/x.hdf5", &st), HP_ERR_IO);
  assert_int_equal(hp_catalog_write_ascii(&c, "/nonexistent_dir_hp/x.txt", &st), HP_ERR_IO);
  assert_non_null(strstr(st.msg, "/nonexistent_dir_hp/x.txt"));
  unlink(h5);
  unlink(txt);
  hp_catalog_free(&c);
}

/* Copy the first @p keep bytes of @p from to @p to. */
static void copy_prefix(const char *from, const char *to, long keep) {
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  assert_non_null(a);
  assert_non_null(b);
  char buf[4096];
  size_t got;
  long done = 0;
  while (done < keep && (got = fread(buf, 1, sizeof buf, a)) > 0) {
    size_t w = (size_t)(keep - done) < got ? (size_t)(keep - done) : got;
    fwrite(buf, 1, w, b);
    done += (long)w;
  }
  fclose(a);
  fclose(b);
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

static void expect_refused(const char *path, int code, const char *w1, const char *w2) {
  hp_catalog r;
  hp_status st;
  hp_status_clear(&st);
  int rc = hp_catalog_read(&r, path, &st);
  if (rc != code || (w1 && !strstr(st.msg, w1)) || (w2 && !strstr(st.msg, w2)))
    fprintf(stderr, "unexpected (rc %d): %s\n", rc, st.msg);
  assert_int_equal(rc, code);
  assert_non_null(strstr(st.msg, path));
  if (w1) assert_non_null(strstr(st.msg, w1));
  if (w2) assert_non_null(strstr(st.msg, w2));
  assert_int_equal(r.n, 0);
  assert_null(r.pos);
}

static void test_hdf5_refusals(void **state) {
  (void)state;
  hp_catalog c;
  hp_status st;
  make_catalogue(&c, 2000, HP_CAT_ALL);
  const char *good = in_dir("good.hdf5"), *bad = in_dir("bad.hdf5");
  assert_int_equal(hp_catalog_write_hdf5(&c, good, &st), 0);
  hp_catalog_free(&c);
  /* truncated: half of the file, and only the signature */
  copy_prefix(good, bad, file_size(good) / 2);
  expect_refused(bad, HP_ERR_FORMAT, "truncated", NULL);
  copy_prefix(good, bad, 6);
  expect_refused(bad, HP_ERR_FORMAT, "truncated", NULL);
  /* a missing dataset */
  copy_prefix(good, bad, file_size(good));
  hid_t f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_int_equal(H5Ldelete(f, "/Halos/Mass", H5P_DEFAULT), 0);
  H5Fclose(f);
  expect_refused(bad, HP_ERR_FORMAT, "/Halos", "'Mass' not found");
  /* NumHalos disagreeing with the datasets */
  copy_prefix(good, bad, file_size(good));
  f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t g = H5Gopen2(f, "/Header", H5P_DEFAULT), a = H5Aopen(g, "NumHalos", H5P_DEFAULT);
  const int64_t wrong = 1999;
  assert_true(H5Awrite(a, H5T_NATIVE_INT64, &wrong) >= 0);
  H5Aclose(a);
  H5Gclose(g);
  H5Fclose(f);
  expect_refused(bad, HP_ERR_FORMAT, "Position", "expected 1999");
  /* a position outside the box, and a NaN velocity */
  for (int k = 0; k < 2; k++) {
    copy_prefix(good, bad, file_size(good));
    f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, k == 0 ? "/Halos/Position" : "/Halos/Velocity", H5P_DEFAULT);
    float *buf = malloc(2000 * 3 * sizeof(float));
    H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    buf[3 * 1234 + 1] = k == 0 ? 250.5f : NAN;
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    free(buf);
    H5Dclose(d);
    H5Fclose(f);
    if (k == 0) expect_refused(bad, HP_ERR_FORMAT, "Position of halo 1234", "y = 250.5 is outside");
    if (k == 1) expect_refused(bad, HP_ERR_FORMAT, "Velocity of halo 1234", "not finite");
  }
  /* optional attributes may be absent (a user's own file) */
  copy_prefix(good, bad, file_size(good));
  f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
  H5Adelete_by_name(f, "/Header", "ParticleMass", H5P_DEFAULT);
  H5Adelete_by_name(f, "/Header", "FormatVersion", H5P_DEFAULT);
  H5Adelete_by_name(f, "/Header", "UnitLength", H5P_DEFAULT);
  H5Ldelete(f, "/Halos/MassBin", H5P_DEFAULT);
  H5Fclose(f);
  {
    hp_catalog r;
    assert_int_equal(hp_catalog_read(&r, bad, &st), 0);
    assert_true(r.hdr.particle_mass == 0);
    assert_int_equal(r.columns, HP_CAT_NPART | HP_CAT_LAGRANGE);
    assert_int_equal(r.n, 2000);
    hp_catalog_free(&r);
  }
  /* a missing header attribute; a missing group */
  copy_prefix(good, bad, file_size(good));
  f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
  H5Adelete_by_name(f, "/Header", "Sigma8", H5P_DEFAULT);
  H5Ldelete(f, "/Parameters", H5P_DEFAULT);
  H5Fclose(f);
  expect_refused(bad, HP_ERR_FORMAT, "/Header", "'Sigma8' not found");
  copy_prefix(good, bad, file_size(good));
  f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(f, "/Halos", H5P_DEFAULT);
  H5Fclose(f);
  expect_refused(bad, HP_ERR_FORMAT, "group 'Halos' not found", NULL);
  expect_refused(in_dir("absent.hdf5"), HP_ERR_IO, "No such file", NULL);
  unlink(good);
  unlink(bad);
}

/* Write text to a file in the test directory. */
static const char *write_text(const char *name, const char *text) {
  const char *path = in_dir(name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

static void test_ascii_refusals(void **state) {
  (void)state;
  hp_catalog c;
  hp_status st;
  make_catalogue(&c, 3, HP_CAT_NPART);
  const char *good = in_dir("good.txt");
  assert_int_equal(hp_catalog_write_ascii(&c, good, &st), 0);
  hp_catalog_free(&c);
  FILE *f = fopen(good, "r");
  char text[8192];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  unlink(good);
  /* lines: the data start after the columns line; find the data lines' offsets */
  char *cols = strstr(text, "# columns:");
  char *l1 = strchr(cols, '\n') + 1, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
  int first = 1; /* line number of l1 */
  for (char *q = text; q < l1; q++) first += *q == '\n';
  char buf[8192], want[64];
  /* a bad number in the second halo line */
  snprintf(buf, sizeof buf, "%.*sabc %s", (int)(l2 - text), text, strchr(l2, ' ') + 1);
  snprintf(want, sizeof want, "line %d: halo 1, column 'x'", first + 1);
  expect_refused(write_text("bad1.txt", buf), HP_ERR_FORMAT, want, "'abc' is not a number");
  /* a missing column (last value of the third line cut) */
  snprintf(buf, sizeof buf, "%.*s\n", (int)(strrchr(l3, ' ') - text), text);
  snprintf(want, sizeof want, "line %d: halo 2: only 8 values", first + 2);
  expect_refused(write_text("bad2.txt", buf), HP_ERR_FORMAT, want, "'npart' missing");
  /* an extra value */
  snprintf(buf, sizeof buf, "%.*s 7\n%s", (int)(l2 - 1 - text), text, l2);
  snprintf(want, sizeof want, "line %d: halo 0: more than 9 values", first);
  expect_refused(write_text("bad3.txt", buf), HP_ERR_FORMAT, want, NULL);
  /* a position at BoxSize, a NaN velocity */
  snprintf(buf, sizeof buf, "%.*s250.5 %s", (int)(l1 - text), text, strchr(l1, ' ') + 1);
  snprintf(want, sizeof want, "line %d: halo 0, column 'x' = 250.5 is outside", first);
  expect_refused(write_text("bad4.txt", buf), HP_ERR_FORMAT, want, NULL);
  {
    char *p = strchr(l1, ' ') + 1;
    p = strchr(p, ' ') + 1;
    p = strchr(p, ' ') + 1; /* vx */
    snprintf(buf, sizeof buf, "%.*snan %s", (int)(p - text), text, strchr(p, ' ') + 1);
    snprintf(want, sizeof want, "line %d: halo 0, column 'vx'", first);
    expect_refused(write_text("bad5.txt", buf), HP_ERR_FORMAT, want, "not finite");
  }
  /* truncated: the last line missing; one line too many */
  snprintf(buf, sizeof buf, "%.*s", (int)(l3 - text), text);
  expect_refused(write_text("bad6.txt", buf), HP_ERR_FORMAT, "truncated: NumHalos = 3 but 2", NULL);
  snprintf(buf, sizeof buf, "%s%s", text, l3);
  expect_refused(write_text("bad7.txt", buf), HP_ERR_FORMAT, "more halo lines than NumHalos = 3",
                 NULL);
  /* header cut before the columns line; a missing header key; a wrong column name */
  snprintf(buf, sizeof buf, "%.*s", (int)(cols - text), text);
  expect_refused(write_text("bad8.txt", buf), HP_ERR_FORMAT, "no '# columns:' line", NULL);
  {
    char *s8 = strstr(text, "# Sigma8 = ");
    snprintf(buf, sizeof buf, "%.*s%s", (int)(s8 - text), text, strchr(s8, '\n') + 1);
    expect_refused(write_text("bad9.txt", buf), HP_ERR_FORMAT, "header key 'Sigma8' missing", NULL);
    char *vy = strstr(text, "vy[km/s]");
    snprintf(buf, sizeof buf, "%.*svy[m/s]%s", (int)(vy - text), text, vy + 8);
    expect_refused(write_text("bad10.txt", buf), HP_ERR_FORMAT, "found 'vy[m/s]'", NULL);
  }
  expect_refused(write_text("bad11.txt", "12 13 14\n"), HP_ERR_FORMAT, "neither an HDF5 nor", NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hdf5_round_trip),  cmocka_unit_test(test_hdf5_layout_for_other_readers),
      cmocka_unit_test(test_ascii_round_trip), cmocka_unit_test(test_atomic_write),
      cmocka_unit_test(test_hdf5_refusals),    cmocka_unit_test(test_ascii_refusals),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
