/* Painted mean counts -> halos: counts, positions, masses, velocities (see sampler.h). */
#include "sampler.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nn/count_runs.h"
#include "util/rng.h"

#define NCDF 512 /* points of each bin's cumulative mass distribution */

enum { STREAM_COUNT = 1, STREAM_POSITION = 2, STREAM_MASS = 3, STREAM_RUN = 4 };

struct hp_sampler {
  hp_sampler_desc d;
  double *lnm, *cdf; /* per bin: NCDF ln M and cumulative fraction */
  int64_t nx;        /* planes held: [d.x0, d.x0 + nx) of nv */
  hp_cic_plan *cic;
  hp_count_table *counts;   /* HP_COUNTS_MODEL */
  double run[HP_NET_MAX_K]; /* HP_COUNTS_MODEL: the model's exclusion run lengths */
  int runs;                 /* 1 if any bin draws along runs */
};

/* The model's exclusion runs (nn/count_runs.h): only where counts follow the model. */
static void take_runs(hp_sampler *s, const hp_count_dist *cd) {
  s->runs = 0;
  for (int k = 0; k < s->d.nbins && k < HP_NET_MAX_K; k++) {
    s->run[k] = s->d.count_mode == HP_COUNTS_MODEL && cd ? cd->run[k] : 0;
    if (s->run[k] > 0) s->runs = 1;
  }
}

int64_t hp_sampler_count(const hp_sampler *s, int k, double lambda, double u) {
  if (!(lambda > 0)) return 0;
  if (s->d.count_mode == HP_COUNTS_ROUNDING) {
    const double f = floor(lambda);
    return (int64_t)f + (u < lambda - f);
  }
  if (s->counts) return hp_count_draw(s->counts, k, lambda, u);
  return hp_poisson_draw(lambda, u);
}

void hp_sampler_set_seed(hp_sampler *s, uint64_t seed) { s->d.seed = seed; }

void hp_sampler_destroy(hp_sampler *s) {
  if (!s) return;
  free(s->lnm);
  free(s->cdf);
  hp_cic_plan_destroy(s->cic);
  hp_count_table_destroy(s->counts);
  free(s);
}

/* The cumulative mass distribution within each bin (trapezoid in ln M) from the shape
 * d->dndlnm at its context's present state. */
static int tabulate_masses(hp_sampler *s, hp_status *st) {
  const hp_sampler_desc *d = &s->d;
  for (int k = 0; k < d->nbins; k++) {
    double *lm = s->lnm + k * NCDF, *c = s->cdf + k * NCDF;
    const double a = log(d->bin_edges[k]), b = log(d->bin_edges[k + 1]);
    double prev = 0;
    for (int i = 0; i < NCDF; i++) {
      lm[i] = a + (b - a) * i / (NCDF - 1);
      const double f = d->dndlnm(d->ctx, exp(lm[i]));
      if (!(f >= 0) || !isfinite(f)) {
        return hp_fail(st, HP_ERR_NUMERIC, "sampler: the mass function is %g at M = %g Msun/h", f,
                       exp(lm[i]));
      }
      c[i] = i == 0 ? 0 : c[i - 1] + 0.5 * (prev + f) * (lm[i] - lm[i - 1]);
      prev = f;
    }
    if (!(c[NCDF - 1] > 0)) { /* no shape: uniform in ln M */
      for (int i = 0; i < NCDF; i++) c[i] = (double)i / (NCDF - 1);
    } else {
      const double tot = c[NCDF - 1];
      for (int i = 0; i < NCDF; i++) c[i] /= tot;
    }
  }
  return HP_OK;
}

