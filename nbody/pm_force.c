/*
 * Particle-mesh force on a (B np)^3 periodic mesh (Hockney & Eastwood 1988; kernels of FastPM,
 * Feng et al. 2016, MNRAS 463, 2273, and libfastpm's "1_4" / "3_4" kernel types).
 *
 *   counts   CIC deposit of the lattice particles (cic/cic.h, deterministic) into mesh B
 *   delta_k  r2c FFT of mesh B into mesh A (rho/rho_mean = counts nv^3/np^3)
 *   phi_k    = -delta_k / K^2 with K^2 = sum_i k_i^2 (1_4, spectral) or the discrete Laplacian
 *            sum_i (2 sin(k_i h/2)/h)^2 (3_4); the mean is zero; c2r FFT in place: phi(x)
 *   A_i      = -d phi/dx_i into mesh B: the 4-point stencil
 *            [8 (phi_{+1} - phi_{-1}) - (phi_{+2} - phi_{-2})] / (12 h) (transfer function
 *            i (8 sin kh - sin 2kh) / (6h), zero at the Nyquist frequency), or spectral: 1-D
 *            r2c FFTs along the axis, times i k_i (0 at Nyquist), c2r (lines gathered in blocks
 *            of HP_PM_LINE_BLOCK so that every memory access is a whole cache line)
 *   read-out hp_cic_readout of mesh B at the particles (the adjoint of the deposit, so with an
 *            odd gradient and an even Green's function the total force vanishes: momentum is
 *            conserved to rounding).
 * Units: k in h/Mpc, phi in (Mpc/h)^2, A in Mpc/h (linear theory: A = D1 psi1).
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nbody/pm_internal.h"

#define TIMED(acc, call)               \
  do {                                 \
    const double t_ = omp_get_wtime(); \
    call;                              \
    (acc) += omp_get_wtime() - t_;     \
  } while (0)

static hp_cic_particles lattice_parts(const hp_pm_state *s) {
  hp_cic_particles p = {0};
  p.n = s->np * s->np * s->np;
  p.x = s->disp[0];
  p.y = s->disp[1];
  p.z = s->disp[2];
  p.stride = 1;
  p.lattice_np = s->np;
  return p;
}

/* phi_k = -counts_k / (np^3 K^2), K^2 from the separable table; mean set to zero. */
static void green(hp_pm *pm) {
  const int64_t nv = pm->nv, nzc = pm->nzc;
  const float *kt = pm->ktab;
  const double np = (double)pm->d.np;
  const float norm = (float)(-1.0 / (np * np * np));
  float *m = (float *)pm->mk;
#pragma omp parallel for num_threads(pm->d.nthreads) schedule(static)
  for (int64_t ix = 0; ix < nv; ix++)
    for (int64_t iy = 0; iy < nv; iy++) {
      float *row = m + 2 * (ix * nv + iy) * nzc;
      const float kxy = kt[ix] + kt[iy];
      for (int64_t iz = 0; iz < nzc; iz++) {
        const float k2 = kxy + kt[iz];
        const float f = k2 > 0.0f ? norm / k2 : 0.0f;
        row[2 * iz] *= f;
        row[2 * iz + 1] *= f;
      }
    }
}

int hp_pm_potential(hp_pm *pm, const hp_pm_state *s, hp_status *st) {
  const int64_t n3 = pm->nv * pm->nv * pm->nv;
  float *mg = pm->mg;
  const double t0 = omp_get_wtime();
#pragma omp parallel for num_threads(pm->d.nthreads) schedule(static)
  for (int64_t i = 0; i < n3; i++) mg[i] = 0.0f;
  hp_cic_particles parts = lattice_parts(s);
  const int rc = hp_cic_deposit(pm->cic, &parts, mg, st);
  pm->cnt.t_paint += omp_get_wtime() - t0;
  if (rc) return hp_error_context(st, "PM force at a = %.6g", s->a);
  TIMED(pm->cnt.t_fft, fftwf_execute_dft_r2c(pm->r2c, mg, pm->mk));
  TIMED(pm->cnt.t_kernel, green(pm));
  TIMED(pm->cnt.t_fft, fftwf_execute_dft_c2r(pm->c2r, pm->mk, (float *)pm->mk));
  pm->cnt.forces++;
  return HP_OK;
}

