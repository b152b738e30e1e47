/* The main job, planned once and executed per seed (see run.h). */
#include "run.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cic/cic.h"
#include "util/memory.h"
#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "nn/count_runs.h"
#include "nn/model_io.h"
#include "plugin/engine.h"
#include "params/resolve.h"
#include "lpt/massfunction.h"
#include "catalog/sampler.h"
#include "util/sha256.h"

struct hp_run {
  const hp_params *p;
  hp_model model;
  char sha[65];
  double catalog_room; /* bytes the catalogue may take (0: unbounded) */
  hp_cosmology *cosmo;
  hp_lpt *lpt;
  hp_lpt_factors f;
  hp_initial_desc init; /* where the linear field comes from (seed, or a file) */
  hp_field_info field;  /* what the last seed's field file held */
  hp_cic_plan *cic;
  hp_engine *painter;
  hp_sampler *sampler;
  hp_mf_shape_ctx mf; /* the sampler's mass shape: Tinker et al. (2008) at the run's z */
  int64_t np, nv;
  double box, z;
  float *rho, *vel[3], **counts;
  size_t bytes;
};

int hp_run_model_mismatch(const hp_params *p, const hp_model_meta *meta, char *buf, size_t n) {
  return hp_run_model_mismatch_at(p, meta, hp_params_real(p, "Redshift"), buf, n);
}

int hp_run_model_mismatch_at(const hp_params *p, const hp_model_meta *meta, double z, char *buf,
                             size_t n) {
  const double box = hp_params_real(p, "BoxSize");
  const int64_t nv = hp_resolve_nvoxels(p), np = hp_params_int(p, "NParticles");
  const int order = (int)hp_params_int(p, "LPTOrder");
  const double vs = box / (double)nv, ppv = pow((double)np / (double)nv, 3);
  int k = 0;
  size_t used = 0;
  buf[0] = '\0';
#define DIFF(...)                                                                   \
  do {                                                                              \
    k++;                                                                            \
    if (used < n) used += (size_t)snprintf(buf + used, n - used, "  " __VA_ARGS__); \
  } while (0)
  if (fabs(vs / meta->voxel_size - 1) > 1e-3)
    DIFF("voxel size: BoxSize/NVoxels = %g Mpc/h, the model's is %g Mpc/h\n", vs, meta->voxel_size);
  if (fabs(z - meta->redshift) > 1e-3)
    DIFF("redshift: Redshift = %g, the model's is %g\n", z, meta->redshift);
  if (order != meta->lpt_order)
    DIFF("LPT order: LPTOrder = %d, the model was trained with %d\n", order, meta->lpt_order);
  if (fabs(ppv / meta->particles_per_voxel - 1) > 1e-3)
    DIFF("particles per voxel: (NParticles/NVoxels)^3 = %g, the model's is %g\n", ppv,
         meta->particles_per_voxel);
  /* the cosmology the model was trained in (NaN: an untrained model, nothing to compare) */
  const struct {
    const char *key;
    double model, rel;
  } cosmo[5] = {{"Omega0", meta->omega_m, HP_RUN_COSMO_TOL},
                {"Sigma8", meta->sigma8, HP_RUN_COSMO_TOL},
                {"HubbleParam", meta->h, HP_RUN_COSMO_TOL},
                {"OmegaBaryon", meta->omega_b, 2 * HP_RUN_COSMO_TOL},
                {"PrimordialIndex", meta->n_s, HP_RUN_COSMO_TOL}};
  for (int i = 0; i < 5; i++) {
    const double v = hp_params_real(p, cosmo[i].key);
    if (isfinite(cosmo[i].model) && fabs(v - cosmo[i].model) > cosmo[i].rel * fabs(cosmo[i].model))
      DIFF("cosmology: %s = %g, the model was trained at %g (tolerance %g %%)\n", cosmo[i].key, v,
           cosmo[i].model, 100 * cosmo[i].rel);
  }
#undef DIFF
  return k;
}

int hp_run_count_mode(const hp_params *p) {
  const char *cs = hp_params_string(p, "CountSampling");
  return !strcmp(cs, "Rounding")  ? HP_COUNTS_ROUNDING
         : !strcmp(cs, "Poisson") ? HP_COUNTS_POISSON
                                  : HP_COUNTS_MODEL;
}

