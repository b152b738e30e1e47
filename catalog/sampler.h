/**
 * @file sampler.h
 * @brief Painted counts per voxel and mass bin -> a halo catalogue.
 *
 * For every voxel and mass bin the painter gives a mean count lambda. The
 * sampler turns it into halos:
 *  - an integer count: drawn from the model's count distribution (default: Poisson, or the
 *    Conway-Maxwell-Poisson with the dispersion the model learned, nn/count_dist.h; where the
 *    model has exclusion runs, jointly along a space-filling curve, each voxel's distribution
 *    unchanged, nn/count_runs.h), from
 *    Poisson(lambda), or by stochastic rounding (floor(lambda) + 1 with probability
 *    lambda - floor(lambda));
 *  - positions: a 2LPT particle that fell in the voxel, drawn uniformly among
 *    them (default: keeps the sub-voxel structure of the matter), or a
 *    uniform point in the voxel; a voxel without particles falls back to
 *    uniform;
 *  - masses: drawn within the bin from the mass function's shape dn/dlnM
 *    (the caller's function: halopaint uses Tinker et al. 2008 from the linear
 *    P(k) at the run's cosmology and redshift), by inverting its cumulative
 *    distribution tabulated on 512 points in ln M;
 *  - velocities: the 2LPT mass-weighted velocity field (CIC on the voxel grid)
 *    read out at the halo position with CIC;
 *  - optionally redshift-space positions along one axis: s = x + v_los / (a H).
 * Every random number is a counter-based hash of (Seed, voxel, bin, draw):
 * the catalogue is identical whatever the number of threads.
 */
#ifndef HP_SAMPLER_H
#define HP_SAMPLER_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "cic/cic.h"
#include "nn/count_dist.h"
#include "util/status.h"

enum hp_count_mode { HP_COUNTS_POISSON = 0, HP_COUNTS_ROUNDING = 1, HP_COUNTS_MODEL = 2 };
/** Largest painted mean per voxel and bin the sampler accepts (O(1) in any sane model). */
#define HP_SAMPLER_MAX_MEAN 1e6

enum hp_position_mode { HP_POS_PARTICLES = 0, HP_POS_UNIFORM = 1 };

/** What the sampler is planned for. */
typedef struct hp_sampler_desc {
  int64_t nv;              /**< voxels per side of the painted grids */
  double box;              /**< BoxSize [Mpc/h] */
  int64_t np;              /**< particles per side of the 2LPT lattice (for position draws) */
  int nbins;               /**< mass bins K */
  const double *bin_edges; /**< K + 1 edges [Msun/h], increasing */
  double (*dndlnm)(void *ctx, double m); /**< mass function shape dn/dlnM at mass m [Msun/h] */
  void *ctx;                             /**< passed to dndlnm */
  int count_mode;                        /**< enum hp_count_mode */
  int position_mode;                     /**< enum hp_position_mode */
  int rsd_axis;                    /**< -1: real space; 0, 1, 2: redshift space along x, y, z */
  double rsd_factor;               /**< [Mpc/h per km/s] = 1 / (100 a E(a)) */
  uint64_t seed;                   /**< Seed */
  int nthreads;                    /**< 0 = all */
  const hp_count_dist *count_dist; /**< HP_COUNTS_MODEL: the model's (copied); NULL = Poisson */
  double max_catalog_bytes;        /**< refuse a catalogue larger than this (HP_SAMPLER_HALO_BYTES a
                                        halo), counted before it is allocated; 0 = no bound */
  int64_t npart; /**< when np = 0: particles given by position (another code's), see
                      hp_sampler_input.pos; when np > 0 (with x0, nx a slab): npart points of
                      the lattice, named by hp_sampler_input.lattice_ids */
  /** A slab (one MPI rank's): the count grids hold x-planes [x0, x0 + nx) of nv, the velocity
   *  grids those planes plus a ghost plane each side (x0 - 1 first, periodic). Every draw is
   *  keyed on the whole grid's voxel, so the slabs' catalogues, joined in plane order, are the
   *  whole grid's (halo ids excepted: 1.. per slab). nx = 0: the whole grid (x0 = 0). */
  int64_t x0, nx;
} hp_sampler_desc;

/** Bytes of one sampled halo: position, velocity, mass, id, mass bin. */
#define HP_SAMPLER_HALO_BYTES 44.0

/** The 2LPT particles and velocity field the halos take positions and velocities from. */
typedef struct hp_sampler_input {
  const float *const *counts;        /**< K grids of painted mean counts, nv^3 each */
  const float *disp[3];              /**< lattice displacements [Mpc/h], np^3 each (np > 0) */
  const float *vel_grid[3];          /**< mass-weighted velocity field [km/s] on the voxel grid */
  const float *pos;                  /**< np = 0: npart x 3 positions [Mpc/h], x y z per particle */
  const hp_lattice_ids *lattice_ids; /**< np > 0 and npart > 0: the lattice point of each
                                          particle (increasing); disp[] holds npart entries */
  /** A slab whose model draws along exclusion runs (hp_count_dist.run, nn/count_runs.h): K
   *  grids of the painted means of planes [x0 - HP_RUN_GHOST, x0 + nx + HP_RUN_GHOST),
   *  periodic; NULL otherwise. */
  const float *const *counts_ghost;
} hp_sampler_input;

typedef struct hp_sampler hp_sampler;

/** Plan: tabulate the mass CDFs, allocate the particle-in-voxel index and a CIC plan. */
int hp_sampler_create(hp_sampler **out, const hp_sampler_desc *d, hp_status *st);
/** Sample a catalogue (allocated into @p cat, which the caller frees with hp_catalog_free). */
int hp_sampler_execute(hp_sampler *s, const hp_sampler_input *in, hp_catalog *cat, hp_status *st);
void hp_sampler_destroy(hp_sampler *s);
/** Change the seed between realisations (the plan is otherwise reused). */
void hp_sampler_set_seed(hp_sampler *s, uint64_t seed);

/**
 * Re-plan for another redshift or model: tabulate the mass CDFs again from the descriptor's
 * dndlnm (whose context the caller has changed) and, in HP_COUNTS_MODEL, take @p count_dist
 * (copied; NULL = Poisson).
 */
int hp_sampler_retarget(hp_sampler *s, const hp_count_dist *count_dist, hp_status *st);

/** The integer count of bin @p k for mean @p lambda from uniform @p u in (0, 1). */
int64_t hp_sampler_count(const hp_sampler *s, int k, double lambda, double u);

#endif
