/*
 * Benchmark of training at the paper's patch (58^3 density -> 50^3 halos): the generator's
 * forward + backward pass, one critic update (generator forward, critic at painted, true and
 * interpolated samples, gradient penalty by double backpropagation, Adam), and whole generator
 * updates of the poisson and wgan-gp objectives (n_critic = 5), as updates per second and
 * GFLOP/s (2 x the useful multiply-adds of the convolutions and the dense layer) beside the
 * machine's FP32 peak measured in the same run by an FMA loop on the same vector type; then
 * each convolution's share of a generator pass (ms and GFLOP/s of its forward, weight gradient
 * and input gradient). Usage: bench_train [THREADS] [PATCH] [REPS].
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/critic.h"
#include "train/generator.h"
#include "nn/network.h"
#include "bench/fma_peak.h"
#include "nn/simd.h"
#include "train/trainer.h"

/* A smooth periodic density and Poisson-like counts. */
static int make_data(hp_train_data *d, int64_t n, hp_status *st) {
  const int64_t n3 = n * n * n;
  if (hp_train_data_init(d, 1, st)) return st->code;
  float *rho = hp_alloc(sizeof(float) * (size_t)n3, "density", st);
  float *cnt = rho ? hp_alloc(sizeof(float) * (size_t)n3, "counts", st) : NULL;
  if (!cnt) return st->code;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < n; l++) {
        const double r = exp(0.6 * sin(0.3 * i) * cos(0.2 * j) + 0.3 * sin(0.5 * l));
        rho[(i * n + j) * n + l] = (float)r;
        cnt[(i * n + j) * n + l] = (float)floor(fmax(r - 0.8, 0) * ((i * 7 + j * 3 + l) % 3));
      }
  return hp_train_data_adopt(d, rho, cnt, n, 0, "synthetic", st);
}

static double best_of(int reps, hp_trainer *t, hp_status *st, int *fail) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    const double t0 = omp_get_wtime();
    if (hp_trainer_step(t, NULL, st)) *fail = 1;
    best = fmin(best, omp_get_wtime() - t0);
  }
  return best;
}

