/**
 * @file lpt_linear.h
 * @brief Glue between cosmology and 2LPT: the linear field and the growth factors.
 */
#ifndef HP_LPT_LINEAR_H
#define HP_LPT_LINEAR_H

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/field_file.h"
#include "lpt/noise.h"

/**
 * Fill the plan's delta_k with the seeded white noise scaled by sqrt(P(k)/V),
 * P the linear spectrum at z = 0 (D1 = 1). P is evaluated once per distinct
 * integer |n|^2 = nx^2 + ny^2 + nz^2 of the grid (exact, no interpolation).
 */
int hp_lpt_set_linear(hp_lpt *l, const hp_cosmology *c, const hp_noise_desc *nd, hp_status *st);

/**
 * Scale unit white noise by sqrt(P(k)/V) in the kx-planes [@p x0, @p x0 + @p nx) of an
 * [np][np][np/2+1] half-complex grid, @p K pointing at plane x0 ([nx][np][np/2+1]): what
 * hp_lpt_set_linear does to the whole grid, bit-identical per mode (one rank's slab). P is
 * evaluated once per integer |n|^2. @p box in Mpc/h; @p nthreads 0 = all.
 */
int hp_linear_scale_slab(float (*K)[2], int64_t np, int64_t x0, int64_t nx, double box,
                         const hp_cosmology *c, int nthreads, hp_status *st);

/** Where a run's linear field comes from (docs/linear-field.md). */
typedef struct hp_initial_desc {
  hp_noise_desc noise;           /**< Seed, FixedAmplitude, PhaseFlip */
  const char *white_noise_file;  /**< WhiteNoiseFile: its noise instead of the seeded one */
  const char *linear_field_file; /**< LinearFieldFile: the field itself (P(k) and noise unused) */
} hp_initial_desc;

/**
 * Fill the plan's delta_k from @p d: the seeded noise (as hp_lpt_set_linear), a white-noise
 * file scaled the same way, or a linear field file as it is (PhaseFlip negates it;
 * FixedAmplitude is refused, the amplitudes being the file's). @p info (may be NULL) says
 * what a file held; the field's power against the cosmology's P(k) is measured for a linear
 * field file (below half its grid's Nyquist wavenumber).
 */
int hp_lpt_set_initial(hp_lpt *l, const hp_cosmology *c, const hp_initial_desc *d,
                       hp_field_info *info, hp_status *st);

/**
 * Check that @p d's file (if any) is there with a usable grid, before anything is computed,
 * and give the bytes hp_lpt_set_initial will allocate beyond the plan (a coarser field).
 */
int hp_lpt_initial_check(const hp_initial_desc *d, int64_t np, double *bytes, hp_status *st);

/** Growth and velocity factors at scale factor @p a (V in km/s per Mpc/h). */
int hp_lpt_factors_at(const hp_cosmology *c, double a, hp_lpt_factors *f, hp_status *st);

#endif
