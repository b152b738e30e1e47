/**
 * @file kernels_tf32.h
 * @brief The k^3 convolutions (10 -> 10 channels) on the tensor cores: TF32
 *        inputs, FP32 accumulation, as implicit GEMMs of mma.m16n8k8 tiles.
 *
 * GEMM view of one launch: rows m are output voxels (an m-tile is 16
 * consecutive z), columns n the 10 output channels (two n-tiles of 8, the last
 * 6 columns zero), and the reduction runs over (ci, dx, dy, dz) flattened,
 * 10 k^3 terms padded to whole k-steps of 8 (0.5% padding for k = 5). A block
 * of HP_GT_THREADS threads paints HP_GT_BX x HP_GT_BY x HP_GT_BZ voxels: it
 * loads the input tile of all 10 channels into shared memory once, beside the
 * weights (pre-permuted into each lane's B fragments and pre-rounded to TF32
 * on the host) and a table of the tile offsets of every reduction index, so a
 * lane's A fragment is four shared-memory loads at (voxel base + offset).
 *
 * Fragment layouts of mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32,
 * with g = lane / 4 and t = lane % 4 (PTX ISA, "Matrix fragments for mma.m16n8k8"):
 *   A (16 x 8):  a0 (g, t)  a1 (g + 8, t)  a2 (g, t + 4)  a3 (g + 8, t + 4)
 *   B (8 x 8):   b0 (t, g)  b1 (t + 4, g)
 *   C (16 x 8):  c0 (g, 2t) c1 (g, 2t + 1) c2 (g + 8, 2t) c3 (g + 8, 2t + 1)
 * The bodies below are shared by the kernels (cuda/painter_cuda.cu) and by the
 * CPU replay of tests/test_cuda_emulate.c, which performs the warp's mma from
 * the same fragments with these layouts.
 */
#ifndef HP_CUDA_KERNELS_TF32_H
#define HP_CUDA_KERNELS_TF32_H

#include <stdint.h>
#include <string.h>

#include "cuda/kernels.h"

#define HP_GT_WARPS 8
#define HP_GT_THREADS (32 * HP_GT_WARPS)
#define HP_GT_BX 4  /**< block tile in x */
#define HP_GT_BY 4  /**< block tile in y */
#define HP_GT_BZ 32 /**< block tile in z: two m-tiles */
#define HP_GT_MT 4  /**< m-tiles per warp: 32 m-tiles per block over 8 warps */

/** k-steps of 8 in the reduction of a k^3 convolution with 10 input channels. */
HP_HD int hp_gt_ksteps(int k) { return (HP_GK_CO * k * k * k + 7) / 8; }
HP_HD int hp_gt_ey(int k) { return HP_GT_BY + k - 1; }
HP_HD int hp_gt_ez(int k) { return HP_GT_BZ + k - 1; }
/** Floats of one channel of the input tile. */
HP_HD int hp_gt_tile_floats(int k) { return (HP_GT_BX + k - 1) * hp_gt_ey(k) * hp_gt_ez(k); }
/** Floats of the prepared weights: per k-step, per lane, {b0, b1} of n-tile 0 then of n-tile 1. */
HP_HD int hp_gt_weight_floats(int k) { return hp_gt_ksteps(k) * 32 * 4; }
/** Ints of the offset table: per k-step, per t, the offsets of columns t and t + 4. */
HP_HD int hp_gt_offset_ints(int k) { return hp_gt_ksteps(k) * 8; }
/** Bytes of shared memory of a launch: weights, offsets, bias (16), the 10-channel tile. */
HP_HD int hp_gt_smem_bytes(int k) {
  return 4 * (hp_gt_weight_floats(k) + hp_gt_offset_ints(k) + 16 + HP_GK_CO * hp_gt_tile_floats(k));
}

/** Round to TF32 (10-bit mantissa), to nearest with ties away from zero, as cvt.rna.tf32.f32. */
HP_HD float hp_gt_round_tf32(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  memcpy(&x, &u, 4);
  return x;
}

/**
 * Host-side preparation (once per plan): from the packed weights w[ci][tap][co] (see
 * nn/painter_pack.h) the lanes' B fragments, rounded to TF32 when @p round is set, and
 * the offset table. Reduction index r = ci k^3 + (dx k + dy) k + dz; padding indices
 * have zero weights and offset 0.
 */
