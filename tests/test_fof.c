/*
 * Friends-of-friends (nbody/fof.c) against constructed particle sets whose halos are known by
 * hand (a bridge at exactly the linking length and just beyond it, a clump across the periodic
 * corner, a chain at 0.99 b, lattices just below and at b, min_members), against a plain
 * O(n^2) breadth-first FoF in double precision written here (random clustered particles; 2LPT
 * particles on a lattice), and for bit-identical catalogues across thread counts and input
 * permutations. Properties (mass, NumParticles, mean velocity, centre of mass, Lagrangian
 * centre) are checked on a constructed halo that straddles the box edges.
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

#include "nbody/fof.h"
#include "params/params.h"
#include "plugin/pipeline.h"

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                    */

/* A particle set owned by the test: separate x, y, z, velocities and IDs. */
typedef struct pset {
  int64_t n;
  float *x, *y, *z, *vx, *vy, *vz;
  int64_t *id;
} pset;

static pset pset_new(int64_t n) {
  pset s;
  s.n = n;
  s.x = calloc((size_t)n + 1, sizeof(float));
  s.y = calloc((size_t)n + 1, sizeof(float));
  s.z = calloc((size_t)n + 1, sizeof(float));
  s.vx = calloc((size_t)n + 1, sizeof(float));
  s.vy = calloc((size_t)n + 1, sizeof(float));
  s.vz = calloc((size_t)n + 1, sizeof(float));
  s.id = calloc((size_t)n + 1, sizeof(int64_t));
  for (int64_t i = 0; i < n; i++) s.id[i] = i + 1;
  return s;
}

static void pset_free(pset *s) {
  free(s->x), free(s->y), free(s->z), free(s->vx), free(s->vy), free(s->vz), free(s->id);
}

static void pset_put(pset *s, int64_t i, double x, double y, double z) {
  s->x[i] = (float)x, s->y[i] = (float)y, s->z[i] = (float)z;
}

static hp_fof_particles view(const pset *s, int with_ids) {
  hp_fof_particles p;
  memset(&p, 0, sizeof p);
  p.n = s->n;
  p.x = s->x, p.y = s->y, p.z = s->z, p.stride = 1;
  p.vx = s->vx, p.vy = s->vy, p.vz = s->vz, p.vstride = 1;
  p.id = with_ids ? s->id : NULL;
  return p;
}

static hp_fof_desc desc(double box, double b, double mean_sep, int min_members, int threads) {
  hp_fof_desc d;
  memset(&d, 0, sizeof d);
  d.box = box, d.b = b, d.mean_sep = mean_sep, d.min_members = min_members;
  d.nthreads = threads, d.particle_mass = 1e10;
  return d;
}

static void run(const hp_fof_desc *d, const hp_fof_particles *p, hp_catalog *c) {
  hp_status st;
  hp_status_clear(&st);
  int rc = hp_fof_find(d, p, c, &st);
  if (rc) fprintf(stderr, "hp_fof_find: %s\n", st.msg);
  assert_int_equal(rc, 0);
}

