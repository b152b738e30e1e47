/*
 * Cloud-in-cell assignment and readout on a periodic grid: plan (workspace), deposit of
 * particle weights (mass, density, momentum / mean velocity) and interpolation at particle
 * positions. The deposit is threaded and bit-reproducible for any thread count: particles are
 * taken in fixed-size chunks, stably counting-sorted by x-plane, and the plane buckets are
 * deposited in an even phase, an odd phase and (odd nv) a serial last bucket, one thread per
 * bucket, so each voxel receives its additions in an order fixed by the data alone.
 * The scheme is described in docs/cic.md. The Fourier window is in window.c.
 */
#include "cic/cic.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/** Blocks of the deterministic weight sum (hp_cic_density with weights). */
#define CIC_NBLOCK 1024
/** Most grids filled by one sorted pass (mass + 3 momenta). */
#define CIC_MAXF 4

struct hp_cic_plan {
  int64_t nv;       /* grid side (voxels) */
  double box;       /* box side L (Mpc/h) */
  double inv_dx;    /* nv / L (1/(Mpc/h)) */
  double nvd;       /* nv as a double */
  int nthreads;     /* OpenMP threads requested by every execution */
  int64_t chunk;    /* particles sorted per chunk */
  int64_t hstride;  /* histogram row length (int32 counts), nv rounded up to 16 */
  int32_t *plane;   /* [chunk] x-plane i0 of each particle of the chunk */
  int32_t *idx;     /* [chunk] chunk-local particle indices sorted by plane (stable) */
  int32_t *hist;    /* [nthreads][hstride] per-thread plane counts, then scatter offsets */
  int32_t *bstart;  /* [nv+1] start of each plane bucket in idx */
  double *blocksum; /* [CIC_NBLOCK] partial sums of the weights */
};

/* ---------------------------------------------------------------------------------------- */
/* Geometry: where a particle falls. */

/*
 * Wrap grid coordinate u (cell units, already shifted by -0.5 so that cell centres are at
 * integers) into [0, nv): *i0 = floor(u) mod nv, *t = u - floor(u) in [0, 1].
 * Returns 1 for a non-finite u. Never yields i0 outside [0, nv).
 */
static inline int wrap_axis(double u, int64_t nv, double nvd, int64_t *i0, float *t) {
  double f = floor(u);
  if (!(f >= 0.0 && f < nvd)) {
    if (f >= -nvd && f < 0.0) {
      u += nvd; /* may round up to exactly nv: handled below */
    } else if (f >= nvd && f < 2.0 * nvd) {
      u -= nvd; /* exact (Sterbenz) */
    } else if (isfinite(u)) {
      u = fmod(u, nvd); /* exact, in (-nv, nv) */
      if (u < 0.0) u += nvd;
    } else {
      *i0 = 0; /* defined outputs even for NaN / inf, never used to index */
      *t = 0.0f;
      return 1;
    }
    f = floor(u);
  }
  int64_t i = (int64_t)f;
  double d = u - f;
  if (i >= nv) i -= nv; /* u rounded to exactly nv: cell 0 with t = 0 */
  *i0 = i;
  *t = (float)d;
  return 0;
}

/* Everything the inner loops need about one call: geometry and the particle arrays. */
typedef struct cic_geom {
  int64_t nv;               /* grid side */
  double nvd, inv_dx;       /* nv as a double; nv / L (1/(Mpc/h)) */
  const float *x, *y, *z;   /* coordinates or displacements (Mpc/h) */
  ptrdiff_t stride;         /* coordinate stride (floats) */
  const float *w;           /* weights or NULL */
  ptrdiff_t wstride;        /* weight stride (floats) */
  int64_t np, np2;          /* lattice side and side^2; np = 0: explicit positions */
  double inv_np, inv_np2;   /* 1/np, 1/np^2 */
  double lat_scale;         /* lattice spacing in cells, nv / np */
  const hp_lattice_ids *id; /* lattice index of each particle, or NULL: particle i is point i */
  int64_t x0, nx;           /* the grids hold x-planes [x0, x0 + nx) (mod nv); nx = nv: all */
} cic_geom;

static cic_geom make_geom(const hp_cic_plan *p, const hp_cic_particles *s) {
  cic_geom g = {.nv = p->nv,
                .nvd = p->nvd,
                .inv_dx = p->inv_dx,
                .x = s->x,
                .y = s->y,
                .z = s->z,
                .stride = s->stride,
                .w = s->weight,
                .wstride = s->wstride,
                .np = s->lattice_np > 0 ? s->lattice_np : 0,
                .id = s->lattice_np > 0 ? s->lattice_ids : NULL,
                .x0 = 0,
                .nx = p->nv};
  if (g.np > 0) {
    g.np2 = g.np * g.np;
    g.inv_np = 1.0 / (double)g.np;
    g.inv_np2 = 1.0 / (double)g.np2;
    g.lat_scale = p->nvd / (double)g.np;
  }
  return g;
}

