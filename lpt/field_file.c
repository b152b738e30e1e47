/* The user's own initial field: linear density and white-noise files read into the 2LPT
 * plan's modes, and the modes a run used written back. Format: field_file.h. */
#include "field_file.h"

#include <fftw3.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"
#include "util/fftw_threads.h"
#include "util/hdf5_util.h"

/** Relative difference of the file's BoxSize from the run's that is still the same box. */
#define FIELD_BOX_TOL 1e-6

/** Signed wavenumber of FFT index i on an n grid. */
static int64_t signed_k(int64_t i, int64_t n) { return i <= n / 2 ? i : i - n; }

/** 1 when wavenumber s is a Nyquist or beyond-Nyquist mode of an n grid. */
static int beyond(int64_t s, int64_t n) { return 2 * llabs(s) >= n; }

static int open_checked(const char *path, hid_t *f, hp_status *st) {
  if (!path || !*path) return hp_fail(st, HP_ERR_INPUT, "no field file given");
  return hp_h5_open_ro(path, f, st);
}

static int check_box(hid_t f, const char *path, double box, hp_status *st) {
  double fbox = NAN;
  if (!hp_h5_attr_exists(f, "BoxSize"))
    return hp_fail(st, HP_ERR_FORMAT, "%s: no attribute BoxSize (the box side in Mpc/h)", path);
  if (hp_h5_read_attr(f, "BoxSize", H5T_NATIVE_DOUBLE, &fbox, 1, st))
    return hp_error_context(st, "%s: BoxSize", path);
  if (!(fabs(fbox - box) <= FIELD_BOX_TOL * box))
    return hp_fail(st, HP_ERR_INPUT,
                   "%s: BoxSize %.10g Mpc/h, but the run's BoxSize is %.10g: a field is only "
                   "valid in the box it was made for",
                   path, fbox, box);
  return HP_OK;
}

/** Index of the first non-finite float of @p v[0..n), or -1. */
static int64_t first_nonfinite(const float *v, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(v[i])) return i;
  return -1;
}

/**
 * Read a real (n, n, n) dataset into the padded rows of an in-place r2c buffer
 * ([n][n][2 (n/2+1)] floats) and refuse non-finite values, naming the voxel.
 */
static int read_real_padded(hid_t f, const char *path, const char *name, int64_t n, float *buf,
                            hp_status *st) {
  const int64_t nzp = 2 * (n / 2 + 1);
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return hp_h5_fail(st, HP_ERR_FORMAT, f, "cannot open dataset %s", name);
  const hsize_t mdims[3] = {(hsize_t)n, (hsize_t)n, (hsize_t)nzp};
  const hsize_t start[3] = {0, 0, 0}, count[3] = {(hsize_t)n, (hsize_t)n, (hsize_t)n};
  hid_t ms = H5Screate_simple(3, mdims, NULL);
  int rc = HP_OK;
  if (ms < 0 || H5Sselect_hyperslab(ms, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dread(d, H5T_NATIVE_FLOAT, ms, H5S_ALL, H5P_DEFAULT, buf) < 0)
    rc = hp_h5_fail(st, HP_ERR_FORMAT, d, "cannot read %lld^3 values as float", (long long)n);
  if (ms >= 0) H5Sclose(ms);
  H5Dclose(d);
  if (rc) return rc;
  for (int64_t r = 0; r < n * n; r++) {
    const int64_t i = first_nonfinite(buf + r * nzp, n);
    if (i >= 0)
      return hp_fail(st, HP_ERR_INPUT, "%s:/%s[%lld][%lld][%lld] = %g: expected finite values",
                     path, name, (long long)(r / n), (long long)(r % n), (long long)i,
                     (double)buf[r * nzp + i]);
  }
  return HP_OK;
}

/** In-place r2c of @p buf (n^3 padded real -> [n][n][n/2+1] complex), FFTW's estimate plan. */
static int forward_in_place(float *buf, int64_t n, int nthreads, hp_status *st) {
  fftwf_plan plan;
#pragma omp critical(hp_fftw_planner)
  {
    hp_fftw_threads(nthreads);
    plan = fftwf_plan_dft_r2c_3d((int)n, (int)n, (int)n, buf, (fftwf_complex *)buf, FFTW_ESTIMATE);
  }
  if (!plan)
    return hp_fail(st, HP_ERR_INTERNAL, "FFTW could not plan a %lld^3 transform", (long long)n);
  fftwf_execute(plan);
#pragma omp critical(hp_fftw_planner)
  fftwf_destroy_plan(plan);
  return HP_OK;
}

/** Dataset shape: (n, n, n) real or (n, n, n/2+1, 2) modes, else a clear error. */
static int field_shape(hid_t f, const char *path, const char *name, int fourier, int64_t *n,
                       hp_status *st) {
  hsize_t dims[4];
  int rank;
  if (hp_h5_dataset_shape(f, name, &rank, dims, 4, NULL, st))
    return hp_error_context(st, "%s", path);
  const int64_t m = (int64_t)dims[0];
  const int ok =
      fourier ? rank == 4 && (int64_t)dims[1] == m && (int64_t)dims[2] == m / 2 + 1 && dims[3] == 2
              : rank == 3 && (int64_t)dims[1] == m && (int64_t)dims[2] == m;
  if (!ok || m < 2 || m % 2)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s:/%s: expected shape %s with n even and >= 2 (docs/linear-field.md)", path,
                   name, fourier ? "(n, n, n/2+1, 2)" : "(n, n, n)");
  *n = m;
  return HP_OK;
}

