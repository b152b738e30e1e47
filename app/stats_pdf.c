/* `halopaint stats pdf`: the one-point distribution of halo counts per voxel (counts in cells). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
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

int stats_cmd_pdf(const opts *o, hp_status *st) {
  if (o->ninputs < 1) return hp_fail(st, HP_ERR_INPUT, "pdf takes one or more catalogues");
  source s[MAX_INPUTS];
  memset(s, 0, sizeof s);
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = HP_OK;
  for (int i = 0; i < o->ninputs && !rc; i++) {
    rc = stats_source_load(&s[i], o->inputs[i], i < 2 ? i : ROLE_ANY, o, st);
    if (!rc && s[i].kind != SRC_CAT)
      rc = hp_fail(st, HP_ERR_INPUT, "pdf: %s is not a halo catalogue", s[i].path);
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
      rc = histogram(&s[i].cat, n, box, lo, hi, h + (i * ns + j) * (PDF_NMAX + 1), st);
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
      snprintf(role, sizeof role, "catalogue %d", i);
      stats_describe_source(&t, &s[i], role, st);
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
  for (int i = 0; i < o->ninputs; i++) stats_source_free(&s[i]);
  hp_stats_table_free(&t);
  return rc;
}
