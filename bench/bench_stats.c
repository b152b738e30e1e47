/*
 * Benchmark of the statistics (stats/): at an n^3 mesh, the time of
 *   pk     a grid -> modes (conversion, one r2c FFT, normalisation) -> binned P(k),
 *   cross  two grids -> P_aa, P_bb, P_ab in one pass -> T, r_c, s,
 *   pk-cat 10^6 random halos -> CIC, interlaced (two deposits, two FFTs) -> P(k),
 *   bispec 10 angles of one (k1, k2) by shell FFTs (4 + 2 x 10 inverse FFTs),
 * each against one r2c FFT of the same size measured in the same run (median of 5), so the
 * ratios say how close to the FFT floor each statistic is (1, 2, 2 and 24 FFTs).
 * Usage: bench_stats N [THREADS]   (default threads: all)
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats/bispec.h"
#include "stats/cross.h"
#include "stats/mesh.h"
#include "stats/power.h"

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp);
  return t[n / 2];
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s N [THREADS]\n", argv[0]);
    return 2;
  }
  const int64_t n = atoll(argv[1]), n3 = n * n * n;
  const int threads = argc > 2 ? atoi(argv[2]) : omp_get_max_threads();
  const double L = 4.0 * n; /* 4 Mpc/h voxels, as the painter's */
  hp_status st;
  hp_status_clear(&st);
  hp_stats_mesh *mesh = NULL;
  hp_stats_bispec *bsp = NULL;
  hp_stats_field fa, fb;
  hp_stats_mesh_desc d = {n, L, HP_WIN_CIC, 1, 1, threads};
  float *ga = hp_alloc((size_t)n3 * sizeof(float), "grid", &st);
  float *gb = hp_alloc((size_t)n3 * sizeof(float), "grid", &st);
  const int64_t nh = 1000000;
  float *pos = malloc(sizeof(float) * 3 * nh);
  if (!ga || !gb || !pos || hp_stats_mesh_create(&mesh, &d, &st) ||
      hp_stats_field_alloc(&fa, n, L, &st) || hp_stats_field_alloc(&fb, n, L, &st) ||
      hp_stats_bispec_create(&bsp, n, L, threads, &st))
    goto fail;
  uint64_t s = 12345;
  for (int64_t i = 0; i < n3; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    ga[i] = (float)(0.5 + (s >> 40) / 16777216.0);
    gb[i] = ga[i] * 0.8f + 0.2f * (float)((s >> 20 & 0xFFFFF) / 1048576.0);
  }
  for (int64_t i = 0; i < 3 * nh; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    pos[i] = (float)(L * ((s >> 40) / 16777216.0));
  }
  const hp_stats_fft *fft = hp_stats_mesh_fft(mesh);
  hp_stats_bins bins;
  hp_stats_bins_default(&bins, n, L);
  enum { R = 5 };
  double tf[R], tp[R], tc[R], tk[R], tb[3];
  for (int r = 0; r < R; r++) {
    double t0 = omp_get_wtime();
    hp_stats_fft_r2c(fft, (float *)fa.dk);
    tf[r] = omp_get_wtime() - t0;
  }
  for (int r = 0; r < R; r++) {
    hp_stats_pk pk;
    double t0 = omp_get_wtime();
    if (hp_stats_field_from_grid(fft, ga, HP_GRID_DENSITY, HP_WIN_NONE, 0, &fa, &st) ||
        hp_stats_power(&fa, NULL, &bins, threads, &pk, &st))
      goto fail;
    tp[r] = omp_get_wtime() - t0;
    hp_stats_pk_free(&pk);
  }
  for (int r = 0; r < R; r++) {
    hp_stats_pk paa, pbb, pab;
    hp_stats_cross c;
    double t0 = omp_get_wtime();
    if (hp_stats_field_from_grid(fft, ga, HP_GRID_DENSITY, HP_WIN_NONE, 0, &fa, &st) ||
        hp_stats_field_from_grid(fft, gb, HP_GRID_DENSITY, HP_WIN_NONE, 0, &fb, &st) ||
        hp_stats_power_pair(&fa, &fb, &bins, threads, &paa, &pbb, &pab, &st) ||
        hp_stats_cross_from_pk(&paa, &pbb, &pab, 0, &c, &st))
      goto fail;
    tc[r] = omp_get_wtime() - t0;
    hp_stats_cross_free(&c);
    hp_stats_pk_free(&paa);
    hp_stats_pk_free(&pbb);
    hp_stats_pk_free(&pab);
  }
  hp_cic_particles p = {0};
  p.n = nh;
  p.x = pos, p.y = pos + 1, p.z = pos + 2, p.stride = 3;
  for (int r = 0; r < R; r++) {
    hp_stats_pk pk;
    double t0 = omp_get_wtime();
    if (hp_stats_mesh_execute(mesh, &p, &fa, &st) ||
        hp_stats_power(&fa, NULL, &bins, threads, &pk, &st))
      goto fail;
    tk[r] = omp_get_wtime() - t0;
    hp_stats_pk_free(&pk);
  }
  const double kf = 2 * M_PI / L;
  hp_stats_bispec_config cfg[10];
  hp_stats_bispec_result res[10];
  for (int i = 0; i < 10; i++)
    cfg[i] = hp_stats_bispec_config_theta(0.2 * n * kf, 0.2 * n * kf, M_PI * (i + 0.5) / 10);
  for (int r = 0; r < 3; r++) {
    double t0 = omp_get_wtime();
    if (hp_stats_bispec_execute(bsp, &fa, cfg, 10, 3 * kf, 0, res, &st)) goto fail;
    tb[r] = omp_get_wtime() - t0;
  }
  const double f = median(tf, R), a = median(tp, R), c = median(tc, R), k = median(tk, R);
  const double b = median(tb, 3);
  printf(
      "stats n=%lld threads=%d: one r2c FFT %.4f s; pk %.4f s (%.2f FFTs); cross %.4f s "
      "(%.2f FFTs); pk of 1e6 halos, CIC interlaced %.4f s (%.2f FFTs); bispec 10 angles "
      "%.3f s (%.1f FFTs for 24 c2r)\n",
      (long long)n, threads, f, a, a / f, c, c / f, k, k / f, b, b / f);
  hp_stats_bispec_destroy(bsp);
  hp_stats_field_free(&fa);
  hp_stats_field_free(&fb);
  hp_stats_mesh_destroy(mesh);
  hp_free(ga);
  hp_free(gb);
  free(pos);
  return 0;
fail:
  fprintf(stderr, "bench_stats: %s\n", st.msg);
  return 1;
}
