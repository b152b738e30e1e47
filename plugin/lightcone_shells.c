/* A light cone apart from its fields (see lightcone_shells.h and docs/lightcone.md). */
#include "plugin/lightcone_shells.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/count_runs.h"
#include "params/resolve.h"
#include "plugin/run.h"
#include "plugin/version.h"
#include "util/rng.h"
#include "util/sha256.h"

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
static int load_models(hp_lc_shells *sh, hp_status *st) {
  const hp_params *p = sh->p;
  const int expert = hp_params_bool(p, "AllowModelMismatch");
  const char *list =
      sh->snapshot ? hp_params_string(p, "ModelFile") : hp_params_string(p, "LightconeModelFiles");
  const char *key = sh->snapshot ? "ModelFile" : "LightconeModelFiles";
  const char *c = list;
  while (*c) {
    char path[4096];
    const size_t len = strcspn(c, ",");
    if (len == 0 || len >= sizeof path || sh->nmodels == HP_LC_MAX_MODELS)
      return hp_fail(st, HP_ERR_INPUT, "%s = %s: expected 1 to %d model files, comma-separated",
                     key, list, HP_LC_MAX_MODELS);
    memcpy(path, c, len);
    path[len] = '\0';
    c += len + (c[len] == ',');
    hp_model *m = &sh->models[sh->nmodels];
    if (hp_model_load(m, path, st)) return hp_error_context(st, "%s: %s", key, path);
    memcpy(sh->paths[sh->nmodels], path, len + 1);
    sh->nmodels++;
    char diff[2048];
    const double z = sh->snapshot ? hp_params_real(p, "Redshift") : m->meta.redshift;
    if (hp_run_model_mismatch_at(p, &m->meta, z, diff, sizeof diff) && !expert)
      return hp_fail(st, HP_ERR_INPUT,
                     "the parameters do not match what the model %s was trained for:\n%s"
                     "(set AllowModelMismatch 1 to run anyway, at your own risk)",
                     path, diff);
    const hp_model_meta *m0 = &sh->models[0].meta;
    int same = m->meta.nbins == m0->nbins;
    for (int k = 0; same && k <= m0->nbins; k++)
      same = fabs(m->meta.bin_edges[k] / m0->bin_edges[k] - 1) < 1e-6;
    if (!same)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s: the model %s has other mass bins than the first: models interpolated "
                     "in redshift must share their bins",
                     key, path);
  }
  if (sh->nmodels == 0) return hp_fail(st, HP_ERR_INPUT, "%s is empty: no model", key);
  /* insertion sort by redshift (a handful of models) */
  for (int i = 1; i < sh->nmodels; i++)
    for (int j = i; j > 0 && sh->models[j].meta.redshift < sh->models[j - 1].meta.redshift; j--) {
      hp_model t = sh->models[j];
      sh->models[j] = sh->models[j - 1];
      sh->models[j - 1] = t;
      char pt[4096];
      memcpy(pt, sh->paths[j], sizeof pt);
      memcpy(sh->paths[j], sh->paths[j - 1], sizeof pt);
      memcpy(sh->paths[j - 1], pt, sizeof pt);
    }
  for (int i = 1; i < sh->nmodels; i++)
    if (sh->models[i].meta.redshift - sh->models[i - 1].meta.redshift < 1e-3)
      return hp_fail(st, HP_ERR_INPUT, "%s: two models for redshift %g", key,
                     sh->models[i].meta.redshift);
  const double zlo = sh->models[0].meta.redshift, zhi = sh->models[sh->nmodels - 1].meta.redshift;
  if (!sh->snapshot && !expert && (sh->zmin < zlo - HP_LC_Z_TOL || sh->zmax > zhi + HP_LC_Z_TOL))
    return hp_fail(st, HP_ERR_INPUT,
                   "the cone spans z = %g to %g but the models (%s) cover z = %g to %g: add "
                   "models for the missing redshifts, or set AllowModelMismatch 1 to paint "
                   "beyond them with the nearest",
                   sh->zmin, sh->zmax, list, zlo, zhi);
  size_t used = 0;
  for (int i = 0; i < sh->nmodels; i++) {
    char sha[65];
    if (hp_sha256_file(sh->paths[i], sha, st)) return st->code;
    used += (size_t)snprintf(sh->models_text + used, sizeof sh->models_text - used,
                             "%sz = %g: %.80s (sha256 %.16s)", i ? "; " : "",
                             sh->models[i].meta.redshift, sh->paths[i], sha);
    if (used >= sizeof sh->models_text) used = sizeof sh->models_text - 1;
  }
  for (int i = 0; i < sh->nmodels; i++) {
    hp_growth g;
    if (hp_cosmo_growth(sh->cosmo, 1 / (1 + sh->models[i].meta.redshift), &g, st)) return st->code;
    sh->model_D[i] = g.D1;
  }
  return HP_OK;
}

