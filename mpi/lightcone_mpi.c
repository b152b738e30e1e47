/* The light cone over MPI ranks (see lightcone_mpi.h). */
#include "lightcone_mpi.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/sampler.h"
#include "cic/cic.h"
#include "lpt/lpt_linear.h"
#include "mpi/comm.h"
#include "mpi/exchange.h"
#include "mpi/lpt_mpi.h"
#include "nn/count_runs.h"
#include "params/resolve.h"
#include "plugin/engine.h"
#include "plugin/lightcone_shells.h"
#include "util/memory.h"

struct hp_mlightcone {
  hp_lc_shells sh; /* models, shells, thinning, cut: the one-process cone's */
  MPI_Comm comm;
  int rank, size, threads;
  int halo;                    /* ghost planes: the largest of the models' painter halos */
  int halos[HP_LC_MAX_MODELS]; /* each model's */
  hp_engine *eng[HP_LC_MAX_MODELS];
  hp_mlpt *lpt; /* psi1 in its displacement slots, psi2 in its velocity slots */
  hp_noise_desc noise;
  hp_cic_plan *cic;
  int64_t np, nv, v0, nvx; /* voxel planes [v0, v0 + nvx) are this rank's */
  int64_t a0, na;          /* lattice planes [a0, a0 + na) are this rank's */
  int64_t before, after;   /* rooms around the shell's particles for the exchange */
  float *part;             /* the shell's x and v: six arrays of before + na np^2 + after */
  float *rho, *vel[3], **counts, **counts2; /* nvx planes (counts2: + 2 HP_RUN_GHOST, runs) */
  int runs;      /* the sampler draws along exclusion runs: counts2 then holds counts with ghosts */
  float *ghost;  /* nvx + 2 halo planes */
  float *padded; /* ghost padded in y and z for one model's halo, padded_h */
  int padded_h;  /* -1: not made from the current ghost planes */
  float *velg[3];           /* nvx + 2 planes: a ghost each side (more than one rank) */
  double *ps, *ps_all;      /* K x nvx plane sums of the painted means; K x nv of all */
  int *plane_n, *plane_off; /* each rank's voxel planes */
  hp_cone local;            /* this rank's cut of the current shell, image by image */
  int64_t *n_image;         /* halos of each image in local */
  int64_t *n_all;           /* every rank's n_image (rank 0) */
  int64_t *at;              /* rank 0: where the next rank's halos of each image go */
  int *blen, *disp;         /* rank 0: one rank's blocks in the gathered shell */
  size_t bytes;
};

size_t hp_mlightcone_planned_bytes(const hp_mlightcone *lc) { return lc->bytes; }
double hp_mlightcone_expected_halos(const hp_mlightcone *lc) { return lc->sh.expected; }
int hp_mlightcone_nshells(const hp_mlightcone *lc) { return lc->sh.nshells; }
int hp_mlightcone_replicas(const hp_mlightcone *lc) { return lc->sh.replicas; }
const char *hp_mlightcone_models(const hp_mlightcone *lc) { return lc->sh.models_text; }
const char *hp_mlightcone_device(const hp_mlightcone *lc) { return hp_engine_note(lc->eng[0]); }
void hp_mlightcone_slab(const hp_mlightcone *lc, int64_t *x0, int64_t *nx) {
  *x0 = lc->v0, *nx = lc->nvx;
}

