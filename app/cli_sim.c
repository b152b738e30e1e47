/*
 * `halopaint sim FILE.param`: the N-body truth. 2LPT particles at RedshiftIC, the FastPM
 * particle-mesh integrator (nbody/pm.h) to the last of OutputRedshifts with PMSteps steps
 * (split at the other outputs), and at each output friends-of-friends halos (nbody/fof.h)
 * written as OutputDir/FileBase_halos_z<z>.hdf5 (.txt for OutputFormat ASCII) and, with
 * SimWriteParticles, the particles (Gadget-4 HDF5 layout, OutputDir/FileBase_particles_z<z>).
 * The force kernel (PMForceKernel, default FastPM's "3_4": discrete Laplacian, 4-point gradient)
 * recovers 10-15% of the halos of 20-100 particles that "1_4" loses against a higher-resolution
 * twin, at the same cost (docs/nbody.md, docs/validation-nbody.md). Velocities for FoF and the
 * particle files are formed in the PM plan's idle gradient mesh, so outputs add no memory at
 * PMGridFactor >= 2.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "lpt/ic_write.h"
#include "nbody/fof.h"
#include "nbody/pm.h"
#include "params/resolve.h"
#include "app/cli.h"
#include "plugin/pipeline.h"
#include "plugin/version.h"
#include "util/memory.h"

#define SIM_MAX_OUT 64
#define SIM_DECADES 8 /* halo mass decades in the summary, from 10^10 Msun/h */

typedef struct sim_ctx {
  const hp_params *p;
  hp_pm *pm;
  double t0;
  double z_out[SIM_MAX_OUT]; /* as given, by output index (increasing a) */
  int nthreads;
  double particle_mass;
  char command[512];
  float *vel_tmp; /* velocity arrays when the PM scratch is too small (PMGridFactor 1) */
  double t_fof, t_write;
  int64_t halos[SIM_MAX_OUT][SIM_DECADES + 1]; /* per output: per decade, then the total */
} sim_ctx;

static void on_step(void *user, const hp_pm_step_info *in) {
  const sim_ctx *x = user;
  hp_cli_progress(x->t0, "PM step %3d/%d  a %.4f -> %.4f  (z %.3f)  %.2f s", in->step, in->nsteps,
                  in->a0, in->a1, 1 / in->a1 - 1, in->seconds);
}

