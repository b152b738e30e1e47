/**
 * @file device.h
 * @brief CUDA devices seen by this build. Linked from cuda/device.cu when the
 *        build has CUDA, otherwise from cuda/device_stub.c (no GPU support).
 */
#ifndef HP_CUDA_DEVICE_H
#define HP_CUDA_DEVICE_H

#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** 1 if this build contains the CUDA backend, 0 otherwise. */
int hp_cuda_compiled(void);

/**
 * Number of usable CUDA devices in *n (0 when the build has no CUDA or the
 * machine has no GPU: not an error). A driver failure other than "no device"
 * is an HP_ERR_DEVICE with the CUDA message.
 */
int hp_cuda_device_count(int *n, hp_status *st);

/** Name of device @p id into buf (size n). */
int hp_cuda_device_name(int id, char *buf, int n, hp_status *st);

#ifdef __cplusplus
}
#endif
#endif