void hp_mlightcone_destroy(hp_mlightcone *lc) {
  if (!lc) return;
  for (int i = 0; i < lc->sh.nmodels; i++) hp_engine_destroy(lc->eng[i]);
  hp_cic_plan_destroy(lc->cic);
  hp_mlpt_destroy(lc->lpt);
  hp_free(lc->part), hp_free(lc->rho), hp_free(lc->ghost), hp_free(lc->padded);
  for (int a = 0; a < 3; a++) hp_free(lc->vel[a]), hp_free(lc->velg[a]);
  const int K = lc->sh.nmodels ? lc->sh.models[0].net.k_out : 0;
  for (int k = 0; k < K; k++) {
    if (lc->counts) hp_free(lc->counts[k]);
    if (lc->counts2) hp_free(lc->counts2[k]);
  }
  free(lc->counts), free(lc->counts2), free(lc->ps), free(lc->ps_all);
  free(lc->plane_n), free(lc->plane_off), free(lc->n_image), free(lc->n_all), free(lc->at);
  free(lc->blen), free(lc->disp);
  hp_cone_free(&lc->local);
  hp_lc_shells_free(&lc->sh);
  free(lc);
}

/* A model draws along exclusion runs (nn/count_runs.h), so the slabs need their ghosts. */
static int runs_here(const hp_mlightcone *lc) {
  return lc->size > 1 && hp_lc_runs_any(&lc->sh) && hp_run_count_mode(lc->sh.p) == HP_COUNTS_MODEL;
}

/* This rank's bytes, every buffer of every stage; *cats: of them, the catalogues' share. */
static double planned_bytes(const hp_mlightcone *lc, double *cats) {
  const hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out;
  const double np = (double)lc->np, nv = (double)lc->nv, h = lc->halo, ppp = np / nv;
  const double block = np * np * ceil(np / lc->size); /* FFTW-MPI's lattice planes */
  int64_t before, after;
  hp_mpi_exchange_rooms(lc->np, lc->nv, lc->rank, lc->size, &before, &after);
  const double room = (double)(before + after), share = block + room;
  const double cross = lc->size > 1 ? 2 * 2 * ppp * np * np : 0; /* leaving and arriving */
  const double plane = nv * nv * 4.0, vghost = lc->size > 1 ? 3 * (lc->nvx + 2.0) : 0;
  *cats = HP_SAMPLER_HALO_BYTES * lc->nvx * nv * nv /* the slab's box catalogue */ +
          1.25 * sh->shell_most / lc->size * HP_CONE_HALO_BYTES /* this rank's cut of a shell */ +
          (lc->rank == 0 ? 1.25 * sh->shell_most * HP_CONE_HALO_BYTES : 0) /* the shell */;
  return 32.2 * block /* 2LPT: psi1 and psi2 */ + 24.0 * share /* the shell's particles */ +
         32.0 * cross /* exchange buffers */ + 8.0 * room /* ids of the arrived */ +
         8.0 * share /* sampler's index */ +
         plane * ((4.0 + 2 * K) * lc->nvx + (lc->nvx + 2 * h) + vghost) +
         (runs_here(lc) ? plane * K * (lc->nvx + 2.0 * HP_RUN_GHOST) : 0) /* exclusion runs */ +
         4.0 * (lc->nvx + 2 * h) * (nv + 2 * h) * (nv + 2 * h) /* the painter's input */ +
         2 * 32.0 * 1048576 /* CIC workspaces: the plan's and the sampler's */ +
         25.0e6 * lc->threads * sh->nmodels /* painter tiles */ + 16.0 * K * nv /* plane sums */ +
         8.0 * (sh->nimages_max + 1) * (lc->rank == 0 ? lc->size + 2 : 1) /* image counts */ +
         *cats;
}

/* What this rank can check alone: the keys, the models and shells, its share of the planes. */
static int check_rank(hp_mlightcone *lc, const hp_params *p, hp_status *st) {
  if (hp_mpi_refuse_unsupported(p, "lightcone", st) || hp_lc_shells_create(&lc->sh, p, st))
    return st->code;
  for (int i = 0; i < lc->sh.nmodels; i++) {
    lc->halos[i] = hp_net_halo(&lc->sh.models[i].net);
    if (lc->halos[i] > lc->halo) lc->halo = lc->halos[i];
  }
  hp_mpi_block(lc->nv, lc->rank, lc->size, &lc->v0, &lc->nvx);
  if (lc->nvx < lc->halo || (lc->size > 1 && lc->nvx + 2 > lc->nv))
    return hp_fail(st, HP_ERR_INPUT,
                   "%d MPI ranks leave a rank %lld of the %lld voxel planes, fewer than the "
                   "painter's halo of %d: use at most %lld ranks",
                   lc->size, (long long)lc->nvx, (long long)lc->nv, lc->halo,
                   (long long)(lc->nv / lc->halo));
  return HP_OK;
}

