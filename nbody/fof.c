/*
 * Friends-of-friends halo finder (Davis, Efstathiou, Frenk & White 1985, ApJ 292, 371): the
 * connected components of the graph "separation <= b times the mean inter-particle
 * separation" on a periodic box, and their centre of mass, mean velocity, mass and Lagrangian
 * centre. Search grid of rows (y) and columns (z) of side >= ll with particles sorted by x
 * inside each column; union-find over the row-sorted order with the smaller root always on
 * top; threads on strips of rows; groups bucketed in place; exact fixed-point sums, so the
 * catalogue is bit-identical for any thread count and input order. The header nbody/fof.h
 * states the rules, the memory and the cost; docs/catalog.md describes the method.
 */
#include "nbody/fof.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Grid cells are at least ll * (1 + FOF_CELL_MARGIN) wide (rounding of the cell index). */
#define FOF_CELL_MARGIN 1e-6
/** The x-window is ll * (1 + FOF_WIN_MARGIN): fl(dx^2) <= fl(ll^2) allows dx a few ulps > ll. */
#define FOF_WIN_MARGIN 1e-12
/** Columns up to this size are sorted by insertion. */
#define FOF_SMALL_SORT 24
/** Largest accepted |velocity| (km/s): keeps the fixed-point velocity sums exact. */
#define FOF_VMAX 1e10
/** Largest lattice side: np^3 fits in an int64. */
#define FOF_NP_MAX ((int64_t)2097151)

/** One gathered particle: wrapped position (Mpc/h, double) and its place in the row order. */
typedef struct fof_pt {
  double x, y, z;
  int64_t s; /* position in the row-sorted order (the union-find index) */
} fof_pt;

/** Everything the loops need: geometry, particles and the Lagrangian lattice. */
typedef struct fof_geom {
  const hp_fof_particles *p;
  double box, half;  /* L and L/2 (Mpc/h) */
  double ll2, win;   /* linking length squared; x-window half-width (Mpc/h) */
  int64_t n, nc;     /* particles; rows (= columns) per side */
  double cinv;       /* nc / L */
  int64_t np, np2;   /* position lattice side and side^2 (0: explicit positions) */
  double lcell;      /* L / np */
  int64_t lnp, lnp2; /* Lagrangian lattice side (np or id_lattice_np; 0: none) */
  double lqcell;     /* L / lnp */
  int64_t nstrip;    /* strips of rows handled by one thread each */
} fof_geom;

/** A 128-bit signed accumulator (hi * 2^64 + lo): exact sums of int64 values in any order. */
typedef struct acc128 {
  uint64_t lo;
  int64_t hi;
} acc128;

static inline void acc_add(acc128 *a, int64_t v) {
  const uint64_t lo = a->lo + (uint64_t)v;
  a->hi += (v < 0 ? -1 : 0) + (lo < a->lo ? 1 : 0);
  a->lo = lo;
}

/* The value as a double: hi' * 2^64 + s with lo read as a signed s, so that small sums (of
 * either sign, hi' = 0) convert with a single rounding. */
static inline double acc_value(const acc128 *a) {
  const int neg = a->lo > (uint64_t)INT64_MAX;
  const int64_t s = neg ? -(int64_t)(~a->lo) - 1 : (int64_t)a->lo;
  return ldexp((double)(a->hi + neg), 64) + (double)s;
}

/** Per-halo record while the catalogue is built. */
typedef struct fof_halo {
  int64_t npart; /* members */
  int64_t minid; /* smallest member ID (the halo ID) */
  int64_t ref;   /* input index of that member */
  double pos[3]; /* centre of mass, Mpc/h, in [0, L) */
  double vel[3]; /* mean velocity, km/s */
  double lag[3]; /* Lagrangian centre, Mpc/h, in [0, L) */
} fof_halo;

/* ---------------------------------------------------------------------------------------- */
/* Particles                                                                                  */

/* Wrap a finite v into [0, box); -0 becomes +0. */
static inline double wrap(double v, double box) {
  if (!(v >= 0.0 && v < box)) {
    v = fmod(v, box); /* exact, in (-box, box) */
    if (v < 0.0) v += box;
    if (v >= box) v -= box; /* v + box rounded up to box: the point is 0 */
  }
  return v + 0.0;
}

/* Lattice coordinates (a, b, c) of lattice index l on a side-np lattice. */
static inline void lattice_abc(int64_t l, int64_t np, int64_t np2, int64_t abc[3]) {
  abc[0] = l / np2;
  l -= abc[0] * np2;
  abc[1] = l / np;
  abc[2] = l - abc[1] * np;
}

