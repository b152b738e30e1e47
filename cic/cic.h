/**
 * @file cic.h
 * @brief Cloud-in-cell (CIC) mass assignment and interpolation on a periodic grid,
 *        threaded and bit-reproducible for any thread count.
 *
 * Conventions (see docs/cic.md):
 *  - grids are float, row-major [x][y][z] (z fastest), side nv, nv^3 voxels, periodic box of
 *    side L (Mpc/h); voxel (i,j,k) has its centre at ((i+0.5), (j+0.5), (k+0.5)) * L/nv;
 *  - a particle at x (any real value: positions are wrapped into the box) gives, per axis,
 *    u = x/dx - 0.5, i0 = floor(u) mod nv, t = u - floor(u), and weights (1-t) to cell i0,
 *    t to cell (i0+1) mod nv; the 3-D weight is the product over the axes;
 *  - hp_cic_readout uses exactly the same weights, so deposit and readout are adjoint.
 *
 * Use as FFTW: create a plan once (allocates all workspace), execute it any number of times
 * (executing allocates nothing), destroy it. A plan is not safe for concurrent deposits from
 * several threads (the workspace is shared); hp_cic_readout and hp_cic_window only read it.
 *
 * Determinism: for a given plan chunk size (fixed, HP_CIC_CHUNK_DEFAULT unless changed with
 * hp_cic_plan_set_chunk) every voxel receives its additions in an order that depends only on
 * the particle data, never on the number of threads, so grids are bit-identical for 1, 2, 3,
 * ... threads. Changing the chunk size may change the last bits (float sums in another order).
 */
#ifndef HP_CIC_H
#define HP_CIC_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/** Default number of particles sorted and deposited per chunk (part of the bitwise contract). */
#define HP_CIC_CHUNK_DEFAULT ((int64_t)1 << 22)
/** Largest chunk accepted by hp_cic_plan_set_chunk (indices within a chunk are int32). */
#define HP_CIC_CHUNK_MAX ((int64_t)1 << 30)
/** Largest grid side and lattice side: nv^3 must fit in int64_t. */
#define HP_CIC_NV_MAX ((int64_t)2097151)

/**
 * Lattice ids of a subset of a lattice, increasing: the first n_before particles are named by
 * before[], the next n_run are the consecutive points first, first + 1, ..., and the rest by
 * after[]; e.g. an MPI rank's own lattice planes with the particles other ranks sent either side
 * of them. One explicit list: before and n_before alone.
 */
typedef struct hp_lattice_ids {
  const int64_t *before;
  int64_t n_before;
  int64_t first, n_run;
  const int64_t *after;
} hp_lattice_ids;

/** The lattice id of particle @p i. */
static inline int64_t hp_lattice_id(const hp_lattice_ids *ids, int64_t i) {
  if (i < ids->n_before) return ids->before[i];
  i -= ids->n_before;
  return i < ids->n_run ? ids->first + i : ids->after[i - ids->n_run];
}

/**
 * A set of particles, described without copying. Coordinate component c of particle i is
 * c[i * stride]; e.g. stride 1 with three separate arrays, or stride 3 with x = buf, y = buf + 1,
 * z = buf + 2 for interleaved xyz.
 */
typedef struct hp_cic_particles {
  int64_t n;        /**< number of particles (>= 0) */
  const float *x;   /**< x coordinate or x displacement (Mpc/h), element i at x[i*stride] */
  const float *y;   /**< y coordinate or y displacement (Mpc/h) */
  const float *z;   /**< z coordinate or z displacement (Mpc/h) */
  ptrdiff_t stride; /**< distance between consecutive particles, in floats (>= 1) */
  /**
   * If > 0: x, y, z are DISPLACEMENTS from a Lagrangian lattice of lattice_np^3 points;
   * particle i = (a*np + b)*np + c sits at q = (a, b, c) * L/np (Mpc/h) plus its displacement
   * (the sum is formed in double precision). n must equal lattice_np^3. If 0: x, y, z are
   * positions. Negative values are refused.
   */
  int64_t lattice_np;
  /**
   * Optional per-particle weight (mass in any unit, or a velocity component for a momentum
   * grid), element i at weight[i*wstride]; NULL means weight 1. Ignored by hp_cic_readout.
   */
  const float *weight;
  ptrdiff_t wstride; /**< distance between consecutive weights, in floats (>= 1 if used) */
  /**
   * Optional, with lattice_np > 0: particle i is lattice point hp_lattice_id(lattice_ids, i)
   * (increasing; any n up to lattice_np^3), e.g. the part of a lattice one MPI rank holds. Chunks
   * are then cut at the whole lattice's chunk boundaries, so a subset deposits into its voxels in
   * the same order, hence to the same bits, as the whole lattice. NULL: particle i is point i.
   */
  const hp_lattice_ids *lattice_ids;
} hp_cic_particles;

