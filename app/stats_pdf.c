/* `halopaint stats pdf`: the one-point distribution of halo counts per voxel (counts in cells)
 * of catalogues, and the one a model's count distribution expects from painted means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
#include "nn/model_io.h"
#include "plugin/version.h"

#define PDF_NMAX 16 /* rows N = 0 .. PDF_NMAX - 1, and a last row N >= PDF_NMAX */

/* Voxels of the n^3 mesh holding N halos of [lo, hi) (nearest grid point), N = 0..PDF_NMAX. */
static int histogram(const hp_catalog *c, int64_t n, double box, double lo, double hi, double *h,
                     hp_status *st) {
  const int64_t n3 = n * n * n;
  int32_t *cnt = calloc((size_t)n3, sizeof *cnt);
  if (!cnt) return hp_fail(st, HP_ERR_NOMEM, "pdf: %lld voxel counts", (long long)n3);
  for (int64_t i = 0; i < c->n; i++) {
    if (!(c->mass[i] >= lo && c->mass[i] < hi)) continue;
    int64_t v = 0;
    for (int a = 0; a < 3; a++) {
      int64_t j = (int64_t)floor(c->pos[3 * i + a] / box * (double)n) % n;
      v = v * n + (j < 0 ? j + n : j);
    }
    cnt[v]++;
  }
  for (int j = 0; j <= PDF_NMAX; j++) h[j] = 0;
  for (int64_t v = 0; v < n3; v++) h[cnt[v] < PDF_NMAX ? cnt[v] : PDF_NMAX] += 1;
  free(cnt);
  return HP_OK;
}

/* Two mass edges agree to 1e-5 (edges given with the 6 digits `model info` prints). */
static int same_edge(double a, double b) { return fabs(a - b) <= 1e-5 * fabs(b); }

/* A painted mean field must have been painted with the model's mass bins. */
static int check_bins(const hp_model *m, const char *model, const source *g, hp_status *st) {
  double e[HP_NET_MAX_K + 2];
  const int ne = hp_stats_grid_mass_edges(g->path, g->dataset, e, HP_NET_MAX_K + 2, NULL);
  int same = ne == m->meta.nbins + 1 && g->ncomp == m->meta.nbins;
  for (int i = 0; same && i < ne; i++) same = same_edge(e[i], m->meta.bin_edges[i]);
  if (same) return HP_OK;
  return hp_fail(st, HP_ERR_INPUT,
                 "pdf: %s:/%s (%d component(s), %d mass-bin edges recorded) was not painted "
                 "with the %d mass bins of --model %s",
                 g->path, g->dataset, g->ncomp, ne, m->meta.nbins, model);
}

/* The model whose count distribution the painted means of g follow, and its tables. */
static int load_model(const opts *o, const source *g, hp_model *m, hp_count_table **t,
                      hp_status *st) {
  if (!o->model)
    return hp_fail(st, HP_ERR_INPUT,
                   "pdf: %s:/%s is a painted mean field; the PDF expected from it needs the "
                   "model's count distribution: give --model FILE.h5",
                   g->path, g->dataset);
  if (hp_model_load(m, o->model, st)) return hp_error_context(st, "pdf: --model");
  if (check_bins(m, o->model, g, st) || hp_count_table_create(t, &m->meta.count, st)) {
    hp_model_free(m);
    return st->code;
  }
  return HP_OK;
}

/* The model bin that is sample [lo, hi): the same edges, or the only bin inside it. */
static int model_bin(const hp_model *m, const source *g, double lo, double hi, int *k,
                     hp_status *st) {
  const double *e = m->meta.bin_edges;
  for (*k = 0; *k < m->meta.nbins; (*k)++)
    if (same_edge(lo, e[*k]) && same_edge(hi, e[*k + 1])) return HP_OK;
  *k = 0;
  if (m->meta.nbins == 1 && lo <= e[0] && hi >= e[1]) return HP_OK;
  return hp_fail(st, HP_ERR_INPUT,
                 "pdf: %s: the sample %g <= M < %g Msun/h is none of the model's mass bins: give "
                 "--mass-bins with its edges",
                 g->path, lo, hi);
}

/* Expected voxels with N halos of model bin k: the painted means of its component. */
static int expected_histogram(const source *g, const hp_count_table *t, int k, int nthreads,
                              double *h, hp_status *st) {
  float *mu = NULL;
  int64_t n;
  double box = g->box;
  if (hp_stats_grid_read(g->path, g->dataset, g->ncomp > 1 ? k : -1, &mu, &n, &box, NULL, st))
    return st->code;
  for (int64_t v = 0; v < n * n * n; v++)
    if (!(mu[v] >= 0 && isfinite(mu[v]))) {
      const double bad = mu[v];
      hp_free(mu);
      return hp_fail(st, HP_ERR_INPUT,
                     "pdf: %s:/%s component %d, voxel %lld holds %g: painted means are finite "
                     "and >= 0",
                     g->path, g->dataset, k, (long long)v, bad);
    }
  const int rc = hp_count_expected_cells(t, k, mu, n * n * n, PDF_NMAX, h, nthreads, st);
  hp_free(mu);
  return rc;
}