static int on_output(void *user, int index, const hp_pm_state *s, hp_status *st) {
  sim_ctx *x = user;
  const hp_params *p = x->p;
  const double z = x->z_out[index], box = hp_params_real(p, "BoxSize");
  const int64_t np = s->np, n3 = np * np * np;
  double t = omp_get_wtime();
  /* peculiar velocities v = 100 p / a [km/s], in the PM plan's idle mesh when it is big enough */
  size_t nscr;
  float *v = hp_pm_scratch(x->pm, &nscr);
  if (nscr < 3 * (size_t)n3) v = x->vel_tmp;
  const float f = (float)(100.0 / s->a);
  for (int a = 0; a < 3; a++) {
    float *va = v + a * n3;
    const float *pa = s->mom[a];
#pragma omp parallel for num_threads(x->nthreads) schedule(static)
    for (int64_t i = 0; i < n3; i++) va[i] = f * pa[i];
  }
  hp_fof_desc fd = {0};
  fd.box = box;
  fd.b = hp_params_real(p, "FoFLinkingLength");
  fd.min_members = (int)hp_params_int(p, "FoFMinMembers");
  fd.nthreads = x->nthreads;
  fd.particle_mass = x->particle_mass;
  hp_fof_particles fp = {0};
  fp.n = n3;
  fp.x = s->disp[0], fp.y = s->disp[1], fp.z = s->disp[2];
  fp.stride = 1;
  fp.lattice_np = np;
  fp.vx = v, fp.vy = v + n3, fp.vz = v + 2 * n3;
  fp.vstride = 1;
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  if (hp_fof_find(&fd, &fp, &cat, st)) return hp_error_context(st, "FoF at z = %g", z);
  x->t_fof += omp_get_wtime() - t;
  t = omp_get_wtime();
  hp_catalog_header *h = &cat.hdr;
  h->box = box;
  h->redshift = z;
  h->omega_m = hp_params_real(p, "Omega0");
  h->omega_l = hp_params_real(p, "OmegaLambda");
  h->omega_b = hp_params_real(p, "OmegaBaryon");
  h->h = hp_params_real(p, "HubbleParam");
  h->sigma8 = hp_params_real(p, "Sigma8");
  h->n_s = hp_params_real(p, "PrimordialIndex");
  h->seed = hp_params_int(p, "Seed");
  snprintf(h->command, sizeof h->command, "%s", x->command);
  snprintf(h->software, sizeof h->software, "%s", HP_SOFTWARE);
  const hp_kv_list kv = hp_params_kv(p);
  const int ascii = !strcmp(hp_params_string(p, "OutputFormat"), "ASCII");
  char suffix[96], path[4096];
  snprintf(suffix, sizeof suffix, "_halos_z%g.%s", z, ascii ? "txt" : "hdf5");
  int rc = hp_catalog_set_params(&cat, &kv, st);
  if (!rc) rc = hp_resolve_output_path(p, suffix, path, sizeof path, st);
  if (!rc)
    rc = ascii ? hp_catalog_write_ascii(&cat, path, st) : hp_catalog_write_hdf5(&cat, path, st);
  int64_t *cnt = x->halos[index];
  for (int64_t i = 0; i < cat.n && !rc; i++) {
    const int d = (int)floor(log10(cat.mass[i])) - 10;
    cnt[d < 0 ? 0 : d >= SIM_DECADES ? SIM_DECADES - 1 : d]++;
  }
  cnt[SIM_DECADES] = cat.n;
  const int64_t nh = cat.n;
  const double mmax = cat.n ? cat.mass[0] : 0;
  hp_catalog_free(&cat);
  if (rc) return hp_error_context(st, "catalogue at z = %g", z);
  hp_cli_progress(x->t0, "z = %g: %lld FoF halos (>= %lld particles, largest %.3e Msun/h) -> %s", z,
                  (long long)nh, (long long)fd.min_members, mmax, path);
  if (hp_params_bool(p, "SimWriteParticles") == 1) {
    char base[4096];
    snprintf(suffix, sizeof suffix, "_particles_z%g", z);
    if (hp_resolve_output_path(p, suffix, base, sizeof base, st))
      return hp_error_context(st, "particles at z = %g", z);
    hp_ic_particles part = {np, box, {s->disp[0], s->disp[1], s->disp[2]}, {v, v + n3, v + 2 * n3}};
    hp_ic_desc d = {0};
    d.format = HP_IC_HDF5;
    d.path_base = base;
    d.redshift = z;
    d.omega_m = h->omega_m;
    d.omega_l = h->omega_l;
    d.h = h->h;
    d.unit_length_in_cm = HP_IC_MPC_IN_CM;
    d.params = kv;
    d.software = HP_SOFTWARE;
    if (hp_ic_write(&d, &part, st)) return hp_error_context(st, "particles at z = %g", z);
    hp_cli_progress(x->t0, "z = %g: particles -> %s.hdf5", z, base);
  }
  x->t_write += omp_get_wtime() - t;
  return HP_OK;
}

/* "0, 0.5,1" -> values; an error names the bad entry. */
static int parse_redshifts(const char *s, double *z, int *n, hp_status *st) {
  *n = 0;
  const char *c = s;
  while (*c) {
    char *end;
    while (*c == ' ' || *c == '\t') c++;
    const double v = strtod(c, &end);
    if (end == c || !isfinite(v))
      return hp_fail(st, HP_ERR_INPUT, "OutputRedshifts = '%s': '%s' is not a number", s, c);
    if (*n == SIM_MAX_OUT)
      return hp_fail(st, HP_ERR_INPUT, "OutputRedshifts: more than %d redshifts", SIM_MAX_OUT);
    z[(*n)++] = v;
    c = end;
    while (*c == ' ' || *c == '\t') c++;
    if (*c == ',')
      c++;
    else if (*c)
      return hp_fail(st, HP_ERR_INPUT, "OutputRedshifts = '%s': expected a comma before '%s'", s,
                     c);
  }
  if (*n == 0) return hp_fail(st, HP_ERR_INPUT, "OutputRedshifts is empty");
  return HP_OK;
}

