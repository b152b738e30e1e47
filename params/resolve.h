/**
 * @file resolve.h
 * @brief Resolved parameters -> the typed descriptors each stage takes.
 *
 * Stages never read parameter files: the driver (or a host code) fills their
 * descriptors, and these functions do it from a loaded hp_params.
 */
#ifndef HP_RESOLVE_H
#define HP_RESOLVE_H

#include "cic/cic.h"
#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "lpt/noise.h"
#include "params/params.h"

/** Cosmology keys -> hp_cosmo_desc (power_file points into @p p: keep p alive). */
void hp_resolve_cosmology(const hp_params *p, hp_cosmo_desc *d);
/** NParticles, BoxSize, LPTOrder, LPTDealias, Threads -> hp_lpt_desc. */
void hp_resolve_lpt(const hp_params *p, hp_lpt_desc *d);
/** Seed, FixedAmplitude, PhaseFlip -> hp_noise_desc. */
void hp_resolve_noise(const hp_params *p, hp_noise_desc *d);
/** The noise plus WhiteNoiseFile and LinearFieldFile -> hp_initial_desc (strings borrowed). */
void hp_resolve_initial(const hp_params *p, hp_initial_desc *d);
/** Threads: 0 means all cores. */
int hp_resolve_threads(const hp_params *p);
/** NVoxels, or the nearest integer to BoxSize/VoxelSize when NVoxels = 0 (at least 1). */
int64_t hp_resolve_nvoxels(const hp_params *p);
/** OutputDir/FileBase + @p suffix into @p out (size n). */
int hp_resolve_output_path(const hp_params *p, const char *suffix, char *out, size_t n,
                           hp_status *st);

#endif