/* q = i / d and *r = i mod d for 0 <= i < 2^63, d >= 1, without an integer division: the
 * double estimate is off by at most one for the sizes allowed (d <= 2^42), then corrected. */
static inline int64_t divmod(int64_t i, int64_t d, double inv_d, int64_t *r) {
  int64_t q = (int64_t)((double)i * inv_d), rem = i - q * d;
  while (rem < 0) q--, rem += d;
  while (rem >= d) q++, rem -= d;
  *r = rem;
  return q;
}

/* Lattice position (a, b, c) of the last particle visited, so that visiting i, i+1, i+2, ...
 * (the usual case: buckets and thread ranges are in index order) needs no division. */
typedef struct lat_iter {
  int64_t next;    /* index expected next (-1: none yet) */
  int64_t a, b, c; /* lattice indices of particle next - 1 */
} lat_iter;

/* Lattice offsets q[c] (cells, (a, b, c) * nv/np) of particle i; all 0 for explicit positions. */
static inline void lattice_offsets(const cic_geom *g, lat_iter *it, int64_t i, double q[3]) {
  if (g->np == 0) {
    q[0] = q[1] = q[2] = 0.0;
    return;
  }
  if (g->id) i = hp_lattice_id(g->id, i);
  if (i == it->next) {
    if (++it->c == g->np) {
      it->c = 0;
      if (++it->b == g->np) it->b = 0, it->a++;
    }
  } else {
    int64_t r;
    it->a = divmod(i, g->np2, g->inv_np2, &r);
    it->b = divmod(r, g->np, g->inv_np, &it->c);
  }
  it->next = i + 1;
  q[0] = (double)it->a * g->lat_scale;
  q[1] = (double)it->b * g->lat_scale;
  q[2] = (double)it->c * g->lat_scale;
}

/* Grid x coordinate of particle i (cell units, minus 1/2: cell centres at integers), given its
 * lattice offset q0 (0 for explicit positions, where q0 + d == d exactly). */
static inline double grid_coord_x(const cic_geom *g, int64_t i, double q0) {
  return q0 + (double)g->x[i * g->stride] * g->inv_dx - 0.5;
}

/* Grid coordinates of particle i; u[0] is computed exactly as grid_coord_x. */
static inline void grid_coords(const cic_geom *g, int64_t i, const double q[3], double u[3]) {
  const ptrdiff_t o = i * g->stride;
  u[0] = q[0] + (double)g->x[o] * g->inv_dx - 0.5;
  u[1] = q[1] + (double)g->y[o] * g->inv_dx - 0.5;
  u[2] = q[2] + (double)g->z[o] * g->inv_dx - 0.5;
}

/* Grid coordinates u[3] of particle i (lattice offsets plus coordinates). */
static inline void particle_coords(const cic_geom *g, lat_iter *it, int64_t i, double u[3]) {
  double q[3];
  lattice_offsets(g, it, i, q);
  grid_coords(g, i, q, u);
}

/* 1 if particle i has a non-finite coordinate. Finite floats give finite grid coordinates:
 * the plan guarantees FLT_MAX * nv/L < DBL_MAX, and the lattice offsets are at most nv. */
static inline int nonfinite(const cic_geom *g, int64_t i) {
  const ptrdiff_t o = i * g->stride;
  return !isfinite(g->x[o]) || !isfinite(g->y[o]) || !isfinite(g->z[o]);
}

/* ---------------------------------------------------------------------------------------- */
/* Plan. */

static void free_workspace(hp_cic_plan *p) {
  hp_free(p->plane);
  hp_free(p->idx);
  p->plane = p->idx = NULL;
}

static int alloc_chunk(hp_cic_plan *p, int64_t chunk, hp_status *st) {
  int32_t *plane = hp_alloc((size_t)chunk * sizeof(int32_t), "CIC plane indices", st);
  if (!plane) return st->code;
  int32_t *idx = hp_alloc((size_t)chunk * sizeof(int32_t), "CIC sorted indices", st);
  if (!idx) {
    hp_free(plane);
    return st->code;
  }
  free_workspace(p);
  p->plane = plane;
  p->idx = idx;
  p->chunk = chunk;
  return 0;
}

