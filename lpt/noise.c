/* White noise in Fourier space from a counter-based hash of (Seed, kx, ky, kz). */
#include "noise.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "util/rng.h"

static inline uint64_t seed_key(uint64_t seed) { return hp_mix64(seed + HP_GOLDEN); }

/* One hash per mode: the seed's key xor the packed signed wavenumbers (21 bits
 * each, offset to be non-negative; NParticles <= 4096 keeps |k| <= 2048), mixed twice. */
static inline uint64_t mode_hash(uint64_t key, int64_t kx, int64_t ky, int64_t kz) {
  const int64_t off = (int64_t)1 << 20;
  const uint64_t packed =
      ((uint64_t)(kx + off) << 42) | ((uint64_t)(ky + off) << 21) | (uint64_t)(kz + off);
  return hp_mix64(hp_mix64(key ^ packed) + HP_GOLDEN);
}

/* ln u for u in (0, 1), branch-free: u = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.172, series to s^9
 * (truncation < 4e-10). Plain IEEE float operations only (no libm call), so a
 * vectorised and a scalar evaluation give the same bits: a mode's value cannot
 * depend on where it falls in a loop, hence on the grid size. */
static inline float log_open01(float u) {
  uint32_t bits;
  memcpy(&bits, &u, sizeof bits);
  int32_t e = (int32_t)((bits >> 23) & 0xff) - 127;
  bits = (bits & 0x007fffffu) | 0x3f800000u; /* mantissa in [1, 2) */
  float m;
  memcpy(&m, &bits, sizeof m);
  const int32_t big = m > 1.41421356f;
  m = big ? 0.5f * m : m;
  e += big;
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float lnm =
      2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9)))));
  return (float)e * 0.693147181f + lnm;
}

/* cos and sin of 2 pi u for u in [0, 1], branch-free so that loops over it
 * vectorise: reduce to the nearest quarter turn, r in [-1/8, 1/8] turns,
 * Taylor polynomials on |theta| <= pi/4 (truncation < 2e-9), then rotate by
 * the quadrant. Accurate to a few float ulps. */
static inline void sincos_turns(float u, float *c, float *s) {
  const float q = floorf(4.0f * u + 0.5f);
  const float t = 2.0f * (float)M_PI * (u - 0.25f * q), t2 = t * t;
  const float sr =
      t *
      (1.0f + t2 * (-1.0f / 6 + t2 * (1.0f / 120 + t2 * (-1.0f / 5040 + t2 * (1.0f / 362880)))));
  const float cr =
      1.0f + t2 * (-0.5f + t2 * (1.0f / 24 + t2 * (-1.0f / 720 +
                                                   t2 * (1.0f / 40320 + t2 * (-1.0f / 3628800)))));
  const int quad = (int)q & 3;
  const float cs[4] = {cr, -sr, -cr, sr}, ss[4] = {sr, cr, -sr, -cr};
  *c = cs[quad];
  *s = ss[quad];
}

/* Complex Gaussian from one 64-bit hash: two 24-bit uniforms in (0, 1), single
 * precision (the field is stored in float; -ln u1 <= 17.3). */
static inline void gaussian_mode(const hp_noise_desc *d, uint64_t r, float *re, float *im) {
  const float u1 = ((float)(r >> 40) + 0.5f) * 0x1p-24f;
  const float u2 = ((float)((r >> 8) & 0xffffff) + 0.5f) * 0x1p-24f;
  float amp = d->fixed_amplitude ? 1.0f : sqrtf(-log_open01(u1));
  if (d->phase_flip) amp = -amp;
  float c, s;
  sincos_turns(u2, &c, &s);
  *re = amp * c;
  *im = amp * s;
}

void hp_noise_mode(const hp_noise_desc *d, int64_t kx, int64_t ky, int64_t kz, double *re,
                   double *im) {
  float r, i;
  gaussian_mode(d, mode_hash(seed_key(d->seed), kx, ky, kz), &r, &i);
  *re = r;
  *im = i;
}

