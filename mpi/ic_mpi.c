/* `halopaint ic` over MPI ranks (see ic_mpi.h). */
#include "ic_mpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lpt/cosmology.h"
#include "mpi/comm.h"
#include "mpi/lpt_mpi.h"
#include "params/resolve.h"
#include "util/memory.h"

struct hp_mic {
  const hp_params *p;
  MPI_Comm comm;
  int rank, size;
  hp_cosmology *cosmo;
  hp_mlpt *lpt;
  hp_lpt_factors f;
  hp_noise_desc noise;
  int64_t np, a0, na;   /* lattice planes [a0, a0 + na) are this rank's */
  int64_t most, fewest; /* planes of the fullest and of the emptiest writer */
  int writers, before;  /* ranks holding planes; those of them before this rank */
  int k;                /* files per writer */
  double box;
  size_t bytes;
};

void hp_mic_layout(const hp_mic *m, int *writers, int *per_writer, size_t *bytes) {
  *writers = m->writers, *per_writer = m->k, *bytes = m->bytes;
}
void hp_mic_slab(const hp_mic *m, int64_t *a0, int64_t *na) { *a0 = m->a0, *na = m->na; }
double hp_mic_fft_seconds(const hp_mic *m) { return hp_mlpt_fft_seconds(m->lpt); }

void hp_mic_destroy(hp_mic *m) {
  if (!m) return;
  hp_mlpt_destroy(m->lpt);
  hp_cosmology_free(m->cosmo);
  free(m);
}

/* Files per writer for NumFilesPerSnapshot = @p num_files in @p format (same on every rank). */
static int layout(hp_mic *m, int format, int64_t num_files, hp_status *st) {
  const int64_t plane = m->np * m->np, w = m->writers;
  const int64_t fit = hp_ic_auto_num_files(format, m->most * plane); /* the fewest that hold */
  if (fit < 1) return hp_fail(st, HP_ERR_INPUT, "ICFormat = %d: must be 1, 2 or 3", format);
  if (num_files == 0) {
    m->k = (int)fit;
    return HP_OK;
  }
  if (num_files % w)
    return hp_fail(st, HP_ERR_INPUT,
                   "NumFilesPerSnapshot = %lld: the %lld MPI ranks holding lattice planes (of %d) "
                   "write their own files: use 0 (one file each) or a multiple of %lld (%lld, "
                   "%lld, ...)",
                   (long long)num_files, (long long)w, m->size, (long long)w, (long long)w,
                   (long long)(2 * w));
  const int64_t k = num_files / w;
  if (k < fit)
    return hp_fail(st, HP_ERR_INPUT,
                   "NumFilesPerSnapshot = %lld: %lld files for a rank's %lld^2 x %lld particles "
                   "put more in a file than ICFormat %d holds: use 0 or a multiple of %lld of "
                   "at least %lld",
                   (long long)num_files, (long long)k, (long long)m->np, (long long)m->most, format,
                   (long long)w, (long long)(fit * w));
  if (k > m->fewest * plane)
    return hp_fail(st, HP_ERR_INPUT,
                   "NumFilesPerSnapshot = %lld: %lld files for a rank's %lld particles, more "
                   "than one each",
                   (long long)num_files, (long long)k, (long long)(m->fewest * plane));
  m->k = (int)k;
  return HP_OK;
}

/* Every rank's planes: the writers, this one's place among them, the fullest and emptiest. */
static void slabs(hp_mic *m) {
  const int64_t mine = m->na > 0, ends[2] = {m->na, m->na ? -m->na : -m->np};
  int64_t all = 0, before = 0, most[2];
  MPI_Allreduce(&mine, &all, 1, MPI_INT64_T, MPI_SUM, m->comm);
  MPI_Exscan(&mine, &before, 1, MPI_INT64_T, MPI_SUM, m->comm);
  MPI_Allreduce(ends, most, 2, MPI_INT64_T, MPI_MAX, m->comm);
  m->writers = (int)all, m->before = m->rank ? (int)before : 0; /* Exscan leaves rank 0's */
  m->most = most[0], m->fewest = -most[1];
}