/* The bytes this rank's catalogues may fill: their plan and the node's spare memory, shared. */
static double catalogue_room(const hp_mlightcone *lc, double need, double cats, double limit_mb) {
  MPI_Comm node;
  int on_node = 1;
  double node_need = need;
  MPI_Comm_split_type(lc->comm, MPI_COMM_TYPE_SHARED, lc->rank, MPI_INFO_NULL, &node);
  MPI_Allreduce(&need, &node_need, 1, MPI_DOUBLE, MPI_SUM, node);
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  const double avail = limit_mb > 0 ? limit_mb * 1e6 : hp_memory_available();
  return avail > 0 ? cats + (avail - node_need) / on_node : 0;
}

/* Every buffer but the 2LPT's and the particles' (those follow FFTW-MPI's lattice slab). */
static int allocate(hp_mlightcone *lc, const hp_params *p, hp_status *st) {
  hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out, H = lc->halo;
  const int64_t nv = lc->nv, plane = nv * nv, nvx = lc->nvx;
  if (hp_cic_plan_create(&lc->cic, nv, sh->box, lc->threads, st)) return st->code;
  for (int i = 0; i < sh->nmodels; i++) {
    const int64_t h = lc->halos[i];
    hp_engine_desc ed = {{nvx + 2 * h, nv + 2 * h, nv + 2 * h},
                         0,
                         lc->threads,
                         hp_params_string(p, "Device"),
                         0,
                         NULL,
                         0,
                         !strcmp(hp_params_string(p, "GPUPrecision"), "TF32")};
    if (hp_engine_create(&lc->eng[i], &sh->models[i].net, &ed, st)) return st->code;
  }
  const size_t slab = (size_t)(nvx * plane) * sizeof(float);
  if (!(lc->rho = hp_alloc(slab, "the density slab", st)) ||
      !(lc->ghost =
            hp_alloc((size_t)((nvx + 2 * H) * plane) * sizeof(float), "the ghost planes", st)) ||
      !(lc->padded = hp_alloc((size_t)((nvx + 2 * H) * (nv + 2 * H) * (nv + 2 * H)) * sizeof(float),
                              "the painter's input", st)))
    return st->code;
  for (int a = 0; a < 3; a++)
    if (!(lc->vel[a] = hp_alloc(slab, "the velocity slab", st)) ||
        (lc->size > 1 && !(lc->velg[a] = hp_alloc((size_t)((nvx + 2) * plane) * sizeof(float),
                                                  "the velocity ghosts", st))))
      return st->code;
  const size_t nim = (size_t)sh->nimages_max + 1, R = (size_t)lc->size;
  if (!(lc->counts = calloc((size_t)K, sizeof *lc->counts)) ||
      !(lc->counts2 = calloc((size_t)K, sizeof *lc->counts2)) ||
      !(lc->ps = malloc(sizeof *lc->ps * (size_t)(K * nvx))) ||
      !(lc->ps_all = malloc(sizeof *lc->ps_all * (size_t)(K * nv))) ||
      !(lc->plane_n = malloc(sizeof *lc->plane_n * R)) ||
      !(lc->plane_off = malloc(sizeof *lc->plane_off * R)) ||
      !(lc->n_image = malloc(sizeof *lc->n_image * nim)) ||
      (lc->rank == 0 &&
       (!(lc->n_all = malloc(sizeof *lc->n_all * nim * R)) ||
        !(lc->at = malloc(sizeof *lc->at * nim)) || !(lc->blen = malloc(sizeof *lc->blen * nim)) ||
        !(lc->disp = malloc(sizeof *lc->disp * nim)))))
    return hp_fail(st, HP_ERR_NOMEM, "light cone: the count slabs and the shell's tables");
  lc->runs = runs_here(lc);
  const size_t slab2 = (size_t)((nvx + (lc->runs ? 2 * HP_RUN_GHOST : 0)) * plane) * sizeof(float);
  for (int k = 0; k < K; k++)
    if (!(lc->counts[k] = hp_alloc(slab, "a count slab", st)) ||
        !(lc->counts2[k] = hp_alloc(slab2, "a count slab", st)))
      return st->code;
  for (int r = 0; r < lc->size; r++) {
    int64_t x0, nx;
    hp_mpi_block(nv, r, lc->size, &x0, &nx);
    lc->plane_n[r] = (int)nx, lc->plane_off[r] = (int)x0;
  }
  return HP_OK;
}

