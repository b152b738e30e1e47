/**
 * @file train_layers.h
 * @brief Forward and backward passes of a 3D convolution and of the activations, for training.
 *
 * Every function exists twice: hp_f_* in float (the training path, vectorised along z with the
 * painter's vector type) and hp_d_* in float64 (the check path of the gradient tests). Both are
 * compiled from one source, train/layers_tmpl.h (see train/real.h).
 *
 * Tensors are planar and cubic: [channel][x][y][z], z fastest. A layer reads a cubic *view* of
 * its input, starting at the same offset on every axis, which is how the Inception blocks'
 * crops are done without copies. Strides act along all three axes; for a stride s > 1 the
 * input view is first split by phase along z (z = s q + p), so that the inner loops read
 * contiguous memory whatever the stride.
 *
 * Determinism: every output element (activation, input gradient, weight gradient) is owned by
 * one thread and summed in an order fixed by the layer's shapes, so results are bit-identical
 * for any thread count.
 *
 * Kernels (float path): the forward pass keeps blocks of 4 output channels x up to 4 vectors
 * of one output row in registers and loops over (ci, dx, dy, dz) (one vector load feeds 4
 * FMAs, one broadcast feeds up to 4); the input gradient of a stride-1 layer is the forward
 * kernel applied to the output gradient padded by k - 1 with the flipped, transposed kernel
 * (taps on the padding's zero planes and rows skipped); the weight gradient keeps 5 output
 * channels x 5 taps of accumulators per task (ci, dx, 5 of the k^2 (dy, dz) taps; 1x1x1: 5
 * input channels), the tasks of one (ci, dx) taking turns on blocks of rows that stay in L1.
 * Rows end in a masked vector, never a scalar tail. No allocation: callers pass scratch of
 * hp_?_conv_scratch() REALs.
 */
#ifndef HP_TRAIN_LAYERS_H
#define HP_TRAIN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"

#define HP_T_REAL float
#define HP_T_FN(x) hp_f_##x
#include "train/layers_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#define HP_T_REAL double
#define HP_T_FN(x) hp_d_##x
#include "train/layers_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#endif
