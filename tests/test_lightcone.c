/*
 * The light cone: distances against closed forms, sky angles of known directions, shells that
 * neither drop nor double-count an image of a point (against a brute-force search over box
 * images), footprints (octant, HEALPix masks in both orderings, bad files refused), and the
 * pipeline end to end on a 16^3-voxel box: a Snapshot cone agrees halo for halo with `run`'s
 * catalogue of the same box, cones are identical for 1 and 2 threads, z_obs is the Doppler
 * shift of the stored velocity, a cone that cannot fit and models that do not cover the cone
 * are refused.
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

#include <chealpix.h>
#include <hdf5.h>

#include "lightcone/footprint.h"
#include "lightcone/geometry.h"
#include "nn/model_io.h"
#include "plugin/lightcone.h"
#include "plugin/lightcone_shells.h"
#include "plugin/run.h"
#include "util/rng.h"

static char dir[64], model0[256], model1[256];

static int save_model(const char *path, double z) {
  hp_model m;
  hp_status st;
  const double edges[3] = {1e13, 1e14, 1e15};
  if (hp_model_init(&m, 2, edges, 7, &st)) return -1;
  m.meta.voxel_size = 4.0, m.meta.redshift = z, m.meta.lpt_order = 2;
  m.meta.particles_per_voxel = 8.0;
  m.meta.omega_m = 0.31, m.meta.omega_l = 0.69, m.meta.omega_b = 0.049, m.meta.h = 0.68;
  m.meta.sigma8 = 0.81, m.meta.n_s = 0.96;
  const int rc = hp_model_save(&m, path, &st);
  hp_model_free(&m);
  return rc;
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/hp_lc_XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(model0, sizeof model0, "%s/z0.h5", dir);
  snprintf(model1, sizeof model1, "%s/z1.h5", dir);
  return save_model(model0, 0.0) || save_model(model1, 1.0) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(model0), unlink(model1);
  rmdir(dir);
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Geometry */

static void test_distances(void **state) {
  (void)state;
  hp_distance_table t;
  hp_status st;
  /* Einstein-de Sitter: chi = 2 c/H0 (1 - 1/sqrt(1+z)); pure Lambda: chi = c z / H0 */
  assert_int_equal(hp_distance_table_create(&t, 1.0, 0.0, 3.0, &st), 0);
  for (double z = 0.01; z <= 3.0; z += 0.173) {
    const double exact = 2 * HP_HUBBLE_DISTANCE * (1 - 1 / sqrt(1 + z));
    assert_true(fabs(hp_distance_chi(&t, z) / exact - 1) < 1e-10);
    assert_true(fabs(hp_distance_z(&t, exact) - z) < 1e-10);
  }
  hp_distance_table_free(&t);
  assert_int_equal(hp_distance_table_create(&t, 0.0, 1.0, 2.0, &st), 0);
  for (double z = 0.0; z <= 2.0; z += 0.25)
    assert_true(fabs(hp_distance_chi(&t, z) - HP_HUBBLE_DISTANCE * z) < 1e-8);
  hp_distance_table_free(&t);
  /* E^2 < 0 somewhere (a closed universe that recollapses) is refused */
  assert_int_not_equal(hp_distance_table_create(&t, 0.1, 3.0, 5.0, &st), 0);
}

static void test_sky_angles(void **state) {
  (void)state;
  const double d[5][3] = {{1, 0, 0}, {0, 2, 0}, {0, 0, 3}, {-1, -1, 0}, {1, 0, -1}};
  const double ra[5] = {0, 90, 0, 225, 0}, dec[5] = {0, 0, 90, 0, -45};
  for (int i = 0; i < 5; i++) {
    double a, b;
    hp_sky_angles(d[i], &a, &b);
    assert_true(fabs(a - ra[i]) < 1e-12);
    assert_true(fabs(b - dec[i]) < 1e-12);
  }
}

