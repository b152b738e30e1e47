/**
 * @file train_log.h
 * @brief The training loss log: a CSV table (with the validation per mass bin) and its SVG
 *        plot, both rewritten atomically.
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
 * then, per mass bin k = 0..K-1 of the run (none in logs written before 2026-12-07, which
 * still read; their rows and the columns of a run without validation are "nan"):
 *   validation_loss_k   Poisson negative log-likelihood per voxel of bin k
 *   validation_corr_k   correlation of painted and true counts of bin k
 *   validation_mean_k   painted / true halos of bin k (sum mu / sum n)
 *   validation_bias_k   large-scale bias, painted / true, by cross-power with the density
 *                       (k < 0.1 h/Mpc; whole validation boxes only: train/trainer.h)
 * The plot has five panels against the update: the two training losses, the critic's
 * Wasserstein estimate and penalty, the validation loss, the validation correlation, and the
 * per-bin abundance and bias ratios.
 */
#ifndef HP_TRAIN_LOG_H
#define HP_TRAIN_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

/** Per-bin columns of a row: loss, correlation, mean ratio, bias ratio. */
#define HP_TRAIN_LOG_BIN_COLS 4

/** One row of the log. */
typedef struct hp_train_log_row {
  int64_t update;
  double critic_loss, generator_loss, wasserstein, validation_loss, time_s;
  double gradient_penalty, poisson_loss, validation_corr;
  int nbins; /**< mass bins with per-bin columns (0: none, written as nan) */
  double bin[HP_NET_MAX_K][HP_TRAIN_LOG_BIN_COLS]; /**< per bin: loss, corr, mean, bias */
} hp_train_log_row;

/** The CSV header line (without the newline) of a log with @p nbins per-bin column sets. */
void hp_train_log_header(int nbins, char *buf, size_t size);

/**
 * Read a log written by hp_train_log_write (to resume it). A missing file is an empty log.
 * @param rows  out: malloc'd rows (free()), *n of them
 * @return 0, HP_ERR_FORMAT (not a log of this layout, naming the line) or HP_ERR_NOMEM
 */
int hp_train_log_read(const char *path, hp_train_log_row **rows, int64_t *n, hp_status *st);

/** Write the whole log atomically, with as many per-bin column sets as the widest row. */
int hp_train_log_write(const char *path, const hp_train_log_row *rows, int64_t n, hp_status *st);

/**
 * Write the SVG plot atomically (self-contained, no fonts or scripts needed).
 * @param title  a line above the plot (e.g. objective and data)
 */
int hp_train_log_svg(const char *path, const hp_train_log_row *rows, int64_t n, const char *title,
                     hp_status *st);

#endif