int hp_sampler_create(hp_sampler **out, const hp_sampler_desc *d, hp_status *st) {
  *out = NULL;
  if (d->nv < 1 || !(d->box > 0) || d->nbins < 1 || !d->bin_edges || !d->dndlnm)
    return hp_fail(st, HP_ERR_INPUT, "sampler: bad plan (nv %lld, box %g, %d bins)",
                   (long long)d->nv, d->box, d->nbins);
  const int64_t nx = d->nx > 0 ? d->nx : d->nv;
  if (d->x0 < 0 || d->x0 >= d->nv || nx > d->nv || (nx < d->nv && nx + 2 > d->nv))
    return hp_fail(st, HP_ERR_INPUT,
                   "sampler: planes [%lld, %lld + %lld) are not a slab of nv = %lld with room "
                   "for a ghost plane each side",
                   (long long)d->x0, (long long)d->x0, (long long)nx, (long long)d->nv);
  const double nv3 = (double)nx * d->nv * d->nv,
               np3 = d->np > 0 && d->npart <= 0 ? (double)d->np * d->np * d->np : (double)d->npart;
  if (d->np < 0 || d->npart < 0 || nv3 >= 4294967295.0 || np3 >= 4294967295.0)
    return hp_fail(st, HP_ERR_INPUT,
                   "sampler: %lld^3 voxels or %.0f particles (np %lld, npart %lld): at most 2^32 "
                   "of each",
                   (long long)d->nv, np3, (long long)d->np, (long long)d->npart);
  for (int k = 0; k < d->nbins; k++)
    if (!(d->bin_edges[k] > 0) || !(d->bin_edges[k + 1] > d->bin_edges[k]))
      return hp_fail(st, HP_ERR_INPUT,
                     "sampler: mass-bin edges must be positive and increasing "
                     "(edge %d = %g, edge %d = %g)",
                     k, d->bin_edges[k], k + 1, d->bin_edges[k + 1]);
  hp_sampler *s = calloc(1, sizeof *s);
  if (!s) return hp_fail(st, HP_ERR_NOMEM, "sampler: cannot allocate the plan");
  s->d = *d;
  s->nx = nx;
  if (s->d.nthreads <= 0) s->d.nthreads = omp_get_max_threads();
  s->lnm = malloc(sizeof *s->lnm * (size_t)(d->nbins * NCDF));
  s->cdf = malloc(sizeof *s->cdf * (size_t)(d->nbins * NCDF));
  if (!s->lnm || !s->cdf) {
    hp_sampler_destroy(s);
    return hp_fail(st, HP_ERR_NOMEM, "sampler: cannot allocate the mass tables");
  }
  if (tabulate_masses(s, st)) {
    hp_sampler_destroy(s);
    return st->code;
  }
  if (hp_cic_plan_create(&s->cic, d->nv, d->box, s->d.nthreads, st) ||
      (d->count_mode == HP_COUNTS_MODEL && d->count_dist &&
       hp_count_table_create(&s->counts, d->count_dist, st))) {
    hp_sampler_destroy(s);
    return hp_error_context(st, "sampler");
  }
  take_runs(s, d->count_dist);
  s->d.count_dist = NULL; /* the tables and runs hold what is needed; the caller's may go */
  *out = s;
  return HP_OK;
}

int hp_sampler_retarget(hp_sampler *s, const hp_count_dist *count_dist, hp_status *st) {
  if (tabulate_masses(s, st)) return hp_error_context(st, "sampler");
  if (s->d.count_mode != HP_COUNTS_MODEL) return HP_OK;
  take_runs(s, count_dist);
  hp_count_table_destroy(s->counts);
  s->counts = NULL;
  if (count_dist && hp_count_table_create(&s->counts, count_dist, st))
    return hp_error_context(st, "sampler");
  return HP_OK;
}

/* Mass in bin k for uniform u: inverse of the tabulated CDF, linear in ln M. */
static double draw_mass(const hp_sampler *s, int k, double u) {
  const double *c = s->cdf + k * NCDF, *lm = s->lnm + k * NCDF;
  int lo = 0, hi = NCDF - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (c[mid] < u)
      lo = mid;
    else
      hi = mid;
  }
  const double t = c[hi] > c[lo] ? (u - c[lo]) / (c[hi] - c[lo]) : 0.5;
  return exp(lm[lo] + t * (lm[hi] - lm[lo]));
}

/** Number of particles of the plan: a lattice of np^3, npart of its points, or npart given by
 *  position. */
static int64_t particle_count(const hp_sampler_desc *d) {
  return d->np > 0 && d->npart <= 0 ? d->np * d->np * d->np : d->npart;
}