/* Shell edges of (nearly) LightconeShellWidth between the distances of zmin and zmax, and the
 * redshift of each shell's particles: its near edge, the thinning across it following the
 * abundance's evolution (Snapshot: Redshift for every shell). */
static int lay_out_shells(hp_lc_shells *sh, hp_status *st) {
  const double d0 = hp_distance_chi(&sh->dist, sh->zmin), d1 = hp_distance_chi(&sh->dist, sh->zmax);
  const double w = hp_params_real(sh->p, "LightconeShellWidth");
  const double n = ceil((d1 - d0) / w - 1e-9);
  if (n > 100000)
    return hp_fail(st, HP_ERR_INPUT,
                   "LightconeShellWidth = %g Mpc/h makes %.0f shells (at most 100000)", w, n);
  sh->nshells = n < 1 ? 1 : (int)n;
  sh->edges = malloc(sizeof *sh->edges * (size_t)(sh->nshells + 1));
  sh->zs = malloc(sizeof *sh->zs * (size_t)sh->nshells);
  if (!sh->edges || !sh->zs) return hp_fail(st, HP_ERR_NOMEM, "light cone: shells");
  for (int s = 0; s <= sh->nshells; s++) sh->edges[s] = d0 + (d1 - d0) * s / sh->nshells;
  for (int s = 0; s < sh->nshells; s++)
    sh->zs[s] =
        sh->snapshot ? hp_params_real(sh->p, "Redshift") : hp_distance_z(&sh->dist, sh->edges[s]);
  /* the images of the box the cone needs, and room for the largest shell's list */
  sh->replicas = 0;
  for (int s = 0; s < sh->nshells; s++) {
    const long n_im = hp_shell_images(sh->box, sh->obs, sh->edges[s], sh->edges[s + 1],
                                      sh->foot.kind == HP_FOOT_OCTANT, NULL, 0);
    if (n_im > sh->nimages_max) sh->nimages_max = n_im;
  }
  const double r = d1 + sh->box;
  sh->replicas = (int)ceil(r / sh->box);
  if (!(sh->images = malloc(sizeof *sh->images * (size_t)(sh->nimages_max + 1))))
    return hp_fail(st, HP_ERR_NOMEM, "light cone: %ld box images", sh->nimages_max);
  return HP_OK;
}

/* Halos per (Mpc/h)^3 of mass bin k at redshift z: Tinker et al. (2008), midpoint in ln M. */
static double bin_abundance(hp_lc_shells *sh, int k, double z) {
  const hp_model_meta *m = &sh->models[0].meta;
  const double a = log(m->bin_edges[k]), b = log(m->bin_edges[k + 1]);
  double n = 0;
  sh->mf.z = z;
  for (int i = 0; i < 64; i++) {
    const double f = hp_mf_shape(&sh->mf, exp(a + (b - a) * (i + 0.5) / 64));
    if (isfinite(f)) n += f * (b - a) / 64;
  }
  return n;
}

/* Halos the cone should hold (the abundance at each shell's painted redshift over its volume),
 * and those of its richest shell into *most. */
static double expected_halos(hp_lc_shells *sh, double *most) {
  double total = 0;
  *most = 0;
  for (int s = 0; s < sh->nshells; s++) {
    const double v =
        sh->foot.sky_fraction * 4 * M_PI / 3 * (pow(sh->edges[s + 1], 3) - pow(sh->edges[s], 3));
    double n = 0;
    for (int k = 0; k < sh->models[0].meta.nbins; k++) n += bin_abundance(sh, k, sh->zs[s]) * v;
    total += n;
    if (n > *most) *most = n;
  }
  return total;
}

