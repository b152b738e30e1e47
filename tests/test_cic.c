/*
 * Tests of cloud-in-cell assignment (cic/cic.h): single-particle weights and periodic wrapping,
 * mass conservation, bit-identical grids for any thread count, agreement with a naive float64
 * CIC, lattice (displacement) mode, strided input, readout (interpolant and adjointness), mean
 * velocity, the Fourier window, uniform-lattice density and refusal of bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fields.h"
#include "cic/cic.h"

/* ---------------------------------------------------------------------------------------- */
/* Helpers. */

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s; }
static double rng_uniform(void) { /* splitmix64, uniform in [0, 1) */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

static hp_cic_plan *make_plan(int64_t nv, double box, int nthreads) {
  hp_status st;
  hp_status_clear(&st);
  hp_cic_plan *p = NULL;
  int rc = hp_cic_plan_create(&p, nv, box, nthreads, &st);
  if (rc) fail_msg("plan_create: %s", st.msg);
  assert_non_null(p);
  return p;
}

static float *new_grid(int64_t nv) {
  float *g = calloc((size_t)(nv * nv * nv), sizeof(float));
  assert_non_null(g);
  return g;
}

static hp_cic_particles sep_parts(int64_t n, const float *x, const float *y, const float *z,
                                  const float *w) {
  hp_cic_particles s = {
      .n = n, .x = x, .y = y, .z = z, .stride = 1, .lattice_np = 0, .weight = w, .wstride = 1};
  return s;
}

static void deposit_ok(hp_cic_plan *p, const hp_cic_particles *s, float *g) {
  hp_status st;
  hp_status_clear(&st);
  int rc = hp_cic_deposit(p, s, g, &st);
  if (rc) fail_msg("deposit: %s", st.msg);
}

static void readout_ok(const hp_cic_plan *p, const float *g, const hp_cic_particles *s,
                       float *out) {
  hp_status st;
  hp_status_clear(&st);
  int rc = hp_cic_readout(p, g, s, out, &st);
  if (rc) fail_msg("readout: %s", st.msg);
}

/* n random particles with coordinates uniform in [lo, hi) and weights in [0.5, 1.5). */
typedef struct cloud {
  int64_t n;
  float *x, *y, *z, *w;
} cloud;

static cloud random_cloud(int64_t n, double lo, double hi, uint64_t seed) {
  cloud c = {n, malloc(n * sizeof(float)), malloc(n * sizeof(float)), malloc(n * sizeof(float)),
             malloc(n * sizeof(float))};
  assert_true(c.x && c.y && c.z && c.w);
  rng_seed(seed);
  for (int64_t i = 0; i < n; i++) {
    c.x[i] = (float)(lo + (hi - lo) * rng_uniform());
    c.y[i] = (float)(lo + (hi - lo) * rng_uniform());
    c.z[i] = (float)(lo + (hi - lo) * rng_uniform());
    c.w[i] = (float)(0.5 + rng_uniform());
  }
  return c;
}

static void free_cloud(cloud *c) { free(c->x), free(c->y), free(c->z), free(c->w); }

static double grid_sum(const float *g, int64_t nv) {
  double s = 0.0;
  for (int64_t v = 0; v < nv * nv * nv; v++) s += g[v];
  return s;
}

static int64_t vox(int64_t nv, int64_t i, int64_t j, int64_t k) { return (i * nv + j) * nv + k; }

/* Naive serial float64 CIC: the reference. */
static void ref_axis(double x, double box, int64_t nv, int64_t *i0, double *t) {
  double u = x / (box / nv) - 0.5, f = floor(u);
  *t = u - f;
  int64_t i = (int64_t)f % nv;
  *i0 = i < 0 ? i + nv : i;
}

static void ref_deposit(const cloud *c, int use_w, double box, int64_t nv, double *g) {
  for (int64_t n = 0; n < c->n; n++) {
    int64_t i[3];
    double t[3];
    ref_axis(c->x[n], box, nv, &i[0], &t[0]);
    ref_axis(c->y[n], box, nv, &i[1], &t[1]);
    ref_axis(c->z[n], box, nv, &i[2], &t[2]);
    const double m = use_w ? c->w[n] : 1.0;
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++)
        for (int d = 0; d < 2; d++) {
          double w = (a ? t[0] : 1 - t[0]) * (b ? t[1] : 1 - t[1]) * (d ? t[2] : 1 - t[2]);
          g[vox(nv, (i[0] + a) % nv, (i[1] + b) % nv, (i[2] + d) % nv)] += w * m;
        }
  }
}

static double ref_readout(const float *g, double box, int64_t nv, double x, double y, double z) {
  int64_t i[3];
  double t[3], acc = 0.0;
  ref_axis(x, box, nv, &i[0], &t[0]);
  ref_axis(y, box, nv, &i[1], &t[1]);
  ref_axis(z, box, nv, &i[2], &t[2]);
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      for (int d = 0; d < 2; d++) {
        double w = (a ? t[0] : 1 - t[0]) * (b ? t[1] : 1 - t[1]) * (d ? t[2] : 1 - t[2]);
        acc += w * g[vox(nv, (i[0] + a) % nv, (i[1] + b) % nv, (i[2] + d) % nv)];
      }
  return acc;
}

