/*
 * Training data from catalogues (train/truth.h): nearest-grid-point counts per mass bin;
 * the density regenerated from a halopaint catalogue's own parameters equals the density made
 * directly from that parameter set (2LPT + CIC, bit for bit); a user's ASCII and HDF5
 * catalogues (columns and units from the parameter file) give the same box; a box that is not
 * a whole number of voxels, and a catalogue without parameters, are refused with advice.
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

#include "catalog/catalog.h"
#include "cic/cic.h"
#include "train/truth.h"
#include "plugin/pipeline.h"
#include "util/hdf5_util.h"

static const char *param_text =
    "Omega0 0.31\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.97\n"
    "BoxSize 48\nNParticles 24\nSeed 5\nRedshift 0\n";

static void test_ngp_counts(void **state) {
  (void)state;
  const double edges[3] = {1e12, 1e13, 1e14};
  const float pos[6 * 3] = {0.5f,  0.5f, 0.5f, 3.99f, 0,    0,    4.0f, 0, 0,
                            -0.5f, 5,    0,    7.9f,  7.9f, 7.9f, 1,    1, 1};
  const double mass[6] = {5e12, 5e12, 2e13, 1e13, 9.9e13, 1e14}; /* the last is outside */
  float counts[2 * 2 * 2 * 2] = {0};
  /* box 8, nv 2: voxels of side 4; counts[bin][x][y][z] */
  const int64_t n = hp_train_counts_ngp(pos, mass, 6, 8.0, 2, 2, edges, counts);
  assert_int_equal(n, 5);
  assert_true(counts[0] == 2);     /* bin 0, voxel (0,0,0): halos 0 and 1 (3.99 < 4) */
  assert_true(counts[8 + 4] == 1); /* bin 1, voxel (1,0,0): halo 2 (x = 4 starts voxel 1) */
  assert_true(counts[8 + 6] == 1); /* bin 1 (mass = its lower edge), x = -0.5 wraps: (1,1,0) */
  assert_true(counts[8 + 7] == 1); /* bin 1, voxel (1,1,1); mass 1e14 = top edge: not counted */
  float total = 0;
  for (int i = 0; i < 16; i++) total += counts[i];
  assert_true(total == 5);
}

/* A catalogue carrying the resolved parameters, as halopaint sim writes it. */
static void write_catalog(const char *path, const hp_params *p, int with_params, int64_t nh,
                          const float *pos, const double *mass) {
  hp_status st;
  hp_catalog c;
  assert_int_equal(hp_catalog_alloc(&c, nh, 0, &st), 0);
  c.hdr.box = hp_params_real(p, "BoxSize");
  c.hdr.redshift = 0;
  c.hdr.omega_m = 0.31, c.hdr.omega_l = 0.69, c.hdr.omega_b = 0.049, c.hdr.h = 0.68;
  c.hdr.sigma8 = 0.81, c.hdr.n_s = 0.97, c.hdr.seed = 5;
  snprintf(c.hdr.mass_def, sizeof c.hdr.mass_def, "FoF b=0.2");
  snprintf(c.hdr.command, sizeof c.hdr.command, "test");
  snprintf(c.hdr.software, sizeof c.hdr.software, "test");
  for (int64_t i = 0; i < nh; i++) {
    memcpy(c.pos + 3 * i, pos + 3 * i, 3 * sizeof(float));
    c.mass[i] = mass[i];
    c.id[i] = i + 1;
  }
  if (with_params) {
    const hp_kv_list kv = hp_params_kv(p);
    assert_int_equal(hp_catalog_set_params(&c, &kv, &st), 0);
  }
  if (hp_catalog_write_hdf5(&c, path, &st)) fail_msg("%s", st.msg);
  hp_catalog_free(&c);
}