static inline void hp_gt_prepare(int k, const float *w, int round, float *wp, int *off) {
  const int k3 = k * k * k, nr = HP_GK_CO * k3, nks = hp_gt_ksteps(k);
  for (int ks = 0; ks < nks; ks++)
    for (int lane = 0; lane < 32; lane++) {
      const int g = lane / 4, t = lane % 4;
      for (int nt = 0; nt < 2; nt++)
        for (int h = 0; h < 2; h++) {
          const int r = ks * 8 + t + 4 * h, co = nt * 8 + g;
          const float v = r < nr && co < HP_GK_CO ? w[r * HP_GK_CO + co] : 0.0f;
          wp[(ks * 32 + lane) * 4 + nt * 2 + h] = round ? hp_gt_round_tf32(v) : v;
        }
    }
  for (int ks = 0; ks < nks; ks++)
    for (int t = 0; t < 4; t++)
      for (int h = 0; h < 2; h++) {
        const int r = ks * 8 + t + 4 * h;
        int o = 0;
        if (r < nr) {
          const int ci = r / k3, tap = r % k3, dx = tap / (k * k), dy = (tap / k) % k, dz = tap % k;
          o = ci * hp_gt_tile_floats(k) + (dx * hp_gt_ey(k) + dy) * hp_gt_ez(k) + dz;
        }
        off[(ks * 4 + t) * 2 + h] = o;
      }
}

/** Blocks of a launch over output geometry @p g. */
HP_HD void hp_gt_grid(const hp_gk_geom *g, int64_t nb[3]) {
  nb[0] = (g->n[0] + HP_GT_BX - 1) / HP_GT_BX;
  nb[1] = (g->n[1] + HP_GT_BY - 1) / HP_GT_BY;
  nb[2] = (g->n[2] + HP_GT_BZ - 1) / HP_GT_BZ;
}

/** Copy n floats (or ints: both are 4 bytes) into shared memory, all threads together. */
HP_HD void hp_gt_copy(int tid, const float *src, float *dst, int n) {
  for (int j = tid; j < n; j += HP_GT_THREADS) dst[j] = src[j];
}

/** The 10-channel input tile of block (bx, by, bz) (zero outside the input). */
HP_HD void hp_gt_load_tile(int tid, int k, const hp_gk_conv_args *a, int64_t bx, int64_t by,
                           int64_t bz, float *tile) {
  const int ex = HP_GT_BX + k - 1, ey = hp_gt_ey(k), ez = hp_gt_ez(k), ts = hp_gt_tile_floats(k);
  const int64_t x0 = bx * HP_GT_BX + a->off, y0 = by * HP_GT_BY + a->off,
                z0 = bz * HP_GT_BZ + a->off, cs = hp_gk_vox(&a->gin);
  for (int j = tid; j < HP_GK_CO * ts; j += HP_GT_THREADS) {
    const int ci = j / ts, zz = j % ez, yy = (j / ez) % ey, xx = (j / (ez * ey)) % ex;
    const int64_t x = x0 + xx, y = y0 + yy, z = z0 + zz;
    tile[j] = x < a->gin.n[0] && y < a->gin.n[1] && z < a->gin.n[2]
                  ? a->in[ci * cs + (x * a->gin.n[1] + y) * a->gin.n[2] + z]
                  : 0.0f;
  }
}

/** Tile offset of row 0 of m-tile j of warp @p warp (x, y and z half of its voxels). */
HP_HD int hp_gt_mtile_base(int k, int warp, int j, int64_t *x, int64_t *y, int64_t *z) {
  const int mt = warp * HP_GT_MT + j; /* mt = (x BY + y) 2 + z half */
  const int tx = mt / (2 * HP_GT_BY), ty = (mt / 2) % HP_GT_BY, tz = (mt % 2) * 16;
  *x = tx, *y = ty, *z = tz;
  return (tx * hp_gt_ey(k) + ty) * hp_gt_ez(k) + tz;
}

/**
 * Lane @p lane's fragments for k-step @p ks: A of its warp's HP_GT_MT m-tiles, and B
 * ({b0, b1} of n-tile 0, then of n-tile 1). A is rounded to TF32 when @p round is set
 * (always on the device, where cvt.rna.tf32.f32 does it).
 */