int hp_cic_plan_create(hp_cic_plan **out, int64_t nv, double box, int nthreads, hp_status *st) {
  if (!out) return hp_fail(st, HP_ERR_INPUT, "CIC plan: output pointer is NULL");
  *out = NULL;
  if (nv < 1 || nv > HP_CIC_NV_MAX)
    return hp_fail(st, HP_ERR_INPUT, "CIC plan: grid side nv = %lld must be in [1, %lld]",
                   (long long)nv, (long long)HP_CIC_NV_MAX);
  if (!(box > 0.0) || !isfinite(box))
    return hp_fail(st, HP_ERR_INPUT, "CIC plan: box side L = %g Mpc/h must be finite and > 0", box);
  if (!isfinite((double)FLT_MAX * ((double)nv / box)))
    return hp_fail(st, HP_ERR_INPUT, "CIC plan: box side L = %g Mpc/h is too small for nv = %lld",
                   box, (long long)nv);
  if (nthreads <= 0) nthreads = omp_get_max_threads();
  if (nthreads < 1) nthreads = 1;

  hp_cic_plan *p = hp_alloc(sizeof *p, "CIC plan", st);
  if (!p) return st->code;
  memset(p, 0, sizeof *p);
  p->nv = nv;
  p->box = box;
  p->nvd = (double)nv;
  p->inv_dx = (double)nv / box;
  p->nthreads = nthreads;
  p->hstride = (nv + 15) / 16 * 16;
  p->hist = hp_alloc((size_t)nthreads * (size_t)p->hstride * sizeof(int32_t),
                     "CIC per-thread histograms", st);
  p->bstart =
      p->hist ? hp_alloc((size_t)(nv + 1) * sizeof(int32_t), "CIC bucket starts", st) : NULL;
  p->blocksum = p->bstart ? hp_alloc(CIC_NBLOCK * sizeof(double), "CIC weight sums", st) : NULL;
  if (!p->blocksum || alloc_chunk(p, HP_CIC_CHUNK_DEFAULT, st) != 0) {
    hp_cic_plan_destroy(p);
    return hp_error_context(st, "CIC plan for nv = %lld", (long long)nv);
  }
  *out = p;
  return 0;
}

int hp_cic_plan_set_chunk(hp_cic_plan *p, int64_t chunk, hp_status *st) {
  if (!p) return hp_fail(st, HP_ERR_INPUT, "CIC set chunk: plan is NULL");
  if (chunk < 1 || chunk > HP_CIC_CHUNK_MAX)
    return hp_fail(st, HP_ERR_INPUT, "CIC set chunk: chunk = %lld must be in [1, %lld]",
                   (long long)chunk, (long long)HP_CIC_CHUNK_MAX);
  if (chunk == p->chunk) return 0;
  return alloc_chunk(p, chunk, st);
}

size_t hp_cic_plan_workspace_bytes(const hp_cic_plan *p) {
  if (!p) return 0;
  return (size_t)p->chunk * 2 * sizeof(int32_t) +
         (size_t)p->nthreads * (size_t)p->hstride * sizeof(int32_t) +
         (size_t)(p->nv + 1) * sizeof(int32_t) + CIC_NBLOCK * sizeof(double) + sizeof *p;
}

