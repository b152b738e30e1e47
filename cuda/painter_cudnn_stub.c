/* The cuDNN baseline's stand-in for builds without CUDA or cuDNN: create says so, the rest do
 * nothing. */
#include <stdlib.h>

#include "cuda/painter_cudnn.h"

int hp_cudnn_painter_create(hp_cudnn_painter **out, const hp_net *net,
                            const hp_cudnn_painter_desc *d, hp_status *st) {
  (void)net;
  (void)d;
  if (out) *out = NULL;
  return hp_fail(st, HP_ERR_DEVICE,
                 "cudnn painter: this build has no cuDNN baseline (rebuild with CUDA=1 where "
                 "nvcc is installed, and CUDNN=1 where cuDNN is)");
}

int hp_cudnn_painter_execute(hp_cudnn_painter *p, const float *density, float *const *out,
                             hp_status *st) {
  (void)p;
  (void)density;
  (void)out;
  return hp_fail(st, HP_ERR_DEVICE,
                 "cudnn painter: this build has no cuDNN baseline (rebuild with CUDA=1 where "
                 "nvcc is installed, and CUDNN=1 where cuDNN is)");
}

void hp_cudnn_painter_destroy(hp_cudnn_painter *p) { (void)p; }

void hp_cudnn_painter_out_shape(const hp_cudnn_painter *p, int64_t out[3]) {
  (void)p;
  for (int a = 0; a < 3; a++) out[a] = 0;
}

void hp_cudnn_painter_last_ms(const hp_cudnn_painter *p, double *total, double *compute) {
  (void)p;
  if (total) *total = 0.0;
  if (compute) *compute = 0.0;
}

size_t hp_cudnn_painter_device_bytes(const hp_cudnn_painter *p) {
  (void)p;
  return 0;
}
