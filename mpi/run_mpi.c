/* The main job over MPI ranks (see run_mpi.h). */
#include "run_mpi.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/sampler.h"
#include "cic/cic.h"
#include "lpt/lpt_linear.h"
#include "lpt/massfunction.h"
#include "mpi/comm.h"
#include "mpi/exchange.h"
#include "mpi/lpt_mpi.h"
#include "nn/count_runs.h"
#include "nn/model_io.h"
#include "params/resolve.h"
#include "plugin/engine.h"
#include "util/memory.h"
#include "util/sha256.h"

struct hp_mrun {
  const hp_params *p;
  MPI_Comm comm;
  int rank, size, threads, halo;
  hp_model model;
  char sha[65];
  hp_cosmology *cosmo;
  hp_mlpt *lpt;
  hp_lpt_factors f;
  hp_noise_desc noise;
  hp_cic_plan *cic;
  hp_engine *painter;
  hp_mf_shape_ctx mf;
  int64_t np, nv, v0, nvx; /* voxel planes [v0, v0 + nvx) are this rank's */
  double box, z;
  float *rho, *vel[3];   /* nvx planes */
  float *ghost, *padded; /* nvx + 2 halo planes; the same, periodic in y and z */
  float *velg[3];        /* nvx + 2 planes: a ghost each side, for the velocity read-out */
  float **counts;        /* K grids of nvx planes */
  float **countsg;       /* exclusion runs: K grids of nvx + 2 HP_RUN_GHOST planes, else NULL */
  size_t bytes;
};

size_t hp_mrun_planned_bytes(const hp_mrun *r) { return r->bytes; }
const hp_model *hp_mrun_model(const hp_mrun *r) { return &r->model; }
const char *hp_mrun_model_sha256(const hp_mrun *r) { return r->sha; }
const char *hp_mrun_device(const hp_mrun *r) { return hp_engine_note(r->painter); }
int64_t hp_mrun_nvoxels(const hp_mrun *r) { return r->nv; }
void hp_mrun_slab(const hp_mrun *r, int64_t *x0, int64_t *nx) { *x0 = r->v0, *nx = r->nvx; }

void hp_mrun_comm_note(const hp_mrun_comm *c, int group_index, int group_count, int64_t x0,
                       int64_t nx, char *note, size_t n) {
  snprintf(note, n,
           "; group %d of %d, its rank 0 (voxel planes %lld-%lld) communicating: FFTs %.2f s (with "
           "their local work), exchange %.2f s (%.1f MB out%s), ghosts %.2f s, gather %.2f s",
           group_index + 1, group_count, (long long)x0, (long long)(x0 + nx - 1), c->fft,
           c->exchange, c->bytes / 1e6,
           c->copied ? "; more arrived than the rooms hold: copied" : "", c->ghost, c->gather);
}

void hp_mrun_destroy(hp_mrun *r) {
  if (!r) return;
  hp_engine_destroy(r->painter);
  hp_cic_plan_destroy(r->cic);
  hp_mlpt_destroy(r->lpt);
  hp_cosmology_free(r->cosmo);
  hp_massfunc_free(r->mf.mf);
  hp_free(r->rho), hp_free(r->ghost), hp_free(r->padded);
  for (int a = 0; a < 3; a++) hp_free(r->vel[a]), hp_free(r->velg[a]);
  if (r->counts)
    for (int k = 0; k < r->model.net.k_out; k++) hp_free(r->counts[k]);
  free(r->counts);
  if (r->countsg)
    for (int k = 0; k < r->model.net.k_out; k++) hp_free(r->countsg[k]);
  free(r->countsg);
  hp_model_free(&r->model);
  free(r);
}

/* The sampler draws along exclusion runs (nn/count_runs.h) and the slabs need their ghosts. */
static int runs_here(const hp_mrun *r) {
  return r->size > 1 && hp_run_count_mode(r->p) == HP_COUNTS_MODEL &&
         hp_count_runs_any(&r->model.meta.count);
}

