/**
 * @file adam.h
 * @brief The Adam optimiser (Kingma & Ba 2015) on a float parameter array.
 *
 * t += 1; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
 * evaluated per element in double and stored in float (w, m, v). Element-wise, so the result
 * does not depend on the thread count; the state (m, v, t) is what a checkpoint saves.
 */
#ifndef HP_ADAM_H
#define HP_ADAM_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/** Optimiser state and settings for n parameters. */
typedef struct hp_adam {
  size_t n;     /**< parameters */
  double lr;    /**< learning rate (the paper: 1e-4) */
  double beta1; /**< first-moment decay (the paper: 0.5) */
  double beta2; /**< second-moment decay (the paper: 0.999) */
  double eps;   /**< denominator regulariser (1e-8) */
  int64_t t;    /**< steps taken */
  float *m, *v; /**< moments (owned) */
} hp_adam;

/**
 * Zeroed moments for @p n parameters.
 * @return 0, HP_ERR_INPUT (lr <= 0, betas outside [0, 1), eps <= 0) or HP_ERR_NOMEM
 */
int hp_adam_init(hp_adam *a, size_t n, double lr, double beta1, double beta2, double eps,
                 hp_status *st);
/** Free the moments (a zeroed struct is fine). */
void hp_adam_free(hp_adam *a);
/** One step: update @p w (n floats) with the gradient @p g. */
void hp_adam_step(hp_adam *a, float *w, const float *g, int nthreads);

#endif