/* Every image of every point within [r0, r1) falls in exactly one shell's image list. */
static void test_shells_partition_images(void **state) {
  (void)state;
  const double box = 100, obs[3] = {13, 71, 42}, r0 = 30, r1 = 330;
  enum { NSH = 7, NPT = 300, MAXIM = 100000 };
  int(*im)[3] = malloc(sizeof *im * MAXIM);
  assert_non_null(im);
  for (int octant = 0; octant < 2; octant++) {
    long brute = 0, found = 0;
    for (int p = 0; p < NPT; p++) {
      double x[3];
      for (int a = 0; a < 3; a++) x[a] = box * hp_rng_uniform(hp_rng_at(99, (uint64_t)p, a));
      for (int i = -6; i <= 6; i++)
        for (int j = -6; j <= 6; j++)
          for (int k = -6; k <= 6; k++) {
            const double d[3] = {x[0] + i * box - obs[0], x[1] + j * box - obs[1],
                                 x[2] + k * box - obs[2]};
            const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (r >= r0 && r < r1 && (!octant || (d[0] > 0 && d[1] > 0 && d[2] > 0))) brute++;
          }
      for (int s = 0; s < NSH; s++) {
        const double lo = r0 + (r1 - r0) * s / NSH, hi = r0 + (r1 - r0) * (s + 1) / NSH;
        const long n = hp_shell_images(box, obs, lo, hi, octant, im, MAXIM);
        assert_true(n < MAXIM);
        for (long m = 0; m < n; m++) {
          const double d[3] = {x[0] + im[m][0] * box - obs[0], x[1] + im[m][1] * box - obs[1],
                               x[2] + im[m][2] * box - obs[2]};
          const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
          if (r >= lo && r < hi && (!octant || (d[0] > 0 && d[1] > 0 && d[2] > 0))) found++;
        }
      }
    }
    assert_true(brute > 1000);
    assert_int_equal(found, brute);
  }
  free(im);
}

/* ---------------------------------------------------------------------------------------- */
/* Footprints */

static void test_footprints(void **state) {
  (void)state;
  hp_footprint f;
  hp_status st;
  assert_int_equal(hp_footprint_create(&f, "Octant", &st), 0);
  const double in[3] = {1, 2, 3}, out[3] = {1, -2, 3};
  assert_true(hp_footprint_contains(&f, in));
  assert_false(hp_footprint_contains(&f, out));
  assert_true(f.sky_fraction == 0.125);
  hp_footprint_free(&f);
  /* a northern-hemisphere mask in both orderings */
  const long nside = 16, npix = 12 * nside * nside;
  float *map = malloc(sizeof *map * (size_t)npix);
  assert_non_null(map);
  for (int nest = 0; nest < 2; nest++) {
    char path[300], spec[320];
    snprintf(path, sizeof path, "%s/mask%d.fits", dir, nest);
    snprintf(spec, sizeof spec, "!%s", path); /* cfitsio: '!' overwrites */
    for (long i = 0; i < npix; i++) {
      double v[3];
      if (nest)
        pix2vec_nest(nside, i, v);
      else
        pix2vec_ring(nside, i, v);
      map[i] = v[2] > 0 ? 1.0f : 0.0f;
    }
    write_healpix_map(map, nside, spec, (char)nest, "C");
    assert_int_equal(hp_footprint_create(&f, path, &st), 0);
    assert_true(fabs(f.sky_fraction - 0.5) < 0.02);
    for (int i = 0; i < 200; i++) {
      double d[3];
      for (int a = 0; a < 3; a++) d[a] = 2 * hp_rng_uniform(hp_rng_at(7, (uint64_t)i, a)) - 1;
      if (fabs(d[2]) < 0.15) continue; /* pixels straddle the equator */
      assert_int_equal(hp_footprint_contains(&f, d), d[2] > 0);
    }
    hp_footprint_free(&f);
    unlink(path);
  }
  free(map);
  /* a file that is not FITS, or no file: refused, naming it */
  char bad[300];
  snprintf(bad, sizeof bad, "%s/notfits.fits", dir);
  FILE *fp = fopen(bad, "w");
  assert_non_null(fp);
  fputs("SIMPLE  = junk\n", fp);
  fclose(fp);
  assert_int_not_equal(hp_footprint_create(&f, bad, &st), 0);
  assert_non_null(strstr(st.msg, bad));
  unlink(bad);
  assert_int_not_equal(hp_footprint_create(&f, "/nonexistent/mask.fits", &st), 0);
  assert_non_null(strstr(st.msg, "/nonexistent/mask.fits"));
}

/* ---------------------------------------------------------------------------------------- */
/* The pipeline */