int hp_mic_create(hp_mic **out, const hp_params *p, MPI_Comm comm, hp_status *st) {
  *out = NULL;
  hp_mic *m = calloc(1, sizeof *m);
  if (!m) hp_fail(st, HP_ERR_NOMEM, "ic: cannot allocate the plan");
  if (hp_mpi_agree(st, comm)) {
    free(m);
    return st->code;
  }
  m->p = p;
  m->comm = comm;
  MPI_Comm_rank(comm, &m->rank);
  MPI_Comm_size(comm, &m->size);
  m->np = hp_params_int(p, "NParticles");
  m->box = hp_params_real(p, "BoxSize");
  hp_initial_desc id;
  hp_resolve_initial(p, &id);
  m->noise = id.noise;
  /* FFTW-MPI's blocks of ceil(np / ranks) planes (mpi/lpt_mpi.h), the writer's 12 MiB chunk */
  const double block = (double)m->np * m->np * ceil((double)m->np / m->size);
  char what[64];
  snprintf(what, sizeof what, "ic: %lld^3 particles", (long long)m->np);
  if (!hp_mpi_refuse_unsupported(p, "ic", st) &&
      !hp_mpi_check_memory(comm, 32.2 * block + 12582912.0, hp_params_real(p, "MemoryLimit"), what,
                           st)) {
    hp_cosmo_desc cd;
    hp_resolve_cosmology(p, &cd);
    if (!hp_cosmology_create(&m->cosmo, &cd, st))
      hp_lpt_factors_at(m->cosmo, 1.0 / (1.0 + hp_params_real(p, "RedshiftIC")), &m->f, st);
  }
  if (hp_mpi_agree(st, comm)) goto fail;
  hp_lpt_desc ld;
  hp_resolve_lpt(p, &ld);
  if (hp_mlpt_create(&m->lpt, &ld, 0, 0, comm, st)) goto fail;
  hp_mlpt_slab(m->lpt, &m->a0, &m->na);
  m->bytes = hp_mlpt_bytes(m->lpt);
  slabs(m);
  layout(m, (int)hp_params_int(p, "ICFormat"), hp_params_int(p, "NumFilesPerSnapshot"), st);
  if (hp_mpi_agree(st, comm)) goto fail;
  *out = m;
  return HP_OK;
fail:
  hp_mic_destroy(m);
  return st->code;
}

int hp_mic_execute(hp_mic *m, hp_status *st) {
  if (hp_mlpt_set_linear(m->lpt, m->cosmo, &m->noise, st) || hp_mlpt_execute(m->lpt, &m->f, st))
    return hp_error_context(st, "ic: 2LPT");
  return HP_OK;
}

int hp_mic_write(hp_mic *m, const hp_ic_desc *d, hp_status *st) {
  hp_ic_pending *w = NULL;
  if (!layout(m, d->format, d->num_files, st)) {
    hp_ic_desc whole = *d;
    whole.num_files = m->writers * m->k;
    hp_ic_particles part = {m->np, m->box, {NULL, NULL, NULL}, {NULL, NULL, NULL}};
    for (int a = 0; a < 3; a++)
      part.disp[a] = hp_mlpt_displacement(m->lpt, a), part.vel[a] = hp_mlpt_velocity(m->lpt, a);
    const hp_ic_part share = {m->a0, m->na, m->before * m->k, m->na ? m->k : 0, m->rank == 0};
    hp_ic_write_begin(&whole, &part, &share, &w, st);
  }
  /* every rank's temporaries are written before any is renamed */
  if (!hp_mpi_agree(st, m->comm)) {
    hp_ic_write_commit(w, st);
    hp_mpi_agree(st, m->comm);
  }
  hp_ic_write_end(w, st->code == HP_OK); /* a failure anywhere removes every rank's files */
  return st->code;
}
