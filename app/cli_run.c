/*
 * `halopaint run FILE.param`: the main job. Parameters + model + seed(s) -> halo
 * catalogues, one per seed, in one process (model loaded and FFTs planned once;
 * a failed seed is reported and the others go on).
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params/resolve.h"
#include "app/cli.h"
#include "plugin/run.h"
#include "plugin/version.h"
#include "util/memory.h"

#ifdef HP_MPI
/* halopaint-mpi: the distributed plan behind the same calls. The ranks form groups of
 * RanksPerRealisation, one realisation each; the groups take the seeds in turn. Every rank of a
 * group runs the seed loop (each call is collective); the group's rank 0 holds the catalogue,
 * writes it and prints. */
#include "mpi/comm.h"
#include "mpi/run_mpi.h"
typedef hp_mrun run_plan;
static hp_mpi_group group = {MPI_COMM_NULL, 0, 1, 0};
static int plan_create(run_plan **r, const hp_params *p, hp_status *st) {
  *r = NULL;
  if (hp_mpi_group_open(&group, hp_params_int(p, "RanksPerRealisation"), st)) return st->code;
  return hp_mrun_create(r, p, group.comm, st);
}
static int plan_runs_seed(int64_t i) { return hp_mpi_group_runs_seed(&group, i); }
static const char *plan_label(char *buf, size_t n) { return hp_mpi_group_label(&group, buf, n); }
static void plan_destroy(run_plan *r) {
  hp_mrun_destroy(r);
  hp_mpi_group_close(&group);
}
static int plan_seed(run_plan *r, uint64_t seed, hp_catalog *cat, hp_run_times *t, char *note,
                     size_t n, hp_status *st) {
  hp_mrun_comm c;
  const int rc = hp_mrun_seed(r, seed, cat, t, &c, st);
  int64_t x0, nx;
  hp_mrun_slab(r, &x0, &nx);
  hp_mrun_comm_note(&c, group.index, group.count, x0, nx, note, n);
  return rc;
}
static int plan_writes(void) { return group.rank == 0; }
#define plan_model hp_mrun_model
#define plan_model_sha256 hp_mrun_model_sha256
#define plan_nvoxels hp_mrun_nvoxels
#define plan_bytes hp_mrun_planned_bytes
#define plan_device hp_mrun_device
#define plan_lpt(r) NULL /* WriteLinearField is refused with MPI */
#define plan_field_info(r) NULL
#else
typedef hp_run run_plan;
static int plan_create(run_plan **r, const hp_params *p, hp_status *st) {
  return hp_run_create(r, p, st);
}
static int plan_seed(run_plan *r, uint64_t seed, hp_catalog *cat, hp_run_times *t, char *note,
                     size_t n, hp_status *st) {
  if (n) note[0] = '\0';
  return hp_run_seed(r, seed, cat, t, st);
}
static int plan_writes(void) { return 1; }
static int plan_runs_seed(int64_t i) { return i >= 0; }
static const char *plan_label(char *buf, size_t n) { return n ? (buf[0] = '\0', buf) : ""; }
#define plan_destroy hp_run_destroy
#define plan_model hp_run_model
#define plan_model_sha256 hp_run_model_sha256
#define plan_nvoxels hp_run_nvoxels
#define plan_bytes hp_run_planned_bytes
#define plan_device hp_run_device
#define plan_lpt hp_run_lpt
#define plan_field_info hp_run_field_info
#endif

/* Header, parameters and the model's identity into the catalogue. */
static int fill_header(hp_catalog *cat, const hp_params *p, const run_plan *r, uint64_t seed,
                       const char *cmdline, hp_status *st) {
  hp_catalog_header *h = &cat->hdr;
  h->box = hp_params_real(p, "BoxSize");
  h->redshift = hp_params_real(p, "Redshift");
  h->omega_m = hp_params_real(p, "Omega0");
  h->omega_l = hp_params_real(p, "OmegaLambda");
  h->omega_b = hp_params_real(p, "OmegaBaryon");
  h->h = hp_params_real(p, "HubbleParam");
  h->sigma8 = hp_params_real(p, "Sigma8");
  h->n_s = hp_params_real(p, "PrimordialIndex");
  h->seed = (int64_t)seed;
  snprintf(h->mass_def, sizeof h->mass_def,
           "painted (model's training truth: see ModelProvenance)");
  snprintf(h->command, sizeof h->command, "%s", cmdline);
  snprintf(h->software, sizeof h->software, "%s", HP_SOFTWARE);
  const hp_model *m = plan_model(r);
  char vs[64], zs[64], edges[64 * (HP_NET_MAX_K + 1)], seedstr[32];
  snprintf(vs, sizeof vs, "%.10g", m->meta.voxel_size);
  snprintf(zs, sizeof zs, "%.10g", m->meta.redshift);
  size_t used = 0;
  for (int k = 0; k <= m->meta.nbins; k++)
    used += (size_t)snprintf(edges + used, sizeof edges - used, "%s%.6e", k ? "," : "",
                             m->meta.bin_edges[k]);
  /* ModelFile itself is a parameter key */
  const char *ek[] = {"ModelSHA256", "ModelVoxelSize", "ModelRedshift", "ModelMassBinEdges",
                      "ModelProvenance"};
  const char *ev[] = {plan_model_sha256(r), vs, zs, edges, m->meta.provenance};
  hp_kv_list all;
  if (hp_cli_provenance_kv(p, seed, ek, ev, 5, seedstr, &all, st)) return st->code;
  const int rc = hp_catalog_set_params(cat, &all, st);
  free((void *)all.key), free((void *)all.value);
  return rc;
}

