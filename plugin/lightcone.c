/* The light cone, planned once and made per seed (see lightcone.h and docs/lightcone.md). */
#include "plugin/lightcone.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/sampler.h"
#include "cic/cic.h"
#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "params/resolve.h"
#include "plugin/engine.h"
#include "plugin/lightcone_shells.h"
#include "plugin/run.h"
#include "util/memory.h"

struct hp_lightcone {
  hp_lc_shells sh; /* models, shells, thinning, cut */
  hp_engine *eng[HP_LC_MAX_MODELS];
  hp_lpt *lpt;
  hp_initial_desc init; /* where the linear field comes from (seed, or a file) */
  hp_field_info field;  /* what the last seed's field file held */
  hp_cic_plan *cic;
  hp_sampler *sampler;
  int64_t np, nv;
  int threads;
  float *sx[3], *sv[3]; /* the shell's displacements [Mpc/h] and velocities [km/s] */
  float *rho, *vel[3], **counts, **counts2;
  double *ps; /* K x nv plane sums of the painted means */
  size_t bytes;
};

size_t hp_lightcone_planned_bytes(const hp_lightcone *lc) { return lc->bytes; }
double hp_lightcone_expected_halos(const hp_lightcone *lc) { return lc->sh.expected; }
int hp_lightcone_nshells(const hp_lightcone *lc) { return lc->sh.nshells; }
int hp_lightcone_replicas(const hp_lightcone *lc) { return lc->sh.replicas; }
hp_lpt *hp_lightcone_lpt(hp_lightcone *lc) { return lc->lpt; }
const hp_field_info *hp_lightcone_field_info(const hp_lightcone *lc) { return &lc->field; }

const char *hp_lightcone_device(const hp_lightcone *lc) { return hp_engine_note(lc->eng[0]); }
const char *hp_lightcone_models(const hp_lightcone *lc) { return lc->sh.models_text; }

void hp_lightcone_destroy(hp_lightcone *lc) {
  if (!lc) return;
  hp_sampler_destroy(lc->sampler);
  for (int i = 0; i < lc->sh.nmodels; i++) hp_engine_destroy(lc->eng[i]);
  hp_cic_plan_destroy(lc->cic);
  hp_lpt_destroy(lc->lpt);
  for (int a = 0; a < 3; a++) hp_free(lc->sx[a]), hp_free(lc->sv[a]), hp_free(lc->vel[a]);
  hp_free(lc->rho);
  const int K = lc->sh.nmodels ? lc->sh.models[0].net.k_out : 0;
  for (int k = 0; k < K; k++) {
    if (lc->counts) hp_free(lc->counts[k]);
    if (lc->counts2) hp_free(lc->counts2[k]);
  }
  free(lc->counts), free(lc->counts2), free(lc->ps);
  hp_lc_shells_free(&lc->sh);
  free(lc);
}