/* The thinning of shell s: the fraction of the near edge's abundance that remains at each node
 * across the shell, n_k(z(r)) / n_k(z_near) (at most 1: these abundances fall with z). A shell
 * then follows the abundance's evolution inside it instead of stepping at its edges. */
static void thinning(hp_lc_shells *sh, int s) {
  const int K = sh->models[0].meta.nbins;
  double n0[HP_NET_MAX_K];
  for (int k = 0; k < K; k++) n0[k] = bin_abundance(sh, k, sh->zs[s]);
  for (int j = 0; j < HP_LC_THIN_NODES; j++) {
    const double r = sh->edges[s] + (sh->edges[s + 1] - sh->edges[s]) * j / (HP_LC_THIN_NODES - 1);
    const double z = hp_distance_z(&sh->dist, r);
    for (int k = 0; k < K; k++) {
      const double f = sh->snapshot || !(n0[k] > 0) ? 1 : bin_abundance(sh, k, z) / n0[k];
      sh->thin[j * K + k] = f > 1 ? 1 : f < 0 ? 0 : f;
    }
  }
  sh->mf.z = sh->zs[s];
}

/* The thinning's keep-probability of bin k at distance r in shell [lo, hi). */
static double keep_fraction(const hp_lc_shells *sh, int k, double r, double lo, double hi) {
  const int K = sh->models[0].meta.nbins;
  double t = (r - lo) / (hi - lo) * (HP_LC_THIN_NODES - 1);
  t = t < 0 ? 0 : t > HP_LC_THIN_NODES - 1 ? HP_LC_THIN_NODES - 1 : t;
  const int j = t >= HP_LC_THIN_NODES - 1 ? HP_LC_THIN_NODES - 2 : (int)t;
  return sh->thin[j * K + k] + (t - j) * (sh->thin[(j + 1) * K + k] - sh->thin[j * K + k]);
}
int hp_lc_shells_create(hp_lc_shells *sh, const hp_params *p, hp_status *st) {
  memset(sh, 0, sizeof *sh);
  sh->p = p;
  sh->box = hp_params_real(p, "BoxSize");
  sh->zmin = hp_params_real(p, "LightconeZMin");
  sh->zmax = hp_params_real(p, "LightconeZMax");
  sh->snapshot = !strcmp(hp_params_string(p, "LightconeEvolution"), "Snapshot");
  hp_cosmo_desc cd;
  hp_resolve_cosmology(p, &cd);
  if (!(sh->zmax > sh->zmin))
    return hp_fail(st, HP_ERR_INPUT, "LightconeZMin = %g, LightconeZMax = %g: expected ZMin < ZMax",
                   sh->zmin, sh->zmax);
  if (parse_observer(hp_params_string(p, "LightconeObserver"), sh->box, sh->obs, st) ||
      hp_footprint_create(&sh->foot, hp_params_string(p, "LightconeFootprint"), st) ||
      hp_cosmology_create(&sh->cosmo, &cd, st) ||
      hp_distance_table_create(&sh->dist, cd.omega_m, cd.omega_l, sh->zmax, st) ||
      hp_massfunc_create(&sh->mf.mf, sh->cosmo, st) || load_models(sh, st) ||
      lay_out_shells(sh, st))
    return st->code;
  sh->expected = expected_halos(sh, &sh->shell_most);
  return HP_OK;
}

void hp_lc_shells_free(hp_lc_shells *sh) {
  for (int i = 0; i < sh->nmodels; i++) hp_model_free(&sh->models[i]);
  hp_cosmology_free(sh->cosmo);
  hp_massfunc_free(sh->mf.mf);
  hp_distance_table_free(&sh->dist);
  hp_footprint_free(&sh->foot);
  free(sh->edges), free(sh->zs), free(sh->images);
  memset(sh, 0, sizeof *sh);
}

void hp_lc_bracket(const hp_lc_shells *sh, double D, int *i0, int *i1, double *w) {
  const int n = sh->nmodels;
  *i0 = *i1 = 0, *w = 0;
  if (n == 1 || D >= sh->model_D[0]) return; /* D falls with z: at or before the first model */
  if (D <= sh->model_D[n - 1]) {
    *i0 = *i1 = n - 1;
    return;
  }
  int i = 0;
  while (i < n - 2 && D < sh->model_D[i + 1]) i++;
  *i0 = i, *i1 = i + 1;
  *w = (sh->model_D[i] - D) / (sh->model_D[i] - sh->model_D[i + 1]);
}

