/**
 * @file bias_model.h
 * @brief The field-level quadratic bias baseline: a tracer's modes fitted by
 *        b1 delta + b2 (delta^2 - <delta^2>) + bs2 (s^2 - <s^2>) of the matter field, with
 *        s^2 = s_ij s_ij the tidal field squared, s_ij(k) = (k_i k_j / k^2 - delta_ij / 3) delta(k)
 *        (McDonald & Roy 2009; Schmittfull et al. 2019 fit such models at the field level).
 *
 * What a painter has to beat beyond the linear-bias baseline of stats/cross.h: the second-order
 * terms any local bias expansion has. The operators are built from the matter field's modes
 * as given (on the analysis mesh, no extra smoothing; modes at the Nyquist index dropped), and
 * the coefficients are the least-squares fit over the modes with 0 < |k| < k_max.
 */
#ifndef HP_STATS_BIAS_MODEL_H
#define HP_STATS_BIAS_MODEL_H

#include "stats/field.h"
#include "util/status.h"

#define HP_BIAS_NOPS 3 /**< delta, delta^2, s^2 */

/**
 * The three operators' modes from the matter contrast's modes @p m (allocated into @p op by the
 * call; hp_stats_field_free each).
 */
int hp_stats_bias_operators(const hp_stats_fft *fft, const hp_stats_field *m,
                            hp_stats_field op[HP_BIAS_NOPS], hp_status *st);

/**
 * Least-squares coefficients @p b of the tracer modes @p a on the operators over the modes with
 * 0 < |k| < @p kmax, and the fitted field @p q (allocated by the call).
 * @return 0, HP_ERR_INPUT (sides differ, no modes) or HP_ERR_NUMERIC (singular normal equations)
 */
int hp_stats_bias_fit(const hp_stats_field *a, const hp_stats_field op[HP_BIAS_NOPS], double kmax,
                      double b[HP_BIAS_NOPS], hp_stats_field *q, hp_status *st);

#endif