/** Copy the modes of an n grid (kept: no Nyquist component) into the np grid K, zero else. */
static void pad_modes(const float (*src)[2], int64_t n, float (*K)[2], int64_t np, int nthreads) {
  const int64_t nzc = np / 2 + 1, mzc = n / 2 + 1;
  memset(K, 0, sizeof *K * (size_t)(np * np * nzc));
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t ix = 0; ix < n; ix++) {
    const int64_t sx = signed_k(ix, n);
    if (beyond(sx, n)) continue;
    const int64_t jx = sx < 0 ? sx + np : sx;
    for (int64_t iy = 0; iy < n; iy++) {
      const int64_t sy = signed_k(iy, n);
      if (beyond(sy, n)) continue;
      const int64_t jy = sy < 0 ? sy + np : sy;
      for (int64_t iz = 0; iz < mzc && 2 * iz < n; iz++) {
        K[(jx * np + jy) * nzc + iz][0] = src[(ix * n + iy) * mzc + iz][0];
        K[(jx * np + jy) * nzc + iz][1] = src[(ix * n + iy) * mzc + iz][1];
      }
    }
  }
}

/** Zero the mean and every Nyquist mode of K, as the built-in noise does. */
static void zero_nyquist(float (*K)[2], int64_t np) {
  const int64_t nh = np / 2, nzc = nh + 1;
  for (int64_t ix = 0; ix < np; ix++)
    for (int64_t iy = 0; iy < np; iy++)
      for (int64_t iz = 0; iz < nzc; iz++)
        if (ix == nh || iy == nh || iz == nh || (ix == 0 && iy == 0 && iz == 0))
          K[(ix * np + iy) * nzc + iz][0] = K[(ix * np + iy) * nzc + iz][1] = 0.0f;
}

int hp_field_probe(const char *path, int noise, int64_t *n, hp_status *st) {
  hid_t f = -1;
  int rc = open_checked(path, &f, st);
  if (rc) return rc;
  if (noise)
    rc = field_shape(f, path, "white_noise", 0, n, st);
  else if (hp_h5_exists(f, "delta_k"))
    rc = field_shape(f, path, "delta_k", 1, n, st);
  else
    rc = field_shape(f, path, "delta", 0, n, st);
  H5Fclose(f);
  return rc;
}

double hp_field_read_bytes(int64_t n, int64_t np) {
  return n == np ? 0.0 : (double)n * n * (n / 2 + 1) * 8.0;
}

