/*
 * Post-processing for the N-body validation (scripts/validate-nbody.sh, docs/validation-nbody.md),
 * with halopaint's own library: the matter P(k) of a particle snapshot (cic/ deposit, stats/
 * spectrum) against linear theory and halofit (lpt/halofit.h), and a FoF catalogue's mass
 * function against Tinker et al. 2008 and Sheth-Tormen (lpt/massfunction.h), and a run of the
 * PM + FoF with each force kernel (nbody/pm.h, nbody/fof.h) for the kernel comparison.
 *
 *   bench_nbody_validate pk PARAM SNAPBASE NMESH OUT      P(k): k, P, error, modes, P_lin, P_hf
 *   bench_nbody_validate mf PARAM CATALOG OUT             counts in fixed 0.2-dex mass bins
 *   bench_nbody_validate kernel PARAM KERNEL OUT          PM with KERNEL (0 1_4, 1 3_4, 2
 *                                                          spectral) + FoF at the last output
 * PARAM is the run's parameter file (cosmology, box, particles). Without arguments it prints
 * its usage and exits 0 (so that `make bench` can run every bench binary).
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cic/cic.h"
#include "lpt/halofit.h"
#include "lpt/ic_read.h"
#include "lpt/massfunction.h"
#include "nbody/fof.h"
#include "nbody/pm.h"
#include "params/resolve.h"
#include "plugin/pipeline.h"
#include "stats/field.h"
#include "stats/power.h"

/* Mass bins: 10^(MF_LO + 0.2 i), i = 0 .. MF_NB */
#define MF_LO 11.6
#define MF_DEX 0.2
#define MF_NB 20

static int load(const char *path, hp_params **p, hp_cosmology **c, hp_status *st) {
  if (hp_params_load(p, path, NULL, 0, HP_NEED_ALL, st)) return st->code;
  hp_cosmo_desc cd;
  hp_resolve_cosmology(*p, &cd);
  return hp_cosmology_create(c, &cd, st);
}

static int cmd_pk(int argc, char **argv, hp_status *st) {
  if (argc < 4) return hp_fail(st, HP_ERR_INPUT, "pk PARAM SNAPBASE NMESH OUT");
  hp_params *p = NULL;
  hp_cosmology *c = NULL;
  hp_ic_data d;
  memset(&d, 0, sizeof d);
  hp_cic_plan *cp = NULL;
  hp_stats_fft *fft = NULL;
  hp_stats_field f;
  memset(&f, 0, sizeof f);
  hp_stats_pk pk;
  memset(&pk, 0, sizeof pk);
  float *grid = NULL;
  FILE *out = NULL;
  const int64_t n = atoll(argv[2]);
  if (load(argv[0], &p, &c, st) || hp_ic_read(argv[1], 3, &d, st)) goto done;
  const double box = d.hdr.box, z = d.hdr.redshift;
  if (hp_cic_plan_create(&cp, n, box, 0, st) || hp_stats_fft_create(&fft, n, 0, st) ||
      hp_stats_field_alloc(&f, n, box, st))
    goto done;
  if (!(grid = hp_alloc((size_t)(n * n * n) * sizeof(float), "grid", st))) goto done;
  hp_cic_particles cpart = {0};
  cpart.n = d.n;
  cpart.x = d.pos, cpart.y = d.pos + 1, cpart.z = d.pos + 2;
  cpart.stride = 3;
  if (hp_cic_density(cp, &cpart, grid, st)) goto done;
  if (hp_stats_field_from_grid(fft, grid, HP_GRID_DENSITY, HP_WIN_CIC, 1, &f, st)) goto done;
  hp_stats_bins b = {1, 2 * M_PI / box * 0.75, M_PI * n / box / 2, 28};
  if (hp_stats_power(&f, NULL, &b, 0, &pk, st)) goto done;
  hp_halofit hf;
  if (hp_halofit_init(&hf, c, z, st)) goto done;
  if (!(out = fopen(argv[3], "w"))) {
    hp_fail(st, HP_ERR_IO, "cannot write %s", argv[3]);
    goto done;
  }
  fprintf(out,
          "# z = %g, %lld particles, mesh %lld^3 (CIC, deconvolved), box %g Mpc/h; "
          "1/nbar = %.4g (Mpc/h)^3 (not subtracted)\n",
          z, (long long)d.n, (long long)n, box, box * box * box / (double)d.n);
  fprintf(out, "# k_mean[h/Mpc] P[(Mpc/h)^3] err nmodes P_lin P_halofit\n");
  for (int i = 0; i < b.nbins; i++)
    if (pk.nmodes[i] > 0)
      fprintf(out, "%.6g %.6g %.4g %lld %.6g %.6g\n", pk.k_mean[i], pk.p[i], pk.err[i],
              (long long)pk.nmodes[i], hp_halofit_linear(&hf, pk.k_mean[i]),
              hp_halofit_power(&hf, pk.k_mean[i]));
done:
  if (out) fclose(out);
  hp_stats_pk_free(&pk);
  hp_stats_field_free(&f);
  hp_stats_fft_destroy(fft);
  hp_free(grid);
  hp_cic_plan_destroy(cp);
  hp_ic_data_free(&d);
  hp_cosmology_free(c);
  hp_params_free(p);
  return st->code;
}

