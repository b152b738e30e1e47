/**
 * @file pm_internal.h
 * @brief The PM plan's layout, shared by nbody/pm.c (plan, schedule, time stepping) and
 *        nbody/pm_force.c (mesh force). Not part of the public API.
 */
#ifndef HP_PM_INTERNAL_H
#define HP_PM_INTERNAL_H

#include <fftw3.h>

#include "cic/cic.h"
#include "nbody/pm.h"

/** Lines per block of the spectral gradient's 1-D FFTs (a cache line of floats). */
#define HP_PM_LINE_BLOCK 16

struct hp_pm {
  hp_pm_desc d;         /* nthreads resolved */
  int64_t nv;           /* mesh side B np */
  int64_t nzc;          /* nv/2 + 1 */
  int64_t pad;          /* 2 nzc: row length of the padded real mesh */
  double h;             /* mesh spacing L/nv [Mpc/h] */
  fftwf_complex *mk;    /* mesh A: delta_k, then phi in place (padded real) */
  float *mg;            /* mesh B: nv^3 density counts, then one gradient component */
  float *acc;           /* np^3 read-out scratch */
  float *ktab;          /* nv: k_i^2 (1_4, spectral) or k_i^2 sinc^2(k_i h/2) (3_4) [h^2/Mpc^2] */
  float *kline;         /* nzc: spectral derivative k_i along a line, 0 at Nyquist [h/Mpc] */
  float *linebuf;       /* per thread: HP_PM_LINE_BLOCK real lines of nv */
  fftwf_complex *linec; /* per thread: HP_PM_LINE_BLOCK complex lines of nzc */
  fftwf_plan r2c, c2r;  /* 3-D: mg -> mk, mk in place */
  fftwf_plan l_r2c, l_c2r;
  hp_cic_plan *cic;
  size_t bytes;
  hp_pm_counters cnt;
};

/** The force component @p axis at every particle into pm->acc (mesh potential must be ready). */
int hp_pm_force_axis(hp_pm *pm, const hp_pm_state *s, int axis, hp_status *st);
/** Deposit, FFT, Green's function and inverse FFT: the potential phi in pm->mk (padded real). */
int hp_pm_potential(hp_pm *pm, const hp_pm_state *s, hp_status *st);

#endif
