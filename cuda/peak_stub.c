/* The device ceilings' stand-in for builds without CUDA: every call is an HP_ERR_DEVICE. */
#include <stdio.h>

#include "cuda/peak.h"

static int no_cuda(int device, hp_status *st) {
  return hp_fail(st, HP_ERR_DEVICE,
                 "device %d: this build has no CUDA backend "
                 "(rebuild with CUDA=1 where nvcc is installed)",
                 device);
}

int hp_cuda_peak_fp32(int device, double *gflops, hp_status *st) {
  *gflops = 0;
  return no_cuda(device, st);
}

int hp_cuda_peak_tf32(int device, double *gflops, hp_status *st) {
  *gflops = 0;
  return no_cuda(device, st);
}

int hp_cuda_device_props(int device, char *buf, int n, hp_status *st) {
  if (n > 0) buf[0] = 0;
  return no_cuda(device, st);
}