static void test_boxes_from_catalogs(void **state) {
  (void)state;
  hp_status st;
  hp_params *p;
  assert_int_equal(hp_params_parse_string(&p, "test", param_text, NULL, 0, HP_NEED_ALL, &st), 0);
  const int64_t nh = 300, nv = 12, nv3 = nv * nv * nv;
  float *pos = malloc(sizeof(float) * 3 * nh);
  double *mass = malloc(sizeof(double) * nh);
  uint64_t s = 7;
  for (int64_t i = 0; i < nh; i++) {
    for (int a = 0; a < 3; a++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      pos[3 * i + a] = (float)(48.0 * (double)(s >> 11) * 0x1p-53);
    }
    mass[i] = 1e12 * pow(10, 3.0 * (double)(i % 97) / 97);
  }
  const double edges[3] = {2e12, 2e13, 5e14};
  char dir[] = "/tmp/hp_test_data_XXXXXX", cat[300], asc[300], h5[300], bare[300];
  assert_non_null(mkdtemp(dir));
  snprintf(cat, sizeof cat, "%s/cat.h5", dir);
  snprintf(asc, sizeof asc, "%s/mine.txt", dir);
  snprintf(h5, sizeof h5, "%s/mine.h5", dir);
  snprintf(bare, sizeof bare, "%s/bare.h5", dir);
  write_catalog(cat, p, 1, nh, pos, mass);
  write_catalog(bare, p, 0, nh, pos, mass);
  /* reference: the density made directly from the parameter set */
  float *ref = malloc(sizeof(float) * nv3), *refc = calloc(2 * nv3, sizeof(float));
  {
    hp_cosmology *c;
    hp_lpt *l;
    hp_cic_plan *cp;
    assert_int_equal(hp_pipeline_particles(p, 0, &c, &l, NULL, &st), 0);
    assert_int_equal(hp_cic_plan_create(&cp, nv, 48, 1, &st), 0);
    hp_cic_particles part = {24 * 24 * 24,
                             hp_lpt_displacement(l, 0),
                             hp_lpt_displacement(l, 1),
                             hp_lpt_displacement(l, 2),
                             1,
                             24,
                             NULL,
                             0,
                             NULL};
    assert_int_equal(hp_cic_density(cp, &part, ref, &st), 0);
    hp_cic_plan_destroy(cp);
    hp_lpt_destroy(l);
    hp_cosmology_free(c);
    hp_train_counts_ngp(pos, mass, nh, 48, nv, 2, edges, refc);
  }
  hp_train_source src;
  memset(&src, 0, sizeof src);
  src.path = cat;
  src.format = HP_TRAIN_CAT_HALOPAINT;
  src.position_unit = src.mass_unit = 1;
  src.nthreads = 2;
  float *rho, *counts;
  hp_train_box_info info;
  if (hp_train_box_from_catalog(&src, 4.0, 2, edges, &rho, &counts, &info, &st))
    fail_msg("%s", st.msg);
  assert_int_equal(info.nv, nv);
  assert_int_equal(info.nhalos, nh);
  assert_true(info.redshift == 0 && info.lpt_order == 2 && info.particles_per_voxel == 8);
  assert_true(fabs(info.omega_m - 0.31) < 1e-12);
  assert_memory_equal(rho, ref, sizeof(float) * nv3);
  assert_memory_equal(counts, refc, sizeof(float) * 2 * nv3);
  double mean = 0;
  for (int64_t i = 0; i < nv3; i++) mean += rho[i];
  assert_true(fabs(mean / nv3 - 1) < 1e-5);
  hp_free(rho), hp_free(counts);
  /* a user's ASCII catalogue: id, x, y, z [kpc/h], mass [1e10 Msun/h], and a comment line */
  FILE *f = fopen(asc, "w");
  fprintf(f, "# id x y z mass\n");
  for (int64_t i = 0; i < nh; i++)
    fprintf(f, "%lld %.9g %.9g %.9g %.17g\n", (long long)i, 1000.0 * pos[3 * i],
            1000.0 * pos[3 * i + 1], 1000.0 * pos[3 * i + 2], mass[i] / 1e10);
  fclose(f);
  src.path = asc;
  src.format = HP_TRAIN_CAT_ASCII;
  src.params = p;
  src.ascii_columns[0] = 2, src.ascii_columns[1] = 3, src.ascii_columns[2] = 4;
  src.ascii_columns[3] = 5;
  src.position_unit = 1e-3, src.mass_unit = 1e10;
  if (hp_train_box_from_catalog(&src, 4.0, 2, edges, &rho, &counts, &info, &st))
    fail_msg("%s", st.msg);
  assert_memory_equal(rho, ref, sizeof(float) * nv3);
  double diff = 0;
  for (int64_t i = 0; i < 2 * nv3; i++) diff += fabs(counts[i] - refc[i]);
  assert_true(diff <= 2); /* unit conversions may move a halo on a voxel or bin edge */
  hp_free(rho), hp_free(counts);
  /* a user's HDF5 catalogue */
  {
    hid_t file, g, d;
    assert_int_equal(hp_h5_create(h5, &file, &st), 0);
    assert_int_equal(hp_h5_create_group(file, "Group", &g, &st), 0);
    const hsize_t dp[2] = {(hsize_t)nh, 3}, dm[1] = {(hsize_t)nh}, z2[2] = {0, 0};
    assert_int_equal(hp_h5_create_dataset(g, "Pos", H5T_IEEE_F32LE, 2, dp, &d, &st), 0);
    assert_int_equal(hp_h5_write_slab(d, H5T_NATIVE_FLOAT, z2, dp, pos, &st), 0);
    H5Dclose(d);
    assert_int_equal(hp_h5_create_dataset(g, "Mass", H5T_IEEE_F64LE, 1, dm, &d, &st), 0);
    assert_int_equal(hp_h5_write_slab(d, H5T_NATIVE_DOUBLE, z2, dm, mass, &st), 0);
    H5Dclose(d);
    H5Gclose(g);
    H5Fclose(file);
  }
  src.path = h5;
  src.format = HP_TRAIN_CAT_HDF5;
  src.hdf5_position = "Group/Pos", src.hdf5_mass = "Group/Mass";
  src.position_unit = src.mass_unit = 1;
  if (hp_train_box_from_catalog(&src, 4.0, 2, edges, &rho, &counts, &info, &st))
    fail_msg("%s", st.msg);
  assert_memory_equal(rho, ref, sizeof(float) * nv3);
  assert_memory_equal(counts, refc, sizeof(float) * 2 * nv3);
  hp_free(rho), hp_free(counts);
  /* refusals */
  src.hdf5_mass = "Group/Pos";
  assert_int_equal(hp_train_box_from_catalog(&src, 4.0, 2, edges, &rho, &counts, &info, &st),
                   HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "TrainHDF5Mass"));
  src.path = cat;
  src.format = HP_TRAIN_CAT_HALOPAINT;
  assert_int_equal(hp_train_box_from_catalog(&src, 5.0, 2, edges, &rho, &counts, &info, &st),
                   HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "whole number"));
  src.path = bare;
  assert_int_equal(hp_train_box_from_catalog(&src, 4.0, 2, edges, &rho, &counts, &info, &st),
                   HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "TrainCatalogParams"));
  assert_null(rho);
  unlink(cat), unlink(asc), unlink(h5), unlink(bare), rmdir(dir);
  free(pos), free(mass), free(ref), free(refc);
  hp_params_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ngp_counts),
      cmocka_unit_test(test_boxes_from_catalogs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
