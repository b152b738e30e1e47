/*
 * 2LPT displacements and velocities on a lattice, with as few FFTs and as
 * little memory as the physics allows (see lpt.h for the equations).
 *
 * Buffers: K (delta_k, kept), W (half-complex scratch, also used in place as a
 * padded real grid), P (the outputs: displacement xyz, 2 np^2 floats of
 * slack, velocity xyz; used as scratch before they are written).
 * Second-order source S, accumulated in the velocity-x slot:
 *   phi,xx -> vel x slot, phi,yy -> vel y slot, phi,zz -> W (in place);
 *   S = xx yy + (xx + yy) zz;  then for ij in (xy, xz, yz): W <- phi,ij, S -= W^2;
 *   S is transformed forward into W (7 FFTs so far).
 * Outputs are combined in k-space, never in real space: with psi1_k = i k
 * delta_k/k^2 and psi2_k = i k (-S_k/k^2),
 *   displacement_k = i k/k^2 (D1 delta_k - D2 S_k),  velocity_k = i k/k^2 (V1 delta_k - V2 S_k),
 * six inverse FFTs (13 in all) whose inputs go through spare half-complex
 * buffers borrowed from output slots not yet written.
 * Dealiased source (3/2 rule): on the M = 3np/2 grid the source is
 * S = (delta^2 - xx^2 - yy^2 - zz^2)/2 - xy^2 - xz^2 - yz^2 (the trace of
 * phi,ij is delta), so one accumulator and one scratch suffice.
 */
#include "lpt.h"

#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "lpt/lpt_kspace.h"
#include "util/fftw_threads.h"

struct hp_lpt {
  hp_lpt_desc d;
  int64_t nzc;        /* np/2 + 1 */
  int64_t n3;         /* np^3 */
  fftwf_complex *K;   /* linear delta, c_k = delta(k)/V */
  fftwf_complex *W;   /* scratch, np*np*nzc complex = padded real grid */
  float *P;           /* 6 * n3 floats: outputs (and scratch before) */
  double *kvec;       /* 2 pi/L * signed index; 0 at Nyquist */
  float *kf;          /* the same in float, for the vectorised k-space loops */
  int64_t m, mzc;     /* dealias grid side 3np/2 and its m/2+1 */
  fftwf_complex *WM;  /* dealias scratch */
  fftwf_plan c2r_oop; /* W -> real np^3 (unpadded) */
  fftwf_plan c2r_ip;  /* W in place */
  fftwf_plan r2c_oop; /* real np^3 -> W */
  fftwf_plan m_c2r_ip, m_r2c_oop;
  hp_lpt_counters cnt;
};

/* Run one FFT and add its wall time to the counters (the benchmark's floor). */
#define TIMED_FFT(l, call)                        \
  do {                                            \
    const double t_ = omp_get_wtime();            \
    call;                                         \
    (l)->cnt.fft_seconds += omp_get_wtime() - t_; \
  } while (0)

static void prefault(float *a, size_t n, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (size_t i = 0; i < n; i++) a[i] = 0.0f;
}

