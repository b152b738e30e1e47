/*
 * The painter's tile kernels, compiled once per vector path: nn/painter_tile_portable.c,
 * painter_tile_avx2.c and painter_tile_avx512.c define HP_PAINTER_TILE (the exported name) and
 * are built with their own -march (Makefile), so nn/simd.h picks that path's vector type.
 * nn/painter.c chooses one at plan time (runtime dispatch: one binary for any x86-64 node).
 */
#include <string.h>

#include "nn/painter_internal.h"
#include "nn/painter_kernels.h"

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
void HP_PAINTER_TILE(const hp_painter *p, workspace *ws, const tile *tl, const float *rho,
                     float *const *out) {
  const int64_t ry1 = tl->ny + 4, ry2 = tl->ny;
  const int64_t nv0 = (tl->nz + 8 + HP_VW - 1) / HP_VW, rows0 = tl->ny + 8;
  const int64_t slot0 = 30 * p->cs[0], slot1 = 30 * p->cs[1];
  const packed_block *b1 = &p->blk[0], *b2 = &p->blk[1];
  const int64_t nin = tl->nx + 8;
  const int64_t nv1 = (tl->nz + 4 + HP_VW - 1) / HP_VW, nv2 = (tl->nz + HP_VW - 1) / HP_VW;
  for (int64_t t = 0; t < nin; t++) {
    float *xs = ws->x + (t % RING) * p->cs[0];
    hp_painter_load_plane(p, tl, rho, t, xs);
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