/** Opaque CIC plan: grid geometry, thread count and the preallocated workspace. */
typedef struct hp_cic_plan hp_cic_plan;

/**
 * Create a plan for a grid of nv^3 voxels in a periodic box of side @p box.
 * Allocates the whole workspace: about 8 bytes per chunk particle (32 MiB for the default
 * chunk of 2^22) plus 4*nv bytes per thread.
 * @param out       receives the plan (NULL on failure)
 * @param nv        grid side, 1 <= nv <= HP_CIC_NV_MAX
 * @param box       box side L (Mpc/h), finite and > 0
 * @param nthreads  OpenMP threads used by every execution; <= 0 means omp_get_max_threads()
 *                  at plan time. The results do not depend on it.
 * @param st        status, filled on failure
 * @return 0, HP_ERR_INPUT (bad nv or box, or a box so small that FLT_MAX * nv/L overflows a
 *         double) or HP_ERR_NOMEM
 */
int hp_cic_plan_create(hp_cic_plan **out, int64_t nv, double box, int nthreads, hp_status *st);

/**
 * Change the number of particles sorted per chunk (reallocates the workspace; mainly for tests
 * and for bounding memory). Grids are bit-identical across thread counts for any fixed chunk;
 * a different chunk may change the last bits of the sums.
 * @param p      plan
 * @param chunk  particles per chunk, 1 <= chunk <= HP_CIC_CHUNK_MAX
 * @param st     status
 * @return 0, HP_ERR_INPUT or HP_ERR_NOMEM (the plan keeps its old chunk on failure)
 */
int hp_cic_plan_set_chunk(hp_cic_plan *p, int64_t chunk, hp_status *st);

/**
 * Bytes of workspace held by the plan (excluding the grids, which the caller owns).
 * @param p  plan
 * @return workspace size in bytes
 */
size_t hp_cic_plan_workspace_bytes(const hp_cic_plan *p);

/**
 * Free a plan and its workspace. NULL is allowed.
 * @param p  plan or NULL
 */
void hp_cic_plan_destroy(hp_cic_plan *p);

/**
 * Add the particles' CIC weights (times parts->weight, if given) to @p grid. The grid is NOT
 * cleared, so several particle sets can be summed into one grid. Bit-identical for any number
 * of threads (for the plan's chunk size). Accumulates in float.
 * @param p      plan (its workspace is used: one deposit per plan at a time)
 * @param parts  particles; a non-finite position is refused (HP_ERR_INPUT naming the smallest
 *               such index found; the grid then holds the sums of the chunks before it)
 * @param grid   nv^3 floats (voxels), added to
 * @param st     status
 * @return 0 or HP_ERR_INPUT
 */
int hp_cic_deposit(hp_cic_plan *p, const hp_cic_particles *parts, float *grid, hp_status *st);

/**
 * Density contrast plus one, rho/rho_mean: zero @p grid, deposit, multiply by nv^3 / W where
 * W = n (no weights) or the sum of the weights (summed in double in a fixed order). The grid
 * mean is 1 in exact arithmetic.
 * @param p      plan
 * @param parts  particles, n >= 1; total weight must be non-zero
 * @param grid   nv^3 floats, overwritten with rho/rho_mean (dimensionless)
 * @param st     status
 * @return 0 or HP_ERR_INPUT
 */
int hp_cic_density(hp_cic_plan *p, const hp_cic_particles *parts, float *grid, hp_status *st);

