/*
 * Angular pair counts on a chaining mesh and w(theta) by Landy & Szalay (1993) (angular.h).
 * The mesh is the linked-cell method of N-body codes applied to unit vectors: cells of side
 * >= the largest chord, so a point's partners lie in its 27 neighbouring cells.
 */
#include "stats/angular.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"

/* Cells per axis at most: 128^3 cell offsets are 17 MB; finer cells gain little on a sphere. */
#define MAX_CELLS 128

int hp_ang_footprint_from_header(const char *text, hp_footprint *f, hp_status *st) {
  /* "HEALPix FILE (Nside N, ORDER)" as lightcone/footprint.c describes a mask: read FILE again */
  char spec[sizeof f->desc];
  snprintf(spec, sizeof spec, "%s", text);
  if (!strncmp(spec, "HEALPix ", 8)) {
    char *paren = strrchr(spec, '(');
    if (paren && paren > spec + 8 && paren[-1] == ' ') paren[-1] = '\0';
    memmove(spec, spec + 8, strlen(spec + 8) + 1);
  }
  if (hp_footprint_create(f, spec, st))
    return hp_error_context(st, "footprint '%s' (expected FullSky, Octant or HEALPix FILE (...))",
                            text);
  return HP_OK;
}

void hp_ang_unit_vector(double ra, double dec, double u[3]) {
  const double a = ra * (M_PI / 180), d = dec * (M_PI / 180);
  u[0] = cos(d) * cos(a);
  u[1] = cos(d) * sin(a);
  u[2] = sin(d);
}

/* Draws before a mask is declared too small for rejection sampling. */
#define MAX_DRAWS 1000000

int hp_ang_randoms(const hp_footprint *f, int64_t n, uint64_t seed, double *u, hp_status *st) {
  /* uniform on the sphere: z uniform (Archimedes), azimuth uniform; the octant restricts both,
     a mask rejects (draw d of point i uses counters (i, 2d) and (i, 2d + 1)) */
  const uint64_t key = hp_rng_key(seed, 0x616e67); /* "ang" */
  const int octant = f->kind == HP_FOOT_OCTANT, mask = f->kind == HP_FOOT_HEALPIX;
  const double zlo = octant ? 0.0 : -1.0, phimax = octant ? M_PI / 2 : 2 * M_PI;
  for (int64_t i = 0; i < n; i++) {
    double *p = u + 3 * i;
    for (uint64_t d = 0;; d++) {
      if (d == MAX_DRAWS)
        return hp_fail(st, HP_ERR_INPUT,
                       "random points in footprint %s: %d draws missed it (sky fraction %g)",
                       f->desc, MAX_DRAWS, f->sky_fraction);
      const double z = zlo + (1 - zlo) * hp_rng_uniform(hp_rng_at(key, (uint64_t)i, 2 * d));
      const double phi = phimax * hp_rng_uniform(hp_rng_at(key, (uint64_t)i, 2 * d + 1));
      const double r = sqrt(fmax(0.0, 1 - z * z));
      p[0] = r * cos(phi), p[1] = r * sin(phi), p[2] = z;
      if (!mask || hp_footprint_contains(f, p)) break;
    }
  }
  return HP_OK;
}

void hp_ang_theta_edges_log(double tmin, double tmax, int nbins, double *edges) {
  for (int i = 0; i <= nbins; i++) edges[i] = tmin * pow(tmax / tmin, (double)i / nbins);
  edges[0] = tmin;
  edges[nbins] = tmax;
}

int hp_ang_theta_edges_check(const double *edges, int nbins, hp_status *st) {
  if (nbins < 1) return hp_fail(st, HP_ERR_INPUT, "theta bins: need at least 2 edges");
  for (int i = 0; i <= nbins; i++) {
    if (!isfinite(edges[i]) || !(edges[i] > 0) || edges[i] > 180)
      return hp_fail(st, HP_ERR_INPUT, "theta bins: edge %d = %g degrees must be in (0, 180]", i,
                     edges[i]);
    if (i > 0 && !(edges[i] > edges[i - 1]))
      return hp_fail(st, HP_ERR_INPUT,
                     "theta bins: edges must increase, but edge %d = %g <= edge %d = %g", i,
                     edges[i], i - 1, edges[i - 1]);
  }
  return HP_OK;
}

/* Unit vectors sorted by cell: cell c holds xyz[start[c] .. start[c + 1]). */
typedef struct cell_mesh {
  int nc;         /* cells per axis over [-1, 1] */
  double inv;     /* cells per unit length */
  int64_t *start; /* nc^3 + 1 */
  double *xyz;    /* the points in cell order */
} cell_mesh;