/* This rank's bytes: every buffer of every stage, before any is allocated. */
static double planned_bytes(const hp_mrun *r, int K) {
  const double np = (double)r->np, nv = (double)r->nv, h = r->halo, ppp = np / nv;
  const double block = np * np * ceil(np / r->size); /* FFTW-MPI's lattice planes */
  /* particles held after the exchange: the rank's own and those arriving into the rooms */
  int64_t before, after;
  hp_mpi_exchange_rooms(r->np, r->nv, r->rank, r->size, &before, &after);
  const double room = (double)(before + after), share = block + room;
  const double cross = r->size > 1 ? 2 * 2 * ppp * np * np : 0; /* leaving and arriving */
  const double plane = nv * nv * 4.0;
  return 32.2 * block + 24.0 * room + 32.0 * cross /* exchange buffers */ +
         8.0 * room /* ids of the arrived */ + 8.0 * share /* sampler's index */ +
         plane * ((4.0 + K) * r->nvx + (r->nvx + 2 * h) + 3 * (r->nvx + 2.0)) +
         4.0 * (r->nvx + 2 * h) * (nv + 2 * h) * (nv + 2 * h) + 32.0 * 1048576 /* CIC */ +
         25.0e6 * r->threads /* painter tiles */ +
         (runs_here(r) ? plane * K * (2.0 * r->nvx + 2 * HP_RUN_GHOST) : 0) /* exclusion runs */ +
         HP_SAMPLER_HALO_BYTES * r->nvx * nv * nv /* catalogue at one halo a voxel */;
}

/* This rank's checks: the model, the parameters against it, the slab. */
static int check_rank(hp_mrun *r, const hp_params *p, hp_status *st) {
  const char *path = hp_params_string(p, "ModelFile");
  if (hp_mpi_refuse_unsupported(p, "run", st)) return st->code;
  if (hp_model_load(&r->model, path, st) || hp_sha256_file(path, r->sha, st))
    return hp_error_context(st, "ModelFile = %s", path);
  char diff[2048];
  if (hp_run_model_mismatch(p, &r->model.meta, diff, sizeof diff) &&
      !hp_params_bool(p, "AllowModelMismatch"))
    return hp_fail(st, HP_ERR_INPUT,
                   "the parameters do not match what the model %s was trained for:\n%s"
                   "(set AllowModelMismatch 1 to run anyway, at your own risk)",
                   path, diff);
  r->halo = hp_net_halo(&r->model.net);
  hp_mpi_block(r->nv, r->rank, r->size, &r->v0, &r->nvx);
  if (r->nvx < r->halo || (r->size > 1 && r->nvx + 2 > r->nv))
    return hp_fail(st, HP_ERR_INPUT,
                   "%d MPI ranks leave a rank %lld of the %lld voxel planes, fewer than the "
                   "painter's halo of %d: use at most %lld ranks",
                   r->size, (long long)r->nvx, (long long)r->nv, r->halo,
                   (long long)(r->nv / r->halo));
  return HP_OK;
}