int main(int argc, char **argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2, patch = argc > 2 ? atoi(argv[2]) : 58;
  const int reps = argc > 3 ? atoi(argv[3]) : 3;
  hp_status st;
  hp_net net;
  hp_train_data data;
  int fail = 0;
  memset(&data, 0, sizeof data);
  if (hp_net_generator(&net, 1, 1, &st)) goto fail;
  hp_net_init_random(&net, 1, 0.1, 0.1);
  if (make_data(&data, patch + 6, &st)) goto fail;
  if (hp_train_data_prepare(&data, patch, hp_net_halo(&net), 0, &st)) goto fail;
  const double peak = hp_bench_fma_peak(threads);
  const int64_t m = patch - 2 * hp_net_halo(&net);
  /* generator forward + backward */
  hp_f_gen_ws *g;
  if (hp_f_gen_ws_create(&g, &net, patch, threads, &st)) goto fail;
  float *x = malloc(sizeof(float) * (size_t)patch * patch * patch),
        *dout = malloc(sizeof(float) * (size_t)(m * m * m)),
        *gw = calloc(net.nparams, sizeof(float));
  for (int64_t i = 0; i < (int64_t)patch * patch * patch; i++) x[i] = data.box[0].rho[i];
  for (int64_t i = 0; i < m * m * m; i++) dout[i] = 1e-3f * (float)(i % 17);
  double tf = 1e30, tb = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = omp_get_wtime();
    hp_f_gen_forward(g, net.w, x);
    double t1 = omp_get_wtime();
    hp_f_gen_backward(g, net.w, dout, gw);
    double t2 = omp_get_wtime();
    tf = fmin(tf, t1 - t0), tb = fmin(tb, t2 - t1);
  }
  /* per layer: where a generator pass spends its time (the same passes again, timed) */
  hp_f_gen_ws_profile(g, 1);
  for (int r = 0; r < reps; r++) {
    hp_f_gen_forward(g, net.w, x);
    hp_f_gen_backward(g, net.w, dout, gw);
  }
  hp_f_gen_ws_profile(g, 0);
  char layers[HP_NET_MAX_CONV][160];
  for (int i = 0; i < net.nconv; i++) {
    double t[3], macs;
    hp_f_gen_ws_layer_time(g, i, t, &macs);
    const hp_conv *c = &net.conv[i];
    char *o = layers[i];
    const int at = snprintf(o, 160, "    %-24s %2d->%2d k%d", c->name, c->cin, c->cout, c->k);
    if (macs == 0) {
      snprintf(o + at, 160 - (size_t)at, ": folded into the next layer");
      continue;
    }
    /* GFLOP/s of each pass: forward, weight gradient, input gradient (when formed) */
    double gf[3];
    for (int q = 0; q < 3; q++) gf[q] = t[q] > 0 ? 2 * macs * reps / t[q] / 1e9 : 0;
    snprintf(o + at, 160 - (size_t)at, ": %6.2f %6.2f %6.2f ms, %5.1f %5.1f %5.1f GFLOP/s",
             1e3 * t[0] / reps, 1e3 * t[1] / reps, 1e3 * t[2] / reps, gf[0], gf[1], gf[2]);
  }
  hp_train_config cfg;
  hp_train_config_default(&cfg);
  cfg.patch = patch, cfg.nthreads = threads;
  cfg.objective = HP_OBJ_POISSON;
  hp_trainer *tp, *tw, *tc;
  if (hp_trainer_create(&tp, &cfg, &net, &data, &st)) goto fail;
  const double fpois = hp_trainer_flops_per_update(tp);
  const double t_pois = best_of(reps, tp, &st, &fail);
  cfg.objective = HP_OBJ_WGAN_GP;
  if (hp_trainer_create(&tw, &cfg, &net, &data, &st)) goto fail;
  const double fw = hp_trainer_flops_per_update(tw);
  const double t_wgan = best_of(reps > 1 ? reps - 1 : 1, tw, &st, &fail);
  cfg.n_critic = 1;
  if (hp_trainer_create(&tc, &cfg, &net, &data, &st)) goto fail;
  const double fw1 = hp_trainer_flops_per_update(tc);
  const double t_w1 = best_of(reps, tc, &st, &fail);
  if (fail) goto fail;
  /* one critic update = (wgan n_critic=5 - n_critic=1) / 4 */
  const double t_crit = (t_wgan - t_w1) / 4, f_crit = (fw - fw1) / 4;
  const double fg = fpois; /* generator forward + backward flops (Adam aside) */
  printf("train %d^3->%lld^3 threads=%d %s: FMA-loop peak %.1f GFLOP/s\n", patch, (long long)m,
         threads, HP_SIMD_NAME, peak);
  char o1[160], o2[160], o3[160], o4[160];
  printf("  generator forward %.3f s + backward %.3f s = %.2f /s, %.1f GFLOP/s (%s)\n", tf, tb,
         1 / (tf + tb), fg / (tf + tb) / 1e9,
         hp_bench_of_peak(fg / (tf + tb) / 1e9, peak, o1, 160));
  printf(
      "  critic update (G forward + critic + penalty + Adam) %.3f s = %.2f /s, %.1f GFLOP/s "
      "(%s)\n",
      t_crit, 1 / t_crit, f_crit / t_crit / 1e9,
      hp_bench_of_peak(f_crit / t_crit / 1e9, peak, o2, 160));
  printf("  poisson update %.3f s = %.2f updates/s, %.1f GFLOP/s (%s)\n", t_pois, 1 / t_pois,
         fpois / t_pois / 1e9, hp_bench_of_peak(fpois / t_pois / 1e9, peak, o3, 160));
  printf(
      "  wgan-gp update (n_critic 5) %.3f s = %.3f updates/s, %.1f GFLOP/s (%s); workspace "
      "%.0f MB\n",
      t_wgan, 1 / t_wgan, fw / t_wgan / 1e9, hp_bench_of_peak(fw / t_wgan / 1e9, peak, o4, 160),
      hp_trainer_bytes(tw) / 1e6);
  printf("  per layer, generator pass (forward, weight gradient, input gradient):\n");
  for (int i = 0; i < net.nconv; i++) printf("%s\n", layers[i]);
  hp_trainer_destroy(tp), hp_trainer_destroy(tw), hp_trainer_destroy(tc);
  hp_f_gen_ws_destroy(g);
  free(x), free(dout), free(gw);
  hp_train_data_free(&data);
  hp_net_free(&net);
  return 0;
fail:
  fprintf(stderr, "bench_train: %s\n", st.msg);
  return 1;
}
