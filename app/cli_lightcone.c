/*
 * `halopaint lightcone FILE.param`: light-cone halo catalogues, one per seed (models loaded and
 * every stage planned once; a failed seed is reported and the others go on).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "params/resolve.h"
#include "plugin/lightcone.h"
#include "plugin/run.h"
#include "util/memory.h"

#ifdef HP_MPI
/* halopaint-mpi: the distributed cone behind the same calls. The ranks form groups of
 * RanksPerRealisation, one cone each; the groups take the seeds in turn. Every rank of a group
 * runs the seed loop (each call is collective); the group's rank 0 writes the cone and prints. */
#include "mpi/comm.h"
#include "mpi/lightcone_mpi.h"
typedef hp_mlightcone cone_plan;
static hp_mpi_group group = {MPI_COMM_NULL, 0, 1, 0};
static int plan_create(cone_plan **lc, const hp_params *p, hp_status *st) {
  *lc = NULL;
  if (hp_mpi_group_open(&group, hp_params_int(p, "RanksPerRealisation"), st)) return st->code;
  return hp_mlightcone_create(lc, p, group.comm, st);
}
static void plan_destroy(cone_plan *lc) {
  hp_mlightcone_destroy(lc);
  hp_mpi_group_close(&group);
}
static int plan_runs_seed(int64_t i) { return hp_mpi_group_runs_seed(&group, i); }
static const char *plan_label(char *buf, size_t n) { return hp_mpi_group_label(&group, buf, n); }
/* The group's rank 0 opens the file; the group agrees, so that all or none go on. */
static int plan_open(hp_cone_writer **w, const char *path, int ascii, hp_status *st) {
  *w = NULL;
  if (group.rank == 0) hp_cone_writer_open(w, path, ascii, st);
  return hp_mpi_agree(st, group.comm);
}
static int plan_seed(cone_plan *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *w,
                     hp_lightcone_times *t, char *note, size_t n, hp_status *st) {
  hp_mrun_comm c;
  const int rc = hp_mlightcone_seed(lc, seed, cone, w, t, &c, st);
  int64_t x0, nx;
  hp_mlightcone_slab(lc, &x0, &nx);
  hp_mrun_comm_note(&c, group.index, group.count, x0, nx, note, n);
  return rc;
}
#define plan_nshells hp_mlightcone_nshells
#define plan_replicas hp_mlightcone_replicas
#define plan_expected_halos hp_mlightcone_expected_halos
#define plan_bytes hp_mlightcone_planned_bytes
#define plan_device hp_mlightcone_device
#define plan_models hp_mlightcone_models
#define plan_lpt(lc) NULL /* WriteLinearField is refused with MPI */
#define plan_field_info(lc) NULL
#else
typedef hp_lightcone cone_plan;
static int plan_create(cone_plan **lc, const hp_params *p, hp_status *st) {
  return hp_lightcone_create(lc, p, st);
}
static int plan_runs_seed(int64_t i) { return i >= 0; }
static const char *plan_label(char *buf, size_t n) { return n ? (buf[0] = '\0', buf) : ""; }
static int plan_open(hp_cone_writer **w, const char *path, int ascii, hp_status *st) {
  return hp_cone_writer_open(w, path, ascii, st);
}
static int plan_seed(cone_plan *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *w,
                     hp_lightcone_times *t, char *note, size_t n, hp_status *st) {
  if (n) note[0] = '\0';
  return hp_lightcone_seed(lc, seed, cone, w, t, st);
}
#define plan_destroy hp_lightcone_destroy
#define plan_nshells hp_lightcone_nshells
#define plan_replicas hp_lightcone_replicas
#define plan_expected_halos hp_lightcone_expected_halos
#define plan_bytes hp_lightcone_planned_bytes
#define plan_device hp_lightcone_device
#define plan_models hp_lightcone_models
#define plan_lpt hp_lightcone_lpt
#define plan_field_info hp_lightcone_field_info
#endif

/* The parameter set, the models used and the command line into the cone. */
static int fill_provenance(hp_cone *c, const hp_params *p, const cone_plan *lc, uint64_t seed,
                           const char *cmdline, hp_status *st) {
  snprintf(c->hdr.command, sizeof c->hdr.command, "%s", cmdline);
  const char *ek[] = {"LightconeModelsUsed"}, *ev[] = {plan_models(lc)};
  char seedstr[32];
  hp_kv_list all;
  if (hp_cli_provenance_kv(p, seed, ek, ev, 1, seedstr, &all, st)) return st->code;
  const int rc = hp_cone_set_params(c, &all, st);
  free((void *)all.key), free((void *)all.value);
  return rc;
}

