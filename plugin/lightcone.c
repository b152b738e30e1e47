/* The light cone, planned once and made per seed (see lightcone.h and docs/lightcone.md). */
#include "plugin/lightcone.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/sampler.h"
#include "cic/cic.h"
#include "lightcone/footprint.h"
#include "lightcone/geometry.h"
#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "lpt/massfunction.h"
#include "nn/model_io.h"
#include "params/resolve.h"
#include "plugin/engine.h"
#include "plugin/run.h"
#include "plugin/version.h"
#include "util/memory.h"
#include "util/rng.h"
#include "util/sha256.h"

/* Nodes across a shell at which the abundance's evolution is tabulated for the thinning. */
#define HP_LC_THIN_NODES 9

struct hp_lightcone {
  const hp_params *p;
  int nmodels, snapshot;
  hp_model models[HP_LC_MAX_MODELS]; /* by increasing redshift */
  char paths[HP_LC_MAX_MODELS][4096];
  double model_D[HP_LC_MAX_MODELS]; /* D1 at each model's redshift */
  hp_engine *eng[HP_LC_MAX_MODELS];
  hp_cosmology *cosmo;
  hp_lpt *lpt;
  hp_initial_desc init; /* where the linear field comes from (seed, or a file) */
  hp_field_info field;  /* what the last seed's field file held */
  hp_cic_plan *cic;
  hp_sampler *sampler;
  hp_mf_shape_ctx mf;
  hp_distance_table dist;
  hp_footprint foot;
  int64_t np, nv;
  int threads;
  double box, obs[3], zmin, zmax;
  int nshells, replicas;
  double *edges, *zs;   /* nshells + 1 distances, nshells redshifts */
  float *sx[3], *sv[3]; /* the shell's displacements [Mpc/h] and velocities [km/s] */
  float *rho, *vel[3], **counts, **counts2;
  int (*images)[3];
  long nimages_max;
  double thin[HP_LC_THIN_NODES * HP_NET_MAX_K]; /* the current shell's abundance ratios */
  double room, expected;
  size_t bytes;
  char models_text[HP_LC_MAX_MODELS * 160]; /* "z = Z: FILE (sha256 ...); ..." */
};

/* "x,y,z" -> three numbers in [0, box). */
static int parse_observer(const char *s, double box, double o[3], hp_status *st) {
  char *end;
  const char *c = s;
  for (int a = 0; a < 3; a++) {
    o[a] = strtod(c, &end);
    if (end == c || !isfinite(o[a]) || o[a] < 0 || o[a] >= box || (a < 2 && *end != ',') ||
        (a == 2 && *end != '\0'))
      return hp_fail(st, HP_ERR_INPUT,
                     "LightconeObserver = %s: expected three numbers x,y,z in [0, BoxSize = %g) "
                     "Mpc/h",
                     s, box);
    c = end + 1;
  }
  return HP_OK;
}