/* Counts of a catalogue in the fixed bins and the theory in each bin. */
static int write_mf(const hp_params *p, const hp_cosmology *c, const hp_catalog *cat,
                    const char *path, hp_status *st) {
  const double box = hp_params_real(p, "BoxSize"), V = box * box * box;
  const double np = (double)hp_params_int(p, "NParticles");
  const double mp = hp_params_real(p, "Omega0") * HP_MF_RHO_CRIT * pow(box / np, 3);
  int64_t cnt[MF_NB] = {0};
  for (int64_t i = 0; i < cat->n; i++) {
    const int b = (int)floor((log10(cat->mass[i]) - MF_LO) / MF_DEX);
    if (b >= 0 && b < MF_NB) cnt[b]++;
  }
  hp_massfunc *m = NULL;
  if (hp_massfunc_create(&m, c, st)) return st->code;
  FILE *out = fopen(path, "w");
  if (!out) {
    hp_massfunc_free(m);
    return hp_fail(st, HP_ERR_IO, "cannot write %s", path);
  }
  fprintf(out, "# z = %g, box %g Mpc/h, %lld^3 particles of %.6g Msun/h, %lld halos\n",
          cat->hdr.redshift, box, (long long)np, mp, (long long)cat->n);
  fprintf(out, "# M_lo M_hi N_halos npart_lo dn/dlnM err Tinker08 ShethTormen [(Mpc/h)^-3]\n");
  for (int b = 0; b < MF_NB; b++) {
    const double m1 = pow(10, MF_LO + b * MF_DEX), m2 = pow(10, MF_LO + (b + 1) * MF_DEX);
    const double dl = log(m2 / m1);
    double nt, ns;
    if (hp_massfunc_number(m, HP_MF_TINKER08, cat->hdr.redshift, m1, m2, &nt, st) ||
        hp_massfunc_number(m, HP_MF_SHETH_TORMEN, cat->hdr.redshift, m1, m2, &ns, st))
      break;
    fprintf(out, "%.4e %.4e %lld %.1f %.5e %.3e %.5e %.5e\n", m1, m2, (long long)cnt[b], m1 / mp,
            cnt[b] / (V * dl), sqrt((double)cnt[b]) / (V * dl), nt / dl, ns / dl);
  }
  fclose(out);
  hp_massfunc_free(m);
  return st->code;
}

static int cmd_mf(int argc, char **argv, hp_status *st) {
  if (argc < 3) return hp_fail(st, HP_ERR_INPUT, "mf PARAM CATALOG OUT");
  hp_params *p = NULL;
  hp_cosmology *c = NULL;
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  if (!load(argv[0], &p, &c, st) && !hp_catalog_read(&cat, argv[1], st))
    write_mf(p, c, &cat, argv[2], st);
  hp_catalog_free(&cat);
  hp_cosmology_free(c);
  hp_params_free(p);
  return st->code;
}

