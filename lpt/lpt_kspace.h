/**
 * @file lpt_kspace.h
 * @brief One row of 2LPT's per-mode k-space factors, shared by the serial plan (lpt/lpt.c)
 *        and the distributed one (mpi/lpt_mpi.c) so that both do the same float arithmetic
 *        per mode (their outputs agree to the FFTs' rounding, bit for bit where FFTW rounds
 *        alike).
 */
#ifndef HP_LPT_KSPACE_H
#define HP_LPT_KSPACE_H

#include <stdint.h>

/* Select k_a along a row: k_a = c0 + c1 * kz, with (c0, c1) = (k_x or k_y, 0) or (0, 1). */
static inline void hp_lpt_axis_coeffs(int a, float kx, float ky, float *c0, float *c1) {
  *c0 = a == 0 ? kx : a == 1 ? ky : 0.0f;
  *c1 = a == 2 ? 1.0f : 0.0f;
}

/**
 * The row (ix, iy) of half-complex grids, nh + 1 modes of (re, im) (dst may alias an input):
 * kind 0: dst = src k_a k_b / k^2 (phi,ab for lap phi = delta);
 * kind 1: dst = i k_a / k^2 (c1 src + c2 src2): with src = delta_k and src2 = np^3 S_k,
 *         c1 = D1 and c2 = -D2/np^3 this is the displacement D1 psi1 + D2 psi2
 *         (psi1 = i k delta/k^2, psi2 = i k phi2, phi2 = -S/k^2), with (V1, V2) the velocity.
 * @p kv holds 2 pi/L x the signed index (0 at Nyquist). Rows with a Nyquist index, the kz
 * Nyquist mode and the mean are zero. The loop over kz is branch-free float arithmetic so that
 * it vectorises.
 */
static inline void hp_lpt_k_row(const float *src, const float *src2, float *dst, const float *kv,
                                int64_t ix, int64_t iy, int64_t nh, int kind, int a, int b,
                                float c1, float c2) {
  if (ix == nh || iy == nh) {
    for (int64_t iz = 0; iz < 2 * (nh + 1); iz++) dst[iz] = 0.0f;
    return;
  }
  const float kx = kv[ix], ky = kv[iy], kxy2 = kx * kx + ky * ky;
  float a0, a1, b0, b1;
  hp_lpt_axis_coeffs(a, kx, ky, &a0, &a1);
  hp_lpt_axis_coeffs(b, kx, ky, &b0, &b1);
  if (kind == 0) {
    for (int64_t iz = 0; iz < nh; iz++) {
      const float kz = kv[iz];
      const float f = (a0 + a1 * kz) * (b0 + b1 * kz) / (kxy2 + kz * kz);
      dst[2 * iz] = src[2 * iz] * f;
      dst[2 * iz + 1] = src[2 * iz + 1] * f;
    }
  } else {
    for (int64_t iz = 0; iz < nh; iz++) {
      const float kz = kv[iz];
      const float f = (a0 + a1 * kz) / (kxy2 + kz * kz);
      const float re = c1 * src[2 * iz] + c2 * src2[2 * iz];
      const float im = c1 * src[2 * iz + 1] + c2 * src2[2 * iz + 1];
      dst[2 * iz] = -im * f;
      dst[2 * iz + 1] = re * f;
    }
  }
  dst[2 * nh] = dst[2 * nh + 1] = 0.0f;
  if (ix == 0 && iy == 0) dst[0] = dst[1] = 0.0f; /* the mean (0/0 above) */
}

#endif