/* Wrapped double position of particle i; 1 if it is not finite. */
static inline int particle_pos(const fof_geom *g, int64_t i, double out[3]) {
  const hp_fof_particles *p = g->p;
  const ptrdiff_t s = p->stride;
  double v[3] = {p->x[i * s], p->y[i * s], p->z[i * s]};
  if (g->np > 0) {
    int64_t abc[3];
    lattice_abc(i, g->np, g->np2, abc);
    for (int a = 0; a < 3; a++) v[a] += (double)abc[a] * g->lcell;
  }
  if (!(isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]))) return 1;
  for (int a = 0; a < 3; a++) out[a] = wrap(v[a], g->box);
  return 0;
}

static inline int64_t particle_id(const hp_fof_particles *p, int64_t i) {
  return p->id != NULL ? p->id[i] : i + 1;
}

/* Row or column of a wrapped coordinate. */
static inline int64_t cell_of(const fof_geom *g, double v) {
  const int64_t c = (int64_t)(v * g->cinv);
  return c < g->nc ? c : g->nc - 1;
}

/* 1 if particle i is refused (then msg, when not NULL, says why); its row in *row otherwise. */
static int particle_problem(const fof_geom *g, int64_t i, int64_t *row, char *msg, size_t size) {
  const hp_fof_particles *p = g->p;
  double v[3];
  if (particle_pos(g, i, v)) {
    const ptrdiff_t s = p->stride;
    if (msg != NULL)
      snprintf(msg, size, "particle %lld: %s (%g, %g, %g) is not finite", (long long)i,
               g->np > 0 ? "displacement" : "position", p->x[i * s], p->y[i * s], p->z[i * s]);
    return 1;
  }
  if (p->vx != NULL) {
    const ptrdiff_t s = p->vstride;
    const float w[3] = {p->vx[i * s], p->vy[i * s], p->vz[i * s]};
    for (int a = 0; a < 3; a++)
      if (!(fabs(w[a]) <= FOF_VMAX)) {
        if (msg != NULL)
          snprintf(msg, size,
                   "particle %lld: velocity (%g, %g, %g) km/s is not finite or beyond %g",
                   (long long)i, w[0], w[1], w[2], FOF_VMAX);
        return 1;
      }
  }
  if (g->lnp > 0 && g->np == 0) {
    const int64_t id = particle_id(p, i);
    if (id < 1 || id > g->lnp * g->lnp2) {
      if (msg != NULL)
        snprintf(msg, size, "particle %lld: ID %lld is not in [1, id_lattice_np^3 = %lld]",
                 (long long)i, (long long)id, (long long)(g->lnp * g->lnp2));
      return 1;
    }
  }
  *row = cell_of(g, v[1]);
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Union-find: parent[x] <= x always, so every root is the smallest index of its set.        */

static inline int64_t find_root(int64_t *parent, int64_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]]; /* path halving */
    i = parent[i];
  }
  return i;
}

