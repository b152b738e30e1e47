/*
 * The catalogue sampler: expected counts per bin over many voxels, the Poisson
 * law of the counts, masses inside their bin with the right distribution,
 * positions on particles of the right voxel, velocities from the field,
 * redshift-space shifts, and identical catalogues for 1 and 2 threads.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/fields.h"
#include "catalog/sampler.h"
#include "nn/count_runs.h"
#include "nn/count_dist.h"
#include "util/rng.h"

/* dn/dlnM proportional to M^-1: the mean of ln M in [a, b] is known in closed form. */
static double power_law(void *ctx, double m) {
  (void)ctx;
  return 1.0 / m;
}

enum { NV = 24, NP = 24, K = 2 };
static const double EDGES[K + 1] = {1e13, 1e14, 1e15};

typedef struct fixture {
  float *counts[K];
  float *disp[3], *vel[3];
} fixture;

static fixture make_fixture(double l0, double l1) {
  fixture f;
  const int64_t n3 = (int64_t)NV * NV * NV, p3 = (int64_t)NP * NP * NP;
  for (int k = 0; k < K; k++) {
    f.counts[k] = malloc(sizeof(float) * n3);
    for (int64_t i = 0; i < n3; i++) f.counts[k][i] = (float)(k == 0 ? l0 : l1);
  }
  uint64_t s = 99;
  for (int a = 0; a < 3; a++) {
    f.disp[a] = malloc(sizeof(float) * p3);
    f.vel[a] = malloc(sizeof(float) * n3);
    for (int64_t i = 0; i < p3; i++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      f.disp[a][i] = (float)(((double)(s >> 11) * 0x1p-53 - 0.5) * 6.0);
    }
    for (int64_t i = 0; i < n3; i++) f.vel[a][i] = (float)(100.0 * (a + 1));
  }
  return f;
}

static void free_fixture(fixture *f) {
  for (int k = 0; k < K; k++) free(f->counts[k]);
  for (int a = 0; a < 3; a++) free(f->disp[a]), free(f->vel[a]);
}

