/**
 * @file snapshot.h
 * @brief Another code's particles: a Gadget-2 binary (formats 1, 2, multi-file) or
 *        Gadget-4 / SWIFT-style HDF5 snapshot or IC file read for painting (`halopaint paint`)
 *        and for drawing a catalogue from painted counts (`halopaint sample`).
 *
 * Positions are converted to Mpc/h and wrapped into the box; velocities to peculiar km/s.
 * Before painting, the particles are checked against the model: the voxel grid the box makes,
 * particles per voxel, redshift and (where the file records them) Omega0 and HubbleParam.
 */
#ifndef HP_SNAPSHOT_H
#define HP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "nn/model.h"
#include "util/status.h"

/** How the velocities of a file are stored. */
enum hp_snap_velocity {
  HP_SNAP_VEL_GADGET = 0,   /**< Gadget's u = v_pec / sqrt(a) (Gadget-2/4, halopaint ic/sim) */
  HP_SNAP_VEL_PECULIAR = 1, /**< peculiar velocities (SWIFT) */
};

/** A snapshot in the units halopaint works in. */
typedef struct hp_snapshot {
  int64_t n;          /**< particles */
  float *pos;         /**< n x 3 [Mpc/h], in [0, box) */
  float *vel;         /**< n x 3 peculiar velocities [km/s] */
  double box;         /**< BoxSize [Mpc/h] */
  double redshift;    /**< z of the file's header */
  double omega_m, h;  /**< as recorded (NaN when the file does not say) */
  double length_unit; /**< Mpc/h per file length unit that was used */
  char unit_note[96]; /**< how length_unit was decided (for the user) */
} hp_snapshot;

/**
 * Read the particles of @p path: a file of a snapshot (its other files are found when the
 * header says there are several) or the base name of a multi-file one (lpt/ic_read.h).
 * @param length_unit  Mpc/h per file length unit; 0 = from the file (HDF5 units), else
 *                     Gadget's kpc/h when BoxSize >= 20000 and Mpc/h below (said in unit_note)
 * @param velocities   enum hp_snap_velocity
 */
int hp_snapshot_read(hp_snapshot *s, const char *path, double length_unit, int velocities,
                     hp_status *st);
/** Free the arrays (safe on a zeroed or freed snapshot). */
void hp_snapshot_free(hp_snapshot *s);

/**
 * The voxel grid @p s makes with the model's voxel size (*nv) and what differs from the model's
 * training set-up, one line each into @p buf. @return the number of differences.
 */
int hp_snapshot_mismatch(const hp_snapshot *s, const hp_model_meta *m, int64_t *nv, char *buf,
                         size_t n);

/** How `sample` draws a catalogue (the options of hp_sampler_desc it exposes). */
typedef struct hp_snapshot_sample_desc {
  uint64_t seed;     /**< the draws' seed */
  int count_mode;    /**< enum hp_count_mode */
  int position_mode; /**< enum hp_position_mode */
  int rsd_axis;      /**< -1, or 0, 1, 2 */
  int nthreads;      /**< 0 = all */
} hp_snapshot_sample_desc;

/**
 * Draw a catalogue from painted counts (@p counts: K grids of nv^3, as `paint` writes) and the
 * particles they were painted from: positions on the particles, velocities from their
 * mass-weighted field, masses from Tinker et al. (2008) at the model's cosmology and redshift.
 */
int hp_snapshot_sample(const hp_snapshot *s, const hp_model *m, int64_t nv,
                       const float *const *counts, const hp_snapshot_sample_desc *d,
                       hp_catalog *cat, hp_status *st);

#endif