int hp_run_position_mode(const hp_params *p) {
  return strcmp(hp_params_string(p, "HaloPositions"), "Uniform") ? HP_POS_PARTICLES
                                                                 : HP_POS_UNIFORM;
}

size_t hp_run_planned_bytes(const hp_run *r) { return r->bytes; }
const hp_model *hp_run_model(const hp_run *r) { return &r->model; }
const char *hp_run_model_sha256(const hp_run *r) { return r->sha; }

const char *hp_run_device(const hp_run *r) { return hp_engine_note(r->painter); }
int64_t hp_run_nvoxels(const hp_run *r) { return r->nv; }
const hp_field_info *hp_run_field_info(const hp_run *r) { return &r->field; }
hp_lpt *hp_run_lpt(hp_run *r) { return r->lpt; }

void hp_run_destroy(hp_run *r) {
  if (!r) return;
  hp_sampler_destroy(r->sampler);
  hp_engine_destroy(r->painter);
  hp_cic_plan_destroy(r->cic);
  hp_lpt_destroy(r->lpt);
  hp_cosmology_free(r->cosmo);
  hp_massfunc_free(r->mf.mf);
  hp_free(r->rho);
  for (int a = 0; a < 3; a++) hp_free(r->vel[a]);
  if (r->counts)
    for (int k = 0; k < r->model.net.k_out; k++) hp_free(r->counts[k]);
  free(r->counts);
  hp_model_free(&r->model);
  free(r);
}

