/**
 * @file lightcone.h
 * @brief `halopaint lightcone` as a library: parameters + models + seed -> a light-cone halo
 *        catalogue, in process, in the memory of one box.
 *
 * One 2LPT solve keeps psi1 and psi2 apart. The cone is cut into shells of comoving distance
 * (LightconeShellWidth); each shell's particles are the box at the shell's own redshift
 * (x = q + D1 psi1 + D2 psi2, v = V1 psi1 + V2 psi2 at the shell's near edge), CIC-gridded,
 * painted by the models whose redshifts bracket the shell (mean counts and count distribution
 * interpolated linearly in D1), sampled, and every periodic image of a sampled halo that falls
 * inside the shell and the footprint is kept, thinned across the shell by the evolution of
 * each bin's abundance (plugin/lightcone_shells.h). Evolution = Snapshot instead paints the box
 * once at Redshift and cuts every shell from it (the cone of one snapshot).
 */
#ifndef HP_LIGHTCONE_H
#define HP_LIGHTCONE_H

#include <stddef.h>
#include <stdint.h>

#include "lightcone/cone.h"
#include "lpt/field_file.h"
#include "lpt/lpt.h"
#include "params/params.h"
#include "plugin/lightcone_shells.h"

/** Wall time of the stages of one cone [s], summed over shells. */
typedef struct hp_lightcone_times {
  double lpt, particles, cic, paint, sample, cut;
} hp_lightcone_times;

typedef struct hp_lightcone hp_lightcone;

/**
 * Load and check the models (LightconeModelFiles; Snapshot: ModelFile at Redshift), read the
 * footprint, lay out the shells, plan the memory (refused before anything big is allocated
 * when it does not fit MemoryLimit or the machine), and plan every stage.
 */
int hp_lightcone_create(hp_lightcone **out, const hp_params *p, hp_status *st);
/**
 * One cone for @p seed. @p cone is initialised here (free with hp_cone_free) and receives the
 * header; the halos go to @p out shell by shell (the memory of one shell's halos; the caller
 * closes @p out with the header), or, when @p out is NULL, all stay in @p cone.
 */
int hp_lightcone_seed(hp_lightcone *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *out,
                      hp_lightcone_times *t, hp_status *st);
void hp_lightcone_destroy(hp_lightcone *lc);

/** Bytes planned for the fields (all stages) and for the expected catalogue. */
size_t hp_lightcone_planned_bytes(const hp_lightcone *lc);
/** Halos expected in the cone (Tinker et al. 2008 over the shells and bins). */
double hp_lightcone_expected_halos(const hp_lightcone *lc);
int hp_lightcone_nshells(const hp_lightcone *lc);
/** Largest |i| of the box images the cone uses. */
int hp_lightcone_replicas(const hp_lightcone *lc);
/** The models by redshift with their files and hashes, one line. */
const char *hp_lightcone_models(const hp_lightcone *lc);
/** Where the painter runs, as for run. */
const char *hp_lightcone_device(const hp_lightcone *lc);
/** The 2LPT plan: hp_lpt_delta_k holds the last cone's linear field (WriteLinearField). */
hp_lpt *hp_lightcone_lpt(hp_lightcone *lc);
/** What the last cone's field file held (LinearFieldFile, WhiteNoiseFile; n = 0: none). */
const hp_field_info *hp_lightcone_field_info(const hp_lightcone *lc);

#endif
