/**
 * @file pipeline.h
 * @brief Stages chained from a resolved parameter set (used by the driver and by host codes).
 */
#ifndef HP_PIPELINE_H
#define HP_PIPELINE_H

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "params/params.h"

/**
 * Cosmology + seeded linear field + 2LPT particles at redshift @p z.
 * On success *cosmo and *lpt are owned by the caller (hp_cosmology_free,
 * hp_lpt_destroy) and the lattice's displacements and velocities are ready.
 */
int hp_pipeline_particles(const hp_params *p, double z, hp_cosmology **cosmo, hp_lpt **lpt,
                          hp_status *st);

#endif
