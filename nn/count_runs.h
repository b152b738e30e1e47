/**
 * @file count_runs.h
 * @brief Halo counts drawn jointly along runs of a space-filling curve: each voxel keeps its
 *        count distribution exactly, while neighbours exclude each other as massive halos do.
 *
 * Drawn independently, voxel counts add up to Poisson-like noise on large scales, while the
 * N-body truth's massive halos are sub-Poisson there (they exclude each other: Hamaus et al.
 * 2010); the painter's heaviest bin then has 10-20 % too much power at k < 0.3 h/Mpc
 * (`models/train/exclusion/`). The count of voxel i is F_i^{-1}(u_i) for the model's
 * distribution F_i; exclusion only needs the u_i to be dependent, each still uniform:
 *
 *   the grid is cut into blocks of HP_RUN_BX x HP_RUN_BYZ x HP_RUN_BYZ voxels; within a block
 *   the voxels are ordered along a 3D Hilbert curve and c_i is the running sum, before i, of
 *   p_j = P(N_j >= 1); the sums are cut into runs of length L (the bin's run length, the cuts
 *   shifted by a random phase per block); each run draws one uniform V and
 *
 *     u_i = frac(V + c_i).
 *
 * Every u_i is uniform, so every voxel's count has exactly the model's distribution (one-point
 * PDF, mean and variance unchanged). Within a run the intervals {u_i > 1 - p_i}, where a voxel
 * gets a halo, tile the circle without overlapping, so a run of L <= 1 holds at most about one
 * halo: the count in a run varies as L (1 - L) instead of L. L = 0 is independent draws; L is a
 * model parameter per mass bin, fitted so that the counts scatter about the painted means on
 * 16-64 Mpc/h scales as the truth's do (train/dispersion.h). Blocks never cross the grid's
 * edge (no periodic wrap), so a slab of x-planes needs at most HP_RUN_GHOST planes of means on
 * each side of it (MPI: mpi/run_mpi.c). Every random number is a counter-based hash of (key,
 * block, bin, run): the counts do not depend on the thread count or on the slabs.
 */
#ifndef HP_COUNT_RUNS_H
#define HP_COUNT_RUNS_H

#include <stdint.h>

#include "nn/count_dist.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HP_RUN_BX 4                  /**< block side along x (the MPI slab axis) */
#define HP_RUN_BYZ 16                /**< block side along y and z */
#define HP_RUN_GHOST (HP_RUN_BX - 1) /**< planes of means a slab needs beyond each side */

/**
 * Counts of mass bin @p k with run length @p run > 0 for the x-planes [x0, x0 + nx) of an nv^3
 * grid, into @p out (nx nv^2, row-major). @p mean holds the painted means of planes
 * [mx0, mx0 + mnx), which must cover every plane of the blocks that meet the slab (clipped to
 * [0, nv)). @p t: the model's tables, or NULL for Poisson. @p key: hp_rng_key of the draw.
 * @return HP_OK, or HP_ERR_INPUT (named in @p st) when the means do not cover the blocks.
 */
int hp_count_runs_draw(const hp_count_table *t, int k, double run, const float *mean, int64_t mx0,
                       int64_t mnx, int64_t nv, int64_t x0, int64_t nx, uint64_t key, int32_t *out,
                       int nthreads, hp_status *st);

/** 1 if any bin of @p d draws along exclusion runs (the sampler then holds 4 bytes a voxel and
 *  bin of counts, and a slab needs HP_RUN_GHOST planes of means each side). */
int hp_count_runs_any(const hp_count_dist *d);

/** The voxels of one full block, as (x, y, z) offsets in Hilbert-curve order (tests). */
void hp_count_runs_block_order(int16_t order[HP_RUN_BX * HP_RUN_BYZ * HP_RUN_BYZ][3]);

#ifdef __cplusplus
}
#endif
#endif