/* The models, checked against the parameters and each other, sorted by redshift. */
static int load_models(hp_lightcone *lc, hp_status *st) {
  const hp_params *p = lc->p;
  const int expert = hp_params_bool(p, "AllowModelMismatch");
  const char *list =
      lc->snapshot ? hp_params_string(p, "ModelFile") : hp_params_string(p, "LightconeModelFiles");
  const char *key = lc->snapshot ? "ModelFile" : "LightconeModelFiles";
  const char *c = list;
  while (*c) {
    char path[4096];
    const size_t len = strcspn(c, ",");
    if (len == 0 || len >= sizeof path || lc->nmodels == HP_LC_MAX_MODELS)
      return hp_fail(st, HP_ERR_INPUT, "%s = %s: expected 1 to %d model files, comma-separated",
                     key, list, HP_LC_MAX_MODELS);
    memcpy(path, c, len);
    path[len] = '\0';
    c += len + (c[len] == ',');
    hp_model *m = &lc->models[lc->nmodels];
    if (hp_model_load(m, path, st)) return hp_error_context(st, "%s: %s", key, path);
    memcpy(lc->paths[lc->nmodels], path, len + 1);
    lc->nmodels++;
    char diff[2048];
    const double z = lc->snapshot ? hp_params_real(p, "Redshift") : m->meta.redshift;
    if (hp_run_model_mismatch_at(p, &m->meta, z, diff, sizeof diff) && !expert)
      return hp_fail(st, HP_ERR_INPUT,
                     "the parameters do not match what the model %s was trained for:\n%s"
                     "(set AllowModelMismatch 1 to run anyway, at your own risk)",
                     path, diff);
    const hp_model_meta *m0 = &lc->models[0].meta;
    int same = m->meta.nbins == m0->nbins;
    for (int k = 0; same && k <= m0->nbins; k++)
      same = fabs(m->meta.bin_edges[k] / m0->bin_edges[k] - 1) < 1e-6;
    if (!same)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s: the model %s has other mass bins than the first: models interpolated "
                     "in redshift must share their bins",
                     key, path);
  }
  if (lc->nmodels == 0) return hp_fail(st, HP_ERR_INPUT, "%s is empty: no model", key);
  /* insertion sort by redshift (a handful of models) */
  for (int i = 1; i < lc->nmodels; i++)
    for (int j = i; j > 0 && lc->models[j].meta.redshift < lc->models[j - 1].meta.redshift; j--) {
      hp_model t = lc->models[j];
      lc->models[j] = lc->models[j - 1];
      lc->models[j - 1] = t;
      char pt[4096];
      memcpy(pt, lc->paths[j], sizeof pt);
      memcpy(lc->paths[j], lc->paths[j - 1], sizeof pt);
      memcpy(lc->paths[j - 1], pt, sizeof pt);
    }
  for (int i = 1; i < lc->nmodels; i++)
    if (lc->models[i].meta.redshift - lc->models[i - 1].meta.redshift < 1e-3)
      return hp_fail(st, HP_ERR_INPUT, "%s: two models for redshift %g", key,
                     lc->models[i].meta.redshift);
  const double zlo = lc->models[0].meta.redshift, zhi = lc->models[lc->nmodels - 1].meta.redshift;
  if (!lc->snapshot && !expert && (lc->zmin < zlo - HP_LC_Z_TOL || lc->zmax > zhi + HP_LC_Z_TOL))
    return hp_fail(st, HP_ERR_INPUT,
                   "the cone spans z = %g to %g but the models (%s) cover z = %g to %g: add "
                   "models for the missing redshifts, or set AllowModelMismatch 1 to paint "
                   "beyond them with the nearest",
                   lc->zmin, lc->zmax, list, zlo, zhi);
  size_t used = 0;
  for (int i = 0; i < lc->nmodels; i++) {
    char sha[65];
    if (hp_sha256_file(lc->paths[i], sha, st)) return st->code;
    used += (size_t)snprintf(lc->models_text + used, sizeof lc->models_text - used,
                             "%sz = %g: %.80s (sha256 %.16s)", i ? "; " : "",
                             lc->models[i].meta.redshift, lc->paths[i], sha);
    if (used >= sizeof lc->models_text) used = sizeof lc->models_text - 1;
  }
  for (int i = 0; i < lc->nmodels; i++) {
    hp_growth g;
    if (hp_cosmo_growth(lc->cosmo, 1 / (1 + lc->models[i].meta.redshift), &g, st)) return st->code;
    lc->model_D[i] = g.D1;
  }
  return HP_OK;
}

/* Shell edges of (nearly) LightconeShellWidth between the distances of zmin and zmax, and the
 * redshift of each shell's particles: its near edge, the thinning across it following the
 * abundance's evolution (Snapshot: Redshift for every shell). */