int hp_lightcone_create(hp_lightcone **out, const hp_params *p, hp_status *st) {
  *out = NULL;
  hp_lightcone *lc = calloc(1, sizeof *lc);
  if (!lc) return hp_fail(st, HP_ERR_NOMEM, "light cone: cannot allocate the plan");
  const int threads = lc->threads = hp_resolve_threads(p);
  lc->np = hp_params_int(p, "NParticles");
  lc->nv = hp_resolve_nvoxels(p);
  hp_lpt_desc ld;
  hp_resolve_lpt(p, &ld);
  if (hp_lc_shells_create(&lc->sh, p, st)) goto fail;
  hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out;
  double field_bytes;
  hp_resolve_initial(p, &lc->init);
  if (hp_lpt_initial_check(&lc->init, lc->np, &field_bytes, st)) goto fail;
  /* memory plan: every buffer of every stage and the richest shell's halos (the command streams
   * the cone to its file shell by shell), before allocating anything */
  const double n3 = (double)lc->np * lc->np * lc->np, v3 = (double)lc->nv * lc->nv * lc->nv;
  const int runs = hp_lc_runs_any(sh); /* the sampler then holds the runs' counts */
  const double need =
      (ld.dealias ? 46.0 : 32.2) * n3 /* 2LPT: psi1 and psi2 */ +
      field_bytes /* a coarser LinearFieldFile while it is read */ +
      24.0 * n3 /* the shell's particles */ + 8.0 * n3 /* sampler's index (12 per kept) */ +
      (16.0 + 8.0 * K + (runs ? 4.0 * K : 0)) * v3 + 32.0 * 1048576 /* CIC workspace */ +
      25.0e6 * threads * sh->nmodels /* painter tiles */ +
      HP_SAMPLER_HALO_BYTES * v3 /* a shell's box catalogue */ +
      1.25 * sh->shell_most * HP_CONE_HALO_BYTES /* a shell's cut */;
  const double limit_mb = hp_params_real(p, "MemoryLimit");
  const double avail = limit_mb > 0 ? limit_mb * 1e6 : hp_memory_available();
  /* the catalogues (a shell's box, the cone) share what the fields leave */
  const double fields =
      need - HP_SAMPLER_HALO_BYTES * v3 - 1.25 * sh->expected * HP_CONE_HALO_BYTES;
  sh->room = avail > 0 ? avail - fields : 0;
  char what[200];
  snprintf(what, sizeof what,
           "lightcone: NParticles = %lld, %lld^3 voxels, %d shells and %.3g expected halos",
           (long long)lc->np, (long long)lc->nv, sh->nshells, sh->expected);
  if (hp_memory_check(need, limit_mb, what, st)) goto fail;
  if (hp_lpt_create(&lc->lpt, &ld, st) ||
      hp_cic_plan_create(&lc->cic, lc->nv, sh->box, threads, st))
    goto fail;
  hp_engine_desc ed = {{lc->nv, lc->nv, lc->nv},
                       1,
                       threads,
                       hp_params_string(p, "Device"),
                       0,
                       NULL,
                       0,
                       !strcmp(hp_params_string(p, "GPUPrecision"), "TF32")};
  for (int i = 0; i < sh->nmodels; i++)
    if (hp_engine_create(&lc->eng[i], &sh->models[i].net, &ed, st)) goto fail;
  const size_t gb = (size_t)(lc->nv * lc->nv * lc->nv) * sizeof(float);
  const size_t pb = (size_t)(lc->np * lc->np * lc->np) * sizeof(float);
  if (!(lc->rho = hp_alloc(gb, "the density grid", st))) goto fail;
  for (int a = 0; a < 3; a++)
    if (!(lc->vel[a] = hp_alloc(gb, "the velocity grid", st)) ||
        !(lc->sx[a] = hp_alloc(pb, "the shell's displacements", st)) ||
        !(lc->sv[a] = hp_alloc(pb, "the shell's velocities", st)))
      goto fail;
  if (!(lc->counts = calloc((size_t)K, sizeof *lc->counts)) ||
      !(lc->counts2 = calloc((size_t)K, sizeof *lc->counts2)) ||
      !(lc->ps = malloc(sizeof *lc->ps * (size_t)(K * lc->nv)))) {
    hp_fail(st, HP_ERR_NOMEM, "light cone: the count grids");
    goto fail;
  }
  for (int k = 0; k < K; k++)
    if (!(lc->counts[k] = hp_alloc(gb, "a count grid", st)) ||
        !(lc->counts2[k] = hp_alloc(gb, "a count grid", st)))
      goto fail;
  hp_sampler_desc sd = {lc->nv,
                        sh->box,
                        lc->np,
                        K,
                        sh->models[0].meta.bin_edges,
                        hp_mf_shape,
                        &sh->mf,
                        hp_run_count_mode(p),
                        hp_run_position_mode(p),
                        -1 /* real space: the cone's RSD is z_obs */,
                        0,
                        0,
                        threads,
                        &sh->models[0].meta.count,
                        sh->room,
                        0,
                        0,
                        0};
  if (hp_sampler_create(&lc->sampler, &sd, st)) goto fail;
  lc->bytes = hp_lpt_get_counters(lc->lpt).bytes + hp_cic_plan_workspace_bytes(lc->cic) +
              (4 + 2 * (size_t)K) * gb + 32 * (size_t)n3;
  for (int i = 0; i < sh->nmodels; i++) lc->bytes += hp_engine_host_bytes(lc->eng[i]);
  *out = lc;
  return HP_OK;
fail:
  hp_lightcone_destroy(lc);
  return st->code ? st->code : hp_fail(st, HP_ERR_INTERNAL, "light cone: plan failed");
}

/* Paint the shell's density with its models, the means interpolated into lc->counts; the
 * interpolated count distribution into *cd. */
static int paint(hp_lightcone *lc, double D, hp_count_dist *cd, hp_status *st) {
  int i0, i1;
  double w;
  hp_lc_bracket(&lc->sh, D, &i0, &i1, &w);
  if (hp_engine_execute(lc->eng[i0], lc->rho, lc->counts, st)) return st->code;
  if (w > 0 && i1 != i0) {
    if (hp_engine_execute(lc->eng[i1], lc->rho, lc->counts2, st)) return st->code;
    hp_lc_blend(lc->counts, (const float *const *)lc->counts2, lc->sh.models[0].net.k_out,
                lc->nv * lc->nv * lc->nv, w, lc->threads);
  }
  hp_lc_count_dist(&lc->sh, i0, i1, w, cd);
  return HP_OK;
}

