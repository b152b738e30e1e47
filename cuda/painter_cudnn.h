/**
 * @file painter_cudnn.h
 * @brief The halo painter with cuDNN's 3D convolutions: the baseline our own CUDA
 *        kernels (cuda/painter_cuda.h) are benchmarked against.
 *
 * Same contract as the CPU engine (nn/painter.h) and hp_cuda_painter: density
 * rho/rho_mean, float, row-major [x][y][z] on the host; K host output grids;
 * periodic input gives an output of the input's shape (the plan pads the box by
 * the halo periodically on the device), non-periodic input of side n gives n - 8.
 * The whole box is held on the device (no slabs): create fails with
 * HP_ERR_NOMEM, saying how many bytes it needed, when it does not fit. cuDNN's
 * legacy tensor descriptors index with 32-bit ints, so the largest activation
 * (30 channels of the padded box) must stay under 2^31 elements (side <= ~410).
 *
 * create checks the layer list is the paper's generator, allocates every device
 * buffer, picks each convolution's algorithm by timing them
 * (cudnnFindConvolutionForwardAlgorithmEx) and allocates their workspace;
 * execute allocates nothing.
 *
 * In a build without CUDA (CUDA=0) these are linked from painter_cudnn_stub.c
 * and create returns HP_ERR_DEVICE saying so.
 */
#ifndef HP_CUDA_PAINTER_CUDNN_H
#define HP_CUDA_PAINTER_CUDNN_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a cuDNN painter plan is made for. */
typedef struct hp_cudnn_painter_desc {
  int64_t n[3];  /**< input grid shape [x][y][z] */
  int periodic;  /**< 1: periodic box, output shape = input; 0: output n - 2 halo */
  int device_id; /**< CUDA device index */
  int tf32;      /**< 1: allow TF32 tensor-core math (CUDNN_TENSOR_OP_MATH); 0: strict FP32
                      (CUDNN_FMA_MATH) */
} hp_cudnn_painter_desc;

typedef struct hp_cudnn_painter hp_cudnn_painter;

/** Plan: check the architecture and shapes, allocate device buffers, choose algorithms. */
int hp_cudnn_painter_create(hp_cudnn_painter **out, const hp_net *net,
                            const hp_cudnn_painter_desc *d, hp_status *st);
/** Paint host @p density into host grids @p out[k] (output shape). Allocates nothing. */
int hp_cudnn_painter_execute(hp_cudnn_painter *p, const float *density, float *const *out,
                             hp_status *st);
/** Free everything (NULL is fine). */
void hp_cudnn_painter_destroy(hp_cudnn_painter *p);
/** Output shape. */
void hp_cudnn_painter_out_shape(const hp_cudnn_painter *p, int64_t out[3]);
/**
 * Times of the last execute, by CUDA events, in milliseconds: @p total from the
 * start of the host->device copy to the end of the device->host copies,
 * @p compute the kernels alone (padding, convolutions, bias, activations).
 */
void hp_cudnn_painter_last_ms(const hp_cudnn_painter *p, double *total, double *compute);
/** Device bytes held by the plan (buffers, weights and convolution workspace). */
size_t hp_cudnn_painter_device_bytes(const hp_cudnn_painter *p);

#ifdef __cplusplus
}
#endif
#endif