static int lay_out_shells(hp_lightcone *lc, hp_status *st) {
  const double d0 = hp_distance_chi(&lc->dist, lc->zmin), d1 = hp_distance_chi(&lc->dist, lc->zmax);
  const double w = hp_params_real(lc->p, "LightconeShellWidth");
  const double n = ceil((d1 - d0) / w - 1e-9);
  if (n > 100000)
    return hp_fail(st, HP_ERR_INPUT,
                   "LightconeShellWidth = %g Mpc/h makes %.0f shells (at most 100000)", w, n);
  lc->nshells = n < 1 ? 1 : (int)n;
  lc->edges = malloc(sizeof *lc->edges * (size_t)(lc->nshells + 1));
  lc->zs = malloc(sizeof *lc->zs * (size_t)lc->nshells);
  if (!lc->edges || !lc->zs) return hp_fail(st, HP_ERR_NOMEM, "light cone: shells");
  for (int s = 0; s <= lc->nshells; s++) lc->edges[s] = d0 + (d1 - d0) * s / lc->nshells;
  for (int s = 0; s < lc->nshells; s++)
    lc->zs[s] =
        lc->snapshot ? hp_params_real(lc->p, "Redshift") : hp_distance_z(&lc->dist, lc->edges[s]);
  /* the images of the box the cone needs, and room for the largest shell's list */
  lc->replicas = 0;
  for (int s = 0; s < lc->nshells; s++) {
    const long n_im = hp_shell_images(lc->box, lc->obs, lc->edges[s], lc->edges[s + 1],
                                      lc->foot.kind == HP_FOOT_OCTANT, NULL, 0);
    if (n_im > lc->nimages_max) lc->nimages_max = n_im;
  }
  const double r = d1 + lc->box;
  lc->replicas = (int)ceil(r / lc->box);
  if (!(lc->images = malloc(sizeof *lc->images * (size_t)(lc->nimages_max + 1))))
    return hp_fail(st, HP_ERR_NOMEM, "light cone: %ld box images", lc->nimages_max);
  return HP_OK;
}

/* Halos per (Mpc/h)^3 of mass bin k at redshift z: Tinker et al. (2008), midpoint in ln M. */
static double bin_abundance(hp_lightcone *lc, int k, double z) {
  const hp_model_meta *m = &lc->models[0].meta;
  const double a = log(m->bin_edges[k]), b = log(m->bin_edges[k + 1]);
  double n = 0;
  lc->mf.z = z;
  for (int i = 0; i < 64; i++) {
    const double f = hp_mf_shape(&lc->mf, exp(a + (b - a) * (i + 0.5) / 64));
    if (isfinite(f)) n += f * (b - a) / 64;
  }
  return n;
}

/* Halos the cone should hold (the abundance at each shell's painted redshift over its volume),
 * and those of its richest shell into *most. */
static double expected_halos(hp_lightcone *lc, double *most) {
  double total = 0;
  *most = 0;
  for (int s = 0; s < lc->nshells; s++) {
    const double v =
        lc->foot.sky_fraction * 4 * M_PI / 3 * (pow(lc->edges[s + 1], 3) - pow(lc->edges[s], 3));
    double n = 0;
    for (int k = 0; k < lc->models[0].meta.nbins; k++) n += bin_abundance(lc, k, lc->zs[s]) * v;
    total += n;
    if (n > *most) *most = n;
  }
  return total;
}

/* The thinning of shell s: the fraction of the near edge's abundance that remains at each node
 * across the shell, n_k(z(r)) / n_k(z_near) (at most 1: these abundances fall with z). A shell
 * then follows the abundance's evolution inside it instead of stepping at its edges. */
static void thinning(hp_lightcone *lc, int s) {
  const int K = lc->models[0].meta.nbins;
  double n0[HP_NET_MAX_K];
  for (int k = 0; k < K; k++) n0[k] = bin_abundance(lc, k, lc->zs[s]);
  for (int j = 0; j < HP_LC_THIN_NODES; j++) {
    const double r = lc->edges[s] + (lc->edges[s + 1] - lc->edges[s]) * j / (HP_LC_THIN_NODES - 1);
    const double z = hp_distance_z(&lc->dist, r);
    for (int k = 0; k < K; k++) {
      const double f = lc->snapshot || !(n0[k] > 0) ? 1 : bin_abundance(lc, k, z) / n0[k];
      lc->thin[j * K + k] = f > 1 ? 1 : f < 0 ? 0 : f;
    }
  }
  lc->mf.z = lc->zs[s];
}

/* The thinning's keep-probability of bin k at distance r in shell [lo, hi). */
static double keep_fraction(const hp_lightcone *lc, int k, double r, double lo, double hi) {
  const int K = lc->models[0].meta.nbins;
  double t = (r - lo) / (hi - lo) * (HP_LC_THIN_NODES - 1);
  t = t < 0 ? 0 : t > HP_LC_THIN_NODES - 1 ? HP_LC_THIN_NODES - 1 : t;
  const int j = t >= HP_LC_THIN_NODES - 1 ? HP_LC_THIN_NODES - 2 : (int)t;
  return lc->thin[j * K + k] + (t - j) * (lc->thin[(j + 1) * K + k] - lc->thin[j * K + k]);
}

