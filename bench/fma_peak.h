/**
 * @file fma_peak.h
 * @brief The machine's FP32 peak as the benchmarks measure it: 12 independent FMA chains per
 *        thread on the painter's vector type (nn/simd.h), best of 3 [GFLOP/s].
 */
#ifndef HP_BENCH_FMA_PEAK_H
#define HP_BENCH_FMA_PEAK_H

#include <omp.h>
#include <stdio.h>

#include "nn/simd.h"

static double hp_bench_fma_peak(int threads) {
  const long iters = 20000000;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      hp_vf a[12], x = hp_vset1(0.999999f), y = hp_vset1(1e-7f);
      for (int i = 0; i < 12; i++) a[i] = hp_vset1((float)i);
      for (long it = 0; it < iters / 12; it++)
        for (int i = 0; i < 12; i++) a[i] = hp_vfma(a[i], x, y);
      float tmp[HP_VW];
      for (int i = 1; i < 12; i++) a[0] = hp_vadd(a[0], a[i]);
      hp_vstore(tmp, a[0]);
      sink += tmp[0];
    }
    const double t = omp_get_wtime() - t0;
    const double gf = 2.0 * HP_VW * (double)(iters / 12) * 12 * threads / t / 1e9;
    if (gf > best) best = gf;
    if (sink == 12345.f) printf(" "); /* keeps the loop from being optimised away */
  }
  return best;
}

#endif
