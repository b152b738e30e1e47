/*
 * Benchmark of the 2LPT stage: white noise + linear field + 2LPT execute at
 * NParticles^3, against the FFT floor (number of FFTs x the time of one
 * np^3 FFT measured in the same process), and the memory per particle
 * (the plan's buffers, and the process's peak resident set).
 * Usage: bench_lpt NP [THREADS [dealias]]   (one size per process, so that
 * the peak RSS belongs to that size).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <omp.h>

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NP [THREADS [DEALIAS]]\n", argv[0]);
    return 2;
  }
  const int64_t np = atoll(argv[1]);
  const int threads = argc > 2 ? atoi(argv[2]) : 2, dealias = argc > 3 ? atoi(argv[3]) : 0;
  hp_status st;
  hp_status_clear(&st);
  hp_cosmo_desc cd = {0};
  cd.omega_m = 0.3089, cd.omega_l = 1 - 0.3089, cd.omega_b = 0.0486, cd.h = 0.6774;
  cd.sigma8 = 0.8159, cd.n_s = 0.9667, cd.t_cmb = 2.7255, cd.power = HP_POWER_EH98;
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  hp_lpt_desc d = {np, 2.0 * np, 2, dealias, threads};
  hp_lpt_factors f;
  if (hp_cosmology_create(&c, &cd, &st) || hp_lpt_factors_at(c, 1.0, &f, &st)) goto fail;
  double t0 = omp_get_wtime();
  if (hp_lpt_create(&l, &d, &st)) goto fail;
  double t_plan = omp_get_wtime() - t0;
  hp_noise_desc nd = {42, 0, 0};
  /* median of 3 runs of each stage: this machine is shared and noisy */
  double tl[3], te[3];
  for (int r = 0; r < 3; r++) {
    t0 = omp_get_wtime();
    if (hp_lpt_set_linear(l, c, &nd, &st)) goto fail;
    tl[r] = omp_get_wtime() - t0;
    t0 = omp_get_wtime();
    if (hp_lpt_execute(l, &f, &st)) goto fail;
    te[r] = omp_get_wtime() - t0;
  }
  qsort(tl, 3, sizeof *tl, cmp);
  qsort(te, 3, sizeof *te, cmp);
  const double t_lin = tl[1], t_exec = te[1];
  hp_lpt_counters cnt = hp_lpt_get_counters(l);
  double tf[5];
  for (int i = 0; i < 5; i++) tf[i] = hp_lpt_time_one_fft(l);
  qsort(tf, 5, sizeof *tf, cmp);
  const double t_fft = tf[2];
  /* a dealiased FFT of (3np/2)^3 costs ~ (3/2)^3 log-corrected; count it as 3.375 np^3 FFTs */
  const double nfft = cnt.fft_np + 3.375 * cnt.fft_dealias;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double n3 = (double)np * np * np;
  printf(
      "2LPT np=%lld threads=%d dealias=%d: plan %.3f s, noise+P(k) %.3f s, execute %.3f s; "
      "FFTs %d x np^3 + %d x (3np/2)^3; one np^3 FFT %.4f s; total/FFT-floor %.3f "
      "(execute only %.3f; total / time inside FFTW during execute %.3f); "
      "plan memory %.1f B/particle; peak RSS %.1f B/particle\n",
      (long long)np, threads, dealias, t_plan, t_lin, t_exec, cnt.fft_np, cnt.fft_dealias, t_fft,
      (t_lin + t_exec) / (nfft * t_fft), t_exec / (nfft * t_fft),
      (t_lin + t_exec) / cnt.fft_seconds, cnt.bytes / n3, ru.ru_maxrss * 1024.0 / n3);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  return 0;
fail:
  fprintf(stderr, "bench_lpt: %s\n", st.msg);
  return 1;
}