/* ---------------------------------------------------------------------------------------- */
/* Single particles. */

static void test_cell_centre(void **state) {
  (void)state;
  const int64_t nv = 8;
  hp_cic_plan *p = make_plan(nv, 8.0, 2);
  float *g = new_grid(nv);
  float x = 2.5f, y = 3.5f, z = 4.5f;
  hp_cic_particles s = sep_parts(1, &x, &y, &z, NULL);
  deposit_ok(p, &s, g);
  for (int64_t v = 0; v < nv * nv * nv; v++)
    assert_true(g[v] == (v == vox(nv, 2, 3, 4) ? 1.0f : 0.0f));
  /* The grid is not cleared: a second deposit adds. */
  deposit_ok(p, &s, g);
  assert_true(g[vox(nv, 2, 3, 4)] == 2.0f);
  free(g);
  hp_cic_plan_destroy(p);
}

static void test_halfway(void **state) {
  (void)state;
  const int64_t nv = 8;
  hp_cic_plan *p = make_plan(nv, 8.0, 2);
  float *g = new_grid(nv);
  float x = 3.0f, y = 3.5f, z = 4.5f;
  hp_cic_particles s = sep_parts(1, &x, &y, &z, NULL);
  deposit_ok(p, &s, g);
  for (int64_t v = 0; v < nv * nv * nv; v++) {
    const float want = (v == vox(nv, 2, 3, 4) || v == vox(nv, 3, 3, 4)) ? 0.5f : 0.0f;
    assert_true(g[v] == want);
  }
  free(g);
  hp_cic_plan_destroy(p);
}

/* x wraps: weight w7 to plane 7 and w0 to plane 0, all at (y, z) cell (3, 4). */
static void check_wrap(hp_cic_plan *p, float x, double w7, double w0) {
  const int64_t nv = 8;
  float *g = new_grid(nv);
  float y = 3.5f, z = 4.5f;
  hp_cic_particles s = sep_parts(1, &x, &y, &z, NULL);
  deposit_ok(p, &s, g);
  for (int64_t v = 0; v < nv * nv * nv; v++) {
    double want = v == vox(nv, 7, 3, 4) ? w7 : v == vox(nv, 0, 3, 4) ? w0 : 0.0;
    if (fabs(g[v] - want) > 1e-6)
      fail_msg("x = %.9g: voxel %lld has %.9g, want %.9g", x, (long long)v, g[v], want);
  }
  assert_true(fabs(grid_sum(g, nv) - 1.0) < 1e-6);
  free(g);
}

