/**
 * @file train_catalog.h
 * @brief One training box from a halo catalogue: the density regenerated in process, the
 *        counts per voxel and mass bin.
 *
 * The truth is a halo catalogue; the generator's input is never stored: it is regenerated
 * from the parameter set and seed that made the truth (the same 2LPT code, the same white
 * noise), at the catalogue's redshift, and CIC-assigned (nn's painter input, rho/rho_mean) on
 * the model's voxel grid, NVoxels = BoxSize / (the model's voxel size), which must be a whole
 * number. The counts are nearest-grid-point: a halo adds 1 to the voxel that contains its
 * position, in the bin k with edge_k <= mass < edge_{k+1} (halos outside every bin are not
 * counted).
 *
 * Catalogue formats:
 *  - halopaint: a catalogue written by halopaint (`halopaint sim`), HDF5 or ASCII; its
 *    Parameters give the cosmology, box, particles, seed and LPT settings, its Header the
 *    redshift;
 *  - hdf5 / ascii: a user's own halo finder's output (e.g. on an N-body run started from
 *    `halopaint ic` initial conditions): positions and masses from named HDF5 datasets or
 *    numbered ASCII columns, times unit factors; the parameter set is the one that made the
 *    initial conditions, and its Redshift key is the catalogue's redshift.
 */
#ifndef HP_TRAIN_CATALOG_H
#define HP_TRAIN_CATALOG_H

#include <stdint.h>

#include "params/params.h"
#include "util/status.h"

/** Catalogue format. */
typedef enum hp_train_cat_format {
  HP_TRAIN_CAT_HALOPAINT = 0, /**< halopaint's catalogue (HDF5 or ASCII, auto-detected) */
  HP_TRAIN_CAT_HDF5 = 1,      /**< a user's HDF5 file: datasets named by hdf5_position/mass */
  HP_TRAIN_CAT_ASCII = 2      /**< a user's text file: columns numbered by ascii_columns */
} hp_train_cat_format;

/** Where one box's truth comes from. */
typedef struct hp_train_source {
  const char *path;           /**< catalogue file */
  hp_train_cat_format format; /**< its format */
  const hp_params *params;    /**< hdf5/ascii: the parameter set of the initial conditions
                                   (cosmology, BoxSize, NParticles, Seed, LPT keys, Redshift) */
  const char *hdf5_position;  /**< hdf5: dataset of positions, N x 3 */
  const char *hdf5_mass;      /**< hdf5: dataset of masses, N */
  int ascii_columns[4];       /**< ascii: 1-based columns of x, y, z, mass */
  double position_unit;       /**< file positions x this = Mpc/h (comoving) */
  double mass_unit;           /**< file masses x this = Msun/h */
  int nthreads;               /**< threads for 2LPT and CIC (0 = all) */
  int64_t nparticles;         /**< halopaint catalogues: > 0, the input density's NParticles
                                   instead of the catalogue's own (sparser inputs) */
} hp_train_source;

/** What a box is, for the model's metadata and for checks across boxes. */
typedef struct hp_train_box_info {
  double box_size;                                  /**< BoxSize [Mpc/h] */
  int64_t nv;                                       /**< voxels per side */
  double redshift;                                  /**< of the halos and of the density */
  int lpt_order;                                    /**< LPTOrder of the density */
  int64_t nparticles;                               /**< NParticles */
  double particles_per_voxel;                       /**< (NParticles / nv)^3 */
  int64_t seed;                                     /**< Seed of the initial conditions */
  double omega_m, omega_l, omega_b, h, sigma8, n_s; /**< cosmology */
  int64_t nhalos;                                   /**< halos in the catalogue */
  int64_t ncounted;                                 /**< halos counted (inside the mass bins) */
} hp_train_box_info;

/**
 * Build one box: read the catalogue, regenerate the density, count the halos.
 * @param src         the catalogue and how to read it
 * @param voxel_size  the model's voxel side [Mpc/h]
 * @param k           mass bins
 * @param edges       k + 1 bin edges [Msun/h]
 * @param rho         out: nv^3 density (hp_alloc; the caller frees with hp_free)
 * @param counts      out: k x nv^3 counts (hp_alloc)
 * @param info        out: what the box is
 * @return 0, HP_ERR_IO / HP_ERR_FORMAT (catalogue), HP_ERR_INPUT (a box that is not a whole
 *         number of voxels, missing parameters, bad columns), HP_ERR_NOMEM
 */
int hp_train_box_from_catalog(const hp_train_source *src, double voxel_size, int k,
                              const double *edges, float **rho, float **counts,
                              hp_train_box_info *info, hp_status *st);

/**
 * Nearest-grid-point counts: counts[b][voxel of pos] += 1 for every halo with edges[b] <= mass
 * < edges[b + 1]; positions are wrapped into the periodic box.
 * @param pos     n x 3 positions [Mpc/h]
 * @param mass    n masses [Msun/h]
 * @param counts  k x nv^3, added to
 * @return halos counted
 */
int64_t hp_train_counts_ngp(const float *pos, const double *mass, int64_t n, double box, int64_t nv,
                            int k, const double *edges, float *counts);

#endif
