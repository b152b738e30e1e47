/*
 * Distributed 2LPT (see lpt_mpi.h): lpt/lpt.c's algorithm on FFTW-MPI slabs.
 *
 * Layouts. Real space: x-slabs of nx planes; FFTW-MPI's real arrays are padded rows of
 * 2 (np/2 + 1) floats even out of place, so every inverse FFT runs in place in a half-complex
 * buffer and its rows are then copied, unpadded, to their output slot. k-space: transposed
 * (FFTW_MPI_TRANSPOSED_IN/OUT), y-slabs [ky][kx][kz] of ny planes, which saves one global
 * transpose per FFT; the linear field is made in x-slabs (hp_noise_fill_slab,
 * hp_linear_scale_slab) and transposed once into K.
 *
 * Buffers as in the serial plan: K (delta_k, kept), W (scratch), P (displacement xyz, slack,
 * velocity xyz; scratch before they are written), with rooms of free floats before and after
 * each of the six outputs (stride = before + nloc + after), where the particle exchange puts the
 * particles other ranks send, so that they join this rank's own without a copy. The slack lets a
 * half-complex slab (2 nc floats) start at any of the first three slots without reaching the
 * velocities, so that the displacements x and y go through spares above their own slots, as in
 * lpt.c.
 */
#include "lpt_mpi.h"

#include <fftw3-mpi.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "lpt/lpt_kspace.h"
#include "lpt/lpt_linear.h"
#include "mpi/comm.h"
#include "util/fftw_threads.h"

struct hp_mlpt {
  hp_lpt_desc d;
  MPI_Comm comm;
  int64_t nzc;        /* np/2 + 1 */
  int64_t x0, nx;     /* real-space planes held here */
  int64_t y0, ny;     /* k-space ky planes held here (transposed layout) */
  int64_t nloc;       /* nx np^2: one output component */
  int64_t before;     /* free floats before each output */
  int64_t after;      /* free floats after each output */
  int64_t stride;     /* before + nloc + after: from one output's slot to the next */
  size_t slack;       /* floats between the displacement and velocity slots */
  size_t nc;          /* complex elements of K and W (what FFTW-MPI asks for) */
  fftwf_complex *K;   /* linear delta, c_k = delta(k)/V, [ky - y0][kx][kz] */
  fftwf_complex *W;   /* scratch; padded real x-slab in place */
  float *P;           /* 6 stride + slack floats: outputs (and scratch before) */
  float *kf;          /* 2 pi/L * signed index; 0 at Nyquist */
  fftwf_plan c2r;     /* in place, k-space transposed in */
  fftwf_plan r2c;     /* in place, k-space transposed out */
  fftwf_plan tr;      /* x-slab half-complex W -> y-slab K */
  size_t bytes;       /* buffers held on this rank */
  double fft_seconds; /* in FFTW-MPI during the last execute [s] */
};

static void prefault(float *a, size_t n, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (size_t i = 0; i < n; i++) a[i] = 0.0f;
}

static int check_desc(const hp_lpt_desc *d, hp_status *st) {
  if (d->np < 4 || d->np % 2)
    return hp_fail(st, HP_ERR_INPUT, "2LPT: NParticles = %lld must be even and >= 4",
                   (long long)d->np);
  if (!(d->box > 0)) return hp_fail(st, HP_ERR_INPUT, "2LPT: BoxSize = %g must be > 0", d->box);
  if (d->order != 1 && d->order != 2)
    return hp_fail(st, HP_ERR_INPUT, "2LPT: LPTOrder = %d must be 1 or 2", d->order);
  if (d->order == 2 && d->dealias)
    return hp_fail(st, HP_ERR_INPUT,
                   "2LPT: LPTDealias is not available with MPI yet: set LPTDealias = 0");
  return HP_OK;
}

