/**
 * @file fma_peak.h
 * @brief The machine's FP32 peak as the benchmarks measure it: 12 independent FMA chains per
 *        thread on the painter's vector type (nn/simd.h) [GFLOP/s]. Each of 5 repeats runs at
 *        least 0.5 s (the loop length is calibrated first); the peak is the best repeat, the
 *        median is printed beside it so that a noisy machine shows. A kernel measured above the
 *        peak means the peak run was disturbed: the benchmarks then say so instead of printing
 *        a figure above 100 %.
 */
#ifndef HP_BENCH_FMA_PEAK_H
#define HP_BENCH_FMA_PEAK_H

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/simd.h"

/* One run of @p iters FMA steps per chain on @p threads threads: GFLOP/s and seconds. */
static double hp_bench_fma_run(int threads, long iters, double *seconds) {
  const double t0 = omp_get_wtime();
  float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
  {
    hp_vf a[12], x = hp_vset1(0.999999f), y = hp_vset1(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = hp_vset1((float)i);
    for (long it = 0; it < iters; it++)
      for (int i = 0; i < 12; i++) a[i] = hp_vfma(a[i], x, y);
    float tmp[HP_VW];
    for (int i = 1; i < 12; i++) a[0] = hp_vadd(a[0], a[i]);
    hp_vstore(tmp, a[0]);
    sink += tmp[0];
  }
  *seconds = omp_get_wtime() - t0;
  if (sink == 12345.f) printf(" "); /* keeps the loop from being optimised away */
  return 2.0 * HP_VW * 12.0 * (double)iters * threads / *seconds / 1e9;
}

static int hp_bench_cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/** Best of 5 runs of >= 0.5 s [GFLOP/s]; *median (may be NULL) gets the median. */
static double hp_bench_fma_peak_median(int threads, double *median) {
  long iters = 1000000;
  double t = 0, g[5];
  while (hp_bench_fma_run(threads, iters, &t), t < 0.5) iters = (long)(iters * (0.6 / t) + 1);
  for (int r = 0; r < 5; r++) g[r] = hp_bench_fma_run(threads, iters, &t);
  qsort(g, 5, sizeof g[0], hp_bench_cmp);
  if (median) *median = g[2];
  return g[4];
}

static double hp_bench_fma_peak(int threads) {
  double median;
  const double best = hp_bench_fma_peak_median(threads, &median);
  printf("FMA-loop peak (%d threads, %s): best %.1f GFLOP/s, median %.1f of 5 runs of >= 0.5 s\n",
         threads, HP_SIMD_NAME, best, median);
  return best;
}

/** "73.1% of the FMA-loop peak", or a warning when a kernel beat the peak (a disturbed run). */
static const char *hp_bench_of_peak(double gflops, double peak, char *buf, size_t n) {
  if (gflops > peak)
    snprintf(buf, n, "above the measured FMA-loop peak (%.1f): the peak run was disturbed, no %%",
             peak);
  else
    snprintf(buf, n, "%.1f%% of the FMA-loop peak %.1f GFLOP/s", 100.0 * gflops / peak, peak);
  return buf;
}

#endif