static int cell_axis(const cell_mesh *m, double x) {
  const int i = (int)((x + 1) * m->inv);
  return i < 0 ? 0 : (i >= m->nc ? m->nc - 1 : i);
}

static int64_t cell_of(const cell_mesh *m, const double *u) {
  return ((int64_t)cell_axis(m, u[0]) * m->nc + cell_axis(m, u[1])) * m->nc + cell_axis(m, u[2]);
}

static void mesh_free(cell_mesh *m) {
  free(m->start);
  free(m->xyz);
}

/* Counting sort of n points into cells (stable: a point keeps its order within its cell). */
static int mesh_build(cell_mesh *m, int nc, const double *u, int64_t n, hp_status *st) {
  const int64_t ncell = (int64_t)nc * nc * nc;
  m->nc = nc;
  m->inv = nc / 2.0;
  m->start = calloc((size_t)ncell + 1, sizeof *m->start);
  m->xyz = malloc((size_t)(n > 0 ? n : 1) * 3 * sizeof *m->xyz);
  int64_t *cell = malloc((size_t)(n > 0 ? n : 1) * sizeof *cell);
  if (!m->start || !m->xyz || !cell) {
    free(cell);
    mesh_free(m);
    return hp_fail(st, HP_ERR_NOMEM, "pair counts: chaining mesh of %d^3 cells for %lld points", nc,
                   (long long)n);
  }
  for (int64_t i = 0; i < n; i++) m->start[(cell[i] = cell_of(m, u + 3 * i)) + 1]++;
  for (int64_t c = 0; c < ncell; c++) m->start[c + 1] += m->start[c];
  int64_t *fill = malloc((size_t)ncell * sizeof *fill);
  if (!fill) {
    free(cell);
    mesh_free(m);
    return hp_fail(st, HP_ERR_NOMEM, "pair counts: %lld cell cursors", (long long)ncell);
  }
  memcpy(fill, m->start, (size_t)ncell * sizeof *fill);
  for (int64_t i = 0; i < n; i++)
    memcpy(m->xyz + 3 * fill[cell[i]]++, u + 3 * i, 3 * sizeof(double));
  free(fill);
  free(cell);
  return HP_OK;
}