int hp_lpt_create(hp_lpt **out, const hp_lpt_desc *d, hp_status *st) {
  *out = NULL;
  if (d->np < 4 || d->np % 2)
    return hp_fail(st, HP_ERR_INPUT, "2LPT: NParticles = %lld must be even and >= 4",
                   (long long)d->np);
  if (!(d->box > 0)) return hp_fail(st, HP_ERR_INPUT, "2LPT: BoxSize = %g must be > 0", d->box);
  if (d->order != 1 && d->order != 2)
    return hp_fail(st, HP_ERR_INPUT, "2LPT: LPTOrder = %d must be 1 or 2", d->order);
  hp_lpt *l = calloc(1, sizeof *l);
  if (!l) return hp_fail(st, HP_ERR_NOMEM, "2LPT: cannot allocate the plan");
  l->d = *d;
  if (l->d.nthreads <= 0) l->d.nthreads = omp_get_max_threads();
  l->d.dealias = d->order == 2 && d->dealias;
  const int64_t np = d->np;
  l->nzc = np / 2 + 1;
  l->n3 = np * np * np;
  const size_t nk = (size_t)(np * np * l->nzc);
  l->K = fftwf_malloc(nk * sizeof(fftwf_complex));
  l->W = fftwf_malloc(nk * sizeof(fftwf_complex));
  const size_t nP = (size_t)(6 * l->n3 + 2 * np * np); /* see hp_lpt_execute */
  l->P = fftwf_malloc(nP * sizeof(float));
  l->kvec = malloc((size_t)np * sizeof(double));
  l->kf = malloc((size_t)np * sizeof(float));
  l->cnt.bytes = 2 * nk * sizeof(fftwf_complex) + nP * sizeof(float);
  if (l->d.dealias) {
    l->m = 3 * np / 2;
    l->mzc = l->m / 2 + 1;
    size_t nm = (size_t)(l->m * l->m * l->mzc);
    l->WM = fftwf_malloc(nm * sizeof(fftwf_complex));
    l->cnt.bytes += nm * sizeof(fftwf_complex);
    if (!l->WM) goto nomem;
  }
  if (!l->K || !l->W || !l->P || !l->kvec || !l->kf) goto nomem;
  /* Touch every page now (by the threads that will use it), so that execute
   * pays no page faults: plan time owns all allocation costs. */
  prefault((float *)l->K, 2 * nk, l->d.nthreads);
  prefault((float *)l->W, 2 * nk, l->d.nthreads);
  prefault(l->P, nP, l->d.nthreads);
  if (l->WM) prefault((float *)l->WM, 2 * (size_t)(l->m * l->m * l->mzc), l->d.nthreads);
  for (int64_t i = 0; i < np; i++) {
    int64_t s = i <= np / 2 ? i : i - np;
    l->kvec[i] = (i == np / 2) ? 0.0 : 2.0 * M_PI / d->box * (double)s;
    l->kf[i] = (float)l->kvec[i];
  }

#pragma omp critical(hp_fftw_planner)
  {
    hp_fftw_threads(l->d.nthreads);
    const int n = (int)np;
    const unsigned flags = FFTW_ESTIMATE;
    l->c2r_oop = fftwf_plan_dft_c2r_3d(n, n, n, l->W, l->P, flags);
    l->c2r_ip = fftwf_plan_dft_c2r_3d(n, n, n, l->W, (float *)l->W, flags);
    l->r2c_oop = fftwf_plan_dft_r2c_3d(n, n, n, l->P, l->W, flags);
    if (l->d.dealias) {
      const int m = (int)l->m;
      l->m_c2r_ip = fftwf_plan_dft_c2r_3d(m, m, m, l->WM, (float *)l->WM, flags);
      l->m_r2c_oop = fftwf_plan_dft_r2c_3d(m, m, m, l->P, l->WM, flags);
    }
  }
  if (!l->c2r_oop || !l->c2r_ip || !l->r2c_oop ||
      (l->d.dealias && (!l->m_c2r_ip || !l->m_r2c_oop))) {
    hp_lpt_destroy(l);
    return hp_fail(st, HP_ERR_INTERNAL, "2LPT: FFTW could not plan a %lld^3 transform",
                   (long long)np);
  }
  *out = l;
  return HP_OK;
nomem:
  hp_lpt_destroy(l);
  return hp_fail(st, HP_ERR_NOMEM, "2LPT: cannot allocate %.1f MB for NParticles = %lld",
                 (double)(2 * nk * sizeof(fftwf_complex) + 6 * (size_t)(np * np * np) * 4) / 1e6,
                 (long long)np);
}

void hp_lpt_destroy(hp_lpt *l) {
  if (!l) return;
  fftwf_plan plans[] = {l->c2r_oop, l->c2r_ip, l->r2c_oop, l->m_c2r_ip, l->m_r2c_oop};
  for (size_t i = 0; i < sizeof plans / sizeof *plans; i++)
    if (plans[i]) fftwf_destroy_plan(plans[i]);
  fftwf_free(l->K);
  fftwf_free(l->W);
  fftwf_free(l->P);
  fftwf_free(l->WM);
  free(l->kvec);
  free(l->kf);
  free(l);
}

float (*hp_lpt_delta_k(hp_lpt *l))[2] { return l->K; }
float *hp_lpt_displacement(hp_lpt *l, int axis) { return l->P + axis * l->n3; }
float *hp_lpt_velocity(hp_lpt *l, int axis) {
  return l->P + (3 + axis) * l->n3 + 2 * l->d.np * l->d.np;
}
hp_lpt_counters hp_lpt_get_counters(const hp_lpt *l) { return l->cnt; }
const hp_lpt_desc *hp_lpt_get_desc(const hp_lpt *l) { return &l->d; }

