/**
 * @file trainer.h
 * @brief Training the painter: WGAN-GP (the paper), Poisson likelihood, or both.
 *
 * One call of hp_trainer_step is one generator update:
 *  - wgan-gp: n_critic critic updates, each on a fresh sample (density patch x, true counts y,
 *    painted G(x)): L_C = C(G(x)) - C(y) + lambda (||grad C(x_hat)|| - 1)^2 with
 *    x_hat = eps y + (1 - eps) G(x), the penalty's weight gradient by double backpropagation
 *    (train/critic.h); then a generator update on a fresh sample with L_G = -C(G(x)).
 *  - poisson: one generator update with L_G = mean over voxels and bins of
 *    lam - n ln(lam + eps), lam = G(x) the painted mean (train/losses.h).
 *  - both: as wgan-gp, with L_G = -C(G(x)) + poisson_weight sqrt(N) x the Poisson loss, N the
 *    number of output voxels x K. The critic's input gradient has norm ~1 (the penalty holds it
 *    there), the mean Poisson loss's ~1/sqrt(N): with the factor sqrt(N), poisson_weight = 1
 *    gives the two terms gradients of the same order whatever the patch size.
 * Each update draws its samples from (seed, update, step) only (train/data.h), Adam keeps
 * float moments, and every kernel sums in an order independent of the thread count: a run is a
 * function of its seed and its data, bit for bit, however it is split by checkpoints and
 * whatever the number of threads. All training buffers are planned at creation: a step
 * allocates nothing.
 *
 * Batch size 1, as the paper: one 58^3 density patch -> one 50^3 halo patch per sample.
 */
#ifndef HP_TRAINER_H
#define HP_TRAINER_H

#include <stdint.h>

#include "train/adam.h"
#include "nn/network.h"
#include "train/data.h"
#include "util/status.h"

/** Training objective. */
typedef enum hp_objective {
  HP_OBJ_WGAN_GP = 0, /**< Wasserstein GAN with gradient penalty (the paper) */
  HP_OBJ_POISSON = 1, /**< Poisson negative log-likelihood of the counts (supervised) */
  HP_OBJ_BOTH = 2     /**< WGAN-GP generator loss + poisson_weight x Poisson loss */
} hp_objective;

/** Settings of a training run. */
/** Surrogate slope of the output ReLU's gradient on a dead output channel (below zero on the
 *  whole patch) in likelihood training, for the gradients that would raise the output only
 *  (generator_api.h, gen_ws_set_output_leak); living channels get the exact derivative, and
 *  the model itself keeps the ReLU. */
#define HP_TRAIN_OUTPUT_LEAK 0.01

typedef struct hp_train_config {
  hp_objective objective;
  double lr, beta1, beta2; /**< Adam, both networks (the paper: 1e-4, 0.5, 0.999) */
  double adam_eps;         /**< Adam's regulariser (1e-8) */
  int n_critic;            /**< critic updates per generator update (the paper: 5) */
  double gp_lambda;        /**< gradient-penalty weight (the paper: 10) */
  double poisson_weight;   /**< weight of the Poisson term in HP_OBJ_BOTH (times sqrt(N)) */
  int patch;               /**< input patch side (the paper: 58) */
  double average_decay;    /**< d of the generator's weight average, 0 = none (below) */
  uint64_t seed;           /**< samples and critic initialisation */
  int nthreads;            /**< OpenMP threads (0 = all); results do not depend on it */
} hp_train_config;

/** The paper's settings: wgan-gp, Adam 1e-4 0.5 0.999, n_critic 5, lambda 10, patch 58. */
void hp_train_config_default(hp_train_config *c);

/** Name of an objective as in the parameter file: "wgan-gp", "poisson", "both". */
const char *hp_objective_name(hp_objective o);

/** Losses of one update (NaN where the objective has no such term). */
typedef struct hp_train_stats {
  double critic_loss; /**< mean over the critic updates of L_C (penalty included) */
  double wasserstein; /**< mean of C(y) - C(G(x)): the critic's Wasserstein estimate */
  double penalty;     /**< mean gradient penalty */
  double gen_loss;    /**< the generator's loss L_G */
  double poisson;     /**< Poisson loss of the generator's sample */
} hp_train_stats;

typedef struct hp_trainer hp_trainer;