void hp_cic_plan_destroy(hp_cic_plan *p) {
  if (!p) return;
  free_workspace(p);
  hp_free(p->hist);
  hp_free(p->bstart);
  hp_free(p->blocksum);
  hp_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Argument checks. */

static int check_particles(const hp_cic_plan *p, const hp_cic_particles *s, const char *who,
                           hp_status *st) {
  if (!p) return hp_fail(st, HP_ERR_INPUT, "%s: plan is NULL", who);
  if (!s) return hp_fail(st, HP_ERR_INPUT, "%s: particle description is NULL", who);
  if (s->n < 0)
    return hp_fail(st, HP_ERR_INPUT, "%s: particle count n = %lld is negative", who,
                   (long long)s->n);
  if (s->lattice_np < 0)
    return hp_fail(st, HP_ERR_INPUT, "%s: lattice_np = %lld is negative (0 = plain positions)", who,
                   (long long)s->lattice_np);
  if (s->lattice_np > 0 && s->lattice_ids) {
    const int64_t np = s->lattice_np;
    if (np > HP_CIC_NV_MAX || s->n > np * np * np)
      return hp_fail(st, HP_ERR_INPUT, "%s: %lld particles of a lattice of %lld^3", who,
                     (long long)s->n, (long long)np);
    for (int64_t i = 0, prev = -1; i < s->n; i++) {
      const int64_t id = hp_lattice_id(s->lattice_ids, i);
      if (id <= prev || id >= np * np * np)
        return hp_fail(st, HP_ERR_INPUT,
                       "%s: particle %lld is lattice point %lld: ids must increase and lie in "
                       "[0, %lld)",
                       who, (long long)i, (long long)id, (long long)(np * np * np));
      prev = id;
    }
  } else if (s->lattice_np > 0) {
    int64_t np = s->lattice_np;
    if (np > HP_CIC_NV_MAX || np * np * np != s->n)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s: lattice of lattice_np = %lld per side needs n = np^3 particles, got "
                     "n = %lld",
                     who, (long long)np, (long long)s->n);
  }
  if (s->n == 0) return 0;
  if (!s->x || !s->y || !s->z)
    return hp_fail(st, HP_ERR_INPUT, "%s: a coordinate array (x, y or z) is NULL", who);
  if (s->stride < 1)
    return hp_fail(st, HP_ERR_INPUT, "%s: coordinate stride = %td must be >= 1", who, s->stride);
  if (s->n - 1 > PTRDIFF_MAX / s->stride)
    return hp_fail(st, HP_ERR_INPUT, "%s: n = %lld with stride %td overflows an index", who,
                   (long long)s->n, s->stride);
  if (s->weight) {
    if (s->wstride < 1)
      return hp_fail(st, HP_ERR_INPUT, "%s: weight stride = %td must be >= 1", who, s->wstride);
    if (s->n - 1 > PTRDIFF_MAX / s->wstride)
      return hp_fail(st, HP_ERR_INPUT, "%s: n = %lld with weight stride %td overflows an index",
                     who, (long long)s->n, s->wstride);
  }
  return 0;
}

static int fail_nonfinite(const hp_cic_particles *s, const char *who, int64_t i, hp_status *st) {
  return hp_fail(st, HP_ERR_INPUT,
                 "%s: particle %lld has a non-finite %s (x = %g, y = %g, z = %g); positions "
                 "must be finite",
                 who, (long long)i, s->lattice_np > 0 ? "displacement" : "position",
                 (double)s->x[i * s->stride], (double)s->y[i * s->stride],
                 (double)s->z[i * s->stride]);
}

/* ---------------------------------------------------------------------------------------- */
/* Deposit. */

/*
 * Cells and weights of a particle at grid coordinates u[3] whose x-plane is ix (given, never
 * recomputed, so that a bucket provably writes planes ix and ix+1 only): off[8] are the linear
 * voxel indices and w[8] the products of the float axis weights times m, in the fixed order
 * (dx, dy, dz) = 000, 001, 010, 011, 100, ... Shared by deposit (m = particle weight) and
 * readout (m = 1), so both use identical weights. u is finite (checked before).
 */
__attribute__((always_inline)) static inline void cell_weights(const cic_geom *g, const double u[3],
                                                               int64_t ix, float m, int64_t off[8],
                                                               float w[8]) {
  const int64_t nv = g->nv, nv2 = nv * nv;
  int64_t ixd, iy, iz;
  float tx, ty, tz;
  wrap_axis(u[0], nv, g->nvd, &ixd, &tx);
  wrap_axis(u[1], nv, g->nvd, &iy, &ty);
  wrap_axis(u[2], nv, g->nvd, &iz, &tz);
  const int64_t ox0 = ix * nv2, ox1 = (ix + 1 == nv ? 0 : ix + 1) * nv2;
  const int64_t oy0 = iy * nv, oy1 = (iy + 1 == nv ? 0 : iy + 1) * nv;
  const int64_t oz0 = iz, oz1 = iz + 1 == nv ? 0 : iz + 1;
  const float wx0 = 1.0f - tx, wy0 = 1.0f - ty, wz0 = 1.0f - tz;
  const float w00 = wx0 * wy0, w01 = wx0 * ty, w10 = tx * wy0, w11 = tx * ty;
  w[0] = w00 * wz0 * m, w[1] = w00 * tz * m, w[2] = w01 * wz0 * m, w[3] = w01 * tz * m;
  w[4] = w10 * wz0 * m, w[5] = w10 * tz * m, w[6] = w11 * wz0 * m, w[7] = w11 * tz * m;
  off[0] = ox0 + oy0 + oz0, off[1] = ox0 + oy0 + oz1, off[2] = ox0 + oy1 + oz0;
  off[3] = ox0 + oy1 + oz1, off[4] = ox1 + oy0 + oz0, off[5] = ox1 + oy0 + oz1;
  off[6] = ox1 + oy1 + oz0, off[7] = ox1 + oy1 + oz1;
}