/* 16^3 voxels of 4 Mpc/h, 32^3 particles (8 per voxel), as the models say. */
static hp_params *params(double zmax, const char *extra) {
  char text[2048];
  snprintf(text, sizeof text,
           "Omega0 0.31\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.96\n"
           "BoxSize 64\nNParticles 32\nSeed 5\nModelFile %s\nLightconeModelFiles %s,%s\n"
           "LightconeZMax %g\nLightconeShellWidth 40\n%s",
           model0, model1, model0, zmax, extra);
  hp_params *p = NULL;
  hp_status st;
  const int rc = hp_params_parse_string(&p, "lightcone.param", text, NULL, 0, HP_NEED_ALL, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  return p;
}

static int make_cone(double zmax, const char *extra, hp_cone *cone, hp_status *st) {
  hp_params *p = params(zmax, extra);
  hp_lightcone *lc = NULL;
  hp_lightcone_times t;
  memset(cone, 0, sizeof *cone);
  int rc = hp_lightcone_create(&lc, p, st);
  if (!rc) rc = hp_lightcone_seed(lc, 5, cone, NULL, &t, st);
  hp_lightcone_destroy(lc);
  hp_params_free(p);
  return rc;
}

/* A Snapshot cone of the box at Redshift is `run`'s catalogue of that box cut into the cone. */
static void test_snapshot_cone_is_run_catalogue(void **state) {
  (void)state;
  hp_status st;
  hp_cone cone;
  const char *extra =
      "LightconeEvolution Snapshot\nLightconeFootprint Octant\nLightconeObserver 10,20,30\n";
  int rc = make_cone(0.06, extra, &cone, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  hp_params *p = params(0.06, extra);
  hp_run *r = NULL;
  hp_catalog cat;
  hp_run_times t;
  memset(&cat, 0, sizeof cat);
  assert_int_equal(hp_run_create(&r, p, &st), 0);
  assert_int_equal(hp_run_seed(r, 5, &cat, &t, &st), 0);
  const double box = 64, obs[3] = {10, 20, 30}, dmax = cone.hdr.dmax;
  /* every image of every run halo inside the octant and the distance range, in order */
  int64_t k = 0;
  for (int i = -2; i <= 4; i++)
    for (int j = -2; j <= 4; j++)
      for (int l = -2; l <= 4; l++)
        for (int64_t h = 0; h < cat.n; h++) {
          const double d[3] = {cat.pos[3 * h] + i * box - obs[0],
                               cat.pos[3 * h + 1] + j * box - obs[1],
                               cat.pos[3 * h + 2] + l * box - obs[2]};
          const double rr = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
          if (!(d[0] > 0 && d[1] > 0 && d[2] > 0) || rr >= dmax) continue;
          k++;
          /* the cone holds this halo: same image position, mass and velocity */
          int64_t m = 0;
          /* (halos may share a particle: the mass tells them apart) */
          while (m < cone.n &&
                 !(fabs(cone.pos[3 * m] - d[0]) < 1e-3 && fabs(cone.pos[3 * m + 1] - d[1]) < 1e-3 &&
                   fabs(cone.pos[3 * m + 2] - d[2]) < 1e-3 && cone.mass[m] == cat.mass[h]))
            m++;
          assert_true(m < cone.n);
          /* psi1 and psi2 combined in real space, not in k-space as run does: float rounding */
          for (int a = 0; a < 3; a++)
            assert_true(fabs(cone.vel[3 * m + a] - cat.vel[3 * h + a]) <
                        1e-4 * (1 + fabs(cat.vel[3 * h + a])));
        }
  assert_true(k > 10);
  assert_int_equal(cone.n, k);
  hp_catalog_free(&cat);
  hp_run_destroy(r);
  hp_params_free(p);
  hp_cone_free(&cone);
}

static void test_shells_threads_and_columns(void **state) {
  (void)state;
  hp_status st;
  hp_cone a, b;
  assert_int_equal(make_cone(0.25, "Threads 1\nLightconeFootprint Octant\n", &a, &st), 0);
  assert_int_equal(make_cone(0.25, "Threads 2\nLightconeFootprint Octant\n", &b, &st), 0);
  assert_true(a.n > 100);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.pos, b.pos, sizeof *a.pos * 3 * (size_t)a.n);
  assert_memory_equal(a.mass, b.mass, sizeof *a.mass * (size_t)a.n);
  assert_memory_equal(a.hdr.shell_density, b.hdr.shell_density,
                      sizeof(double) * (size_t)(a.hdr.nshells * a.hdr.nbins));
  hp_distance_table t;
  assert_int_equal(hp_distance_table_create(&t, 0.31, 0.69, 1.0, &st), 0);
  for (int64_t i = 0; i < a.n; i++) {
    const float *x = a.pos + 3 * i, *v = a.vel + 3 * i;
    const double r = sqrt((double)x[0] * x[0] + (double)x[1] * x[1] + (double)x[2] * x[2]);
    const int s = a.shell[i];
    /* inside its own shell, at the redshift of its distance */
    assert_true(r >= a.hdr.shell_edges[s] - 1e-3 && r < a.hdr.shell_edges[s + 1] + 1e-3);
    assert_true(fabs(a.dist[i] - r) < 1e-3);
    assert_true(fabs(a.zcos[i] - hp_distance_z(&t, r)) < 1e-6);
    /* z_obs: the relativistic-free Doppler shift of the line-of-sight velocity */
    const double vlos = (v[0] * x[0] + v[1] * x[1] + v[2] * x[2]) / r;
    assert_true(fabs(a.zobs[i] - ((1 + a.zcos[i]) * (1 + vlos / HP_C_KMS) - 1)) < 1e-6);
  }
  /* the shells beyond z = 0 were painted at their own redshifts */
  assert_true(a.hdr.shell_z[a.hdr.nshells - 1] > 0.2);
  hp_distance_table_free(&t);
  hp_cone_free(&a);
  hp_cone_free(&b);
}

static void test_round_trip(void **state) {
  (void)state;
  hp_status st;
  hp_cone a, b;
  char path[300];
  assert_int_equal(make_cone(0.1, "", &a, &st), 0);
  snprintf(path, sizeof path, "%s/cone.hdf5", dir);
  assert_int_equal(hp_cone_write_hdf5(&a, path, &st), 0);
  assert_int_equal(hp_cone_read(&b, path, &st), 0);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.ra, b.ra, sizeof *a.ra * (size_t)a.n);
  assert_memory_equal(a.zobs, b.zobs, sizeof *a.zobs * (size_t)a.n);
  assert_memory_equal(a.shell, b.shell, sizeof *a.shell * (size_t)a.n);
  assert_int_equal(a.hdr.nshells, b.hdr.nshells);
  assert_true(b.hdr.shell_edges[b.hdr.nshells] == a.hdr.dmax);
  hp_cone_free(&b);
  /* streamed shell by shell (what the command does): the same file */
  {
    hp_params *p = params(0.1, "");
    hp_lightcone *lc = NULL;
    hp_cone_writer *w = NULL;
    hp_cone head;
    hp_lightcone_times t;
    char spath[320];
    snprintf(spath, sizeof spath, "%s/streamed.hdf5", dir);
    assert_int_equal(hp_lightcone_create(&lc, p, &st), 0);
    assert_int_equal(hp_cone_writer_open(&w, spath, 0, &st), 0);
    assert_int_equal(hp_lightcone_seed(lc, 5, &head, w, &t, &st), 0);
    assert_int_equal(head.n, 0); /* nothing held back */
    assert_int_equal(hp_cone_writer_close(w, &head, &st), 0);
    assert_int_equal(hp_cone_read(&b, spath, &st), 0);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.id, b.id, sizeof *a.id * (size_t)a.n);
    assert_memory_equal(a.pos, b.pos, sizeof *a.pos * 3 * (size_t)a.n);
    assert_memory_equal(a.hdr.shell_density_far, b.hdr.shell_density_far,
                        sizeof(double) * (size_t)(a.hdr.nshells * a.hdr.nbins));
    hp_cone_free(&b);
    hp_cone_free(&head);
    hp_lightcone_destroy(lc);
    hp_params_free(p);
    unlink(spath);
  }
  /* a header claiming more halos than the columns hold is refused by name */
  {
    hid_t fh = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(fh >= 0);
    const int64_t claim = 7219508248458468690LL; /* a count a fuzzed file carried */
    hid_t g = H5Gopen2(fh, "Header", H5P_DEFAULT);
    assert_true(g >= 0 && H5Adelete(g, "NumHalos") >= 0);
    const hid_t sp = H5Screate(H5S_SCALAR);
    const hid_t at = H5Acreate2(g, "NumHalos", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(at >= 0 && H5Awrite(at, H5T_NATIVE_INT64, &claim) >= 0);
    H5Aclose(at), H5Sclose(sp), H5Gclose(g), H5Fclose(fh);
    assert_int_equal(hp_cone_read(&b, path, &st), HP_ERR_FORMAT);
    assert_non_null(strstr(st.msg, "NumHalos"));
    /* and the catalogue cannot be grown to it: refused, no overflow */
    hp_cone big;
    memset(&big, 0, sizeof big);
    assert_int_equal(hp_cone_reserve(&big, claim, &st), HP_ERR_NOMEM);
    assert_int_equal(hp_cone_reserve(&big, 3000, &st), 0);
    assert_true(big.cap >= 3000);
    hp_cone_free(&big);
  }
  /* a truncated file is refused, not crashed on */
  FILE *f = fopen(path, "r+");
  assert_non_null(f);
  assert_int_equal(ftruncate(fileno(f), 3000), 0);
  fclose(f);
  assert_int_not_equal(hp_cone_read(&b, path, &st), 0);
  unlink(path);
  hp_cone_free(&a);
}