int hp_mlightcone_create(hp_mlightcone **out, const hp_params *p, MPI_Comm comm, hp_status *st) {
  *out = NULL;
  hp_mlightcone *lc = calloc(1, sizeof *lc);
  if (!lc) hp_fail(st, HP_ERR_NOMEM, "light cone: cannot allocate the plan");
  if (hp_mpi_agree(st, comm)) {
    free(lc);
    return st->code;
  }
  lc->comm = comm;
  MPI_Comm_rank(comm, &lc->rank);
  MPI_Comm_size(comm, &lc->size);
  lc->threads = hp_resolve_threads(p);
  lc->np = hp_params_int(p, "NParticles");
  lc->nv = hp_resolve_nvoxels(p);
  lc->padded_h = -1;
  hp_initial_desc id;
  hp_resolve_initial(p, &id);
  lc->noise = id.noise;
  /* every rank's own checks agreed before the first collective that needs them */
  check_rank(lc, p, st);
  if (hp_mpi_agree(st, comm)) goto fail;
  double cats;
  const double need = planned_bytes(lc, &cats), limit_mb = hp_params_real(p, "MemoryLimit");
  char what[200];
  snprintf(what, sizeof what,
           "lightcone: NParticles = %lld, %lld^3 voxels, %d shells and %.3g expected halos",
           (long long)lc->np, (long long)lc->nv, lc->sh.nshells, lc->sh.expected);
  hp_mpi_check_memory(comm, need, limit_mb, what, st);
  if (hp_mpi_agree(st, comm)) goto fail;
  lc->sh.room = catalogue_room(lc, need, cats, limit_mb);
  allocate(lc, p, st);
  if (hp_mpi_agree(st, comm)) goto fail;
  hp_lpt_desc ld;
  hp_resolve_lpt(p, &ld);
  if (hp_mlpt_create(&lc->lpt, &ld, 0, 0, comm, st)) goto fail;
  hp_mlpt_slab(lc->lpt, &lc->a0, &lc->na);
  hp_mpi_exchange_rooms(lc->np, lc->nv, lc->rank, lc->size, &lc->before, &lc->after);
  const int64_t stride = lc->before + lc->na * lc->np * lc->np + lc->after;
  lc->part = hp_alloc((size_t)(6 * stride) * sizeof(float), "the shell's particles", st);
  if (hp_mpi_agree(st, comm)) goto fail;
  lc->bytes = (size_t)need;
  *out = lc;
  return HP_OK;
fail:
  hp_mlightcone_destroy(lc);
  return st->code;
}