/*
 * Deposit the particles of bucket b (x-plane b) of the chunk starting at c0 into nf grids.
 * Field f receives CIC weight * m_i * vw[f][i*vs] (the last factor 1 when vw[f] is NULL).
 * Writes only x-planes b and (b+1) mod nv. Additions are made in sorted (= index) order.
 */
static void deposit_bucket(const hp_cic_plan *p, const cic_geom *g, int64_t c0, int64_t b, int nf,
                           const float *const *vw, ptrdiff_t vs, float *const *grids) {
  const int64_t k0 = p->bstart[b], k1 = p->bstart[b + 1];
  const int32_t *idx = p->idx;
  int64_t off[8];
  float w[8];
  double u[3];
  lat_iter it = {.next = -1};
  if (g->nx < g->nv) { /* a window of planes: the same weights, other planes dropped */
    const int64_t nv = g->nv, nv2 = nv * nv, b1 = b + 1 == nv ? 0 : b + 1;
    const int64_t l0 = (b - g->x0 + nv) % nv, l1 = (b1 - g->x0 + nv) % nv;
    if (l0 >= g->nx && l1 >= g->nx) return;
    for (int64_t k = k0; k < k1; k++) {
      const int64_t i = c0 + idx[k];
      particle_coords(g, &it, i, u);
      cell_weights(g, u, b, g->w ? g->w[i * g->wstride] : 1.0f, off, w);
      for (int c = 0; c < 8; c++) /* off[c] = plane * nv2 + in-plane offset */
        off[c] = c < 4 ? (l0 < g->nx ? l0 * nv2 + off[c] - b * nv2 : -1)
                       : (l1 < g->nx ? l1 * nv2 + off[c] - b1 * nv2 : -1);
      for (int f = 0; f < nf; f++) {
        const float v = vw[f] ? vw[f][i * vs] : 1.0f;
        for (int c = 0; c < 8; c++)
          if (off[c] >= 0) grids[f][off[c]] += vw[f] ? w[c] * v : w[c];
      }
    }
    return;
  }
  if (nf == 1 && !vw[0]) { /* plain mass deposit: the hot path */
    float *gr = grids[0];
    for (int64_t k = k0; k < k1; k++) {
      const int64_t i = c0 + idx[k];
      particle_coords(g, &it, i, u);
      cell_weights(g, u, b, g->w ? g->w[i * g->wstride] : 1.0f, off, w);
      for (int c = 0; c < 8; c++) gr[off[c]] += w[c];
    }
    return;
  }
  for (int64_t k = k0; k < k1; k++) {
    const int64_t i = c0 + idx[k];
    particle_coords(g, &it, i, u);
    cell_weights(g, u, b, g->w ? g->w[i * g->wstride] : 1.0f, off, w);
    for (int f = 0; f < nf; f++) {
      float *gr = grids[f];
      if (vw[f]) {
        const float v = vw[f][i * vs];
        for (int c = 0; c < 8; c++) gr[off[c]] += w[c] * v;
      } else {
        for (int c = 0; c < 8; c++) gr[off[c]] += w[c];
      }
    }
  }
}

/* Particles of the chunk that starts at c0: the next @p chunk, or with lattice ids those whose
 * ids fall in the same chunk of the whole lattice (ids increase), so that a subset of the
 * lattice is deposited in the same groups, hence the same order, as the whole. */
