/*
 * n(z) of light cones (stats/cone_nz): on a cone with one shell of one density the bins'
 * volumes, densities and expectation are exact; a Poisson sample of shells whose painted
 * density changes from shell to shell (two mass bins, full sky or octant) gives n/n_exp = 1
 * within 4 sigma in every redshift bin, also after an HDF5 round trip (hp_cone_write_hdf5,
 * hp_cone_read); bad input is refused with the value named.
 *
 * `test_stats_cone --write-cone FILE` writes the small synthetic cone that tests/test_stats_cli.sh
 * runs `halopaint stats nz` and `wtheta` on, so that they need no light-cone run.
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
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "lightcone/cone.h"
#include "lightcone/geometry.h"
#include "stats/cone_nz.h"

#define OMEGA_M 0.3
#define OMEGA_L 0.7

/*
 * A cone from ZMin to ZMax in @p nshells shells equal in comoving distance, 2 painter mass bins of
 * density n0 (1 + 0.5 s) and n0 (1 + 0.5 s) / 3 in shell s, halos placed uniformly in volume in
 * the footprint (a Poisson number per shell and bin, GSL's generator with @p seed).
 */
static int make_cone(hp_cone *c, const char *footprint, double zmin, double zmax, int nshells,
                     double n0, unsigned long seed, hp_status *st) {
  if (hp_cone_init(c, nshells, 2, st)) return 1;
  hp_cone_header *h = &c->hdr;
  const int octant = !strcmp(footprint, "Octant");
  hp_distance_table dt;
  if (hp_distance_table_create(&dt, OMEGA_M, OMEGA_L, zmax, st)) return 1;
  h->box = 1000, h->zmin = zmin, h->zmax = zmax, h->omega_m = OMEGA_M, h->omega_l = OMEGA_L;
  h->omega_b = 0.05, h->h = 0.7, h->sigma8 = 0.8, h->n_s = 0.96, h->seed = (int64_t)seed;
  h->dmin = hp_distance_chi(&dt, zmin), h->dmax = hp_distance_chi(&dt, zmax);
  h->sky_fraction = octant ? 0.125 : 1;
  snprintf(h->footprint, sizeof h->footprint, "%s", footprint);
  snprintf(h->evolution, sizeof h->evolution, "Shells");
  snprintf(h->mass_def, sizeof h->mass_def, "FoF b = 0.2");
  snprintf(h->command, sizeof h->command, "tests/test_stats_cone (synthetic)");
  snprintf(h->software, sizeof h->software, "halopaint test");
  h->bin_edges[0] = 1e12, h->bin_edges[1] = 1e13, h->bin_edges[2] = 1e14;
  for (int s = 0; s <= nshells; s++)
    h->shell_edges[s] = h->dmin + (h->dmax - h->dmin) * s / nshells;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  for (int s = 0; s < nshells; s++) {
    const double lo = h->shell_edges[s], hi = h->shell_edges[s + 1];
    h->shell_z[s] = hp_distance_z(&dt, 0.5 * (lo + hi));
    for (int k = 0; k < 2; k++) {
      const double dens = n0 * (1 + 0.5 * s) / (k ? 3 : 1);
      h->shell_density[s * 2 + k] = h->shell_density_far[s * 2 + k] = dens;
      const double v = h->sky_fraction * 4 * M_PI / 3 * (hi * hi * hi - lo * lo * lo);
      const int64_t n = gsl_ran_poisson(r, dens * v);
      if (hp_cone_reserve(c, c->n + n, st)) return 1;
      for (int64_t i = 0; i < n; i++) {
        const int64_t j = c->n++;
        /* uniform in volume: r^3 uniform; direction uniform (in the octant: |x|, |y|, |z|) */
        const double rr = cbrt(lo * lo * lo + gsl_rng_uniform(r) * (hi * hi * hi - lo * lo * lo));
        const double z = 2 * gsl_rng_uniform_pos(r) - 1, phi = 2 * M_PI * gsl_rng_uniform(r);
        double u[3] = {sqrt(1 - z * z) * cos(phi), sqrt(1 - z * z) * sin(phi), z};
        if (octant)
          for (int a = 0; a < 3; a++) u[a] = fabs(u[a]);
        for (int a = 0; a < 3; a++) c->pos[3 * j + a] = (float)(rr * u[a]);
        hp_sky_angles(u, &c->ra[j], &c->dec[j]);
        const double vlos = 300 * gsl_ran_gaussian(r, 1.0);
        for (int a = 0; a < 3; a++) c->vel[3 * j + a] = (float)(vlos * u[a]);
        c->dist[j] = (float)rr;
        c->zcos[j] = hp_distance_z(&dt, rr);
        c->zobs[j] = (1 + c->zcos[j]) * (1 + vlos / HP_C_KMS) - 1;
        c->mass_bin[j] = k;
        c->mass[j] = h->bin_edges[k] * pow(10, gsl_rng_uniform(r));
        c->shell[j] = s;
        c->id[j] = j;
      }
    }
  }
  gsl_rng_free(r);
  hp_distance_table_free(&dt);
  return 0;
}