/* This rank's plans and buffers, once every rank passed its checks and the memory plan. */
static int plan_rank(hp_mrun *r, const hp_params *p, hp_status *st) {
  const int K = r->model.net.k_out;
  hp_cosmo_desc cd;
  hp_resolve_cosmology(p, &cd);
  if (hp_cosmology_create(&r->cosmo, &cd, st) ||
      hp_lpt_factors_at(r->cosmo, 1.0 / (1.0 + r->z), &r->f, st) ||
      hp_cic_plan_create(&r->cic, r->nv, r->box, r->threads, st))
    return st->code;
  const int64_t h = r->halo, nv = r->nv, g = r->nvx + 2 * h, plane = nv * nv;
  hp_engine_desc ed = {{g, nv + 2 * h, nv + 2 * h},
                       0,
                       r->threads,
                       hp_params_string(p, "Device"),
                       0,
                       NULL,
                       0,
                       !strcmp(hp_params_string(p, "GPUPrecision"), "TF32")};
  if (hp_engine_create(&r->painter, &r->model.net, &ed, st)) return st->code;
  const size_t slab = (size_t)(r->nvx * plane) * sizeof(float);
  if (!(r->rho = hp_alloc(slab, "the density slab", st)) ||
      !(r->ghost = hp_alloc((size_t)(g * plane) * sizeof(float), "the ghost planes", st)) ||
      !(r->padded = hp_alloc((size_t)(g * (nv + 2 * h) * (nv + 2 * h)) * sizeof(float),
                             "the painter's input", st)))
    return st->code;
  for (int a = 0; a < 3; a++)
    if (!(r->vel[a] = hp_alloc(slab, "the velocity slab", st)) ||
        !(r->velg[a] =
              hp_alloc((size_t)((r->nvx + 2) * plane) * sizeof(float), "the velocity ghosts", st)))
      return st->code;
  if (!(r->counts = calloc((size_t)K, sizeof *r->counts)))
    return hp_fail(st, HP_ERR_NOMEM, "run: cannot allocate the count grids");
  for (int k = 0; k < K; k++)
    if (!(r->counts[k] = hp_alloc(slab, "a count slab", st))) return st->code;
  if (runs_here(r)) {
    const size_t gs = (size_t)((r->nvx + 2 * HP_RUN_GHOST) * plane) * sizeof(float);
    if (!(r->countsg = calloc((size_t)K, sizeof *r->countsg)))
      return hp_fail(st, HP_ERR_NOMEM, "run: cannot allocate the count grids");
    for (int k = 0; k < K; k++)
      if (!(r->countsg[k] = hp_alloc(gs, "a count slab with ghosts", st))) return st->code;
  }
  r->mf.z = r->z;
  return hp_massfunc_create(&r->mf.mf, r->cosmo, st);
}

int hp_mrun_create(hp_mrun **out, const hp_params *p, MPI_Comm comm, hp_status *st) {
  *out = NULL;
  hp_mrun *r = calloc(1, sizeof *r);
  if (!r) hp_fail(st, HP_ERR_NOMEM, "run: cannot allocate the plan");
  if (hp_mpi_agree(st, comm)) {
    free(r);
    return st->code;
  }
  r->p = p;
  r->comm = comm;
  MPI_Comm_rank(comm, &r->rank);
  MPI_Comm_size(comm, &r->size);
  r->threads = hp_resolve_threads(p);
  r->np = hp_params_int(p, "NParticles");
  r->nv = hp_resolve_nvoxels(p);
  r->box = hp_params_real(p, "BoxSize");
  r->z = hp_params_real(p, "Redshift");
  hp_initial_desc id;
  hp_resolve_initial(p, &id);
  r->noise = id.noise;
  /* every rank's checks agreed before the collective memory check, so none waits alone */
  check_rank(r, p, st);
  if (hp_mpi_agree(st, comm)) goto fail;
  char what[128];
  snprintf(what, sizeof what, "run: NParticles = %lld and %lld^3 voxels", (long long)r->np,
           (long long)r->nv);
  if (hp_mpi_check_memory(comm, planned_bytes(r, r->model.net.k_out),
                          hp_params_real(p, "MemoryLimit"), what, st))
    goto fail;
  plan_rank(r, p, st);
  if (hp_mpi_agree(st, comm)) goto fail;
  /* the distributed FFTs are planned together, after every rank's checks passed */
  hp_lpt_desc ld;
  hp_resolve_lpt(p, &ld);
  int64_t before, after;
  hp_mpi_exchange_rooms(r->np, r->nv, r->rank, r->size, &before, &after);
  if (hp_mlpt_create(&r->lpt, &ld, before, after, comm, st)) goto fail;
  r->bytes = (size_t)planned_bytes(r, r->model.net.k_out);
  *out = r;
  return HP_OK;
fail:
  hp_mrun_destroy(r);
  return st->code;
}

