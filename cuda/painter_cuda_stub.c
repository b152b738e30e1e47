/* The GPU painter's stand-in for builds without CUDA: planning says so, clearly. */
#include <stddef.h>

#include "cuda/painter_cuda.h"

int hp_cuda_painter_create(hp_cuda_painter **out, const hp_net *net, const hp_cuda_painter_desc *d,
                           hp_status *st) {
  (void)net;
  (void)d;
  *out = NULL;
  return hp_fail(st, HP_ERR_DEVICE,
                 "GPU painter: this build of halopaint has no CUDA backend "
                 "(rebuild with CUDA=1 where nvcc is installed)");
}
int hp_cuda_painter_execute(hp_cuda_painter *p, const float *density, float *const *out,
                            hp_status *st) {
  (void)p;
  (void)density;
  (void)out;
  return hp_fail(st, HP_ERR_DEVICE, "GPU painter: this build has no CUDA backend");
}
void hp_cuda_painter_destroy(hp_cuda_painter *p) { (void)p; }
void hp_cuda_painter_out_shape(const hp_cuda_painter *p, int64_t out[3]) {
  (void)p;
  out[0] = out[1] = out[2] = 0;
}
size_t hp_cuda_painter_device_bytes(const hp_cuda_painter *p) {
  (void)p;
  return 0;
}
int hp_cuda_painter_nslabs(const hp_cuda_painter *p) {
  (void)p;
  return 0;
}
void hp_cuda_painter_last_ms(const hp_cuda_painter *p, double *total, double *compute) {
  (void)p;
  if (total) *total = 0;
  if (compute) *compute = 0;
}