/* This rank's slabs and buffers; local (no communication). */
static int allocate(hp_mlpt *l, hp_status *st) {
  const int64_t np = l->d.np;
  const ptrdiff_t n[2] = {(ptrdiff_t)np, (ptrdiff_t)np};
  ptrdiff_t lx, sx, ly, sy, tlx, tsx, tly, tsy;
  const ptrdiff_t a3 =
      fftwf_mpi_local_size_3d_transposed(np, np, l->nzc, l->comm, &lx, &sx, &ly, &sy);
  /* the linear field's transpose: tuples of 2 nzc floats, in floats */
  const ptrdiff_t at =
      fftwf_mpi_local_size_many_transposed(2, n, 2 * l->nzc, FFTW_MPI_DEFAULT_BLOCK,
                                           FFTW_MPI_DEFAULT_BLOCK, l->comm, &tlx, &tsx, &tly, &tsy);
  if (tlx != lx || tsx != sx || tly != ly || tsy != sy)
    return hp_fail(st, HP_ERR_INTERNAL, "2LPT: FFTW-MPI's transpose and FFT slabs differ");
  /* FFTW gives an empty slab start 0; np keeps the slabs in rank order (the empty ones last) */
  l->x0 = lx ? sx : np, l->nx = lx, l->y0 = ly ? sy : np, l->ny = ly;
  l->nloc = lx * np * np;
  l->nc = (size_t)(a3 > (at + 1) / 2 ? a3 : (at + 1) / 2);
  if (l->nc == 0) l->nc = 1; /* a rank without planes still passes FFTW valid pointers */
  l->slack = 2 * l->nc > (size_t)l->nloc ? 2 * l->nc - (size_t)l->nloc : 0;
  l->stride = l->before + l->nloc + l->after;
  const size_t nP = 6 * (size_t)l->stride + l->slack;
  l->K = fftwf_alloc_complex(l->nc);
  l->W = fftwf_alloc_complex(l->nc);
  l->P = fftwf_alloc_real(nP);
  l->kf = malloc((size_t)np * sizeof *l->kf);
  l->bytes = 2 * l->nc * sizeof(fftwf_complex) + nP * sizeof(float);
  if (!l->K || !l->W || !l->P || !l->kf)
    return hp_fail(st, HP_ERR_NOMEM, "2LPT: cannot allocate %.1f MB for NParticles = %lld",
                   (double)l->bytes / 1e6, (long long)np);
  /* execute pays no page faults: plan time owns all allocation costs */
  prefault((float *)l->K, 2 * l->nc, l->d.nthreads);
  prefault((float *)l->W, 2 * l->nc, l->d.nthreads);
  prefault(l->P, nP, l->d.nthreads);
  for (int64_t i = 0; i < np; i++) { /* as lpt.c, so that k-space factors are bit-identical */
    const int64_t s = i <= np / 2 ? i : i - np;
    l->kf[i] = (float)((i == np / 2) ? 0.0 : 2.0 * M_PI / l->d.box * (double)s);
  }
  return HP_OK;
}

int hp_mlpt_create(hp_mlpt **out, const hp_lpt_desc *d, int64_t before, int64_t after,
                   MPI_Comm comm, hp_status *st) {
  *out = NULL;
  hp_status_clear(st);
  check_desc(d, st);
  if (hp_mpi_agree(st, comm)) return st->code; /* before FFTW-MPI sees the sizes */
  hp_mlpt *l = calloc(1, sizeof *l);
  if (!l) {
    hp_fail(st, HP_ERR_NOMEM, "2LPT: cannot allocate the plan");
  } else {
    l->d = *d;
    l->d.dealias = 0;
    if (l->d.nthreads <= 0) l->d.nthreads = omp_get_max_threads();
    l->comm = comm;
    l->nzc = d->np / 2 + 1;
    l->before = before > 0 ? before : 0;
    l->after = after > 0 ? after : 0;
    allocate(l, st);
  }
  if (hp_mpi_agree(st, comm)) {
    hp_mlpt_destroy(l);
    return st->code;
  }
#pragma omp critical(hp_fftw_planner)
  {
    hp_fftw_threads(l->d.nthreads);
    const ptrdiff_t n = (ptrdiff_t)d->np;
    const unsigned flags = FFTW_ESTIMATE;
    l->c2r = fftwf_mpi_plan_dft_c2r_3d(n, n, n, l->W, (float *)l->W, comm,
                                       flags | FFTW_MPI_TRANSPOSED_IN);
    l->r2c = fftwf_mpi_plan_dft_r2c_3d(n, n, n, (float *)l->W, l->W, comm,
                                       flags | FFTW_MPI_TRANSPOSED_OUT);
    l->tr = fftwf_mpi_plan_many_transpose(n, n, 2 * l->nzc, FFTW_MPI_DEFAULT_BLOCK,
                                          FFTW_MPI_DEFAULT_BLOCK, (float *)l->W, (float *)l->K,
                                          comm, flags);
  }
  if (!l->c2r || !l->r2c || !l->tr)
    hp_fail(st, HP_ERR_INTERNAL, "2LPT: FFTW-MPI could not plan a %lld^3 transform",
            (long long)d->np);
  if (hp_mpi_agree(st, comm)) {
    hp_mlpt_destroy(l);
    return st->code;
  }
  *out = l;
  return HP_OK;
}

