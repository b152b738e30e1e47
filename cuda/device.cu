// CUDA device discovery: every call checked, failures turned into hp_status messages.
#include <cuda_runtime.h>
#include <stdio.h>

#include "cuda/device.h"

extern "C" int hp_cuda_compiled(void) { return 1; }

extern "C" int hp_cuda_device_count(int *n, hp_status *st) {
  *n = 0;
  cudaError_t e = cudaGetDeviceCount(n);
  if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
    cudaGetLastError(); /* clear the sticky error: no GPU is not a failure */
    *n = 0;
    return HP_OK;
  }
  if (e != cudaSuccess)
    return hp_fail(st, HP_ERR_DEVICE, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
  return HP_OK;
}

extern "C" int hp_cuda_device_name(int id, char *buf, int n, hp_status *st) {
  cudaDeviceProp prop;
  cudaError_t e = cudaGetDeviceProperties(&prop, id);
  if (e != cudaSuccess)
    return hp_fail(st, HP_ERR_DEVICE, "cudaGetDeviceProperties(%d): %s", id, cudaGetErrorString(e));
  snprintf(buf, (size_t)n, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
           prop.totalGlobalMem / 1073741824.0);
  return HP_OK;
}