int hp_field_read_linear(const char *path, double box, int64_t np, float (*K)[2],
                         hp_field_info *info, int nthreads, hp_status *st) {
  hid_t f = -1;
  float(*modes)[2] = NULL;
  int rc = open_checked(path, &f, st);
  if (rc) return rc;
  memset(info, 0, sizeof *info);
  info->fourier = hp_h5_exists(f, "delta_k");
  const char *name = info->fourier ? "delta_k" : "delta";
  if (!info->fourier && !hp_h5_exists(f, "delta")) {
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "%s: neither a dataset delta_k (Fourier modes) nor delta (real space)", path);
    goto done;
  }
  if ((rc = check_box(f, path, box, st)) ||
      (rc = field_shape(f, path, name, info->fourier, &info->n, st)))
    goto done;
  const int64_t n = info->n;
  if (n > np) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "%s:/%s is %lld^3, finer than NParticles = %lld: a field can be at most as "
                 "fine as the particle lattice",
                 path, name, (long long)n, (long long)np);
    goto done;
  }
  const int64_t nmodes = n * n * (n / 2 + 1);
  modes = n == np ? K : fftwf_alloc_complex((size_t)nmodes);
  if (!modes) {
    rc = hp_fail(st, HP_ERR_NOMEM, "%s: cannot allocate a %lld^3 grid", path, (long long)n);
    goto done;
  }
  if (info->fourier) {
    const hsize_t dims[4] = {(hsize_t)n, (hsize_t)n, (hsize_t)(n / 2 + 1), 2};
    if ((rc = hp_h5_read_dataset(f, name, H5T_NATIVE_FLOAT, 4, dims, modes, st))) {
      hp_error_context(st, "%s", path);
      goto done;
    }
    const int64_t i = first_nonfinite(&modes[0][0], 2 * nmodes);
    if (i >= 0) {
      rc =
          hp_fail(st, HP_ERR_INPUT, "%s:/delta_k: mode %lld (%s part) is %g: expected finite", path,
                  (long long)(i / 2), i % 2 ? "imaginary" : "real", (double)modes[i / 2][i % 2]);
      goto done;
    }
  } else {
    if ((rc = read_real_padded(f, path, name, n, &modes[0][0], st)) ||
        (rc = forward_in_place(&modes[0][0], n, nthreads, st)))
      goto done;
    const float norm = (float)(1.0 / ((double)n * n * n));
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int64_t i = 0; i < nmodes; i++) modes[i][0] *= norm, modes[i][1] *= norm;
  }
  if (n < np) pad_modes((const float(*)[2])modes, n, K, np, nthreads);
  zero_nyquist(K, np);
done:
  if (modes && modes != K) fftwf_free(modes);
  H5Fclose(f);
  return rc;
}

int hp_field_read_noise(const char *path, int64_t np, float (*K)[2], hp_field_info *info,
                        int nthreads, hp_status *st) {
  hid_t f = -1;
  int rc = open_checked(path, &f, st);
  if (rc) return rc;
  memset(info, 0, sizeof *info);
  hsize_t dims[4];
  int rank;
  if ((rc = hp_h5_dataset_shape(f, "white_noise", &rank, dims, 4, NULL, st))) {
    hp_error_context(st, "%s", path);
    goto done;
  }
  if (rank != 3 || (int64_t)dims[0] != np || (int64_t)dims[1] != np || (int64_t)dims[2] != np) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "%s:/white_noise: expected shape (%lld, %lld, %lld), one value per particle "
                 "(NParticles = %lld)",
                 path, (long long)np, (long long)np, (long long)np, (long long)np);
    goto done;
  }
  info->n = np;
  float *buf = &K[0][0];
  if ((rc = read_real_padded(f, path, "white_noise", np, buf, st))) goto done;
  const int64_t nzp = 2 * (np / 2 + 1);
  double s = 0.0, s2 = 0.0;
#pragma omp parallel for num_threads(nthreads) schedule(static) reduction(+ : s, s2)
  for (int64_t r = 0; r < np * np; r++)
    for (int64_t i = 0; i < np; i++)
      s += buf[r * nzp + i], s2 += (double)buf[r * nzp + i] * buf[r * nzp + i];
  const double n3 = (double)np * np * np, mean = s / n3;
  info->var = s2 / n3 - mean * mean;
  const double tol = 5.0 * sqrt(2.0 / n3) + 1e-3;
  if (!(fabs(info->var - 1.0) <= tol)) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "%s:/white_noise has variance %.6g: expected unit white noise (1 within %.3g)",
                 path, info->var, tol);
    goto done;
  }
  if ((rc = forward_in_place(buf, np, nthreads, st))) goto done;
  const float norm = (float)(1.0 / sqrt(n3)); /* <|W_k|^2> = n^3 for unit real noise */
  const int64_t nmodes = np * np * (np / 2 + 1);
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t i = 0; i < nmodes; i++) K[i][0] *= norm, K[i][1] *= norm;
  zero_nyquist(K, np);
done:
  H5Fclose(f);
  return rc;
}

