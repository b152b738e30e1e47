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

/* The parameter set, the models used and the command line into the cone. */
static int fill_provenance(hp_cone *c, const hp_params *p, const hp_lightcone *lc, uint64_t seed,
                           const char *cmdline, hp_status *st) {
  snprintf(c->hdr.command, sizeof c->hdr.command, "%s", cmdline);
  const char *ek[] = {"LightconeModelsUsed"}, *ev[] = {hp_lightcone_models(lc)};
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
  hp_lightcone *lc = NULL;
  uint64_t *seeds = NULL;
  int64_t nseeds = 0, failed = 0, total = 0;
  int rc = 1;
  char cmdline[512];
  hp_cli_command_line("lightcone", argc, argv, cmdline, sizeof cmdline);
  if (hp_run_parse_seeds(hp_params_string(p, "Seeds"), (uint64_t)hp_params_int(p, "Seed"), &seeds,
                         &nseeds, &st) ||
      hp_lightcone_create(&lc, p, &st))
    goto fail;
  hp_cli_progress(t0,
                  "planned: z = %g to %g, %s, %d shells of %g Mpc/h, box %g Mpc/h replicated up to "
                  "%d times per axis, %.3g halos expected, %.0f MB; painter on %s",
                  hp_params_real(p, "LightconeZMin"), hp_params_real(p, "LightconeZMax"),
                  hp_params_string(p, "LightconeFootprint"), hp_lightcone_nshells(lc),
                  hp_params_real(p, "LightconeShellWidth"), hp_params_real(p, "BoxSize"),
                  hp_lightcone_replicas(lc), hp_lightcone_expected_halos(lc),
                  hp_lightcone_planned_bytes(lc) / 1e6, hp_lightcone_device(lc));
  hp_cli_progress(t0, "models: %s", hp_lightcone_models(lc));
  const int ascii = !strcmp(hp_params_string(p, "OutputFormat"), "ASCII");
  hp_lightcone_times sum = {0};
  for (int64_t i = 0; i < nseeds; i++) {
    hp_cone cone;
    hp_cone_writer *w = NULL;
    hp_lightcone_times t;
    char suffix[64], path[4200];
    memset(&cone, 0, sizeof cone);
    snprintf(suffix, sizeof suffix, "_lightcone_seed%llu%s", (unsigned long long)seeds[i],
             ascii ? ".txt" : ".hdf5");
    char field_suffix[48];
    snprintf(field_suffix, sizeof field_suffix, "_seed%llu", (unsigned long long)seeds[i]);
    /* written shell by shell: the cone never has to fit in memory */
    int bad = hp_resolve_output_path(p, suffix, path, sizeof path, &st) ||
              hp_cone_writer_open(&w, path, ascii, &st) ||
              hp_lightcone_seed(lc, seeds[i], &cone, w, &t, &st) ||
              hp_cli_linear_field(t0, p, hp_lightcone_lpt(lc), hp_lightcone_field_info(lc),
                                  seeds[i], field_suffix, &st) ||
              fill_provenance(&cone, p, lc, seeds[i], cmdline, &st);
    const int64_t n = w ? hp_cone_writer_count(w) : 0;
    if (bad) {
      hp_cone_writer_abort(w);
    } else {
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
                    "%.2f s, paint %.2f s, sample %.2f s, cut %.2f s)",
                    (unsigned long long)seeds[i], (long long)n, path, t.lpt, t.particles, t.cic,
                    t.paint, t.sample, t.cut);
    hp_cone_free(&cone);
  }
  const int64_t ok = nseeds - failed;
  printf("summary: %lld of %lld cones done", (long long)ok, (long long)nseeds);
  if (ok > 0)
    printf("; %.0f halos per cone (%.3g expected from the mass function)\n", (double)total / ok,
           hp_lightcone_expected_halos(lc));
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
  hp_lightcone_destroy(lc);
  hp_params_free(p);
  return rc;
}