size_t hp_lightcone_planned_bytes(const hp_lightcone *lc) { return lc->bytes; }
double hp_lightcone_expected_halos(const hp_lightcone *lc) { return lc->expected; }
int hp_lightcone_nshells(const hp_lightcone *lc) { return lc->nshells; }
int hp_lightcone_replicas(const hp_lightcone *lc) { return lc->replicas; }
hp_lpt *hp_lightcone_lpt(hp_lightcone *lc) { return lc->lpt; }
const hp_field_info *hp_lightcone_field_info(const hp_lightcone *lc) { return &lc->field; }

const char *hp_lightcone_device(const hp_lightcone *lc) { return hp_engine_note(lc->eng[0]); }
const char *hp_lightcone_models(const hp_lightcone *lc) { return lc->models_text; }

void hp_lightcone_destroy(hp_lightcone *lc) {
  if (!lc) return;
  hp_sampler_destroy(lc->sampler);
  for (int i = 0; i < lc->nmodels; i++) {
    hp_engine_destroy(lc->eng[i]);
    hp_model_free(&lc->models[i]);
  }
  hp_cic_plan_destroy(lc->cic);
  hp_lpt_destroy(lc->lpt);
  hp_cosmology_free(lc->cosmo);
  hp_massfunc_free(lc->mf.mf);
  hp_distance_table_free(&lc->dist);
  hp_footprint_free(&lc->foot);
  for (int a = 0; a < 3; a++) hp_free(lc->sx[a]), hp_free(lc->sv[a]), hp_free(lc->vel[a]);
  hp_free(lc->rho);
  const int K = lc->nmodels ? lc->models[0].net.k_out : 0;
  for (int k = 0; k < K; k++) {
    if (lc->counts) hp_free(lc->counts[k]);
    if (lc->counts2) hp_free(lc->counts2[k]);
  }
  free(lc->counts), free(lc->counts2), free(lc->edges), free(lc->zs), free(lc->images);
  free(lc);
}