/** The real-space field of the modes (c2r of a copy), written row by row into "delta". */
static int write_real(hid_t f, const float (*K)[2], int64_t np, int nthreads, hp_status *st) {
  const int64_t nzc = np / 2 + 1, nzp = 2 * nzc;
  float(*buf)[2] = fftwf_alloc_complex((size_t)(np * np * nzc));
  if (!buf) return hp_fail(st, HP_ERR_NOMEM, "cannot allocate the real-space field");
  memcpy(buf, K, sizeof *buf * (size_t)(np * np * nzc));
  fftwf_plan plan;
#pragma omp critical(hp_fftw_planner)
  {
    hp_fftw_threads(nthreads);
    plan = fftwf_plan_dft_c2r_3d((int)np, (int)np, (int)np, buf, (float *)buf, FFTW_ESTIMATE);
  }
  int rc = HP_OK;
  hid_t d = -1;
  if (!plan) {
    rc = hp_fail(st, HP_ERR_INTERNAL, "FFTW could not plan the real-space field");
    goto done;
  }
  fftwf_execute(plan);
#pragma omp critical(hp_fftw_planner)
  fftwf_destroy_plan(plan);
  const hsize_t dims[3] = {(hsize_t)np, (hsize_t)np, (hsize_t)np};
  if ((rc = hp_h5_create_dataset(f, "delta", H5T_IEEE_F32LE, 3, dims, &d, st))) goto done;
  const hsize_t mdims[3] = {(hsize_t)np, (hsize_t)np, (hsize_t)nzp}, start[3] = {0, 0, 0};
  hid_t ms = H5Screate_simple(3, mdims, NULL);
  if (ms < 0 || H5Sselect_hyperslab(ms, H5S_SELECT_SET, start, NULL, dims, NULL) < 0 ||
      H5Dwrite(d, H5T_NATIVE_FLOAT, ms, H5S_ALL, H5P_DEFAULT, buf) < 0)
    rc = hp_h5_fail(st, HP_ERR_IO, d, "cannot write the real-space field");
  if (ms >= 0) H5Sclose(ms);
done:
  if (d >= 0) H5Dclose(d);
  fftwf_free(buf);
  return rc;
}

int hp_field_write_linear(const char *path, const float (*K)[2], int64_t np, double box,
                          const hp_kv_list *kv, int nthreads, hp_status *st) {
  hp_atomic_file af;
  hid_t f = -1, d = -1, g = -1;
  int rc = hp_atomic_begin(&af, path, st);
  if (rc) return rc;
  if ((rc = hp_h5_create(af.tmp_path, &f, st))) goto fail;
  const double z0 = 0.0;
  const hsize_t dims[4] = {(hsize_t)np, (hsize_t)np, (hsize_t)(np / 2 + 1), 2};
  const hsize_t start[4] = {0, 0, 0, 0};
  if ((rc = hp_h5_write_attr_double(f, "BoxSize", &box, 0, st)) ||
      (rc = hp_h5_write_attr_double(f, "Redshift", &z0, 0, st)) ||
      (rc = hp_h5_write_attr_string(
           f, "Convention",
           "delta_k[kx][ky][kz] = n^-3 sum_x delta(x) exp(-i k.x), FFTW r2c order, (re, im); "
           "linear density contrast at z = 0 (D1 = 1); delta: the same in real space",
           st)) ||
      (rc = hp_h5_create_dataset(f, "delta_k", H5T_IEEE_F32LE, 4, dims, &d, st)) ||
      (rc = hp_h5_write_slab(d, H5T_NATIVE_FLOAT, start, dims, K, st)) ||
      (rc = write_real(f, K, np, nthreads, st)))
    goto fail;
  if (kv &&
      ((rc = hp_h5_create_group(f, "Parameters", &g, st)) || (rc = hp_h5_write_kv(g, kv, st))))
    goto fail;
  if (g >= 0) H5Gclose(g), g = -1;
  H5Dclose(d), d = -1;
  if (H5Fclose(f) < 0) {
    f = -1;
    rc = hp_fail(st, HP_ERR_IO, "%s: closing the file failed", path);
    goto fail;
  }
  f = -1;
  return hp_atomic_commit(&af, st);
fail:
  if (g >= 0) H5Gclose(g);
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  hp_atomic_abort(&af);
  return hp_error_context(st, "linear field %s", path);
}
