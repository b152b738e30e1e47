/**
 * @file kernels.h
 * @brief The GPU painter's per-thread arithmetic, written once for the device
 *        and the host (C and CUDA).
 *
 * Every kernel of cuda/painter_cuda.cu is a thin wrapper that computes its
 * thread and block indices and calls these bodies; tests/test_cuda_emulate.c
 * calls the same bodies from host loops that replay the launch grid (phases
 * between __syncthreads() run for all threads in turn), so the indexing, the
 * tiling and the arithmetic are tested on a machine without a GPU.
 *
 * Buffers are planar and compact: [channel][x][y][z], z fastest. A slab has
 * three geometries: g0 = block-1 input (output + 8 per axis), g1 = block-1
 * output (output + 4), g2 = the output.
 *
 * The k^3 convolutions (10 -> 10 channels) work on tiles of
 * HP_GK_V x HP_GK_TY x HP_GK_TZ output voxels, one thread per (y, z) column
 * holding HP_GK_V x 10 accumulators: every input value loaded from shared
 * memory feeds up to 10 HP_GK_V multiply-adds, and the weights are read with
 * warp-uniform addresses (broadcast).
 */
#ifndef HP_CUDA_KERNELS_H
#define HP_CUDA_KERNELS_H

#include <stdint.h>

#ifdef __CUDACC__
#define HP_HD __host__ __device__ __forceinline__
#else
#define HP_HD static inline
#endif
#ifdef __CUDA_ARCH__ /* the device pass only: host compilers do not know the pragma */
#define HP_UNROLL _Pragma("unroll")
#else
#define HP_UNROLL
#endif

#define HP_GK_V 8   /**< output voxels per thread along x */
#define HP_GK_TY 4  /**< tile extent in y (threads) */
#define HP_GK_TZ 32 /**< tile extent in z (threads: one warp) */
#define HP_GK_THREADS (HP_GK_TY * HP_GK_TZ)
#define HP_GK_CO 10 /**< channels per branch */

/** A compact 3D geometry and its channel stride. */
typedef struct hp_gk_geom {
  int64_t n[3];
} hp_gk_geom;

HP_HD int64_t hp_gk_vox(const hp_gk_geom *g) { return g->n[0] * g->n[1] * g->n[2]; }

HP_HD float hp_gk_lrelu(float x, float slope) { return x < 0.0f ? slope * x : x; }

/** Floats of shared memory for a k^3 tile of one input channel. */
HP_HD int hp_gk_tile_floats(int k) {
  return (HP_GK_V + k - 1) * (HP_GK_TY + k - 1) * (HP_GK_TZ + k - 1);
}
/** Floats of shared memory for a k^3 convolution kernel: all weights and bias, then one tile. */
HP_HD int hp_gk_conv_smem_floats(int k) {
  return HP_GK_CO * k * k * k * HP_GK_CO + HP_GK_CO + hp_gk_tile_floats(k);
}

/* ---- periodic padding: x planes are already wrapped by the host copy ---- */

/** X[x][y][z] = raw[x][(y - h) mod ny][(z - h) mod nz] for voxel @p i of X (geometry gx). */
HP_HD void hp_gk_pad_voxel(int64_t i, const float *raw, const hp_gk_geom *graw, float *x,
                           const hp_gk_geom *gx, int h) {
  const int64_t z = i % gx->n[2], y = (i / gx->n[2]) % gx->n[1], px = i / (gx->n[2] * gx->n[1]);
  const int64_t ny = graw->n[1], nz = graw->n[2];
  const int64_t sy = ((y - h) % ny + ny) % ny, sz = ((z - h) % nz + nz) % nz;
  x[i] = raw[(px * ny + sy) * nz + sz];
}

/* ---- pointwise layers ---- */

/**
 * Fused reduce of a block at voxel @p i: out[c] = b[c] + sum_ci w[ci][30 + c] in[ci], c < 30.
 * @p in and @p out share the geometry (channel stride @p cs).
 */
HP_HD void hp_gk_reduce_voxel(int64_t i, const float *in, int cin, const float *w, const float *b,
                              float *out, int64_t cs) {
  float acc[3 * HP_GK_CO];
  HP_UNROLL
  for (int c = 0; c < 3 * HP_GK_CO; c++) acc[c] = b[c];
  for (int ci = 0; ci < cin; ci++) {
    const float x = in[ci * cs + i];
    HP_UNROLL
    for (int c = 0; c < 3 * HP_GK_CO; c++) acc[c] += w[ci * 3 * HP_GK_CO + c] * x;
  }
  HP_UNROLL
  for (int c = 0; c < 3 * HP_GK_CO; c++) out[c * cs + i] = acc[c];
}

