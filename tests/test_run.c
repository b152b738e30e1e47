/*
 * The main job end to end on a 32^3-voxel box: parameters + model -> catalogue;
 * the same catalogue for 1 and 2 threads; a mismatched model refused with what
 * differs; the seed-list syntax; the memory check; a catalogue round trip.
 */
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

#include "cuda/device.h"
#include "nn/model_io.h"
#include "plugin/run.h"

static char model_path[256], dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/hp_run_XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(model_path, sizeof model_path, "%s/model.h5", dir);
  hp_model m;
  hp_status st;
  const double edges[3] = {1e13, 1e14, 1e15};
  if (hp_model_init(&m, 2, edges, 7, &st)) return -1;
  m.meta.voxel_size = 4.0, m.meta.redshift = 0.0, m.meta.lpt_order = 2;
  m.meta.particles_per_voxel = 8.0;
  m.meta.omega_m = 0.31, m.meta.omega_l = 0.69, m.meta.omega_b = 0.049, m.meta.h = 0.68;
  m.meta.sigma8 = 0.81, m.meta.n_s = 0.96; /* the cosmology of params() */
  const int rc = hp_model_save(&m, model_path, &st);
  hp_model_free(&m);
  return rc ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(model_path);
  rmdir(dir);
  return 0;
}

/* 32^3 voxels of 4 Mpc/h, 64^3 particles (8 per voxel), as the model says. */
static hp_params *params(const char *extra) {
  char text[2048];
  snprintf(text, sizeof text,
           "Omega0 0.31\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.96\n"
           "BoxSize 128\nNParticles 64\nSeed 5\nModelFile %s\n%s",
           model_path, extra);
  hp_params *p = NULL;
  hp_status st;
  int rc = hp_params_parse_string(&p, "run.param", text, NULL, 0, HP_NEED_ALL, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  return p;
}

static void run_one(const char *extra, hp_catalog *cat) {
  hp_params *p = params(extra);
  hp_run *r = NULL;
  hp_status st;
  int rc = hp_run_create(&r, p, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(hp_run_nvoxels(r), 32);
  hp_run_times t;
  memset(cat, 0, sizeof *cat);
  assert_int_equal(hp_run_seed(r, 5, cat, &t, &st), 0);
  hp_run_destroy(r);
  hp_params_free(p);
}

static void test_end_to_end_and_threads(void **state) {
  (void)state;
  hp_catalog a, b;
  run_one("Threads 1\n", &a);
  run_one("Threads 2\n", &b);
  assert_true(a.n > 0);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.pos, b.pos, sizeof(float) * 3 * a.n);
  assert_memory_equal(a.vel, b.vel, sizeof(float) * 3 * a.n);
  assert_memory_equal(a.mass, b.mass, sizeof(double) * a.n);
  for (int64_t h = 0; h < a.n; h++) {
    assert_true(a.mass_bin[h] >= 0 && a.mass_bin[h] < 2);
    assert_true(a.mass[h] >= 1e13 && a.mass[h] <= 1e15);
    for (int ax = 0; ax < 3; ax++) assert_true(a.pos[3 * h + ax] >= 0 && a.pos[3 * h + ax] < 128);
  }
  /* round trip through the HDF5 catalogue */
  char path[300];
  snprintf(path, sizeof path, "%s/cat.hdf5", dir);
  hp_status st;
  a.hdr.box = 128;
  assert_int_equal(hp_catalog_write_hdf5(&a, path, &st), 0);
  hp_catalog c;
  memset(&c, 0, sizeof c);
  assert_int_equal(hp_catalog_read(&c, path, &st), 0);
  assert_int_equal(c.n, a.n);
  assert_memory_equal(c.pos, a.pos, sizeof(float) * 3 * a.n);
  assert_memory_equal(c.mass, a.mass, sizeof(double) * a.n);
  unlink(path);
  hp_catalog_free(&a), hp_catalog_free(&b), hp_catalog_free(&c);
}

/* WriteLinearField's file given back as LinearFieldFile: the same catalogue halo for halo
 * (particles, counts and draws all follow from the field and the seed). */
static void test_linear_field_round_trip(void **state) {
  (void)state;
  hp_params *p = params("Threads 2\n");
  hp_run *r = NULL;
  hp_status st;
  hp_run_times t;
  hp_catalog a, b;
  memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  assert_int_equal(hp_run_seed(r, 5, &a, &t, &st), 0);
  char path[300], extra[400];
  snprintf(path, sizeof path, "%s/linear.h5", dir);
  assert_int_equal(hp_field_write_linear(path, (const float(*)[2])hp_lpt_delta_k(hp_run_lpt(r)), 64,
                                         128.0, NULL, 2, &st),
                   0);
  hp_run_destroy(r), hp_params_free(p);
  snprintf(extra, sizeof extra, "Threads 1\nLinearFieldFile %s\n", path);
  p = params(extra);
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  assert_int_equal(hp_run_seed(r, 5, &b, &t, &st), 0);
  assert_int_equal(hp_run_field_info(r)->n, 64);
  assert_true(a.n > 0);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.pos, b.pos, sizeof(float) * 3 * a.n);
  assert_memory_equal(a.vel, b.vel, sizeof(float) * 3 * a.n);
  assert_memory_equal(a.mass, b.mass, sizeof(double) * a.n);
  hp_run_destroy(r), hp_params_free(p);
  unlink(path);
  hp_catalog_free(&a), hp_catalog_free(&b);
}

