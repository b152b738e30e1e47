/**
 * @file noise.h
 * @brief Reproducible Gaussian white noise in Fourier space.
 *
 * Every Fourier mode (kx, ky, kz) of the white noise is a pure function of
 * (Seed, kx, ky, kz), with kx, ky, kz the signed integer wavenumbers: a
 * counter-based generator (splitmix64's mixer applied to the seed's key and
 * the packed wavenumbers) replaces the
 * per-column seed table of N-GenIC/monofonIC and has the same two
 * properties, more strictly:
 *   - the field is bit-identical whatever the number of threads;
 *   - a mode present in two resolutions (|k_i| < Np/2 of the coarser one)
 *     gets the same value in both, so a 256^3 and a 512^3 run of one Seed
 *     share their large-scale structure exactly.
 * Each mode is g = sqrt(-ln u1) exp(2 pi i u2): a complex Gaussian with
 * <|g|^2> = 1 (|g|^2 exponentially distributed), u1 and u2 two 24-bit
 * uniforms in (0, 1) from one 64-bit hash, evaluated in single precision. FixedAmplitude sets |g| =
 * 1 (Angulo & Pontzen 2016); PhaseFlip sets g -> -g (the paired run).
 *
 * Conventions: the array is FFTW's r2c layout [np][np][np/2+1]. The kz = 0
 * plane is Hermitian: the mode with (kx > 0) or (kx == 0 and ky > 0) is
 * drawn, its partner (-kx, -ky, 0) is the complex conjugate. The mean
 * (0,0,0) and every mode with a Nyquist component (|k_i| = np/2) are set to
 * zero, so that spectral derivatives of the field are real and consistent.
 */
#ifndef HP_NOISE_H
#define HP_NOISE_H

#include <stdint.h>

#include "util/status.h"

/** What the white noise depends on. */
typedef struct hp_noise_desc {
  uint64_t seed;       /**< Seed */
  int fixed_amplitude; /**< FixedAmplitude: |g| = 1 for every mode */
  int phase_flip;      /**< PhaseFlip: g -> -g */
} hp_noise_desc;

/**
 * Fill a half-complex grid with unit white noise.
 * @param k       [np][np][np/2+1] complex float, as fftwf_complex (re, im pairs)
 * @param np      grid side, even, in [2, 4096]
 * @param nthreads OpenMP threads (0 = all); the result does not depend on it
 */
int hp_noise_fill(float (*k)[2], int64_t np, const hp_noise_desc *d, int nthreads, hp_status *st);

/**
 * The planes kx-index ix in [@p x0, @p x0 + @p nx) of hp_noise_fill's grid, bit-identical to
 * them (each mode depends on its wavenumbers only): one rank's slab of a distributed field.
 * @param k  [nx][np][np/2+1] complex float, k[0] being plane x0
 */
int hp_noise_fill_slab(float (*k)[2], int64_t np, int64_t x0, int64_t nx, const hp_noise_desc *d,
                       int nthreads, hp_status *st);

/** The value of one drawn mode (signed wavenumbers, kz >= 0), as hp_noise_fill sets it. */
void hp_noise_mode(const hp_noise_desc *d, int64_t kx, int64_t ky, int64_t kz, double *re,
                   double *im);

#endif
