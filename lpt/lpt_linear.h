/**
 * @file lpt_linear.h
 * @brief Glue between cosmology and 2LPT: the linear field and the growth factors.
 */
#ifndef HP_LPT_LINEAR_H
#define HP_LPT_LINEAR_H

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/noise.h"

/**
 * Fill the plan's delta_k with the seeded white noise scaled by sqrt(P(k)/V),
 * P the linear spectrum at z = 0 (D1 = 1). P is evaluated once per distinct
 * integer |n|^2 = nx^2 + ny^2 + nz^2 of the grid (exact, no interpolation).
 */
int hp_lpt_set_linear(hp_lpt *l, const hp_cosmology *c, const hp_noise_desc *nd, hp_status *st);

/** Growth and velocity factors at scale factor @p a (V in km/s per Mpc/h). */
int hp_lpt_factors_at(const hp_cosmology *c, double a, hp_lpt_factors *f, hp_status *st);

#endif