/* Link j into the set whose root is *ri (kept a root: the smaller root wins). */
static inline void link_to(int64_t *parent, int64_t *ri, int64_t j) {
  const int64_t rj = find_root(parent, j);
  if (rj == *ri) return;
  if (rj < *ri) {
    parent[*ri] = rj;
    *ri = rj;
  } else {
    parent[rj] = *ri;
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Rows: gather, split into columns, sort by x                                               */

static inline int pt_less(const fof_pt *a, const fof_pt *b) {
  return a->x < b->x || (a->x == b->x && a->s < b->s);
}

/* Sort pt[0..n) by (x, index); tmp holds n elements. */
static void sort_pts(fof_pt *pt, fof_pt *tmp, int64_t n) {
  if (n <= FOF_SMALL_SORT) {
    for (int64_t k = 1; k < n; k++) {
      fof_pt v = pt[k];
      int64_t j = k;
      while (j > 0 && pt_less(&v, &pt[j - 1])) {
        pt[j] = pt[j - 1];
        j--;
      }
      pt[j] = v;
    }
    return;
  }
  const int64_t m = n / 2;
  sort_pts(pt, tmp, m);
  sort_pts(pt + m, tmp, n - m);
  int64_t a = 0, b = m, k = 0;
  while (a < m && b < n) tmp[k++] = pt_less(&pt[b], &pt[a]) ? pt[b++] : pt[a++];
  while (a < m) tmp[k++] = pt[a++];
  while (b < n) tmp[k++] = pt[b++];
  memcpy(pt, tmp, (size_t)n * sizeof *pt);
}

/** Thread workspace: two gathered rows, a scratch row and column tables. */
typedef struct fof_work {
  fof_pt *a, *b, *tmp; /* rows (cap particles each) */
  int64_t *csa, *csb;  /* column starts of rows a and b (nc + 1) */
  int64_t *cnt;        /* column counts (nc) */
  int64_t npairs;      /* distances computed */
} fof_work;

/* Gather row y into pt with column starts cs (columns in z, sorted by x inside). */
static void gather_row(const fof_geom *g, const int64_t *row_start, const int64_t *order, int64_t y,
                       fof_pt *pt, int64_t *cs, fof_work *w) {
  const int64_t lo = row_start[y], m = row_start[y + 1] - lo, nc = g->nc;
  int64_t *cnt = w->cnt;
  fof_pt *tmp = w->tmp;
  memset(cnt, 0, (size_t)nc * sizeof *cnt);
  for (int64_t k = 0; k < m; k++) {
    const int64_t i = order[lo + k];
    double v[3];
    (void)particle_pos(g, i, v); /* checked finite before */
    tmp[k].x = v[0], tmp[k].y = v[1], tmp[k].z = v[2], tmp[k].s = lo + k;
    cnt[cell_of(g, v[2])]++;
  }
  cs[0] = 0;
  for (int64_t c = 0; c < nc; c++) {
    cs[c + 1] = cs[c] + cnt[c];
    cnt[c] = cs[c];
  }
  for (int64_t k = 0; k < m; k++) pt[cnt[cell_of(g, tmp[k].z)]++] = tmp[k];
  for (int64_t c = 0; c < nc; c++) sort_pts(pt + cs[c], tmp, cs[c + 1] - cs[c]);
}

/* ---------------------------------------------------------------------------------------- */
/* Pairs                                                                                      */

static inline double dist2(const fof_pt *a, const fof_pt *b, double box, double half) {
  double dx = fabs(a->x - b->x), dy = fabs(a->y - b->y), dz = fabs(a->z - b->z);
  if (dx > half) dx = box - dx;
  if (dy > half) dy = box - dy;
  if (dz > half) dz = box - dz;
  return dx * dx + dy * dy + dz * dz;
}

/* First k in [k0, k1) with pt[k].x >= x (k1 if none). */
static inline int64_t lower_x(const fof_pt *pt, int64_t k0, int64_t k1, double x) {
  while (k0 < k1) {
    const int64_t mid = k0 + (k1 - k0) / 2;
    if (pt[mid].x < x)
      k0 = mid + 1;
    else
      k1 = mid;
  }
  return k0;
}

/* Link particle *a (root *ra, or -1 until needed) with pt[k], k from k0 while k < k1 and
 * pt[k].x <= xmax. */
static inline void scan(int64_t *parent, const fof_geom *g, const fof_pt *a, int64_t *ra,
                        const fof_pt *pt, int64_t k0, int64_t k1, double xmax, int64_t *npairs) {
  for (int64_t k = k0; k < k1 && pt[k].x <= xmax; k++) {
    (*npairs)++;
    if (dist2(a, &pt[k], g->box, g->half) <= g->ll2) {
      if (*ra < 0) *ra = find_root(parent, a->s);
      link_to(parent, ra, pt[k].s);
    }
  }
}

/* Pairs inside one column pt[c0, c1): each pair once, from the particle behind in x. */
static void pairs_own(int64_t *parent, const fof_geom *g, const fof_pt *pt, int64_t c0, int64_t c1,
                      int64_t *npairs) {
  for (int64_t k = c0; k < c1; k++) {
    int64_t ra = -1;
    const double xmax = pt[k].x + g->win;
    scan(parent, g, &pt[k], &ra, pt, k + 1, c1, xmax, npairs);
    if (xmax >= g->box) scan(parent, g, &pt[k], &ra, pt, c0, k, xmax - g->box, npairs);
  }
}

/* Pairs between two different columns A = pa[a0, a1) and B = pb[b0, b1). Both are sorted by
 * x, so away from the box edges the window start in B only moves forward (kb); windows that
 * wrap around x = 0 or L use binary searches. */
static void pairs_cross(int64_t *parent, const fof_geom *g, const fof_pt *pa, int64_t a0,
                        int64_t a1, const fof_pt *pb, int64_t b0, int64_t b1, int64_t *npairs) {
  int64_t kb = b0;
  if (a0 == a1 || b0 == b1) return;
  for (int64_t k = a0; k < a1; k++) {
    int64_t ra = -1;
    const fof_pt *a = &pa[k];
    const double lo = a->x - g->win, hi = a->x + g->win;
    if (hi - lo >= g->box) {
      scan(parent, g, a, &ra, pb, b0, b1, INFINITY, npairs);
    } else if (lo < 0.0) {
      scan(parent, g, a, &ra, pb, b0, b1, hi, npairs);
      scan(parent, g, a, &ra, pb, lower_x(pb, b0, b1, lo + g->box), b1, INFINITY, npairs);
    } else if (hi >= g->box) {
      scan(parent, g, a, &ra, pb, lower_x(pb, b0, b1, lo), b1, INFINITY, npairs);
      scan(parent, g, a, &ra, pb, b0, b1, hi - g->box, npairs);
    } else {
      while (kb < b1 && pb[kb].x < lo) kb++;
      scan(parent, g, a, &ra, pb, kb, b1, hi, npairs);
    }
  }
}

/* All pairs inside one gathered row. */
static void pairs_row(int64_t *parent, const fof_geom *g, const fof_pt *pt, const int64_t *cs,
                      int64_t *npairs) {
  const int64_t nc = g->nc;
  for (int64_t c = 0; c < nc; c++) {
    pairs_own(parent, g, pt, cs[c], cs[c + 1], npairs);
    if (nc >= 3) {
      const int64_t d = c + 1 < nc ? c + 1 : 0;
      pairs_cross(parent, g, pt, cs[c], cs[c + 1], pt, cs[d], cs[d + 1], npairs);
    }
  }
}

/* All pairs between two gathered neighbouring rows (nc >= 3). */
static void pairs_rows(int64_t *parent, const fof_geom *g, const fof_pt *pa, const int64_t *ca,
                       const fof_pt *pb, const int64_t *cb, int64_t *npairs) {
  const int64_t nc = g->nc;
  for (int64_t c = 0; c < nc; c++) {
    if (ca[c] == ca[c + 1]) continue;
    for (int dz = -1; dz <= 1; dz++) {
      const int64_t d = (c + dz + nc) % nc;
      pairs_cross(parent, g, pa, ca[c], ca[c + 1], pb, cb[d], cb[d + 1], npairs);
    }
  }
}

/* Rows [y0, y1) of strip s. */
static void strip_rows(const fof_geom *g, int64_t s, int64_t *y0, int64_t *y1) {
  *y0 = (int64_t)((double)s * (double)g->nc / (double)g->nstrip);
  *y1 = (int64_t)((double)(s + 1) * (double)g->nc / (double)g->nstrip);
  if (s == g->nstrip - 1) *y1 = g->nc;
}

/* ---------------------------------------------------------------------------------------- */
/* Set-up                                                                                     */

/* Check the descriptor and the particle description; fill the geometry (not nc/nstrip). */
static int setup(const hp_fof_desc *d, const hp_fof_particles *p, fof_geom *g, double *ll,
                 hp_status *st) {
  memset(g, 0, sizeof *g);
  if (d == NULL || p == NULL) return hp_fail(st, HP_ERR_INPUT, "FoF: NULL descriptor or particles");
  if (!(isfinite(d->box) && d->box > 0))
    return hp_fail(st, HP_ERR_INPUT, "FoF: box = %g Mpc/h must be finite and > 0", d->box);
  if (!(isfinite(d->b) && d->b > 0))
    return hp_fail(st, HP_ERR_INPUT, "FoF: linking length b = %g must be finite and > 0", d->b);
  if (d->min_members < 1)
    return hp_fail(st, HP_ERR_INPUT, "FoF: min_members = %d must be >= 1", d->min_members);
  if (!(isfinite(d->particle_mass) && d->particle_mass > 0))
    return hp_fail(st, HP_ERR_INPUT, "FoF: particle_mass = %g Msun/h must be finite and > 0",
                   d->particle_mass);
  if (!(isfinite(d->mean_sep) && d->mean_sep >= 0))
    return hp_fail(st, HP_ERR_INPUT, "FoF: mean_sep = %g Mpc/h must be finite and >= 0 (0: auto)",
                   d->mean_sep);
  if (p->n < 0) return hp_fail(st, HP_ERR_INPUT, "FoF: n = %lld < 0", (long long)p->n);
  if (p->n > 0 && (p->x == NULL || p->y == NULL || p->z == NULL || p->stride < 1))
    return hp_fail(st, HP_ERR_INPUT, "FoF: positions missing or stride %lld < 1",
                   (long long)p->stride);
  const int nv = (p->vx != NULL) + (p->vy != NULL) + (p->vz != NULL);
  if (nv != 0 && nv != 3)
    return hp_fail(st, HP_ERR_INPUT, "FoF: give all three velocity components or none");
  if (nv == 3 && p->vstride < 1)
    return hp_fail(st, HP_ERR_INPUT, "FoF: velocity stride %lld < 1", (long long)p->vstride);
  if (p->lattice_np < 0 || p->lattice_np > FOF_NP_MAX || p->id_lattice_np < 0 ||
      p->id_lattice_np > FOF_NP_MAX)
    return hp_fail(st, HP_ERR_INPUT,
                   "FoF: lattice_np = %lld and id_lattice_np = %lld must be in "
                   "[0, %lld]",
                   (long long)p->lattice_np, (long long)p->id_lattice_np, (long long)FOF_NP_MAX);
  g->p = p;
  g->n = p->n;
  g->box = d->box;
  g->half = 0.5 * d->box;
  if (p->lattice_np > 0) {
    const int64_t np = p->lattice_np;
    if (p->n != np * np * np)
      return hp_fail(st, HP_ERR_INPUT,
                     "FoF: a lattice of lattice_np = %lld needs n = np^3 = %lld "
                     "particles, got %lld",
                     (long long)np, (long long)(np * np * np), (long long)p->n);
    if (p->id != NULL)
      return hp_fail(st, HP_ERR_INPUT,
                     "FoF: with lattice_np > 0 the IDs are index + 1: id must "
                     "be NULL");
    if (p->id_lattice_np != 0 && p->id_lattice_np != np)
      return hp_fail(st, HP_ERR_INPUT, "FoF: id_lattice_np = %lld differs from lattice_np = %lld",
                     (long long)p->id_lattice_np, (long long)np);
    g->np = np, g->np2 = np * np, g->lcell = d->box / (double)np;
  }
  g->lnp = p->lattice_np > 0 ? p->lattice_np : p->id_lattice_np;
  if (g->lnp > 0) g->lnp2 = g->lnp * g->lnp, g->lqcell = d->box / (double)g->lnp;
  double sep = d->mean_sep;
  if (sep == 0) {
    if (g->lnp > 0) {
      sep = d->box / (double)g->lnp;
    } else if (p->n > 0) {
      const int64_t r = llround(cbrt((double)p->n));
      sep = r * r * r == p->n ? d->box / (double)r : d->box / cbrt((double)p->n);
    } else {
      sep = d->box;
    }
  }
  *ll = d->b * sep;
  if (!(isfinite(*ll) && *ll > 0))
    return hp_fail(st, HP_ERR_INPUT, "FoF: linking length b * mean_sep = %g Mpc/h is not > 0", *ll);
  g->ll2 = *ll * *ll;
  g->win = *ll * (1 + FOF_WIN_MARGIN);
  return HP_OK;
}

double hp_fof_linking_length(const hp_fof_desc *d, const hp_fof_particles *p) {
  fof_geom g;
  hp_status st;
  double ll = NAN;
  if (setup(d, p, &g, &ll, &st)) return NAN;
  return ll;
}

/* ---------------------------------------------------------------------------------------- */
/* Halo properties                                                                            */

/* Centre of mass, mean velocity and Lagrangian centre of members m[0..k), exact sums. */
static void halo_props(const fof_geom *g, const int64_t *m, int64_t k, fof_halo *h) {
  const hp_fof_particles *p = g->p;
  const double pscale = ldexp(1.0, 40) / g->box, vscale = ldexp(1.0, 24);
  acc128 ap[3] = {{0, 0}}, av[3] = {{0, 0}}, al[3] = {{0, 0}};
  int64_t ref = m[0], minid = particle_id(p, m[0]);
  for (int64_t t = 1; t < k; t++) {
    const int64_t id = particle_id(p, m[t]);
    if (id < minid || (id == minid && m[t] < ref)) minid = id, ref = m[t];
  }
  double x0[3];
  int64_t l0[3] = {0, 0, 0};
  (void)particle_pos(g, ref, x0);
  if (g->lnp > 0) lattice_abc(g->np > 0 ? ref : particle_id(p, ref) - 1, g->lnp, g->lnp2, l0);
  for (int64_t t = 0; t < k; t++) {
    const int64_t i = m[t];
    double x[3];
    (void)particle_pos(g, i, x);
    for (int a = 0; a < 3; a++) {
      double dx = x[a] - x0[a];
      if (dx > g->half)
        dx -= g->box;
      else if (dx < -g->half)
        dx += g->box;
      acc_add(&ap[a], llround(dx * pscale));
    }
    if (p->vx != NULL) {
      const ptrdiff_t s = p->vstride;
      acc_add(&av[0], llround((double)p->vx[i * s] * vscale));
      acc_add(&av[1], llround((double)p->vy[i * s] * vscale));
      acc_add(&av[2], llround((double)p->vz[i * s] * vscale));
    }
    if (g->lnp > 0) {
      int64_t l[3];
      lattice_abc(g->np > 0 ? i : particle_id(p, i) - 1, g->lnp, g->lnp2, l);
      for (int a = 0; a < 3; a++) {
        int64_t dl = l[a] - l0[a];
        if (2 * dl > g->lnp)
          dl -= g->lnp;
        else if (2 * dl <= -g->lnp)
          dl += g->lnp;
        acc_add(&al[a], dl);
      }
    }
  }
  const double kd = (double)k;
  h->npart = k;
  h->minid = minid;
  h->ref = ref;
  for (int a = 0; a < 3; a++) {
    h->pos[a] = wrap(x0[a] + acc_value(&ap[a]) / kd / pscale, g->box);
    h->vel[a] = acc_value(&av[a]) / kd / vscale;
    h->lag[a] = g->lnp > 0 ? wrap(((double)l0[a] + acc_value(&al[a]) / kd) * g->lqcell, g->box) : 0;
  }
}

static int halo_cmp(const void *pa, const void *pb) {
  const fof_halo *a = pa, *b = pb;
  if (a->npart != b->npart) return a->npart > b->npart ? -1 : 1;
  if (a->minid != b->minid) return a->minid < b->minid ? -1 : 1;
  return (a->ref > b->ref) - (a->ref < b->ref);
}

/* A position in [0, box) as a float still in [0, box) (rounding up to box wraps to 0). */
static inline float box_float(double v, double box) {
  const float f = (float)v;
  return (double)f < box ? f : 0.0f;
}

/* ---------------------------------------------------------------------------------------- */
/* Driver                                                                                     */

int hp_fof_find(const hp_fof_desc *d, const hp_fof_particles *p, hp_catalog *out, hp_status *st) {
  return hp_fof_find_info(d, p, out, NULL, st);
}

int hp_fof_find_info(const hp_fof_desc *d, const hp_fof_particles *p, hp_catalog *out,
                     hp_fof_info *info, hp_status *st) {
  fof_geom g;
  double ll = 0;
  int rc;
  int64_t *parent = NULL, *order = NULL, *row_start = NULL, *hist = NULL, *hoff = NULL;
  fof_work *work = NULL;
  int nw = 0; /* entries of work */
  fof_halo *halos = NULL;
  size_t bytes = 0;
  int64_t nh = 0, ngroups = 0, npairs = 0;
  hp_fof_info inf;
  memset(&inf, 0, sizeof inf);
  memset(out, 0, sizeof *out);
  rc = setup(d, p, &g, &ll, st);
  if (rc) return rc;
  const int T = d->nthreads > 0 ? d->nthreads : omp_get_max_threads();
  const int64_t n = g.n;
  double t0 = omp_get_wtime();

  /* Search grid: nc rows/columns of side >= ll (capped: coarser cells stay correct). */
  {
    double side = ll * (1 + FOF_CELL_MARGIN);
    double ncd = floor(d->box / side), cap = 8.0 * ceil(cbrt((double)(n > 0 ? n : 1))) + 16.0;
    if (ncd > cap) ncd = cap;
    g.nc = ncd < 3 ? 1 : (int64_t)ncd;
    g.cinv = (double)g.nc / d->box;
    g.nstrip = (T == 1 || g.nc < 16) ? 1 : (g.nc / 8 < 4 * T ? g.nc / 8 : 4 * T);
  }
  inf.link = ll;
  inf.ncell = g.nc;
  inf.nthreads = T;

  if (n == 0) goto catalogue;

  /* 1. Check every particle; row of each (in parent); stable counting sort into order. */
  parent = hp_alloc((size_t)n * sizeof *parent, "FoF parent array", st);
  order = parent ? hp_alloc((size_t)n * sizeof *order, "FoF order array", st) : NULL;
  row_start = order ? hp_alloc((size_t)(g.nc + 1) * sizeof *row_start, "FoF rows", st) : NULL;
  hist = row_start ? hp_alloc((size_t)T * (size_t)g.nc * sizeof *hist, "FoF row counts", st) : NULL;
  if (hist == NULL) {
    rc = st->code;
    goto fail;
  }
  bytes += 2 * (size_t)n * 8 + (size_t)(g.nc + 1) * 8 + (size_t)T * (size_t)g.nc * 8;
  {
    int64_t bad = n;
#pragma omp parallel for schedule(static) num_threads(T) reduction(min : bad)
    for (int64_t i = 0; i < n; i++) {
      if (particle_problem(&g, i, &parent[i], NULL, 0)) {
        if (i < bad) bad = i;
        parent[i] = 0;
      }
    }
    if (bad < n) {
      char msg[512];
      int64_t row;
      particle_problem(&g, bad, &row, msg, sizeof msg);
      rc = hp_fail(st, HP_ERR_INPUT, "FoF: %s", msg);
      goto fail;
    }
  }
  row_start[g.nc] = n;
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t block = (n + nt - 1) / nt;
    const int64_t lo = t * block < n ? t * block : n, hi = lo + block < n ? lo + block : n;
    int64_t *h = hist + (size_t)t * (size_t)g.nc;
    memset(h, 0, (size_t)g.nc * sizeof *h);
    for (int64_t i = lo; i < hi; i++) h[parent[i]]++;
#pragma omp barrier
#pragma omp single
    {
      int64_t run = 0;
      for (int64_t r = 0; r < g.nc; r++) {
        row_start[r] = run;
        for (int u = 0; u < nt; u++) {
          int64_t c = hist[(size_t)u * (size_t)g.nc + r];
          hist[(size_t)u * (size_t)g.nc + r] = run;
          run += c;
        }
      }
    }
    for (int64_t i = lo; i < hi; i++) order[h[parent[i]]++] = i;
  }
  hp_free(hist);
  hist = NULL;
  inf.t_grid = omp_get_wtime() - t0;
  t0 = omp_get_wtime();

  /* 2. Link. */
  {
    int64_t cap = 1;
    for (int64_t r = 0; r < g.nc; r++)
      if (row_start[r + 1] - row_start[r] > cap) cap = row_start[r + 1] - row_start[r];
    work = calloc((size_t)(g.nstrip < T ? g.nstrip : T), sizeof *work);
    if (work == NULL) {
      rc = hp_fail(st, HP_ERR_NOMEM, "FoF: cannot allocate thread workspace");
      goto fail;
    }
    for (nw = 0; nw < (g.nstrip < T ? (int)g.nstrip : T); nw++) {
      fof_work *w = &work[nw];
      w->a = hp_alloc((size_t)cap * sizeof(fof_pt), "FoF row buffer", st);
      w->b = w->a ? hp_alloc((size_t)cap * sizeof(fof_pt), "FoF row buffer", st) : NULL;
      w->tmp = w->b ? hp_alloc((size_t)cap * sizeof(fof_pt), "FoF row buffer", st) : NULL;
      w->csa = w->tmp ? hp_alloc((size_t)(g.nc + 1) * 8, "FoF columns", st) : NULL;
      w->csb = w->csa ? hp_alloc((size_t)(g.nc + 1) * 8, "FoF columns", st) : NULL;
      w->cnt = w->csb ? hp_alloc((size_t)g.nc * 8, "FoF columns", st) : NULL;
      if (w->cnt == NULL) {
        nw++;
        rc = st->code;
        goto fail;
      }
      bytes += 3 * (size_t)cap * sizeof(fof_pt) + (size_t)(3 * g.nc + 2) * 8;
    }
#pragma omp parallel for schedule(static) num_threads(T)
    for (int64_t s = 0; s < n; s++) parent[s] = s;

      /* Phase 1: each strip on one thread; only pairs whose rows are both in the strip. */
#pragma omp parallel num_threads(nw) reduction(+ : npairs)
    {
      fof_work *w = &work[omp_get_thread_num()];
      int64_t np_local = 0;
#pragma omp for schedule(dynamic, 1)
      for (int64_t s = 0; s < g.nstrip; s++) {
        int64_t y0, y1;
        fof_pt *ra = w->a, *rb = w->b;
        int64_t *ca = w->csa, *cb = w->csb;
        strip_rows(&g, s, &y0, &y1);
        gather_row(&g, row_start, order, y0, ra, ca, w);
        pairs_row(parent, &g, ra, ca, &np_local);
        for (int64_t y = y0 + 1; y < y1; y++) {
          gather_row(&g, row_start, order, y, rb, cb, w);
          pairs_rows(parent, &g, ra, ca, rb, cb, &np_local);
          pairs_row(parent, &g, rb, cb, &np_local);
          fof_pt *tp = ra;
          ra = rb, rb = tp;
          int64_t *tc = ca;
          ca = cb, cb = tc;
        }
      }
      npairs += np_local;
    }
    /* Phase 2, one thread: pairs between the last row of each strip and the next strip. */
    if (g.nc >= 3) {
      fof_work *w = &work[0];
      for (int64_t s = 0; s < g.nstrip; s++) {
        int64_t y0, y1;
        strip_rows(&g, s, &y0, &y1);
        gather_row(&g, row_start, order, y1 - 1, w->a, w->csa, w);
        gather_row(&g, row_start, order, y1 % g.nc, w->b, w->csb, w);
        pairs_rows(parent, &g, w->a, w->csa, w->b, w->csb, &npairs);
      }
    }
    for (int t = 0; t < nw; t++) {
      hp_free(work[t].a), hp_free(work[t].b), hp_free(work[t].tmp);
      hp_free(work[t].csa), hp_free(work[t].csb), hp_free(work[t].cnt);
    }
    free(work);
    work = NULL;
  }
  inf.t_link = omp_get_wtime() - t0;
  t0 = omp_get_wtime();

  /* 3. Groups, in the union-find's (row-sorted) index space s, within parent[] itself:
   * roots (parent[s] <= s: one forward pass), then sizes stored negated at the roots, then
   * halo slots coded at the roots, then every s gets its slot (-1: no halo). */
  {
    for (int64_t s = 0; s < n; s++) parent[s] = parent[parent[s]];
    for (int64_t s = 0; s < n; s++) {
      const int64_t r = parent[s];
      if (r == s)
        parent[s] = -1; /* root: -(size) */
      else
        parent[r]--;
    }
    for (int64_t r = 0; r < n; r++)
      if (parent[r] < 0) {
        ngroups++;
        if (-parent[r] >= d->min_members) nh++;
      }
    hoff = hp_alloc((size_t)(2 * nh + 3) * sizeof *hoff, "FoF halo offsets", st);
    halos = hoff ? hp_alloc((size_t)(nh > 0 ? nh : 1) * sizeof *halos, "FoF halos", st) : NULL;
    if (halos == NULL) {
      rc = st->code;
      goto fail;
    }
    bytes += (size_t)(2 * nh + 3) * 8 + (size_t)nh * sizeof *halos;
    int64_t h = 0, run = 0;
    for (int64_t r = 0; r < n; r++) {
      if (parent[r] >= 0) continue;
      if (-parent[r] >= d->min_members) {
        hoff[h] = run;
        run -= parent[r];
        parent[r] = -2 - h++; /* root of halo h */
      } else {
        parent[r] = -1; /* root of a group below min_members */
      }
    }
    hoff[nh] = run;
    hoff[nh + 1] = n;
    for (int64_t s = n - 1; s >= 0; s--) { /* roots come first in s: read before rewritten */
      const int64_t v = parent[s], code = v >= 0 ? parent[v] : v;
      parent[s] = code <= -2 ? -2 - code : -1;
    }
    /* In-place bucket sort of order[] (with parent[]) by halo: halo h's members at
     * order[hoff[h] .. hoff[h+1]), particles in no halo after hoff[nh]. */
    int64_t *next = hoff + nh + 2;
    for (int64_t b = 0; b <= nh; b++) next[b] = hoff[b];
    for (int64_t b = 0; b <= nh; b++) {
      while (next[b] < hoff[b + 1]) {
        const int64_t s = next[b], v = parent[s] >= 0 ? parent[s] : nh;
        if (v == b) {
          next[b]++;
        } else {
          const int64_t t = next[v]++, oi = order[s], pv = parent[s];
          order[s] = order[t], parent[s] = parent[t];
          order[t] = oi, parent[t] = pv;
        }
      }
    }
#pragma omp parallel for schedule(dynamic, 16) num_threads(T)
    for (int64_t k = 0; k < nh; k++)
      halo_props(&g, order + hoff[k], hoff[k + 1] - hoff[k], &halos[k]);
    qsort(halos, (size_t)nh, sizeof *halos, halo_cmp);
    for (int64_t k = 0; k < nh; k++)
      if (halos[k].npart > INT32_MAX) {
        rc = hp_fail(st, HP_ERR_INPUT,
                     "FoF: halo %lld has %lld members, more than NumParticles "
                     "(int32) holds: is the linking length b = %g too large (percolation)?",
                     (long long)halos[k].minid, (long long)halos[k].npart, d->b);
        goto fail;
      }
  }

catalogue:
  rc = hp_catalog_alloc(out, nh, HP_CAT_NPART | (g.lnp > 0 ? HP_CAT_LAGRANGE : 0u), st);
  if (rc) goto fail;
  out->hdr.box = d->box;
  out->hdr.particle_mass = d->particle_mass;
  snprintf(out->hdr.mass_def, sizeof out->hdr.mass_def, "FoF b=%g", d->b);
  for (int64_t k = 0; k < nh; k++) {
    const fof_halo *h = &halos[k];
    for (int a = 0; a < 3; a++) {
      out->pos[3 * k + a] = box_float(h->pos[a], d->box);
      out->vel[3 * k + a] = (float)h->vel[a];
      if (g.lnp > 0) out->lagr_pos[3 * k + a] = box_float(h->lag[a], d->box);
    }
    out->mass[k] = (double)h->npart * d->particle_mass;
    out->id[k] = h->minid;
    out->npart[k] = (int32_t)h->npart;
  }
  inf.t_halos = omp_get_wtime() - t0;
  inf.ngroups = ngroups;
  inf.npairs = npairs;
  inf.bytes = bytes;
  if (info != NULL) *info = inf;
  hp_free(parent);
  hp_free(order);
  hp_free(row_start);
  hp_free(hoff);
  hp_free(halos);
  return HP_OK;

fail:
  if (work != NULL) {
    for (int t = 0; t < nw; t++) {
      hp_free(work[t].a), hp_free(work[t].b), hp_free(work[t].tmp);
      hp_free(work[t].csa), hp_free(work[t].csb), hp_free(work[t].cnt);
    }
    free(work);
  }
  hp_free(parent);
  hp_free(order);
  hp_free(row_start);
  hp_free(hist);
  hp_free(hoff);
  hp_free(halos);
  hp_catalog_free(out);
  return rc;
}
