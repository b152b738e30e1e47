/**
 * @file pipeline.h
 * @brief Stages chained from a resolved parameter set (used by the driver and by host codes).
 */
#ifndef HP_PIPELINE_H
#define HP_PIPELINE_H

#include "lpt/cosmology.h"
#include "lpt/field_file.h"
#include "lpt/lpt.h"
#include "params/params.h"

/**
 * Cosmology + linear field (seeded, or from WhiteNoiseFile / LinearFieldFile; @p info, which
 * may be NULL, says what a file held) + 2LPT particles at redshift @p z.
 * On success *cosmo and *lpt are owned by the caller (hp_cosmology_free,
 * hp_lpt_destroy), the lattice's displacements and velocities are ready, and
 * hp_lpt_delta_k(*lpt) still holds the linear field.
 */
int hp_pipeline_particles(const hp_params *p, double z, hp_cosmology **cosmo, hp_lpt **lpt,
                          hp_field_info *info, hp_status *st);

#endif