int hp_lightcone_seed(hp_lightcone *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *out,
                      hp_lightcone_times *t, hp_status *st) {
  hp_lc_shells *sh = &lc->sh;
  const int K = sh->models[0].net.k_out;
  memset(t, 0, sizeof *t);
  if (hp_cone_init(cone, sh->nshells, K, st)) return st->code;
  hp_lc_fill_header(sh, seed, cone);
  hp_initial_desc id = lc->init;
  id.noise.seed = seed;
  double t0 = omp_get_wtime();
  /* psi1 into the displacement slots, psi2 into the velocity slots */
  const hp_lpt_factors split = {1.0, 0.0, 0.0, 1.0};
  if (hp_lpt_set_initial(lc->lpt, sh->cosmo, &id, &lc->field, st) ||
      hp_lpt_execute(lc->lpt, &split, st))
    return hp_error_context(st, "seed %llu: 2LPT", (unsigned long long)seed);
  t->lpt = omp_get_wtime() - t0;
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  hp_status_clear(st);
  const float *psi1[3], *psi2[3];
  for (int a = 0; a < 3; a++)
    psi1[a] = hp_lpt_displacement(lc->lpt, a), psi2[a] = hp_lpt_velocity(lc->lpt, a);
  for (int s = 0; s < sh->nshells; s++) {
    const int fresh = !sh->snapshot || s == 0; /* Snapshot: one box for every shell */
    const uint64_t shell_seed = hp_lc_shell_seed(sh, seed, s);
    if (fresh) {
      hp_lpt_factors f;
      hp_growth g;
      const double a = 1 / (1 + sh->zs[s]);
      hp_catalog_free(&cat);
      if (hp_lpt_factors_at(sh->cosmo, a, &f, st) || hp_cosmo_growth(sh->cosmo, a, &g, st)) {
        hp_error_context(st, "shell %d", s);
        break;
      }
      t0 = omp_get_wtime();
      hp_lc_shell_particles(psi1, psi2, lc->np * lc->np * lc->np, &f, lc->sx, lc->sv, lc->threads);
      t->particles += omp_get_wtime() - t0;
      t0 = omp_get_wtime();
      hp_cic_particles parts = {0};
      parts.n = lc->np * lc->np * lc->np;
      parts.x = lc->sx[0], parts.y = lc->sx[1], parts.z = lc->sx[2];
      parts.stride = 1;
      parts.lattice_np = lc->np;
      const float *const v[3] = {lc->sv[0], lc->sv[1], lc->sv[2]};
      float *const vout[3] = {lc->vel[0], lc->vel[1], lc->vel[2]};
      if (hp_cic_velocity(lc->cic, &parts, v, 1, vout, lc->rho, st)) {
        hp_error_context(st, "seed %llu, shell %d: CIC", (unsigned long long)seed, s);
        break;
      }
      t->cic += omp_get_wtime() - t0;
      t0 = omp_get_wtime();
      hp_count_dist cd;
      if (paint(lc, sh->snapshot ? sh->model_D[0] : g.D1, &cd, st)) {
        hp_error_context(st, "seed %llu, shell %d: painter", (unsigned long long)seed, s);
        break;
      }
      t->paint += omp_get_wtime() - t0;
      t0 = omp_get_wtime();
      sh->mf.z = sh->zs[s];
      hp_sampler_input in = {(const float *const *)lc->counts,
                             {lc->sx[0], lc->sx[1], lc->sx[2]},
                             {lc->vel[0], lc->vel[1], lc->vel[2]},
                             NULL,
                             NULL,
                             NULL};
      hp_sampler_set_seed(lc->sampler, shell_seed);
      if (hp_sampler_retarget(lc->sampler, &cd, st) ||
          hp_sampler_execute(lc->sampler, &in, &cat, st)) {
        hp_error_context(st, "seed %llu, shell %d: sampler", (unsigned long long)seed, s);
        break;
      }
      t->sample += omp_get_wtime() - t0;
      hp_lc_plane_sums((const float *const *)lc->counts, K, lc->nv, lc->nv * lc->nv, lc->ps,
                       lc->threads);
      hp_lc_mean_density(sh, lc->ps, K, lc->nv, cone->hdr.shell_density + (size_t)s * K);
    } else {
      memcpy(cone->hdr.shell_density + (size_t)s * K, cone->hdr.shell_density, sizeof(double) * K);
    }
    t0 = omp_get_wtime();
    hp_lc_thinning(sh, s, cone->hdr.shell_density + (size_t)s * K,
                   cone->hdr.shell_density_far + (size_t)s * K);
    const int64_t id0 = out ? hp_cone_writer_count(out) : 0;
    const long nim = hp_lc_images(sh, s);
    int rc = HP_OK;
    for (long m = 0; m < nim && !rc; m++)
      rc = hp_lc_cut(sh, s, m, shell_seed, &cat, 0, cone, id0, st);
    if (!rc && out) { /* streamed: the cone holds one shell at a time */
      rc = hp_cone_writer_append(out, cone, st);
      cone->n = 0;
    }
    t->cut += omp_get_wtime() - t0;
    if (rc) {
      hp_error_context(st, "seed %llu, shell %d", (unsigned long long)seed, s);
      break;
    }
  }
  hp_catalog_free(&cat);
  return st->code;
}