/* Every ratio n/n_exp within 4 sigma of 1; prints the worst. */
static void assert_ratio_one(const hp_stats_nz *nz, const char *what) {
  double worst = 0;
  for (int b = 0; b < nz->nz; b++)
    for (int k = 0; k < nz->nsamp; k++) {
      const size_t i = (size_t)b * nz->nsamp + k;
      assert_true(nz->count[i] > 100);
      worst = fmax(worst, fabs(nz->ratio[i] - 1) / nz->err[i]);
    }
  printf("  %s: %d bins x %d samples, largest |n/n_exp - 1|/err = %.2f\n", what, nz->nz, nz->nsamp,
         worst);
  assert_true(worst < 4);
}

static void test_nz_exact(void **state) {
  (void)state;
  hp_status st;
  hp_cone c;
  /* one shell, no halos: volumes and the expectation follow from the header alone */
  assert_int_equal(make_cone(&c, "FullSky", 0.1, 0.35, 1, 0, 1, &st), 0);
  c.hdr.shell_density[0] = c.hdr.shell_density_far[0] = 2e-4;
  c.hdr.shell_density[1] = c.hdr.shell_density_far[1] = 1e-4;
  hp_stats_nz nz;
  assert_int_equal(hp_stats_cone_nz(&c, 0.1, 0, &nz, &st), 0);
  assert_int_equal(nz.nz, 3); /* 0.1-0.2, 0.2-0.3, 0.3-0.35 */
  assert_true(fabs(nz.z_hi[2] - 0.35) < 1e-15 && fabs(nz.z_lo[2] - 0.3) < 1e-12);
  hp_distance_table dt;
  assert_int_equal(hp_distance_table_create(&dt, OMEGA_M, OMEGA_L, 1, &st), 0);
  for (int b = 0; b < 3; b++) {
    const double lo = hp_distance_chi(&dt, nz.z_lo[b]), hi = hp_distance_chi(&dt, nz.z_hi[b]);
    assert_true(fabs(nz.volume[b] / (4 * M_PI / 3 * (hi * hi * hi - lo * lo * lo)) - 1) < 1e-9);
    assert_true(fabs(nz.n_exp[b * 3 + 0] / 2e-4 - 1) < 1e-12);
    assert_true(fabs(nz.n_exp[b * 3 + 2] / 3e-4 - 1) < 1e-12);
    assert_int_equal(nz.count[b * 3 + 2], 0);
  }
  /* a bin half covered by the shell: the expectation is diluted by the uncovered volume */
  c.hdr.shell_edges[1] = 0.5 * (nz.chi_lo[1] + nz.chi_hi[1]);
  hp_stats_nz half;
  assert_int_equal(hp_stats_cone_nz(&c, 0.1, 0, &half, &st), 0);
  const double m = c.hdr.shell_edges[1], lo = nz.chi_lo[1], hi = nz.chi_hi[1];
  assert_true(
      fabs(half.n_exp[3] / (2e-4 * (m * m * m - lo * lo * lo) / (hi * hi * hi - lo * lo * lo)) -
           1) < 1e-12);
  assert_true(half.n_exp[6] == 0 && isnan(half.ratio[6]));
  hp_stats_nz_free(&half);
  /* a density falling linearly across the shell: the expectation is its volume integral
   * (midpoint rule on 10^5 steps as the independent truth) */
  c.hdr.shell_density_far[0] = 0.5e-4;
  assert_int_equal(hp_stats_cone_nz(&c, 0.1, 0, &half, &st), 0);
  {
    const double r0 = c.hdr.shell_edges[0], r1 = c.hdr.shell_edges[1];
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
      const double r = lo + (m - lo) * (i + 0.5) / 100000;
      sum += (2e-4 + (0.5e-4 - 2e-4) * (r - r0) / (r1 - r0)) * 4 * M_PI * r * r * (m - lo) / 100000;
    }
    assert_true(fabs(half.n_exp[3] * half.volume[1] / sum - 1) < 1e-8);
  }
  hp_stats_nz_free(&half);
  hp_stats_nz_free(&nz);
  /* bad input named */
  assert_int_equal(hp_stats_cone_nz(&c, -0.1, 0, &nz, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "dz = -0.1"));
  c.hdr.sky_fraction = 0;
  assert_int_equal(hp_stats_cone_nz(&c, 0.1, 0, &nz, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "SkyFraction = 0"));
  hp_distance_table_free(&dt);
  hp_cone_free(&c);
}

