/*
 * Fast CPU inference of the halo painter (Kodi Ramanah, Charnock & Lavaux 2019).
 *
 * Work is split into tiles: (x chunk) x (ty rows in y) x (tz lanes in z) of
 * output voxels. A tile streams its input planes along x into a ring of 5; once
 * 5 planes are there, block-1's output plane t-4 is formed straight from them
 * (block 1's 1x1 reduce is linear on one channel, so the pack folds it into
 * one-channel 5x5x5 and 3x3x3 convolutions: nn/painter_pack.h) and the block-2
 * 1x1 layers run on it; once 5 block-1 planes are there, block-2's output plane
 * and the head follow. The residual and the leaky ReLU are applied as each
 * convolution stores its outputs. Each layer keeps a ring of 5 planes, so the
 * memory per thread is fixed by the tile size, whatever the grid, and block 2
 * computes each voxel once.
 *
 * The engine is specialised to the paper's generator (branch width 10, head
 * 30 -> 10 -> 10 -> 10 -> 10 -> K); hp_painter_create checks the layer list.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nn/painter.h"
#include "nn/painter_internal.h"
#include "util/memory.h"

#define HP_PAINTER_MAX_TILES (1LL << 26)
#define NBUF 5 /* per-thread plane buffers (struct workspace) */

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

void hp_painter_destroy(hp_painter *p) {
  if (!p) return;
  hp_painter_pack_free(&p->pack);
  if (p->ws)
    for (int t = 0; t < p->d.nthreads; t++) {
      workspace *w = &p->ws[t];
      float *bufs[] = {w->x, w->y1, w->red2, w->y2, w->head};
      for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) hp_free(bufs[i]);
    }
  free(p->ws);
  free(p->tiles);
  free(p);
}

/* Fewest vectors per output lane, each block's weighted by its multiply-adds (block 1, folded:
 * 1,530; block 2: 16,100): pick tiles that waste the fewest lanes. */
static int choose_tz(int64_t nz, int64_t vw) {
  int best = 0;
  double best_cost = 1e300;
  for (int64_t n = 1; n <= (nz + 15) / 16; n++) {
    const int64_t tz = (nz + n - 1) / n;
    if (tz > 128) continue;
    const double cost = (double)n * (1530.0 * (double)((tz + 4 + vw - 1) / vw) +
                                     16100.0 * (double)((tz + vw - 1) / vw));
    if (cost < best_cost - 1e-9) best_cost = cost, best = (int)tz;
  }
  return best > 0 ? best : (int)(nz < 128 ? nz : 128);
}

/* The vector paths, fastest first: the x86 ones where the build has them (any x86-64 build
 * does, each file with its own -march) and the CPU runs their instructions. */
static const struct {
  const char *key, *name;
  int vw;
  hp_painter_tile_fn fn;
} paths[] = {
#if defined(__x86_64__)
    {"avx512", "AVX-512", 16, hp_painter_tile_avx512},
    {"avx2", "AVX2+FMA", 8, hp_painter_tile_avx2},
#endif
    {"portable", "portable", 8, hp_painter_tile_portable},
};
enum { NPATHS = sizeof paths / sizeof paths[0] };