/* Model i's means of the slab into @p out, from the ghost planes padded for its halo. */
static int paint_with(hp_mlightcone *lc, int i, float *const *out, hp_status *st) {
  const int h = lc->halos[i];
  if (h != lc->padded_h) {
    const int64_t skip = (int64_t)(lc->halo - h) * lc->nv * lc->nv;
    hp_mpi_pad_yz(lc->ghost + skip, lc->nvx, lc->nv, h, lc->padded, lc->threads);
    lc->padded_h = h;
  }
  return hp_engine_execute(lc->eng[i], lc->padded, out, st);
}

/* hp_lightcone's paint on the slab: the bracketing models' means, interpolated, into
 * lc->counts; their count distribution into *cd. */
static int paint(hp_mlightcone *lc, double D, hp_count_dist *cd, hp_status *st) {
  int i0, i1;
  double w;
  hp_lc_bracket(&lc->sh, D, &i0, &i1, &w);
  if (paint_with(lc, i0, lc->counts, st)) return st->code;
  if (w > 0 && i1 != i0) {
    if (paint_with(lc, i1, lc->counts2, st)) return st->code;
    hp_lc_blend(lc->counts, (const float *const *)lc->counts2, lc->sh.models[0].net.k_out,
                lc->nvx * lc->nv * lc->nv, w, lc->threads);
  }
  hp_lc_count_dist(&lc->sh, i0, i1, w, cd);
  return HP_OK;
}

/* Shell s's box on the slabs: particles at its redshift, exchanged, CIC, painted and sampled
 * into this rank's @p cat; the painted mean densities (whole box) into @p density. */