/* xorshift64*: deterministic random numbers for the tests. */
static uint64_t rng_state = 88172645463325252ull;
static double urand(void) {
  rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ull) >> 11) * 0x1.0p-53;
}
static double grand(void) {
  double u = urand(), v = urand();
  return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* Every array of two catalogues is identical (bit for bit). */
static void assert_same_catalogue(const hp_catalog *a, const hp_catalog *b) {
  assert_int_equal(a->n, b->n);
  assert_int_equal(a->columns, b->columns);
  assert_true(a->hdr.box == b->hdr.box);
  assert_string_equal(a->hdr.mass_def, b->hdr.mass_def);
  if (a->n == 0) return;
  const size_t n = (size_t)a->n;
  assert_memory_equal(a->pos, b->pos, 3 * n * sizeof(float));
  assert_memory_equal(a->vel, b->vel, 3 * n * sizeof(float));
  assert_memory_equal(a->mass, b->mass, n * sizeof(double));
  assert_memory_equal(a->id, b->id, n * sizeof(int64_t));
  assert_memory_equal(a->npart, b->npart, n * sizeof(int32_t));
  if (a->columns & HP_CAT_LAGRANGE)
    assert_memory_equal(a->lagr_pos, b->lagr_pos, 3 * n * sizeof(float));
}

/* Periodic distance between two coordinates (for checking positions). */
static double pdiff(double a, double b, double box) {
  double d = fabs(a - b);
  return d > box / 2 ? box - d : d;
}

/* ---------------------------------------------------------------------------------------- */
/* Independent reference: breadth-first search over all pairs, double precision.            */

typedef struct ref_halo {
  int64_t npart, minid;
  double pos[3];
} ref_halo;

static int ref_cmp(const void *pa, const void *pb) {
  const ref_halo *a = pa, *b = pb;
  if (a->npart != b->npart) return a->npart > b->npart ? -1 : 1;
  return (a->minid > b->minid) - (a->minid < b->minid);
}

/* Groups of >= min_members among n wrapped positions pos[3n]; returns the count, fills out. */
static int64_t ref_fof(int64_t n, const double *pos, const int64_t *id, double box, double ll,
                       int min_members, ref_halo *out) {
  char *seen = calloc((size_t)n, 1);
  int64_t *queue = malloc((size_t)n * sizeof *queue), nh = 0;
  for (int64_t s = 0; s < n; s++) {
    if (seen[s]) continue;
    int64_t head = 0, tail = 0;
    queue[tail++] = s;
    seen[s] = 1;
    while (head < tail) {
      const int64_t k = queue[head++];
      for (int64_t j = 0; j < n; j++) {
        if (seen[j]) continue;
        double d2 = 0;
        for (int a = 0; a < 3; a++) {
          double d = pdiff(pos[3 * k + a], pos[3 * j + a], box);
          d2 += d * d;
        }
        if (d2 <= ll * ll) seen[j] = 1, queue[tail++] = j;
      }
    }
    if (tail < min_members) continue;
    ref_halo *h = &out[nh++];
    int64_t ref = queue[0];
    for (int64_t t = 1; t < tail; t++)
      if (id[queue[t]] < id[ref]) ref = queue[t];
    h->npart = tail;
    h->minid = id[ref];
    for (int a = 0; a < 3; a++) {
      double sum = 0;
      for (int64_t t = 0; t < tail; t++) {
        double d = pos[3 * queue[t] + a] - pos[3 * ref + a];
        if (d > box / 2) d -= box;
        if (d < -box / 2) d += box;
        sum += d;
      }
      double c = fmod(pos[3 * ref + a] + sum / tail, box);
      h->pos[a] = c < 0 ? c + box : c;
    }
  }
  free(seen);
  free(queue);
  qsort(out, (size_t)nh, sizeof *out, ref_cmp);
  return nh;
}

static double wrapd(double v, double box) {
  v = fmod(v, box);
  return v < 0 ? v + box : v;
}

/* Compare a catalogue with the reference halos: same halos (npart, ID) in the same order. */
static void assert_matches_ref(const hp_catalog *c, const ref_halo *r, int64_t nr, double box) {
  assert_int_equal(c->n, nr);
  for (int64_t k = 0; k < nr; k++) {
    assert_int_equal(c->npart[k], r[k].npart);
    assert_int_equal(c->id[k], r[k].minid);
    assert_true(c->mass[k] == 1e10 * (double)r[k].npart);
    for (int a = 0; a < 3; a++) assert_true(pdiff(c->pos[3 * k + a], r[k].pos[a], box) < 1e-4);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Constructed cases                                                                          */

/* Clump A ends at P, clump B starts at R; the bridge sits at P + s*v, |v| = ll. */
static void bridge_case(double scale, int64_t expect_n, int expect_big) {
  const double ll = 0.3125; /* b = 0.3125, mean_sep = 1: exactly representable */
  const double P[3] = {20, 20, 20}, v[3] = {0.1875, 0.25, 0}; /* |v| = 0.3125 exactly */
  pset s = pset_new(11);
  for (int k = 0; k < 5; k++) pset_put(&s, k, P[0] - 0.125 * k, P[1], P[2]);
  pset_put(&s, 5, P[0] + scale * v[0], P[1] + scale * v[1], P[2]);
  const double R[3] = {P[0] + 2 * v[0], P[1] + 2 * v[1], P[2]};
  for (int k = 0; k < 5; k++) pset_put(&s, 6 + k, R[0] + 0.125 * k, R[1], R[2]);
  /* the construction itself: bridge to P at (1+1e-5) ll or exactly ll; to R below ll */
  const double dp = hypot(s.x[5] - (double)s.x[0], s.y[5] - (double)s.y[0]);
  const double dr = hypot(s.x[6] - (double)s.x[5], s.y[6] - (double)s.y[5]);
  if (scale == 1) assert_true(dp == ll);
  if (scale > 1) assert_true(dp > ll * (1 + 5e-6));
  assert_true(dr <= ll);
  hp_fof_desc d = desc(100, 0.3125, 1.0, 2, 2);
  hp_fof_particles p = view(&s, 0);
  assert_true(hp_fof_linking_length(&d, &p) == ll);
  hp_catalog c;
  run(&d, &p, &c);
  assert_int_equal(c.n, expect_n);
  assert_int_equal(c.npart[0], expect_big);
  if (expect_n == 1) {
    assert_int_equal(c.id[0], 1);
  } else {
    assert_int_equal(c.id[0], 6); /* bridge (ID 6) + clump B */
    assert_int_equal(c.npart[1], 5);
    assert_int_equal(c.id[1], 1);
  }
  hp_catalog_free(&c);
  pset_free(&s);
}

static void test_bridge_at_exactly_b_links(void **state) {
  (void)state;
  bridge_case(1.0, 1, 11);
}

static void test_bridge_beyond_b_does_not_link(void **state) {
  (void)state;
  bridge_case(1 + 1e-5, 2, 6);
}

/* The same at an oblique angle in 3-D, across rows and columns of the grid. */
static void test_bridge_3d_exact(void **state) {
  (void)state;
  const double v[3] = {0.1875, 0.25, 0.75}; /* |v| = 0.8125 exactly (3-4-12-13 scaled) */
  pset s = pset_new(3);
  pset_put(&s, 0, 10, 10, 10);
  pset_put(&s, 1, 10 + v[0], 10 + v[1], 10 + v[2]);
  pset_put(&s, 2, 10 + 2 * v[0], 10 + 2 * v[1], 10 + 2 * v[2] + 1e-3);
  hp_fof_desc d = desc(30, 0.8125, 1.0, 2, 2);
  hp_fof_particles p = view(&s, 0);
  hp_catalog c;
  run(&d, &p, &c);
  assert_int_equal(c.n, 1);
  assert_int_equal(c.npart[0], 2); /* 0-1 at exactly ll; 1-2 just beyond */
  assert_int_equal(c.id[0], 1);
  hp_catalog_free(&c);
  pset_free(&s);
}

static void test_clump_across_periodic_corner(void **state) {
  (void)state;
  const double box = 50;
  pset s = pset_new(8);
  /* unwrapped offsets around the corner (0, 0, 25); positions given in several forms */
  const double off[8][3] = {{-0.05, -0.04, 0},   {-0.02, 0.01, 0.01}, {0.01, -0.02, -0.01},
                            {0.04, 0.03, 0.02},  {0.07, -0.01, 0},    {-0.08, 0.05, 0.03},
                            {0.02, -0.06, 0.01}, {0.03, 0.02, -0.02}};
  double mean[3] = {0, 0, 0};
  for (int k = 0; k < 8; k++) {
    /* even k: wrapped into the box; odd k: as given (negative or >= box allowed) */
    double x = off[k][0], y = off[k][1];
    if (k % 2 == 0) x = wrapd(x, box), y = wrapd(y, box);
    if (k == 3) x += box, y += 2 * box;
    pset_put(&s, k, x, y, 25 + off[k][2]);
    for (int a = 0; a < 3; a++) mean[a] += off[k][a] / 8;
  }
  hp_fof_desc d = desc(box, 0.2, 1.0, 2, 3);
  hp_fof_particles p = view(&s, 0);
  hp_catalog c;
  run(&d, &p, &c);
  assert_int_equal(c.n, 1);
  assert_int_equal(c.npart[0], 8);
  const double expect[3] = {wrapd(mean[0], box), wrapd(mean[1], box), 25 + mean[2]};
  for (int a = 0; a < 3; a++) {
    assert_true(c.pos[a] >= 0 && c.pos[a] < box);
    assert_true(pdiff(c.pos[a], expect[a], box) < 2e-5);
  }
  assert_true(c.pos[0] < 1); /* mean x = -0.0125+... wraps to just below 50 or above 0 */
  hp_catalog_free(&c);
  pset_free(&s);
}

static void test_chain_at_099b_is_one_halo(void **state) {
  (void)state;
  const double box = 40, ll = 0.2, step = 0.99 * ll / sqrt(3.0);
  const int64_t n = 400; /* 79 Mpc/h of chain: wraps twice around the box on the diagonal */
  pset s = pset_new(n);
  for (int64_t k = 0; k < n; k++) pset_put(&s, k, 3 + k * step, 7 + k * step, 11 + k * step);
  hp_fof_desc d = desc(box, 0.2, 1.0, 2, 2);
  hp_fof_particles p = view(&s, 0);
  hp_catalog c;
  run(&d, &p, &c);
  assert_int_equal(c.n, 1);
  assert_int_equal(c.npart[0], n);
  hp_catalog_free(&c);
  pset_free(&s);
  /* every other link stretched to 1.0303 * 0.99 b = 1.02 b: 150 pairs (span 35 < box) */
  pset s2 = pset_new(300);
  for (int64_t k = 0; k < s2.n; k++) {
    const double t = (double)(k / 2) * 2.01 * step / 0.99 + (double)(k % 2) * step;
    pset_put(&s2, k, 3 + t, 7 + t, 11 + t);
  }
  p = view(&s2, 0);
  run(&d, &p, &c);
  assert_int_equal(c.n, 150);
  for (int64_t k = 0; k < c.n; k++) assert_int_equal(c.npart[k], 2);
  for (int64_t k = 0; k < c.n; k++) assert_int_equal(c.id[k], 2 * k + 1); /* tie: by ID */
  hp_catalog_free(&c);
  pset_free(&s2);
}

static void test_lattice_below_and_at_b(void **state) {
  (void)state;
  const int64_t np = 16, n = np * np * np;
  float *zero = calloc((size_t)n, sizeof(float));
  hp_fof_particles p;
  memset(&p, 0, sizeof p);
  p.n = n, p.x = p.y = p.z = zero, p.stride = 1, p.lattice_np = np;
  hp_catalog c;
  hp_fof_desc d = desc(16, 0.999, 0, 2, 2); /* spacing 1 > ll = 0.999 */
  run(&d, &p, &c);
  assert_int_equal(c.n, 0);
  assert_true(c.columns & HP_CAT_LAGRANGE);
  hp_catalog_free(&c);
  d.b = 1.0; /* ll = spacing exactly: every neighbour is a friend */
  run(&d, &p, &c);
  assert_int_equal(c.n, 1);
  assert_int_equal(c.npart[0], n);
  assert_int_equal(c.id[0], 1);
  hp_catalog_free(&c);
  free(zero);
}

static void test_min_members(void **state) {
  (void)state;
  /* isolated groups of 1..10 particles, 3 Mpc/h apart, members 0.1 apart */
  pset s = pset_new(55);
  int64_t i = 0;
  for (int g = 1; g <= 10; g++)
    for (int k = 0; k < g; k++) pset_put(&s, i++, 3.0 * g, 5 + 0.1 * k, 5);
  hp_fof_particles p = view(&s, 0);
  for (int m = 1; m <= 11; m++) {
    hp_fof_desc d = desc(40, 0.15, 1.0, m, 2);
    hp_catalog c;
    run(&d, &p, &c);
    assert_int_equal(c.n, 11 - m);
    for (int64_t k = 0; k < c.n; k++) assert_int_equal(c.npart[k], 10 - k);
    hp_catalog_free(&c);
  }
  pset_free(&s);
}

static void test_properties(void **state) {
  (void)state;
  /* 4^3 lattice IDs, box 40 (spacing 10), b = 0.2 -> ll = 2. One halo of four members with
   * lattice points (0,0,0), (3,0,0), (0,3,0), (0,0,1): Lagrangian offsets around ID 1 are
   * (0,0,0), (-10,0,0), (0,-10,0), (0,0,10) -> centre (-2.5, -2.5, 2.5) = (37.5, 37.5, 2.5). */
  const int64_t np = 4, n = 64;
  const double box = 40;
  const int64_t mem[4] = {0, 3 * 16, 3 * 4, 1}; /* lattice indices */
  const double xe[4][3] = {{39.9, 0.05, 5}, {0.1, 39.95, 5.2}, {0.0, 0.0, 4.9}, {39.8, 0.1, 5.1}};
  const float vel[4][3] = {{1, 2, 3}, {5, 6, 7}, {9, 10, 11}, {13, 14, 15}};
  pset s = pset_new(n);
  float *dx = calloc(3 * (size_t)n, sizeof(float));
  for (int64_t l = 0; l < n; l++) {
    const double q[3] = {(double)(l / 16) * 10, (double)(l / 4 % 4) * 10, (double)(l % 4) * 10};
    double x[3] = {q[0] + 5, q[1] + 5, q[2] + 5};
    for (int k = 0; k < 4; k++)
      if (mem[k] == l) {
        x[0] = xe[k][0], x[1] = xe[k][1], x[2] = xe[k][2];
        s.vx[l] = vel[k][0], s.vy[l] = vel[k][1], s.vz[l] = vel[k][2];
      }
    pset_put(&s, l, x[0], x[1], x[2]);
    for (int a = 0; a < 3; a++) dx[3 * l + a] = (float)(x[a] - q[a]);
  }
  const double cm[3] = {(-0.1 + 0.1 + 0.0 - 0.2) / 4, (0.05 - 0.05 + 0.0 + 0.1) / 4,
                        (5 + 5.2 + 4.9 + 5.1) / 4};
  for (int mode = 0; mode < 2; mode++) {
    hp_fof_particles p = view(&s, 1);
    if (mode == 0) {
      p.id_lattice_np = np; /* explicit positions, Lagrangian IDs */
    } else {
      p.x = dx, p.y = dx + 1, p.z = dx + 2, p.stride = 3; /* lattice + displacements */
      p.lattice_np = np, p.id = NULL;
    }
    hp_fof_desc d = desc(box, 0.2, 0, 2, 2);
    d.particle_mass = 2.5e11;
    hp_catalog c;
    run(&d, &p, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.npart[0], 4);
    assert_int_equal(c.id[0], 1);
    assert_true(c.mass[0] == 1e12);
    assert_true(c.hdr.particle_mass == 2.5e11);
    assert_string_equal(c.hdr.mass_def, "FoF b=0.2");
    assert_true(c.hdr.box == box);
    assert_true(c.columns == (HP_CAT_NPART | HP_CAT_LAGRANGE));
    const double lag[3] = {37.5, 37.5, 2.5}, v[3] = {7, 8, 9};
    for (int a = 0; a < 3; a++) {
      assert_true(fabs(c.vel[a] - v[a]) < 1e-6);
      assert_true(fabs(c.lagr_pos[a] - lag[a]) < 1e-5);
      assert_true(pdiff(c.pos[a], wrapd(cm[a], box), box) < 1e-5);
      assert_true(c.pos[a] >= 0 && c.pos[a] < box);
    }
    hp_catalog_free(&c);
  }
  free(dx);
  pset_free(&s);
}

/* ---------------------------------------------------------------------------------------- */
/* Against the brute-force reference; determinism                                              */

/* 3375 = 15^3 clustered particles in a 50 Mpc/h box: 40 clumps (some across the edges) and a
 * uniform background; returned with velocities. */
static pset clustered_set(void) {
  const int64_t n = 3375;
  const double box = 50;
  pset s = pset_new(n);
  rng_state = 88172645463325252ull;
  int64_t i = 0;
  for (int c = 0; c < 40; c++) {
    double ctr[3] = {urand() * box, urand() * box, urand() * box};
    if (c < 6) ctr[c % 3] = (c % 2) ? 0.2 : box - 0.2; /* clumps across the faces */
    const double r = 0.2 + 0.8 * urand();
    const int m = 20 + (int)(urand() * 50);
    for (int k = 0; k < m && i < n; k++, i++) {
      pset_put(&s, i, ctr[0] + r * grand(), ctr[1] + r * grand(), ctr[2] + r * grand());
      s.vx[i] = (float)(300 * grand()), s.vy[i] = (float)(300 * grand());
      s.vz[i] = (float)(300 * grand());
    }
  }
  for (; i < n; i++) {
    pset_put(&s, i, urand() * box, urand() * box, urand() * box);
    s.vx[i] = (float)(100 * grand());
  }
  return s;
}

static void test_against_brute_force(void **state) {
  (void)state;
  pset s = clustered_set();
  const double box = 50, ll = 0.2 * (box / 15.0); /* b times the mean separation 50/15 */
  double *pos = malloc(3 * (size_t)s.n * sizeof(double));
  for (int64_t i = 0; i < s.n; i++) {
    pos[3 * i] = wrapd(s.x[i], box), pos[3 * i + 1] = wrapd(s.y[i], box);
    pos[3 * i + 2] = wrapd(s.z[i], box);
  }
  ref_halo *ref = malloc((size_t)s.n * sizeof *ref);
  for (int mm = 1; mm <= 20; mm += 19) {
    const int64_t nr = ref_fof(s.n, pos, s.id, box, ll, mm, ref);
    hp_fof_desc d = desc(box, 0.2, 0, mm, 2);
    hp_fof_particles p = view(&s, 0);
    assert_true(hp_fof_linking_length(&d, &p) == ll);
    hp_catalog c;
    run(&d, &p, &c);
    if (mm == 20) assert_true(nr >= 25); /* the set has real halos */
    assert_matches_ref(&c, ref, nr, box);
    hp_catalog_free(&c);
  }
  free(ref);
  free(pos);
  pset_free(&s);
}

static void test_threads_and_permutation(void **state) {
  (void)state;
  pset s = clustered_set();
  hp_catalog c1, c;
  hp_fof_desc d = desc(50, 0.2, 0, 5, 1);
  hp_fof_particles p = view(&s, 0);
  run(&d, &p, &c1);
  assert_true(c1.n > 20);
  for (int t = 2; t <= 3; t++) {
    d.nthreads = t;
    run(&d, &p, &c);
    assert_same_catalogue(&c1, &c);
    hp_catalog_free(&c);
  }
  /* shuffled input, carrying its IDs */
  pset u = pset_new(s.n);
  int64_t *perm = malloc((size_t)s.n * sizeof *perm);
  for (int64_t i = 0; i < s.n; i++) perm[i] = i;
  for (int64_t i = s.n - 1; i > 0; i--) {
    int64_t j = (int64_t)(urand() * (double)(i + 1)), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  for (int64_t k = 0; k < s.n; k++) {
    const int64_t i = perm[k];
    u.x[k] = s.x[i], u.y[k] = s.y[i], u.z[k] = s.z[i];
    u.vx[k] = s.vx[i], u.vy[k] = s.vy[i], u.vz[k] = s.vz[i];
    u.id[k] = i + 1;
  }
  hp_fof_particles pu = view(&u, 1);
  for (int t = 1; t <= 3; t++) {
    d.nthreads = t;
    run(&d, &pu, &c);
    assert_same_catalogue(&c1, &c);
    hp_catalog_free(&c);
  }
  /* interleaved xyz (stride 3) gives the same too */
  float *xyz = malloc(3 * (size_t)s.n * sizeof(float));
  for (int64_t i = 0; i < s.n; i++)
    xyz[3 * i] = s.x[i], xyz[3 * i + 1] = s.y[i], xyz[3 * i + 2] = s.z[i];
  p.x = xyz, p.y = xyz + 1, p.z = xyz + 2, p.stride = 3, d.nthreads = 2;
  run(&d, &p, &c);
  assert_same_catalogue(&c1, &c);
  hp_catalog_free(&c);
  free(xyz);
  free(perm);
  pset_free(&u);
  hp_catalog_free(&c1);
  pset_free(&s);
}

/* 2LPT particles (lattice mode) against the reference, and across thread counts. */
static void test_lpt_lattice(void **state) {
  (void)state;
  static const char *PARAMS =
      "Omega0 0.315\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.97\n"
      "BoxSize 24\nNParticles 16\nSeed 11\n";
  hp_params *par = NULL;
  hp_cosmology *cosmo = NULL;
  hp_lpt *lpt = NULL;
  hp_status st;
  int rc = hp_params_parse_string(&par, "test.param", PARAMS, NULL, 0, HP_NEED_ALL, &st);
  if (!rc) rc = hp_pipeline_particles(par, 0.0, &cosmo, &lpt, NULL, &st);
  if (rc) fprintf(stderr, "%s\n", st.msg);
  assert_int_equal(rc, 0);
  const int64_t np = 16, n = np * np * np;
  const double box = 24, cell = box / np;
  hp_fof_particles p;
  memset(&p, 0, sizeof p);
  p.n = n, p.stride = 1, p.vstride = 1, p.lattice_np = np;
  p.x = hp_lpt_displacement(lpt, 0), p.y = hp_lpt_displacement(lpt, 1);
  p.z = hp_lpt_displacement(lpt, 2);
  p.vx = hp_lpt_velocity(lpt, 0), p.vy = hp_lpt_velocity(lpt, 1), p.vz = hp_lpt_velocity(lpt, 2);
  double *pos = malloc(3 * (size_t)n * sizeof(double));
  int64_t *id = malloc((size_t)n * sizeof *id);
  for (int64_t i = 0; i < n; i++) {
    const int64_t q[3] = {i / (np * np), i / np % np, i % np};
    const float *dd[3] = {p.x, p.y, p.z};
    for (int a = 0; a < 3; a++) pos[3 * i + a] = wrapd((double)q[a] * cell + dd[a][i], box);
    id[i] = i + 1;
  }
  ref_halo *ref = malloc((size_t)n * sizeof *ref);
  const double b = 0.25;
  const int64_t nr = ref_fof(n, pos, id, box, b * cell, 3, ref);
  assert_true(nr >= 10);
  hp_catalog c, c1;
  hp_fof_desc d = desc(box, b, 0, 3, 1);
  run(&d, &p, &c1);
  assert_matches_ref(&c1, ref, nr, box);
  d.nthreads = 3;
  run(&d, &p, &c);
  assert_same_catalogue(&c1, &c);
  hp_catalog_free(&c);
  hp_catalog_free(&c1);
  free(ref);
  free(id);
  free(pos);
  hp_lpt_destroy(lpt);
  hp_cosmology_free(cosmo);
  hp_params_free(par);
}

/* ---------------------------------------------------------------------------------------- */
/* Refusals and the empty set                                                                 */

static void test_errors_and_empty(void **state) {
  (void)state;
  pset s = pset_new(10);
  for (int k = 0; k < 10; k++) pset_put(&s, k, k, k, k);
  hp_fof_particles p = view(&s, 0);
  hp_fof_desc d = desc(20, 0.2, 1.0, 2, 2);
  hp_catalog c;
  hp_status st;
  s.y[7] = NAN;
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "particle 7"));
  assert_non_null(strstr(st.msg, "not finite"));
  assert_int_equal(c.n, 0);
  s.y[7] = 7;
  s.vz[3] = INFINITY;
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "particle 3: velocity"));
  s.vz[3] = 0;
  p.id = s.id, p.id_lattice_np = 2; /* IDs 9 and 10 are off a 2^3 lattice */
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "particle 8: ID 9"));
  p.id = NULL, p.id_lattice_np = 0;
  p.lattice_np = 3; /* 10 != 27 */
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "n = np^3"));
  p.lattice_np = 0;
  d.b = 0;
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  assert_true(isnan(hp_fof_linking_length(&d, &p)));
  d.b = 0.2, d.min_members = 0;
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  d.min_members = 2, d.box = -1;
  assert_int_equal(hp_fof_find(&d, &p, &c, &st), HP_ERR_INPUT);
  d.box = 20;
  /* an empty set is an empty catalogue, not an error */
  p.n = 0;
  run(&d, &p, &c);
  assert_int_equal(c.n, 0);
  assert_true(c.hdr.box == 20);
  hp_catalog_free(&c);
  pset_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bridge_at_exactly_b_links),
      cmocka_unit_test(test_bridge_beyond_b_does_not_link),
      cmocka_unit_test(test_bridge_3d_exact),
      cmocka_unit_test(test_clump_across_periodic_corner),
      cmocka_unit_test(test_chain_at_099b_is_one_halo),
      cmocka_unit_test(test_lattice_below_and_at_b),
      cmocka_unit_test(test_min_members),
      cmocka_unit_test(test_properties),
      cmocka_unit_test(test_against_brute_force),
      cmocka_unit_test(test_threads_and_permutation),
      cmocka_unit_test(test_lpt_lattice),
      cmocka_unit_test(test_errors_and_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