/** Coordinate @p ax of particle @p i: lattice point plus displacement, or its position. */
static inline double particle_x(const hp_sampler_desc *d, const hp_sampler_input *in, int64_t i,
                                int ax) {
  if (d->np <= 0) return in->pos[3 * i + ax];
  const int64_t np = d->np, l = in->lattice_ids ? hp_lattice_id(in->lattice_ids, i) : i,
                q = ax == 0   ? l / (np * np)
                    : ax == 1 ? (l / np) % np
                              : l % np;
  return q * (d->box / (double)np) + in->disp[ax][i];
}

/* The particles of each voxel that draws halos (NGP), the only ones a halo can sit on: about
 * one in ten for the default model. One read of the particles; each kept one costs 12 bytes
 * (8 in its thread's list, 4 in the index).
 * The voxels with halos are numbered in grid order by a 1-bit-a-voxel map and a count per
 * 64-voxel word (4 MB for 256^3 voxels). */
typedef struct {
  uint64_t *has;  /* bit c: voxel c of the slab draws halos */
  int64_t *rank;  /* per word of has: voxels with halos before it */
  int64_t *start; /* per voxel with halos, + 1: offsets into part */
  uint32_t *part; /* particle indices by voxel, increasing within a voxel */
} voxel_index;

static void voxel_index_free(voxel_index *x) {
  free(x->has);
  free(x->rank);
  free(x->start);
  hp_free(x->part);
}

/* The number of voxel c among the voxels with halos (c must draw halos). */
static inline int64_t halo_rank(const voxel_index *x, int64_t c) {
  return x->rank[c >> 6] + __builtin_popcountll(x->has[c >> 6] & ((1ull << (c & 63)) - 1));
}

static inline int draws_halos(const voxel_index *x, int64_t c) {
  return (int)(x->has[c >> 6] >> (c & 63)) & 1;
}

static inline int64_t wrap_cell(double x, double inv_dx, int64_t nv) {
  int64_t i = (int64_t)floor(x * inv_dx);
  if (i >= 0 && i < nv) return i; /* nearly every particle: no division */
  i %= nv;
  return i < 0 ? i + nv : i;
}

/* The voxel of the slab held at (x, y, z) where it draws halos, else ROW_AWAY (a particle
 * beyond the slab is a neighbour's, there for its CIC). */
enum { ROW_AWAY = -1, ROW_WRAP = -2 };
static inline int64_t slab_voxel(const hp_sampler_desc *d, int64_t nx, const voxel_index *vi,
                                 double x, double y, double z) {
  const int64_t nv = d->nv;
  const double inv_dx = (double)nv / d->box;
  int64_t ix = wrap_cell(x, inv_dx, nv) - d->x0;
  ix += ix < 0 ? nv : 0; /* no division: both in [0, nv) */
  const int64_t v = (ix * nv + wrap_cell(y, inv_dx, nv)) * nv + wrap_cell(z, inv_dx, nv);
  return ix < nx && draws_halos(vi, v) ? v : ROW_AWAY;
}

/* One thread's kept particles, as (voxel, particle) pairs in increasing particle order, in
 * chunks of 2^15, 2^16, ... 2^20 pairs, the large ones on huge pages (growing one array by
 * copies would fault every page twice). */
#define KEPT_CHUNK(c) ((int64_t)1 << ((c) < 5 ? 15 + (c) : 20))
typedef struct {
  uint32_t **chunk;
  int64_t *fill; /* pairs in each chunk */
  int nchunks, room, failed;
} kept_list;

static void kept_free(kept_list *l) {
  for (int c = 0; c < l->nchunks; c++) hp_free(l->chunk[c]);
  free(l->chunk);
  free(l->fill);
}