static void test_refusals(void **state) {
  (void)state;
  hp_status st;
  hp_cone c;
  /* models at z = 0 and 1 cannot paint a cone to z = 2 */
  assert_int_not_equal(make_cone(2, "", &c, &st), 0);
  assert_non_null(strstr(st.msg, "cover"));
  /* nor one that does not fit its memory (a random model paints ~100 halos a voxel: the
   * catalogue outgrows what is left) */
  assert_int_not_equal(make_cone(0.3, "MemoryLimit 300\n", &c, &st), 0);
  assert_non_null(strstr(st.msg, "do not fit"));
  assert_int_not_equal(make_cone(0.3, "MemoryLimit 5\n", &c, &st), 0);
  assert_non_null(strstr(st.msg, "lightcone"));
  /* a bad observer and an empty redshift range */
  assert_int_not_equal(make_cone(0.3, "LightconeObserver 1,2\n", &c, &st), 0);
  assert_non_null(strstr(st.msg, "LightconeObserver"));
  assert_int_not_equal(make_cone(0.4, "LightconeZMin 0.5\n", &c, &st), 0);
  assert_non_null(strstr(st.msg, "LightconeZMin"));
}

/* Between two models the count distribution's parameters (a, b, the group step and the run
 * length) interpolate linearly, as the means do, a Poisson model counting as a = b = 0 and a
 * CMP one as step 0; so does ln nu wherever neither law is clamped. */