static void test_nz_poisson(void **state) {
  (void)state;
  hp_status st;
  const char *fp[] = {"FullSky", "Octant"};
  for (int f = 0; f < 2; f++) {
    hp_cone c;
    /* ~40,000 halos each; 7 shells whose edges fall inside the 5 redshift bins */
    assert_int_equal(make_cone(&c, fp[f], 0.05, 0.5, 7, f ? 8e-6 : 1e-6, 3 + f, &st), 0);
    hp_stats_nz nz;
    assert_int_equal(hp_stats_cone_nz(&c, 0.1, 0, &nz, &st), 0);
    assert_int_equal(nz.nz, 5);
    assert_int_equal(nz.below + nz.above, 0);
    int64_t all = 0;
    for (int b = 0; b < nz.nz; b++) all += nz.count[b * 3 + 2];
    assert_int_equal(all, c.n);
    printf("  %s: %lld halos\n", fp[f], (long long)c.n);
    assert_ratio_one(&nz, fp[f]);
    hp_stats_nz_free(&nz);
    /* ZObs: the same within errors (velocities of 300 km/s move few halos across bins) */
    assert_int_equal(hp_stats_cone_nz(&c, 0.1, 1, &nz, &st), 0);
    assert_true(nz.zobs == 1 && nz.below + nz.above > 0);
    hp_stats_nz_free(&nz);
    hp_cone_free(&c);
  }
}

static void test_nz_file_round_trip(void **state) {
  (void)state;
  hp_status st;
  hp_cone c, d;
  char dir[] = "/tmp/hp_test_cone_XXXXXX", path[64];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/cone.h5", dir);
  assert_int_equal(make_cone(&c, "FullSky", 0.05, 0.3, 4, 1e-5, 9, &st), 0);
  assert_int_equal(hp_cone_write_hdf5(&c, path, &st), 0);
  assert_int_equal(hp_cone_read(&d, path, &st), 0);
  hp_stats_nz a, b;
  assert_int_equal(hp_stats_cone_nz(&c, 0.05, 0, &a, &st), 0);
  assert_int_equal(hp_stats_cone_nz(&d, 0.05, 0, &b, &st), 0);
  assert_int_equal(a.nz, b.nz);
  for (int i = 0; i < a.nz * a.nsamp; i++) {
    assert_int_equal(a.count[i], b.count[i]);
    assert_true(a.n_exp[i] == b.n_exp[i]);
  }
  assert_ratio_one(&b, "read back");
  hp_stats_nz_free(&a);
  hp_stats_nz_free(&b);
  hp_cone_free(&c);
  hp_cone_free(&d);
  unlink(path);
  rmdir(dir);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write-cone")) {
    /* the shell test's cone: full sky, 0.05 <= z <= 0.3, ~6,000 halos */
    hp_status st;
    hp_cone c;
    const int rc = make_cone(&c, "FullSky", 0.05, 0.3, 4, 1e-6, 17, &st) ||
                   hp_cone_write_hdf5(&c, argv[2], &st);
    if (rc) fprintf(stderr, "test_stats_cone: %s\n", st.msg);
    hp_cone_free(&c);
    return rc;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nz_exact),
      cmocka_unit_test(test_nz_poisson),
      cmocka_unit_test(test_nz_file_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
