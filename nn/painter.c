/*
 * Fast CPU inference of the halo painter (Kodi Ramanah, Charnock & Lavaux 2019).
 *
 * Work is split into tiles: (x chunk) x (ty rows in y) x (tz lanes in z) of
 * output voxels. A tile streams its input planes along x: for each new input
 * plane t the block-1 1x1 layers run on it; once 5 planes are there, block-1's
 * output plane t-4 is formed (5x5x5 and 3x3x3 convolutions over the rings,
 * 1x1 branch, residual, leaky ReLU) and the block-2 1x1 layers run on it; once
 * 5 block-1 planes are there, block-2's output plane and the head follow. Each
 * layer keeps a ring of 5 planes, so the memory per thread is fixed by the
 * tile size, whatever the grid, and block 2 computes each voxel once.
 *
 * The engine is specialised to the paper's generator (branch width 10, head
 * 30 -> 10 -> 10 -> 10 -> 10 -> K); hp_painter_create checks the layer list.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nn/painter.h"
#include "nn/painter_kernels.h"
#include "nn/painter_pack.h"
#include "util/memory.h"

#define HP_PAINTER_MAX_TILES (1LL << 26)

#define RING 5 /* planes per ring: the largest kernel side */
#define NB 2   /* residual Inception blocks */

/* One block's packed weights (pointers into the plan's hp_painter_pack). */
typedef struct packed_block {
  const float *w_red, *b_red; /* [cin][30], [30] */
  const float *w5, *b5;       /* [10][5][5][5][10], [10] */
  const float *w3, *b3;       /* [10][3][3][3][10], [10] */
} packed_block;

/* Per-thread planes. Geometry for a tile of ty x tz outputs: block-1 inputs
 * (ty+8) x (tz+8), block-2 inputs (ty+4) x (tz+4), head inputs ty x tz. */
typedef struct workspace {
  float *x;    /* RING slots x 1 channel, geometry 0 */
  float *red1; /* RING slots x 30 channels, geometry 0 */
  float *y1;   /* RING slots x 30 channels, geometry 1 */
  float *red2; /* RING slots x 30 channels, geometry 1 */
  float *y2;   /* 30 channels, geometry 2 */
  float *head; /* K channels, one row, geometry 2 */
} workspace;

typedef struct tile {
  int64_t x0, nx, y0, ny, z0, nz; /* output ranges */
} tile;

struct hp_painter {
  hp_painter_desc d;
  int halo, k_out;
  float slope;
  int64_t out_n[3];
  int ty, tz;             /* largest tile */
  int64_t rows[3], rs[3]; /* rows and row stride of geometries 0, 1, 2 */
  int64_t cs[3];          /* channel stride = rows * rs */
  hp_painter_pack pack;   /* all weights, packed */
  packed_block blk[NB];
  const float *w_head[5], *b_head[5]; /* [cin][cout] */
  workspace *ws;
  int ntiles;
  tile *tiles;
  size_t bytes;
};

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

void hp_painter_destroy(hp_painter *p) {
  if (!p) return;
  hp_painter_pack_free(&p->pack);
  if (p->ws)
    for (int t = 0; t < p->d.nthreads; t++) {
      workspace *w = &p->ws[t];
      float *bufs[] = {w->x, w->red1, w->y1, w->red2, w->y2, w->head};
      for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) hp_free(bufs[i]);
    }
  free(p->ws);
  free(p->tiles);
  free(p);
}

/* Fewest vectors per output lane over both blocks: pick tiles that waste the fewest lanes. */
static int choose_tz(int64_t nz) {
  int best = 0;
  double best_cost = 1e300;
  for (int64_t n = 1; n <= (nz + 15) / 16; n++) {
    const int64_t tz = (nz + n - 1) / n;
    if (tz > 128) continue;
    const double cost =
        (double)n * (double)((tz + 4 + HP_VW - 1) / HP_VW + (tz + HP_VW - 1) / HP_VW);
    if (cost < best_cost - 1e-9) best_cost = cost, best = (int)tz;
  }
  return best > 0 ? best : (int)(nz < 128 ? nz : 128);
}