static int64_t chunk_length(const cic_geom *g, int64_t n, int64_t c0, int64_t chunk) {
  if (!g->id) return n - c0 < chunk ? n - c0 : chunk;
  const int64_t end_id = (hp_lattice_id(g->id, c0) / chunk + 1) * chunk;
  int64_t lo = c0 + 1, hi = n - c0 < chunk ? n : c0 + chunk; /* first index with id >= end_id */
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (hp_lattice_id(g->id, mid) < end_id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - c0;
}

/*
 * Sorted, deterministic deposit of nf (<= CIC_MAXF) fields. For each chunk: every thread
 * counts the x-planes of a contiguous index range into its own histogram; a serial prefix sum
 * over (plane, thread) gives each (plane, thread) pair its slot range; every thread scatters
 * its range in index order, which makes the sort stable (within a plane: original index
 * order) and independent of the thread count. Buckets are then deposited: even planes in
 * parallel, odd planes in parallel, and for odd nv the last bucket (which wraps onto plane 0)
 * alone. Returns 0, or HP_ERR_INPUT for a non-finite coordinate.
 */
static int deposit_fields(hp_cic_plan *p, const hp_cic_particles *s, int64_t x0, int64_t nx, int nf,
                          const float *const *vw, ptrdiff_t vs, float *const *grids,
                          const char *who, hp_status *st) {
  const int64_t n = s->n, nv = p->nv, chunk = p->chunk;
  const int64_t even_end = (nv % 2 == 1) ? nv - 1 : nv; /* even buckets in [0, even_end) */
  cic_geom geom = make_geom(p, s);
  geom.x0 = x0, geom.nx = nx;
  const cic_geom *g = &geom;
  int64_t bad = -1;
  if (n == 0) return 0;

#pragma omp parallel num_threads(p->nthreads)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    int32_t *h = p->hist + (int64_t)t * p->hstride;
    for (int64_t c0 = 0, m; c0 < n; c0 += m) {
      m = chunk_length(g, n, c0, chunk);
      const int64_t lo = m * t / nt, hi = m * (t + 1) / nt;
      int64_t mybad = -1;

      /* 1. Count the x-planes of this thread's contiguous range. */
      memset(h, 0, (size_t)nv * sizeof(int32_t));
      lat_iter it = {.next = -1};
      for (int64_t j = lo; j < hi; j++) {
        const int64_t i = c0 + j;
        int64_t ix;
        float tx;
        double q[3];
        if (nonfinite(g, i)) {
          mybad = i;
          break;
        }
        lattice_offsets(g, &it, i, q);
        wrap_axis(grid_coord_x(g, i, q[0]), nv, g->nvd, &ix, &tx);
        p->plane[j] = (int32_t)ix;
        h[ix]++;
      }
      if (mybad >= 0) {
#pragma omp critical(hp_cic_bad)
        if (bad < 0 || mybad < bad) bad = mybad;
      }
#pragma omp barrier
      if (bad >= 0) break; /* same value for every thread after the barrier */

        /* 2. Prefix sum over (plane, thread): bucket starts and per-thread scatter offsets. */
#pragma omp single
      {
        int32_t pos = 0;
        for (int64_t b = 0; b < nv; b++) {
          p->bstart[b] = pos;
          for (int u = 0; u < nt; u++) {
            int32_t *hu = p->hist + (int64_t)u * p->hstride + b;
            const int32_t c = *hu;
            *hu = pos;
            pos += c;
          }
        }
        p->bstart[nv] = pos;
      }

      /* 3. Stable scatter of this thread's range. */
      for (int64_t j = lo; j < hi; j++) p->idx[h[p->plane[j]]++] = (int32_t)j;
#pragma omp barrier

        /* 4. Deposit: even buckets, then odd buckets (disjoint planes within a phase). */
#pragma omp for schedule(dynamic, 1)
      for (int64_t b = 0; b < even_end; b += 2) deposit_bucket(p, g, c0, b, nf, vw, vs, grids);
#pragma omp for schedule(dynamic, 1)
      for (int64_t b = 1; b < nv; b += 2) deposit_bucket(p, g, c0, b, nf, vw, vs, grids);
      if (even_end != nv) {
#pragma omp single
        deposit_bucket(p, g, c0, nv - 1, nf, vw, vs, grids);
      }
    }
  }
  if (bad >= 0) return fail_nonfinite(s, who, bad, st);
  return 0;
}

int hp_cic_deposit(hp_cic_plan *p, const hp_cic_particles *parts, float *grid, hp_status *st) {
  static const char who[] = "CIC deposit";
  if (check_particles(p, parts, who, st)) return st->code;
  if (!grid) return hp_fail(st, HP_ERR_INPUT, "%s: grid is NULL", who);
  const float *vw[1] = {NULL};
  float *grids[1] = {grid};
  return deposit_fields(p, parts, 0, p->nv, 1, vw, 0, grids, who, st);
}

/* Sum of the weights (n when there are none) in double, in an order fixed by n alone. */
static double total_weight(hp_cic_plan *p, const hp_cic_particles *s) {
  if (!s->weight) return (double)s->n;
  const int64_t n = s->n, bs = (n + CIC_NBLOCK - 1) / CIC_NBLOCK;
  double *sum = p->blocksum;
#pragma omp parallel for num_threads(p->nthreads) schedule(static)
  for (int64_t b = 0; b < CIC_NBLOCK; b++) {
    const int64_t i1 = (b + 1) * bs < n ? (b + 1) * bs : n;
    double acc = 0.0;
    for (int64_t i = b * bs; i < i1; i++) acc += (double)s->weight[i * s->wstride];
    sum[b] = acc;
  }
  double tot = 0.0;
  for (int b = 0; b < CIC_NBLOCK; b++) tot += sum[b];
  return tot;
}

