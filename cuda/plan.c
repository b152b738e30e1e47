/* Slab planning for the GPU painter (see cuda/plan.h). */
#include "cuda/plan.h"

#include <string.h>

size_t hp_gpu_slab_bytes(const int64_t in_n[3], const int64_t out_n[3], int periodic, int k_out,
                         int64_t thick, int nbuf) {
  const int64_t h = HP_GPU_HALO, ey = out_n[1], ez = out_n[2];
  const double g0 = (double)(thick + 2 * h) * (ey + 2 * h) * (ez + 2 * h);
  const double g1 = (double)(thick + h) * (ey + h) * (ez + h);
  const double g2 = (double)thick * ey * ez;
  const double raw = periodic ? (double)(thick + 2 * h) * in_n[1] * in_n[2] : g0;
  const double floats =
      nbuf * raw + (periodic ? g0 : 0.0) + 30.0 * (g0 + g1 + g2) + (double)nbuf * k_out * g2;
  const double bytes = floats * sizeof(float);
  return bytes > (double)SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)bytes;
}

int hp_gpu_slab_plan(hp_gpu_slabs *sl, const int64_t in_n[3], int periodic, int k_out,
                     size_t budget, hp_status *st) {
  memset(sl, 0, sizeof *sl);
  for (int a = 0; a < 3; a++) {
    sl->in_n[a] = in_n[a];
    sl->out_n[a] = periodic ? in_n[a] : in_n[a] - 2 * HP_GPU_HALO;
    if (in_n[a] < 1 || sl->out_n[a] < 1)
      return hp_fail(st, HP_ERR_INPUT,
                     "GPU painter: grid %lld x %lld x %lld is too small (%s input needs more "
                     "than %d voxels per side)",
                     (long long)in_n[0], (long long)in_n[1], (long long)in_n[2],
                     periodic ? "periodic" : "non-periodic", periodic ? 0 : 2 * HP_GPU_HALO);
  }
  sl->periodic = periodic;
  sl->k_out = k_out;
  const int64_t nx = sl->out_n[0];
  if (hp_gpu_slab_bytes(in_n, sl->out_n, periodic, k_out, nx, 1) <= budget) {
    sl->thick = nx, sl->nslabs = 1, sl->nbuf = 1;
  } else {
    int64_t lo = 0, hi = nx; /* largest thickness that fits, double-buffered */
    while (lo < hi) {
      const int64_t mid = (lo + hi + 1) / 2;
      if (hp_gpu_slab_bytes(in_n, sl->out_n, periodic, k_out, mid, 2) <= budget)
        lo = mid;
      else
        hi = mid - 1;
    }
    if (lo < 1)
      return hp_fail(st, HP_ERR_NOMEM,
                     "GPU painter: a slab of one plane of %lld x %lld needs %.3f GB of device "
                     "memory, more than the %.3f GB budget",
                     (long long)sl->out_n[1], (long long)sl->out_n[2],
                     hp_gpu_slab_bytes(in_n, sl->out_n, periodic, k_out, 1, 2) / 1e9, budget / 1e9);
    sl->nslabs = (int)((nx + lo - 1) / lo);
    sl->thick = (nx + sl->nslabs - 1) / sl->nslabs; /* even slabs: the same work each */
    sl->nbuf = 2;
  }
  sl->bytes = hp_gpu_slab_bytes(in_n, sl->out_n, periodic, k_out, sl->thick, sl->nbuf);
  return HP_OK;
}

void hp_gpu_slab_range(const hp_gpu_slabs *sl, int i, int64_t *x0, int64_t *nx) {
  *x0 = (int64_t)i * sl->thick;
  const int64_t left = sl->out_n[0] - *x0;
  *nx = left < sl->thick ? left : sl->thick;
}

int hp_gpu_slab_runs(const hp_gpu_slabs *sl, int i, int64_t src[HP_GPU_MAX_RUNS],
                     int64_t len[HP_GPU_MAX_RUNS]) {
  int64_t x0, nx;
  hp_gpu_slab_range(sl, i, &x0, &nx);
  const int64_t need = nx + 2 * HP_GPU_HALO, n = sl->in_n[0];
  if (!sl->periodic) { /* input plane x0 + t feeds output plane x0 + t - halo: no wrap */
    src[0] = x0, len[0] = need;
    return 1;
  }
  int runs = 0;
  int64_t p = ((x0 - HP_GPU_HALO) % n + n) % n, left = need;
  while (left > 0) {
    const int64_t take = n - p < left ? n - p : left;
    src[runs] = p, len[runs] = take, runs++;
    left -= take, p = 0;
  }
  return runs;
}

void hp_gpu_slab_work_init(hp_gpu_slab_work *w, const hp_gpu_slabs *sl, int64_t nx,
                           const hp_gpu_slab_bufs *b, float slope) {
  const int64_t h = HP_GPU_HALO, ey = sl->out_n[1], ez = sl->out_n[2];
  memset(w, 0, sizeof *w);
  w->g2 = (hp_gk_geom){{nx, ey, ez}};
  w->g1 = (hp_gk_geom){{nx + h, ey + h, ez + h}};
  w->g0 = (hp_gk_geom){{nx + 2 * h, ey + 2 * h, ez + 2 * h}};
  w->graw = sl->periodic ? (hp_gk_geom){{nx + 2 * h, sl->in_n[1], sl->in_n[2]}} : w->g0;
  w->x0 = sl->periodic ? b->x : b->raw;
  const float *in[2] = {w->x0, b->y1};
  const hp_gk_geom gin[2] = {w->g0, w->g1}, gout[2] = {w->g1, w->g2};
  float *out[2] = {b->y1, b->y2};
  for (int bi = 0; bi < 2; bi++) {
    const int64_t cs = hp_gk_vox(&gin[bi]), ocs = hp_gk_vox(&gout[bi]);
    /* the 5^3 branch reads reduce channels 0-9 at offset 0; the 3^3 branch channels
     * 10-19 at offset 1 (its crop); the 1x1 branch channels 20-29 at offset 2 */
    w->conv[2 * bi] =
        (hp_gk_conv_args){b->r, gin[bi], 0, in[bi], 2, NULL, out[bi], gout[bi], slope};
    w->conv[2 * bi + 1] = (hp_gk_conv_args){
        b->r + 10 * cs, gin[bi], 1, in[bi], 2, b->r + 20 * cs, out[bi] + 10 * ocs, gout[bi], slope};
  }
}