int hp_lightcone_create(hp_lightcone **out, const hp_params *p, hp_status *st) {
  *out = NULL;
  hp_lightcone *lc = calloc(1, sizeof *lc);
  if (!lc) return hp_fail(st, HP_ERR_NOMEM, "light cone: cannot allocate the plan");
  lc->p = p;
  const int threads = lc->threads = hp_resolve_threads(p);
  lc->np = hp_params_int(p, "NParticles");
  lc->nv = hp_resolve_nvoxels(p);
  lc->box = hp_params_real(p, "BoxSize");
  lc->zmin = hp_params_real(p, "LightconeZMin");
  lc->zmax = hp_params_real(p, "LightconeZMax");
  lc->snapshot = !strcmp(hp_params_string(p, "LightconeEvolution"), "Snapshot");
  hp_cosmo_desc cd;
  hp_lpt_desc ld;
  hp_resolve_cosmology(p, &cd);
  hp_resolve_lpt(p, &ld);
  if (!(lc->zmax > lc->zmin)) {
    hp_fail(st, HP_ERR_INPUT, "LightconeZMin = %g, LightconeZMax = %g: expected ZMin < ZMax",
            lc->zmin, lc->zmax);
    goto fail;
  }
  if (parse_observer(hp_params_string(p, "LightconeObserver"), lc->box, lc->obs, st) ||
      hp_footprint_create(&lc->foot, hp_params_string(p, "LightconeFootprint"), st) ||
      hp_cosmology_create(&lc->cosmo, &cd, st) ||
      hp_distance_table_create(&lc->dist, cd.omega_m, cd.omega_l, lc->zmax, st) ||
      hp_massfunc_create(&lc->mf.mf, lc->cosmo, st) || load_models(lc, st) ||
      lay_out_shells(lc, st))
    goto fail;
  const int K = lc->models[0].net.k_out;
  double shell_most, field_bytes;
  lc->expected = expected_halos(lc, &shell_most);
  hp_resolve_initial(p, &lc->init);
  if (hp_lpt_initial_check(&lc->init, lc->np, &field_bytes, st)) goto fail;
  /* memory plan: every buffer of every stage and the richest shell's halos (the command streams
   * the cone to its file shell by shell), before allocating anything */
  const double n3 = (double)lc->np * lc->np * lc->np, v3 = (double)lc->nv * lc->nv * lc->nv;
  const double need = (ld.dealias ? 46.0 : 32.2) * n3 /* 2LPT: psi1 and psi2 */ +
                      field_bytes /* a coarser LinearFieldFile while it is read */ +
                      24.0 * n3 /* the shell's particles */ + 8.0 * n3 /* sampler's index */ +
                      (16.0 + 8.0 * K) * v3 + 32.0 * 1048576 /* CIC workspace */ +
                      25.0e6 * threads * lc->nmodels /* painter tiles */ +
                      HP_SAMPLER_HALO_BYTES * v3 /* a shell's box catalogue */ +
                      1.25 * shell_most * HP_CONE_HALO_BYTES /* a shell's cut */;
  const double limit_mb = hp_params_real(p, "MemoryLimit");
  const double avail = limit_mb > 0 ? limit_mb * 1e6 : hp_memory_available();
  /* the catalogues (a shell's box, the cone) share what the fields leave */
  const double fields =
      need - HP_SAMPLER_HALO_BYTES * v3 - 1.25 * lc->expected * HP_CONE_HALO_BYTES;
  lc->room = avail > 0 ? avail - fields : 0;
  char what[200];
  snprintf(what, sizeof what,
           "lightcone: NParticles = %lld, %lld^3 voxels, %d shells and %.3g expected halos",
           (long long)lc->np, (long long)lc->nv, lc->nshells, lc->expected);
  if (hp_memory_check(need, limit_mb, what, st)) goto fail;
  if (hp_lpt_create(&lc->lpt, &ld, st) ||
      hp_cic_plan_create(&lc->cic, lc->nv, lc->box, threads, st))
    goto fail;
  hp_engine_desc ed = {{lc->nv, lc->nv, lc->nv},
                       1,
                       threads,
                       hp_params_string(p, "Device"),
                       0,
                       NULL,
                       0,
                       !strcmp(hp_params_string(p, "GPUPrecision"), "TF32")};
  for (int i = 0; i < lc->nmodels; i++)
    if (hp_engine_create(&lc->eng[i], &lc->models[i].net, &ed, st)) goto fail;
  const size_t gb = (size_t)(lc->nv * lc->nv * lc->nv) * sizeof(float);
  const size_t pb = (size_t)(lc->np * lc->np * lc->np) * sizeof(float);
  if (!(lc->rho = hp_alloc(gb, "the density grid", st))) goto fail;
  for (int a = 0; a < 3; a++)
    if (!(lc->vel[a] = hp_alloc(gb, "the velocity grid", st)) ||
        !(lc->sx[a] = hp_alloc(pb, "the shell's displacements", st)) ||
        !(lc->sv[a] = hp_alloc(pb, "the shell's velocities", st)))
      goto fail;
  if (!(lc->counts = calloc((size_t)K, sizeof *lc->counts)) ||
      !(lc->counts2 = calloc((size_t)K, sizeof *lc->counts2))) {
    hp_fail(st, HP_ERR_NOMEM, "light cone: the count grids");
    goto fail;
  }
  for (int k = 0; k < K; k++)
    if (!(lc->counts[k] = hp_alloc(gb, "a count grid", st)) ||
        !(lc->counts2[k] = hp_alloc(gb, "a count grid", st)))
      goto fail;
  hp_sampler_desc sd = {lc->nv,
                        lc->box,
                        lc->np,
                        K,
                        lc->models[0].meta.bin_edges,
                        hp_mf_shape,
                        &lc->mf,
                        hp_run_count_mode(p),
                        hp_run_position_mode(p),
                        -1 /* real space: the cone's RSD is z_obs */,
                        0,
                        0,
                        threads,
                        &lc->models[0].meta.count,
                        lc->room,
                        0,
                        0,
                        0};
  if (hp_sampler_create(&lc->sampler, &sd, st)) goto fail;
  lc->bytes = hp_lpt_get_counters(lc->lpt).bytes + hp_cic_plan_workspace_bytes(lc->cic) +
              (4 + 2 * (size_t)K) * gb + 32 * (size_t)n3;
  for (int i = 0; i < lc->nmodels; i++) lc->bytes += hp_engine_host_bytes(lc->eng[i]);
  *out = lc;
  return HP_OK;
fail:
  hp_lightcone_destroy(lc);
  return st->code ? st->code : hp_fail(st, HP_ERR_INTERNAL, "light cone: plan failed");
}