/* Device: cpu always; auto = the GPU only where one is present, and the plan says why; cuda
 * where there is none is refused naming the device. On a GPU machine, the catalogue painted
 * there is the CPU's up to the rare voxel whose Poisson draw sits on a rounding boundary. */
static void test_device_choice(void **state) {
  (void)state;
  int ngpu = 0;
  hp_status st;
  assert_int_equal(hp_cuda_device_count(&ngpu, &st), 0);
  hp_params *p = params("Device cpu\n");
  hp_run *r = NULL;
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  assert_string_equal(hp_run_device(r), "cpu");
  hp_run_destroy(r);
  hp_params_free(p);
  p = params("Device auto\n");
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  if (ngpu == 0)
    assert_true(!strncmp(hp_run_device(r), "cpu (auto: ", 11));
  else
    assert_true(!strncmp(hp_run_device(r), "cuda:0 ", 7));
  hp_run_destroy(r);
  hp_params_free(p);
  p = params("Device cuda\n");
  const int rc = hp_run_create(&r, p, &st);
  if (ngpu == 0) {
    assert_int_equal(rc, HP_ERR_DEVICE);
    assert_non_null(strstr(st.msg, "device \"cuda\""));
    assert_null(r);
  } else {
    assert_int_equal(rc, 0);
    hp_run_destroy(r);
    hp_catalog a, b;
    run_one("Device cpu\n", &a);
    run_one("Device cuda\n", &b);
    assert_true(labs((long)(a.n - b.n)) <= 1 + a.n / 1000);
    hp_catalog_free(&a), hp_catalog_free(&b);
  }
  hp_params_free(p);
}

static void test_mismatched_model_refused(void **state) {
  (void)state;
  hp_params *p = params("Redshift 1\nNVoxels 64\n");
  hp_run *r = NULL;
  hp_status st;
  assert_int_equal(hp_run_create(&r, p, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "redshift"));
  assert_non_null(strstr(st.msg, "voxel size"));
  assert_non_null(strstr(st.msg, "particles per voxel"));
  assert_non_null(strstr(st.msg, "AllowModelMismatch"));
  assert_null(r);
  hp_params_free(p);
  /* another universe: 5 % more sigma8 and 2 % more Omega0 are named, 0.5 % less h is not */
  const char *ov[3] = {"Sigma8=0.8505", "Omega0=0.3162", "HubbleParam=0.6766"};
  assert_int_equal(hp_params_parse_string(&p, "run.param",
                                          "Omega0 0.31\nOmegaBaryon 0.049\nHubbleParam 0.68\n"
                                          "Sigma8 0.81\nPrimordialIndex 0.96\nBoxSize 128\n"
                                          "NParticles 64\nSeed 5\n",
                                          ov, 3, HP_NEED_ALL, &st),
                   0);
  char diff[1024];
  hp_model m;
  assert_int_equal(hp_model_load(&m, model_path, &st), 0);
  assert_int_equal(hp_run_model_mismatch(p, &m.meta, diff, sizeof diff), 2);
  assert_non_null(strstr(diff, "Sigma8 = 0.8505, the model was trained at 0.81"));
  assert_non_null(strstr(diff, "Omega0"));
  assert_null(strstr(diff, "HubbleParam"));
  hp_model_free(&m);
  hp_params_free(p);
  /* the expert override lets it run */
  p = params("Redshift 1\nAllowModelMismatch 1\n");
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  hp_run_destroy(r);
  hp_params_free(p);
}

static void test_memory_check(void **state) {
  (void)state;
  hp_params *p = params("MemoryLimit 10\n");
  hp_run *r = NULL;
  hp_status st;
  assert_int_equal(hp_run_create(&r, p, &st), HP_ERR_NOMEM);
  assert_non_null(strstr(st.msg, "MemoryLimit"));
  assert_non_null(strstr(st.msg, "MB"));
  hp_params_free(p);
}

static void test_seed_lists(void **state) {
  (void)state;
  uint64_t *s = NULL;
  int64_t n = 0;
  hp_status st;
  assert_int_equal(hp_run_parse_seeds("1-3,7,10-11", 0, &s, &n, &st), 0);
  assert_int_equal(n, 6);
  const uint64_t want[6] = {1, 2, 3, 7, 10, 11};
  assert_memory_equal(s, want, sizeof want);
  free(s);
  assert_int_equal(hp_run_parse_seeds("", 42, &s, &n, &st), 0);
  assert_int_equal(n, 1);
  assert_int_equal(s[0], 42);
  free(s);
  assert_int_equal(hp_run_parse_seeds(" 4 , 6-7", 0, &s, &n, &st), 0);
  assert_int_equal(n, 3);
  assert_int_equal(s[2], 7);
  free(s);
  /* a negative seed after a blank, seeds above Seed's maximum, the type's largest value (which
   * once looped forever), a trailing comma */
  const char *bad[] = {"5-3",
                       "1,,2",
                       "x",
                       "1-",
                       "-4",
                       "1;2",
                       "1, -5",
                       "4611686018427387905",
                       "18446744073709551615",
                       "1,",
                       "3--4",
                       "2- 4"};
  for (int i = 0; i < 12; i++) {
    assert_int_equal(hp_run_parse_seeds(bad[i], 0, &s, &n, &st), HP_ERR_INPUT);
    assert_non_null(strstr(st.msg, "Seeds"));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_end_to_end_and_threads),
      cmocka_unit_test(test_linear_field_round_trip),
      cmocka_unit_test(test_device_choice),
      cmocka_unit_test(test_mismatched_model_refused),
      cmocka_unit_test(test_memory_check),
      cmocka_unit_test(test_seed_lists),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