static hp_sampler *plan(int threads, int count_mode, int pos_mode, int rsd) {
  hp_sampler_desc d = {NV,  48.0, NP,   K,       EDGES, power_law, NULL, count_mode, pos_mode,
                       rsd, 0.01, 2024, threads, NULL,  0,         0,    0,          0};
  hp_sampler *s = NULL;
  hp_status st;
  int rc = hp_sampler_create(&s, &d, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  return s;
}

static void sample(hp_sampler *s, fixture *f, hp_catalog *cat) {
  hp_sampler_input in = {(const float *const *)f->counts,
                         {f->disp[0], f->disp[1], f->disp[2]},
                         {f->vel[0], f->vel[1], f->vel[2]},
                         NULL,
                         NULL,
                         NULL};
  hp_status st;
  memset(cat, 0, sizeof *cat);
  int rc = hp_sampler_execute(s, &in, cat, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
}

static void test_expected_counts_per_bin(void **state) {
  (void)state;
  const double lam[K] = {0.3, 1.7};
  fixture f = make_fixture(lam[0], lam[1]);
  for (int mode = 0; mode < 2; mode++) {
    hp_sampler *s = plan(2, mode, HP_POS_PARTICLES, -1);
    hp_catalog cat;
    sample(s, &f, &cat);
    int64_t n[K] = {0, 0};
    for (int64_t h = 0; h < cat.n; h++) n[cat.mass_bin[h]]++;
    for (int k = 0; k < K; k++) {
      const double expect = lam[k] * NV * NV * NV, sigma = sqrt(expect);
      assert_true(fabs(n[k] - expect) < 4 * sigma);
    }
    hp_catalog_free(&cat);
    hp_sampler_destroy(s);
  }
  free_fixture(&f);
}

static void test_count_laws(void **state) {
  (void)state;
  const double lam = 2.5;
  const int N = 200000;
  hp_sampler *sp = plan(1, HP_COUNTS_POISSON, HP_POS_UNIFORM, -1);
  double m = 0, v = 0, p0 = 0;
  for (int i = 0; i < N; i++) {
    const int64_t n = hp_sampler_count(sp, 0, lam, (i + 0.5) / N);
    m += n, v += (double)n * n, p0 += n == 0;
  }
  m /= N, v = v / N - m * m, p0 /= N;
  assert_float_equal(m, lam, 1e-3);
  assert_float_equal(v, lam, 1e-2);
  assert_float_equal(p0, exp(-lam), 1e-4);
  hp_sampler_destroy(sp);
  /* stochastic rounding: floor or ceil, with the right mean */
  hp_sampler *sr = plan(1, HP_COUNTS_ROUNDING, HP_POS_UNIFORM, -1);
  double r = 0;
  for (int i = 0; i < N; i++) {
    const int64_t n = hp_sampler_count(sr, 0, lam, (i + 0.5) / N);
    assert_true(n == 2 || n == 3);
    r += n;
  }
  assert_float_equal(r / N, lam, 1e-4);
  hp_sampler_destroy(sr);
  /* the model's count distribution: sub-Poisson in bin 0, super-Poisson in bin 1 */
  hp_count_dist cd;
  hp_count_dist_poisson(&cd, K);
  cd.kind = HP_COUNT_CMP;
  cd.a[0] = 0.7, cd.a[1] = -0.7;
  hp_sampler_desc d = {
      NV,   48.0, NP,  K, EDGES, power_law, NULL, HP_COUNTS_MODEL, HP_POS_UNIFORM, -1, 0.01,
      2024, 1,    &cd, 0, 0,     0,         0};
  hp_sampler *sm = NULL;
  hp_status st;
  assert_int_equal(hp_sampler_create(&sm, &d, &st), 0);
  for (int k = 0; k < K; k++) {
    m = v = 0;
    for (int i = 0; i < N; i++) {
      const int64_t n = hp_sampler_count(sm, k, lam, (i + 0.5) / N);
      m += n, v += (double)n * n;
    }
    m /= N, v = v / N - m * m;
    hp_cmp_moments mo;
    const double nu = exp(cd.a[k]);
    hp_cmp_moments_at(hp_cmp_lnlambda(lam, nu, 0.0), nu, 0.0, &mo);
    assert_float_equal(m, lam, 1e-3);
    assert_float_equal(v, mo.var, 1e-2);
    assert_true(k == 0 ? v < 0.8 * lam : v > 1.2 * lam);
  }
  hp_sampler_destroy(sm);
}

static void test_masses_positions_velocities(void **state) {
  (void)state;
  fixture f = make_fixture(0.5, 0.5);
  hp_sampler *s = plan(2, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1);
  hp_catalog cat;
  sample(s, &f, &cat);
  assert_true(cat.n > 1000);
  double mean_ln[K] = {0, 0};
  int64_t cnt[K] = {0, 0};
  const double dq = 48.0 / NP;
  for (int64_t h = 0; h < cat.n; h++) {
    const int k = cat.mass_bin[h];
    assert_true(cat.mass[h] >= EDGES[k] * (1 - 1e-9) && cat.mass[h] <= EDGES[k + 1] * (1 + 1e-9));
    mean_ln[k] += log(cat.mass[h]), cnt[k]++;
    for (int a = 0; a < 3; a++) assert_true(cat.pos[3 * h + a] >= 0 && cat.pos[3 * h + a] < 48.0f);
    /* the velocity field is uniform: the read-out returns it */
    for (int a = 0; a < 3; a++) assert_float_equal(cat.vel[3 * h + a], 100.0 * (a + 1), 1e-3);
  }
  /* dn/dlnM ~ 1/M: ln M has density ~ e^{-ln M}; mean = ln a + 1 - (b-a)... in closed form */
  for (int k = 0; k < K; k++) {
    const double a = EDGES[k], b = EDGES[k + 1];
    const double expect = (log(a) / a - log(b) / b + 1 / a - 1 / b) / (1 / a - 1 / b);
    assert_float_equal(mean_ln[k] / cnt[k], expect, 0.02);
  }
  /* every halo sits exactly on a particle of its voxel, or its voxel has no particle */
  const double dx = 48.0 / NV;
  int64_t on_particles = 0;
  for (int64_t h = 0; h < cat.n; h += 97) {
    int found = 0, occupied = 0;
    int64_t cell[3];
    for (int a = 0; a < 3; a++) cell[a] = (int64_t)floor(cat.pos[3 * h + a] / dx);
    for (int64_t i = 0; i < (int64_t)NP * NP * NP; i++) {
      const int64_t q[3] = {i / (NP * NP), (i / NP) % NP, i % NP};
      int same = 1, inside = 1;
      for (int a = 0; a < 3; a++) {
        double x = fmod(q[a] * dq + f.disp[a][i], 48.0);
        if (x < 0) x += 48.0;
        same &= fabsf((float)x - cat.pos[3 * h + a]) < 1e-4f;
        inside &= (int64_t)floor(x / dx) == cell[a];
      }
      found |= same;
      occupied |= inside;
    }
    assert_true(found || !occupied);
    on_particles += found;
  }
  assert_true(on_particles > 0);
  hp_catalog_free(&cat);
  hp_sampler_destroy(s);
  free_fixture(&f);
}

/* The particle-in-voxel index against a slow reference: each voxel's particles found by
 * brute force (NGP in double, wrapped by fmod), the counts and picks re-drawn from the sampler's
 * counter-based streams (count 1, position 2: catalog/sampler.c), so every halo must sit
 * exactly on the reference's particle, in grid, bin and draw order. One particle in seven is
 * displaced by two boxes more. */
static void test_index_against_reference(void **state) {
  (void)state;
  fixture f = make_fixture(0.4, 0.3);
  const int64_t p3 = (int64_t)NP * NP * NP, n3 = (int64_t)NV * NV * NV;
  for (int64_t i = 0; i < p3; i += 7) f.disp[i % 3][i] += i % 2 ? 96.0f : -96.0f; /* 2 boxes */
  f.disp[0][5] = 100.0f, f.disp[2][77] = -75.0f, f.disp[1][NP * NP * 3 + 2] = 49.5f;
  const double box = 48.0, dq = box / NP, inv_dx = NV / box;
  int64_t *count = calloc((size_t)n3, sizeof *count),
          *first = malloc(sizeof *first * (size_t)(n3 + 1));
  int64_t *cell = malloc(sizeof *cell * (size_t)p3), *list = malloc(sizeof *list * (size_t)p3);
  for (int64_t i = 0; i < p3; i++) {
    const int64_t q[3] = {i / (NP * NP), (i / NP) % NP, i % NP};
    int64_t v[3];
    for (int a = 0; a < 3; a++) {
      const double x = (double)q[a] * dq + f.disp[a][i];
      v[a] = ((int64_t)floor(x * inv_dx) % NV + NV) % NV;
    }
    cell[i] = (v[0] * NV + v[1]) * NV + v[2];
    count[cell[i]]++;
  }
  first[0] = 0;
  for (int64_t c = 0; c < n3; c++) first[c + 1] = first[c] + count[c], count[c] = 0;
  for (int64_t i = 0; i < p3; i++) list[first[cell[i]] + count[cell[i]]++] = i;
  const uint64_t kc = hp_rng_key(2024, 1), kp = hp_rng_key(2024, 2);
  for (int threads = 1; threads <= 3; threads++) {
    hp_sampler *s = plan(threads, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1);
    hp_catalog cat;
    sample(s, &f, &cat);
    int64_t h = 0, on = 0;
    for (int64_t c = 0; c < n3; c++)
      for (int k = 0; k < K; k++) {
        const uint64_t ctr = (uint64_t)(c * K + k);
        const int64_t n = hp_poisson_draw(f.counts[k][c], hp_rng_uniform(hp_rng_at(kc, ctr, 0)));
        for (int64_t j = 0; j < n; j++, h++) {
          assert_true(h < cat.n);
          assert_int_equal(cat.mass_bin[h], k);
          const int64_t np_in = first[c + 1] - first[c];
          if (np_in == 0) continue; /* uniform in the voxel */
          const int64_t i =
              list[first[c] + (int64_t)(hp_rng_uniform(hp_rng_at(kp, ctr, (uint64_t)j)) * np_in)];
          const int64_t q[3] = {i / (NP * NP), (i / NP) % NP, i % NP};
          for (int a = 0; a < 3; a++) {
            double x = fmod((double)q[a] * (box / NP) + f.disp[a][i], box);
            if (x < 0) x += box;
            float xf = (float)x;
            if (xf >= (float)box) xf = 0;
            assert_true(cat.pos[3 * h + a] == xf);
          }
          on++;
        }
      }
    assert_int_equal(h, cat.n);
    assert_true(on > cat.n / 2); /* about one particle a voxel: some voxels are empty */
    hp_catalog_free(&cat);
    hp_sampler_destroy(s);
  }
  free(count), free(first), free(cell), free(list);
  free_fixture(&f);
}

/* Means no sane model paints (huge weights, NaN input) are refused, not cast to garbage. */
static void test_broken_means_refused(void **state) {
  (void)state;
  const float broken[2] = {1e30f, NAN};
  for (int i = 0; i < 2; i++) {
    fixture f = make_fixture(0.5, 0.5);
    f.counts[1][17] = broken[i];
    hp_sampler *s = plan(2, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1);
    hp_sampler_input in = {(const float *const *)f.counts,
                           {f.disp[0], f.disp[1], f.disp[2]},
                           {f.vel[0], f.vel[1], f.vel[2]},
                           NULL,
                           NULL,
                           NULL};
    hp_catalog cat;
    memset(&cat, 0, sizeof cat);
    hp_status st;
    hp_status_clear(&st);
    assert_int_equal(hp_sampler_execute(s, &in, &cat, &st), HP_ERR_NUMERIC);
    assert_non_null(strstr(st.msg, "voxel 17 of mass bin 1"));
    hp_catalog_free(&cat);
    hp_sampler_destroy(s);
    free_fixture(&f);
  }
}

/* Another code's particles, given by position (np = 0): the same catalogue as the same particles
 * given as lattice + displacement, and every halo sits exactly on one of the given particles. */
static void test_particles_by_position(void **state) {
  (void)state;
  fixture f = make_fixture(0.4, 0.2);
  const int64_t p3 = (int64_t)NP * NP * NP;
  const double dq = 48.0 / NP;
  float *pos = malloc(sizeof(float) * 3 * p3);
  for (int64_t i = 0; i < p3; i++) {
    const int64_t q[3] = {i / (NP * NP), (i / NP) % NP, i % NP};
    for (int a = 0; a < 3; a++) {
      double x = fmod(q[a] * dq + f.disp[a][i], 48.0);
      if (x < 0) x += 48.0;
      pos[3 * i + a] = (float)x;
    }
  }
  hp_sampler *lat = plan(2, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1);
  hp_catalog a, b;
  sample(lat, &f, &a);
  hp_sampler_desc d = {
      NV,   48.0, 0,    K, EDGES, power_law, NULL, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1, 0.01,
      2024, 2,    NULL, 0, p3,    0,         0};
  hp_sampler *byp = NULL;
  hp_status st;
  assert_int_equal(hp_sampler_create(&byp, &d, &st), 0);
  hp_sampler_input in = {(const float *const *)f.counts,
                         {NULL, NULL, NULL},
                         {f.vel[0], f.vel[1], f.vel[2]},
                         pos,
                         NULL,
                         NULL};
  memset(&b, 0, sizeof b);
  assert_int_equal(hp_sampler_execute(byp, &in, &b, &st), 0);
  assert_true(a.n > 1000);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.mass, b.mass, sizeof(double) * a.n);
  int64_t on = 0;
  for (int64_t h = 0; h < b.n; h += 97) {
    int found = 0, in_voxel = 0; /* an empty voxel draws uniformly: no particle to sit on */
    for (int64_t i = 0; i < p3 && !found; i++) {
      found = pos[3 * i] == b.pos[3 * h] && pos[3 * i + 1] == b.pos[3 * h + 1] &&
              pos[3 * i + 2] == b.pos[3 * h + 2];
      int same = 1;
      for (int ax = 0; ax < 3; ax++)
        same &= (int)(pos[3 * i + ax] / 2.0f) == (int)(b.pos[3 * h + ax] / 2.0f);
      in_voxel |= same;
    }
    assert_true(found || !in_voxel);
    on += found;
    for (int ax = 0; ax < 3; ax++) assert_float_equal(a.pos[3 * h + ax], b.pos[3 * h + ax], 1e-4);
  }
  assert_true(on > b.n / 97 / 2);
  hp_catalog_free(&a), hp_catalog_free(&b);
  hp_sampler_destroy(lat), hp_sampler_destroy(byp);
  free(pos);
  free_fixture(&f);
}

/* The catalogue is counted before it is allocated: more halos than the memory left refused. */
static void test_catalog_bound(void **state) {
  (void)state;
  fixture f = make_fixture(0.5, 0.5); /* about 13,800 halos, 600 kB */
  hp_sampler_desc d = {
      NV,   48.0, NP,   K,     EDGES, power_law, NULL, HP_COUNTS_POISSON, HP_POS_UNIFORM, -1, 0.01,
      2024, 1,    NULL, 100e3, 0,     0,         0};
  hp_sampler *s = NULL;
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_sampler_create(&s, &d, &st), 0);
  hp_sampler_input in = {(const float *const *)f.counts,
                         {f.disp[0], f.disp[1], f.disp[2]},
                         {f.vel[0], f.vel[1], f.vel[2]},
                         NULL,
                         NULL,
                         NULL};
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  assert_int_equal(hp_sampler_execute(s, &in, &cat, &st), HP_ERR_NOMEM);
  assert_non_null(strstr(st.msg, "halos"));
  assert_non_null(strstr(st.msg, "0 MB left"));
  hp_catalog_free(&cat);
  hp_sampler_destroy(s);
  free_fixture(&f);
}