/* Every rank's catalogue to rank 0, in rank (= plane) order; ids 1.. over the whole. */
static int gather(const hp_mrun *r, const hp_catalog *part, hp_catalog *cat, hp_status *st) {
  int64_t *n = r->rank == 0 ? calloc((size_t)r->size, sizeof *n) : NULL;
  int *cnt = r->rank == 0 ? calloc((size_t)r->size, sizeof *cnt) : NULL,
      *off = r->rank == 0 ? calloc((size_t)r->size, sizeof *off) : NULL;
  if (r->rank == 0 && (!n || !cnt || !off)) hp_fail(st, HP_ERR_NOMEM, "gather: counts");
  if (hp_mpi_agree(st, r->comm)) goto done;
  MPI_Gather(&part->n, 1, MPI_INT64_T, n, 1, MPI_INT64_T, 0, r->comm);
  int64_t total = 0;
  if (r->rank == 0) {
    for (int i = 0; i < r->size; i++) total += n[i];
    if (3 * total > INT32_MAX)
      hp_fail(st, HP_ERR_INPUT, "gather: %lld halos, more than one MPI message holds",
              (long long)total);
    else if (hp_catalog_alloc(cat, total, HP_CAT_MASSBIN, st) == HP_OK)
      cat->hdr = part->hdr;
  }
  if (hp_mpi_agree(st, r->comm)) goto done;
  /* one column at a time: (data, elements per halo, type) */
  struct {
    void *mine, *all;
    int per;
    MPI_Datatype type;
  } col[4] = {{part->pos, cat->pos, 3, MPI_FLOAT},
              {part->vel, cat->vel, 3, MPI_FLOAT},
              {part->mass, cat->mass, 1, MPI_DOUBLE},
              {part->mass_bin, cat->mass_bin, 1, MPI_INT32_T}};
  for (int c = 0; c < 4; c++) {
    if (r->rank == 0)
      for (int i = 0, o = 0; i < r->size; i++) {
        cnt[i] = (int)(n[i] * col[c].per), off[i] = o;
        o += cnt[i];
      }
    MPI_Gatherv(col[c].mine, (int)(part->n * col[c].per), col[c].type, col[c].all, cnt, off,
                col[c].type, 0, r->comm);
  }
  if (r->rank == 0)
    for (int64_t h = 0; h < total; h++) cat->id[h] = h + 1;
done:
  free(n), free(cnt), free(off);
  return st->code;
}