int hp_run_create(hp_run **out, const hp_params *p, hp_status *st) {
  *out = NULL;
  hp_run *r = calloc(1, sizeof *r);
  if (!r) return hp_fail(st, HP_ERR_NOMEM, "run: cannot allocate the plan");
  r->p = p;
  const char *path = hp_params_string(p, "ModelFile");
  const int threads = hp_resolve_threads(p);
  r->np = hp_params_int(p, "NParticles");
  r->nv = hp_resolve_nvoxels(p);
  r->box = hp_params_real(p, "BoxSize");
  r->z = hp_params_real(p, "Redshift");
  if (hp_model_load(&r->model, path, st) || hp_sha256_file(path, r->sha, st)) {
    hp_error_context(st, "ModelFile = %s", path);
    goto fail;
  }
  char diff[2048];
  if (hp_run_model_mismatch(p, &r->model.meta, diff, sizeof diff) &&
      !hp_params_bool(p, "AllowModelMismatch")) {
    hp_fail(st, HP_ERR_INPUT,
            "the parameters do not match what the model %s was trained for:\n%s"
            "(set AllowModelMismatch 1 to run anyway, at your own risk)",
            path, diff);
    goto fail;
  }
  const int K = r->model.net.k_out;
  double field_bytes;
  hp_resolve_initial(p, &r->init);
  if (hp_lpt_initial_check(&r->init, r->np, &field_bytes, st)) goto fail;
  /* memory plan: every buffer of every stage, before allocating any */
  const double n3 = (double)r->np * r->np * r->np, v3 = (double)r->nv * r->nv * r->nv;
  const double need =
      (hp_params_bool(p, "LPTDealias") ? 46.0 : 32.2) * n3 /* 2LPT */ +
      field_bytes /* a coarser LinearFieldFile while it is read */ +
      8.0 * n3 /* sampler's index: 12 bytes per particle kept, ~1/10 */ +
      (16.0 + 4.0 * K + 8) * v3 +
      (hp_count_runs_any(&r->model.meta.count) ? 4.0 * K * v3 : 0) /* run counts */ +
      32.0 * 1048576 /* CIC workspace */ + 25.0e6 * threads /* painter tiles */ +
      HP_SAMPLER_HALO_BYTES * v3 /* catalogue planned at one halo per voxel */;
  const double limit_mb = hp_params_real(p, "MemoryLimit");
  const double avail = limit_mb > 0 ? limit_mb * 1e6 : hp_memory_available();
  /* the catalogue was planned at one halo per voxel; the sampler counts the real number
   * before allocating and refuses what does not fit in the rest */
  r->catalog_room = avail > 0 ? avail - (need - HP_SAMPLER_HALO_BYTES * v3) : 0;
  char what[128];
  snprintf(what, sizeof what, "run: NParticles = %lld and %lld^3 voxels", (long long)r->np,
           (long long)r->nv);
  if (hp_memory_check(need, limit_mb, what, st)) goto fail;
  hp_cosmo_desc cd;
  hp_lpt_desc ld;
  hp_resolve_cosmology(p, &cd);
  hp_resolve_lpt(p, &ld);
  if (hp_cosmology_create(&r->cosmo, &cd, st) ||
      hp_lpt_factors_at(r->cosmo, 1.0 / (1.0 + r->z), &r->f, st) ||
      hp_lpt_create(&r->lpt, &ld, st) || hp_cic_plan_create(&r->cic, r->nv, r->box, threads, st))
    goto fail;
  hp_engine_desc ed = {{r->nv, r->nv, r->nv},
                       1,
                       threads,
                       hp_params_string(p, "Device"),
                       0,
                       NULL,
                       0,
                       !strcmp(hp_params_string(p, "GPUPrecision"), "TF32")};
  if (hp_engine_create(&r->painter, &r->model.net, &ed, st)) goto fail;
  const size_t gb = (size_t)(r->nv * r->nv * r->nv) * sizeof(float);
  if (!(r->rho = hp_alloc(gb, "the density grid", st))) goto fail;
  for (int a = 0; a < 3; a++)
    if (!(r->vel[a] = hp_alloc(gb, "the velocity grid", st))) goto fail;
  if (!(r->counts = calloc((size_t)K, sizeof *r->counts))) {
    hp_fail(st, HP_ERR_NOMEM, "run: cannot allocate the count grids");
    goto fail;
  }
  for (int k = 0; k < K; k++)
    if (!(r->counts[k] = hp_alloc(gb, "a count grid", st))) goto fail;
  r->mf.z = r->z;
  if (hp_massfunc_create(&r->mf.mf, r->cosmo, st)) goto fail;
  const char *rsd = hp_params_string(p, "RedshiftSpaceAxis");
  const double a = 1.0 / (1.0 + r->z);
  hp_sampler_desc sd = {r->nv,
                        r->box,
                        r->np,
                        K,
                        r->model.meta.bin_edges,
                        hp_mf_shape,
                        &r->mf,
                        hp_run_count_mode(p),
                        hp_run_position_mode(p),
                        rsd[0] == 'x'   ? 0
                        : rsd[0] == 'y' ? 1
                        : rsd[0] == 'z' ? 2
                                        : -1,
                        1.0 / (100.0 * a * hp_cosmo_E(r->cosmo, a)),
                        0,
                        threads,
                        &r->model.meta.count,
                        r->catalog_room,
                        0,
                        0,
                        0};
  if (hp_sampler_create(&r->sampler, &sd, st)) goto fail;
  r->bytes = hp_lpt_get_counters(r->lpt).bytes + hp_cic_plan_workspace_bytes(r->cic) +
             hp_engine_host_bytes(r->painter) + (4 + (size_t)K) * gb + 8 * (size_t)n3;
  *out = r;
  return HP_OK;
fail:
  hp_run_destroy(r);
  return st->code ? st->code : hp_fail(st, HP_ERR_INTERNAL, "run: plan failed");
}