/* hp_lpt_k_row (lpt/lpt_kspace.h) over the grid's rows (out may alias an input). */
static void k_apply(const hp_lpt *l, const float *in, const float *in2, float *out, int kind, int a,
                    int b, float c1, float c2) {
  const int64_t np = l->d.np, nzc = l->nzc;
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t ix = 0; ix < np; ix++)
    for (int64_t iy = 0; iy < np; iy++) {
      const int64_t base = 2 * (ix * np + iy) * nzc;
      hp_lpt_k_row(in + base, in2 + base, out + base, l->kf, ix, iy, np / 2, kind, a, b, c1, c2);
    }
}

static void k_hessian(const hp_lpt *l, const float *in, float *out, int a, int b) {
  k_apply(l, in, in, out, 0, a, b, 0.0f, 0.0f);
}

/* out = i k_a/k^2 (c1 K + c2 W): a displacement or velocity component in k-space. */
static void k_combine(const hp_lpt *l, float *out, int a, double c1, double c2) {
  k_apply(l, (const float *)l->K, (const float *)l->W, out, 1, a, 0, (float)c1, (float)c2);
}

/* Second-order source on the np grid into S (np^3), using slots P2y and W. */
static void source_direct(hp_lpt *l, float *S) {
  const int64_t np = l->d.np, pad = 2 * l->nzc;
  float *Syy = S + l->n3, *Wr = (float *)l->W;
  k_hessian(l, (const float *)l->K, (float *)l->W, 0, 0);
  TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_oop, l->W, S));
  k_hessian(l, (const float *)l->K, (float *)l->W, 1, 1);
  TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_oop, l->W, Syy));
  k_hessian(l, (const float *)l->K, (float *)l->W, 2, 2);
  TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_ip, l->W, Wr));
  l->cnt.fft_np += 3;
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t r = 0; r < np * np; r++)
    for (int64_t iz = 0; iz < np; iz++) {
      const int64_t n = r * np + iz;
      const float xx = S[n], yy = Syy[n], zz = Wr[r * pad + iz];
      S[n] = xx * yy + (xx + yy) * zz;
    }
  static const int pairs[3][2] = {{0, 1}, {0, 2}, {1, 2}};
  for (int p = 0; p < 3; p++) {
    k_hessian(l, (const float *)l->K, (float *)l->W, pairs[p][0], pairs[p][1]);
    TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_ip, l->W, Wr));
    l->cnt.fft_np++;
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
    for (int64_t r = 0; r < np * np; r++)
      for (int64_t iz = 0; iz < np; iz++) {
        const float w = Wr[r * pad + iz];
        S[r * np + iz] -= w * w;
      }
  }
  TIMED_FFT(l, fftwf_execute_dft_r2c(l->r2c_oop, S, l->W)); /* W = np^3 * S_k */
  l->cnt.fft_np++;
}

/* Copy field (K times a Hessian factor, or K itself if a < 0) into WM, zero-padded. */
static void pad_to_m(hp_lpt *l, int a, int b) {
  const int64_t np = l->d.np, nzc = l->nzc, m = l->m, mzc = l->mzc, nh = np / 2;
  const double *kv = l->kvec;
  memset(l->WM, 0, (size_t)(m * m * mzc) * sizeof(fftwf_complex));
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t ix = 0; ix < np; ix++) {
    if (ix == nh) continue;
    const int64_t jx = ix < nh ? ix : ix - np + m;
    for (int64_t iy = 0; iy < np; iy++) {
      if (iy == nh) continue;
      const int64_t jy = iy < nh ? iy : iy - np + m;
      for (int64_t iz = 0; iz < nh; iz++) {
        const double k[3] = {kv[ix], kv[iy], kv[iz]};
        const double k2 = k[0] * k[0] + k[1] * k[1] + k[2] * k[2];
        float f = 1.0f;
        if (a >= 0) f = k2 > 0 ? (float)(k[a] * k[b] / k2) : 0.0f;
        const float *src = (const float *)l->K + 2 * ((ix * np + iy) * nzc + iz);
        float *dst = (float *)l->WM + 2 * ((jx * m + jy) * mzc + iz);
        dst[0] = src[0] * f;
        dst[1] = src[1] * f;
      }
    }
  }
}

