/*
 * Benchmark of CPU painting: GFLOP/s of hp_painter_execute on periodic boxes
 * (2 x the network's multiply-adds per output voxel), beside the machine's FP32
 * peak measured in the same run by an FMA loop on the same vector type, and the
 * plan's memory. Usage: bench_painter N [THREADS] (one size per process).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nn/network.h"
#include "nn/painter.h"
#include "bench/fma_peak.h"
#include "nn/simd.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s N [THREADS]\n", argv[0]);
    return 2;
  }
  const int64_t n = atoll(argv[1]);
  const int threads = argc > 2 ? atoi(argv[2]) : 2;
  hp_status st;
  hp_net net;
  hp_painter *p = NULL;
  if (hp_net_generator(&net, 1, 1, &st)) goto fail;
  hp_net_init_random(&net, 1, 0.1, 0.1);
  hp_painter_desc d = {{n, n, n}, 1, threads, 0, 0, 0};
  if (hp_painter_create(&p, &net, &d, &st)) goto fail;
  float *rho = malloc(sizeof(float) * (size_t)(n * n * n)),
        *o = malloc(sizeof(float) * (size_t)(n * n * n));
  for (int64_t i = 0; i < n * n * n; i++)
    rho[i] = 1.0f + 0.5f * (float)((i * 2654435761u) % 1000) / 1000.0f;
  float *outs[1] = {o};
  const double peak = hp_bench_fma_peak(threads);
  double best = 1e30;
  /* the best of repeats that paint for at least 0.5 s in all (and at least twice): a few
   * executes of a small grid right after the FMA loop read low; the output's pages are touched
   * first, so no repeat pays their faults */
  memset(o, 0, sizeof(float) * (size_t)(n * n * n));
  double spent = 0;
  for (int r = 0; r < 2 || spent < 0.5; r++) {
    double t0 = omp_get_wtime();
    if (hp_painter_execute(p, rho, outs, &st)) goto fail;
    const double t = omp_get_wtime() - t0;
    spent += t;
    if (t < best) best = t;
  }
  const double flop = 2.0 * hp_painter_macs_per_voxel(p) * (double)(n * n * n);
  const double flop_net = 2.0 * hp_net_macs_per_voxel(&net) * (double)(n * n * n);
  int ty, tz, measured;
  hp_painter_tiles(p, &ty, &tz, &measured);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double io_mb = 2.0 * n * n * n * 4 / 1e6;
  char of[160];
  printf(
      "painter %lld^3 threads=%d %s, tiles %d x %d (%s): %.3f s, %.1f GFLOP/s executed = %s "
      "(%.0f GFLOP/s by the paper's operation count); %.1f ns per voxel; plan %.1f MB; peak RSS "
      "%.1f MB (input + output %.1f MB)\n",
      (long long)n, threads, hp_painter_simd(p), ty, tz, measured ? "measured" : "estimated", best,
      flop / best / 1e9, hp_bench_of_peak(flop / best / 1e9, peak, of, sizeof of),
      flop_net / best / 1e9, 1e9 * best / (double)(n * n * n), hp_painter_workspace_bytes(p) / 1e6,
      ru.ru_maxrss / 1024.0, io_mb);
  hp_painter_destroy(p);
  hp_net_free(&net);
  free(rho), free(o);
  return 0;
fail:
  fprintf(stderr, "bench_painter: %s\n", st.msg);
  return 1;
}