static int shell_box(hp_mlightcone *lc, int s, uint64_t seed, hp_catalog *cat, double *density,
                     hp_lightcone_times *t, hp_mrun_comm *c, hp_status *st) {
  hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out;
  const int64_t nv = lc->nv, plane = nv * nv, np = lc->np;
  const uint64_t shell_seed = hp_lc_shell_seed(sh, seed, s);
  hp_lpt_factors f;
  hp_growth g;
  const double a = 1 / (1 + sh->zs[s]);
  if (!hp_lpt_factors_at(sh->cosmo, a, &f, st)) hp_cosmo_growth(sh->cosmo, a, &g, st);
  if (hp_mpi_agree(st, lc->comm)) return hp_error_context(st, "shell %d", s);
  double t0 = MPI_Wtime();
  const int64_t stride = lc->before + lc->na * np * np + lc->after;
  float *x[3], *v[3];
  const float *psi1[3], *psi2[3];
  for (int k = 0; k < 3; k++) {
    x[k] = lc->part + k * stride + lc->before, v[k] = lc->part + (3 + k) * stride + lc->before;
    psi1[k] = hp_mlpt_displacement(lc->lpt, k), psi2[k] = hp_mlpt_velocity(lc->lpt, k);
  }
  hp_lc_shell_particles(psi1, psi2, lc->na * np * np, &f, x, v, lc->threads);
  t->particles += MPI_Wtime() - t0;
  t0 = MPI_Wtime();
  hp_mpi_lattice lat = {
      np, lc->a0, lc->na, lc->before, lc->after, sh->box, {x[0], x[1], x[2]}, {v[0], v[1], v[2]}};
  hp_mpi_particles parts;
  double sent = 0;
  if (hp_mpi_exchange(&lat, nv, lc->comm, &parts, &sent, st))
    return hp_error_context(st, "seed %llu, shell %d: particle exchange", (unsigned long long)seed,
                            s);
  const double tx = MPI_Wtime() - t0;
  c->exchange += tx, c->bytes += sent, c->copied |= parts.copied;
  hp_cic_particles cp = {parts.n, parts.disp[0], parts.disp[1], parts.disp[2], 1, np, NULL,
                         0,       &parts.ids};
  const float *pv[3] = {parts.vel[0], parts.vel[1], parts.vel[2]};
  hp_cic_velocity_slab(lc->cic, &cp, lc->v0, lc->nvx, (double)np * np * np, pv, 1, lc->vel, lc->rho,
                       st);
  if (hp_mpi_agree(st, lc->comm)) {
    hp_error_context(st, "seed %llu, shell %d: CIC", (unsigned long long)seed, s);
    goto done;
  }
  t->cic += MPI_Wtime() - t0 - tx;
  t0 = MPI_Wtime();
  hp_mpi_ghost_planes(lc->rho, lc->nvx, plane, lc->halo, lc->ghost, lc->comm, st);
  lc->padded_h = -1;
  for (int k = 0; k < 3 && lc->size > 1 && !st->code; k++)
    hp_mpi_ghost_planes(lc->vel[k], lc->nvx, plane, 1, lc->velg[k], lc->comm, st);
  c->ghost += MPI_Wtime() - t0;
  hp_count_dist cd;
  if (!hp_mpi_agree(st, lc->comm)) paint(lc, sh->snapshot ? sh->model_D[0] : g.D1, &cd, st);
  if (hp_mpi_agree(st, lc->comm)) {
    hp_error_context(st, "seed %llu, shell %d: painter", (unsigned long long)seed, s);
    goto done;
  }
  for (int k = 0; lc->runs && k < K; k++) /* counts2 is free after the blend: the runs' ghosts */
    hp_mpi_ghost_planes(lc->counts[k], lc->nvx, plane, HP_RUN_GHOST, lc->counts2[k], lc->comm, st);
  t->paint += MPI_Wtime() - t0;
  t0 = MPI_Wtime();
  sh->mf.z = sh->zs[s];
  const int whole = lc->size == 1; /* the sampler's whole-grid mode needs no velocity ghosts */
  hp_sampler_desc sd = {nv,
                        sh->box,
                        np,
                        K,
                        sh->models[0].meta.bin_edges,
                        hp_mf_shape,
                        &sh->mf,
                        hp_run_count_mode(sh->p),
                        hp_run_position_mode(sh->p),
                        -1 /* real space: the cone's RSD is z_obs */,
                        0,
                        shell_seed,
                        lc->threads,
                        &cd,
                        lc->sh.room,
                        parts.n,
                        whole ? 0 : lc->v0,
                        whole ? 0 : lc->nvx};
  float *const *vg = whole ? lc->vel : lc->velg;
  hp_sampler_input in = {(const float *const *)lc->counts,
                         {parts.disp[0], parts.disp[1], parts.disp[2]},
                         {vg[0], vg[1], vg[2]},
                         NULL,
                         &parts.ids,
                         lc->runs ? (const float *const *)lc->counts2 : NULL};
  hp_sampler *smp = NULL;
  if (!hp_sampler_create(&smp, &sd, st)) hp_sampler_execute(smp, &in, cat, st);
  hp_sampler_destroy(smp);
  if (hp_mpi_agree(st, lc->comm)) {
    hp_error_context(st, "seed %llu, shell %d: sampler", (unsigned long long)seed, s);
    goto done;
  }
  t->sample += MPI_Wtime() - t0;
  /* the whole box's mean densities: every rank's plane sums, added in plane order */
  hp_lc_plane_sums((const float *const *)lc->counts, K, lc->nvx, plane, lc->ps, lc->threads);
  for (int k = 0; k < K; k++)
    MPI_Allgatherv(lc->ps + k * lc->nvx, (int)lc->nvx, MPI_DOUBLE, lc->ps_all + k * nv, lc->plane_n,
                   lc->plane_off, MPI_DOUBLE, lc->comm);
  hp_lc_mean_density(sh, lc->ps_all, K, nv, density);
done:
  hp_mpi_particles_free(&parts);
  return st->code;
}

/* The shell's halos, this rank's cut image by image, appended to rank 0's @p cone in the
 * one-process order: image by image, within an image rank by rank (= box order). */
