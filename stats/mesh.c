/*
 * Particles -> density contrast modes on a mesh (mesh.h): NGP / CIC / TSC assignment (Hockney
 * & Eastwood 1981), interlacing (Sefusatti, Crocce, Scoccimarro & Couchman 2016, MNRAS 460,
 * 3624), window deconvolution, shot noise. The deposit is threaded and bit-identical for any
 * thread count: fixed chunks of particles are stably counting-sorted by the x-plane of their
 * first voxel, and each mesh plane is filled by one thread from the buckets that reach it, in
 * bucket order then particle order.
 */
#include "stats/mesh.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/** Particles per block of the deterministic weight sums. */
#define SUM_BLOCK 4096

struct hp_stats_mesh {
  hp_stats_mesh_desc d;
  hp_stats_fft *fft;
  float *scratch;  /* padded mesh of the interlaced deposit (NULL without interlacing) */
  int32_t *plane;  /* [chunk] first x voxel of each particle of the chunk */
  int32_t *idx;    /* [chunk] chunk-local indices sorted by plane (stable) */
  int64_t *hist;   /* [nthreads][n] counts, then scatter offsets */
  int64_t *bstart; /* [n + 1] bucket starts */
  double *blk;     /* [3 * nblocks] partial sums of w, w^2, w^3 per block */
  double *su;      /* [3 * chunk] grid coordinates of the chunk's particles, sorted order */
  float *sw;       /* [chunk] their weights, sorted order */
  double *w1;      /* [n] window divided out per axis (1 without deconvolution) */
  double *cs;      /* [2 n] cos, sin of the interlacing phase k H/2 per axis */
};

int hp_stats_mesh_create(hp_stats_mesh **out, const hp_stats_mesh_desc *d, hp_status *st) {
  *out = NULL;
  if (d->n < 2 || d->n > 4096)
    return hp_fail(st, HP_ERR_INPUT, "mesh: side %lld must be in [2, 4096]", (long long)d->n);
  if (!(d->box > 0) || !isfinite(d->box))
    return hp_fail(st, HP_ERR_INPUT, "mesh: box side %g Mpc/h must be finite and > 0", d->box);
  if (d->window < HP_WIN_NGP || d->window > HP_WIN_TSC)
    return hp_fail(st, HP_ERR_INPUT, "mesh: window %d must be NGP (1), CIC (2) or TSC (3)",
                   d->window);
  hp_stats_mesh *m = calloc(1, sizeof *m);
  if (!m) return hp_fail(st, HP_ERR_NOMEM, "mesh: cannot allocate the plan");
  m->d = *d;
  if (m->d.nthreads <= 0) m->d.nthreads = omp_get_max_threads();
  m->d.interlace = d->interlace != 0;
  m->d.deconvolve = d->deconvolve != 0;
  const int64_t n = d->n, T = m->d.nthreads, nblk = HP_STATS_CHUNK / SUM_BLOCK;
  if (hp_stats_fft_create(&m->fft, n, m->d.nthreads, st)) goto fail;
  if (!(m->plane = hp_alloc((size_t)HP_STATS_CHUNK * sizeof *m->plane, "mesh sort", st)) ||
      !(m->idx = hp_alloc((size_t)HP_STATS_CHUNK * sizeof *m->idx, "mesh sort", st)) ||
      !(m->hist = hp_alloc((size_t)(T * n) * sizeof *m->hist, "mesh histogram", st)) ||
      !(m->bstart = hp_alloc((size_t)(n + 1) * sizeof *m->bstart, "mesh buckets", st)) ||
      !(m->blk = hp_alloc((size_t)(3 * nblk) * sizeof *m->blk, "mesh sums", st)) ||
      !(m->su = hp_alloc((size_t)(3 * HP_STATS_CHUNK) * sizeof *m->su, "mesh sort", st)) ||
      !(m->sw = hp_alloc((size_t)HP_STATS_CHUNK * sizeof *m->sw, "mesh sort", st)) ||
      !(m->w1 = hp_alloc((size_t)n * sizeof *m->w1, "mesh tables", st)) ||
      !(m->cs = hp_alloc((size_t)(2 * n) * sizeof *m->cs, "mesh tables", st)))
    goto fail;
  for (int64_t i = 0; i < n; i++) {
    const int64_t s = i <= n / 2 ? i : i - n;
    m->w1[i] = m->d.deconvolve ? hp_stats_window1d(m->d.window, n, s) : 1.0;
    m->cs[2 * i] = cos(M_PI * (double)s / (double)n); /* e^{i k H/2} per axis */
    m->cs[2 * i + 1] = sin(M_PI * (double)s / (double)n);
  }
  if (m->d.interlace &&
      !(m->scratch = hp_alloc((size_t)(n * n * 2 * (n / 2 + 1)) * sizeof *m->scratch,
                              "the interlaced mesh", st)))
    goto fail;
  *out = m;
  return HP_OK;
fail:
  hp_error_context(st, "mesh %lld^3", (long long)n);
  hp_stats_mesh_destroy(m);
  return st->code;
}