void hp_mlpt_destroy(hp_mlpt *l) {
  if (!l) return;
  fftwf_plan plans[] = {l->c2r, l->r2c, l->tr};
  for (size_t i = 0; i < sizeof plans / sizeof *plans; i++)
    if (plans[i]) fftwf_destroy_plan(plans[i]);
  fftwf_free(l->K);
  fftwf_free(l->W);
  fftwf_free(l->P);
  free(l->kf);
  free(l);
}

void hp_mlpt_slab(const hp_mlpt *l, int64_t *x0, int64_t *nx) {
  *x0 = l->x0;
  *nx = l->nx;
}
float *hp_mlpt_displacement(hp_mlpt *l, int axis) { return l->P + axis * l->stride + l->before; }
float *hp_mlpt_velocity(hp_mlpt *l, int axis) {
  return l->P + (3 + axis) * l->stride + l->before + l->slack;
}
void hp_mlpt_rooms(const hp_mlpt *l, int64_t *before, int64_t *after) {
  *before = l->before, *after = l->after;
}
size_t hp_mlpt_bytes(const hp_mlpt *l) { return l->bytes; }
double hp_mlpt_fft_seconds(const hp_mlpt *l) { return l->fft_seconds; }

int hp_mlpt_set_linear(hp_mlpt *l, const hp_cosmology *c, const hp_noise_desc *nd, hp_status *st) {
  hp_status_clear(st);
  float(*Wk)[2] = (float(*)[2])l->W; /* [x - x0][y][z] */
  if (hp_noise_fill_slab(Wk, l->d.np, l->x0, l->nx, nd, l->d.nthreads, st) ||
      hp_linear_scale_slab(Wk, l->d.np, l->x0, l->nx, l->d.box, c, l->d.nthreads, st))
    hp_error_context(st, "linear field");
  if (hp_mpi_agree(st, l->comm)) return st->code;
  fftwf_execute(l->tr);
  return hp_mpi_agree(st, l->comm);
}

/* hp_lpt_k_row (lpt/lpt_kspace.h) over the transposed y-slab's rows: the serial plan's
 * arithmetic per mode. out may alias an input. */
static void k_apply(const hp_mlpt *l, const float *in, const float *in2, float *out, int kind,
                    int a, int b, float c1, float c2) {
  const int64_t np = l->d.np, nzc = l->nzc, ny = l->ny, y0 = l->y0;
#pragma omp parallel for collapse(2) num_threads(l->d.nthreads) schedule(static)
  for (int64_t jy = 0; jy < ny; jy++)
    for (int64_t ix = 0; ix < np; ix++) {
      const int64_t base = 2 * (jy * np + ix) * nzc;
      hp_lpt_k_row(in + base, in2 + base, out + base, l->kf, ix, y0 + jy, np / 2, kind, a, b, c1,
                   c2);
    }
}

static void k_hessian(const hp_mlpt *l, float *out, int a, int b) {
  k_apply(l, (const float *)l->K, (const float *)l->K, out, 0, a, b, 0.0f, 0.0f);
}

/* out = i k_a/k^2 (c1 K + c2 in2): a displacement or velocity component in k-space. */
static void k_combine(const hp_mlpt *l, const float *in2, float *out, int a, double c1, double c2) {
  k_apply(l, (const float *)l->K, in2, out, 1, a, 0, (float)c1, (float)c2);
}

/* In-place inverse FFT of the half-complex slab at @p buf (W or a spare in P). */
static void inverse(hp_mlpt *l, float *buf) {
  const double t = MPI_Wtime();
  fftwf_mpi_execute_dft_c2r(l->c2r, (fftwf_complex *)buf, buf);
  l->fft_seconds += MPI_Wtime() - t;
}