/* Dealiased source: products on the 3np/2 grid, truncated back into W (= np^3 S_k). */
static void source_dealiased(hp_lpt *l) {
  const int64_t np = l->d.np, nzc = l->nzc, m = l->m, mzc = l->mzc, nh = np / 2;
  const int64_t mpad = 2 * mzc, m2 = m * m;
  float *S = l->P, *Wr = (float *)l->WM;
  static const int terms[7][2] = {{-1, -1}, {0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
  static const float weight[7] = {0.5f, -0.5f, -0.5f, -0.5f, -1.0f, -1.0f, -1.0f};
  for (int t = 0; t < 7; t++) {
    pad_to_m(l, terms[t][0], terms[t][1]);
    TIMED_FFT(l, fftwf_execute_dft_c2r(l->m_c2r_ip, l->WM, Wr));
    l->cnt.fft_dealias++;
    const float w = weight[t];
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
    for (int64_t r = 0; r < m2; r++)
      for (int64_t iz = 0; iz < m; iz++) {
        const float v = Wr[r * mpad + iz];
        S[r * m + iz] = (t == 0 ? 0.0f : S[r * m + iz]) + w * v * v;
      }
  }
  TIMED_FFT(l, fftwf_execute_dft_r2c(l->m_r2c_oop, S, l->WM));
  l->cnt.fft_dealias++;
  const float scale = (float)((double)(np * np * np) / (double)(m * m * m));
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t ix = 0; ix < np; ix++) {
    const int64_t jx = ix < nh ? ix : ix - np + m;
    for (int64_t iy = 0; iy < np; iy++) {
      const int64_t jy = iy < nh ? iy : iy - np + m;
      for (int64_t iz = 0; iz < nzc; iz++) {
        float *dst = (float *)l->W + 2 * ((ix * np + iy) * nzc + iz);
        if (ix == nh || iy == nh || iz == nh) {
          dst[0] = dst[1] = 0.0f;
        } else {
          const float *src = (const float *)l->WM + 2 * ((jx * m + jy) * mzc + iz);
          dst[0] = src[0] * scale;
          dst[1] = src[1] * scale;
        }
      }
    }
  }
}

int hp_lpt_execute(hp_lpt *l, const hp_lpt_factors *f, hp_status *st) {
  (void)st;
  const int64_t n3 = l->n3, np = l->d.np;
  float *P = l->P, *disp[3], *vel[3];
  for (int a = 0; a < 3; a++) {
    disp[a] = hp_lpt_displacement(l, a);
    vel[a] = hp_lpt_velocity(l, a);
  }
  l->cnt.fft_np = l->cnt.fft_dealias = 0;
  l->cnt.fft_seconds = 0.0;
  if (l->d.order == 1) { /* psi2 = 0: displacement, and velocity = V1/D1 displacement */
    for (int a = 0; a < 3; a++) {
      k_combine(l, (float *)l->W, a, f->D1, 0.0);
      TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_oop, l->W, disp[a]));
    }
    l->cnt.fft_np = 3;
    const float r = (float)(f->V1 / f->D1);
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
    for (int64_t n = 0; n < n3; n++)
      for (int a = 0; a < 3; a++) vel[a][n] = r * disp[a][n];
    return HP_OK;
  }
  /* W <- np^3 S_k (the source uses the velocity slots, or all of P when dealiased) */
  if (l->d.dealias)
    source_dealiased(l);
  else
    source_direct(l, vel[0]);
  const double s = -1.0 / (double)n3; /* phi2_k = -S_k / k^2 */
  /* velocities, through a spare half-complex buffer in the displacement slots */
  for (int a = 0; a < 3; a++) {
    k_combine(l, P, a, f->V1, f->V2 * s);
    TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_oop, (fftwf_complex *)P, vel[a]));
  }
  /* displacements x and y through spares above their outputs (the slot after z
   * has 2 np^2 floats of slack so that one half-complex grid fits); z in place in W */
  for (int a = 0; a < 2; a++) {
    float *spare = P + (a + 1) * n3;
    k_combine(l, spare, a, f->D1, f->D2 * s);
    TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_oop, (fftwf_complex *)spare, disp[a]));
  }
  k_combine(l, (float *)l->W, 2, f->D1, f->D2 * s);
  TIMED_FFT(l, fftwf_execute_dft_c2r(l->c2r_oop, l->W, disp[2]));
  l->cnt.fft_np += 6;
  (void)np;
  return HP_OK;
}

double hp_lpt_time_one_fft(hp_lpt *l) {
  k_combine(l, (float *)l->W, 0, 1.0, 0.0);
  double t0 = omp_get_wtime();
  fftwf_execute_dft_c2r(l->c2r_oop, l->W, l->P);
  return omp_get_wtime() - t0;
}