int hp_cmd_lightcone(int argc, char **argv) {
  hp_cli_args a;
  if (hp_cli_parse(argc, argv, "lightcone", &a)) return 2;
  hp_params *p = hp_cli_load(&a, HP_NEED_ALL);
  if (!p) return 1;
  const double t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  cone_plan *lc = NULL;
  uint64_t *seeds = NULL;
  int64_t nseeds = 0, failed = 0, total = 0;
  int rc = 1;
  char cmdline[512];
  hp_cli_command_line("lightcone", argc, argv, cmdline, sizeof cmdline);
  if (hp_run_parse_seeds(hp_params_string(p, "Seeds"), (uint64_t)hp_params_int(p, "Seed"), &seeds,
                         &nseeds, &st) ||
      plan_create(&lc, p, &st))
    goto fail;
  hp_cli_progress(t0,
                  "planned: z = %g to %g, %s, %d shells of %g Mpc/h, box %g Mpc/h replicated up to "
                  "%d times per axis, %.3g halos expected, %.0f MB; painter on %s",
                  hp_params_real(p, "LightconeZMin"), hp_params_real(p, "LightconeZMax"),
                  hp_params_string(p, "LightconeFootprint"), plan_nshells(lc),
                  hp_params_real(p, "LightconeShellWidth"), hp_params_real(p, "BoxSize"),
                  plan_replicas(lc), plan_expected_halos(lc), plan_bytes(lc) / 1e6,
                  plan_device(lc));
  hp_cli_progress(t0, "models: %s", plan_models(lc));
  const int ascii = !strcmp(hp_params_string(p, "OutputFormat"), "ASCII");
  hp_lightcone_times sum = {0};
  int64_t mine = 0; /* the seeds this process (its group, with MPI) makes */
  for (int64_t i = 0; i < nseeds; i++) {
    if (!plan_runs_seed(i)) continue;
    mine++;
    hp_cone cone;
    hp_cone_writer *w = NULL;
    hp_lightcone_times t;
    char suffix[64], path[4200], note[512];
    memset(&cone, 0, sizeof cone);
    snprintf(suffix, sizeof suffix, "_lightcone_seed%llu%s", (unsigned long long)seeds[i],
             ascii ? ".txt" : ".hdf5");
    char field_suffix[48];
    snprintf(field_suffix, sizeof field_suffix, "_seed%llu", (unsigned long long)seeds[i]);
    /* written shell by shell: the cone never has to fit in memory */
    int bad = hp_resolve_output_path(p, suffix, path, sizeof path, &st) ||
              plan_open(&w, path, ascii, &st) ||
              plan_seed(lc, seeds[i], &cone, w, &t, note, sizeof note, &st) ||
              hp_cli_linear_field(t0, p, plan_lpt(lc), plan_field_info(lc), seeds[i], field_suffix,
                                  &st) ||
              fill_provenance(&cone, p, lc, seeds[i], cmdline, &st);
    const int64_t n = w ? hp_cone_writer_count(w) : 0;
    if (bad) {
      hp_cone_writer_abort(w);
    } else if (w) {
      bad = hp_cone_writer_close(w, &cone, &st);
    }
    if (bad) {
      fprintf(stderr, "halopaint lightcone: seed %llu failed: %s\n", (unsigned long long)seeds[i],
              st.msg);
      failed++;
      hp_cone_free(&cone);
      hp_status_clear(&st);
      continue;
    }
    sum.lpt += t.lpt, sum.particles += t.particles, sum.cic += t.cic, sum.paint += t.paint;
    sum.sample += t.sample, sum.cut += t.cut;
    total += n;
    hp_cli_progress(t0,
                    "seed %llu: %lld halos -> %s (2LPT %.2f s, shells' particles %.2f s, CIC "
                    "%.2f s, paint %.2f s, sample %.2f s, cut %.2f s%s)",
                    (unsigned long long)seeds[i], (long long)n, path, t.lpt, t.particles, t.cic,
                    t.paint, t.sample, t.cut, note);
    hp_cone_free(&cone);
  }
  const int64_t ok = mine - failed;
  char label[64];
  printf("summary%s: %lld of %lld cones done", plan_label(label, sizeof label), (long long)ok,
         (long long)mine);
  if (ok > 0)
    printf("; %.0f halos per cone (%.3g expected from the mass function)\n", (double)total / ok,
           plan_expected_halos(lc));
  else
    printf("\n");
  printf("  total %.2f s, peak memory %.0f MB\n", omp_get_wtime() - t0, hp_memory_peak() / 1e6);
  rc = failed ? 1 : 0;
  goto done;
fail:
  hp_error_context(&st, "%s", a.param_file);
  hp_cli_error("lightcone", &st);
done:
  free(seeds);
  plan_destroy(lc);
  hp_params_free(p);
  return rc;
}