/* The next n pairs' place in l (n <= 2^15), or NULL when out of memory. */
static uint32_t *kept_room(kept_list *l, int64_t n) {
  if (l->failed) return NULL;
  if (l->nchunks == 0 || l->fill[l->nchunks - 1] + n > KEPT_CHUNK(l->nchunks - 1)) {
    if (l->nchunks == l->room) {
      const int room = l->room ? 2 * l->room : 16;
      uint32_t **c = realloc(l->chunk, sizeof *c * (size_t)room);
      int64_t *f = c ? realloc(l->fill, sizeof *f * (size_t)room) : NULL;
      if (c) l->chunk = c;
      if (!f) return l->failed = 1, NULL;
      l->fill = f, l->room = room;
    }
    hp_status st = {0};
    uint32_t *p = hp_alloc(sizeof *p * (size_t)(2 * KEPT_CHUNK(l->nchunks)), "kept particles", &st);
    if (!p) return l->failed = 1, NULL;
    l->chunk[l->nchunks] = p, l->fill[l->nchunks++] = 0;
  }
  return l->chunk[l->nchunks - 1] + 2 * l->fill[l->nchunks - 1];
}

/* The voxel of each particle of one lattice row (x and y of the lattice fixed) where it draws
 * halos, as wrap_cell and the map give it, in a loop the compiler vectorises: ROW_AWAY for a
 * particle of a voxel without halos or beyond the slab, ROW_WRAP for one displaced by more
 * than a box (left to slab_voxel). */
#if defined(__GNUC__) && !defined(__clang__)
/* gcc vectorises the conversions to int only when FP exceptions need not be kept exact; no
 * value changes */
__attribute__((optimize("no-trapping-math")))
#endif
static void
row_voxels(const hp_sampler_desc *d, int64_t nx, const uint64_t *restrict has, double qx, double qy,
           const float *restrict dx, const float *restrict dy, const float *restrict dz,
           int64_t *restrict vox) {
  const int32_t nv = (int32_t)d->nv, x0 = (int32_t)d->x0, np = (int32_t)d->np;
  const double inv_dx = (double)nv / d->box, dq = d->box / (double)np;
  for (int32_t iz = 0; iz < np; iz++) {
    /* in int32 (nv^3 < 2^32): AVX2 converts doubles to int32 only */
    int32_t a = (int32_t)floor((qx + dx[iz]) * inv_dx), b = (int32_t)floor((qy + dy[iz]) * inv_dx),
            c = (int32_t)floor((iz * dq + dz[iz]) * inv_dx);
    a += a < 0 ? nv : a >= nv ? -nv : 0;
    b += b < 0 ? nv : b >= nv ? -nv : 0;
    c += c < 0 ? nv : c >= nv ? -nv : 0;
    const int wrapped = (a | b | c) < 0 || a >= nv || b >= nv || c >= nv;
    a -= x0;
    a += a < 0 ? nv : 0;
    const int held = !wrapped && a < nx;
    const int64_t v = held ? ((int64_t)a * nv + b) * nv + c : 0;
    const int64_t hit = held & (int64_t)(has[v >> 6] >> (v & 63)) & 1;
    vox[iz] = hit ? v : wrapped ? ROW_WRAP : ROW_AWAY;
  }
}

/* Every particle's voxel; the particles of voxels with halos into the thread's list. Each
 * thread takes one contiguous range of particles (static schedule), so the lists in thread
 * order run in increasing particle order whatever the number of threads. The lattice is walked
 * in order, so the coordinates need no division. */
