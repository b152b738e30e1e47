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

/* Vectors off .. off + (nvec - 1) HP_VW of hp_pk_pointwise10 (nvec 1 or 2: two vectors share
 * every weight broadcast; each accumulator sums in the same order either way). */
static inline __attribute__((always_inline)) void hp_pk_pointwise10_at(
    const int nvec, const float *in, int64_t ics, int cin, const float *w, int wstride,
    const float *b, float *out, int64_t ocs, int64_t off) {
  hp_vf acc[2][HP_PK_CO];
  for (int co = 0; co < HP_PK_CO; co++) acc[0][co] = acc[1][co] = hp_vset1(b[co]);
  for (int ci = 0; ci < cin; ci++) {
    hp_vf x[2];
    for (int u = 0; u < nvec; u++) x[u] = hp_vload(in + ci * ics + off + u * HP_VW);
    const float *wc = w + ci * wstride;
    for (int co = 0; co < HP_PK_CO; co++) {
      const hp_vf wv = hp_vset1(wc[co]);
      for (int u = 0; u < nvec; u++) acc[u][co] = hp_vfma(wv, x[u], acc[u][co]);
    }
  }
  for (int u = 0; u < nvec; u++)
    for (int co = 0; co < HP_PK_CO; co++) hp_vstore(out + co * ocs + off + u * HP_VW, acc[u][co]);
}

/**
 * out[co][r][:] = b[co] + sum_ci w[ci*wstride + co] in[ci][r][:], co < 10, for
 * rows r < rows and nv vectors per row (in and out share the row geometry).
 */
static inline void hp_pk_pointwise10(const float *in, int64_t ics, int cin, const float *w,
                                     int wstride, const float *b, float *out, int64_t ocs,
                                     int64_t rows, int64_t rs, int64_t nv) {
  for (int64_t r = 0; r < rows; r++) {
    int64_t v = 0;
    for (; v + 2 <= nv; v += 2)
      hp_pk_pointwise10_at(2, in, ics, cin, w, wstride, b, out, ocs, r * rs + v * HP_VW);
    if (v < nv) hp_pk_pointwise10_at(1, in, ics, cin, w, wstride, b, out, ocs, r * rs + v * HP_VW);
  }
}

/* Output vectors v .. v + nvec - 1 of row r of hp_pk_conv10 (nvec is 1 or 2: two vectors share
 * every weight broadcast; each accumulator sums in the same order either way). */
static inline __attribute__((always_inline)) void hp_pk_conv10_at(
    const int k, const int cin, const int nvec, const float *const *in, int64_t ics, int64_t irs,
    const float *w, const float *b, const float *res, int64_t rrs, hp_vf slope, float *out,
    int64_t ocs, int64_t ors, int64_t r, int64_t v) {
  hp_vf a[2][HP_PK_CO];
  for (int co = 0; co < HP_PK_CO; co++) a[0][co] = a[1][co] = hp_vset1(b[co]);
  for (int ci = 0; ci < cin; ci++)
    for (int dx = 0; dx < k; dx++)
      for (int dy = 0; dy < k; dy++) {
        const float *row = in[dx] + ci * ics + (r + dy) * irs + v * HP_VW;
        const float *wk = w + (((ci * k + dx) * k + dy) * k) * HP_PK_CO;
#pragma GCC unroll 5
        for (int dz = 0; dz < k; dz++) {
          hp_vf x[2];
          for (int u = 0; u < nvec; u++) x[u] = hp_vload(row + dz + u * HP_VW);
          for (int co = 0; co < HP_PK_CO; co++) {
            const hp_vf wv = hp_vset1(wk[dz * HP_PK_CO + co]);
            for (int u = 0; u < nvec; u++) a[u][co] = hp_vfma(wv, x[u], a[u][co]);
          }
        }
      }
  for (int u = 0; u < nvec; u++) {
    const hp_vf rv = hp_vload(res + r * rrs + (v + u) * HP_VW);
    for (int co = 0; co < HP_PK_CO; co++)
      hp_vstore(out + co * ocs + r * ors + (v + u) * HP_VW,
                hp_vlrelu(hp_vadd(a[u][co], rv), slope));
  }
}

/**
 * One output plane of a k x k x k convolution, cin inputs -> 10 outputs, with the residual
 * block's epilogue: out[co][r][z] = lrelu(b[co] + sum w[ci][dx][dy][dz][co] in_dx[ci][r + dy][z +
 * dz] + res[r][z]).
 * @param in   k plane pointers (the ring slots of planes j .. j+k-1), already
 *             offset to the first row and lane to read
 * @param ics, irs  input channel and row strides; @p ocs, @p ors output strides
 * @param res, rrs  the residual (already offset) and its row stride
 */
static inline void hp_pk_conv10(const int k, const int cin, const float *const *in, int64_t ics,
                                int64_t irs, const float *w, const float *b, const float *res,
                                int64_t rrs, float slope, float *out, int64_t ocs, int64_t ors,
                                int64_t rows, int64_t nv) {
  const hp_vf sl = hp_vset1(slope);
  for (int64_t r = 0; r < rows; r++) {
    int64_t v = 0;
    for (; v + 2 <= nv; v += 2)
      hp_pk_conv10_at(k, cin, 2, in, ics, irs, w, b, res, rrs, sl, out, ocs, ors, r, v);
    if (v < nv) hp_pk_conv10_at(k, cin, 1, in, ics, irs, w, b, res, rrs, sl, out, ocs, ors, r, v);
  }
}

#endif