int hp_painter_create(hp_painter **out, const hp_net *net, const hp_painter_desc *d,
                      hp_status *st) {
  *out = NULL;
  if (hp_painter_check_arch(net, "CPU", st)) return st->code;
  hp_painter *p = calloc(1, sizeof *p);
  if (!p) return hp_fail(st, HP_ERR_NOMEM, "painter: cannot allocate the plan");
  p->d = *d;
  if (p->d.nthreads <= 0) p->d.nthreads = omp_get_max_threads();
  p->halo = hp_net_halo(net);
  p->k_out = net->k_out;
  p->slope = net->slope;
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
  p->tz = d->tile_z > 0 ? d->tile_z : choose_tz(nz);
  if (p->ty > ny) p->ty = (int)ny;
  if (p->tz > nz) p->tz = (int)nz;
  for (int g = 0; g < 3; g++) { /* geometry g: inputs of block g (g = 2: the head) */
    const int grow = 2 * p->halo - 4 * g;
    p->rows[g] = p->ty + grow;
    p->rs[g] = round_up(p->tz + grow, HP_VW) + HP_VW;
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
  /* per-thread planes: input ring, block 1 (reduce, out), block 2 (reduce, out), head */
  const size_t sz[6] = {RING * p->cs[0],      RING * 30 * p->cs[0], RING * 30 * p->cs[1],
                        RING * 30 * p->cs[1], 30 * p->cs[2],        (size_t)p->k_out * p->rs[2]};
  double plane_bytes = 0;
  for (int i = 0; i < 6; i++) plane_bytes += sizeof(float) * (double)sz[i];
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
  /* per-thread planes, zeroed once so that padding lanes are always finite */
  for (int th = 0; th < p->d.nthreads; th++) {
    float **bufs[6] = {&p->ws[th].x,    &p->ws[th].red1, &p->ws[th].y1,
                       &p->ws[th].red2, &p->ws[th].y2,   &p->ws[th].head};
    for (int i = 0; i < 6; i++) {
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

/* Input plane t of a tile (padded coordinates: output index + offset) into ring slot. */
static void load_plane(const hp_painter *p, const tile *tl, const float *rho, int64_t t,
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
    if (p->d.periodic) {
      for (int64_t z = 0; z < w; z++) {
        const int64_t gz = ((tl->z0 + z - h) % n[2] + n[2]) % n[2];
        row[z] = src[gz];
      }
    } else {
      memcpy(row, src + tl->z0, (size_t)w * sizeof(float));
    }
    memset(row + w, 0, (size_t)(rs - w) * sizeof(float));
  }
}

static void conv5(const float *const *in, int64_t ics, int64_t irs, const packed_block *b,
                  float *out, int64_t ocs, int64_t ors, int64_t rows, int64_t nv) {
  hp_pk_conv10(5, in, ics, irs, b->w5, b->b5, out, ocs, ors, rows, nv);
}
static void conv3(const float *const *in, int64_t ics, int64_t irs, const packed_block *b,
                  float *out, int64_t ocs, int64_t ors, int64_t rows, int64_t nv) {
  hp_pk_conv10(3, in, ics, irs, b->w3, b->b3, out, ocs, ors, rows, nv);
}

/* One output plane of block bi: j-th plane from the reduce ring (slots of planes j..j+4) and
 * the block input ring (for the residual); geometry gi -> gi+1. */
static void block_plane(const hp_painter *p, int bi, const float *red_ring, const float *in_ring,
                        int64_t in_cs_slot, int64_t j, int64_t rows_out, int64_t nv, float *out) {
  const int gi = bi, go = bi + 1;
  const int64_t ics = p->cs[gi], irs = p->rs[gi], ocs = p->cs[go], ors = p->rs[go];
  const int64_t slot = 30 * ics;
  const float *in5[5], *in3[3];
  for (int dx = 0; dx < 5; dx++) in5[dx] = red_ring + ((j + dx) % RING) * slot;
  for (int dx = 0; dx < 3; dx++)
    in3[dx] = red_ring + ((j + 1 + dx) % RING) * slot + 10 * ics + irs + 1;
  const packed_block *b = &p->blk[bi];
  conv5(in5, ics, irs, b, out, ocs, ors, rows_out, nv);
  conv3(in3, ics, irs, b, out + 10 * ocs, ocs, ors, rows_out, nv);
  /* 1x1 branch (cropped by 2) and the residual x[channel 0] (cropped by 2), then lrelu */
  const float *c1 = red_ring + ((j + 2) % RING) * slot + 20 * ics + 2 * irs + 2;
  const float *x0 = in_ring + ((j + 2) % RING) * in_cs_slot + 2 * irs + 2;
  const hp_vf slope = hp_vset1(p->slope);
  for (int64_t r = 0; r < rows_out; r++)
    for (int64_t v = 0; v < nv; v++) {
      const int64_t io = r * irs + v * HP_VW, oo = r * ors + v * HP_VW;
      const hp_vf res = hp_vload(x0 + io);
      for (int c = 0; c < 20; c++)
        hp_vstore(out + c * ocs + oo, hp_vlrelu(hp_vadd(hp_vload(out + c * ocs + oo), res), slope));
      for (int c = 0; c < 10; c++)
        hp_vstore(out + (20 + c) * ocs + oo,
                  hp_vlrelu(hp_vadd(hp_vload(c1 + c * ics + io), res), slope));
    }
}

/* Head on one plane of block-2 output: 1x1 layers 30->10->10->10->10 (lrelu) -> K (relu). */
static void head_plane(const hp_painter *p, const float *y2, int64_t rows, int64_t nv,
                       const tile *tl, int64_t gx, float *head, float *const *out) {
  const int64_t cs = p->cs[2], rs = p->rs[2], K = p->k_out;
  const int64_t *on = p->out_n;
  const hp_vf slope = hp_vset1(p->slope), zero = hp_vset1(0.0f);
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t v = 0; v < nv; v++) {
      const int64_t off = r * rs + v * HP_VW;
      hp_vf h[10], g[10];
      const float *w = p->w_head[0], *b = p->b_head[0];
      for (int co = 0; co < 10; co++) h[co] = hp_vset1(b[co]);
      for (int ci = 0; ci < 30; ci++) {
        const hp_vf x = hp_vload(y2 + ci * cs + off);
        for (int co = 0; co < 10; co++) h[co] = hp_vfma(hp_vset1(w[ci * 10 + co]), x, h[co]);
      }
      for (int co = 0; co < 10; co++) h[co] = hp_vlrelu(h[co], slope);
      for (int l = 1; l < 4; l++) {
        w = p->w_head[l], b = p->b_head[l];
        for (int co = 0; co < 10; co++) g[co] = hp_vset1(b[co]);
        for (int ci = 0; ci < 10; ci++)
          for (int co = 0; co < 10; co++) g[co] = hp_vfma(hp_vset1(w[ci * 10 + co]), h[ci], g[co]);
        for (int co = 0; co < 10; co++) h[co] = hp_vlrelu(g[co], slope);
      }
      w = p->w_head[4], b = p->b_head[4];
      for (int64_t k = 0; k < K; k++) {
        hp_vf o = hp_vset1(b[k]);
        for (int ci = 0; ci < 10; ci++) o = hp_vfma(hp_vset1(w[ci * K + k]), h[ci], o);
        hp_vstore(head + k * rs + v * HP_VW, hp_vmax(o, zero));
      }
    }
    for (int64_t k = 0; k < K; k++)
      memcpy(out[k] + (gx * on[1] + tl->y0 + r) * on[2] + tl->z0, head + k * rs,
             (size_t)tl->nz * sizeof(float));
  }
}

/* Stream one tile through the network. */
static void paint_tile(const hp_painter *p, workspace *ws, const tile *tl, const float *rho,
                       float *const *out) {
  const int64_t ry1 = tl->ny + 4, ry2 = tl->ny;
  const int64_t nv0 = (tl->nz + 8 + HP_VW - 1) / HP_VW, rows0 = tl->ny + 8;
  const int64_t slot0 = 30 * p->cs[0], slot1 = 30 * p->cs[1];
  const packed_block *b1 = &p->blk[0], *b2 = &p->blk[1];
  const int64_t nin = tl->nx + 8;
  const int64_t nv1 = (tl->nz + 4 + HP_VW - 1) / HP_VW, nv2 = (tl->nz + HP_VW - 1) / HP_VW;
  for (int64_t t = 0; t < nin; t++) {
    float *xs = ws->x + (t % RING) * p->cs[0];
    load_plane(p, tl, rho, t, xs);
    float *red = ws->red1 + (t % RING) * slot0;
    for (int g = 0; g < 3; g++)
      hp_pk_pointwise10(xs, p->cs[0], 1, b1->w_red + 10 * g, 30, b1->b_red + 10 * g,
                        red + 10 * g * p->cs[0], p->cs[0], rows0, p->rs[0], nv0);
    if (t < 4) continue;
    const int64_t j = t - 4; /* block-1 output plane */
    float *y1 = ws->y1 + (j % RING) * slot1;
    block_plane(p, 0, ws->red1, ws->x, p->cs[0], j, ry1, nv1, y1);
    float *red2 = ws->red2 + (j % RING) * slot1;
    for (int g = 0; g < 3; g++)
      hp_pk_pointwise10(y1, p->cs[1], 30, b2->w_red + 10 * g, 30, b2->b_red + 10 * g,
                        red2 + 10 * g * p->cs[1], p->cs[1], ry1, p->rs[1], nv1);
    if (j < 4) continue;
    const int64_t m = j - 4; /* block-2 output plane = output plane x0 + m */
    block_plane(p, 1, ws->red2, ws->y1, slot1, m, ry2, nv2, ws->y2);
    head_plane(p, ws->y2, ry2, nv2, tl, tl->x0 + m, ws->head, out);
  }
}

int hp_painter_execute(hp_painter *p, const float *density, float *const *out, hp_status *st) {
  if (!density || !out) return hp_fail(st, HP_ERR_INPUT, "painter: NULL density or output");
  for (int k = 0; k < p->k_out; k++)
    if (!out[k]) return hp_fail(st, HP_ERR_INPUT, "painter: output grid %d is NULL", k);
#pragma omp parallel for num_threads(p->d.nthreads) schedule(dynamic, 1)
  for (int t = 0; t < p->ntiles; t++)
    paint_tile(p, &p->ws[omp_get_thread_num()], &p->tiles[t], density, out);
  return HP_OK;
}