static void keep_particles(const hp_sampler *s, const hp_sampler_input *in, const voxel_index *vi,
                           kept_list *lists) {
  const hp_sampler_desc *d = &s->d;
  const int64_t np = d->np, nx = s->nx;
  const double dq = d->box / (double)(np > 0 ? np : 1);
#define KEEP(i, x, y, z)                                                        \
  do {                                                                          \
    const int64_t v = slab_voxel(d, nx, vi, x, y, z);                           \
    uint32_t *p = v >= 0 ? kept_room(l, 1) : NULL;                              \
    if (p) p[0] = (uint32_t)v, p[1] = (uint32_t)(i), l->fill[l->nchunks - 1]++; \
  } while (0)
#pragma omp parallel num_threads(d->nthreads)
  {
    kept_list *l = lists + omp_get_thread_num();
    if (np > 0 && in->lattice_ids) {
      /* the ids run mostly consecutively (a rank's own planes): step the lattice point along,
       * dividing only where the ids jump */
      int64_t a = 0, b = 0, c = 0, prev = -2;
#pragma omp for schedule(static)
      for (int64_t i = 0; i < d->npart; i++) {
        const int64_t id = hp_lattice_id(in->lattice_ids, i);
        if (id == prev + 1 && c + 1 < np)
          c++;
        else if (id == prev + 1 && b + 1 < np)
          c = 0, b++;
        else
          a = id / (np * np), b = (id / np) % np, c = id % np;
        prev = id;
        KEEP(i, a * dq + in->disp[0][i], b * dq + in->disp[1][i], c * dq + in->disp[2][i]);
      }
    } else if (np > 0) {
      int64_t *vox = malloc(sizeof *vox * (size_t)np);
      if (!vox) l->failed = 1;
#pragma omp for schedule(static)
      for (int64_t ab = 0; ab < np * np; ab++) {
        uint32_t *p = vox ? kept_room(l, np) : NULL;
        if (!p) continue;
        const double qx = (ab / np) * dq, qy = (ab % np) * dq;
        row_voxels(d, nx, vi->has, qx, qy, in->disp[0] + ab * np, in->disp[1] + ab * np,
                   in->disp[2] + ab * np, vox);
        /* without branches: about one particle in ten is kept, at random */
        int64_t n = 0;
        for (int64_t iz = 0, i = ab * np; iz < np; iz++, i++) {
          int64_t v = vox[iz];
          if (v == ROW_WRAP) /* displaced beyond a box: never in practice */
            v = slab_voxel(d, nx, vi, qx + in->disp[0][i], qy + in->disp[1][i],
                           iz * dq + in->disp[2][i]);
          p[2 * n] = (uint32_t)v, p[2 * n + 1] = (uint32_t)i;
          n += v >= 0;
        }
        l->fill[l->nchunks - 1] += n;
      }
      free(vox);
    } else {
#pragma omp for schedule(static)
      for (int64_t i = 0; i < d->npart; i++)
        KEEP(i, in->pos[3 * i], in->pos[3 * i + 1], in->pos[3 * i + 2]);
    }
    /* voxel -> its number among the voxels with halos, in the thread's own list */
    for (int c = 0; c < l->nchunks; c++)
      for (int64_t j = 0; j < l->fill[c]; j++)
        l->chunk[c][2 * j] = (uint32_t)halo_rank(vi, l->chunk[c][2 * j]);
  }
#undef KEEP
}

/* The index of the voxels with halos (nvox: the halo offsets of pass 1). */
static int index_particles(const hp_sampler *s, const hp_sampler_input *in, const int64_t *nvox,
                           voxel_index *x, hp_status *st) {
  const int64_t nc = s->nx * s->d.nv * s->d.nv, nw = nc / 64 + 1;
  const int T = s->d.nthreads;
  memset(x, 0, sizeof *x);
  x->has = malloc(sizeof *x->has * (size_t)nw);
  x->rank = malloc(sizeof *x->rank * (size_t)nw);
  kept_list *lists = calloc((size_t)T, sizeof *lists);
  if (!x->has || !x->rank || !lists) {
    free(lists);
    return hp_fail(st, HP_ERR_NOMEM, "sampler: cannot allocate the voxel map");
  }
#pragma omp parallel for num_threads(T) schedule(static)
  for (int64_t w = 0; w < nw; w++) {
    uint64_t bits = 0;
    for (int64_t b = 0; b < 64 && 64 * w + b < nc; b++)
      bits |= (uint64_t)(nvox[64 * w + b + 1] > nvox[64 * w + b]) << b;
    x->has[w] = bits;
  }
  int64_t nhv = 0;
  for (int64_t w = 0; w < nw; w++) x->rank[w] = nhv, nhv += __builtin_popcountll(x->has[w]);
  keep_particles(s, in, x, lists);
  int64_t nkept = 0;
  int failed = 0;
  for (int t = 0; t < T; t++) {
    for (int c = 0; c < lists[t].nchunks; c++) nkept += lists[t].fill[c];
    failed |= lists[t].failed;
  }
  x->start = failed ? NULL : calloc((size_t)nhv + 1, sizeof *x->start);
  x->part = failed || !x->start
                ? NULL
                : hp_alloc(sizeof *x->part * (size_t)(nkept > 0 ? nkept : 1), "particle index", st);
  int rc = HP_OK;
  if (!x->part) {
    rc = hp_fail(st, HP_ERR_NOMEM,
                 "sampler: cannot allocate the index of the %lld particles in voxels with halos",
                 (long long)nkept);
  } else {
    /* counting sort by voxel, stable (the lists in order are in particle order); each thread
     * sorts its own range of voxels */
#pragma omp parallel num_threads(T)
    {
      const int64_t lo = nhv * omp_get_thread_num() / omp_get_num_threads(),
                    hi = nhv * (omp_get_thread_num() + 1) / omp_get_num_threads();
      for (int t = 0; t < T; t++)
        for (int c = 0; c < lists[t].nchunks; c++)
          for (int64_t j = 0; j < lists[t].fill[c]; j++) {
            const int64_t h = lists[t].chunk[c][2 * j];
            if (h >= lo && h < hi) x->start[h + 1]++;
          }
#pragma omp barrier
#pragma omp single
      for (int64_t h = 0; h < nhv; h++) x->start[h + 1] += x->start[h];
      for (int t = 0; t < T; t++)
        for (int c = 0; c < lists[t].nchunks; c++)
          for (int64_t j = 0; j < lists[t].fill[c]; j++) {
            const int64_t h = lists[t].chunk[c][2 * j];
            if (h >= lo && h < hi) x->part[x->start[h]++] = lists[t].chunk[c][2 * j + 1];
          }
    }
    /* the fill moved start[h] to the end of voxel h, the start of h + 1: shift back by one */
    memmove(x->start + 1, x->start, sizeof *x->start * (size_t)nhv);
    x->start[0] = 0;
  }
  for (int t = 0; t < T; t++) kept_free(lists + t);
  free(lists);
  return rc;
}

