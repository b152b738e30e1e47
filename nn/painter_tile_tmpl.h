/*
 * The painter's tile kernels, compiled once per vector path: nn/painter_tile_portable.c,
 * painter_tile_avx2.c and painter_tile_avx512.c define HP_PAINTER_TILE (the exported name) and
 * are built with their own -march (Makefile), so nn/simd.h picks that path's vector type.
 * nn/painter.c chooses one at plan time (runtime dispatch: one binary for any x86-64 node).
 */
#include <string.h>

#include "nn/painter_internal.h"
#include "nn/painter_kernels.h"

/* Block 2's 1x1 branch (output channels 20-29) from its reduce ring's channels 20-29 (c1,
 * cropped by 2) and the residual x0: out = lrelu(c + x0). */
static void branch1x1(const float *c1, int64_t ics, const float *x0, int64_t irs, float *out,
                      int64_t ocs, int64_t ors, int64_t rows, int64_t nv, float slope) {
  const hp_vf sl = hp_vset1(slope);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t v = 0; v < nv; v++) {
      const int64_t io = r * irs + v * HP_VW, oo = r * ors + v * HP_VW;
      const hp_vf res = hp_vload(x0 + io);
      for (int c = 0; c < 10; c++)
        hp_vstore(out + (20 + c) * ocs + oo,
                  hp_vlrelu(hp_vadd(hp_vload(c1 + c * ics + io), res), sl));
    }
}

/* Block-1 output plane j (geometry 0 -> 1) straight from the input ring (planes j..j+4): its
 * reduce is linear on one channel, so the branches are the pack's folded one-channel convs. */
static void block1_plane(const hp_painter *p, const float *x_ring, int64_t j, int64_t rows_out,
                         int64_t nv, float *out) {
  const int64_t ics = p->cs[0], irs = p->rs[0], ocs = p->cs[1], ors = p->rs[1];
  const float *in5[5], *in3[3];
  for (int dx = 0; dx < 5; dx++) in5[dx] = x_ring + ((j + dx) % RING) * ics;
  for (int dx = 0; dx < 3; dx++) in3[dx] = x_ring + ((j + 1 + dx) % RING) * ics + irs + 1;
  const float *x0 = x_ring + ((j + 2) % RING) * ics + 2 * irs + 2;
  const packed_block *b = &p->blk[0];
  hp_pk_conv10(5, 1, in5, ics, irs, p->fold5_w, p->fold5_b, x0, irs, p->slope, out, ocs, ors,
               rows_out, nv);
  hp_pk_conv10(3, 1, in3, ics, irs, p->fold3_w, p->fold3_b, x0, irs, p->slope, out + 10 * ocs, ocs,
               ors, rows_out, nv);
  /* the 1x1 branch: a k = 1 convolution of the input, lrelu(wc x + bc + x) */
  hp_pk_conv10(1, 1, &x0, ics, irs, b->w_red + 20, b->b_red + 20, x0, irs, p->slope, out + 20 * ocs,
               ocs, ors, rows_out, nv);
}

/* Block-2 output plane j (geometry 1 -> 2): from the reduce ring (slots of planes j..j+4) and
 * the block input ring (for the residual, channel 0). */
static void block2_plane(const hp_painter *p, const float *red_ring, const float *in_ring,
                         int64_t j, int64_t rows_out, int64_t nv, float *out) {
  const int64_t ics = p->cs[1], irs = p->rs[1], ocs = p->cs[2], ors = p->rs[2];
  const int64_t slot = 30 * ics;
  const float *in5[5], *in3[3];
  for (int dx = 0; dx < 5; dx++) in5[dx] = red_ring + ((j + dx) % RING) * slot;
  for (int dx = 0; dx < 3; dx++)
    in3[dx] = red_ring + ((j + 1 + dx) % RING) * slot + 10 * ics + irs + 1;
  const float *c1 = red_ring + ((j + 2) % RING) * slot + 20 * ics + 2 * irs + 2;
  const float *x0 = in_ring + ((j + 2) % RING) * slot + 2 * irs + 2;
  const packed_block *b = &p->blk[1];
  hp_pk_conv10(5, 10, in5, ics, irs, b->w5, b->b5, x0, irs, p->slope, out, ocs, ors, rows_out, nv);
  hp_pk_conv10(3, 10, in3, ics, irs, b->w3, b->b3, x0, irs, p->slope, out + 10 * ocs, ocs, ors,
               rows_out, nv);
  branch1x1(c1, ics, x0, irs, out, ocs, ors, rows_out, nv, p->slope);
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
  const int64_t slot1 = 30 * p->cs[1];
  const packed_block *b2 = &p->blk[1];
  const int64_t nin = tl->nx + 8;
  const int64_t nv1 = (tl->nz + 4 + HP_VW - 1) / HP_VW, nv2 = (tl->nz + HP_VW - 1) / HP_VW;
  for (int64_t t = 0; t < nin; t++) {
    hp_painter_load_plane(p, tl, rho, t, ws->x + (t % RING) * p->cs[0]);
    if (t < 4) continue;
    const int64_t j = t - 4; /* block-1 output plane */
    float *y1 = ws->y1 + (j % RING) * slot1;
    block1_plane(p, ws->x, j, ry1, nv1, y1);
    float *red2 = ws->red2 + (j % RING) * slot1;
    for (int g = 0; g < 3; g++)
      hp_pk_pointwise10(y1, p->cs[1], 30, b2->w_red + 10 * g, 30, b2->b_red + 10 * g,
                        red2 + 10 * g * p->cs[1], p->cs[1], ry1, p->rs[1], nv1);
    if (j < 4) continue;
    const int64_t m = j - 4; /* block-2 output plane = output plane x0 + m */
    block2_plane(p, ws->red2, ws->y1, m, ry2, nv2, ws->y2);
    head_plane(p, ws->y2, ry2, nv2, tl, tl->x0 + m, ws->head, out);
  }
}