/**
 * The head at output voxel @p i: 30 channels of y2 (stride cs) through 1x1 layers
 * 30 -> 10 -> 10 -> 10 -> 10 (leaky ReLU) -> K (ReLU) into out[k * cs + i].
 * @p w holds the packed head: layer l's w[ci][co] at w + wo[l] and bias at w + bo[l].
 */
HP_HD void hp_gk_head_voxel(int64_t i, const float *y2, int64_t cs, const float *w, const int *wo,
                            const int *bo, int k_out, float slope, float *out) {
  float h[HP_GK_CO], g[HP_GK_CO];
  const float *wl = w + wo[0], *bl = w + bo[0];
  HP_UNROLL
  for (int co = 0; co < HP_GK_CO; co++) h[co] = bl[co];
  for (int ci = 0; ci < 3 * HP_GK_CO; ci++) {
    const float x = y2[ci * cs + i];
    HP_UNROLL
    for (int co = 0; co < HP_GK_CO; co++) h[co] += wl[ci * HP_GK_CO + co] * x;
  }
  HP_UNROLL
  for (int co = 0; co < HP_GK_CO; co++) h[co] = hp_gk_lrelu(h[co], slope);
  HP_UNROLL
  for (int l = 1; l < 4; l++) {
    wl = w + wo[l], bl = w + bo[l];
    HP_UNROLL
    for (int co = 0; co < HP_GK_CO; co++) g[co] = bl[co];
    HP_UNROLL
    for (int ci = 0; ci < HP_GK_CO; ci++) {
      HP_UNROLL
      for (int co = 0; co < HP_GK_CO; co++) g[co] += wl[ci * HP_GK_CO + co] * h[ci];
    }
    HP_UNROLL
    for (int co = 0; co < HP_GK_CO; co++) h[co] = hp_gk_lrelu(g[co], slope);
  }
  wl = w + wo[4], bl = w + bo[4];
  for (int k = 0; k < k_out; k++) {
    float o = bl[k];
    HP_UNROLL
    for (int ci = 0; ci < HP_GK_CO; ci++) o += wl[ci * k_out + k] * h[ci];
    out[k * cs + i] = o > 0.0f ? o : 0.0f;
  }
}

/* ---- k^3 convolutions, 10 -> 10 channels, on shared-memory tiles ---- */

/** Where a k^3 convolution reads and writes, for one launch. */
typedef struct hp_gk_conv_args {
  const float *in;  /**< first input channel (the branch's 10 channels of the reduce) */
  hp_gk_geom gin;   /**< input geometry (channel stride = its volume) */
  int off;          /**< input offset of output voxel (0,0,0): 0 for 5^3, 1 for 3^3 (crop) */
  const float *res; /**< residual: channel 0 of the block input, geometry gin */
  int res_off;      /**< its offset (2) */
  const float *pt;  /**< the 1x1 branch (10 channels, geometry gin, offset res_off), or NULL */
  float *out;       /**< first output channel (branch slot of the block output) */
  hp_gk_geom gout;  /**< output geometry */
  float slope;
} hp_gk_conv_args;

/** Copy the packed weights and bias (k^3 x 100 + 10 floats) into shared memory. */
HP_HD void hp_gk_conv_load_weights(int tid, int k, const float *w, float *sw) {
  const int n = HP_GK_CO * k * k * k * HP_GK_CO + HP_GK_CO;
  for (int j = tid; j < n; j += HP_GK_THREADS) sw[j] = w[j];
}

/**
 * Load channel @p ci of the input tile of block (bx, by, bz) into @p tile (zero outside
 * the input): tile[xx][yy][zz], extents (V + k - 1, TY + k - 1, TZ + k - 1).
 */
HP_HD void hp_gk_conv_load_tile(int tid, int k, const hp_gk_conv_args *a, int ci, int64_t bx,
                                int64_t by, int64_t bz, float *tile) {
  const int ex = HP_GK_V + k - 1, ey = HP_GK_TY + k - 1, ez = HP_GK_TZ + k - 1;
  const int64_t x0 = bx * HP_GK_V + a->off, y0 = by * HP_GK_TY + a->off,
                z0 = bz * HP_GK_TZ + a->off;
  const float *src = a->in + ci * hp_gk_vox(&a->gin);
  for (int j = tid; j < ex * ey * ez; j += HP_GK_THREADS) {
    const int zz = j % ez, yy = (j / ez) % ey, xx = j / (ez * ey);
    const int64_t x = x0 + xx, y = y0 + yy, z = z0 + zz;
    tile[j] = x < a->gin.n[0] && y < a->gin.n[1] && z < a->gin.n[2]
                  ? src[(x * a->gin.n[1] + y) * a->gin.n[2] + z]
                  : 0.0f;
  }
}