static void zero_grid(const hp_cic_plan *p, float *g, int64_t nvox) {
#pragma omp parallel for num_threads(p->nthreads) schedule(static)
  for (int64_t v = 0; v < nvox; v++) g[v] = 0.0f;
}

static int density_scale(hp_cic_plan *p, const hp_cic_particles *s, const char *who, double *scale,
                         hp_status *st) {
  if (s->n < 1)
    return hp_fail(st, HP_ERR_INPUT, "%s: no particles (n = 0): density undefined", who);
  const double w = total_weight(p, s);
  if (!(w != 0.0) || !isfinite(w))
    return hp_fail(st, HP_ERR_INPUT, "%s: total particle weight is %g: density undefined", who, w);
  *scale = (double)p->nv * (double)p->nv * (double)p->nv / w;
  return 0;
}

int hp_cic_density(hp_cic_plan *p, const hp_cic_particles *parts, float *grid, hp_status *st) {
  static const char who[] = "CIC density";
  double scale;
  if (check_particles(p, parts, who, st)) return st->code;
  if (!grid) return hp_fail(st, HP_ERR_INPUT, "%s: grid is NULL", who);
  if (density_scale(p, parts, who, &scale, st)) return st->code;
  zero_grid(p, grid, p->nv * p->nv * p->nv);
  const float *vw[1] = {NULL};
  float *grids[1] = {grid};
  if (deposit_fields(p, parts, 0, p->nv, 1, vw, 0, grids, who, st)) return st->code;
  const int64_t nvox = p->nv * p->nv * p->nv;
#pragma omp parallel for num_threads(p->nthreads) schedule(static)
  for (int64_t v = 0; v < nvox; v++) grid[v] = (float)((double)grid[v] * scale);
  return 0;
}

/* hp_cic_velocity on x-planes [x0, x0 + nx) with a given density scale. */
static int velocity_window(hp_cic_plan *p, const hp_cic_particles *parts, int64_t x0, int64_t nx,
                           double scale, const float *const vel[3], ptrdiff_t vstride,
                           float *const out_vel[3], float *out_density, const char *who,
                           hp_status *st) {
  if (!vel || !vel[0] || !vel[1] || !vel[2])
    return hp_fail(st, HP_ERR_INPUT, "%s: a velocity component array is NULL", who);
  if (vstride < 1 || (parts->n > 0 && parts->n - 1 > PTRDIFF_MAX / vstride))
    return hp_fail(st, HP_ERR_INPUT, "%s: velocity stride = %td is invalid (>= 1, no overflow)",
                   who, vstride);
  if (!out_vel || !out_vel[0] || !out_vel[1] || !out_vel[2] || !out_density)
    return hp_fail(st, HP_ERR_INPUT, "%s: an output grid is NULL", who);
  float *const grids[CIC_MAXF] = {out_density, out_vel[0], out_vel[1], out_vel[2]};
  const float *const vw[CIC_MAXF] = {NULL, vel[0], vel[1], vel[2]};
  const int64_t nvox = nx * p->nv * p->nv;
  for (int f = 0; f < CIC_MAXF; f++) zero_grid(p, grids[f], nvox);
  if (deposit_fields(p, parts, x0, nx, CIC_MAXF, vw, vstride, grids, who, st)) return st->code;
  float *vx = out_vel[0], *vy = out_vel[1], *vz = out_vel[2], *d = out_density;
#pragma omp parallel for num_threads(p->nthreads) schedule(static)
  for (int64_t v = 0; v < nvox; v++) {
    const float mass = d[v];
    if (mass > 0.0f) {
      vx[v] /= mass;
      vy[v] /= mass;
      vz[v] /= mass;
    } else {
      vx[v] = vy[v] = vz[v] = 0.0f;
    }
    d[v] = (float)((double)mass * scale);
  }
  return 0;
}

int hp_cic_velocity(hp_cic_plan *p, const hp_cic_particles *parts, const float *const vel[3],
                    ptrdiff_t vstride, float *const out_vel[3], float *out_density, hp_status *st) {
  static const char who[] = "CIC velocity";
  double scale;
  if (check_particles(p, parts, who, st) || density_scale(p, parts, who, &scale, st))
    return st->code;
  return velocity_window(p, parts, 0, p->nv, scale, vel, vstride, out_vel, out_density, who, st);
}

