/*
 * Benchmark of the particle-mesh integrator (nbody/pm.h): 2LPT particles at z = 9 in a box of
 * NP Mpc/h (the density of FastPM's 256^3 in 256 Mpc/h), then STEPS kick-drift-kick steps to
 * z = 0 on a (B NP)^3 mesh. Reports the time per step and per particle, the time of each stage,
 * the plan's bytes per particle, and the peak resident set per particle of the whole process
 * (2LPT, state and plan, as `halopaint sim` holds them).
 * Usage: bench_pm NP [THREADS [B [STEPS [KERNEL]]]]   (KERNEL 0 = 1_4, 1 = 3_4, 2 = spectral)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "nbody/pm.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NP [THREADS [B [STEPS [KERNEL]]]]\n", argv[0]);
    return 2;
  }
  const int64_t np = atoll(argv[1]), n3 = np * np * np;
  const int threads = argc > 2 ? atoi(argv[2]) : 2, B = argc > 3 ? atoi(argv[3]) : 2;
  const int steps = argc > 4 ? atoi(argv[4]) : 10, kernel = argc > 5 ? atoi(argv[5]) : 0;
  const double box = (double)np, a0 = 0.1;
  hp_status st;
  hp_status_clear(&st);
  hp_cosmo_desc cd = {0};
  cd.omega_m = 0.3089, cd.omega_l = 1 - 0.3089, cd.omega_b = 0.0486, cd.h = 0.6774;
  cd.sigma8 = 0.8159, cd.n_s = 0.9667, cd.t_cmb = 2.7255, cd.power = HP_POWER_EH98;
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  hp_pm *pm = NULL;
  hp_pm_state s = {0};
  hp_pm_schedule sch = {0};
  hp_lpt_desc d = {np, box, 2, 0, threads};
  hp_lpt_factors f;
  if (hp_cosmology_create(&c, &cd, &st) || hp_lpt_factors_at(c, a0, &f, &st)) goto fail;
  double t0 = omp_get_wtime();
  if (hp_lpt_create(&l, &d, &st)) goto fail;
  hp_noise_desc nd = {42, 0, 0};
  if (hp_lpt_set_linear(l, c, &nd, &st) || hp_lpt_execute(l, &f, &st)) goto fail;
  if (hp_pm_state_alloc(&s, np, threads, &st)) goto fail;
  for (int a = 0; a < 3; a++) {
    memcpy(s.disp[a], hp_lpt_displacement(l, a), (size_t)n3 * sizeof(float));
    const float *v = hp_lpt_velocity(l, a);
    const float m = (float)hp_pm_mom_per_kms(a0);
    for (int64_t i = 0; i < n3; i++) s.mom[a][i] = v[i] * m;
  }
  s.a = a0;
  hp_lpt_destroy(l);
  l = NULL;
  const double t_lpt = omp_get_wtime() - t0;
  t0 = omp_get_wtime();
  hp_pm_desc pd = {np, box, B, kernel, threads};
  if (hp_pm_create(&pm, &pd, &st)) goto fail;
  const double t_plan = omp_get_wtime() - t0;
  const double aout = 1.0;
  if (hp_pm_schedule_make(&sch, a0, &aout, 1, steps, HP_PM_LINEAR, &st)) goto fail;
  if (hp_pm_run(pm, c, &s, &sch, NULL, NULL, NULL, &st)) goto fail;
  const hp_pm_counters k = hp_pm_get_counters(pm);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double per_step = k.t_total / steps, ns = 1e9 * per_step / (double)n3;
  printf(
      "PM np=%lld B=%d kernel=%d threads=%d steps=%d: 2LPT %.2f s, plan %.2f s, run %.2f s "
      "(%d forces), %.3f s/step = %.1f ns/particle/step [paint %.2f, FFT %.2f, Green %.2f, "
      "gradient %.2f, read-out %.2f, kick+drift %.2f s]; 20 steps + 2LPT ~ %.0f s; plan %.1f "
      "B/particle + state 24; peak RSS %.1f B/particle\n",
      (long long)np, B, kernel, threads, steps, t_lpt, t_plan, k.t_total, k.forces, per_step, ns,
      k.t_paint, k.t_fft, k.t_kernel, k.t_gradient, k.t_readout, k.t_kickdrift,
      t_lpt + t_plan + 21.0 * k.t_total / k.forces, (double)hp_pm_bytes(pm) / (double)n3,
      ru.ru_maxrss * 1024.0 / (double)n3);
  hp_pm_schedule_free(&sch);
  hp_pm_destroy(pm);
  hp_pm_state_free(&s);
  hp_cosmology_free(c);
  return 0;
fail:
  fprintf(stderr, "bench_pm: %s\n", st.msg);
  hp_pm_schedule_free(&sch);
  hp_pm_destroy(pm);
  hp_pm_state_free(&s);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  return 1;
}
