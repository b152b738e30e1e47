/* `halopaint stats slice` and `mesh`: projected slabs (PNG/SVG) and density meshes (HDF5). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"

int stats_cmd_slice_mesh(const opts *o, int is_slice, hp_status *st) {
  if (o->ninputs != 1) return hp_fail(st, HP_ERR_INPUT, "%s takes one INPUT", o->sub);
  if (!is_slice && !o->out) return hp_fail(st, HP_ERR_INPUT, "mesh needs -o OUT.h5");
  if (is_slice && !o->out && !o->plot)
    return hp_fail(st, HP_ERR_INPUT, "slice needs --plot FILE (.png or .svg) and/or -o TABLE");
  source s;
  hp_stats_mesh *mesh = NULL;
  float *g = NULL;
  double *slab = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = stats_open_one(&s, o, &n, &box, &mesh, st);
  if (!rc && !(g = hp_alloc((size_t)(n * n * n) * sizeof *g, "the density mesh", st)))
    rc = st->code;
  if (!rc) rc = stats_source_density(&s, o, mesh, g, st);
  if (!rc && !is_slice) {
    hp_kv_list kv = s.par ? hp_params_kv(s.par) : (hp_kv_list){0, NULL, NULL};
    rc = hp_stats_grid_write(o->out, "density", g, n, box, "density", s.par ? &kv : NULL, st);
    if (!rc) stats_note("wrote %s:/density (%lld^3, rho/rho_mean)", o->out, (long long)n);
  }
  if (!rc && is_slice) {
    const double h = box / n;
    const double thick = isfinite(o->thickness) ? o->thickness : fmax(h, 0.05 * box);
    const int64_t c0 = (int64_t)floor(o->position / h),
                  nc = (int64_t)fmax(1, floor(thick / h + 0.5));
    if (!(slab = malloc(sizeof(double) * (size_t)(n * n)))) rc = hp_fail(st, HP_ERR_NOMEM, "slice");
    if (!rc) rc = hp_fig_project(g, n, o->axis, c0, nc, slab, st);
    char title[600];
    snprintf(title, sizeof title, "%s: %c in [%.4g, %.4g) Mpc/h", s.path, "xyz"[o->axis], c0 * h,
             (c0 + nc) * h);
    if (!rc && o->plot) {
      rc = hp_fig_slice(o->plot, title, slab, n, o->axis, box, st);
      if (!rc) stats_note("wrote %s", o->plot);
    }
    if (!rc && o->out) {
      const char *an[3] = {"x[Mpc/h]", "y[Mpc/h]", "z[Mpc/h]"};
      const char *names[3] = {an[o->axis == 0 ? 1 : 0], an[o->axis == 2 ? 1 : 2],
                              "rho/rho_mean[1]"};
      rc = hp_stats_table_init(&t, 3, names, n * n, st);
      hp_stats_table_comment(&t, st, "%s", o->cmdline);
      hp_stats_table_comment(&t, st, "%s", title);
      hp_stats_table_comment(&t, st, "mean rho/rho_mean over %lld planes; voxel centres",
                             (long long)nc);
      for (int64_t a = 0; !rc && a < n; a++)
        for (int64_t b = 0; b < n; b++) {
          HP_TABLE_AT(&t, a * n + b, 0) = (a + 0.5) * h;
          HP_TABLE_AT(&t, a * n + b, 1) = (b + 0.5) * h;
          HP_TABLE_AT(&t, a * n + b, 2) = slab[a * n + b];
        }
      if (!rc) rc = stats_emit(&t, o, st);
    }
  }
  free(slab);
  hp_free(g);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  stats_source_free(&s);
  return rc;
}