static void test_wrap_edges(void **state) {
  (void)state;
  const float L = 8.0f, dx = 1.0f;
  hp_cic_plan *p = make_plan(8, L, 2);
  check_wrap(p, -0.25f * dx, 0.75, 0.25);
  check_wrap(p, L + 0.25f * dx, 0.25, 0.75);
  check_wrap(p, nextafterf(L, 0.0f), 0.5, 0.5);
  check_wrap(p, L, 0.5, 0.5);
  check_wrap(p, -0.0f, 0.5, 0.5);
  check_wrap(p, 0.0f, 0.5, 0.5);
  check_wrap(p, 1000.0f * L + 0.25f, 0.25, 0.75); /* far outside: fmod path */
  check_wrap(p, -3.0f * L - 0.25f, 0.75, 0.25);
  check_wrap(p, 2.0f * L + 0.25f, 0.25, 0.75);
  check_wrap(p, -2.0f * L + 0.25f, 0.25, 0.75);
  hp_cic_plan_destroy(p);

  /* A box that is not a power of two; extreme values (one ulp below L, tiny negatives, L,
   * +-1e30) in every axis: total weight 1, finite readout. */
  const int64_t nv = 64;
  const float L2 = 100.0f;
  p = make_plan(nv, L2, 3);
  float *g = new_grid(nv);
  float c[6] = {nextafterf(L2, 0.0f), -1e-30f, nextafterf(0.0f, -1.0f), L2, 1e30f, -1e30f};
  for (int a = 0; a < 6; a++) {
    memset(g, 0, (size_t)(nv * nv * nv) * sizeof(float));
    float x = c[a], y = c[(a + 1) % 6], z = c[(a + 2) % 6];
    hp_cic_particles s = sep_parts(1, &x, &y, &z, NULL);
    deposit_ok(p, &s, g);
    assert_true(fabs(grid_sum(g, nv) - 1.0) < 1e-6);
    float out = 0.0f;
    readout_ok(p, g, &s, &out);
    assert_true(isfinite(out));
  }
  /* The first four values are 0 mod L to within float rounding: they deposit only onto the
   * 2x2x2 corner cells {63, 0}^3. */
  memset(g, 0, (size_t)(nv * nv * nv) * sizeof(float));
  for (int a = 0; a < 4; a++) {
    float x = c[a], y = c[(a + 1) % 4], z = c[(a + 2) % 4];
    hp_cic_particles s = sep_parts(1, &x, &y, &z, NULL);
    deposit_ok(p, &s, g);
  }
  double corner = 0.0;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      for (int d = 0; d < 2; d++) corner += g[vox(nv, a ? 63 : 0, b ? 63 : 0, d ? 63 : 0)];
  assert_true(fabs(corner - 4.0) < 1e-5);
  assert_true(fabs(grid_sum(g, nv) - 4.0) < 1e-5);
  free(g);
  hp_cic_plan_destroy(p);

  /* nv = 8, L = 24.5: x = dx/2 = 1.53125 gives u = x*(nv/L) - 0.5 = -5.6e-17 in double, whose
   * wrap u + nv rounds to exactly nv: the particle must land on voxel (0,0,0), weight 1. */
  const int64_t nv3 = 8;
  p = make_plan(nv3, 24.5, 2);
  g = new_grid(nv3);
  float h = 1.53125f;
  hp_cic_particles s = sep_parts(1, &h, &h, &h, NULL);
  deposit_ok(p, &s, g);
  assert_true(fabs(g[0] - 1.0) < 1e-6);
  assert_true(fabs(grid_sum(g, nv3) - 1.0) < 1e-6);
  for (int64_t v = 0; v < nv3 * nv3 * nv3; v++) g[v] = (float)v;
  float out = -1.0f;
  readout_ok(p, g, &s, &out);
  assert_true(fabs(out) < 1e-6);
  free(g);
  hp_cic_plan_destroy(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Many particles. */

static void test_mass_conservation(void **state) {
  (void)state;
  const int64_t nv = 64, n = 1000000;
  const double L = 100.0;
  cloud c = random_cloud(n, -L, 2.0 * L, 11); /* a third inside the box, the rest wrapped */
  hp_cic_plan *p = make_plan(nv, L, 2);
  float *g = new_grid(nv);
  hp_cic_particles s = sep_parts(n, c.x, c.y, c.z, NULL);
  deposit_ok(p, &s, g);
  assert_true(fabs(grid_sum(g, nv) - (double)n) < 1e-6 * n);
  /* Several chunks give the same total. */
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_cic_plan_set_chunk(p, 77777, &st), 0);
  memset(g, 0, (size_t)(nv * nv * nv) * sizeof(float));
  deposit_ok(p, &s, g);
  assert_true(fabs(grid_sum(g, nv) - (double)n) < 1e-6 * n);
  free(g);
  hp_cic_plan_destroy(p);
  free_cloud(&c);
}

/* Grids for 1, 2, 3, 7 threads must be memcmp-identical. */
static void check_determinism(int64_t nv, double L, int64_t chunk, const cloud *c, int use_w) {
  const int threads[4] = {1, 2, 3, 7};
  float *g[4];
  hp_cic_particles s = sep_parts(c->n, c->x, c->y, c->z, use_w ? c->w : NULL);
  for (int a = 0; a < 4; a++) {
    hp_cic_plan *p = make_plan(nv, L, threads[a]);
    if (chunk > 0) {
      hp_status st;
      hp_status_clear(&st);
      assert_int_equal(hp_cic_plan_set_chunk(p, chunk, &st), 0);
    }
    g[a] = new_grid(nv);
    deposit_ok(p, &s, g[a]);
    deposit_ok(p, &s, g[a]); /* twice: additions onto a non-empty grid */
    hp_cic_plan_destroy(p);
  }
  for (int a = 1; a < 4; a++)
    if (memcmp(g[0], g[a], (size_t)(nv * nv * nv) * sizeof(float)) != 0)
      fail_msg("nv = %lld chunk = %lld: %d threads differ from 1 thread", (long long)nv,
               (long long)chunk, threads[a]);
  for (int a = 0; a < 4; a++) free(g[a]);
}

static void test_determinism(void **state) {
  (void)state;
  const int64_t n = 300000;
  const double L = 100.0;
  cloud c = random_cloud(n, -0.5 * L, 1.5 * L, 21);
  /* Cluster a third of the particles in a thin slab, so that a few buckets are crowded. */
  for (int64_t i = 0; i < n / 3; i++) c.x[i] = (float)(30.0 + 0.8 * (c.x[i] / L));
  check_determinism(64, L, 0, &c, 0);
  check_determinism(64, L, 0, &c, 1);
  check_determinism(37, L, 0, &c, 0);
  check_determinism(37, L, 10007, &c, 1);
  check_determinism(64, L, 4096, &c, 0);
  check_determinism(3, L, 999, &c, 0);
  check_determinism(2, L, 0, &c, 1);
  check_determinism(1, L, 0, &c, 1);
  free_cloud(&c);
}

static void test_against_float64_reference(void **state) {
  (void)state;
  const int64_t n = 200000, nvs[5] = {32, 37, 5, 2, 1}; /* odd nv: the wrapping last bucket */
  const double L = 50.0;
  cloud c_all = random_cloud(n, -0.3 * L, 1.3 * L, 31);
  for (int case_ = 0; case_ < 10; case_++) {
    const int64_t nv = nvs[case_ / 2];
    const int use_w = case_ % 2;
    /* Float sums lose ~sqrt(N) ulp with N particles per voxel: keep N <~ 2000 (coarse nv). */
    cloud c = c_all;
    if (c.n > 2000 * nv * nv * nv) c.n = 2000 * nv * nv * nv;
    hp_cic_plan *p = make_plan(nv, L, 2);
    float *g = new_grid(nv);
    double *r = calloc((size_t)(nv * nv * nv), sizeof(double));
    assert_non_null(r);
    hp_cic_particles s = sep_parts(c.n, c.x, c.y, c.z, use_w ? c.w : NULL);
    deposit_ok(p, &s, g);
    ref_deposit(&c, use_w, L, nv, r);
    double maxr = 0.0, maxd = 0.0;
    for (int64_t v = 0; v < nv * nv * nv; v++) {
      maxr = fmax(maxr, fabs(r[v]));
      maxd = fmax(maxd, fabs(g[v] - r[v]));
    }
    if (!(maxd < 1e-5 * maxr))
      fail_msg("nv = %lld: max |cic - ref| = %g, max = %g", (long long)nv, maxd, maxr);
    free(r);
    free(g);
    hp_cic_plan_destroy(p);
  }
  free_cloud(&c_all);
}

/* Lattice (displacement) mode against the same particles given as explicit positions. */
static void check_lattice(int64_t np, int64_t nv, double L, double dmax, int exact) {
  const int64_t n = np * np * np;
  float *d = malloc(3 * n * sizeof(float)), *pos = malloc(3 * n * sizeof(float));
  assert_true(d && pos);
  rng_seed(41);
  for (int64_t i = 0; i < n; i++) {
    const int64_t q[3] = {i / (np * np), (i / np) % np, i % np};
    for (int c = 0; c < 3; c++) {
      double disp = dmax * (2.0 * rng_uniform() - 1.0);
      if (exact) disp = floor(disp * 1024.0) / 1024.0; /* q + d exact in float */
      d[c * n + i] = (float)disp;
      pos[c * n + i] = (float)((double)q[c] * L / np + disp);
    }
  }
  hp_cic_particles sl = {.n = n, .x = d, .y = d + n, .z = d + 2 * n, .stride = 1, .lattice_np = np};
  hp_cic_particles se = sep_parts(n, pos, pos + n, pos + 2 * n, NULL);
  hp_cic_plan *p = make_plan(nv, L, 3);
  float *gl = new_grid(nv), *ge = new_grid(nv);
  deposit_ok(p, &sl, gl);
  deposit_ok(p, &se, ge);
  float *rl = malloc(n * sizeof(float)), *re = malloc(n * sizeof(float));
  assert_true(rl && re);
  readout_ok(p, ge, &sl, rl);
  readout_ok(p, ge, &se, re);
  const size_t bytes = (size_t)(nv * nv * nv) * sizeof(float);
  if (exact) {
    assert_memory_equal(gl, ge, bytes);
    assert_memory_equal(rl, re, n * sizeof(float));
  } else {
    double maxg = 0.0, maxd = 0.0, maxr = 0.0;
    for (int64_t v = 0; v < nv * nv * nv; v++) {
      maxg = fmax(maxg, fabs(ge[v]));
      maxd = fmax(maxd, fabs(gl[v] - ge[v]));
    }
    if (!(maxd < 1e-5 * maxg)) fail_msg("lattice vs explicit: %g vs max %g", maxd, maxg);
    for (int64_t i = 0; i < n; i++) maxr = fmax(maxr, fabs(rl[i] - re[i]));
    if (!(maxr < 1e-5 * maxg)) fail_msg("lattice readout vs explicit: %g", maxr);
  }
  free(rl), free(re), free(gl), free(ge), free(d), free(pos);
  hp_cic_plan_destroy(p);
}

static void test_lattice_mode(void **state) {
  (void)state;
  check_lattice(16, 32, 16.0, 2.0, 1);  /* exactly representable: bit-identical */
  check_lattice(16, 24, 100.0, 9.0, 0); /* general: same to float rounding of positions */
}

static void test_interleaved_stride(void **state) {
  (void)state;
  const int64_t nv = 20, n = 60000;
  const double L = 10.0;
  cloud c = random_cloud(n, -L, 2.0 * L, 51);
  float *xyz = malloc(3 * n * sizeof(float)), *wpad = malloc(2 * n * sizeof(float));
  assert_true(xyz && wpad);
  for (int64_t i = 0; i < n; i++) {
    xyz[3 * i] = c.x[i], xyz[3 * i + 1] = c.y[i], xyz[3 * i + 2] = c.z[i];
    wpad[2 * i] = c.w[i], wpad[2 * i + 1] = NAN; /* never read */
  }
  hp_cic_particles sep = sep_parts(n, c.x, c.y, c.z, c.w);
  hp_cic_particles il = {
      .n = n, .x = xyz, .y = xyz + 1, .z = xyz + 2, .stride = 3, .weight = wpad, .wstride = 2};
  hp_cic_plan *p = make_plan(nv, L, 2);
  float *g1 = new_grid(nv), *g2 = new_grid(nv);
  deposit_ok(p, &sep, g1);
  deposit_ok(p, &il, g2);
  assert_memory_equal(g1, g2, (size_t)(nv * nv * nv) * sizeof(float));
  float *r1 = malloc(n * sizeof(float)), *r2 = malloc(n * sizeof(float));
  readout_ok(p, g1, &sep, r1);
  readout_ok(p, g1, &il, r2);
  assert_memory_equal(r1, r2, n * sizeof(float));
  free(r1), free(r2), free(g1), free(g2), free(xyz), free(wpad);
  hp_cic_plan_destroy(p);
  free_cloud(&c);
}

/* ---------------------------------------------------------------------------------------- */
/* Readout. */

static void test_readout_linear(void **state) {
  (void)state;
  const int64_t nv = 16, n = 20000;
  const double L = 32.0, dx = L / nv;
  hp_cic_plan *p = make_plan(nv, L, 2);
  float *g = new_grid(nv);
  const double a = 1.0, b = 0.5, c = -0.25, d = 0.125;
  for (int64_t i = 0; i < nv; i++)
    for (int64_t j = 0; j < nv; j++)
      for (int64_t k = 0; k < nv; k++)
        g[vox(nv, i, j, k)] =
            (float)(a + b * (i + 0.5) * dx + c * (j + 0.5) * dx + d * (k + 0.5) * dx);
  /* Interior points (between the first and last centres): linear interpolation is exact. */
  cloud cl = random_cloud(n, 0.5 * dx, L - 0.5 * dx, 61);
  hp_cic_particles s = sep_parts(n, cl.x, cl.y, cl.z, NULL);
  float *out = malloc(n * sizeof(float));
  readout_ok(p, g, &s, out);
  for (int64_t i = 0; i < n; i++) {
    const double want = a + b * cl.x[i] + c * cl.y[i] + d * cl.z[i];
    if (fabs(out[i] - want) > 1e-5 * (fabs(want) + 1.0))
      fail_msg("particle %lld: readout %.9g, linear field %.9g", (long long)i, out[i], want);
  }
  free(out);
  free(g);
  free_cloud(&cl);
  hp_cic_plan_destroy(p);
}

static void test_readout_plane_wave(void **state) {
  (void)state;
  const int64_t nv = 24, n = 50000;
  const double L = 60.0, twopi = 6.283185307179586;
  hp_cic_plan *p = make_plan(nv, L, 3);
  float *g = new_grid(nv);
  for (int64_t i = 0; i < nv; i++)
    for (int64_t j = 0; j < nv; j++)
      for (int64_t k = 0; k < nv; k++)
        g[vox(nv, i, j, k)] =
            (float)(2.0 + cos(twopi * (1.0 * (i + 0.5) + 2.0 * (j + 0.5) - 3.0 * (k + 0.5)) / nv));
  cloud cl = random_cloud(n, -L, 2.0 * L, 71); /* anywhere: periodic interpolant */
  hp_cic_particles s = sep_parts(n, cl.x, cl.y, cl.z, NULL);
  float *out = malloc(n * sizeof(float));
  readout_ok(p, g, &s, out);
  for (int64_t i = 0; i < n; i++) {
    const double want = ref_readout(g, L, nv, cl.x[i], cl.y[i], cl.z[i]);
    if (fabs(out[i] - want) > 1e-5 * fabs(want))
      fail_msg("particle %lld: readout %.9g, interpolant %.9g", (long long)i, out[i], want);
  }
  free(out);
  free(g);
  free_cloud(&cl);
  hp_cic_plan_destroy(p);
}

static void test_adjoint(void **state) {
  (void)state;
  const int64_t nv = 24, n = 100000;
  const double L = 30.0;
  cloud c = random_cloud(n, -0.5 * L, 1.5 * L, 81);
  hp_cic_plan *p = make_plan(nv, L, 2);
  float *g = new_grid(nv), *dw = new_grid(nv), *r = malloc(n * sizeof(float));
  rng_seed(82);
  for (int64_t v = 0; v < nv * nv * nv; v++) g[v] = (float)(0.5 + rng_uniform());
  hp_cic_particles s = sep_parts(n, c.x, c.y, c.z, c.w);
  deposit_ok(p, &s, dw);
  readout_ok(p, g, &s, r);
  double lhs = 0.0, rhs = 0.0;
  for (int64_t v = 0; v < nv * nv * nv; v++) lhs += (double)g[v] * dw[v];
  for (int64_t i = 0; i < n; i++) rhs += (double)c.w[i] * r[i];
  if (!(fabs(lhs - rhs) < 1e-5 * fabs(lhs)))
    fail_msg("<g, D w> = %.12g but <w, R g> = %.12g", lhs, rhs);
  free(g), free(dw), free(r);
  free_cloud(&c);
  hp_cic_plan_destroy(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Velocity, density, window. */

static void test_velocity(void **state) {
  (void)state;
  const int64_t nv = 16, n = 40000, nvox = nv * nv * nv;
  const double L = 16.0;
  cloud c = random_cloud(n, 0.0, L, 91);
  for (int64_t i = 0; i < n; i++) c.x[i] = (float)(7.0 * c.x[i] / L); /* x in [0, 7) */
  const float v0[3] = {3.7f, -1.25f, 0.5f};
  float *vbuf = malloc(3 * n * sizeof(float));
  assert_non_null(vbuf);
  for (int64_t i = 0; i < n; i++)
    for (int a = 0; a < 3; a++) vbuf[3 * i + a] = v0[a]; /* interleaved, stride 3 */
  const float *vel[3] = {vbuf, vbuf + 1, vbuf + 2};
  float *ov[3] = {new_grid(nv), new_grid(nv), new_grid(nv)}, *dens = new_grid(nv);
  for (int pass = 0; pass < 2; pass++) {
    hp_cic_plan *p = make_plan(nv, L, 2);
    hp_cic_particles s = sep_parts(n, c.x, c.y, c.z, pass ? c.w : NULL);
    hp_status st;
    hp_status_clear(&st);
    if (hp_cic_velocity(p, &s, vel, 3, ov, dens, &st)) fail_msg("velocity: %s", st.msg);
    int64_t full = 0, empty = 0;
    for (int64_t v = 0; v < nvox; v++) {
      if (dens[v] > 0.0f) {
        full++;
        for (int a = 0; a < 3; a++)
          if (fabs(ov[a][v] - v0[a]) > 1e-5 * fabs(v0[a]))
            fail_msg("voxel %lld: v%d = %.9g, want %.9g", (long long)v, a, ov[a][v], v0[a]);
      } else {
        empty++;
        for (int a = 0; a < 3; a++) assert_true(ov[a][v] == 0.0f);
      }
    }
    assert_true(full > 0 && empty >= 7 * nv * nv); /* planes 8..14 are empty */
    /* The density is that of hp_cic_density, bit for bit. */
    float *d2 = new_grid(nv);
    assert_int_equal(hp_cic_density(p, &s, d2, &st), 0);
    assert_memory_equal(d2, dens, (size_t)nvox * sizeof(float));
    free(d2);
    hp_cic_plan_destroy(p);
  }
  /* Mass weighting: masses 1 and 3, velocities 1 and 5 at one cell centre: mean 4. */
  {
    hp_cic_plan *p = make_plan(nv, L, 2);
    float x[2] = {2.5f, 2.5f}, m[2] = {1.0f, 3.0f}, vx[2] = {1.0f, 5.0f}, vz[2] = {0, 0};
    const float *vv[3] = {vx, vz, vz};
    hp_cic_particles s = sep_parts(2, x, x, x, m);
    hp_status st;
    hp_status_clear(&st);
    assert_int_equal(hp_cic_velocity(p, &s, vv, 1, ov, dens, &st), 0);
    assert_true(ov[0][vox(nv, 2, 2, 2)] == 4.0f);
    assert_true(fabs(dens[vox(nv, 2, 2, 2)] - (double)nvox) < 1e-3); /* all mass in 1 voxel */
    hp_cic_plan_destroy(p);
  }
  for (int a = 0; a < 3; a++) free(ov[a]);
  free(dens), free(vbuf);
  free_cloud(&c);
}

static void test_window(void **state) {
  (void)state;
  assert_true(hp_cic_window(64, 0, 0, 0) == 1.0);
  assert_true(fabs(hp_cic_window(64, 32, 0, 0) - 0.405284735) < 1e-9);
  assert_true(fabs(hp_cic_window(64, 0, -32, 0) - 0.405284735) < 1e-9);
  assert_true(fabs(hp_cic_window(128, 0, 0, 64) - 0.405284735) < 1e-9);
  assert_true(fabs(hp_cic_window(64, 32, 32, 32) - pow(0.405284735, 3)) < 1e-9);
  const double w = hp_cic_window(37, 3, -5, 7);
  assert_true(fabs(w - hp_cic_window1d(37, 3) * hp_cic_window1d(37, 5) * hp_cic_window1d(37, 7)) <
              1e-15);
  const double pi = 3.14159265358979323846, x = pi * 3 / 37, s = sin(x) / x;
  assert_true(fabs(hp_cic_window1d(37, 3) - s * s) < 1e-15);
  for (int64_t i = 1; i <= 32; i++)
    assert_true(hp_cic_window1d(64, i) < hp_cic_window1d(64, i - 1));
}

static void test_density_uniform_lattice(void **state) {
  (void)state;
  const int64_t nv = 16;
  const double L = 100.0;
  hp_cic_plan *p = make_plan(nv, L, 3);
  for (int64_t np = nv; np <= 2 * nv; np += nv) { /* np = nv: corners; 2 nv: corners + centres */
    const int64_t n = np * np * np;
    float *zero = calloc((size_t)n, sizeof(float));
    hp_cic_particles s = {.n = n, .x = zero, .y = zero, .z = zero, .stride = 1, .lattice_np = np};
    float *g = new_grid(nv);
    hp_status st;
    hp_status_clear(&st);
    assert_int_equal(hp_cic_density(p, &s, g, &st), 0);
    for (int64_t v = 0; v < nv * nv * nv; v++)
      if (fabs(g[v] - 1.0) > 1e-6)
        fail_msg("np = %lld voxel %lld: %.9g", (long long)np, (long long)v, g[v]);
    free(g);
    free(zero);
  }
  /* Random particles (weighted): the mean of rho/rho_mean is 1. */
  cloud c = random_cloud(100000, -L, 2 * L, 101);
  hp_cic_particles s = sep_parts(c.n, c.x, c.y, c.z, c.w);
  float *g = new_grid(nv);
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_cic_density(p, &s, g, &st), 0);
  assert_true(fabs(grid_sum(g, nv) / (double)(nv * nv * nv) - 1.0) < 1e-6);
  free(g);
  free_cloud(&c);
  hp_cic_plan_destroy(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Bad input. */

static void expect_plan_refused(int64_t nv, double box) {
  hp_status st;
  hp_status_clear(&st);
  hp_cic_plan *p = (hp_cic_plan *)&st; /* must be reset to NULL */
  assert_int_equal(hp_cic_plan_create(&p, nv, box, 2, &st), HP_ERR_INPUT);
  assert_null(p);
  assert_true(strlen(st.msg) > 0);
}

/* A lattice cut into slabs of planes, each deposited from the lattice points that reach it
 * (given by lattice id, as an MPI rank holds them), equals the whole lattice's grids bit for
 * bit, with chunks small enough that every slab spans several; the read-out from a slab with
 * one ghost plane each side equals the whole grid's. */
static void test_slab_matches_whole(void **state) {
  (void)state;
  const int64_t np = 20, n = np * np * np, nv = 10, nv2 = nv * nv;
  const double L = 40.0, dq = L / np;
  float *d = malloc(6 * n * sizeof(float));
  int64_t *id = malloc(n * sizeof(int64_t));
  assert_true(d && id);
  rng_seed(7);
  for (int64_t i = 0; i < 6 * n; i++) d[i] = (float)(4.5 * (2.0 * rng_uniform() - 1.0));
  const float *vel[3] = {d + 3 * n, d + 4 * n, d + 5 * n};
  hp_cic_particles all = {
      .n = n, .x = d, .y = d + n, .z = d + 2 * n, .stride = 1, .lattice_np = np};
  hp_cic_plan *p = make_plan(nv, L, 2);
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_cic_plan_set_chunk(p, 997, &st), 0);
  float *g[4], *s[4];
  for (int f = 0; f < 4; f++) g[f] = new_grid(nv), s[f] = new_grid(nv);
  if (hp_cic_velocity(p, &all, vel, 1, g + 1, g[0], &st)) fail_msg("whole: %s", st.msg);
  const int64_t cut[4] = {0, 3, 7, 10}; /* three slabs of 3, 4 and 3 planes */
  for (int r = 0; r < 3; r++) {
    const int64_t x0 = cut[r], nx = cut[r + 1] - cut[r];
    int64_t m = 0; /* the lattice points whose CIC planes i0, i0 + 1 meet [x0, x0 + nx) */
    for (int64_t i = 0; i < n; i++) {
      const double u = (double)(i / (np * np)) * dq / (L / nv) + d[i] * (nv / L) - 0.5;
      const int64_t i0 = (((int64_t)floor(u)) % nv + nv) % nv, i1 = (i0 + 1) % nv;
      if ((i0 - x0 + nv) % nv < nx || (i1 - x0 + nv) % nv < nx) id[m++] = i;
    }
    float *sub = malloc(6 * m * sizeof(float));
    assert_non_null(sub);
    hp_lattice_ids ids = hp_test_lattice_runs(id, m); /* a run between explicit ids */
    for (int64_t j = 0; j < m; j++)
      for (int c = 0; c < 6; c++) sub[c * m + j] = d[c * n + id[j]];
    hp_cic_particles part = {.n = m,
                             .x = sub,
                             .y = sub + m,
                             .z = sub + 2 * m,
                             .stride = 1,
                             .lattice_np = np,
                             .lattice_ids = &ids};
    const float *sv[3] = {sub + 3 * m, sub + 4 * m, sub + 5 * m};
    if (hp_cic_velocity_slab(p, &part, x0, nx, (double)n, sv, 1, s + 1, s[0], &st))
      fail_msg("slab %d: %s", r, st.msg);
    for (int f = 0; f < 4; f++)
      assert_memory_equal(s[f], g[f] + x0 * nv2, (size_t)(nx * nv2) * sizeof(float));
    /* read-out at the particles whose NGP plane is in the slab, from planes x0 - 1 .. x0 + nx */
    const int64_t gx0 = (x0 + nv - 1) % nv, gnx = nx + 2;
    float *win = malloc((size_t)(gnx * nv2) * sizeof(float)), *ra = malloc(n * sizeof(float)),
          *rs = malloc(n * sizeof(float));
    assert_true(win && ra && rs);
    for (int64_t l = 0; l < gnx; l++)
      memcpy(win + l * nv2, g[1] + ((gx0 + l) % nv) * nv2, (size_t)nv2 * sizeof(float));
    int64_t k = 0;
    for (int64_t j = 0; j < m; j++) {
      const double x = (double)(id[j] / (np * np)) * dq + sub[j];
      const int64_t ngp = (((int64_t)floor(x / (L / nv))) % nv + nv) % nv;
      if ((ngp - x0 + nv) % nv < nx)
        id[k] = id[j], sub[k] = sub[j], sub[m + k] = sub[m + j], sub[2 * m + k] = sub[2 * m + j],
        k++;
    }
    part.n = k, part.y = sub + m, part.z = sub + 2 * m;
    ids = (hp_lattice_ids){id, k, 0, 0, NULL}; /* one explicit list */
    if (hp_cic_readout_slab(p, win, gx0, gnx, &part, rs, &st)) fail_msg("readout: %s", st.msg);
    if (hp_cic_readout(p, g[1], &part, ra, &st)) fail_msg("readout: %s", st.msg);
    assert_memory_equal(rs, ra, (size_t)k * sizeof(float));
    /* a window too narrow for the particles is refused, not read out of bounds */
    assert_int_equal(hp_cic_readout_slab(p, win + nv2, x0, nx, &part, rs, &st), HP_ERR_INPUT);
    free(win), free(ra), free(rs), free(sub);
  }
  for (int f = 0; f < 4; f++) free(g[f]), free(s[f]);
  free(d), free(id);
  hp_cic_plan_destroy(p);
}

static void test_bad_input(void **state) {
  (void)state;
  expect_plan_refused(0, 100.0);
  expect_plan_refused(-3, 100.0);
  expect_plan_refused(HP_CIC_NV_MAX + 1, 100.0);
  expect_plan_refused(16, 0.0);
  expect_plan_refused(16, -1.0);
  expect_plan_refused(16, NAN);
  expect_plan_refused(16, INFINITY);
  expect_plan_refused(16, 1e-300); /* nv/L * FLT_MAX overflows a double */

  hp_status st;
  hp_status_clear(&st);
  hp_cic_plan *p = make_plan(8, 8.0, 2);
  float *g = new_grid(8), out[64];
  float buf[4096] = {0};
  hp_cic_particles lat = {.n = 4095, .x = buf, .y = buf, .z = buf, .stride = 1, .lattice_np = 16};
  assert_int_equal(hp_cic_deposit(p, &lat, g, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "lattice"));
  hp_status_clear(&st);
  assert_int_equal(hp_cic_density(p, &lat, g, &st), HP_ERR_INPUT);
  hp_status_clear(&st);
  lat.n = 4096;
  assert_int_equal(hp_cic_deposit(p, &lat, g, &st), 0); /* n = np^3 is accepted */

  /* Non-finite coordinates: refused, naming the first bad particle. */
  float x[64], y[64], z[64];
  for (int i = 0; i < 64; i++) x[i] = y[i] = z[i] = 0.1f * i;
  z[17] = NAN;
  y[40] = INFINITY;
  hp_cic_particles s = sep_parts(64, x, y, z, NULL);
  hp_status_clear(&st);
  assert_int_equal(hp_cic_deposit(p, &s, g, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "particle 17"));
  hp_status_clear(&st);
  assert_int_equal(hp_cic_readout(p, g, &s, out, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "particle 17"));
  z[17] = y[40] = 1.0f;
  for (int c = 0; c < 3; c++) { /* each component is checked, by deposit and by readout */
    float *comp = c == 0 ? x : c == 1 ? y : z, keep = comp[9 + c];
    char want[32];
    snprintf(want, sizeof want, "particle %d ", 9 + c);
    comp[9 + c] = c == 1 ? -INFINITY : NAN;
    hp_status_clear(&st);
    assert_int_equal(hp_cic_deposit(p, &s, g, &st), HP_ERR_INPUT);
    assert_non_null(strstr(st.msg, want));
    hp_status_clear(&st);
    assert_int_equal(hp_cic_readout(p, g, &s, out, &st), HP_ERR_INPUT);
    assert_non_null(strstr(st.msg, want));
    comp[9 + c] = keep;
  }

  /* Other bad arguments. */
  hp_cic_particles ok = sep_parts(3, x, y, x, NULL);
  hp_status_clear(&st);
  assert_int_equal(hp_cic_deposit(p, &ok, NULL, &st), HP_ERR_INPUT);
  ok.stride = 0;
  hp_status_clear(&st);
  assert_int_equal(hp_cic_deposit(p, &ok, g, &st), HP_ERR_INPUT);
  ok.stride = 1;
  ok.n = 0;
  hp_status_clear(&st);
  assert_int_equal(hp_cic_deposit(p, &ok, g, &st), 0); /* nothing to add */
  assert_int_equal(hp_cic_density(p, &ok, g, &st), HP_ERR_INPUT);
  hp_status_clear(&st);
  assert_int_equal(hp_cic_plan_set_chunk(p, 0, &st), HP_ERR_INPUT);
  assert_true(hp_cic_plan_workspace_bytes(p) >= (size_t)HP_CIC_CHUNK_DEFAULT * 8);
  free(g);
  hp_cic_plan_destroy(p);
  hp_cic_plan_destroy(NULL);
}

/* Optional argument: a test-name pattern (cmocka_set_test_filter), e.g. "test_wrap*". */
int main(int argc, char **argv) {
  if (argc > 1) cmocka_set_test_filter(argv[1]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cell_centre),    cmocka_unit_test(test_halfway),
      cmocka_unit_test(test_wrap_edges),     cmocka_unit_test(test_mass_conservation),
      cmocka_unit_test(test_determinism),    cmocka_unit_test(test_against_float64_reference),
      cmocka_unit_test(test_lattice_mode),   cmocka_unit_test(test_interleaved_stride),
      cmocka_unit_test(test_readout_linear), cmocka_unit_test(test_readout_plane_wave),
      cmocka_unit_test(test_adjoint),        cmocka_unit_test(test_velocity),
      cmocka_unit_test(test_window),         cmocka_unit_test(test_density_uniform_lattice),
      cmocka_unit_test(test_bad_input),      cmocka_unit_test(test_slab_matches_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