int stats_cmd_pdf(const opts *o, hp_status *st) {
  if (o->ninputs < 1)
    return hp_fail(st, HP_ERR_INPUT,
                   "pdf takes one or more catalogues (or painted mean fields with --model)");
  source s[MAX_INPUTS];
  memset(s, 0, sizeof s);
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = HP_OK;
  hp_model model;
  hp_count_table *table = NULL; /* set once a painted mean field's model is loaded */
  for (int i = 0; i < o->ninputs && !rc; i++) {
    rc = stats_source_load(&s[i], o->inputs[i], i < 2 ? i : ROLE_ANY, o, st);
    const int mean = !rc && s[i].kind == SRC_GRID && s[i].gkind == HP_GRID_MEAN;
    if (mean)
      rc = table ? check_bins(&model, o->model, &s[i], st)
                 : load_model(o, &s[i], &model, &table, st);
    else if (!rc && s[i].kind != SRC_CAT)
      rc = hp_fail(st, HP_ERR_INPUT,
                   "pdf: %s is neither a halo catalogue nor a painted mean field (a grid of "
                   "kind mean)",
                   s[i].path);
  }
  source *sp[MAX_INPUTS];
  for (int i = 0; i < o->ninputs; i++) sp[i] = &s[i];
  if (!rc) rc = stats_source_geometry(sp, o->ninputs, o, &n, &box, st);
  const int ns = stats_nsamples(o, 1), ncol = ns * o->ninputs;
  double *h = calloc((size_t)ncol * (PDF_NMAX + 1), sizeof *h);
  if (!rc && !h) rc = hp_fail(st, HP_ERR_NOMEM, "pdf: histograms");
  for (int i = 0; i < o->ninputs && !rc; i++)
    for (int j = 0; j < ns && !rc; j++) {
      double lo, hi;
      stats_sample_range(o, j, &lo, &hi);
      double *hj = h + (i * ns + j) * (PDF_NMAX + 1);
      int k;
      if (s[i].kind == SRC_CAT)
        rc = histogram(&s[i].cat, n, box, lo, hi, hj, st);
      else if (!(rc = model_bin(&model, &s[i], lo, hi, &k, st)))
        rc = expected_histogram(&s[i], table, k, o->nthreads, hj, st);
    }
  if (!rc) {
    cols c = {.n = 0};
    stats_col(&c, "N[1]");
    for (int i = 0; i < o->ninputs; i++)
      for (int j = 0; j < ns; j++) {
        char sf[32] = "";
        if (o->ninputs > 1 || ns > 1) snprintf(sf, sizeof sf, "_%d_m%d", i, j);
        stats_col(&c, "voxels%s[1]", sf);
        stats_col(&c, "P%s[1]", sf);
      }
    rc = hp_stats_table_init(&t, c.n, c.ptr, PDF_NMAX + 1, st);
    hp_stats_table_comment(&t, st, "%s", o->cmdline);
    hp_stats_table_comment(&t, st, "%s", HP_SOFTWARE);
    hp_stats_table_comment(&t, st,
                           "counts in cells: halos per voxel of a %lld^3 mesh (%.6g Mpc/h voxels, "
                           "nearest grid point); P = voxels / %lld; the last row is N >= %d",
                           (long long)n, box / (double)n, (long long)(n * n * n), PDF_NMAX);
    for (int i = 0; i < o->ninputs; i++) {
      char role[32];
      snprintf(role, sizeof role, "%s %d", s[i].kind == SRC_CAT ? "catalogue" : "input", i);
      stats_describe_source(&t, &s[i], role, st);
      if (s[i].kind == SRC_GRID)
        hp_stats_table_comment(&t, st,
                               "input %d: voxels expected with N halos, sum over voxels of "
                               "P(N | painted mean) under the %s count distribution of %s (the "
                               "one-point PDF the sampler draws from, without a draw's noise)",
                               i, hp_count_kind_name(model.meta.count.kind), o->model);
    }
    for (int j = 0; j < ns; j++) {
      double lo, hi;
      stats_sample_range(o, j, &lo, &hi);
      hp_stats_table_comment(&t, st, "sample m%d: %g <= M < %g Msun/h", j, lo, hi);
    }
    const double n3 = (double)(n * n * n);
    for (int r = 0; r <= PDF_NMAX; r++) {
      int k = 0;
      HP_TABLE_AT(&t, r, k++) = r;
      for (int q = 0; q < ncol; q++) {
        HP_TABLE_AT(&t, r, k++) = h[q * (PDF_NMAX + 1) + r];
        HP_TABLE_AT(&t, r, k++) = h[q * (PDF_NMAX + 1) + r] / n3;
      }
    }
    if (!rc) rc = stats_emit(&t, o, st);
  }
  free(h);
  if (table) {
    hp_count_table_destroy(table);
    hp_model_free(&model);
  }
  for (int i = 0; i < o->ninputs; i++) stats_source_free(&s[i]);
  hp_stats_table_free(&t);
  return rc;
}
