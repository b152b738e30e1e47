/**
 * @file painter_pack.h
 * @brief The painter's weights packed for inference, shared by the CPU and GPU engines.
 *
 * Both engines are specialised to the paper's generator (branch width 10,
 * head 30 -> 10 -> 10 -> 10 -> 10 -> K); hp_painter_check_arch says whether a
 * layer list is that network. The pack is one float array; every part is an
 * offset into it, so a GPU engine copies it to the device in one transfer.
 *   reduce of block b: w[ci][30] (outputs 0-9 feed the 5^3 branch, 10-19 the
 *                      3^3 branch, 20-29 are the 1x1 branch), then bias[30]
 *   k^3 convolution:   w[ci][dx][dy][dz][co] (co fastest, 10 outputs), bias[10]
 *   head layer l:      w[ci][co], bias[co]
 *   block 1 folded:    its reduce is linear on the one input channel, so each k^3 branch is a
 *                      one-channel k^3 convolution of the input: w[dx][dy][dz][co], bias[co]
 *                      (exact algebra, summed in double; 10x fewer multiply-adds in block 1)
 */
#ifndef HP_PAINTER_PACK_H
#define HP_PAINTER_PACK_H

#include <stddef.h>

#include "nn/network.h"
#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HP_PACK_BLOCKS 2 /**< residual Inception blocks */
#define HP_PACK_HEAD 5   /**< head layers (the last is the output) */
#define HP_PACK_WIDTH 10 /**< channels per branch */

/** Offsets (in floats) of one block's packed weights. */
typedef struct hp_pack_block {
  int cin;                                     /**< block input channels (1, then 30) */
  size_t red_w, red_b, c5_w, c5_b, c3_w, c3_b; /**< offsets into hp_painter_pack.w */
} hp_pack_block;

typedef struct hp_painter_pack {
  int k_out;   /**< output channels K */
  float slope; /**< leaky ReLU slope */
  hp_pack_block blk[HP_PACK_BLOCKS];
  size_t head_w[HP_PACK_HEAD], head_b[HP_PACK_HEAD];
  size_t f5_w, f5_b, f3_w, f3_b; /**< block 1's 5^3 and 3^3 branches folded (offsets) */
  int head_cin[HP_PACK_HEAD], head_cout[HP_PACK_HEAD];
  size_t nfloats; /**< floats in w */
  float *w;       /**< owned */
} hp_painter_pack;

/** HP_OK if @p net is the Kodi Ramanah et al. (2019) generator the engines implement. */
int hp_painter_check_arch(const hp_net *net, const char *engine, hp_status *st);
/** Check the architecture, then allocate and fill the pack. */
int hp_painter_pack_create(hp_painter_pack *pk, const hp_net *net, const char *engine,
                           hp_status *st);
/** Free the pack's array (the struct is left empty). */
void hp_painter_pack_free(hp_painter_pack *pk);

#ifdef __cplusplus
}
#endif
#endif
