/**
 * @file train_data.h
 * @brief Training pairs: (density, halo counts) boxes, their training and validation regions,
 *        and reproducible random patches with the cube's 48 symmetries.
 *
 * A box holds the density rho/rho_mean (nv^3, the generator's input) and the halo counts per
 * voxel and mass bin (K x nv^3, its target), both periodic. train/truth.h makes boxes
 * from halo catalogues; tests make them from arrays.
 *
 * Validation is disjoint from training in one of two ways: whole boxes marked for validation,
 * or a slab of every training box: the last round(f nv) x-planes. With a slab, training
 * patches lie in x in [0, nv - round(f nv)) without wrapping in x (they wrap in y and z), so
 * training never reads a validation voxel, density or counts; validation paints the slab's
 * interior, x in [nv - round(f nv) + h, nv - h) (h the network's halo), from the slab's own
 * density, so it never reads a training voxel either.
 *
 * Patches are drawn by a counter-based generator: the patch of update u, step s of a run with
 * seed S depends on (S, u, s) only (a splitmix64 hash), so a resumed run draws exactly the
 * patches of an uninterrupted one, whatever happened before.
 */
#ifndef HP_TRAIN_DATA_H
#define HP_TRAIN_DATA_H

#include <stdint.h>

#include "util/status.h"

/** One periodic box of training data. */
typedef struct hp_train_box {
  int64_t nv;       /**< grid side (voxels) */
  float *rho;       /**< nv^3 density rho/rho_mean, [x][y][z] (owned, hp_alloc) */
  float *counts;    /**< K x nv^3 halo counts per voxel and mass bin (owned, hp_alloc) */
  int validation;   /**< 1: the whole box is for validation */
  int64_t train_nx; /**< training x-planes [0, train_nx); nv: the whole box, periodic in x */
  double weight;    /**< number of distinct training patch positions */
  char name[512];   /**< where it came from (for messages) */
} hp_train_box;

/** The boxes of a run. */
typedef struct hp_train_data {
  int k;                /**< mass bins (channels of counts) */
  int nbox;             /**< boxes */
  hp_train_box *box;    /**< the boxes (owned) */
  int patch;            /**< input patch side (set by hp_train_data_prepare) */
  int halo;             /**< the generator's halo: output patch = patch - 2 halo */
  double val_fraction;  /**< validation slab fraction of each training box */
  int64_t n_val_voxels; /**< validation output voxels (per mass bin), all boxes */
} hp_train_data;

/** One random training sample. */
typedef struct hp_train_draw {
  int box;           /**< box index */
  int64_t origin[3]; /**< patch corner in the box (voxels) */
  int sym;           /**< cube symmetry 0..47 */
  double eps;        /**< U[0, 1): the gradient penalty's interpolation weight */
} hp_train_draw;

/** An empty set of boxes with @p k mass bins. */
int hp_train_data_init(hp_train_data *d, int k, hp_status *st);

/**
 * Add a box, taking ownership of @p rho and @p counts (allocated with hp_alloc; freed by
 * hp_train_data_free, also on failure).
 * @param validation  1: the box is used for validation only
 * @param name        a label for messages (e.g. the catalogue's path)
 */
int hp_train_data_adopt(hp_train_data *d, float *rho, float *counts, int64_t nv, int validation,
                        const char *name, hp_status *st);

/**
 * Fix the patch size and the validation slabs, and check that everything fits.
 * @param patch         input patch side (the paper: 58)
 * @param halo          the generator's halo (4): output side patch - 2 halo
 * @param val_fraction  fraction of each training box's x-planes kept for validation, [0, 0.9]
 * @return 0 or HP_ERR_INPUT (no training box, a patch larger than a box's training region,
 *         a slab too thin to paint, ...), naming the box and what to change
 */
int hp_train_data_prepare(hp_train_data *d, int patch, int halo, double val_fraction,
                          hp_status *st);

/** Free the boxes (a zeroed struct is fine). */
void hp_train_data_free(hp_train_data *d);

/** The sample of (seed, update, step): box (weighted by its patch positions), corner,
 * symmetry, eps. */
void hp_train_data_draw(const hp_train_data *d, uint64_t seed, int64_t update, int step,
                        hp_train_draw *dr);

/**
 * Cut a sample: the density patch (patch^3) and the counts of its inner cube (K x m^3,
 * m = patch - 2 halo), both transformed by the draw's symmetry.
 */
void hp_train_data_patch(const hp_train_data *d, const hp_train_draw *dr, float *rho_patch,
                         float *counts_patch, int nthreads);

/**
 * The validation region of box @p b: the generator's input is x-planes [x0, x0 + nx) of the box
 * (all y, z, periodic), its output the planes [x0 + halo, x0 + nx - halo), or, for a whole
 * validation box (*periodic = 1), the whole box painted periodically.
 * @return 0 when the box has no validation region, 1 otherwise
 */
int hp_train_data_val_region(const hp_train_data *d, int b, int64_t *x0, int64_t *nx,
                             int *periodic);

#endif