/* The plane window [x0, x0 + nx) of a side-nv grid. */
static int check_window(const hp_cic_plan *p, int64_t x0, int64_t nx, const char *who,
                        hp_status *st) {
  if (x0 < 0 || x0 >= p->nv || nx < 1 || nx > p->nv)
    return hp_fail(st, HP_ERR_INPUT, "%s: planes [%lld, %lld + %lld) are not a window of nv = %lld",
                   who, (long long)x0, (long long)x0, (long long)nx, (long long)p->nv);
  return 0;
}

int hp_cic_velocity_slab(hp_cic_plan *p, const hp_cic_particles *parts, int64_t x0, int64_t nx,
                         double total_weight, const float *const vel[3], ptrdiff_t vstride,
                         float *const out_vel[3], float *out_density, hp_status *st) {
  static const char who[] = "CIC velocity (slab)";
  if (check_particles(p, parts, who, st) || check_window(p, x0, nx, who, st)) return st->code;
  if (!(total_weight > 0) || !isfinite(total_weight))
    return hp_fail(st, HP_ERR_INPUT, "%s: total weight %g must be finite and > 0", who,
                   total_weight);
  const double scale = (double)p->nv * (double)p->nv * (double)p->nv / total_weight;
  return velocity_window(p, parts, x0, nx, scale, vel, vstride, out_vel, out_density, who, st);
}

/* ---------------------------------------------------------------------------------------- */
/* Readout. */

/* Readout from a grid of x-planes [x0, x0 + nx): -1 where a particle reaches another plane. */
static int64_t readout_window(const hp_cic_plan *p, const float *grid, int64_t x0, int64_t nx,
                              const hp_cic_particles *parts, float *out);

int hp_cic_readout(const hp_cic_plan *p, const float *grid, const hp_cic_particles *parts,
                   float *out, hp_status *st) {
  return hp_cic_readout_slab(p, grid, 0, p ? p->nv : 1, parts, out, st);
}

int hp_cic_readout_slab(const hp_cic_plan *p, const float *grid, int64_t x0, int64_t nx,
                        const hp_cic_particles *parts, float *out, hp_status *st) {
  static const char who[] = "CIC readout";
  if (check_particles(p, parts, who, st) || check_window(p, x0, nx, who, st)) return st->code;
  if (!grid || (!out && parts->n > 0))
    return hp_fail(st, HP_ERR_INPUT, "%s: grid or output array is NULL", who);
  const int64_t bad = readout_window(p, grid, x0, nx, parts, out);
  if (bad >= 0 && isnan(out[bad])) return fail_nonfinite(parts, who, bad, st);
  if (bad >= 0)
    return hp_fail(st, HP_ERR_INPUT,
                   "%s: particle %lld reaches a plane outside [%lld, %lld + %lld)", who,
                   (long long)bad, (long long)x0, (long long)x0, (long long)nx);
  return 0;
}

static int64_t readout_window(const hp_cic_plan *p, const float *grid, int64_t x0, int64_t nx,
                              const hp_cic_particles *parts, float *out) {
  const int64_t n = parts->n, nv = p->nv, nv2 = nv * nv;
  const cic_geom geom = make_geom(p, parts), *g = &geom;
  int64_t bad = INT64_MAX;
#pragma omp parallel num_threads(p->nthreads) reduction(min : bad)
  {
    lat_iter it = {.next = -1};
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; i++) {
      int64_t ix, off[8];
      float tx, w[8];
      double u[3];
      if (nonfinite(g, i)) {
        if (i < bad) bad = i;
        out[i] = NAN;
        continue;
      }
      particle_coords(g, &it, i, u);
      wrap_axis(u[0], nv, g->nvd, &ix, &tx);
      cell_weights(g, u, ix, 1.0f, off, w); /* the deposit's weights (m = 1: exact) */
      const int64_t ix1 = ix + 1 == nv ? 0 : ix + 1;
      const int64_t l0 = (ix - x0 + nv) % nv, l1 = (ix1 - x0 + nv) % nv;
      if (l0 >= nx || l1 >= nx) {
        if (i < bad) bad = i;
        out[i] = 0.0f;
        continue;
      }
      double acc = 0.0;
      for (int c = 0; c < 8; c++)
        acc += (double)w[c] *
               grid[c < 4 ? l0 * nv2 + off[c] - ix * nv2 : l1 * nv2 + off[c] - ix1 * nv2];
      out[i] = (float)acc;
    }
  }
  return bad == INT64_MAX ? -1 : bad;
}
