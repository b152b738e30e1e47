/**
 * @file painter_cuda.h
 * @brief The halo painter on an NVIDIA GPU: plan once, execute on many fields.
 *
 * Same contract as the CPU engine (nn/painter.h): density rho/rho_mean, float,
 * row-major [x][y][z] on the host; K host output grids; periodic input gives an
 * output of the input's shape, non-periodic input of side n gives n - 2 halo.
 * The plan sets the device, packs the weights, allocates every device buffer and splits the
 * box into slabs along x that fit the device-memory budget (one slab when the whole box
 * fits). With several slabs, two copy streams and pinned host staging (allocated by the plan)
 * bring slab i+1 in and take slab i-1 out while the compute stream paints slab i, and the
 * host fills and empties the staging meanwhile. Execute allocates nothing.
 *
 * In a build without CUDA (CUDA=0) these are linked from painter_cuda_stub.c
 * and create returns HP_ERR_DEVICE saying so.
 */
#ifndef HP_CUDA_PAINTER_CUDA_H
#define HP_CUDA_PAINTER_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Arithmetic of the convolutions. */
typedef enum hp_gpu_precision {
  HP_GPU_FP32 = 0, /**< FP32 FMA on the CUDA cores (matches the CPU engine to ~1e-6) */
  HP_GPU_TF32 = 1  /**< TF32 inputs, FP32 accumulation, on the tensor cores (WMMA) */
} hp_gpu_precision;

/** What a GPU painter plan is made for. */
typedef struct hp_cuda_painter_desc {
  int64_t n[3];     /**< input grid shape [x][y][z] */
  int periodic;     /**< 1: periodic box, output shape = input; 0: output n - 2 halo */
  int device_id;    /**< CUDA device index */
  void *stream;     /**< the host's cudaStream_t to compute on (NULL: the plan makes its own) */
  int precision;    /**< hp_gpu_precision */
  size_t max_bytes; /**< device-memory budget for the plan; 0 = 80% of the free memory */
} hp_cuda_painter_desc;

typedef struct hp_cuda_painter hp_cuda_painter;

/** Plan: check the architecture and shapes, pack weights, allocate device and pinned buffers. */
int hp_cuda_painter_create(hp_cuda_painter **out, const hp_net *net, const hp_cuda_painter_desc *d,
                           hp_status *st);
/** Paint host @p density into host grids @p out[k] (output shape). Allocates nothing. */
int hp_cuda_painter_execute(hp_cuda_painter *p, const float *density, float *const *out,
                            hp_status *st);
/** Free everything (NULL is fine). */
void hp_cuda_painter_destroy(hp_cuda_painter *p);
/** Output shape. */
void hp_cuda_painter_out_shape(const hp_cuda_painter *p, int64_t out[3]);
/** Device bytes held by the plan. */
size_t hp_cuda_painter_device_bytes(const hp_cuda_painter *p);
/** Slabs the box is painted in (1 when it fits whole). */
int hp_cuda_painter_nslabs(const hp_cuda_painter *p);
/**
 * Times of the last execute in milliseconds: @p total, the wall-clock time of the whole call
 * (copies included); @p compute, the kernels alone by CUDA events (summed over slabs).
 */
void hp_cuda_painter_last_ms(const hp_cuda_painter *p, double *total, double *compute);

#ifdef __cplusplus
}
#endif
#endif
