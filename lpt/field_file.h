/**
 * @file field_file.h
 * @brief The user's own initial field: a linear density file (LinearFieldFile), a white-noise
 *        file (WhiteNoiseFile), and the field a run used written back (WriteLinearField).
 *
 * Format (HDF5, docs/linear-field.md): attribute BoxSize [Mpc/h] on the file and
 *  - "delta_k": float or double, shape (n, n, n/2+1, 2): c_k = n^-3 sum_x delta(x) e^{-i k.x},
 *    the linear density contrast at z = 0 (D1 = 1) in FFTW's r2c order, (re, im) pairs;
 *  - "delta": float or double, shape (n, n, n): the same field in real space, x slowest;
 *  - "white_noise": float or double, shape (np, np, np): real-space unit white noise.
 * A linear field file is read from "delta_k" when it has one (exact: what WriteLinearField
 * writes is read back bit for bit), else from "delta". A grid coarser than the particles
 * (n < np) is zero-padded in Fourier space. The mean and every mode with a Nyquist component
 * of either grid are set to zero, as for the built-in noise (lpt/noise.h).
 */
#ifndef HP_FIELD_FILE_H
#define HP_FIELD_FILE_H

#include <stdint.h>

#include "util/kv.h"
#include "util/status.h"

/** What a field file held. */
typedef struct hp_field_info {
  int64_t n;          /**< grid side in the file */
  int fourier;        /**< 1: read from "delta_k", 0: from "delta" (linear field files) */
  double var;         /**< white noise: the file's variance (1 expected) */
  double power_ratio; /**< linear field: <|c_k|^2 V / P(k)> over 0 < k < power_kmax at the run's
                           cosmology, 1 for a field of that cosmology (set by lpt_linear.h) */
  double power_kmax;  /**< half the file grid's Nyquist wavenumber [h/Mpc] */
} hp_field_info;

/**
 * Read a linear density file into the half-complex modes @p K ([np][np][np/2+1], as
 * hp_lpt_delta_k). Refuses a BoxSize other than @p box (relative 1e-6), a grid finer than np,
 * a non-cubic or odd grid, and any non-finite value (the message names the index).
 */
int hp_field_read_linear(const char *path, double box, int64_t np, float (*K)[2],
                         hp_field_info *info, int nthreads, hp_status *st);

/**
 * Read a real-space white-noise file of exactly np^3 values into @p K as unit complex white
 * noise (<|g|^2> = 1, as hp_noise_fill makes). Refuses a variance further from 1 than five
 * times its sampling error (plus 1e-3) and non-finite values.
 */
int hp_field_read_noise(const char *path, int64_t np, float (*K)[2], hp_field_info *info,
                        int nthreads, hp_status *st);

/**
 * Write the modes @p K of an np^3 grid in a box of side @p box as a linear field file
 * ("delta_k" float, and "delta" in real space for inspection), with the parameters @p kv in
 * a group "Parameters"; atomically (temporary name, then rename).
 */
int hp_field_write_linear(const char *path, const float (*K)[2], int64_t np, double box,
                          const hp_kv_list *kv, int nthreads, hp_status *st);

/**
 * Grid side of a linear field file (@p noise = 0) or a white-noise file (1), checking only
 * that the file opens and its dataset has a valid shape (for planning before a run).
 */
int hp_field_probe(const char *path, int noise, int64_t *n, hp_status *st);

/** Bytes a read allocates beyond @p K for a file with a grid of side @p n (0 when n = np). */
double hp_field_read_bytes(int64_t n, int64_t np);

#endif
