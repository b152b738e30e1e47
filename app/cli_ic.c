/* `halopaint ic FILE.param`: 2LPT initial conditions at RedshiftIC for an N-body code. */
#include <omp.h>
#include <stdio.h>

#include "lpt/ic_write.h"
#include "params/resolve.h"
#include "app/cli.h"
#include "plugin/pipeline.h"
#include "plugin/version.h"
#include "util/memory.h"

int hp_cmd_ic(int argc, char **argv) {
  hp_cli_args a;
  if (hp_cli_parse(argc, argv, "ic", &a)) return 2;
  hp_params *p = hp_cli_load(&a, HP_NEED_ALL);
  if (!p) return 1;
  const double t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  int rc = 1;
  const double z = hp_params_real(p, "RedshiftIC");
  const int64_t np = hp_params_int(p, "NParticles");
  char base[4096];
  if (hp_resolve_output_path(p, "_ic", base, sizeof base, &st)) goto fail;
  hp_cli_progress(t0, "2LPT: %lld^3 particles, BoxSize %g Mpc/h, LPTOrder %lld, z = %g",
                  (long long)np, hp_params_real(p, "BoxSize"),
                  (long long)hp_params_int(p, "LPTOrder"), z);
  /* planned before allocating: 2LPT 32.2 B/particle (46 dealiased), the writer's 12 MiB chunk */
  char what[96];
  snprintf(what, sizeof what, "ic: %lld^3 particles", (long long)np);
  hp_initial_desc id;
  double field_bytes;
  hp_resolve_initial(p, &id);
  if (hp_lpt_initial_check(&id, np, &field_bytes, &st) ||
      hp_memory_check((hp_params_bool(p, "LPTDealias") ? 46.0 : 32.2) * (double)np * np * np +
                          field_bytes + 12582912.0,
                      hp_params_real(p, "MemoryLimit"), what, &st))
    goto fail;
  hp_field_info fi;
  if (hp_pipeline_particles(p, z, &c, &l, &fi, &st) ||
      hp_cli_linear_field(t0, p, l, &fi, (uint64_t)hp_params_int(p, "Seed"), "", &st))
    goto fail;
  hp_lpt_counters cnt = hp_lpt_get_counters(l);
  hp_cli_progress(t0, "2LPT done: %d FFTs of %lld^3, %.1f bytes per particle", cnt.fft_np,
                  (long long)np, (double)cnt.bytes / ((double)np * np * np));
  hp_ic_particles part = {np, hp_params_real(p, "BoxSize"), {0}, {0}};
  for (int ax = 0; ax < 3; ax++) {
    part.disp[ax] = hp_lpt_displacement(l, ax);
    part.vel[ax] = hp_lpt_velocity(l, ax);
  }
  hp_ic_desc d = {0};
  d.format = (int)hp_params_int(p, "ICFormat");
  d.path_base = base;
  d.num_files = (int)hp_params_int(p, "NumFilesPerSnapshot");
  d.redshift = z;
  d.omega_m = hp_params_real(p, "Omega0");
  d.omega_l = hp_params_real(p, "OmegaLambda");
  d.h = hp_params_real(p, "HubbleParam");
  d.unit_length_in_cm = hp_params_real(p, "UnitLength_in_cm");
  d.params = hp_params_kv(p);
  d.software = HP_SOFTWARE;
  if (hp_ic_write(&d, &part, &st)) goto fail;
  hp_cli_progress(t0, "wrote %s* (ICFormat %d); peak memory %.0f MB", base, d.format,
                  hp_memory_peak() / 1e6);
  rc = 0;
  goto done;
fail:
  hp_error_context(&st, "%s", a.param_file);
  hp_cli_error("ic", &st);
done:
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  hp_params_free(p);
  return rc;
}