/* Copy the padded real rows of @p src (FFTW-MPI's layout) into the unpadded @p dst. */
static void unpad(const hp_mlpt *l, const float *src, float *dst) {
  const int64_t np = l->d.np, pad = 2 * l->nzc;
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t r = 0; r < l->nx * np; r++) memcpy(dst + r * np, src + r * pad, np * sizeof *dst);
}

/* The second-order source S into W as np^3 S_k (transposed), using the slots S and S + nloc. */
static void source(hp_mlpt *l, float *S) {
  const int64_t rows = l->nx * l->d.np, np = l->d.np, pad = 2 * l->nzc;
  float *Syy = S + l->nloc, *Wr = (float *)l->W;
  k_hessian(l, Wr, 0, 0);
  inverse(l, Wr);
  unpad(l, Wr, S);
  k_hessian(l, Wr, 1, 1);
  inverse(l, Wr);
  unpad(l, Wr, Syy);
  k_hessian(l, Wr, 2, 2);
  inverse(l, Wr);
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t iz = 0; iz < np; iz++) {
      const int64_t n = r * np + iz;
      const float xx = S[n], yy = Syy[n], zz = Wr[r * pad + iz];
      S[n] = xx * yy + (xx + yy) * zz;
    }
  static const int pairs[3][2] = {{0, 1}, {0, 2}, {1, 2}};
  for (int p = 0; p < 3; p++) {
    k_hessian(l, Wr, pairs[p][0], pairs[p][1]);
    inverse(l, Wr);
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
    for (int64_t r = 0; r < rows; r++)
      for (int64_t iz = 0; iz < np; iz++) {
        const float w = Wr[r * pad + iz];
        S[r * np + iz] -= w * w;
      }
  }
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
  for (int64_t r = 0; r < rows; r++) memcpy(Wr + r * pad, S + r * np, np * sizeof *Wr);
  const double t = MPI_Wtime();
  fftwf_mpi_execute_dft_r2c(l->r2c, Wr, l->W); /* W = np^3 S_k */
  l->fft_seconds += MPI_Wtime() - t;
}

int hp_mlpt_execute(hp_mlpt *l, const hp_lpt_factors *f, hp_status *st) {
  hp_status_clear(st);
  const int64_t nloc = l->nloc, np = l->d.np;
  float *P = l->P, *disp[3], *vel[3];
  for (int a = 0; a < 3; a++) {
    disp[a] = hp_mlpt_displacement(l, a);
    vel[a] = hp_mlpt_velocity(l, a);
  }
  l->fft_seconds = 0.0;
  if (l->d.order == 1) { /* psi2 = 0: displacement, and velocity = V1/D1 displacement */
    for (int a = 0; a < 3; a++) {
      k_combine(l, (const float *)l->K, (float *)l->W, a, f->D1, 0.0);
      inverse(l, (float *)l->W);
      unpad(l, (const float *)l->W, disp[a]);
    }
    const float r = (float)(f->V1 / f->D1);
#pragma omp parallel for num_threads(l->d.nthreads) schedule(static)
    for (int64_t n = 0; n < nloc; n++)
      for (int a = 0; a < 3; a++) vel[a][n] = r * disp[a][n];
    return hp_mpi_agree(st, l->comm);
  }
  source(l, vel[0]);
  const double s = -1.0 / (double)(np * np * np); /* phi2_k = -S_k / k^2 */
  /* velocities through a spare slab at the start of P; displacements x and y through spares
   * above their slots; z in place in W, its last use */
  for (int a = 0; a < 3; a++) {
    k_combine(l, (const float *)l->W, P, a, f->V1, f->V2 * s);
    inverse(l, P);
    unpad(l, P, vel[a]);
  }
  for (int a = 0; a < 2; a++) {
    float *spare = P + (a + 1) * l->stride; /* 2 nc <= stride + slack: short of the velocities */
    k_combine(l, (const float *)l->W, spare, a, f->D1, f->D2 * s);
    inverse(l, spare);
    unpad(l, spare, disp[a]);
  }
  k_combine(l, (const float *)l->W, (float *)l->W, 2, f->D1, f->D2 * s);
  inverse(l, (float *)l->W);
  unpad(l, (const float *)l->W, disp[2]);
  return hp_mpi_agree(st, l->comm);
}
