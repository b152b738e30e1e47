/**
 * @file painter_kernels.h
 * @brief Vectorised per-plane kernels of the painter (used by nn/painter.c only).
 *
 * Planes are [channel][row][lane] with a row stride that is a whole number of
 * vectors plus one spare vector, so kernels always work on whole vectors (no
 * scalar tails: every lane is computed by the same operations).
 * Packed weights: a k x k x k convolution with 10 outputs is
 * w[ci][dx][dy][dz][10] then bias[10]; a pointwise layer is w[ci][co].
 */
#ifndef HP_PAINTER_KERNELS_H
#define HP_PAINTER_KERNELS_H

#include <stdint.h>

#include "nn/simd.h"

/** Channels per branch: the kernels hold 10 outputs in registers. */
#define HP_PK_CO 10

/**
 * out[co][r][:] = b[co] + sum_ci w[ci*wstride + co] in[ci][r][:], co < 10, for
 * rows r < rows and nv vectors per row (in and out share the row geometry).
 */
static inline void hp_pk_pointwise10(const float *in, int64_t ics, int cin, const float *w,
                                     int wstride, const float *b, float *out, int64_t ocs,
                                     int64_t rows, int64_t rs, int64_t nv) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t v = 0; v < nv; v++) {
      const int64_t off = r * rs + v * HP_VW;
      hp_vf acc[HP_PK_CO];
      for (int co = 0; co < HP_PK_CO; co++) acc[co] = hp_vset1(b[co]);
      for (int ci = 0; ci < cin; ci++) {
        const hp_vf x = hp_vload(in + ci * ics + off);
        const float *wc = w + ci * wstride;
        for (int co = 0; co < HP_PK_CO; co++) acc[co] = hp_vfma(hp_vset1(wc[co]), x, acc[co]);
      }
      for (int co = 0; co < HP_PK_CO; co++) hp_vstore(out + co * ocs + off, acc[co]);
    }
}

/**
 * One output plane of a k x k x k convolution, 10 inputs -> 10 outputs:
 * out[co][r][z] = b[co] + sum w[ci][dx][dy][dz][co] in_dx[ci][r + dy][z + dz].
 * @param in   k plane pointers (the ring slots of planes j .. j+k-1), already
 *             offset to the first row and lane to read
 * @param ics, irs  input channel and row strides; @p ocs, @p ors output strides
 */
static inline void hp_pk_conv10(const int k, const float *const *in, int64_t ics, int64_t irs,
                                const float *w, const float *b, float *out, int64_t ocs,
                                int64_t ors, int64_t rows, int64_t nv) {
  for (int64_t r = 0; r < rows; r++) {
    int64_t v = 0;
    for (; v + 2 <= nv; v += 2) { /* two vectors share every weight broadcast */
      hp_vf a0[HP_PK_CO], a1[HP_PK_CO];
      for (int co = 0; co < HP_PK_CO; co++) a0[co] = a1[co] = hp_vset1(b[co]);
      for (int ci = 0; ci < HP_PK_CO; ci++)
        for (int dx = 0; dx < k; dx++)
          for (int dy = 0; dy < k; dy++) {
            const float *row = in[dx] + ci * ics + (r + dy) * irs + v * HP_VW;
            const float *wk = w + (((ci * k + dx) * k + dy) * k) * HP_PK_CO;
            for (int dz = 0; dz < k; dz++) {
              const hp_vf x0 = hp_vload(row + dz), x1 = hp_vload(row + dz + HP_VW);
              for (int co = 0; co < HP_PK_CO; co++) {
                const hp_vf wv = hp_vset1(wk[dz * HP_PK_CO + co]);
                a0[co] = hp_vfma(wv, x0, a0[co]);
                a1[co] = hp_vfma(wv, x1, a1[co]);
              }
            }
          }
      for (int co = 0; co < HP_PK_CO; co++) {
        hp_vstore(out + co * ocs + r * ors + v * HP_VW, a0[co]);
        hp_vstore(out + co * ocs + r * ors + (v + 1) * HP_VW, a1[co]);
      }
    }
    for (; v < nv; v++) {
      hp_vf a0[HP_PK_CO];
      for (int co = 0; co < HP_PK_CO; co++) a0[co] = hp_vset1(b[co]);
      for (int ci = 0; ci < HP_PK_CO; ci++)
        for (int dx = 0; dx < k; dx++)
          for (int dy = 0; dy < k; dy++) {
            const float *row = in[dx] + ci * ics + (r + dy) * irs + v * HP_VW;
            const float *wk = w + (((ci * k + dx) * k + dy) * k) * HP_PK_CO;
            for (int dz = 0; dz < k; dz++) {
              const hp_vf x0 = hp_vload(row + dz);
              for (int co = 0; co < HP_PK_CO; co++)
                a0[co] = hp_vfma(hp_vset1(wk[dz * HP_PK_CO + co]), x0, a0[co]);
            }
          }
      for (int co = 0; co < HP_PK_CO; co++) hp_vstore(out + co * ocs + r * ors + v * HP_VW, a0[co]);
    }
  }
}

#endif