/* The sim's pipeline with a chosen kernel, one output (the last of OutputRedshifts). */
static int cmd_kernel(int argc, char **argv, hp_status *st) {
  if (argc < 3) return hp_fail(st, HP_ERR_INPUT, "kernel PARAM KERNEL OUT");
  hp_params *p = NULL;
  hp_cosmology *c = NULL, *c2 = NULL;
  hp_lpt *l = NULL;
  hp_pm *pm = NULL;
  hp_pm_state s;
  memset(&s, 0, sizeof s);
  hp_pm_schedule sch;
  memset(&sch, 0, sizeof sch);
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  if (load(argv[0], &p, &c, st)) goto done;
  const double zi = hp_params_real(p, "RedshiftIC"), ai = 1 / (1 + zi);
  const double box = hp_params_real(p, "BoxSize"),
               zo = atof(hp_params_string(p, "OutputRedshifts"));
  const double ao = 1 / (1 + zo);
  const int64_t np = hp_params_int(p, "NParticles"), n3 = np * np * np;
  const int nt = hp_resolve_threads(p);
  const int spacing = strcmp(hp_params_string(p, "PMStepSpacing"), "Log") ? 0 : 1;
  if (hp_pm_schedule_make(&sch, ai, &ao, 1, (int)hp_params_int(p, "PMSteps"), spacing, st) ||
      hp_pipeline_particles(p, zi, &c2, &l, NULL, st) || hp_pm_state_alloc(&s, np, nt, st))
    goto done;
  for (int a = 0; a < 3; a++) {
    memcpy(s.disp[a], hp_lpt_displacement(l, a), (size_t)n3 * sizeof(float));
    for (int64_t i = 0; i < n3; i++)
      s.mom[a][i] = (float)(hp_lpt_velocity(l, a)[i] * hp_pm_mom_per_kms(ai));
  }
  s.a = ai;
  hp_lpt_destroy(l);
  l = NULL;
  hp_pm_desc pd = {np, box, (int)hp_params_int(p, "PMGridFactor"), atoi(argv[1]), nt};
  const double t0 = omp_get_wtime();
  if (hp_pm_create(&pm, &pd, st) || hp_pm_run(pm, c, &s, &sch, NULL, NULL, NULL, st)) goto done;
  fprintf(stderr, "kernel %d: PM %.1f s\n", pd.kernel, omp_get_wtime() - t0);
  hp_fof_desc fd = {box,
                    hp_params_real(p, "FoFLinkingLength"),
                    (int)hp_params_int(p, "FoFMinMembers"),
                    nt,
                    hp_params_real(p, "Omega0") * HP_MF_RHO_CRIT * pow(box / np, 3),
                    0};
  hp_fof_particles fp = {0};
  fp.n = n3;
  fp.x = s.disp[0], fp.y = s.disp[1], fp.z = s.disp[2];
  fp.stride = 1;
  fp.lattice_np = np;
  if (hp_fof_find(&fd, &fp, &cat, st)) goto done;
  cat.hdr.redshift = zo;
  write_mf(p, c, &cat, argv[2], st);
done:
  hp_catalog_free(&cat);
  hp_pm_schedule_free(&sch);
  hp_pm_state_free(&s);
  hp_pm_destroy(pm);
  hp_lpt_destroy(l);
  hp_cosmology_free(c2);
  hp_cosmology_free(c);
  hp_params_free(p);
  return st->code;
}

int main(int argc, char **argv) {
  hp_status st;
  hp_status_clear(&st);
  if (argc < 2) {
    printf("usage: %s pk|mf|kernel ... (see the file comment; used by scripts/validate-nbody.sh)\n",
           argv[0]);
    return 0;
  }
  int rc = HP_OK;
  if (!strcmp(argv[1], "pk"))
    rc = cmd_pk(argc - 2, argv + 2, &st);
  else if (!strcmp(argv[1], "mf"))
    rc = cmd_mf(argc - 2, argv + 2, &st);
  else if (!strcmp(argv[1], "kernel"))
    rc = cmd_kernel(argc - 2, argv + 2, &st);
  else
    rc = hp_fail(&st, HP_ERR_INPUT, "unknown subcommand '%s'", argv[1]);
  if (rc) fprintf(stderr, "bench_nbody_validate: %s\n", st.msg);
  return rc ? 1 : 0;
}