static void test_threads_identical_and_rsd(void **state) {
  (void)state;
  fixture f = make_fixture(0.4, 0.9);
  hp_sampler *s1 = plan(1, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1);
  hp_sampler *s2 = plan(2, HP_COUNTS_POISSON, HP_POS_PARTICLES, -1);
  hp_sampler *sr = plan(2, HP_COUNTS_POISSON, HP_POS_PARTICLES, 2);
  hp_catalog a, b, r;
  sample(s1, &f, &a);
  sample(s2, &f, &b);
  sample(sr, &f, &r);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.pos, b.pos, sizeof(float) * 3 * a.n);
  assert_memory_equal(a.mass, b.mass, sizeof(double) * a.n);
  assert_memory_equal(a.vel, b.vel, sizeof(float) * 3 * a.n);
  /* redshift space along z: shifted by v_z * 0.01 = 3 Mpc/h, x and y unchanged */
  assert_int_equal(a.n, r.n);
  for (int64_t h = 0; h < a.n; h++) {
    assert_true(a.pos[3 * h] == r.pos[3 * h]);
    double dz = r.pos[3 * h + 2] - a.pos[3 * h + 2];
    if (dz < -24) dz += 48;
    assert_float_equal(dz, 3.0, 1e-4);
  }
  hp_catalog_free(&a), hp_catalog_free(&b), hp_catalog_free(&r);
  hp_sampler_destroy(s1), hp_sampler_destroy(s2), hp_sampler_destroy(sr);
  free_fixture(&f);
}