void hp_stats_mesh_destroy(hp_stats_mesh *m) {
  if (!m) return;
  hp_stats_fft_destroy(m->fft);
  hp_free(m->scratch);
  hp_free(m->plane);
  hp_free(m->idx);
  hp_free(m->hist);
  hp_free(m->bstart);
  hp_free(m->blk);
  hp_free(m->su);
  hp_free(m->sw);
  hp_free(m->w1);
  hp_free(m->cs);
  free(m);
}

const hp_stats_mesh_desc *hp_stats_mesh_get_desc(const hp_stats_mesh *m) { return &m->d; }
const hp_stats_fft *hp_stats_mesh_fft(const hp_stats_mesh *m) { return m->fft; }

/* Coordinates of particle i [Mpc/h] (positions, or lattice point + displacement), times
 * inv_h plus off: grid units with voxel centres at integers. */
static inline void grid_coords(const hp_cic_particles *p, int64_t i, double qstep, double inv_h,
                               double off, double u[3]) {
  const int64_t k = i * p->stride;
  u[0] = (double)p->x[k];
  u[1] = (double)p->y[k];
  u[2] = (double)p->z[k];
  if (p->lattice_np > 0) {
    const int64_t np = p->lattice_np, t = i / np, a = t / np; /* i = (a np + b) np + c */
    u[0] += (double)a * qstep;
    u[1] += (double)(t - a * np) * qstep;
    u[2] += (double)(i - t * np) * qstep;
  }
  for (int c = 0; c < 3; c++) u[c] = u[c] * inv_h + off;
}

/* Weights of one axis for grid coordinate u (centres at integers): first voxel (wrapped into
 * [0, n)) and p weights. Returns 1 for a non-finite u. */
static inline int axis_weights(double u, int p, int64_t n, int64_t *first, float w[3]) {
  if (!isfinite(u)) return 1;
  double base;
  if (p == 1) {
    base = floor(u + 0.5);
    w[0] = 1.0f;
  } else if (p == 2) {
    base = floor(u);
    const double t = u - base;
    w[0] = (float)(1.0 - t);
    w[1] = (float)t;
  } else {
    const double r = floor(u + 0.5), dd = u - r;
    w[0] = (float)(0.5 * (0.5 - dd) * (0.5 - dd));
    w[1] = (float)(0.75 - dd * dd);
    w[2] = (float)(0.5 * (0.5 + dd) * (0.5 + dd));
    base = r - 1.0;
  }
  const double nd = (double)n;
  double f = base; /* an integer-valued double: wrapping it is exact */
  if (f < 0.0 || f >= nd) {
    if (f >= -nd && f < 0.0)
      f += nd;
    else if (f >= nd && f < 2.0 * nd)
      f -= nd;
    else {
      f = fmod(f, nd);
      if (f < 0) f += nd;
    }
  }
  int64_t i = (int64_t)f;
  if (i >= n) i -= n; /* only for f = -0.0 + n rounding; cannot happen for integers */
  *first = i;
  return 0;
}