/* The models painting redshift z and the weight of the second: D1-linear between brackets. */
static void bracket(const hp_lightcone *lc, double D, int *i0, int *i1, double *w) {
  const int n = lc->nmodels;
  *i0 = *i1 = 0, *w = 0;
  if (n == 1 || D >= lc->model_D[0]) return; /* D falls with z: at or before the first model */
  if (D <= lc->model_D[n - 1]) {
    *i0 = *i1 = n - 1;
    return;
  }
  int i = 0;
  while (i < n - 2 && D < lc->model_D[i + 1]) i++;
  *i0 = i, *i1 = i + 1;
  *w = (lc->model_D[i] - D) / (lc->model_D[i] - lc->model_D[i + 1]);
}

/* x = q + D1 psi1 + D2 psi2 and v = V1 psi1 + V2 psi2 from psi1 (the plan's displacement slots)
 * and psi2 (its velocity slots). */
static void shell_particles(hp_lightcone *lc, const hp_lpt_factors *f) {
  const int64_t n3 = lc->np * lc->np * lc->np;
  const float D1 = (float)f->D1, D2 = (float)f->D2, V1 = (float)f->V1, V2 = (float)f->V2;
  for (int a = 0; a < 3; a++) {
    const float *p1 = hp_lpt_displacement(lc->lpt, a), *p2 = hp_lpt_velocity(lc->lpt, a);
    float *x = lc->sx[a], *v = lc->sv[a];
#pragma omp parallel for schedule(static) num_threads(lc->threads)
    for (int64_t i = 0; i < n3; i++) {
      x[i] = D1 * p1[i] + D2 * p2[i];
      v[i] = V1 * p1[i] + V2 * p2[i];
    }
  }
}

/* Paint the shell's density with its models, the means interpolated into lc->counts; the
 * interpolated count distribution into *cd. */
static int paint(hp_lightcone *lc, double D, hp_count_dist *cd, hp_status *st) {
  int i0, i1;
  double w;
  bracket(lc, D, &i0, &i1, &w);
  const int K = lc->models[0].net.k_out;
  if (hp_engine_execute(lc->eng[i0], lc->rho, lc->counts, st)) return st->code;
  const hp_count_dist *c0 = &lc->models[i0].meta.count, *c1 = &lc->models[i1].meta.count;
  *cd = *c0;
  if (w > 0 && i1 != i0) {
    if (hp_engine_execute(lc->eng[i1], lc->rho, lc->counts2, st)) return st->code;
    const int64_t v3 = lc->nv * lc->nv * lc->nv;
    const float fw = (float)w;
    for (int k = 0; k < K; k++) {
      float *a = lc->counts[k];
      const float *b = lc->counts2[k];
#pragma omp parallel for schedule(static) num_threads(lc->threads)
      for (int64_t i = 0; i < v3; i++) a[i] += fw * (b[i] - a[i]);
    }
    /* Poisson is CMP with ln nu = 0: the dispersions interpolate as the means do */
    cd->kind =
        c0->kind == HP_COUNT_CMP || c1->kind == HP_COUNT_CMP ? HP_COUNT_CMP : HP_COUNT_POISSON;
    for (int k = 0; k < K; k++) {
      const double a0 = c0->kind == HP_COUNT_CMP ? c0->a[k] : 0,
                   b0 = c0->kind == HP_COUNT_CMP ? c0->b[k] : 0;
      const double a1 = c1->kind == HP_COUNT_CMP ? c1->a[k] : 0,
                   b1 = c1->kind == HP_COUNT_CMP ? c1->b[k] : 0;
      cd->a[k] = a0 + w * (a1 - a0), cd->b[k] = b0 + w * (b1 - b0);
    }
  }
  return HP_OK;
}

/* Painted mean halos per (Mpc/h)^3 of each bin: plane sums in parallel, added in order. */
static void mean_density(const hp_lightcone *lc, double *out) {
  const int K = lc->models[0].net.k_out;
  const int64_t nv = lc->nv, plane = nv * nv;
  double *ps = malloc(sizeof *ps * (size_t)nv);
  for (int k = 0; k < K; k++) {
    const float *c = lc->counts[k];
    double s = 0;
    if (ps) {
#pragma omp parallel for schedule(static) num_threads(lc->threads)
      for (int64_t i = 0; i < nv; i++) {
        double t = 0;
        for (int64_t j = 0; j < plane; j++) t += c[i * plane + j];
        ps[i] = t;
      }
      for (int64_t i = 0; i < nv; i++) s += ps[i];
    }
    out[k] = ps ? s / (lc->box * lc->box * lc->box) : NAN;
  }
  free(ps);
}