static void test_bad_plans(void **state) {
  (void)state;
  const double bad[3] = {1e14, 1e13, 1e15};
  hp_sampler_desc d = {NV, 48.0, NP, K, bad, power_law, NULL, 0, 0, -1, 0, 1, 1, NULL, 0, 0, 0, 0};
  hp_sampler *s = NULL;
  hp_status st;
  assert_int_equal(hp_sampler_create(&s, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "increasing"));
  assert_null(s);
}

/* Slabs of planes (one MPI rank's each), given the lattice points near them by id and velocity
 * grids with a ghost plane each side, draw the whole grid's catalogue, joined in plane order. */
/* Slabs sampled apart, joined in plane order, are the whole grid's catalogue: independent
 * counts (cd NULL: Poisson), or counts along exclusion runs (the slabs given their ghosts). */
static void slabs_join_to_whole(const hp_count_dist *cd) {
  const int mode = cd ? HP_COUNTS_MODEL : HP_COUNTS_POISSON;
  fixture f = make_fixture(0.5, 0.5);
  const int64_t nv2 = (int64_t)NV * NV, p3 = (int64_t)NP * NP * NP;
  for (int64_t v = 0; v < nv2 * NV; v++) {
    for (int k = 0; k < K; k++) f.counts[k][v] = (float)(0.1 + 0.8 * fmod(0.37 * v + 0.5 * k, 1.0));
    for (int a = 0; a < 3; a++) f.vel[a][v] = (float)(100.0 * sin(0.01 * v + a));
  }
  hp_catalog whole;
  hp_sampler_desc dw = {NV, 48.0, NP,   K, EDGES, power_law, NULL, mode, HP_POS_PARTICLES,
                        1,  0.01, 2024, 2, cd,    0,         0,    0,    0};
  hp_sampler *all = NULL;
  hp_status st;
  if (hp_sampler_create(&all, &dw, &st)) fail_msg("%s", st.msg);
  sample(all, &f, &whole);
  hp_sampler_destroy(all);
  const int64_t cut[4] = {0, 7, 15, NV};
  int64_t *id = malloc(sizeof *id * p3), done = 0;
  float *disp = malloc(sizeof(float) * 3 * p3), *vel = malloc(sizeof(float) * 3 * nv2 * NV);
  assert_true(id && disp && vel);
  for (int r = 0; r < 3; r++) {
    const int64_t x0 = cut[r], nx = cut[r + 1] - x0;
    int64_t m = 0; /* lattice points whose voxel is in [x0 - 1, x0 + nx]: the slab's and ghosts */
    for (int64_t i = 0; i < p3; i++) {
      const double x = (double)(i / (NP * NP)) * (48.0 / NP) + f.disp[0][i];
      const int64_t ix = (((int64_t)floor(x * NV / 48.0)) % NV + NV) % NV;
      if ((ix - x0 + 1 + NV) % NV < nx + 2) id[m++] = i;
    }
    for (int a = 0; a < 3; a++)
      for (int64_t j = 0; j < m; j++) disp[a * p3 + j] = f.disp[a][id[j]];
    for (int a = 0; a < 3; a++)
      for (int64_t l = 0; l < nx + 2; l++)
        memcpy(vel + (a * (NV + 2) + l) * nv2, f.vel[a] + ((x0 - 1 + l + NV) % NV) * nv2,
               sizeof(float) * nv2);
    hp_sampler_desc d = {NV, 48.0, NP,   K, EDGES, power_law, NULL, mode, HP_POS_PARTICLES,
                         1,  0.01, 2024, 2, cd,    0,         m,    x0,   nx};
    const hp_lattice_ids ids = hp_test_lattice_runs(id, m);
    hp_sampler *s = NULL;
    if (hp_sampler_create(&s, &d, &st)) fail_msg("%s", st.msg);
    const float *counts[K] = {f.counts[0] + x0 * nv2, f.counts[1] + x0 * nv2}, *ghost[K];
    for (int k = 0; k < K; k++) { /* the means of the slab and HP_RUN_GHOST planes each side */
      float *g = malloc(sizeof(float) * (size_t)((nx + 2 * HP_RUN_GHOST) * nv2));
      for (int64_t l = 0; l < nx + 2 * HP_RUN_GHOST; l++)
        memcpy(g + l * nv2, f.counts[k] + ((x0 - HP_RUN_GHOST + l + NV) % NV) * nv2,
               sizeof(float) * nv2);
      ghost[k] = g;
    }
    hp_sampler_input in = {counts,
                           {disp, disp + p3, disp + 2 * p3},
                           {vel, vel + (NV + 2) * nv2, vel + 2 * (NV + 2) * nv2},
                           NULL,
                           &ids,
                           NULL};
    hp_catalog part;
    memset(&part, 0, sizeof part);
    if (cd) { /* a slab whose model draws along runs needs its ghost means */
      assert_int_equal(hp_sampler_execute(s, &in, &part, &st), HP_ERR_INPUT);
      assert_non_null(strstr(st.msg, "counts_ghost"));
      in.counts_ghost = ghost;
    }
    if (hp_sampler_execute(s, &in, &part, &st)) fail_msg("%s", st.msg);
    for (int k = 0; k < K; k++) free((float *)ghost[k]);
    assert_true(done + part.n <= whole.n);
    assert_memory_equal(part.pos, whole.pos + 3 * done, sizeof(float) * 3 * part.n);
    assert_memory_equal(part.vel, whole.vel + 3 * done, sizeof(float) * 3 * part.n);
    assert_memory_equal(part.mass, whole.mass + done, sizeof(double) * part.n);
    assert_memory_equal(part.mass_bin, whole.mass_bin + done, sizeof(int32_t) * part.n);
    done += part.n;
    hp_catalog_free(&part);
    hp_sampler_destroy(s);
  }
  assert_int_equal(done, whole.n);
  assert_true(whole.n > 1000);
  free(id), free(disp), free(vel);
  hp_catalog_free(&whole);
  free_fixture(&f);
}

static void test_slabs_join_to_whole(void **state) {
  (void)state;
  slabs_join_to_whole(NULL);
  hp_count_dist cd;
  hp_count_dist_poisson(&cd, K);
  cd.run[0] = 0.5, cd.run[1] = 1.0; /* exclusion runs in both bins */
  slabs_join_to_whole(&cd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expected_counts_per_bin),
      cmocka_unit_test(test_slabs_join_to_whole),
      cmocka_unit_test(test_count_laws),
      cmocka_unit_test(test_masses_positions_velocities),
      cmocka_unit_test(test_threads_identical_and_rsd),
      cmocka_unit_test(test_broken_means_refused),
      cmocka_unit_test(test_particles_by_position),
      cmocka_unit_test(test_index_against_reference),
      cmocka_unit_test(test_catalog_bound),
      cmocka_unit_test(test_bad_plans),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