int hp_mrun_seed(hp_mrun *r, uint64_t seed, hp_catalog *cat, hp_run_times *t, hp_mrun_comm *c,
                 hp_status *st) {
  memset(c, 0, sizeof *c);
  hp_noise_desc nd = r->noise;
  nd.seed = seed;
  const int64_t nv = r->nv, plane = nv * nv, K = r->model.net.k_out;
  double t0 = MPI_Wtime();
  if (hp_mlpt_set_linear(r->lpt, r->cosmo, &nd, st) || hp_mlpt_execute(r->lpt, &r->f, st))
    return hp_error_context(st, "seed %llu: 2LPT", (unsigned long long)seed);
  c->fft = hp_mlpt_fft_seconds(r->lpt);
  t->lpt = MPI_Wtime() - t0;
  t0 = MPI_Wtime();
  hp_mpi_lattice lat = {r->np, 0, 0, 0, 0, r->box, {NULL}, {NULL}};
  hp_mlpt_rooms(r->lpt, &lat.room_before, &lat.room_after);
  hp_mlpt_slab(r->lpt, &lat.a0, &lat.na);
  for (int a = 0; a < 3; a++)
    lat.disp[a] = hp_mlpt_displacement(r->lpt, a), lat.vel[a] = hp_mlpt_velocity(r->lpt, a);
  hp_mpi_particles parts;
  if (hp_mpi_exchange(&lat, nv, r->comm, &parts, &c->bytes, st))
    return hp_error_context(st, "seed %llu: particle exchange", (unsigned long long)seed);
  c->exchange = MPI_Wtime() - t0;
  c->copied = parts.copied;
  hp_cic_particles cp = {parts.n, parts.disp[0], parts.disp[1], parts.disp[2], 1, r->np, NULL,
                         0,       &parts.ids};
  const float *pv[3] = {parts.vel[0], parts.vel[1], parts.vel[2]};
  hp_cic_velocity_slab(r->cic, &cp, r->v0, r->nvx, (double)r->np * r->np * r->np, pv, 1, r->vel,
                       r->rho, st);
  if (hp_mpi_agree(st, r->comm)) goto fail;
  t->cic = MPI_Wtime() - t0 - c->exchange;
  t0 = MPI_Wtime();
  hp_mpi_ghost_planes(r->rho, r->nvx, plane, r->halo, r->ghost, r->comm, st);
  const int whole = r->size == 1; /* the sampler's whole-grid mode needs no velocity ghosts */
  for (int a = 0; a < 3 && !whole && !st->code; a++)
    hp_mpi_ghost_planes(r->vel[a], r->nvx, plane, 1, r->velg[a], r->comm, st);
  c->ghost = MPI_Wtime() - t0;
  if (hp_mpi_agree(st, r->comm)) goto fail;
  hp_mpi_pad_yz(r->ghost, r->nvx, nv, r->halo, r->padded, r->threads);
  hp_engine_execute(r->painter, r->padded, r->counts, st);
  for (int64_t k = 0; r->countsg && k < K; k++) /* the runs' blocks reach beyond the slab */
    hp_mpi_ghost_planes(r->counts[k], r->nvx, plane, HP_RUN_GHOST, r->countsg[k], r->comm, st);
  if (hp_mpi_agree(st, r->comm)) goto fail;
  t->paint = MPI_Wtime() - t0;
  t0 = MPI_Wtime();
  const char *rsd = hp_params_string(r->p, "RedshiftSpaceAxis");
  const double a = 1.0 / (1.0 + r->z);
  hp_sampler_desc sd = {nv,
                        r->box,
                        r->np,
                        (int)K,
                        r->model.meta.bin_edges,
                        hp_mf_shape,
                        &r->mf,
                        hp_run_count_mode(r->p),
                        hp_run_position_mode(r->p),
                        rsd[0] == 'x'   ? 0
                        : rsd[0] == 'y' ? 1
                        : rsd[0] == 'z' ? 2
                                        : -1,
                        1.0 / (100.0 * a * hp_cosmo_E(r->cosmo, a)),
                        seed,
                        r->threads,
                        &r->model.meta.count,
                        0,
                        parts.n,
                        whole ? 0 : r->v0,
                        whole ? 0 : r->nvx};
  hp_sampler_input in = {(const float *const *)r->counts,
                         {parts.disp[0], parts.disp[1], parts.disp[2]},
                         {whole ? r->vel[0] : r->velg[0], whole ? r->vel[1] : r->velg[1],
                          whole ? r->vel[2] : r->velg[2]},
                         NULL,
                         &parts.ids,
                         (const float *const *)r->countsg};
  hp_sampler *smp = NULL;
  hp_catalog part;
  memset(&part, 0, sizeof part);
  if (!hp_sampler_create(&smp, &sd, st)) hp_sampler_execute(smp, &in, &part, st);
  hp_sampler_destroy(smp);
  hp_mpi_particles_free(&parts);
  if (hp_mpi_agree(st, r->comm)) {
    hp_catalog_free(&part);
    return hp_error_context(st, "seed %llu: sampler", (unsigned long long)seed);
  }
  const double tg = MPI_Wtime();
  gather(r, &part, cat, st);
  c->gather = MPI_Wtime() - tg;
  hp_catalog_free(&part);
  t->sample = MPI_Wtime() - t0;
  return st->code ? hp_error_context(st, "seed %llu", (unsigned long long)seed) : HP_OK;
fail:
  hp_mpi_particles_free(&parts);
  return hp_error_context(st, "seed %llu", (unsigned long long)seed);
}