/* Every image of the box catalogue's halos inside shell s and the footprint, appended. */
static int cut(hp_lightcone *lc, int s, uint64_t key, const hp_catalog *cat, hp_cone *cone,
               int64_t id0, hp_status *st) {
  const double lo = lc->edges[s], hi = lc->edges[s + 1], L = lc->box;
  const long nim = hp_shell_images(L, lc->obs, lo, hi, lc->foot.kind == HP_FOOT_OCTANT, lc->images,
                                   lc->nimages_max + 1);
  for (long m = 0; m < nim; m++) {
    const double off[3] = {lc->images[m][0] * L - lc->obs[0], lc->images[m][1] * L - lc->obs[1],
                           lc->images[m][2] * L - lc->obs[2]};
    for (int64_t h = 0; h < cat->n; h++) {
      double d[3];
      for (int a = 0; a < 3; a++) d[a] = cat->pos[3 * h + a] + off[a];
      const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      if (r < lo || r >= hi || !(r > 0) || !hp_footprint_contains(&lc->foot, d)) continue;
      const double keep = keep_fraction(lc, cat->mass_bin[h], r, lo, hi);
      if (keep < 1 && !(hp_rng_uniform(hp_rng_at(key, (uint64_t)h, (uint64_t)m)) < keep)) continue;
      if (cone->n == cone->cap) {
        if ((double)(cone->n + 1) * HP_CONE_HALO_BYTES > lc->room && lc->room > 0)
          return hp_fail(st, HP_ERR_NOMEM,
                         "light cone: more than %lld halos (%.0f MB) do not fit the memory left "
                         "(MemoryLimit or the machine); planned for %.3g",
                         (long long)cone->n, cone->n * HP_CONE_HALO_BYTES / 1e6, lc->expected);
        if (hp_cone_reserve(cone, cone->n + 1, st)) return st->code;
      }
      const int64_t i = cone->n++;
      const float *v = cat->vel + 3 * h;
      const double vlos = (v[0] * d[0] + v[1] * d[1] + v[2] * d[2]) / r;
      hp_sky_angles(d, &cone->ra[i], &cone->dec[i]);
      cone->zcos[i] = hp_distance_z(&lc->dist, r);
      cone->zobs[i] = (1 + cone->zcos[i]) * (1 + vlos / HP_C_KMS) - 1;
      cone->dist[i] = (float)r;
      for (int a = 0; a < 3; a++) cone->pos[3 * i + a] = (float)d[a], cone->vel[3 * i + a] = v[a];
      cone->mass[i] = cat->mass[h];
      cone->mass_bin[i] = cat->mass_bin[h];
      cone->shell[i] = s;
      cone->id[i] = id0 + i;
    }
  }
  return HP_OK;
}

/* The header: geometry, shells, bins, cosmology. */
static void fill_header(const hp_lightcone *lc, uint64_t seed, hp_cone *cone) {
  hp_cone_header *h = &cone->hdr;
  const hp_params *p = lc->p;
  h->box = lc->box;
  memcpy(h->observer, lc->obs, sizeof h->observer);
  h->zmin = lc->zmin, h->zmax = lc->zmax;
  h->dmin = lc->edges[0], h->dmax = lc->edges[lc->nshells];
  h->omega_m = hp_params_real(p, "Omega0"), h->omega_l = hp_params_real(p, "OmegaLambda");
  h->omega_b = hp_params_real(p, "OmegaBaryon"), h->h = hp_params_real(p, "HubbleParam");
  h->sigma8 = hp_params_real(p, "Sigma8"), h->n_s = hp_params_real(p, "PrimordialIndex");
  h->seed = (int64_t)seed;
  snprintf(h->footprint, sizeof h->footprint, "%s", lc->foot.desc);
  h->sky_fraction = lc->foot.sky_fraction;
  snprintf(h->evolution, sizeof h->evolution, "%s", lc->snapshot ? "Snapshot" : "Shells");
  snprintf(h->mass_def, sizeof h->mass_def,
           "painted (model's training truth: see ModelProvenance)");
  snprintf(h->software, sizeof h->software, "%s", HP_SOFTWARE);
  h->replicas = lc->replicas;
  memcpy(h->shell_edges, lc->edges, sizeof *lc->edges * (size_t)(lc->nshells + 1));
  memcpy(h->shell_z, lc->zs, sizeof *lc->zs * (size_t)lc->nshells);
  memcpy(h->bin_edges, lc->models[0].meta.bin_edges, sizeof(double) * (size_t)(h->nbins + 1));
}