static int cpu_runs(const char *key) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!strcmp(key, "avx512")) return __builtin_cpu_supports("avx512f");
  if (!strcmp(key, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return !strcmp(key, "portable");
}

/* The fastest path this CPU runs, or the one HALOPAINT_SIMD names (refused where it cannot). */
static int choose_path(hp_painter *p, hp_status *st) {
  const char *want = getenv("HALOPAINT_SIMD");
  if (want && *want && strcmp(want, "auto")) {
    for (int i = 0; i < NPATHS; i++)
      if (!strcmp(want, paths[i].key)) {
        if (!cpu_runs(want))
          return hp_fail(st, HP_ERR_INPUT, "HALOPAINT_SIMD=%s: this CPU does not run %s", want,
                         paths[i].name);
        p->simd = paths[i].name, p->vw = paths[i].vw, p->paint_tile = paths[i].fn;
        return HP_OK;
      }
    return hp_fail(st, HP_ERR_INPUT, "HALOPAINT_SIMD=%s: expected auto, portable%s", want,
#if defined(__x86_64__)
                   ", avx2 or avx512"
#else
                   ""
#endif
    );
  }
  for (int i = 0; i < NPATHS; i++)
    if (cpu_runs(paths[i].key)) {
      p->simd = paths[i].name, p->vw = paths[i].vw, p->paint_tile = paths[i].fn;
      break;
    }
  return HP_OK;
}

const char *hp_painter_simd(const hp_painter *p) { return p->simd; }
void hp_painter_tiles(const hp_painter *p, int *ty, int *tz, int *measured) {
  *ty = p->ty, *tz = p->tz, *measured = p->tuned;
}

int hp_painter_create(hp_painter **out, const hp_net *net, const hp_painter_desc *d,
                      hp_status *st) {
  *out = NULL;
  if (hp_painter_check_arch(net, "CPU", st)) return st->code;
  hp_painter *p = calloc(1, sizeof *p);
  if (!p) return hp_fail(st, HP_ERR_NOMEM, "painter: cannot allocate the plan");
  if (choose_path(p, st)) {
    free(p);
    return hp_error_context(st, "painter");
  }
  p->d = *d;
  if (p->d.nthreads <= 0) p->d.nthreads = omp_get_max_threads();
  p->halo = hp_net_halo(net);
  p->k_out = net->k_out;
  p->slope = net->slope;
  /* block 1's 10 -> 10 branches (and their 1 -> 20 reduce) become 1 -> 10 convolutions */
  p->macs = hp_net_macs_per_voxel(net) - 100.0 * (125 + 27) - 20 + 10.0 * (125 + 27);
  for (int a = 0; a < 3; a++) {
    p->out_n[a] = d->periodic ? d->n[a] : d->n[a] - 2 * p->halo;
    if (d->n[a] < 1 || p->out_n[a] < 1) {
      const int halo = p->halo; /* read before the plan is freed */
      hp_painter_destroy(p);
      return hp_fail(st, HP_ERR_INPUT,
                     "painter: grid %lld x %lld x %lld is too small (%s input needs more than "
                     "%d voxels per side)",
                     (long long)d->n[0], (long long)d->n[1], (long long)d->n[2],
                     d->periodic ? "periodic" : "non-periodic", d->periodic ? 0 : 2 * halo);
    }
  }
  const int64_t ny = p->out_n[1], nz = p->out_n[2];
  p->ty = d->tile_y > 0 ? d->tile_y : (int)((ny + (ny + 63) / 64 - 1) / ((ny + 63) / 64));
  p->tz = d->tile_z > 0 ? d->tile_z : choose_tz(nz, p->vw);
  if (p->ty > ny) p->ty = (int)ny;
  if (p->tz > nz) p->tz = (int)nz;
  const double nout = (double)p->out_n[0] * (double)ny * (double)nz;
  if (d->tile_y <= 0 && d->tile_z <= 0 && d->planner == HP_PLAN_MEASURE &&
      nout >= HP_PAINTER_TUNE_MIN && nout <= HP_PAINTER_TUNE_MAX)
    p->tuned = hp_painter_tune(net, &p->d, p->simd, p->out_n[0], ny, nz, &p->ty, &p->tz);
  for (int g = 0; g < 3; g++) { /* geometry g: inputs of block g (g = 2: the head) */
    const int grow = 2 * p->halo - 4 * g;
    p->rows[g] = p->ty + grow;
    p->rs[g] = round_up(p->tz + grow, p->vw) + p->vw;
    p->cs[g] = p->rows[g] * p->rs[g];
  }
  /* tiles: y and z tiles through all x, x split only to give every thread work */
  const int64_t nty = (ny + p->ty - 1) / p->ty, ntz = (nz + p->tz - 1) / p->tz;
  int64_t nxc = (p->d.nthreads + nty * ntz - 1) / (nty * ntz);
  if (nxc > p->out_n[0]) nxc = p->out_n[0];
  const int64_t xc = (p->out_n[0] + nxc - 1) / nxc;
  nxc = (p->out_n[0] + xc - 1) / xc;
  /* planned before allocating: the tile list and every thread's planes (a 2e6^3 grid or
   * 10^5 threads would otherwise ask for tens of GB) */
  const double tile_bytes = (double)nxc * nty * ntz * sizeof(tile);
  /* per-thread planes: input ring, block-1 output ring, block-2 reduce ring and output, head */
  const size_t sz[NBUF] = {RING * p->cs[0], RING * 30 * p->cs[1], RING * 30 * p->cs[1],
                           30 * p->cs[2], (size_t)p->k_out * p->rs[2]};
  double plane_bytes = 0;
  for (int i = 0; i < NBUF; i++) plane_bytes += sizeof(float) * (double)sz[i];
  if (nxc * nty * ntz > HP_PAINTER_MAX_TILES) { /* 3 GB of descriptors; 4096^3 needs ~10^4 */
    hp_painter_destroy(p);
    return hp_fail(st, HP_ERR_INPUT, "painter: %lld tiles: the grid is too large for one plan",
                   (long long)(nxc * nty * ntz));
  }
  const int nthreads = p->d.nthreads; /* read before the plan is freed */
  if (hp_memory_check(tile_bytes + plane_bytes * nthreads, 0, "painter plan", st)) {
    hp_painter_destroy(p);
    return hp_error_context(st, "%lld x %lld x %lld grid, %d threads", (long long)d->n[0],
                            (long long)d->n[1], (long long)d->n[2], nthreads);
  }
  p->ntiles = (int)(nxc * nty * ntz);
  p->tiles = calloc((size_t)p->ntiles, sizeof *p->tiles);
  p->ws = calloc((size_t)p->d.nthreads, sizeof *p->ws);
  if (!p->tiles || !p->ws) goto nomem;
  int t = 0;
  for (int64_t ix = 0; ix < nxc; ix++)
    for (int64_t iy = 0; iy < nty; iy++)
      for (int64_t iz = 0; iz < ntz; iz++, t++) {
        tile *tl = &p->tiles[t];
        tl->x0 = ix * xc, tl->nx = p->out_n[0] - tl->x0 < xc ? p->out_n[0] - tl->x0 : xc;
        tl->y0 = iy * p->ty, tl->ny = ny - tl->y0 < p->ty ? ny - tl->y0 : p->ty;
        tl->z0 = iz * p->tz, tl->nz = nz - tl->z0 < p->tz ? nz - tl->z0 : p->tz;
      }
  /* packed weights */
  if (hp_painter_pack_create(&p->pack, net, "CPU", st)) {
    hp_painter_destroy(p);
    return st->code;
  }
  p->bytes += p->pack.nfloats * sizeof(float);
  for (int bi = 0; bi < NB; bi++) {
    const hp_pack_block *o = &p->pack.blk[bi];
    const float *w = p->pack.w;
    p->blk[bi] = (packed_block){w + o->red_w, w + o->red_b, w + o->c5_w,
                                w + o->c5_b,  w + o->c3_w,  w + o->c3_b};
  }
  for (int i = 0; i < 5; i++) {
    p->w_head[i] = p->pack.w + p->pack.head_w[i];
    p->b_head[i] = p->pack.w + p->pack.head_b[i];
  }
  p->fold5_w = p->pack.w + p->pack.f5_w, p->fold5_b = p->pack.w + p->pack.f5_b;
  p->fold3_w = p->pack.w + p->pack.f3_w, p->fold3_b = p->pack.w + p->pack.f3_b;
  /* per-thread planes, zeroed once so that padding lanes are always finite */
  for (int th = 0; th < p->d.nthreads; th++) {
    float **bufs[NBUF] = {&p->ws[th].x, &p->ws[th].y1, &p->ws[th].red2, &p->ws[th].y2,
                          &p->ws[th].head};
    for (int i = 0; i < NBUF; i++) {
      *bufs[i] = hp_alloc(sz[i] * sizeof(float), "painter tile buffers", st);
      if (!*bufs[i]) {
        hp_painter_destroy(p);
        return st->code;
      }
      memset(*bufs[i], 0, sz[i] * sizeof(float));
      p->bytes += sz[i] * sizeof(float);
    }
  }
  *out = p;
  return HP_OK;
nomem:
  hp_painter_destroy(p);
  return hp_fail(st, HP_ERR_NOMEM, "painter: cannot allocate the plan");
}

int64_t hp_painter_first_nonfinite(const float *x, int64_t nv) {
  int64_t first = nv;
#pragma omp parallel for reduction(min : first) schedule(static)
  for (int64_t i = 0; i < nv; i++)
    if (!isfinite(x[i]) && i < first) first = i;
  return first < nv ? first : -1;
}

void hp_painter_out_shape(const hp_painter *p, int64_t out[3]) {
  for (int a = 0; a < 3; a++) out[a] = p->out_n[a];
}
size_t hp_painter_workspace_bytes(const hp_painter *p) { return p->bytes; }
double hp_painter_macs_per_voxel(const hp_painter *p) { return p->macs; }

void hp_painter_load_plane(const hp_painter *p, const tile *tl, const float *rho, int64_t t,
                           float *dst) {
  const int64_t *n = p->d.n, h = p->halo;
  const int64_t rows = tl->ny + 2 * h, w = tl->nz + 2 * h, rs = p->rs[0];
  int64_t gx = tl->x0 + t;
  if (p->d.periodic) gx = ((gx - h) % n[0] + n[0]) % n[0];
  for (int64_t r = 0; r < rows; r++) {
    int64_t gy = tl->y0 + r;
    if (p->d.periodic) gy = ((gy - h) % n[1] + n[1]) % n[1];
    const float *src = rho + (gx * n[1] + gy) * n[2];
    float *row = dst + r * rs;
    if (p->d.periodic) /* whole runs of the periodic row: the wrap splits it at most twice */
      for (int64_t z = 0; z < w;) {
        const int64_t gz = ((tl->z0 + z - h) % n[2] + n[2]) % n[2];
        const int64_t run = n[2] - gz < w - z ? n[2] - gz : w - z;
        memcpy(row + z, src + gz, (size_t)run * sizeof(float));
        z += run;
      }
    else
      memcpy(row, src + tl->z0, (size_t)w * sizeof(float));
    for (int64_t z = w; z < rs; z++) row[z] = 0.0f;
  }
}

int hp_painter_execute(hp_painter *p, const float *density, float *const *out, hp_status *st) {
  if (!density || !out) return hp_fail(st, HP_ERR_INPUT, "painter: NULL density or output");
  for (int k = 0; k < p->k_out; k++)
    if (!out[k]) return hp_fail(st, HP_ERR_INPUT, "painter: output grid %d is NULL", k);
#pragma omp parallel for num_threads(p->d.nthreads) schedule(dynamic, 1)
  for (int t = 0; t < p->ntiles; t++)
    p->paint_tile(p, &p->ws[omp_get_thread_num()], &p->tiles[t], density, out);
  return HP_OK;
}