int hp_lc_runs_any(const hp_lc_shells *sh) {
  int any = 0;
  for (int i = 0; i < sh->nmodels; i++) any |= hp_count_runs_any(&sh->models[i].meta.count);
  return any;
}

void hp_lc_count_dist(const hp_lc_shells *sh, int i0, int i1, double w, hp_count_dist *cd) {
  const hp_count_dist *c0 = &sh->models[i0].meta.count, *c1 = &sh->models[i1].meta.count;
  *cd = *c0;
  if (!(w > 0) || i1 == i0) return;
  /* Poisson is CMP with ln nu = 0 and CMP is cmp-step with kappa = 0: the more general law
   * of the two (the kinds' order), its parameters interpolated as the means are */
  cd->kind = c0->kind > c1->kind ? c0->kind : c1->kind;
  for (int k = 0; k < sh->models[0].net.k_out; k++) {
    const double a0 = hp_count_is_cmp(c0->kind) ? c0->a[k] : 0,
                 b0 = hp_count_is_cmp(c0->kind) ? c0->b[k] : 0;
    const double a1 = hp_count_is_cmp(c1->kind) ? c1->a[k] : 0,
                 b1 = hp_count_is_cmp(c1->kind) ? c1->b[k] : 0;
    const double s0 = hp_count_step(c0, k), s1 = hp_count_step(c1, k);
    cd->a[k] = a0 + w * (a1 - a0), cd->b[k] = b0 + w * (b1 - b0);
    cd->step[k] = s0 + w * (s1 - s0);
    cd->run[k] = c0->run[k] + w * (c1->run[k] - c0->run[k]); /* exclusion as the means */
  }
}

void hp_lc_blend(float *const *a, const float *const *b, int K, int64_t n, double w, int threads) {
  const float fw = (float)w;
  for (int k = 0; k < K; k++) {
    float *ak = a[k];
    const float *bk = b[k];
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++) ak[i] += fw * (bk[i] - ak[i]);
  }
}

void hp_lc_shell_particles(const float *const psi1[3], const float *const psi2[3], int64_t n,
                           const hp_lpt_factors *f, float *const x[3], float *const v[3],
                           int threads) {
  const float D1 = (float)f->D1, D2 = (float)f->D2, V1 = (float)f->V1, V2 = (float)f->V2;
  for (int a = 0; a < 3; a++) {
    const float *p1 = psi1[a], *p2 = psi2[a];
    float *xa = x[a], *va = v[a];
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++) {
      xa[i] = D1 * p1[i] + D2 * p2[i];
      va[i] = V1 * p1[i] + V2 * p2[i];
    }
  }
}

void hp_lc_plane_sums(const float *const *counts, int K, int64_t nplanes, int64_t plane, double *ps,
                      int threads) {
  for (int k = 0; k < K; k++) {
    const float *c = counts[k];
    double *out = ps + k * nplanes;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < nplanes; i++) {
      double t = 0;
      for (int64_t j = 0; j < plane; j++) t += c[i * plane + j];
      out[i] = t;
    }
  }
}

void hp_lc_mean_density(const hp_lc_shells *sh, const double *ps, int K, int64_t nv, double *out) {
  for (int k = 0; k < K; k++) {
    double s = 0;
    for (int64_t i = 0; i < nv; i++) s += ps[k * nv + i];
    out[k] = s / (sh->box * sh->box * sh->box);
  }
}

uint64_t hp_lc_shell_seed(const hp_lc_shells *sh, uint64_t seed, int s) {
  return sh->snapshot ? seed : hp_mix64(seed ^ hp_mix64((uint64_t)s + 1));
}

void hp_lc_thinning(hp_lc_shells *sh, int s, const double *near, double *far) {
  const int K = sh->models[0].net.k_out;
  thinning(sh, s);
  for (int k = 0; k < K; k++) far[k] = near[k] * sh->thin[(HP_LC_THIN_NODES - 1) * K + k];
}

long hp_lc_images(hp_lc_shells *sh, int s) {
  return hp_shell_images(sh->box, sh->obs, sh->edges[s], sh->edges[s + 1],
                         sh->foot.kind == HP_FOOT_OCTANT, sh->images, sh->nimages_max + 1);
}

