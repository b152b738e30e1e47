/* `halopaint ic FILE.param`: 2LPT initial conditions at RedshiftIC for an N-body code. */
#include <omp.h>
#include <stdio.h>

#include "lpt/ic_write.h"
#include "params/resolve.h"
#include "app/cli.h"
#include "plugin/pipeline.h"
#include "plugin/version.h"
#include "util/memory.h"

#ifdef HP_MPI
/* halopaint-mpi: the 2LPT over the ranks of MPI_COMM_WORLD, every rank writing the files of its
 * own lattice planes (mpi/ic_mpi.h); rank 0 prints. */
#include "mpi/ic_mpi.h"
typedef struct ic_job {
  hp_mic *m;
} ic_job;
static int job_particles(ic_job *j, const hp_params *p, double t0, hp_status *st) {
  (void)t0; /* no linear-field lines: its files are refused with MPI */
  if (hp_mic_create(&j->m, p, MPI_COMM_WORLD, st) || hp_mic_execute(j->m, st)) return st->code;
  return HP_OK;
}
static void job_note(const ic_job *j, int64_t np, char *buf, size_t n) {
  int size, writers, per;
  int64_t a0, na;
  size_t bytes;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  hp_mic_layout(j->m, &writers, &per, &bytes);
  hp_mic_slab(j->m, &a0, &na);
  snprintf(buf, n,
           "%lld^3 over %d MPI ranks; rank 0: lattice planes %lld-%lld, %.0f MB, FFTs %.2f s (with "
           "their communication)",
           (long long)np, size, (long long)a0, (long long)(a0 + na - 1), bytes / 1e6,
           hp_mic_fft_seconds(j->m));
}
static int job_write(ic_job *j, const hp_params *p, const hp_ic_desc *d, char *note, size_t n,
                     hp_status *st) {
  (void)p;
  int writers, per;
  size_t bytes;
  if (hp_mic_write(j->m, d, st)) return st->code;
  hp_mic_layout(j->m, &writers, &per, &bytes);
  snprintf(note, n, ", %d files: %d from each of the %d MPI ranks holding lattice planes",
           writers * per, per, writers);
  return HP_OK;
}
static void job_destroy(ic_job *j) { hp_mic_destroy(j->m); }
#else
typedef struct ic_job {
  hp_cosmology *c;
  hp_lpt *l;
} ic_job;
static int job_particles(ic_job *j, const hp_params *p, double t0, hp_status *st) {
  const int64_t np = hp_params_int(p, "NParticles");
  /* planned before allocating: 2LPT 32.2 B/particle (46 dealiased), the writer's 12 MiB chunk */
  char what[96];
  snprintf(what, sizeof what, "ic: %lld^3 particles", (long long)np);
  hp_initial_desc id;
  hp_field_info fi;
  double field_bytes;
  hp_resolve_initial(p, &id);
  if (hp_lpt_initial_check(&id, np, &field_bytes, st) ||
      hp_memory_check((hp_params_bool(p, "LPTDealias") ? 46.0 : 32.2) * (double)np * np * np +
                          field_bytes + 12582912.0,
                      hp_params_real(p, "MemoryLimit"), what, st) ||
      hp_pipeline_particles(p, hp_params_real(p, "RedshiftIC"), &j->c, &j->l, &fi, st) ||
      hp_cli_linear_field(t0, p, j->l, &fi, (uint64_t)hp_params_int(p, "Seed"), "", st))
    return st->code;
  return HP_OK;
}
static void job_note(const ic_job *j, int64_t np, char *buf, size_t n) {
  hp_lpt_counters cnt = hp_lpt_get_counters(j->l);
  snprintf(buf, n, "%d FFTs of %lld^3, %.1f bytes per particle", cnt.fft_np, (long long)np,
           (double)cnt.bytes / ((double)np * np * np));
}
static int job_write(ic_job *j, const hp_params *p, const hp_ic_desc *d, char *note, size_t n,
                     hp_status *st) {
  hp_ic_particles part = {hp_params_int(p, "NParticles"), hp_params_real(p, "BoxSize"), {0}, {0}};
  for (int ax = 0; ax < 3; ax++) {
    part.disp[ax] = hp_lpt_displacement(j->l, ax);
    part.vel[ax] = hp_lpt_velocity(j->l, ax);
  }
  if (n) note[0] = '\0';
  return hp_ic_write(d, &part, st);
}
static void job_destroy(ic_job *j) {
  hp_lpt_destroy(j->l);
  hp_cosmology_free(j->c);
}
#endif

int hp_cmd_ic(int argc, char **argv) {
  hp_cli_args a;
  if (hp_cli_parse(argc, argv, "ic", &a)) return 2;
  hp_params *p = hp_cli_load(&a, HP_NEED_ALL);
  if (!p) return 1;
  const double t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  ic_job j = {0};
  int rc = 1;
  const double z = hp_params_real(p, "RedshiftIC");
  const int64_t np = hp_params_int(p, "NParticles");
  char base[4096], note[256];
  if (hp_resolve_output_path(p, "_ic", base, sizeof base, &st)) goto fail;
  hp_cli_progress(t0, "2LPT: %lld^3 particles, BoxSize %g Mpc/h, LPTOrder %lld, z = %g",
                  (long long)np, hp_params_real(p, "BoxSize"),
                  (long long)hp_params_int(p, "LPTOrder"), z);
  if (job_particles(&j, p, t0, &st)) goto fail;
  job_note(&j, np, note, sizeof note);
  hp_cli_progress(t0, "2LPT done: %s", note);
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
  if (job_write(&j, p, &d, note, sizeof note, &st)) goto fail;
  hp_cli_progress(t0, "wrote %s* (ICFormat %d%s); peak memory %.0f MB", base, d.format, note,
                  hp_memory_peak() / 1e6);
  rc = 0;
  goto done;
fail:
  hp_error_context(&st, "%s", a.param_file);
  hp_cli_error("ic", &st);
done:
  job_destroy(&j);
  hp_params_free(p);
  return rc;
}