/*
 * Add the particles' assignment weights (times their weights) to g, rows of length rowlen
 * (n for a plain mesh, 2(n/2+1) for a padded one), positions moved by shift cells on every
 * axis. Fills sums[0..2] with sum w, sum w^2, sum w^3 (fixed-order double sums).
 */
static int deposit(hp_stats_mesh *m, const hp_cic_particles *parts, float *g, int64_t rowlen,
                   double shift, double sums[3], hp_status *st) {
  const int64_t n = m->d.n, T = m->d.nthreads, N = parts->n;
  const int p = m->d.window;
  const double inv_h = (double)n / m->d.box;
  const double qstep = parts->lattice_np > 0 ? m->d.box / (double)parts->lattice_np : 0.0;
  const double off = shift - 0.5;
  sums[0] = sums[1] = sums[2] = 0.0;
  for (int64_t c0 = 0; c0 < N; c0 += HP_STATS_CHUNK) {
    const int64_t cm = N - c0 < HP_STATS_CHUNK ? N - c0 : HP_STATS_CHUNK;
    int64_t bad = INT64_MAX;
    memset(m->hist, 0, (size_t)(T * n) * sizeof *m->hist);
    /* 1. first x-plane of every particle, per-range histograms, finiteness of all axes */
#pragma omp parallel num_threads((int)T) reduction(min : bad)
    {
      const int64_t nth = omp_get_num_threads();
      for (int64_t t = omp_get_thread_num(); t < T; t += nth) {
        int64_t *h = m->hist + t * n;
        for (int64_t j = cm * t / T; j < cm * (t + 1) / T; j++) {
          const int64_t i = c0 + j;
          int64_t f[3] = {0, 0, 0};
          float w[3];
          double u[3];
          int nf = 0;
          grid_coords(parts, i, qstep, inv_h, off, u);
          for (int c = 0; c < 3; c++) nf |= axis_weights(u[c], p, n, &f[c], w);
          if (nf) {
            if (i < bad) bad = i;
            f[0] = 0;
          }
          m->plane[j] = (int32_t)f[0];
          h[f[0]]++;
        }
      }
    }
    double bad_u[3] = {0, 0, 0};
    if (bad != INT64_MAX) grid_coords(parts, bad, qstep, 1.0, 0.0, bad_u);
    if (bad != INT64_MAX)
      return hp_fail(st, HP_ERR_INPUT, "particle %lld has a non-finite coordinate (%g, %g, %g)",
                     (long long)bad, bad_u[0], bad_u[1], bad_u[2]);
    /* 2. offsets in (plane, range) order: the stable sort, whatever T */
    int64_t pos = 0;
    for (int64_t b = 0; b < n; b++) {
      m->bstart[b] = pos;
      for (int64_t t = 0; t < T; t++) {
        const int64_t c = m->hist[t * n + b];
        m->hist[t * n + b] = pos;
        pos += c;
      }
    }
    m->bstart[n] = pos;
#pragma omp parallel num_threads((int)T)
    {
      const int64_t nth = omp_get_num_threads();
      for (int64_t t = omp_get_thread_num(); t < T; t += nth) {
        int64_t *h = m->hist + t * n;
        for (int64_t j = cm * t / T; j < cm * (t + 1) / T; j++)
          m->idx[h[m->plane[j]]++] = (int32_t)j;
      }
    }
    /* 3. weight sums in fixed blocks */
    const int64_t nblk = (cm + SUM_BLOCK - 1) / SUM_BLOCK;
    int badw = 0;
#pragma omp parallel for num_threads((int)T) schedule(static) reduction(| : badw)
    for (int64_t b = 0; b < nblk; b++) {
      double s1 = 0, s2 = 0, s3 = 0;
      const int64_t j1 = (b + 1) * SUM_BLOCK < cm ? (b + 1) * SUM_BLOCK : cm;
      for (int64_t j = b * SUM_BLOCK; j < j1; j++) {
        const double w = parts->weight ? (double)parts->weight[(c0 + j) * parts->wstride] : 1.0;
        if (!isfinite(w)) badw = 1;
        s1 += w;
        s2 += w * w;
        s3 += w * w * w;
      }
      m->blk[3 * b] = s1;
      m->blk[3 * b + 1] = s2;
      m->blk[3 * b + 2] = s3;
    }
    if (badw) return hp_fail(st, HP_ERR_INPUT, "a particle weight is not finite");
    for (int64_t b = 0; b < nblk; b++)
      for (int c = 0; c < 3; c++) sums[c] += m->blk[3 * b + c];
        /* 4. gather the coordinates and weights in sorted order (the only random reads) */
#pragma omp parallel for num_threads((int)T) schedule(static)
    for (int64_t k = 0; k < cm; k++) {
      const int64_t i = c0 + m->idx[k];
      grid_coords(parts, i, qstep, inv_h, off, m->su + 3 * k);
      m->sw[k] = parts->weight ? parts->weight[i * parts->wstride] : 1.0f;
    }
    /* 5. each plane x from buckets x, x-1, ..., x-p+1 (one thread per plane) */
#pragma omp parallel for num_threads((int)T) schedule(dynamic, 1)
    for (int64_t x = 0; x < n; x++) {
      for (int o = 0; o < p; o++) {
        const int64_t b = ((x - o) % n + n) % n;
        for (int64_t k = m->bstart[b]; k < m->bstart[b + 1]; k++) {
          const double *u = m->su + 3 * k;
          int64_t f[3] = {0, 0, 0};
          float wx[3] = {0}, wy[3] = {0}, wz[3] = {0};
          axis_weights(u[0], p, n, &f[0], wx);
          axis_weights(u[1], p, n, &f[1], wy);
          axis_weights(u[2], p, n, &f[2], wz);
          const float ax = wx[o] * m->sw[k];
          for (int a = 0; a < p; a++) {
            int64_t y = f[1] + a;
            if (y >= n) y -= n;
            float *row = g + (x * n + y) * rowlen;
            const float axy = ax * wy[a];
            for (int c = 0; c < p; c++) {
              int64_t z = f[2] + c;
              if (z >= n) z -= n;
              row[z] += axy * wz[c];
            }
          }
        }
      }
    }
  }
  return HP_OK;
}