int hp_cmd_sim(int argc, char **argv) {
  hp_cli_args args;
  if (hp_cli_parse(argc, argv, "sim", &args)) return 2;
  hp_params *p = hp_cli_load(&args, HP_NEED_ALL);
  if (!p) return 1;
  sim_ctx x;
  memset(&x, 0, sizeof x);
  x.p = p;
  x.t0 = omp_get_wtime();
  x.nthreads = hp_resolve_threads(p);
  size_t len = (size_t)snprintf(x.command, sizeof x.command, "halopaint sim");
  for (int i = 0; i < argc && len < sizeof x.command; i++)
    len += (size_t)snprintf(x.command + len, sizeof x.command - len, " %s", argv[i]);
  hp_status st;
  hp_status_clear(&st);
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  hp_pm_state s;
  memset(&s, 0, sizeof s);
  hp_pm_schedule sch;
  memset(&sch, 0, sizeof sch);
  int rc = 1;
  const double zi = hp_params_real(p, "RedshiftIC"), ai = 1 / (1 + zi);
  const double box = hp_params_real(p, "BoxSize");
  const int64_t np = hp_params_int(p, "NParticles"), n3 = np * np * np;
  const int B = (int)hp_params_int(p, "PMGridFactor");
  double zo[SIM_MAX_OUT], ao[SIM_MAX_OUT];
  int nout = 0;
  if (parse_redshifts(hp_params_string(p, "OutputRedshifts"), zo, &nout, &st)) goto fail;
  for (int i = 0; i < nout; i++) ao[i] = 1 / (1 + zo[i]);
  const int spacing =
      strcmp(hp_params_string(p, "PMStepSpacing"), "Log") ? HP_PM_LINEAR : HP_PM_LOG;
  if (hp_pm_schedule_make(&sch, ai, ao, nout, (int)hp_params_int(p, "PMSteps"), spacing, &st))
    goto fail;
  for (int i = 0; i < nout; i++) x.z_out[i] = 1 / sch.a_out[i] - 1;
  for (int i = 0; i < nout; i++) /* print the redshifts as given */
    for (int j = 0; j < nout; j++)
      if (sch.a_out[i] == fmin(ao[j], 1.0)) x.z_out[i] = zo[j];
  x.particle_mass = hp_params_real(p, "Omega0") * 2.77536627e11 * pow(box / (double)np, 3);
  hp_cli_progress(x.t0,
                  "sim: %lld^3 particles of %.4g Msun/h in %g Mpc/h, PM mesh %lld^3 (B = %d, "
                  "kernel %s), %d steps (%s, %d requested) from z = %g to %g, %d threads",
                  (long long)np, x.particle_mass, box, (long long)(B * np), B,
                  hp_params_string(p, "PMForceKernel"), sch.n, spacing ? "Log" : "Linear",
                  sch.requested, zi, x.z_out[nout - 1], x.nthreads);
  /* planned before allocating (docs/nbody.md): the PM state 24 B/particle, its meshes
   * 8 B^3 + 4 B/particle, FoF 16.5 B/particle; 2LPT (32 B/particle) and the state overlap */
  char what[160];
  snprintf(what, sizeof what, "sim: %lld^3 particles with PMGridFactor %d", (long long)np, B);
  if (hp_memory_check((double)n3 * (24.0 + fmax(32.0, 8.0 * B * B * B + 4.0 + 16.5)),
                      hp_params_real(p, "MemoryLimit"), what, &st))
    goto fail;
  /* 2LPT, then the state (24 B/particle) and the 2LPT buffers freed before the PM meshes */
  hp_field_info fi;
  if (hp_pipeline_particles(p, zi, &c, &l, &fi, &st) ||
      hp_cli_linear_field(x.t0, p, l, &fi, (uint64_t)hp_params_int(p, "Seed"), "", &st))
    goto fail;
  if (hp_pm_state_alloc(&s, np, x.nthreads, &st)) goto fail;
  const float m = (float)hp_pm_mom_per_kms(ai);
  for (int a = 0; a < 3; a++) {
    memcpy(s.disp[a], hp_lpt_displacement(l, a), (size_t)n3 * sizeof(float));
    const float *v = hp_lpt_velocity(l, a);
    float *pa = s.mom[a];
#pragma omp parallel for num_threads(x.nthreads) schedule(static)
    for (int64_t i = 0; i < n3; i++) pa[i] = m * v[i];
  }
  s.a = ai;
  hp_lpt_destroy(l);
  l = NULL;
  const double t_lpt = omp_get_wtime() - x.t0;
  hp_cli_progress(x.t0, "2LPT at z = %g done", zi);
  const char *kn = hp_params_string(p, "PMForceKernel");
  const int kernel = !strcmp(kn, "1_4")   ? HP_PM_KERNEL_1_4
                     : !strcmp(kn, "3_4") ? HP_PM_KERNEL_3_4
                                          : HP_PM_KERNEL_SPECTRAL;
  hp_pm_desc pd = {np, box, B, kernel, x.nthreads}; /* docs/nbody.md: Force */
  if (hp_pm_create(&x.pm, &pd, &st)) goto fail;
  if (B < 2 && !(x.vel_tmp = hp_alloc(3 * (size_t)n3 * sizeof(float), "velocities", &st)))
    goto fail;
  hp_cli_progress(x.t0, "PM plan: %.1f bytes per particle (+ 24 of particles)",
                  (double)hp_pm_bytes(x.pm) / (double)n3);
  if (hp_pm_run(x.pm, c, &s, &sch, on_step, on_output, &x, &st)) goto fail;
  const hp_pm_counters k = hp_pm_get_counters(x.pm);
  printf("\nsummary: %lld^3 particles, B = %d, %d steps, %d force evaluations\n", (long long)np, B,
         k.steps, k.forces);
  printf(
      "  halos per mass decade [Msun/h] (column 1eN: [1eN, 1eN+1); FoF b = %g, >= %lld "
      "particles):\n",
      hp_params_real(p, "FoFLinkingLength"), (long long)hp_params_int(p, "FoFMinMembers"));
  printf("    %-8s", "z");
  for (int d = 0; d < SIM_DECADES; d++) printf(" %5s1e%d", d == 0 ? "<" : "", d == 0 ? 11 : 10 + d);
  printf("  %9s\n", "total");
  for (int i = 0; i < nout; i++) {
    printf("    %-8g", x.z_out[i]);
    for (int d = 0; d < SIM_DECADES; d++) printf(" %9lld", (long long)x.halos[i][d]);
    printf("  %9lld\n", (long long)x.halos[i][SIM_DECADES]);
  }
  printf(
      "  time [s]: 2LPT %.2f | PM %.2f (paint %.2f, FFT %.2f, Green %.2f, gradient %.2f, "
      "read-out %.2f, kick/drift %.2f) | FoF %.2f | writing %.2f | total %.2f\n",
      t_lpt, k.t_total, k.t_paint, k.t_fft, k.t_kernel, k.t_gradient, k.t_readout, k.t_kickdrift,
      x.t_fof, x.t_write, omp_get_wtime() - x.t0);
  printf(
      "  PM: %.1f s per step, %.1f ns per particle per step; peak memory %.0f MB = %.1f "
      "bytes per particle\n",
      k.t_total / k.steps, 1e9 * k.t_total / k.steps / (double)n3, hp_memory_peak() / 1e6,
      hp_memory_peak() / (double)n3);
  rc = 0;
  goto done;
fail:
  hp_error_context(&st, "%s", args.param_file);
  hp_cli_error("sim", &st);
done:
  hp_free(x.vel_tmp);
  hp_pm_destroy(x.pm);
  hp_pm_state_free(&s);
  hp_pm_schedule_free(&sch);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  hp_params_free(p);
  return rc;
}
