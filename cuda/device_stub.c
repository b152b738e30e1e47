/* The CUDA backend's stand-in for builds without CUDA: no devices, never an error. */
#include <stdio.h>

#include "cuda/device.h"

int hp_cuda_compiled(void) { return 0; }

int hp_cuda_device_count(int *n, hp_status *st) {
  (void)st;
  *n = 0;
  return HP_OK;
}

int hp_cuda_device_name(int id, char *buf, int n, hp_status *st) {
  (void)buf;
  (void)n;
  return hp_fail(st, HP_ERR_DEVICE,
                 "device %d: this build of halopaint has no CUDA backend "
                 "(rebuild with CUDA=1 where nvcc is installed)",
                 id);
}