int hp_lc_cut(hp_lc_shells *sh, int s, long m, uint64_t shell_seed, const hp_catalog *cat,
              int64_t h0, hp_cone *cone, int64_t id0, hp_status *st) {
  const double lo = sh->edges[s], hi = sh->edges[s + 1], L = sh->box;
  const uint64_t key = hp_rng_key(shell_seed, 0x7468696e /* "thin" */);
  const double off[3] = {sh->images[m][0] * L - sh->obs[0], sh->images[m][1] * L - sh->obs[1],
                         sh->images[m][2] * L - sh->obs[2]};
  for (int64_t h = 0; h < cat->n; h++) {
    double d[3];
    for (int a = 0; a < 3; a++) d[a] = cat->pos[3 * h + a] + off[a];
    const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if (r < lo || r >= hi || !(r > 0) || !hp_footprint_contains(&sh->foot, d)) continue;
    const double keep = keep_fraction(sh, cat->mass_bin[h], r, lo, hi);
    if (keep < 1 && !(hp_rng_uniform(hp_rng_at(key, (uint64_t)(h0 + h), (uint64_t)m)) < keep))
      continue;
    if (cone->n == cone->cap) {
      if ((double)(cone->n + 1) * HP_CONE_HALO_BYTES > sh->room && sh->room > 0)
        return hp_fail(st, HP_ERR_NOMEM,
                       "light cone: more than %lld halos (%.0f MB) do not fit the memory left "
                       "(MemoryLimit or the machine); planned for %.3g",
                       (long long)cone->n, cone->n * HP_CONE_HALO_BYTES / 1e6, sh->expected);
      if (hp_cone_reserve(cone, cone->n + 1, st)) return st->code;
    }
    const int64_t i = cone->n++;
    const float *v = cat->vel + 3 * h;
    const double vlos = (v[0] * d[0] + v[1] * d[1] + v[2] * d[2]) / r;
    hp_sky_angles(d, &cone->ra[i], &cone->dec[i]);
    cone->zcos[i] = hp_distance_z(&sh->dist, r);
    cone->zobs[i] = (1 + cone->zcos[i]) * (1 + vlos / HP_C_KMS) - 1;
    cone->dist[i] = (float)r;
    for (int a = 0; a < 3; a++) cone->pos[3 * i + a] = (float)d[a], cone->vel[3 * i + a] = v[a];
    cone->mass[i] = cat->mass[h];
    cone->mass_bin[i] = cat->mass_bin[h];
    cone->shell[i] = s;
    cone->id[i] = id0 + i;
  }
  return HP_OK;
}

void hp_lc_fill_header(const hp_lc_shells *sh, uint64_t seed, hp_cone *cone) {
  hp_cone_header *h = &cone->hdr;
  const hp_params *p = sh->p;
  h->box = sh->box;
  memcpy(h->observer, sh->obs, sizeof h->observer);
  h->zmin = sh->zmin, h->zmax = sh->zmax;
  h->dmin = sh->edges[0], h->dmax = sh->edges[sh->nshells];
  h->omega_m = hp_params_real(p, "Omega0"), h->omega_l = hp_params_real(p, "OmegaLambda");
  h->omega_b = hp_params_real(p, "OmegaBaryon"), h->h = hp_params_real(p, "HubbleParam");
  h->sigma8 = hp_params_real(p, "Sigma8"), h->n_s = hp_params_real(p, "PrimordialIndex");
  h->seed = (int64_t)seed;
  snprintf(h->footprint, sizeof h->footprint, "%s", sh->foot.desc);
  h->sky_fraction = sh->foot.sky_fraction;
  snprintf(h->evolution, sizeof h->evolution, "%s", sh->snapshot ? "Snapshot" : "Shells");
  snprintf(h->mass_def, sizeof h->mass_def,
           "painted (model's training truth: see ModelProvenance)");
  snprintf(h->software, sizeof h->software, "%s", HP_SOFTWARE);
  h->replicas = sh->replicas;
  memcpy(h->shell_edges, sh->edges, sizeof *sh->edges * (size_t)(sh->nshells + 1));
  memcpy(h->shell_z, sh->zs, sizeof *sh->zs * (size_t)sh->nshells);
  memcpy(h->bin_edges, sh->models[0].meta.bin_edges, sizeof(double) * (size_t)(h->nbins + 1));
}
