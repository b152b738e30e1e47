/**
 * @file layers.h
 * @brief Plain layer operations on whole tensors (the obvious implementation).
 *
 * Tensors are planar: [channel][x][y][z], z fastest. These functions are the
 * readable reference that the fast inference engine is tested against and
 * that the training code builds its forward and backward passes on; they are
 * not the painter's hot path (nn/painter.c is).
 */
#ifndef HP_LAYERS_H
#define HP_LAYERS_H

#include <stdint.h>

#include "nn/network.h"

/** Output side of a valid convolution of side @p n with kernel k and stride s. */
static inline int64_t hp_conv_out_side(int64_t n, int k, int stride) {
  return n < k ? 0 : (n - k) / stride + 1;
}

/**
 * Valid 3D convolution with bias: out[co][i][j][l] = b[co] + sum_{ci,dx,dy,dz}
 * w[co][ci][dx][dy][dz] in[ci][s i + dx][s j + dy][s l + dz].
 * @param w   the network's weight array (the layer's kernel and bias at c->w_off, c->b_off)
 * @param n   input spatial shape; the output shape is hp_conv_out_side per axis
 */
void hp_conv3d(const hp_conv *c, const float *w, const float *in, const int64_t n[3], float *out);

/** In-place leaky ReLU: x < 0 -> slope x. */
void hp_lrelu(float *x, int64_t count, float slope);
/** In-place ReLU. */
void hp_relu(float *x, int64_t count);

/**
 * Copy the centre of a tensor: channels @p nc of side n, cropping @p c voxels
 * on each side of every axis, into out (side n - 2c), at channel offset 0.
 */
void hp_crop(const float *in, int nc, const int64_t n[3], int c, float *out);

/** out[ch] += x0 (one channel of the same spatial shape) for every channel ch < nc. */
void hp_broadcast_add(float *out, int nc, int64_t nvox, const float *x0);

#endif
