/**
 * @file run.h
 * @brief The main job as a library: parameters + model + seed -> halo catalogue, in process.
 *
 * 2LPT particles at Redshift -> CIC density (rho/rho_mean) and mass-weighted
 * velocity on the model's voxel grid -> painter -> sampler -> catalogue. No
 * density field is ever written. Everything (model, FFT plans, buffers) is
 * planned once by hp_run_create; hp_run_seed makes one realisation and can be
 * called for many seeds.
 */
#ifndef HP_RUN_H
#define HP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "lpt/field_file.h"
#include "lpt/lpt.h"
#include "nn/model.h"
#include "params/params.h"

/** Wall time of each stage of one realisation [s]. */
typedef struct hp_run_times {
  double lpt, cic, paint, sample;
} hp_run_times;

typedef struct hp_run hp_run;

/**
 * Load the model (ModelFile), check it against the parameters (voxel size,
 * redshift, LPT order, particles per voxel; refused unless AllowModelMismatch),
 * check the planned memory against MemoryLimit or the available memory, and
 * plan every stage. @p p must outlive the run.
 */
int hp_run_create(hp_run **out, const hp_params *p, hp_status *st);
/** One realisation for @p seed into @p cat (allocated; free with hp_catalog_free). */
int hp_run_seed(hp_run *r, uint64_t seed, hp_catalog *cat, hp_run_times *t, hp_status *st);
void hp_run_destroy(hp_run *r);

/** The sampler's count mode (enum hp_count_mode) of the CountSampling key. */
int hp_run_count_mode(const hp_params *p);
/** The sampler's position mode (enum hp_position_mode) of the HaloPositions key. */
int hp_run_position_mode(const hp_params *p);

/** Bytes the run planned (all stages, before any catalogue). */
size_t hp_run_planned_bytes(const hp_run *r);
/** The loaded model (bins, metadata). */
const hp_model *hp_run_model(const hp_run *r);
/** SHA-256 of the model file, hex. */
const char *hp_run_model_sha256(const hp_run *r);
/** Where the painter runs and why (the Device key resolved), e.g. "cpu (auto: ...)". */
const char *hp_run_device(const hp_run *r);
/** Voxels per side. */
int64_t hp_run_nvoxels(const hp_run *r);
/** What the last realisation's field file held (LinearFieldFile, WhiteNoiseFile; n = 0: none). */
const hp_field_info *hp_run_field_info(const hp_run *r);
/** The 2LPT plan: hp_lpt_delta_k holds the last realisation's linear field (WriteLinearField). */
hp_lpt *hp_run_lpt(hp_run *r);

/**
 * The differences between the parameters and the model's training set-up, as
 * one line each into @p buf ("" when they agree). @return the number of differences.
 */
/** Relative tolerance of the cosmology against the model's (OmegaBaryon: twice this). */
#define HP_RUN_COSMO_TOL 0.01

int hp_run_model_mismatch(const hp_params *p, const hp_model_meta *meta, char *buf, size_t n);
/** The same at redshift @p z instead of the Redshift key. */
int hp_run_model_mismatch_at(const hp_params *p, const hp_model_meta *meta, double z, char *buf,
                             size_t n);

/**
 * Parse a seed list "1-100", "1,4,7-9" (or "" = just @p fallback) into a malloc'd
 * array. Refuses malformed lists, descending ranges and more than 10^7 seeds.
 */
/** The largest seed: the Seed key's own maximum (2^62). */
#define HP_SEED_MAX 4611686018427387904ULL

int hp_run_parse_seeds(const char *spec, uint64_t fallback, uint64_t **seeds, int64_t *n,
                       hp_status *st);

#endif
