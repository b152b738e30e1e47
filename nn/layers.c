/* Plain whole-tensor layers: valid 3D convolution, activations, crop, broadcast add. */
#include "layers.h"

#include <omp.h>

void hp_conv3d(const hp_conv *c, const float *w, const float *in, const int64_t n[3], float *out) {
  const int k = c->k, s = c->stride;
  const int64_t m0 = hp_conv_out_side(n[0], k, s), m1 = hp_conv_out_side(n[1], k, s),
                m2 = hp_conv_out_side(n[2], k, s);
  const int64_t nin = n[0] * n[1] * n[2], nout = m0 * m1 * m2;
  const float *kern = w + c->w_off, *bias = w + c->b_off;
#pragma omp parallel for collapse(2) schedule(static)
  for (int co = 0; co < c->cout; co++)
    for (int64_t i = 0; i < m0; i++)
      for (int64_t j = 0; j < m1; j++) {
        float *o = out + co * nout + (i * m1 + j) * m2;
        for (int64_t l = 0; l < m2; l++) o[l] = bias[co];
        for (int ci = 0; ci < c->cin; ci++)
          for (int dx = 0; dx < k; dx++)
            for (int dy = 0; dy < k; dy++) {
              const float *row = in + ci * nin + ((s * i + dx) * n[1] + s * j + dy) * n[2];
              const float *wk = kern + (((int64_t)co * c->cin + ci) * k + dx) * k * k + dy * k;
              for (int dz = 0; dz < k; dz++)
                for (int64_t l = 0; l < m2; l++) o[l] += wk[dz] * row[s * l + dz];
            }
      }
}

void hp_lrelu(float *x, int64_t count, float slope) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) x[i] = x[i] < 0 ? slope * x[i] : x[i];
}

void hp_relu(float *x, int64_t count) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; i++) x[i] = x[i] < 0 ? 0.0f : x[i];
}

void hp_crop(const float *in, int nc, const int64_t n[3], int c, float *out) {
  const int64_t m[3] = {n[0] - 2 * c, n[1] - 2 * c, n[2] - 2 * c};
  for (int ch = 0; ch < nc; ch++)
    for (int64_t i = 0; i < m[0]; i++)
      for (int64_t j = 0; j < m[1]; j++) {
        const float *src = in + ((ch * n[0] + i + c) * n[1] + j + c) * n[2] + c;
        float *dst = out + ((ch * m[0] + i) * m[1] + j) * m[2];
        for (int64_t l = 0; l < m[2]; l++) dst[l] = src[l];
      }
}

void hp_broadcast_add(float *out, int nc, int64_t nvox, const float *x0) {
  for (int ch = 0; ch < nc; ch++)
    for (int64_t i = 0; i < nvox; i++) out[ch * nvox + i] += x0[i];
}
