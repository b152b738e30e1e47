/**
 * @file engine.h
 * @brief The painter engine a run or an API plan paints with: the CPU engine
 *        (nn/painter.h) or the GPU engine (cuda/painter_cuda.h), behind one
 *        plan/execute, chosen by a device string ("cpu", "cuda", "auto").
 */
#ifndef HP_PLUGIN_ENGINE_H
#define HP_PLUGIN_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "nn/network.h"
#include "util/status.h"

/** What an engine plan is made for. */
typedef struct hp_engine_desc {
  int64_t n[3];        /**< input grid shape */
  int periodic;        /**< 1: output shape = input; 0: n - 2 halo */
  int nthreads;        /**< CPU threads (0 = all) */
  const char *device;  /**< "cpu", "cuda" or "auto" (NULL = "auto") */
  int device_id;       /**< CUDA device index */
  void *stream;        /**< host's cudaStream_t, or NULL */
  size_t device_bytes; /**< GPU memory budget (0 = 80% of the free memory) */
  int tf32;            /**< GPU convolutions on the tensor cores (TF32 inputs), else FP32 */
} hp_engine_desc;

typedef struct hp_engine hp_engine;

/**
 * Resolve a device string: *use_cuda = 1 for "cuda" (an error, HP_ERR_DEVICE, when the
 * build has no CUDA backend or the device id is not present) and for "auto" when the
 * device is present; 0 otherwise. @p note (size n) says what was decided and why.
 */
int hp_engine_resolve_device(const char *device, int device_id, int *use_cuda, char *note, size_t n,
                             hp_status *st);

/**
 * Plan. With "auto", a GPU plan that cannot be made (too little device memory, say)
 * falls back to the CPU engine and hp_engine_note() says why.
 */
int hp_engine_create(hp_engine **out, const hp_net *net, const hp_engine_desc *d, hp_status *st);
/** Paint host @p density into host grids @p out[k]. Allocates nothing. */
int hp_engine_execute(hp_engine *e, const float *density, float *const *out, hp_status *st);
void hp_engine_destroy(hp_engine *e);
void hp_engine_out_shape(const hp_engine *e, int64_t out[3]);
/** Host bytes held by the plan (CPU tile buffers and packed weights). */
size_t hp_engine_host_bytes(const hp_engine *e);
/** Device bytes held by the plan (0 on the CPU). */
size_t hp_engine_device_bytes(const hp_engine *e);
/** "cpu" or "cuda". */
const char *hp_engine_device(const hp_engine *e);
/** What was chosen and why, e.g. "cuda:0 NVIDIA H200 (...), 1 slab". */
const char *hp_engine_note(const hp_engine *e);

#endif