/* A along axis 0 (x), 1 (y) or 2 (z) by the 4-point stencil, from phi (padded) into mg. */
static void gradient_fd4(hp_pm *pm, int axis) {
  const int64_t nv = pm->nv, pad = pm->pad;
  const float *phi = (const float *)pm->mk;
  float *g = pm->mg;
  const float c1 = (float)(-8.0 / (12.0 * pm->h)), c2 = (float)(1.0 / (12.0 * pm->h));
#pragma omp parallel for num_threads(pm->d.nthreads) schedule(static)
  for (int64_t i = 0; i < nv; i++)
    for (int64_t j = 0; j < nv; j++) {
      float *out = g + (i * nv + j) * nv;
      if (axis == 2) {
        const float *r = phi + (i * nv + j) * pad;
        for (int64_t k = 2; k < nv - 2; k++)
          out[k] = c1 * (r[k + 1] - r[k - 1]) + c2 * (r[k + 2] - r[k - 2]);
        for (int64_t k = 0; k < nv; k += (k == 1 && nv > 4) ? nv - 3 : 1) { /* the wrapped ends */
          const int64_t kp1 = (k + 1) % nv, kp2 = (k + 2) % nv;
          const int64_t km1 = (k + nv - 1) % nv, km2 = (k + nv - 2) % nv;
          out[k] = c1 * (r[kp1] - r[km1]) + c2 * (r[kp2] - r[km2]);
        }
        continue;
      }
      const float *p1, *m1, *p2, *m2; /* rows at +1, -1, +2, -2 along the axis */
      if (axis == 0) {
        p1 = phi + (((i + 1) % nv) * nv + j) * pad;
        m1 = phi + (((i + nv - 1) % nv) * nv + j) * pad;
        p2 = phi + (((i + 2) % nv) * nv + j) * pad;
        m2 = phi + (((i + nv - 2) % nv) * nv + j) * pad;
      } else {
        p1 = phi + (i * nv + (j + 1) % nv) * pad;
        m1 = phi + (i * nv + (j + nv - 1) % nv) * pad;
        p2 = phi + (i * nv + (j + 2) % nv) * pad;
        m2 = phi + (i * nv + (j + nv - 2) % nv) * pad;
      }
      for (int64_t k = 0; k < nv; k++) out[k] = c1 * (p1[k] - m1[k]) + c2 * (p2[k] - m2[k]);
    }
}

/* One block of up to HP_PM_LINE_BLOCK lines: A = -d phi/dx along the line, spectrally. */
static void line_block(hp_pm *pm, float *buf, fftwf_complex *cb) {
  const int64_t nzc = pm->nzc, nv = pm->nv;
  const float inv = (float)(1.0 / (double)nv);
  fftwf_execute_dft_r2c(pm->l_r2c, buf, cb);
  for (int l = 0; l < HP_PM_LINE_BLOCK; l++) {
    float *c = (float *)(cb + l * nzc);
    for (int64_t m = 0; m < nzc; m++) {
      const float k = pm->kline[m] * inv, re = c[2 * m], im = c[2 * m + 1];
      c[2 * m] = im * k; /* -i k (re + i im) = k im - i k re */
      c[2 * m + 1] = -re * k;
    }
  }
  fftwf_execute_dft_c2r(pm->l_c2r, cb, buf);
}

/* A along @p axis by 1-D spectral derivatives of phi (padded, mk) into mg (unpadded). */
static void gradient_spectral(hp_pm *pm, int axis) {
  const int64_t nv = pm->nv, pad = pm->pad, LB = HP_PM_LINE_BLOCK;
  const float *phi = (const float *)pm->mk;
  float *g = pm->mg;
  const int64_t nkb = (nv + LB - 1) / LB;
  /* z: blocks of rows; x, y: (other index, z block) pairs */
  const int64_t ntask = axis == 2 ? (nv * nv + LB - 1) / LB : nv * nkb;
#pragma omp parallel num_threads(pm->d.nthreads)
  {
    const int t = omp_get_thread_num();
    float *buf = pm->linebuf + (size_t)t * LB * nv;
    fftwf_complex *cb = pm->linec + (size_t)t * LB * pm->nzc;
#pragma omp for schedule(static)
    for (int64_t task = 0; task < ntask; task++) {
      if (axis == 2) {
        const int64_t r0 = task * LB, cnt = r0 + LB <= nv * nv ? LB : nv * nv - r0;
        for (int64_t l = 0; l < LB; l++)
          for (int64_t k = 0; k < nv; k++) buf[l * nv + k] = l < cnt ? phi[(r0 + l) * pad + k] : 0;
        line_block(pm, buf, cb);
        for (int64_t l = 0; l < cnt; l++)
          memcpy(g + (r0 + l) * nv, buf + l * nv, (size_t)nv * sizeof(float));
        continue;
      }
      const int64_t o = task / nkb, k0 = (task % nkb) * LB;
      const int64_t cnt = k0 + LB <= nv ? LB : nv - k0;
      /* element (line position u, lane l): x axis (i = u, j = o), y axis (i = o, j = u) */
      const int64_t su = axis == 0 ? nv : 1, so = axis == 0 ? 1 : nv;
      for (int64_t u = 0; u < nv; u++) {
        const float *src = phi + (u * su + o * so) * pad + k0;
        for (int64_t l = 0; l < LB; l++) buf[l * nv + u] = l < cnt ? src[l] : 0.0f;
      }
      line_block(pm, buf, cb);
      for (int64_t u = 0; u < nv; u++) {
        float *dst = g + (u * su + o * so) * nv + k0;
        for (int64_t l = 0; l < cnt; l++) dst[l] = buf[l * nv + u];
      }
    }
  }
}

int hp_pm_force_axis(hp_pm *pm, const hp_pm_state *s, int axis, hp_status *st) {
  if (pm->d.kernel == HP_PM_KERNEL_SPECTRAL)
    TIMED(pm->cnt.t_gradient, gradient_spectral(pm, axis));
  else
    TIMED(pm->cnt.t_gradient, gradient_fd4(pm, axis));
  hp_cic_particles parts = lattice_parts(s);
  const double t0 = omp_get_wtime();
  const int rc = hp_cic_readout(pm->cic, pm->mg, &parts, pm->acc, st);
  pm->cnt.t_readout += omp_get_wtime() - t0;
  if (rc) return hp_error_context(st, "PM force at a = %.6g", s->a);
  return HP_OK;
}