/* The counts of every bin with an exclusion run, for the voxels held, into *out (K grids). A
 * slab's blocks reach HP_RUN_GHOST planes beyond it: those means come from in->counts_ghost. */
static int draw_runs(const hp_sampler *s, const hp_sampler_input *in, int32_t **out,
                     hp_status *st) {
  const hp_sampler_desc *d = &s->d;
  const int64_t nv = d->nv, nc = s->nx * nv * nv, slab = s->nx < nv;
  if (slab && !in->counts_ghost)
    return hp_fail(st, HP_ERR_INPUT,
                   "sampler: the model draws counts along exclusion runs, and a slab needs %d "
                   "planes of painted means each side (hp_sampler_input.counts_ghost)",
                   HP_RUN_GHOST);
  int32_t *cnt = hp_alloc(sizeof *cnt * (size_t)(nc * d->nbins), "the run counts", st);
  if (!cnt) return hp_error_context(st, "sampler");
  const uint64_t key = hp_rng_key(d->seed, STREAM_RUN);
  for (int k = 0; k < d->nbins; k++) {
    if (!(s->run[k] > 0)) continue;
    const float *mean = slab ? in->counts_ghost[k] : in->counts[k];
    const int64_t mx0 = slab ? d->x0 - HP_RUN_GHOST : 0, mnx = slab ? s->nx + 2 * HP_RUN_GHOST : nv;
    if (hp_count_runs_draw(s->counts, k, s->run[k], mean, mx0, mnx, nv, d->x0, s->nx, key,
                           cnt + k * nc, d->nthreads, st)) {
      hp_free(cnt);
      return hp_error_context(st, "sampler, mass bin %d", k);
    }
  }
  *out = cnt;
  return HP_OK;
}

/* The count of bin k in voxel c of the slab (c + c0 of the grid): drawn along the runs already,
 * or drawn here from its own uniform (key kc). */
static inline int64_t voxel_count(const hp_sampler *s, const hp_sampler_input *in,
                                  const int32_t *run_counts, int64_t k, int64_t c, int64_t nc,
                                  int64_t c0, uint64_t kc) {
  if (run_counts && s->run[k] > 0) return run_counts[k * nc + c];
  const uint64_t ctr = (uint64_t)((c + c0) * s->d.nbins + k);
  return hp_sampler_count(s, (int)k, in->counts[k][c], hp_rng_uniform(hp_rng_at(kc, ctr, 0)));
}