/**
 * Plan a run: copy the generator, initialise the critic (wgan-gp, both) from the seed as the
 * paper (N(0, 0.1), biases 0.1), zero Adam, allocate every buffer.
 * @param gen   the generator (copied; its weights are the starting point)
 * @param data  prepared training data (hp_train_data_prepare with cfg->patch); must outlive
 *              the trainer
 * @return 0, HP_ERR_INPUT (bad settings, a patch the critic cannot read) or HP_ERR_NOMEM
 */
int hp_trainer_create(hp_trainer **out, const hp_train_config *cfg, const hp_net *gen,
                      const hp_train_data *data, hp_status *st);
/** Free (NULL is fine). */
void hp_trainer_destroy(hp_trainer *t);

/**
 * One generator update (with its critic updates). Allocates nothing.
 * @param s  out (may be NULL): the update's losses
 * @return 0 or HP_ERR_NUMERIC (a loss or a weight is no longer finite: the message says
 *         which update; lower the learning rate)
 */
int hp_trainer_step(hp_trainer *t, hp_train_stats *s, hp_status *st);

/** Validation scores: over every validation voxel and bin, and per mass bin. */
typedef struct hp_train_val {
  double loss; /**< Poisson -ln L per voxel and bin; NaN when the data have no validation region */
  double corr; /**< Pearson correlation of painted and true counts, all bins together */
  int k;       /**< mass bins scored below */
  double bin_loss[HP_NET_MAX_K]; /**< per bin: Poisson -ln L per voxel */
  double bin_corr[HP_NET_MAX_K]; /**< per bin: correlation of painted and true counts */
  double bin_mean[HP_NET_MAX_K]; /**< per bin: painted / true halos (sum mu / sum n) */
  /** per bin: large-scale bias, painted / true, by cross-power with the input density:
   *  sum over the modes 0 < k < kmax of Re(delta_mu delta_rho*) / the same of delta_n, summed
   *  over the whole (periodic) validation boxes; NaN without one, or where a bin is empty */
  double bin_bias[HP_NET_MAX_K];
} hp_train_val;

/**
 * Score the generator hp_trainer_output_net hands out on the validation regions, painted with
 * the fast engine (nn/painter.h) from each region's own density: the Poisson negative
 * log-likelihood (as the training loss, the same eps) of the true counts given the painted
 * mean, the correlation, the abundance and the large-scale bias (hp_train_val).
 * @param kmax_voxel  the bias's largest wavenumber times the voxel side (0.1 h/Mpc x 4 Mpc/h =
 *                    0.4 for k < 0.1 h/Mpc at 4 Mpc/h); <= 0: no bias (NaN)
 */
int hp_trainer_validate(hp_trainer *t, double kmax_voxel, hp_train_val *v, hp_status *st);

/** The generator being trained (its weights are current). */
const hp_net *hp_trainer_net(const hp_trainer *t);
/**
 * The generator the run hands out: with average_decay d > 0 the exponential moving average of
 * its weights over the updates (Polyak averaging: a = d a + (1 - d) w after every update, in
 * double, starting at the weights the run started from; ~1 / (1 - d) updates remembered), which
 * removes the scatter of Adam's last iterate at a constant rate; else the current weights.
 * hp_trainer_validate scores this one. The pointer stays the trainer's.
 */
const hp_net *hp_trainer_output_net(hp_trainer *t);
/** Generator updates done. */
int64_t hp_trainer_updates(const hp_trainer *t);
/** The run's settings. */
const hp_train_config *hp_trainer_config(const hp_trainer *t);
/** Bytes held by the trainer (workspaces, optimiser state, weights). */
size_t hp_trainer_bytes(const hp_trainer *t);
/** Floating-point operations of one update (multiply-adds x 2, convolutions and dense). */
double hp_trainer_flops_per_update(const hp_trainer *t);

/** Everything a checkpoint saves and restores (pointers into the trainer). */
typedef struct hp_train_state {
  int64_t *update;      /**< generator updates done */
  float *gen_w;         /**< generator weights (nparams) */
  size_t gen_n;         /**< generator parameters */
  hp_adam *gen_adam;    /**< generator optimiser */
  double *gen_avg;      /**< the weights' moving average (gen_n), or NULL (no averaging) */
  float *critic_w;      /**< critic weights, or NULL (poisson) */
  size_t critic_n;      /**< critic parameters (0 for poisson) */
  hp_adam *critic_adam; /**< critic optimiser, or NULL */
} hp_train_state;

/** The trainer's state, for train/checkpoint.c. */
void hp_trainer_state(hp_trainer *t, hp_train_state *s);

#endif
