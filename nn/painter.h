/**
 * @file painter.h
 * @brief Fast CPU inference of the halo painter: plan once, execute on many fields.
 *
 * The plan fixes the grid shape, periodicity, thread count and tile size; it
 * packs the weights and allocates every buffer. Execute paints a density
 * grid (rho/rho_mean, float, row-major [x][y][z]) into K count grids and
 * allocates nothing. Periodic input is padded periodically by the network's
 * halo (from its layer list) so that the output covers the whole box;
 * non-periodic input of shape n gives n - 2 halo per axis.
 *
 * Tiles are columns of (tile_y x tile_z) output voxels through the whole x
 * extent, streamed plane by plane: each layer keeps a ring of the few input
 * planes its kernel needs, so memory is a fixed budget per thread whatever
 * the grid size, and no voxel of the second block is computed twice. The
 * arithmetic of an output voxel does not depend on the tiling or on the
 * thread count: results are bit-identical for any tile size and threads.
 */
#ifndef HP_PAINTER_H
#define HP_PAINTER_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

/** What a painter plan is made for. */
typedef struct hp_painter_desc {
  int64_t n[3]; /**< input grid shape [x][y][z] */
  int periodic; /**< 1: periodic box, output shape = input; 0: output n - 2 halo */
  int nthreads; /**< OpenMP threads; 0 = all */
  int tile_y;   /**< output tile extent in y; 0 = automatic */
  int tile_z;   /**< output tile extent in z; 0 = automatic */
  int planner;  /**< automatic tiles: HP_PLAN_MEASURE (default, 0) or HP_PLAN_ESTIMATE */
} hp_painter_desc;

/**
 * How automatic tiles are chosen. MEASURE: for grids of at least HP_PAINTER_TUNE_MIN output
 * voxels, a few tile shapes are timed at plan time on this machine (at most a tenth of the
 * predicted execute) and the fastest is kept in a wisdom file ($HALOPAINT_WISDOM, else
 * ~/.cache/halopaint/wisdom) for the next plan of the same shape; ESTIMATE: the lane-waste
 * model alone (tiny grids, tests). The painted values are the same bit for bit either way.
 */
enum hp_painter_planner { HP_PLAN_MEASURE = 0, HP_PLAN_ESTIMATE = 1 };
#define HP_PAINTER_TUNE_MIN (1 << 20)
/** Above this (2048^3) the plan is not measured: such a grid is refused or fills a node. */
#define HP_PAINTER_TUNE_MAX 8589934592.0

typedef struct hp_painter hp_painter;

/** Plan: check shapes, pack weights (copied: @p net may be freed), allocate all buffers. */
int hp_painter_create(hp_painter **out, const hp_net *net, const hp_painter_desc *d, hp_status *st);
/** Paint: @p out[k] is the k-th output grid (output shape, row-major). Allocates nothing. */
int hp_painter_execute(hp_painter *p, const float *density, float *const *out, hp_status *st);
/** Free everything (NULL is fine). */
void hp_painter_destroy(hp_painter *p);
/** Index of the first NaN or infinite voxel of @p x (nv values), or -1: checked before painting
 * (a NaN would spread through the whole receptive field). */
int64_t hp_painter_first_nonfinite(const float *x, int64_t nv);
/** Output shape. */
void hp_painter_out_shape(const hp_painter *p, int64_t out[3]);
/**
 * The vector path the plan runs ("AVX-512", "AVX2+FMA" or "portable"): the fastest this CPU
 * runs, chosen at plan time (one binary for any x86-64 node), or the one the environment
 * variable HALOPAINT_SIMD names (auto, avx512, avx2, portable). Results differ between paths
 * in the last bits (FMA or not), never between runs of one path.
 */
const char *hp_painter_simd(const hp_painter *p);
/** The plan's largest tile (y, z) and whether it was measured (1) or estimated (0). */
void hp_painter_tiles(const hp_painter *p, int *ty, int *tz, int *measured);
/**
 * Multiply-adds the plan executes per output voxel, halos aside: the network's count
 * (hp_net_macs_per_voxel, 31,940 for K = 1) less what folding block 1's linear reduce into its
 * convolutions saves (nn/painter_pack.h): 18,240 for K = 1. Benchmarks rate the engine by it.
 */
double hp_painter_macs_per_voxel(const hp_painter *p);
/** Bytes held by the plan (packed weights + per-thread tile buffers). */
size_t hp_painter_workspace_bytes(const hp_painter *p);

/**
 * Plain reference forward pass on whole tensors (no tiling, no vectorised
 * kernels; allocates): input [cin][n0][n1][n2] -> output [K][n0-2h][n1-2h][n2-2h].
 * Used by tests and by training as the obvious implementation.
 */
int hp_net_forward_ref(const hp_net *net, const float *in, const int64_t n[3], float *out,
                       hp_status *st);

#endif