int hp_lightcone_seed(hp_lightcone *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *out,
                      hp_lightcone_times *t, hp_status *st) {
  const int K = lc->models[0].net.k_out;
  memset(t, 0, sizeof *t);
  if (hp_cone_init(cone, lc->nshells, K, st)) return st->code;
  fill_header(lc, seed, cone);
  hp_initial_desc id = lc->init;
  id.noise.seed = seed;
  double t0 = omp_get_wtime();
  /* psi1 into the displacement slots, psi2 into the velocity slots */
  const hp_lpt_factors split = {1.0, 0.0, 0.0, 1.0};
  if (hp_lpt_set_initial(lc->lpt, lc->cosmo, &id, &lc->field, st) ||
      hp_lpt_execute(lc->lpt, &split, st))
    return hp_error_context(st, "seed %llu: 2LPT", (unsigned long long)seed);
  t->lpt = omp_get_wtime() - t0;
  hp_catalog cat;
  memset(&cat, 0, sizeof cat);
  hp_status_clear(st);
  for (int s = 0; s < lc->nshells; s++) {
    const int fresh = !lc->snapshot || s == 0; /* Snapshot: one box for every shell */
    /* Snapshot: the seed of `run` (the same box, halo for halo); shells: a stream each */
    const uint64_t shell_seed = lc->snapshot ? seed : hp_mix64(seed ^ hp_mix64((uint64_t)s + 1));
    if (fresh) {
      hp_lpt_factors f;
      hp_growth g;
      const double a = 1 / (1 + lc->zs[s]);
      hp_catalog_free(&cat);
      if (hp_lpt_factors_at(lc->cosmo, a, &f, st) || hp_cosmo_growth(lc->cosmo, a, &g, st)) {
        hp_error_context(st, "shell %d", s);
        break;
      }
      t0 = omp_get_wtime();
      shell_particles(lc, &f);
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
      if (paint(lc, lc->snapshot ? lc->model_D[0] : g.D1, &cd, st)) {
        hp_error_context(st, "seed %llu, shell %d: painter", (unsigned long long)seed, s);
        break;
      }
      t->paint += omp_get_wtime() - t0;
      t0 = omp_get_wtime();
      lc->mf.z = lc->zs[s];
      hp_sampler_input in = {(const float *const *)lc->counts,
                             {lc->sx[0], lc->sx[1], lc->sx[2]},
                             {lc->vel[0], lc->vel[1], lc->vel[2]},
                             NULL,
                             NULL};
      hp_sampler_set_seed(lc->sampler, shell_seed);
      if (hp_sampler_retarget(lc->sampler, &cd, st) ||
          hp_sampler_execute(lc->sampler, &in, &cat, st)) {
        hp_error_context(st, "seed %llu, shell %d: sampler", (unsigned long long)seed, s);
        break;
      }
      t->sample += omp_get_wtime() - t0;
      mean_density(lc, cone->hdr.shell_density + (size_t)s * K);
    } else {
      memcpy(cone->hdr.shell_density + (size_t)s * K, cone->hdr.shell_density, sizeof(double) * K);
    }
    t0 = omp_get_wtime();
    thinning(lc, s);
    {
      double *near = cone->hdr.shell_density + (size_t)s * K,
             *far = cone->hdr.shell_density_far + (size_t)s * K;
      for (int k = 0; k < K; k++) far[k] = near[k] * lc->thin[(HP_LC_THIN_NODES - 1) * K + k];
    }
    const int64_t id0 = out ? hp_cone_writer_count(out) : 0;
    int rc = cut(lc, s, hp_rng_key(shell_seed, 0x7468696e /* "thin" */), &cat, cone, id0, st);
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