int hp_cmd_run(int argc, char **argv) {
  hp_cli_args a;
  if (hp_cli_parse(argc, argv, "run", &a)) return 2;
  hp_params *p = hp_cli_load(&a, HP_NEED_ALL);
  if (!p) return 1;
  const double t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  run_plan *r = NULL;
  uint64_t *seeds = NULL;
  int64_t nseeds = 0, failed = 0;
  int rc = 1;
  char cmdline[512];
  hp_cli_command_line("run", argc, argv, cmdline, sizeof cmdline);
  if (hp_run_parse_seeds(hp_params_string(p, "Seeds"), (uint64_t)hp_params_int(p, "Seed"), &seeds,
                         &nseeds, &st))
    goto fail;
  if (plan_create(&r, p, &st)) goto fail;
  const hp_model *m = plan_model(r);
  const int64_t nv = plan_nvoxels(r);
  const double box = hp_params_real(p, "BoxSize");
  hp_cli_progress(t0,
                  "planned: %lld^3 particles, %lld^3 voxels of %.3f Mpc/h, %d mass bins, "
                  "model %s (sha256 %.12s...), %.0f MB; painter on %s",
                  (long long)hp_params_int(p, "NParticles"), (long long)nv, box / nv, m->meta.nbins,
                  hp_params_string(p, "ModelFile"), plan_model_sha256(r), plan_bytes(r) / 1e6,
                  plan_device(r));
  hp_run_times sum = {0};
  int64_t per_bin[HP_NET_MAX_K] = {0}, total = 0;
  const int ascii = !strcmp(hp_params_string(p, "OutputFormat"), "ASCII");
  int64_t mine = 0; /* the seeds this process (its group, with MPI) runs */
  for (int64_t i = 0; i < nseeds; i++) {
    if (!plan_runs_seed(i)) continue;
    mine++;
    hp_catalog cat;
    hp_run_times t;
    char suffix[64], path[4200], note[512];
    memset(&cat, 0, sizeof cat);
    snprintf(suffix, sizeof suffix, "_seed%llu%s", (unsigned long long)seeds[i],
             ascii ? ".txt" : ".hdf5");
    char seed_suffix[32];
    snprintf(seed_suffix, sizeof seed_suffix, "_seed%llu", (unsigned long long)seeds[i]);
    if (hp_resolve_output_path(p, suffix, path, sizeof path, &st) ||
        plan_seed(r, seeds[i], &cat, &t, note, sizeof note, &st) ||
        hp_cli_linear_field(t0, p, plan_lpt(r), plan_field_info(r), seeds[i], seed_suffix, &st) ||
        (plan_writes() && (fill_header(&cat, p, r, seeds[i], cmdline, &st) ||
                           (ascii ? hp_catalog_write_ascii(&cat, path, &st)
                                  : hp_catalog_write_hdf5(&cat, path, &st))))) {
      fprintf(stderr, "halopaint run: seed %llu failed: %s\n", (unsigned long long)seeds[i],
              st.msg);
      failed++;
      hp_catalog_free(&cat);
      hp_status_clear(&st);
      continue;
    }
    sum.lpt += t.lpt, sum.cic += t.cic, sum.paint += t.paint, sum.sample += t.sample;
    for (int64_t h = 0; h < cat.n; h++) per_bin[cat.mass_bin[h]]++;
    total += cat.n;
    hp_cli_progress(t0,
                    "seed %llu: %lld halos -> %s (2LPT %.2f s, CIC %.2f s, paint %.2f s, "
                    "sample %.2f s%s)",
                    (unsigned long long)seeds[i], (long long)cat.n, path, t.lpt, t.cic, t.paint,
                    t.sample, note);
    hp_catalog_free(&cat);
  }
  const int64_t ok = mine - failed;
  char label[64];
  printf("summary%s: %lld of %lld seeds done", plan_label(label, sizeof label), (long long)ok,
         (long long)mine);
  if (ok > 0) {
    printf("; per realisation: %.0f halos, number density %.3e (Mpc/h)^-3\n", (double)total / ok,
           (double)total / ok / (box * box * box));
    for (int k = 0; k < m->meta.nbins; k++)
      printf("  bin %d [%.3e, %.3e) Msun/h: %.1f halos per realisation\n", k, m->meta.bin_edges[k],
             m->meta.bin_edges[k + 1], (double)per_bin[k] / ok);
    printf("  time per realisation: 2LPT %.2f s, CIC %.2f s, paint %.2f s, sample %.2f s\n",
           sum.lpt / ok, sum.cic / ok, sum.paint / ok, sum.sample / ok);
  } else {
    printf("\n");
  }
  printf("  total %.2f s, peak memory %.0f MB\n", omp_get_wtime() - t0, hp_memory_peak() / 1e6);
  rc = failed ? 1 : 0;
  goto done;
fail:
  hp_error_context(&st, "%s", a.param_file);
  hp_cli_error("run", &st);
done:
  free(seeds);
  plan_destroy(r);
  hp_params_free(p);
  return rc;
}