static int gather(hp_mlightcone *lc, long nim, hp_cone *cone, int64_t id0, hp_status *st) {
  const hp_cone *own = &lc->local;
  const int64_t base = cone->n;
  int64_t total = 0;
  MPI_Gather(lc->n_image, (int)nim, MPI_INT64_T, lc->n_all, (int)nim, MPI_INT64_T, 0, lc->comm);
  if (lc->rank == 0) {
    for (long i = 0; i < nim * lc->size; i++) total += lc->n_all[i];
    if (base + total > INT_MAX)
      hp_fail(st, HP_ERR_INPUT, "light cone: %lld halos in one shell, more than MPI sends at once",
              (long long)(base + total));
    else if ((double)(base + total) * HP_CONE_HALO_BYTES > lc->sh.room && lc->sh.room > 0)
      hp_fail(st, HP_ERR_NOMEM,
              "light cone: %lld halos (%.0f MB) do not fit the memory left on rank 0 "
              "(MemoryLimit or the machine); planned for %.3g",
              (long long)(base + total), (base + total) * HP_CONE_HALO_BYTES / 1e6,
              lc->sh.expected);
    else
      hp_cone_reserve(cone, base + total, st);
  }
  if (hp_mpi_agree(st, lc->comm)) return st->code;
  struct {
    void *mine, *all;
    int per;
    MPI_Datatype type;
    size_t bytes; /* of one halo's */
  } col[] = {{own->ra, cone->ra, 1, MPI_DOUBLE, sizeof(double)},
             {own->dec, cone->dec, 1, MPI_DOUBLE, sizeof(double)},
             {own->zcos, cone->zcos, 1, MPI_DOUBLE, sizeof(double)},
             {own->zobs, cone->zobs, 1, MPI_DOUBLE, sizeof(double)},
             {own->dist, cone->dist, 1, MPI_FLOAT, sizeof(float)},
             {own->pos, cone->pos, 3, MPI_FLOAT, 3 * sizeof(float)},
             {own->vel, cone->vel, 3, MPI_FLOAT, 3 * sizeof(float)},
             {own->mass, cone->mass, 1, MPI_DOUBLE, sizeof(double)},
             {own->mass_bin, cone->mass_bin, 1, MPI_INT32_T, sizeof(int32_t)},
             {own->shell, cone->shell, 1, MPI_INT32_T, sizeof(int32_t)}};
  const int ncol = (int)(sizeof col / sizeof *col);
  for (int k = 0; k < ncol; k++) {
    MPI_Datatype halo;
    MPI_Type_contiguous(col[k].per, col[k].type, &halo);
    MPI_Type_commit(&halo);
    if (lc->rank != 0) {
      MPI_Send(col[k].mine, (int)own->n, halo, 0, k, lc->comm);
    } else {
      /* image m's halos start after every earlier image's, rank 0's first */
      for (long m = 0, o = base; m < nim; m++) {
        lc->at[m] = o;
        for (int r = 0; r < lc->size; r++) o += lc->n_all[r * nim + m];
      }
      for (int r = 0; r < lc->size; r++) {
        const int64_t *n = lc->n_all + r * nim;
        if (r == 0) {
          const char *src = col[k].mine;
          for (long m = 0; m < nim; m++)
            if (n[m]) {
              memcpy((char *)col[k].all + lc->at[m] * col[k].bytes, src, n[m] * col[k].bytes);
              src += n[m] * col[k].bytes;
            }
        } else {
          MPI_Datatype blocks;
          for (long m = 0; m < nim; m++) lc->blen[m] = (int)n[m], lc->disp[m] = (int)lc->at[m];
          MPI_Type_indexed((int)nim, lc->blen, lc->disp, halo, &blocks);
          MPI_Type_commit(&blocks);
          MPI_Recv(col[k].all, 1, blocks, r, k, lc->comm, MPI_STATUS_IGNORE);
          MPI_Type_free(&blocks);
        }
        for (long m = 0; m < nim; m++) lc->at[m] += n[m];
      }
    }
    MPI_Type_free(&halo);
  }
  if (lc->rank == 0) {
    cone->n = base + total;
    for (int64_t i = base; i < cone->n; i++) cone->id[i] = id0 + i;
  }
  return HP_OK;
}

