/**
 * @file train_log.h
 * @brief The training loss log: a CSV table and its SVG plot, both rewritten atomically.
 *
 * CSV columns (a header line, then one row per log interval; "nan" where the objective has no
 * such term):
 *   update            generator updates done
 *   critic_loss       mean over the interval of L_C = C(painted) - C(true) + penalty
 *   generator_loss    mean of L_G (-C(painted), plus the weighted Poisson term for both;
 *                     the Poisson loss for poisson)
 *   wasserstein       mean of C(true) - C(painted), the critic's Wasserstein estimate
 *   validation_loss   Poisson negative log-likelihood per voxel and bin on the validation
 *                     region, at the end of the interval (the same for every objective)
 *   time_s            wall time since the run began [s] (continued across resumptions)
 *   gradient_penalty  mean penalty lambda (||grad C|| - 1)^2
 *   poisson_loss      mean Poisson loss of the training samples
 *   validation_corr   correlation of painted and true counts on the validation region
 * The plot has four panels against the update: the two training losses, the critic's
 * Wasserstein estimate and penalty, the validation loss, the validation correlation.
 */
#ifndef HP_TRAIN_LOG_H
#define HP_TRAIN_LOG_H

#include <stdint.h>

#include "util/status.h"

/** One row of the log. */
typedef struct hp_train_log_row {
  int64_t update;
  double critic_loss, generator_loss, wasserstein, validation_loss, time_s;
  double gradient_penalty, poisson_loss, validation_corr;
} hp_train_log_row;

/** The CSV header line (without the newline). */
const char *hp_train_log_header(void);

/**
 * Read a log written by hp_train_log_write (to resume it). A missing file is an empty log.
 * @param rows  out: malloc'd rows (free()), *n of them
 * @return 0, HP_ERR_FORMAT (not a log of this layout, naming the line) or HP_ERR_NOMEM
 */
int hp_train_log_read(const char *path, hp_train_log_row **rows, int64_t *n, hp_status *st);

/** Write the whole log atomically. */
int hp_train_log_write(const char *path, const hp_train_log_row *rows, int64_t n, hp_status *st);

/**
 * Write the SVG plot atomically (self-contained, no fonts or scripts needed).
 * @param title  a line above the plot (e.g. objective and data)
 */
int hp_train_log_svg(const char *path, const hp_train_log_row *rows, int64_t n, const char *title,
                     hp_status *st);

#endif
