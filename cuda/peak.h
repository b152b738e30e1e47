/**
 * @file peak.h
 * @brief What a CUDA device can do, measured: the ceilings the GPU painter's speed is judged by.
 *
 * hp_cuda_peak_fp32 times a kernel of independent FMA chains on the CUDA cores,
 * hp_cuda_peak_tf32 a kernel of WMMA m16n16k8 TF32 products (FP32 accumulators) on
 * register-resident fragments: no memory traffic in either, enough blocks to fill every
 * multiprocessor several times over, timed by CUDA events after a warm-up launch, best
 * of 3. They are the rates the painter's FP32 and tensor-core (TF32 WMMA) paths could
 * at best reach on that device, as the CPU benchmarks' FMA loop is for the CPU engine
 * (bench/fma_peak.h). Each runs for roughly a quarter of a second.
 *
 * The calls make @p device current while they run and restore the caller's device.
 * Linked from cuda/peak.cu when the build has CUDA, otherwise from cuda/peak_stub.c,
 * whose calls fail with HP_ERR_DEVICE.
 */
#ifndef HP_CUDA_PEAK_H
#define HP_CUDA_PEAK_H

#include "util/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Measured FP32 FMA peak of @p device in GFLOP/s (2 flops per FMA). */
int hp_cuda_peak_fp32(int device, double *gflops, hp_status *st);

/** Measured tensor-core TF32 peak (WMMA m16n16k8, 2*16*16*8 flops per product) in GFLOP/s. */
int hp_cuda_peak_tf32(int device, double *gflops, hp_status *st);

/**
 * One line describing @p device into @p buf (size @p n): name, compute capability,
 * multiprocessors, peak SM clock, memory (total and free), memory clock and bus, L2,
 * shared memory per block (default and opt-in), runtime and driver versions.
 */
int hp_cuda_device_props(int device, char *buf, int n, hp_status *st);

#ifdef __cplusplus
}
#endif
#endif