/* Shell s's thinning and cut on every rank, gathered and streamed on rank 0. */
static int shell_cut(hp_mlightcone *lc, int s, uint64_t seed, const hp_catalog *cat, hp_cone *cone,
                     hp_cone_writer *out, hp_mrun_comm *c, hp_status *st) {
  hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out;
  const uint64_t shell_seed = hp_lc_shell_seed(sh, seed, s);
  hp_lc_thinning(sh, s, cone->hdr.shell_density + (size_t)s * K,
                 cone->hdr.shell_density_far + (size_t)s * K);
  int64_t h0 = 0; /* this rank's first halo in the box catalogue */
  MPI_Exscan(&cat->n, &h0, 1, MPI_INT64_T, MPI_SUM, lc->comm);
  if (lc->rank == 0) h0 = 0; /* MPI_Exscan leaves rank 0's undefined */
  const long nim = hp_lc_images(sh, s);
  lc->local.n = 0;
  for (long m = 0; m < nim && !st->code; m++) {
    const int64_t n0 = lc->local.n;
    hp_lc_cut(sh, s, m, shell_seed, cat, h0, &lc->local, 0, st);
    lc->n_image[m] = lc->local.n - n0;
  }
  if (hp_mpi_agree(st, lc->comm)) return st->code;
  const double t0 = MPI_Wtime();
  const int64_t id0 = lc->rank == 0 && out ? hp_cone_writer_count(out) : 0;
  if (gather(lc, nim, cone, id0, st)) return st->code;
  c->gather += MPI_Wtime() - t0;
  if (lc->rank == 0 && out) { /* streamed: the cone holds one shell at a time */
    hp_cone_writer_append(out, cone, st);
    cone->n = 0;
  }
  return hp_mpi_agree(st, lc->comm);
}

int hp_mlightcone_seed(hp_mlightcone *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *out,
                       hp_lightcone_times *t, hp_mrun_comm *c, hp_status *st) {
  hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out;
  memset(t, 0, sizeof *t);
  memset(c, 0, sizeof *c);
  hp_status_clear(st);
  hp_cone_init(cone, sh->nshells, K, st);
  if (hp_mpi_agree(st, lc->comm)) return st->code;
  hp_lc_fill_header(sh, seed, cone);
  hp_noise_desc nd = lc->noise;
  nd.seed = seed;
  double t0 = MPI_Wtime();
  /* psi1 into the displacement slots, psi2 into the velocity slots */
  const hp_lpt_factors split = {1.0, 0.0, 0.0, 1.0};
  if (hp_mlpt_set_linear(lc->lpt, sh->cosmo, &nd, st) || hp_mlpt_execute(lc->lpt, &split, st))
    return hp_error_context(st, "seed %llu: 2LPT", (unsigned long long)seed);
  c->fft = hp_mlpt_fft_seconds(lc->lpt);
  t->lpt = MPI_Wtime() - t0;
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  for (int s = 0; s < sh->nshells; s++) {
    if (!sh->snapshot || s == 0) { /* Snapshot: one box for every shell */
      hp_catalog_free(&cat);
      if (shell_box(lc, s, seed, &cat, cone->hdr.shell_density + (size_t)s * K, t, c, st)) break;
    } else {
      memcpy(cone->hdr.shell_density + (size_t)s * K, cone->hdr.shell_density, sizeof(double) * K);
    }
    t0 = MPI_Wtime();
    if (shell_cut(lc, s, seed, &cat, cone, out, c, st)) {
      hp_error_context(st, "seed %llu, shell %d", (unsigned long long)seed, s);
      break;
    }
    t->cut += MPI_Wtime() - t0;
  }
  hp_catalog_free(&cat);
  return st->code;
}
