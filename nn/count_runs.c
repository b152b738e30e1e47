/* Counts drawn jointly along runs of a Hilbert curve (nn/count_runs.h). */
#include "nn/count_runs.h"

#include <math.h>
#include <stdlib.h>

#include "util/rng.h"

#define BLOCK_VOXELS (HP_RUN_BX * HP_RUN_BYZ * HP_RUN_BYZ)
#define HILBERT_BITS 4 /* the curve of a 16^3 cube; the block is its first HP_RUN_BX x-planes */

/* Position along the Hilbert curve of a 2^HILBERT_BITS cube (Skilling 2004, "Programming the
 * Hilbert curve": axes to transposed index, then the transpose's bits interleaved). */
static uint32_t hilbert_index(const int p[3]) {
  uint32_t x[3] = {(uint32_t)p[0], (uint32_t)p[1], (uint32_t)p[2]};
  for (uint32_t q = 1u << (HILBERT_BITS - 1); q > 1; q >>= 1) { /* inverse undo */
    const uint32_t mask = q - 1;
    for (int i = 0; i < 3; i++)
      if (x[i] & q) {
        x[0] ^= mask;
      } else {
        const uint32_t t = (x[0] ^ x[i]) & mask;
        x[0] ^= t, x[i] ^= t;
      }
  }
  for (int i = 1; i < 3; i++) x[i] ^= x[i - 1]; /* Gray encode */
  uint32_t t = 0;
  for (uint32_t q = 1u << (HILBERT_BITS - 1); q > 1; q >>= 1)
    if (x[2] & q) t ^= q - 1;
  for (int i = 0; i < 3; i++) x[i] ^= t;
  uint32_t h = 0;
  for (int b = HILBERT_BITS - 1; b >= 0; b--)
    for (int i = 0; i < 3; i++) h = (h << 1) | ((x[i] >> b) & 1u);
  return h;
}

static int by_key(const void *a, const void *b) {
  const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

void hp_count_runs_block_order(int16_t order[BLOCK_VOXELS][3]) {
  uint32_t key[BLOCK_VOXELS][2]; /* (curve position, voxel) */
  int v = 0;
  for (int x = 0; x < HP_RUN_BX; x++)
    for (int y = 0; y < HP_RUN_BYZ; y++)
      for (int z = 0; z < HP_RUN_BYZ; z++, v++) {
        const int p[3] = {x, y, z};
        key[v][0] = hilbert_index(p), key[v][1] = (uint32_t)v;
      }
  qsort(key, BLOCK_VOXELS, sizeof key[0], by_key);
  for (v = 0; v < BLOCK_VOXELS; v++) {
    const uint32_t w = key[v][1];
    order[v][0] = (int16_t)(w / (HP_RUN_BYZ * HP_RUN_BYZ));
    order[v][1] = (int16_t)(w / HP_RUN_BYZ % HP_RUN_BYZ);
    order[v][2] = (int16_t)(w % HP_RUN_BYZ);
  }
}

int hp_count_runs_any(const hp_count_dist *d) {
  for (int k = 0; k < d->nbins && k < HP_NET_MAX_K; k++)
    if (d->run[k] > 0) return 1;
  return 0;
}

/* The count for uniform u and P(N >= 1), under the model's tables (NULL: Poisson), from one
 * lookup of the distribution. */
static int64_t count_at(const hp_count_table *t, int k, double mu, double u, double *p_some) {
  if (!t) {
    *p_some = mu > 0 ? -expm1(-mu) : 0;
    return hp_poisson_draw(mu, u);
  }
  double p0;
  const int64_t n = hp_count_draw_p0(t, k, mu, u, &p0);
  *p_some = 1.0 - p0;
  return n;
}

int hp_count_runs_draw(const hp_count_table *t, int k, double run, const float *mean, int64_t mx0,
                       int64_t mnx, int64_t nv, int64_t x0, int64_t nx, uint64_t key, int32_t *out,
                       int nthreads, hp_status *st) {
  const int64_t bx0 = x0 / HP_RUN_BX, bx1 = (x0 + nx + HP_RUN_BX - 1) / HP_RUN_BX;
  const int64_t need0 = bx0 * HP_RUN_BX, need1 = bx1 * HP_RUN_BX < nv ? bx1 * HP_RUN_BX : nv;
  if (!(run > 0) || need0 < mx0 || need1 > mx0 + mnx)
    return hp_fail(st, HP_ERR_INPUT,
                   "count runs: run length %g, means of planes [%lld, %lld) for blocks over "
                   "planes [%lld, %lld)",
                   run, (long long)mx0, (long long)(mx0 + mnx), (long long)need0, (long long)need1);
  int16_t(*order)[3] = malloc(sizeof *order * BLOCK_VOXELS);
  if (!order) return hp_fail(st, HP_ERR_NOMEM, "count runs: out of memory");
  hp_count_runs_block_order(order);
  const int64_t nb = (nv + HP_RUN_BYZ - 1) / HP_RUN_BYZ, nblocks = (bx1 - bx0) * nb * nb;
  const int64_t plane = nv * nv;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 4)
  for (int64_t b = 0; b < nblocks; b++) {
    const int64_t bx = bx0 + b / (nb * nb), by = b / nb % nb, bz = b % nb;
    const uint64_t ctr = ((uint64_t)((bx * nb + by) * nb + bz)) * HP_NET_MAX_K + (uint64_t)k;
    const double phase = run * hp_rng_uniform(hp_rng_at(key, ctr, 0));
    int64_t last = -1; /* the run whose V is in hand */
    double c = 0, vrun = 0;
    for (int v = 0; v < BLOCK_VOXELS; v++) {
      const int64_t x = bx * HP_RUN_BX + order[v][0], y = by * HP_RUN_BYZ + order[v][1],
                    z = bz * HP_RUN_BYZ + order[v][2];
      if (x >= nv || y >= nv || z >= nv) continue; /* a block at the grid's edge */
      const double mu = mean[(x - mx0) * plane + y * nv + z];
      const int64_t r = (int64_t)floor((c + phase) / run);
      if (r != last) vrun = hp_rng_uniform(hp_rng_at(key, ctr, (uint64_t)(r + 1))), last = r;
      const double u = vrun + c - floor(vrun + c); /* fmod(vrun + c, 1), exact, no call */
      double p;
      const int64_t n = count_at(t, k, mu, u, &p); /* a ghost plane's voxel: p alone is used */
      if (x >= x0 && x < x0 + nx) out[(x - x0) * plane + y * nv + z] = (int32_t)n;
      c += p;
    }
  }
  free(order);
  return HP_OK;
}
