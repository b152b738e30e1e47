/**
 * @file plan.h
 * @brief Host-side planning of the GPU painter: slabs along x that fit the
 *        device-memory budget, and the host planes each slab reads.
 *
 * Plain C (no CUDA), so it is unit-tested on any machine. A slab of s output
 * planes holds, on the device (floats; g0 = s+8 x ey+8 x ez+8, g1 = s+4 x ...,
 * g2 = s x ey x ez, with ey, ez the output's y and z sides):
 *   raw input planes (periodic: s+8 x ny x nz; else g0)   x nbuf
 *   X, the padded input (periodic only)                    g0
 *   R, the reduce of block 1 (then of block 2)            30 g0
 *   Y1, the block-1 output                                30 g1
 *   Y2, the block-2 output                                30 g2
 *   the K painted grids                                    K g2 x nbuf
 * nbuf = 1 when the whole box is one slab, 2 when slabs stream (input of the
 * next slab and output of the previous one are copied while one computes).
 */
#ifndef HP_CUDA_PLAN_H
#define HP_CUDA_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "cuda/kernels.h"
#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HP_GPU_HALO 4     /**< voxels the paper's generator loses per side (2 per block) */
#define HP_GPU_MAX_RUNS 9 /**< most runs of host planes a slab reads (a periodic box of side 1) */

typedef struct hp_gpu_slabs {
  int64_t in_n[3];  /**< input grid */
  int64_t out_n[3]; /**< output grid */
  int periodic;
  int k_out;
  int64_t thick; /**< output planes per slab (the last one may be thinner) */
  int nslabs;
  int nbuf;     /**< 1 or 2: copies of the raw-input and output buffers */
  size_t bytes; /**< device bytes of the buffers at this thickness */
} hp_gpu_slabs;

/** Device bytes of the buffers for slabs of @p thick output planes with @p nbuf copies. */
size_t hp_gpu_slab_bytes(const int64_t in_n[3], const int64_t out_n[3], int periodic, int k_out,
                         int64_t thick, int nbuf);

/**
 * Thickest slabs whose buffers fit @p budget bytes: the whole box in one slab when it
 * fits, otherwise double-buffered slabs. Refused (HP_ERR_NOMEM, with the bytes the
 * thinnest slab would need) when even one output plane per slab does not fit.
 */
int hp_gpu_slab_plan(hp_gpu_slabs *sl, const int64_t in_n[3], int periodic, int k_out,
                     size_t budget, hp_status *st);

/** Output planes [*x0, *x0 + *nx) of slab @p i. */
void hp_gpu_slab_range(const hp_gpu_slabs *sl, int i, int64_t *x0, int64_t *nx);

/**
 * The input planes slab @p i reads, as runs of consecutive host planes (a periodic
 * box wraps around x; 3 runs at most when its side is 8 or more, HP_GPU_MAX_RUNS for
 * any side): run r copies planes [src[r], src[r] + len[r]).
 * Returns the number of runs; the runs together are nx + 8 planes, in order.
 */
int hp_gpu_slab_runs(const hp_gpu_slabs *sl, int i, int64_t src[HP_GPU_MAX_RUNS],
                     int64_t len[HP_GPU_MAX_RUNS]);

/** Device buffers of one slab (see the file comment); x is NULL for non-periodic input. */
typedef struct hp_gpu_slab_bufs {
  float *raw, *x, *r, *y1, *y2, *out;
} hp_gpu_slab_bufs;

/**
 * The launches that paint one slab of @p nx output planes, in order:
 *   pad raw -> x (periodic only, over g0); reduce of block 1 (1 -> 30, over g0) into r;
 *   conv[0] (5^3) and conv[1] (3^3 + 1x1 branch) into y1; reduce of block 2 (30 -> 30,
 *   over g1) into r; conv[2] and conv[3] into y2; the head (over g2) into out.
 * Written once here for the CUDA host code and for the tests that replay it on the CPU.
 */
typedef struct hp_gpu_slab_work {
  hp_gk_geom graw, g0, g1, g2;
  const float *x0;         /**< block-1 input: x (periodic) or raw */
  hp_gk_conv_args conv[4]; /**< block 1: 5^3, 3^3; block 2: 5^3, 3^3 */
} hp_gpu_slab_work;

void hp_gpu_slab_work_init(hp_gpu_slab_work *w, const hp_gpu_slabs *sl, int64_t nx,
                           const hp_gpu_slab_bufs *b, float slope);

#ifdef __cplusplus
}
#endif
#endif