/* Bin of squared chord d2 among the squared-chord edges e2[0..nb] (increasing), or -1. */
static int chord_bin(const double *e2, int nb, double d2) {
  if (!(d2 >= e2[0]) || !(d2 < e2[nb])) return -1;
  int lo = 0, hi = nb; /* e2[lo] <= d2 < e2[hi] */
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (d2 >= e2[mid])
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

int hp_ang_pair_count(const double *a, int64_t na, const double *b, int64_t nb, const double *edges,
                      int nbins, int nthreads, int64_t *counts, hp_status *st) {
  int rc = hp_ang_theta_edges_check(edges, nbins, st);
  if (rc) return rc;
  double *e2 = malloc(((size_t)nbins + 1) * sizeof *e2);
  if (!e2) return hp_fail(st, HP_ERR_NOMEM, "pair counts: %d edges", nbins + 1);
  for (int i = 0; i <= nbins; i++) {
    const double c = 2 * sin(edges[i] * (M_PI / 360));
    e2[i] = c * c;
  }
  /* cells no smaller than the largest chord: partners are at most one cell away per axis */
  const double chord = sqrt(e2[nbins]);
  const int nc = (int)fmin(MAX_CELLS, fmax(1.0, floor(2 / chord)));
  const int self = b == NULL;
  cell_mesh ma = {0}, mb = {0};
  rc = mesh_build(&ma, nc, a, na, st);
  if (!rc && !self) rc = mesh_build(&mb, nc, b, nb, st);
  const int nt = nthreads > 0 ? nthreads : 1;
  int64_t *hist = calloc((size_t)nt * nbins, sizeof *hist);
  if (!rc && !hist) rc = hp_fail(st, HP_ERR_NOMEM, "pair counts: %d histograms", nt);
  if (rc) {
    free(e2), free(hist), mesh_free(&ma), mesh_free(&mb);
    return rc;
  }
  const cell_mesh *mo = self ? &ma : &mb;
#pragma omp parallel num_threads(nt)
  {
    int64_t *h = hist + (int64_t)omp_get_thread_num() * nbins;
#pragma omp for schedule(dynamic, 512)
    for (int64_t i = 0; i < na; i++) {
      const double *p = ma.xyz + 3 * i;
      const int cx = cell_axis(&ma, p[0]), cy = cell_axis(&ma, p[1]), cz = cell_axis(&ma, p[2]);
      for (int x = cx > 0 ? cx - 1 : 0; x <= cx + 1 && x < nc; x++)
        for (int y = cy > 0 ? cy - 1 : 0; y <= cy + 1 && y < nc; y++)
          for (int z = cz > 0 ? cz - 1 : 0; z <= cz + 1 && z < nc; z++) {
            const int64_t c = ((int64_t)x * nc + y) * nc + z;
            /* within one set, each unordered pair once: the partner after i in cell order */
            int64_t j = mo->start[c];
            if (self && j <= i) j = i + 1;
            for (; j < mo->start[c + 1]; j++) {
              const double *q = mo->xyz + 3 * j;
              const double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
              const int k = chord_bin(e2, nbins, dx * dx + dy * dy + dz * dz);
              if (k >= 0) h[k]++;
            }
          }
    }
  }
  for (int k = 0; k < nbins; k++) {
    counts[k] = 0;
    for (int t = 0; t < nt; t++) counts[k] += hist[(int64_t)t * nbins + k];
  }
  free(e2), free(hist), mesh_free(&ma), mesh_free(&mb);
  return HP_OK;
}

void hp_stats_wtheta_free(hp_stats_wtheta *w) {
  if (!w) return;
  free(w->theta_lo);
  free(w->dd);
  memset(w, 0, sizeof *w);
}

int hp_stats_wtheta_compute(const double *data, int64_t nd, const hp_footprint *f, int64_t nr,
                            uint64_t seed, const double *edges, int nbins, int nthreads,
                            hp_stats_wtheta *out, hp_status *st) {
  memset(out, 0, sizeof *out);
  int rc = hp_ang_theta_edges_check(edges, nbins, st);
  if (rc) return rc;
  if (nd < 2 || nr < 2)
    return hp_fail(st, HP_ERR_INPUT, "w(theta): %lld data and %lld random points (need >= 2 each)",
                   (long long)nd, (long long)nr);
  const size_t nb = (size_t)nbins;
  out->nbins = nbins;
  out->nd = nd;
  out->nr = nr;
  /* two blocks: the doubles, then the counts */
  out->theta_lo = malloc(5 * nb * sizeof(double));
  out->dd = malloc(3 * nb * sizeof(int64_t));
  double *ran = malloc((size_t)nr * 3 * sizeof *ran);
  if (!out->theta_lo || !out->dd || !ran) {
    free(ran);
    hp_stats_wtheta_free(out);
    return hp_fail(st, HP_ERR_NOMEM, "w(theta): %lld random points", (long long)nr);
  }
  out->theta_hi = out->theta_lo + nb;
  out->theta_mid = out->theta_lo + 2 * nb;
  out->w = out->theta_lo + 3 * nb;
  out->err = out->theta_lo + 4 * nb;
  out->dr = out->dd + nb;
  out->rr = out->dd + 2 * nb;
  rc = hp_ang_randoms(f, nr, seed, ran, st);
  if (!rc) rc = hp_ang_pair_count(data, nd, NULL, 0, edges, nbins, nthreads, out->dd, st);
  if (!rc) rc = hp_ang_pair_count(data, nd, ran, nr, edges, nbins, nthreads, out->dr, st);
  if (!rc) rc = hp_ang_pair_count(ran, nr, NULL, 0, edges, nbins, nthreads, out->rr, st);
  free(ran);
  if (rc) {
    hp_stats_wtheta_free(out);
    return hp_error_context(st, "w(theta)");
  }
  const double ndd = 0.5 * (double)nd * (double)(nd - 1), ndr = (double)nd * (double)nr;
  const double nrr = 0.5 * (double)nr * (double)(nr - 1);
  for (int i = 0; i < nbins; i++) {
    out->theta_lo[i] = edges[i];
    out->theta_hi[i] = edges[i + 1];
    out->theta_mid[i] = sqrt(edges[i] * edges[i + 1]);
    const double dd = out->dd[i] / ndd, dr = out->dr[i] / ndr, rr = out->rr[i] / nrr;
    out->w[i] = out->rr[i] > 0 ? (dd - 2 * dr + rr) / rr : NAN;
    out->err[i] = out->dd[i] > 0 ? (1 + out->w[i]) / sqrt((double)out->dd[i]) : NAN;
  }
  return HP_OK;
}
