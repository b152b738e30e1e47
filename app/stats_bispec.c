/* `halopaint stats bispec`: bispectrum B and reduced Q. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"

int stats_cmd_bispec(const opts *o, hp_status *st) {
  if (o->ninputs != 1) return hp_fail(st, HP_ERR_INPUT, "bispec takes one INPUT");
  if (!isfinite(o->k1)) return hp_fail(st, HP_ERR_INPUT, "bispec needs --k1 K [h/Mpc]");
  source s;
  hp_stats_mesh *mesh = NULL;
  hp_stats_bispec *bp = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = stats_open_one(&s, o, &n, &box, &mesh, st);
  if (!rc) rc = hp_stats_bispec_create(&bp, n, box, o->nthreads, st);
  const double kf = 2 * M_PI / box, dk = isfinite(o->dk) ? o->dk : 3 * kf;
  const double k1 = o->k1, k2 = isfinite(o->k2) ? o->k2 : o->k1;
  double th[MAX_THETA];
  int nt = o->ntheta;
  if (nt == 0) {
    nt = 10;
    for (int i = 0; i < nt; i++) th[i] = (i + 0.5) / nt;
  } else {
    memcpy(th, o->theta, sizeof(double) * nt);
  }
  /* configurations whose third shell fits above zero */
  hp_stats_bispec_config cfg[MAX_THETA];
  int nc = 0, skipped = 0;
  for (int i = 0; i < nt; i++) {
    cfg[nc] = hp_stats_bispec_config_theta(k1, k2, th[i] * M_PI);
    if (cfg[nc].k3 - 0.5 * dk < 0.5 * kf)
      skipped++;
    else
      nc++;
  }
  if (!rc && nc == 0)
    rc = hp_fail(st, HP_ERR_INPUT, "bispec: no angle gives k3 >= dk/2 (k1 %g, k2 %g, dk %g)", k1,
                 k2, dk);
  const int ns = stats_nsamples(o, s.kind == SRC_CAT);
  hp_stats_bispec_result *r = calloc((size_t)(ns * (nc > 0 ? nc : 1)), sizeof *r);
  double *qt = calloc((size_t)(ns * (nc > 0 ? nc : 1)), sizeof *qt);
  if (!rc && (!r || !qt)) rc = hp_fail(st, HP_ERR_NOMEM, "bispectrum results");
  for (int j = 0; j < ns && !rc; j++) {
    double lo, hi;
    stats_sample_range(o, j, &lo, &hi);
    hp_stats_field f;
    if ((rc = stats_source_field(&s, o, lo, hi, -1, mesh, &f, st))) break;
    rc = hp_stats_bispec_execute(bp, &f, cfg, nc, dk, o->subtract_shot, r + j * nc, st);
    hp_stats_field_free(&f);
    stats_note("sample %d: bispectrum of %d configurations", j, nc);
  }
  hp_cosmology *cosmo = NULL;
  double z = 0;
  hp_growth g = {0, 0, 0, 0};
  int tree = !rc && stats_source_cosmology(&s, &cosmo, &z, st) &&
             !hp_cosmo_growth(cosmo, 1.0 / (1.0 + z), &g, st);
  if (!tree && !rc) hp_status_clear(st);
  for (int i = 0; tree && i < ns * nc; i++) {
    const double p1 = g.D1 * g.D1 * hp_cosmo_power(cosmo, r[i].km1);
    const double p2 = g.D1 * g.D1 * hp_cosmo_power(cosmo, r[i].km2);
    const double p3 = g.D1 * g.D1 * hp_cosmo_power(cosmo, r[i].km3);
    qt[i] = hp_stats_bispec_tree(r[i].km1, r[i].km2, r[i].km3, p1, p2, p3) /
            (p1 * p2 + p2 * p3 + p3 * p1);
  }
  if (!rc) {
    cols c = {.n = 0};
    const char *names[] = {"mass_bin[1]",       "k1[h/Mpc]",        "k2[h/Mpc]",
                           "k3[h/Mpc]",         "theta/pi[1]",      "k1_mean[h/Mpc]",
                           "k2_mean[h/Mpc]",    "k3_mean[h/Mpc]",   "P1[(Mpc/h)^3]",
                           "P2[(Mpc/h)^3]",     "P3[(Mpc/h)^3]",    "B[(Mpc/h)^6]",
                           "B_shot[(Mpc/h)^6]", "err_B[(Mpc/h)^6]", "Q[1]",
                           "N_tri[1]",          "Q_tree[1]"};
    for (int i = 0; i < 16 + tree; i++) stats_col(&c, "%s", names[i]);
    rc = hp_stats_table_init(&t, c.n, c.ptr, (int64_t)ns * nc, st);
    stats_describe_mesh(&t, o, n, box, NULL, st);
    stats_describe_source(&t, &s, "input", st);
    hp_stats_table_comment(&t, st,
                           "shells of width dk = %.6g h/Mpc; theta = angle between k1 and k2; B = "
                           "sum I1 I2 I3 / (V sum N1 N2 N3); Q = %sB / (P1 P2 + P2 P3 + P3 P1)",
                           dk, o->subtract_shot ? "shot-subtracted " : "");
    if (skipped) hp_stats_table_comment(&t, st, "%d angle(s) skipped: k3 below dk/2", skipped);
    if (tree)
      hp_stats_table_comment(&t, st,
                             "Q_tree: tree-level matter Q with P_lin(k, z=%g) D1^2 at the shell "
                             "means (D1 = %.6f)",
                             z, g.D1);
    for (int j = 0; j < ns; j++)
      for (int i = 0; i < nc; i++) {
        const hp_stats_bispec_result *q = &r[j * nc + i];
        const int64_t row = (int64_t)j * nc + i;
        const double v[17] = {ns > 1 ? j : -1, q->k1,    q->k2, q->k3,    q->theta / M_PI, q->km1,
                              q->km2,          q->km3,   q->p1, q->p2,    q->p3,           q->b,
                              q->b_shot,       q->b_err, q->q,  q->n_tri, qt[row]};
        for (int k = 0; k < c.n; k++) HP_TABLE_AT(&t, row, k) = v[k];
      }
    if (!rc) rc = stats_emit(&t, o, st);
  }
  for (int j = 0; !rc && o->plot && j < ns; j++) {
    char path[4200];
    stats_plot_path(path, sizeof path, o, ns, j);
    char title[600];
    snprintf(title, sizeof title, "%s: k1 = %.3g, k2 = %.3g h/Mpc", s.path, k1, k2);
    rc = hp_fig_bispec(path, title, r + j * nc, nc, tree ? qt + j * nc : NULL, st);
    if (!rc) stats_note("wrote %s", path);
  }
  free(r);
  free(qt);
  hp_stats_table_free(&t);
  hp_stats_bispec_destroy(bp);
  hp_stats_mesh_destroy(mesh);
  stats_source_free(&s);
  return rc;
}