int hp_sampler_execute(hp_sampler *s, const hp_sampler_input *in, hp_catalog *cat, hp_status *st) {
  const hp_sampler_desc *d = &s->d;
  /* c: a voxel of the slab held; c + c0: the same voxel in the whole grid, which keys its draws */
  const int64_t nv = d->nv, nc = s->nx * nv * nv, K = d->nbins, c0 = d->x0 * nv * nv;
  const double dx = d->box / (double)nv;
  const uint64_t kc = hp_rng_key(d->seed, STREAM_COUNT), kp = hp_rng_key(d->seed, STREAM_POSITION),
                 km = hp_rng_key(d->seed, STREAM_MASS);
  const int use_particles = d->position_mode == HP_POS_PARTICLES && particle_count(d) > 0 &&
                            (d->np > 0 ? in->disp[0] != NULL : in->pos != NULL);
  /* painted means a model can produce by accident (huge weights, a broken input) would overflow
   * the integer counts: refused, with where */
  for (int64_t k = 0; k < K; k++) {
    double worst = 0;
    int64_t at = -1;
#pragma omp parallel for num_threads(d->nthreads) schedule(static) reduction(max : worst)
    for (int64_t c = 0; c < nc; c++) {
      const double v = in->counts[k][c];
      if (!(v <= HP_SAMPLER_MAX_MEAN)) worst = HUGE_VAL;
    }
    if (worst > 0) {
      for (int64_t c = 0; c < nc && at < 0; c++)
        if (!(in->counts[k][c] <= HP_SAMPLER_MAX_MEAN)) at = c;
      return hp_fail(st, HP_ERR_NUMERIC,
                     "sampler: painted mean %g in voxel %lld of mass bin %lld (at most %g halos "
                     "per voxel and bin are sampled): the model or its input is broken",
                     (double)in->counts[k][at], (long long)(at + c0), (long long)k,
                     HP_SAMPLER_MAX_MEAN);
    }
  }
  /* the counts of bins with exclusion runs are drawn first, block by block (they depend on the
   * voxel's neighbours); the others voxel by voxel as they are needed */
  int32_t *run_counts = NULL;
  if (s->runs && draw_runs(s, in, &run_counts, st)) return st->code;
  /* pass 1: integer counts per voxel (all bins), then offsets */
  int64_t *nvox = hp_alloc(sizeof *nvox * (size_t)(nc + 1), "the voxels' halo offsets", st);
  if (!nvox) {
    hp_free(run_counts);
    return hp_error_context(st, "sampler");
  }
#pragma omp parallel for num_threads(d->nthreads) schedule(static)
  for (int64_t c = 0; c < nc; c++) {
    int64_t tot = 0;
    for (int64_t k = 0; k < K; k++) tot += voxel_count(s, in, run_counts, k, c, nc, c0, kc);
    nvox[c + 1] = tot;
  }
  nvox[0] = 0;
  for (int64_t c = 0; c < nc; c++) nvox[c + 1] += nvox[c];
  const int64_t nh = nvox[nc];
  if (d->max_catalog_bytes > 0 && (double)nh * HP_SAMPLER_HALO_BYTES > d->max_catalog_bytes) {
    hp_free(nvox), hp_free(run_counts);
    return hp_fail(st, HP_ERR_NOMEM,
                   "sampler: the painted counts make %lld halos (%.0f MB), more than the %.0f MB "
                   "left for the catalogue (MemoryLimit or the memory available); %.3g halos per "
                   "voxel: is the model sane for this input?",
                   (long long)nh, (double)nh * HP_SAMPLER_HALO_BYTES / 1e6,
                   d->max_catalog_bytes / 1e6, (double)nh / (double)nc);
  }
  if (hp_catalog_alloc(cat, nh, HP_CAT_MASSBIN, st)) {
    hp_free(nvox), hp_free(run_counts);
    return hp_error_context(st, "sampler: %lld halos", (long long)nh);
  }
  voxel_index vx = {0};
  if (use_particles && index_particles(s, in, nvox, &vx, st)) {
    voxel_index_free(&vx);
    hp_free(nvox), hp_free(run_counts);
    return st->code;
  }
  /* pass 2: each voxel fills its own range, in bin order */
#pragma omp parallel for num_threads(d->nthreads) schedule(dynamic, 256)
  for (int64_t c = 0; c < nc; c++) {
    int64_t h = nvox[c];
    if (nvox[c + 1] == h) continue; /* no halo here (most voxels): no second draw */
    const int64_t ix = (c + c0) / (nv * nv), iy = (c / nv) % nv, iz = c % nv,
                  hv = use_particles && draws_halos(&vx, c) ? halo_rank(&vx, c) : -1;
    for (int64_t k = 0; k < K; k++) {
      const uint64_t ctr = (uint64_t)((c + c0) * K + k);
      const int64_t n = voxel_count(s, in, run_counts, k, c, nc, c0, kc);
      for (int64_t j = 0; j < n; j++, h++) {
        double x[3];
        const int64_t np_in = hv >= 0 ? vx.start[hv + 1] - vx.start[hv] : 0;
        if (np_in > 0) {
          const uint64_t r = hp_rng_at(kp, ctr, (uint64_t)j);
          const int64_t pick = vx.part[vx.start[hv] + (int64_t)(hp_rng_uniform(r) * np_in)];
          for (int ax = 0; ax < 3; ax++) x[ax] = particle_x(d, in, pick, ax);
        } else {
          const int64_t idx[3] = {ix, iy, iz};
          for (int ax = 0; ax < 3; ax++)
            x[ax] = (idx[ax] +
                     hp_rng_uniform(hp_rng_at(kp, ctr, (uint64_t)(3 * j + ax) + (1u << 30)))) *
                    dx;
        }
        for (int ax = 0; ax < 3; ax++) {
          double v = x[ax] >= 0 && x[ax] < d->box ? x[ax] : fmod(x[ax], d->box); /* no call */
          if (v < 0) v += d->box;
          if (v >= d->box) v = 0;
          cat->pos[3 * h + ax] = (float)v;
          if (cat->pos[3 * h + ax] >= (float)d->box) cat->pos[3 * h + ax] = 0.0f;
        }
        cat->mass[h] = draw_mass(s, (int)k, hp_rng_uniform(hp_rng_at(km, ctr, (uint64_t)j)));
        cat->mass_bin[h] = (int32_t)k;
        cat->id[h] = h + 1;
      }
    }
  }
  voxel_index_free(&vx);
  hp_free(nvox);
  hp_free(run_counts);
  /* velocities: CIC read-out of the mass-weighted velocity field at the halo positions (a slab's
   * grids have a ghost plane each side) */
  const int64_t gx0 = s->nx < nv ? (d->x0 + nv - 1) % nv : 0, gnx = s->nx < nv ? s->nx + 2 : nv;
  if (nh > 0 && in->vel_grid[0]) {
    hp_cic_particles hp = {0};
    hp.n = nh, hp.x = cat->pos, hp.y = cat->pos + 1, hp.z = cat->pos + 2, hp.stride = 3;
    float *tmp = malloc(sizeof *tmp * (size_t)nh);
    if (!tmp) return hp_fail(st, HP_ERR_NOMEM, "sampler: cannot allocate halo velocities");
    for (int ax = 0; ax < 3; ax++) {
      if (hp_cic_readout_slab(s->cic, in->vel_grid[ax], gx0, gnx, &hp, tmp, st)) {
        free(tmp);
        return hp_error_context(st, "sampler: velocity read-out");
      }
      for (int64_t h = 0; h < nh; h++) cat->vel[3 * h + ax] = tmp[h];
    }
    free(tmp);
  }
  /* redshift space: move along the axis by v_los / (a H), wrapped */
  if (d->rsd_axis >= 0 && d->rsd_axis < 3) {
    const int ax = d->rsd_axis;
    for (int64_t h = 0; h < nh; h++) {
      double v = cat->pos[3 * h + ax] + cat->vel[3 * h + ax] * d->rsd_factor;
      v = fmod(v, d->box);
      if (v < 0) v += d->box;
      float f = (float)v;
      cat->pos[3 * h + ax] = f >= (float)d->box ? 0.0f : f;
    }
  }
  cat->hdr.box = d->box;
  cat->hdr.seed = (int64_t)d->seed;
  return HP_OK;
}