static void zero_floats(float *a, int64_t nf, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t i = 0; i < nf; i++) a[i] = 0.0f;
}

static int check_parts(const hp_stats_mesh *m, const hp_cic_particles *parts, hp_status *st) {
  if (parts->n < 1) return hp_fail(st, HP_ERR_INPUT, "no particles to assign");
  if (!parts->x || !parts->y || !parts->z || parts->stride < 1)
    return hp_fail(st, HP_ERR_INPUT, "particles: missing coordinates or stride < 1");
  if (parts->weight && parts->wstride < 1)
    return hp_fail(st, HP_ERR_INPUT, "particles: weight stride < 1");
  if (parts->lattice_np < 0 ||
      (parts->lattice_np > 0 &&
       parts->lattice_np * parts->lattice_np * parts->lattice_np != parts->n))
    return hp_fail(st, HP_ERR_INPUT, "particles: lattice_np = %lld does not match n = %lld",
                   (long long)parts->lattice_np, (long long)parts->n);
  (void)m;
  return HP_OK;
}

int hp_stats_mesh_execute(hp_stats_mesh *m, const hp_cic_particles *parts, hp_stats_field *out,
                          hp_status *st) {
  const int64_t n = m->d.n, nzc = n / 2 + 1;
  const int T = m->d.nthreads;
  if (!out->dk || out->n != n || out->box != m->d.box)
    return hp_fail(st, HP_ERR_INPUT,
                   "mesh: the output field (side %lld, box %g) does not match "
                   "the plan (side %lld, box %g)",
                   (long long)out->n, out->box, (long long)n, m->d.box);
  if (check_parts(m, parts, st)) return st->code;
  double sums[3], sums2[3];
  float *g1 = (float *)out->dk;
  zero_floats(g1, n * n * 2 * nzc, T);
  if (deposit(m, parts, g1, 2 * nzc, 0.0, sums, st)) return hp_error_context(st, "mesh");
  if (!(sums[0] > 0))
    return hp_fail(st, HP_ERR_INPUT, "mesh: the total weight %g is not positive", sums[0]);
  hp_stats_fft_r2c(m->fft, g1);
  if (m->d.interlace) {
    zero_floats(m->scratch, n * n * 2 * nzc, T);
    if (deposit(m, parts, m->scratch, 2 * nzc, 0.5, sums2, st))
      return hp_error_context(st, "mesh (interlaced)");
    hp_stats_fft_r2c(m->fft, m->scratch);
  }
  const double vol = m->d.box * m->d.box * m->d.box, norm = vol / sums[0];
  const double *w1 = m->w1, *cs = m->cs;
  float(*f1)[2] = out->dk, (*f2)[2] = (float(*)[2])m->scratch;
  const int il = m->d.interlace;
#pragma omp parallel for num_threads(T) schedule(static)
  for (int64_t ix = 0; ix < n; ix++)
    for (int64_t iy = 0; iy < n; iy++) {
      const double wxy = w1[ix] * w1[iy];
      /* e^{i(theta_x + theta_y)} */
      const double pr = cs[2 * ix] * cs[2 * iy] - cs[2 * ix + 1] * cs[2 * iy + 1];
      const double pim = cs[2 * ix] * cs[2 * iy + 1] + cs[2 * ix + 1] * cs[2 * iy];
      const int64_t base = (ix * n + iy) * nzc;
      for (int64_t iz = 0; iz < nzc; iz++) {
        const double f = norm / (wxy * w1[iz]);
        double re = f1[base + iz][0], im = f1[base + iz][1];
        if (il) {
          const double er = pr * cs[2 * iz] - pim * cs[2 * iz + 1];
          const double ei = pr * cs[2 * iz + 1] + pim * cs[2 * iz];
          const double r2 = f2[base + iz][0], i2 = f2[base + iz][1];
          re = 0.5 * (re + er * r2 - ei * i2);
          im = 0.5 * (im + er * i2 + ei * r2);
        }
        f1[base + iz][0] = (float)(re * f);
        f1[base + iz][1] = (float)(im * f);
      }
    }
  out->dk[0][0] = out->dk[0][1] = 0.0f;
  out->window = m->d.window;
  out->deconvolved = m->d.deconvolve;
  out->interlaced = il;
  out->count = parts->n;
  out->wsum = sums[0];
  out->nbar = (double)parts->n / vol;
  out->shot = vol * sums[1] / (sums[0] * sums[0]);
  out->shot3 = vol * vol * sums[2] / (sums[0] * sums[0] * sums[0]);
  if (parts->lattice_np > 0) out->shot = out->shot3 = 0.0; /* a lattice is not Poisson */
  return HP_OK;
}

int hp_stats_mesh_density(hp_stats_mesh *m, const hp_cic_particles *parts, float *grid,
                          hp_status *st) {
  const int64_t n = m->d.n, n3 = n * n * n;
  if (check_parts(m, parts, st)) return st->code;
  double sums[3];
  zero_floats(grid, n3, m->d.nthreads);
  if (deposit(m, parts, grid, n, 0.0, sums, st)) return hp_error_context(st, "mesh density");
  if (!(sums[0] > 0))
    return hp_fail(st, HP_ERR_INPUT, "mesh density: the total weight %g is not positive", sums[0]);
  const float f = (float)((double)n3 / sums[0]);
#pragma omp parallel for num_threads(m->d.nthreads) schedule(static)
  for (int64_t i = 0; i < n3; i++) grid[i] *= f;
  return HP_OK;
}