HP_HD void hp_gt_fragments(int lane, int warp, int k, int ks, const float *tile, const float *wp,
                           const int *off, int round, float a[HP_GT_MT][4], float b[4]) {
  const int g = lane / 4, t = lane % 4;
  const int o0 = off[(ks * 4 + t) * 2], o1 = off[(ks * 4 + t) * 2 + 1];
  HP_UNROLL
  for (int q = 0; q < 4; q++) b[q] = wp[(ks * 32 + lane) * 4 + q];
  HP_UNROLL
  for (int j = 0; j < HP_GT_MT; j++) {
    int64_t x, y, z;
    const int base = hp_gt_mtile_base(k, warp, j, &x, &y, &z) + g;
    a[j][0] = tile[base + o0];
    a[j][1] = tile[base + 8 + o0];
    a[j][2] = tile[base + o1];
    a[j][3] = tile[base + 8 + o1];
    if (round) {
      HP_UNROLL
      for (int q = 0; q < 4; q++) a[j][q] = hp_gt_round_tf32(a[j][q]);
    }
  }
}

/** Accumulators start at the bias: column 2t + (r % 2) of n-tile nt is channel nt 8 + 2t + r%2. */
HP_HD void hp_gt_init(int lane, const float *bias16, float acc[HP_GT_MT][2][4]) {
  const int t = lane % 4;
  HP_UNROLL
  for (int j = 0; j < HP_GT_MT; j++) {
    HP_UNROLL
    for (int nt = 0; nt < 2; nt++) {
      HP_UNROLL
      for (int r = 0; r < 4; r++) acc[j][nt][r] = bias16[nt * 8 + 2 * t + (r % 2)];
    }
  }
}

/** Store lane @p lane's accumulators: out[co] = lrelu(acc + residual) for co < 10. */
HP_HD void hp_gt_store(int lane, int warp, int k, const hp_gk_conv_args *a, int64_t bx, int64_t by,
                       int64_t bz, float acc[HP_GT_MT][2][4]) {
  const int g = lane / 4, t = lane % 4;
  const hp_gk_geom *go = &a->gout, *gi = &a->gin;
  const int64_t ocs = hp_gk_vox(go), r0 = a->res_off;
  HP_UNROLL
  for (int j = 0; j < HP_GT_MT; j++) {
    int64_t tx, ty, tz;
    hp_gt_mtile_base(k, warp, j, &tx, &ty, &tz);
    const int64_t x = bx * HP_GT_BX + tx, y = by * HP_GT_BY + ty;
    HP_UNROLL
    for (int r = 0; r < 4; r++) {
      const int64_t z = bz * HP_GT_BZ + tz + g + 8 * (r / 2);
      if (x >= go->n[0] || y >= go->n[1] || z >= go->n[2]) continue;
      const int64_t o = (x * go->n[1] + y) * go->n[2] + z;
      const float res = a->res[((x + r0) * gi->n[1] + y + r0) * gi->n[2] + z + r0];
      HP_UNROLL
      for (int nt = 0; nt < 2; nt++) {
        const int co = nt * 8 + 2 * t + (r % 2);
        if (co < HP_GK_CO) a->out[co * ocs + o] = hp_gk_lrelu(acc[j][nt][r] + res, a->slope);
      }
    }
  }
}

/** The 1x1 branch of the block's voxels, when the launch carries it (FP32, as on the CUDA cores).
 */
HP_HD void hp_gt_store_pointwise(int tid, const hp_gk_conv_args *a, int64_t bx, int64_t by,
                                 int64_t bz) {
  if (!a->pt) return;
  const hp_gk_geom *go = &a->gout, *gi = &a->gin;
  const int64_t ocs = hp_gk_vox(go), ics = hp_gk_vox(gi), r0 = a->res_off;
  for (int v = tid; v < HP_GT_BX * HP_GT_BY * HP_GT_BZ; v += HP_GT_THREADS) {
    const int64_t x = bx * HP_GT_BX + v / (HP_GT_BY * HP_GT_BZ),
                  y = by * HP_GT_BY + (v / HP_GT_BZ) % HP_GT_BY, z = bz * HP_GT_BZ + v % HP_GT_BZ;
    if (x >= go->n[0] || y >= go->n[1] || z >= go->n[2]) continue;
    const int64_t o = (x * go->n[1] + y) * go->n[2] + z;
    const int64_t ir = ((x + r0) * gi->n[1] + y + r0) * gi->n[2] + z + r0;
    const float res = a->res[ir];
    for (int c = 0; c < HP_GK_CO; c++)
      a->out[(HP_GK_CO + c) * ocs + o] = hp_gk_lrelu(a->pt[c * ics + ir] + res, a->slope);
  }
}

#endif