/* Modes kz = 1 .. nh-1 of column (kx, ky): the hashes first, then the
 * transcendental functions in separate loops that the compiler vectorises. */
static void draw_column(const hp_noise_desc *d, uint64_t key, int64_t kx, int64_t ky, int64_t nh,
                        float (*col)[2]) {
  enum { B = 256 };
  float u1[B], u2[B];
  const float sign = d->phase_flip ? -1.0f : 1.0f;
  for (int64_t z0 = 1; z0 < nh; z0 += B) {
    const int64_t nb = nh - z0 < B ? nh - z0 : B;
    for (int64_t i = 0; i < nb; i++) {
      const uint64_t r = mode_hash(key, kx, ky, z0 + i);
      u1[i] = ((float)(r >> 40) + 0.5f) * 0x1p-24f;
      u2[i] = ((float)((r >> 8) & 0xffffff) + 0.5f) * 0x1p-24f;
    }
    if (d->fixed_amplitude)
      for (int64_t i = 0; i < nb; i++) u1[i] = sign;
    else
      for (int64_t i = 0; i < nb; i++) u1[i] = sign * sqrtf(-log_open01(u1[i]));
    for (int64_t i = 0; i < nb; i++) {
      float c, sn;
      sincos_turns(u2[i], &c, &sn);
      col[z0 + i][0] = u1[i] * c;
      col[z0 + i][1] = u1[i] * sn;
    }
  }
}

/* Signed wavenumber of FFT index i on a grid of side n. */
static inline int64_t signed_k(int64_t i, int64_t n) { return i <= n / 2 ? i : i - n; }

int hp_noise_fill_slab(float (*k)[2], int64_t np, int64_t x0, int64_t nx, const hp_noise_desc *d,
                       int nthreads, hp_status *st) {
  if (np < 2 || np % 2 || np > 4096)
    return hp_fail(st, HP_ERR_INPUT, "white noise: grid side %lld must be even, in [2, 4096]",
                   (long long)np);
  if (x0 < 0 || nx < 0 || x0 + nx > np)
    return hp_fail(st, HP_ERR_INPUT, "white noise: planes [%lld, %lld) are outside [0, %lld)",
                   (long long)x0, (long long)(x0 + nx), (long long)np);
  const int64_t nh = np / 2, nzc = nh + 1;
  if (nthreads <= 0) nthreads = omp_get_max_threads();
  const uint64_t key = seed_key(d->seed);
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t ix = x0; ix < x0 + nx; ix++) {
    const int64_t kx = signed_k(ix, np);
    for (int64_t iy = 0; iy < np; iy++) {
      const int64_t ky = signed_k(iy, np);
      float(*col)[2] = k + ((ix - x0) * np + iy) * nzc;
      if (ix == nh || iy == nh) { /* Nyquist planes */
        for (int64_t iz = 0; iz < nzc; iz++) col[iz][0] = col[iz][1] = 0.0f;
        continue;
      }
      /* kz = 0: draw the upper half-plane, conjugate it into the lower one */
      if (kx > 0 || (kx == 0 && ky > 0)) {
        gaussian_mode(d, mode_hash(key, kx, ky, 0), &col[0][0], &col[0][1]);
      } else if (kx == 0 && ky == 0) {
        col[0][0] = col[0][1] = 0.0f; /* the mean */
      } else {
        gaussian_mode(d, mode_hash(key, -kx, -ky, 0), &col[0][0], &col[0][1]);
        col[0][1] = -col[0][1];
      }
      draw_column(d, key, kx, ky, nh, col);
      col[nh][0] = col[nh][1] = 0.0f;
    }
  }
  return HP_OK;
}

int hp_noise_fill(float (*k)[2], int64_t np, const hp_noise_desc *d, int nthreads, hp_status *st) {
  return hp_noise_fill_slab(k, np, 0, np, d, nthreads, st);
}