int hp_run_seed(hp_run *r, uint64_t seed, hp_catalog *cat, hp_run_times *t, hp_status *st) {
  hp_initial_desc id = r->init;
  id.noise.seed = seed;
  double t0 = omp_get_wtime();
  if (hp_lpt_set_initial(r->lpt, r->cosmo, &id, &r->field, st) || hp_lpt_execute(r->lpt, &r->f, st))
    return hp_error_context(st, "seed %llu: 2LPT", (unsigned long long)seed);
  t->lpt = omp_get_wtime() - t0;
  t0 = omp_get_wtime();
  hp_cic_particles parts = {0};
  parts.n = r->np * r->np * r->np;
  parts.x = hp_lpt_displacement(r->lpt, 0);
  parts.y = hp_lpt_displacement(r->lpt, 1);
  parts.z = hp_lpt_displacement(r->lpt, 2);
  parts.stride = 1;
  parts.lattice_np = r->np;
  const float *const v[3] = {hp_lpt_velocity(r->lpt, 0), hp_lpt_velocity(r->lpt, 1),
                             hp_lpt_velocity(r->lpt, 2)};
  float *const vout[3] = {r->vel[0], r->vel[1], r->vel[2]};
  if (hp_cic_velocity(r->cic, &parts, v, 1, vout, r->rho, st))
    return hp_error_context(st, "seed %llu: CIC", (unsigned long long)seed);
  t->cic = omp_get_wtime() - t0;
  t0 = omp_get_wtime();
  if (hp_engine_execute(r->painter, r->rho, r->counts, st))
    return hp_error_context(st, "seed %llu: painter", (unsigned long long)seed);
  t->paint = omp_get_wtime() - t0;
  t0 = omp_get_wtime();
  hp_sampler_input in = {(const float *const *)r->counts,
                         {parts.x, parts.y, parts.z},
                         {r->vel[0], r->vel[1], r->vel[2]},
                         NULL,
                         NULL,
                         NULL};
  hp_sampler_set_seed(r->sampler, seed);
  if (hp_sampler_execute(r->sampler, &in, cat, st))
    return hp_error_context(st, "seed %llu: sampler", (unsigned long long)seed);
  t->sample = omp_get_wtime() - t0;
  return HP_OK;
}

int hp_run_parse_seeds(const char *spec, uint64_t fallback, uint64_t **seeds, int64_t *n,
                       hp_status *st) {
  *seeds = NULL;
  *n = 0;
  if (!spec || !spec[0]) {
    if (!(*seeds = malloc(sizeof **seeds))) return hp_fail(st, HP_ERR_NOMEM, "seeds");
    (*seeds)[0] = fallback;
    *n = 1;
    return HP_OK;
  }
  int64_t cap = 0;
  for (int pass = 0; pass < 2; pass++) {
    const char *c = spec;
    int64_t count = 0;
    while (*c) {
      char *end;
      while (*c == ' ') c++;
      /* a digit first: strtoull would skip blanks and take "-5" as 2^64 - 5 */
      if (!isdigit((unsigned char)*c)) goto bad;
      errno = 0;
      const unsigned long long a = strtoull(c, &end, 10);
      unsigned long long b = a;
      if (errno) goto bad;
      c = end;
      if (*c == '-') {
        if (!isdigit((unsigned char)c[1])) goto bad;
        b = strtoull(c + 1, &end, 10);
        if (errno || b < a) goto bad;
        c = end;
      }
      while (*c == ' ') c++;
      if (*c && *c != ',') goto bad;
      if (*c == ',' && !*++c) goto bad;
      if (b > HP_SEED_MAX) {
        free(*seeds);
        *seeds = NULL;
        return hp_fail(st, HP_ERR_INPUT, "Seeds = %s: seed %llu is above the largest seed %llu",
                       spec, b, (unsigned long long)HP_SEED_MAX);
      }
      if (b - a >= 10000000ULL || count + (int64_t)(b - a + 1) > 10000000) {
        free(*seeds);
        *seeds = NULL;
        return hp_fail(st, HP_ERR_INPUT, "Seeds = %s: more than 10^7 seeds", spec);
      }
      /* counted, not "s <= b": b may be the largest value of the type */
      for (unsigned long long i = 0; i <= b - a; i++, count++)
        if (pass == 1) (*seeds)[count] = a + i;
    }
    if (pass == 0) {
      cap = count;
      if (!(*seeds = malloc(sizeof **seeds * (size_t)(cap > 0 ? cap : 1))))
        return hp_fail(st, HP_ERR_NOMEM, "seeds");
    }
  }
  *n = cap;
  return HP_OK;
bad:
  free(*seeds);
  *seeds = NULL;
  return hp_fail(st, HP_ERR_INPUT,
                 "Seeds = %s: expected seeds and ranges like 1-100 or 1,4,7-9 (ascending ranges)",
                 spec);
}