/** Thread @p tid's accumulators start at the bias (in shared memory after the weights). */
HP_HD void hp_gk_conv_init(int k, const float *sw, float acc[HP_GK_V][HP_GK_CO]) {
  const float *b = sw + HP_GK_CO * k * k * k * HP_GK_CO;
  HP_UNROLL
  for (int v = 0; v < HP_GK_V; v++) {
    HP_UNROLL
    for (int co = 0; co < HP_GK_CO; co++) acc[v][co] = b[co];
  }
}

/** Accumulate input channel @p ci (its tile) into thread @p tid's HP_GK_V x 10 outputs. */
HP_HD void hp_gk_conv_accumulate(int tid, int k, int ci, const float *sw, const float *tile,
                                 float acc[HP_GK_V][HP_GK_CO]) {
  const int ey = HP_GK_TY + k - 1, ez = HP_GK_TZ + k - 1;
  const int ty = tid / HP_GK_TZ, tz = tid % HP_GK_TZ;
  const float *wci = sw + ci * k * k * k * HP_GK_CO;
  for (int dy = 0; dy < k; dy++)
    for (int dz = 0; dz < k; dz++) {
      float col[HP_GK_V + 4]; /* the x column at (ty + dy, tz + dz); k <= 5 */
      HP_UNROLL
      for (int xx = 0; xx < HP_GK_V + 4; xx++)
        col[xx] = xx < HP_GK_V + k - 1 ? tile[(xx * ey + ty + dy) * ez + tz + dz] : 0.0f;
      for (int dx = 0; dx < k; dx++) {
        const float *w = wci + ((dx * k + dy) * k + dz) * HP_GK_CO;
        HP_UNROLL
        for (int co = 0; co < HP_GK_CO; co++) {
          const float wc = w[co];
          HP_UNROLL
          for (int v = 0; v < HP_GK_V; v++) acc[v][co] += wc * col[v + dx];
        }
      }
    }
}

/**
 * Store thread @p tid's outputs: out[co] = lrelu(acc + residual), and, when the
 * launch carries the 1x1 branch, out[10 + c] = lrelu(pt[c] + residual).
 */
HP_HD void hp_gk_conv_store(int tid, const hp_gk_conv_args *a, int64_t bx, int64_t by, int64_t bz,
                            float acc[HP_GK_V][HP_GK_CO]) {
  const int64_t y = by * HP_GK_TY + tid / HP_GK_TZ, z = bz * HP_GK_TZ + tid % HP_GK_TZ;
  const hp_gk_geom *go = &a->gout, *gi = &a->gin;
  if (y >= go->n[1] || z >= go->n[2]) return;
  const int64_t ocs = hp_gk_vox(go), ics = hp_gk_vox(gi), r = a->res_off;
  HP_UNROLL
  for (int v = 0; v < HP_GK_V; v++) {
    const int64_t x = bx * HP_GK_V + v;
    if (x >= go->n[0]) break;
    const int64_t o = (x * go->n[1] + y) * go->n[2] + z;
    const int64_t ir = ((x + r) * gi->n[1] + y + r) * gi->n[2] + z + r;
    const float res = a->res[ir];
    HP_UNROLL
    for (int co = 0; co < HP_GK_CO; co++)
      a->out[co * ocs + o] = hp_gk_lrelu(acc[v][co] + res, a->slope);
    if (a->pt) {
      HP_UNROLL
      for (int c = 0; c < HP_GK_CO; c++)
        a->out[(HP_GK_CO + c) * ocs + o] = hp_gk_lrelu(a->pt[c * ics + ir] + res, a->slope);
    }
  }
}

/** Blocks of a k^3 launch over output geometry @p g: (x, y, z) tiles. */
HP_HD void hp_gk_conv_grid(const hp_gk_geom *g, int64_t nb[3]) {
  nb[0] = (g->n[0] + HP_GK_V - 1) / HP_GK_V;
  nb[1] = (g->n[1] + HP_GK_TY - 1) / HP_GK_TY;
  nb[2] = (g->n[2] + HP_GK_TZ - 1) / HP_GK_TZ;
}

#endif
