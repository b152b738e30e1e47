/**
 * @file critic.h
 * @brief The WGAN critic of Kodi Ramanah, Charnock & Lavaux (2019): layer list, weights, passes.
 *
 * conv7x7x7 stride 2 (K -> 8), conv5x5x5 (8 -> 16), conv3x3x3 stride 2 (16 -> 32),
 * conv1x1x1 (32 -> 64), each valid with bias and followed by a leaky ReLU (slope 0.1); flatten
 * ([channel][x][y][z], as PyTorch); dense -> 1 scalar. For a 50^3 input the shapes are
 * 8x22^3, 16x18^3, 32x8^3, 64x8^3, 32768. The input has K channels, the generator's mass bins
 * (the paper: K = 1). The smallest input side is 19.
 *
 * Weights live in one float array of hp_critic.nparams: each convolution's kernel
 * [cout][cin][k][k][k] and bias (PyTorch layout), then the dense weights [dense_in] and bias.
 *
 * The passes (forward, backward, gradient penalty by double backpropagation) exist in float
 * (hp_f_critic_*, training) and float64 (hp_d_critic_*, gradient checks), one source
 * (train/critic_tmpl.h).
 */
#ifndef HP_CRITIC_H
#define HP_CRITIC_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

#define HP_CRITIC_MAX_CONV 8
/** Smallest input side of the paper's critic. */
#define HP_CRITIC_MIN_SIDE 19

/** The critic's architecture for one input size. */
typedef struct hp_critic {
  int cin;                              /**< input channels (the generator's K) */
  int64_t side;                         /**< input side (voxels) */
  int nconv;                            /**< convolutions */
  hp_conv conv[HP_CRITIC_MAX_CONV];     /**< in order, offsets into the weight array */
  int64_t out_side[HP_CRITIC_MAX_CONV]; /**< output side of each convolution */
  int64_t dense_in;                     /**< flattened length: cout x out_side^3 of the last */
  size_t dense_w_off, dense_b_off;      /**< offsets of the dense weights and bias */
  size_t nparams;                       /**< floats in the weight array */
  float slope;                          /**< leaky ReLU slope (0.1) */
} hp_critic;

/**
 * The paper's critic for inputs of @p cin channels and side @p side.
 * @return 0 or HP_ERR_INPUT (cin < 1, side < HP_CRITIC_MIN_SIDE)
 */
int hp_critic_paper(hp_critic *c, int cin, int64_t side, hp_status *st);

/** Weights ~ N(0, sigma), biases = @p bias, from @p seed (the paper: 0.1, 0.1). */
void hp_critic_init_random(const hp_critic *c, float *w, uint64_t seed, double sigma, double bias);

/** Multiply-adds of one forward pass. */
double hp_critic_macs(const hp_critic *c);

#define HP_T_REAL float
#define HP_T_FN(x) hp_f_##x
#include "train/critic_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#define HP_T_REAL double
#define HP_T_FN(x) hp_d_##x
#include "train/critic_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#endif
