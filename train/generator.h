/**
 * @file gen_train.h
 * @brief The generator's forward pass with stored activations, and its backward pass.
 *
 * Works on any generator described by an hp_net layer list (Inception blocks of branches of
 * convolutions, then the head), in float (hp_f_gen_*, training) or float64 (hp_d_gen_*,
 * gradient checks), one source (train/generator_tmpl.h).
 *
 * Each convolution computes only the region its consumers read: a branch whose output is
 * cropped reads a centred view of the block input, so the crops of the Inception blocks cost
 * nothing and their backward passes need no zero padding. Per block:
 *   forward   y = lrelu(concat_b(branch_b(view_b(x))) + x[channel 0, cropped])
 *   backward  dz = dy lrelu'(y); dW_branch from (view_b(x), dz_b); dx[view_b] += W^T dz_b;
 *             dx[0][crop] += sum over channels of dz (the residual)
 * The block-0 input gradient (the density's) is never formed. A block-0 branch that opens with
 * a 1x1 reduce of the one-channel density is linear up to its k^3 convolution, so the pair runs
 * folded, as one one-channel convolution of the density (weights from both layers', in
 * double), and the two layers' gradients come from the folded kernel's (docs/training.md):
 * 10x fewer multiply-adds in block 0, and its reduce planes are never formed.
 * Memory: every activation and one gradient per activation, about 2 x 4 bytes x 140 floats per
 * input voxel in float (~ 260 MB for a 58^3 patch).
 */
#ifndef HP_GEN_TRAIN_H
#define HP_GEN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

#define HP_T_REAL float
#define HP_T_FN(x) hp_f_##x
#include "train/generator_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#define HP_T_REAL double
#define HP_T_FN(x) hp_d_##x
#include "train/generator_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#endif