static void test_count_dist_interpolates(void **state) {
  (void)state;
  hp_lc_shells *sh = calloc(1, sizeof *sh);
  assert_non_null(sh);
  sh->nmodels = 3;
  sh->models[0].net.k_out = 2;
  hp_count_dist *c0 = &sh->models[0].meta.count, *c1 = &sh->models[1].meta.count;
  hp_count_dist_poisson(c0, 2);
  hp_count_dist_poisson(c1, 2);
  hp_count_dist_poisson(&sh->models[2].meta.count, 2);
  c0->kind = c1->kind = HP_COUNT_CMP;
  c0->a[0] = 0.7, c0->b[0] = -0.9, c0->run[0] = 0.2;
  c1->a[0] = 0.3, c1->b[0] = 0.4, c1->run[0] = 0.6;
  c0->a[1] = -0.2, c0->b[1] = 0.1;
  hp_count_dist d;
  hp_lc_count_dist(sh, 0, 1, 0, &d);
  assert_memory_equal(&d, c0, sizeof d);
  const double w = 0.25;
  hp_lc_count_dist(sh, 0, 1, w, &d);
  assert_int_equal(d.kind, HP_COUNT_CMP);
  assert_true(fabs(d.run[0] - 0.3) < 1e-15);
  for (double mu = 0.01; mu < 3; mu *= 1.7)
    for (int k = 0; k < 2; k++) {
      const double want = (1 - w) * hp_count_lognu(c0, k, mu) + w * hp_count_lognu(c1, k, mu);
      assert_true(fabs(hp_count_lognu(&d, k, mu) - want) < 1e-12);
    }
  hp_lc_count_dist(sh, 1, 2, 0.5, &d); /* towards a Poisson model: half of each parameter */
  assert_int_equal(d.kind, HP_COUNT_CMP);
  assert_true(d.a[0] == 0.15 && d.b[0] == 0.2 && d.run[0] == 0.3);
  /* a cmp-step model beside a CMP one: cmp-step, the step a quarter of the way to 0 */
  c0->kind = HP_COUNT_CMP_STEP;
  c0->step[0] = 0.8, c0->step[1] = -0.4;
  hp_lc_count_dist(sh, 0, 1, w, &d);
  assert_int_equal(d.kind, HP_COUNT_CMP_STEP);
  assert_true(fabs(d.step[0] - 0.6) < 1e-15 && fabs(d.step[1] + 0.3) < 1e-15);
  c1->step[0] = 5; /* ignored: not a cmp-step model */
  hp_lc_count_dist(sh, 0, 1, w, &d);
  assert_true(fabs(d.step[0] - 0.6) < 1e-15);
  free(sh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_distances),
      cmocka_unit_test(test_sky_angles),
      cmocka_unit_test(test_shells_partition_images),
      cmocka_unit_test(test_footprints),
      cmocka_unit_test(test_snapshot_cone_is_run_catalogue),
      cmocka_unit_test(test_shells_threads_and_columns),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_count_dist_interpolates),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
