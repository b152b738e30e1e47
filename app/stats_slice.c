/* `halopaint stats slice` and `mesh`: projected slabs, of one input or of two side by side
 * (the paper's Fig. 8: truth and painted; PNG or SVG), and density meshes (HDF5). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"

/* The last part of a path, shortened from the left to fit a panel title. */
static void panel_name(char *buf, size_t n, const char *role, const char *path) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  const size_t len = strlen(b), keep = 52;
  snprintf(buf, n, "%s%s%s", role, len > keep ? "..." : "", len > keep ? b + len - keep : b);
}

/* The slab of input s: its density on the mesh, projected; the table's or figure's part. */
static int slab_of(source *s, const opts *o, hp_stats_mesh *mesh, int64_t n, int64_t c0, int64_t nc,
                   double *slab, hp_status *st) {
  float *g = hp_alloc((size_t)(n * n * n) * sizeof *g, "the density mesh", st);
  if (!g) return st->code;
  int rc = stats_source_density(s, o, mesh, g, st);
  if (!rc) rc = hp_fig_project(g, n, o->axis, c0, nc, slab, st);
  hp_free(g);
  return rc;
}

static int write_mesh(source *s, const opts *o, hp_stats_mesh *mesh, int64_t n, double box,
                      hp_status *st) {
  float *g = hp_alloc((size_t)(n * n * n) * sizeof *g, "the density mesh", st);
  if (!g) return st->code;
  int rc = stats_source_density(s, o, mesh, g, st);
  hp_kv_list kv = s->par ? hp_params_kv(s->par) : (hp_kv_list){0, NULL, NULL};
  if (!rc)
    rc = hp_stats_grid_write(o->out, "density", g, n, box, "density", s->par ? &kv : NULL, st);
  if (!rc) stats_note("wrote %s:/density (%lld^3, rho/rho_mean)", o->out, (long long)n);
  hp_free(g);
  return rc;
}

int stats_cmd_slice_mesh(const opts *o, int is_slice, hp_status *st) {
  const int ns = o->ninputs;
  if (!is_slice && ns != 1) return hp_fail(st, HP_ERR_INPUT, "mesh takes one INPUT");
  if (is_slice && (ns < 1 || ns > 2))
    return hp_fail(st, HP_ERR_INPUT, "slice takes A [B]: one input, or two side by side");
  if (!is_slice && !o->out) return hp_fail(st, HP_ERR_INPUT, "mesh needs -o OUT.h5");
  if (is_slice && !o->out && !o->plot)
    return hp_fail(st, HP_ERR_INPUT, "slice needs --plot FILE (.png or .svg) and/or -o TABLE");
  source s[2];
  memset(s, 0, sizeof s);
  source *all[2] = {&s[0], &s[1]};
  hp_stats_mesh *mesh = NULL;
  double *slab[2] = {NULL, NULL};
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = HP_OK;
  for (int i = 0; i < ns && !rc; i++) rc = stats_source_load(&s[i], o->inputs[i], i, o, st);
  if (!rc) rc = stats_source_geometry(all, ns, o, &n, &box, st);
  if (!rc) rc = stats_mesh_for(o, n, box, &mesh, st);
  if (!rc && !is_slice) rc = write_mesh(&s[0], o, mesh, n, box, st);
  const double h = box / (double)n;
  const double thick = isfinite(o->thickness) ? o->thickness : fmax(h, 0.05 * box);
  const int64_t c0 = (int64_t)floor(o->position / h), nc = (int64_t)fmax(1, floor(thick / h + 0.5));
  for (int i = 0; is_slice && i < ns && !rc; i++) {
    if (!(slab[i] = malloc(sizeof(double) * (size_t)(n * n))))
      rc = hp_fail(st, HP_ERR_NOMEM, "slice");
    else
      rc = slab_of(&s[i], o, mesh, n, c0, nc, slab[i], st);
  }
  if (!rc && is_slice) {
    /* the title: what was selected (the mass bin) and the slab */
    char sel[2][400], title[1000], lab[2][128];
    for (int i = 0; i < ns; i++) stats_sample_text(&s[i], o->mlo, o->mhi, sel[i], sizeof sel[i]);
    const int same = ns == 1 || !strcmp(sel[0], sel[1]);
    snprintf(title, sizeof title, "%s%s%s; slab %c in [%.4g, %.4g) Mpc/h, %.4g Mpc/h thick", sel[0],
             same ? "" : " | ", same ? "" : sel[1], "xyz"[o->axis], c0 * h, (c0 + nc) * h, nc * h);
    for (int i = 0; i < ns; i++)
      panel_name(lab[i], sizeof lab[i], ns == 1 ? "" : i ? "B: " : "A: ", s[i].path);
    const char *labels[2] = {lab[0], lab[1]};
    if (o->plot) {
      rc = hp_fig_slice(o->plot, title, (const double *const *)slab, labels, ns, n, o->axis, box,
                        st);
      if (!rc) stats_note("wrote %s", o->plot);
    }
    if (!rc && o->out) {
      const char *an[3] = {"x[Mpc/h]", "y[Mpc/h]", "z[Mpc/h]"};
      const char *names[4] = {an[o->axis == 0 ? 1 : 0], an[o->axis == 2 ? 1 : 2],
                              ns == 1 ? "rho/rho_mean[1]" : "rho_a/rho_mean[1]",
                              "rho_b/rho_mean[1]"};
      rc = hp_stats_table_init(&t, 2 + ns, names, n * n, st);
      hp_stats_table_comment(&t, st, "%s", o->cmdline);
      hp_stats_table_comment(&t, st, "%s", title);
      for (int i = 0; i < ns; i++) stats_describe_source(&t, &s[i], i ? "B" : "A", st);
      hp_stats_table_comment(&t, st, "mean rho/rho_mean over %lld planes; voxel centres",
                             (long long)nc);
      for (int64_t a = 0; !rc && a < n; a++)
        for (int64_t b = 0; b < n; b++) {
          HP_TABLE_AT(&t, a * n + b, 0) = (a + 0.5) * h;
          HP_TABLE_AT(&t, a * n + b, 1) = (b + 0.5) * h;
          for (int i = 0; i < ns; i++) HP_TABLE_AT(&t, a * n + b, 2 + i) = slab[i][a * n + b];
        }
      if (!rc) rc = stats_emit(&t, o, st);
    }
  }
  free(slab[0]);
  free(slab[1]);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  stats_source_free(&s[0]);
  stats_source_free(&s[1]);
  return rc;
}
