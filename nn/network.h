/**
 * @file network.h
 * @brief The halo painter's architecture as a layer list, and its weights.
 *
 * The generator of Kodi Ramanah, Charnock & Lavaux (2019), exactly as in
 * shared/DESIGN.md: two residual Inception blocks, four 1x1x1 layers and a
 * 1x1x1 output layer with ReLU. All convolutions are 3D, valid (no padding),
 * with bias; every hidden activation is a leaky ReLU of slope 0.1.
 *
 *   block (input C channels, side n -> 30 channels, side n-4):
 *     branch 0: 1x1x1 (C->10), 5x5x5 (10->10)
 *     branch 1: 1x1x1 (C->10), 3x3x3 (10->10)                cropped to n-4
 *     branch 2: 1x1x1 (C->10)                                 cropped to n-4
 *     y = lrelu(concat(branches) + x[channel 0] cropped)      the residual
 *   head: 1x1x1 (30->10) x1, (10->10) x3, each lrelu; out: 1x1x1 (10->K), ReLU
 *
 * The architecture is data (an hp_net), not code: the halo width, the
 * parameter count and the cost per voxel are computed from the layer list.
 * Weights use PyTorch's Conv3d layout: kernel[cout][cin][kx][ky][kz], then
 * bias[cout]; all of a network's parameters live in one float array.
 */
#ifndef HP_NETWORK_H
#define HP_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HP_NET_MAX_CONV 32
#define HP_NET_MAX_BLOCKS 4
#define HP_NET_MAX_BRANCH 4
#define HP_NET_MAX_K 64 /**< most output channels (mass bins) */

/** One 3D convolution (valid padding, with bias). */
typedef struct hp_conv {
  char name[64]; /**< e.g. "inception1/branch5" (also its group in the model file) */
  int cin;       /**< input channels */
  int cout;      /**< output channels */
  int k;         /**< kernel side (k x k x k) */
  int stride;    /**< stride (1 for the generator) */
  size_t w_off;  /**< offset of kernel[cout][cin][k][k][k] in hp_net.w */
  size_t b_off;  /**< offset of bias[cout] in hp_net.w */
} hp_conv;

/** A residual Inception block: branches are runs of consecutive convolutions. */
typedef struct hp_block {
  int nbranch;                  /**< number of branches */
  int first[HP_NET_MAX_BRANCH]; /**< index of a branch's first convolution */
  int len[HP_NET_MAX_BRANCH];   /**< convolutions in the branch */
  int residual;                 /**< add input channel 0 (cropped) to every output channel */
} hp_block;

/** The generator: blocks, then a head of 1x1x1 layers whose last one is the output. */
typedef struct hp_net {
  int nconv;                     /**< convolutions in total */
  hp_conv conv[HP_NET_MAX_CONV]; /**< in evaluation order: block 0 branches, block 1, ..., head */
  int nblocks;
  hp_block block[HP_NET_MAX_BLOCKS];
  int head_first, head_len; /**< head convolutions (the last one is the output layer) */
  int cin;                  /**< input channels (1: the density) */
  int k_out;                /**< output channels K (mass bins) */
  float slope;              /**< leaky ReLU slope (0.1) */
  size_t nparams;           /**< floats in w */
  float *w;                 /**< all kernels and biases (owned) */
} hp_net;

/** Build the paper's generator with @p cin input and @p k_out output channels; weights zeroed. */
int hp_net_generator(hp_net *net, int cin, int k_out, hp_status *st);
/** Free the weights (the struct is left empty). */
void hp_net_free(hp_net *net);
/** Deep copy. */
int hp_net_copy(hp_net *dst, const hp_net *src, hp_status *st);

/** Voxels lost per side: (input side - output side) / 2, from the layer list (4 for the paper). */
int hp_net_halo(const hp_net *net);
/** Multiply-adds per output voxel (convolutions only), counting each branch on its own grid. */
double hp_net_macs_per_voxel(const hp_net *net);

/** Weights ~ N(0, sigma) and biases = @p bias, from @p seed (the paper: 0.1 and 0.1). */
void hp_net_init_random(hp_net *net, uint64_t seed, double sigma, double bias);

/** Index of the convolution named @p name, or -1. */
int hp_net_find(const hp_net *net, const char *name);

#ifdef __cplusplus
}
#endif
#endif
