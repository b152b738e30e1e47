/* `halopaint stats`: HDF5 grid inputs: which dataset and kind each input's role reads, the
 * check that a point set's counts are whole numbers, and the words that describe a grid. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/stats_cli.h"

static const char *kind_opt[NROLES] = {"--a-kind", "--b-kind", "--baseline-kind", "--kind"};

const char *stats_grid_dataset(const char *path, int role, const opts *o) {
  if (o->rdataset[role]) return o->rdataset[role];
  /* the baseline is a 2LPT density: in `paint`'s and `mesh`'s own layout beside counts grids */
  if (role == ROLE_BASELINE && !hp_stats_grid_probe(path, o->dataset) &&
      hp_stats_grid_probe(path, "density"))
    return "density";
  return o->dataset;
}

const char *stats_grid_kind_name(int kind) {
  static const char *names[4] = {"density", "contrast", "counts", "mean"};
  return kind >= 0 && kind < 4 ? names[kind] : "?";
}

/* The first voxel that is not a whole number >= 0, or -1. */
static int64_t not_whole(const float *g, int64_t n3) {
  for (int64_t i = 0; i < n3; i++)
    if (!(g[i] >= 0.0f) || g[i] != floorf(g[i])) return i;
  return -1;
}

int stats_grid_load(source *s, const char *path, const char *dataset, int role, const opts *o,
                    hp_status *st) {
  s->kind = SRC_GRID;
  s->box = o->box;
  s->dataset = dataset;
  s->component = o->component;
  if (hp_stats_grid_read(path, dataset, o->component, &s->grid, &s->n, &s->box, &s->ncomp, st))
    return st->code;
  const int64_t bad = not_whole(s->grid, s->n * s->n * s->n);
  const int kind = o->rkind[role] >= 0 ? o->rkind[role] : o->kind;
  if (kind < 0) /* counts of a point set are whole numbers; painted means are not */
    s->gkind = strcmp(dataset, "counts") ? HP_GRID_DENSITY
               : bad < 0                 ? HP_GRID_COUNTS
                                         : HP_GRID_MEAN;
  else
    s->gkind = kind;
  if (s->gkind == HP_GRID_COUNTS && bad >= 0)
    return hp_fail(st, HP_ERR_INPUT,
                   "%s:/%s: kind counts (%s) is a point set, whose counts are whole numbers, but "
                   "voxel %lld holds %g; a grid of expected counts (a painted mean field) has no "
                   "shot noise: give %s mean",
                   path, dataset, o->rkind[role] >= 0 ? kind_opt[role] : "--kind", (long long)bad,
                   (double)s->grid[bad], role == ROLE_ANY ? "--kind" : kind_opt[role]);
  s->nmedges = hp_stats_grid_mass_edges(path, dataset, s->medges, MAX_MASS_BINS + 1, &s->medges_at);
  if (s->nmedges != s->ncomp + 1 || s->ncomp < 2) s->nmedges = 0; /* not one bin a component */
  char sel[256];
  stats_grid_selection(s, sel, sizeof sel);
  stats_note("%s:/%s: %lld^3 grid, BoxSize %g Mpc/h, kind %s%s%s", path, dataset, (long long)s->n,
             s->box, stats_grid_kind_name(s->gkind), *sel ? ", " : "", sel);
  return HP_OK;
}

void stats_grid_selection(const source *s, char *buf, size_t n) {
  *buf = '\0';
  if (s->ncomp < 2) return;
  const int k = s->component, lo = k < 0 ? 0 : k, hi = k < 0 ? s->ncomp : k + 1;
  const size_t at = k < 0 ? (size_t)snprintf(buf, n, "the sum of its %d components", s->ncomp)
                          : (size_t)snprintf(buf, n, "grid component %d of %d", k, s->ncomp);
  if (s->nmedges && at < n)
    snprintf(buf + at, n - at, ": %.4g <= M < %.4g Msun/h (%s)", s->medges[lo], s->medges[hi],
             s->medges_at);
}