/**
 * Mass-weighted mean velocity per voxel: out_vel[c] = sum_i w_i m_i v_ci / sum_i w_i m_i,
 * where w_i are the CIC weights, m_i = parts->weight (1 if NULL) and v_ci = vel[c][i*vstride];
 * 0 where the mass is not positive (no particle reaches the voxel). One sorted pass fills all
 * four grids; the density is bit-identical to hp_cic_density, and with unit masses the momentum
 * sums are bit-identical to hp_cic_deposit with weight = v_c. The four output grids must be
 * distinct.
 * @param p            plan
 * @param parts        particles (positions; weight = mass or NULL), n >= 1
 * @param vel          three velocity component arrays (any unit, e.g. km/s), element i at
 *                     vel[c][i*vstride]
 * @param vstride      distance between consecutive velocities, in floats (>= 1)
 * @param out_vel      three nv^3 grids, overwritten with the mean velocity (unit of vel)
 * @param out_density  nv^3 grid, overwritten with rho/rho_mean as by hp_cic_density (required:
 *                     it holds the mass during the computation)
 * @param st           status
 * @return 0 or HP_ERR_INPUT
 */
int hp_cic_velocity(hp_cic_plan *p, const hp_cic_particles *parts, const float *const vel[3],
                    ptrdiff_t vstride, float *const out_vel[3], float *out_density, hp_status *st);

/**
 * hp_cic_velocity restricted to the x-planes [x0, x0 + nx) of the nv^3 grid (one MPI rank's
 * slab): the four grids hold nx * nv * nv floats, plane x0 first; additions to other planes are
 * dropped. With the density scale nv^3 / @p total_weight (the whole set's), and the particles
 * given with lattice ids, a slab that receives every particle reaching its planes is
 * bit-identical to those planes of hp_cic_velocity on the whole lattice.
 * @param x0, nx        the window, 0 <= x0 < nv, 1 <= nx <= nv (wraps: x0 + nx may pass nv)
 * @param total_weight  the whole set's weight (its particle count without weights), > 0
 * @return 0 or HP_ERR_INPUT
 */
int hp_cic_velocity_slab(hp_cic_plan *p, const hp_cic_particles *parts, int64_t x0, int64_t nx,
                         double total_weight, const float *const vel[3], ptrdiff_t vstride,
                         float *const out_vel[3], float *out_density, hp_status *st);

/**
 * hp_cic_readout from a grid that holds only the x-planes [x0, x0 + nx) (plane x0 first): the
 * same values as the whole grid's readout; a particle that reaches another plane is refused
 * (HP_ERR_INPUT naming it).
 */
int hp_cic_readout_slab(const hp_cic_plan *p, const float *grid, int64_t x0, int64_t nx,
                        const hp_cic_particles *parts, float *out, hp_status *st);

/**
 * Interpolate @p grid at the particle positions with the CIC weights (the adjoint of
 * hp_cic_deposit): out[i] = sum over the 8 cells of weight * grid value, summed in double in a
 * fixed order and rounded to float; parts->weight is ignored. Threaded; each output depends on
 * one particle only, so the result is identical for any thread count. Does not use the
 * workspace: several readouts may run concurrently on one plan.
 * @param p      plan
 * @param grid   nv^3 floats (any unit)
 * @param parts  particles
 * @param out    n floats (unit of grid), out[i] for particle i
 * @param st     status
 * @return 0 or HP_ERR_INPUT (non-finite position: out is then incomplete)
 */
int hp_cic_readout(const hp_cic_plan *p, const float *grid, const hp_cic_particles *parts,
                   float *out, hp_status *st);

/**
 * One-dimensional CIC window sinc^2(pi*i/nv) (= sinc^2(k dx / 2) with k = 2 pi i / L,
 * dx = L/nv), sinc(x) = sin(x)/x, sinc(0) = 1.
 * @param nv  grid side (>= 1)
 * @param i   integer mode index, normally in [-nv/2, nv/2]
 * @return the window, in (0, 1] for |i| < nv
 */
double hp_cic_window1d(int64_t nv, int64_t i);

/**
 * CIC window in Fourier space, W(k) = prod_c sinc^2(k_c L / (2 nv)), for integer mode indices
 * (k_c = 2 pi i_c / L). Deconvolve a CIC density by dividing its Fourier modes by W (or by W^2
 * for a power spectrum). W(0,0,0) = 1; W at the Nyquist index nv/2 on one axis = (2/pi)^2.
 * @param nv          grid side (>= 1)
 * @param ix, iy, iz  mode indices, normally in [-nv/2, nv/2]
 * @return W
 */
double hp_cic_window(int64_t nv, int64_t ix, int64_t iy, int64_t iz);

#endif
