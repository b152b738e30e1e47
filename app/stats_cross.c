/* `halopaint stats cross A B`: T(k), r_c(k), s(k) with the linear and quadratic bias baselines
 * of the 2LPT density. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
#include "stats/bias_model.h"

int stats_cmd_cross(const opts *o, hp_status *st) {
  if (o->ninputs != 2) return hp_fail(st, HP_ERR_INPUT, "cross takes two inputs: A B");
  source a, b, m;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&m, 0, sizeof m);
  hp_stats_mesh *mesh = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  hp_stats_bins bins;
  int have_m = 0, rc = stats_source_load(&a, o->inputs[0], ROLE_A, o, st);
  if (!rc) rc = stats_source_load(&b, o->inputs[1], ROLE_B, o, st);
  if (!rc && strcmp(o->baseline, "none")) {
    if (strcmp(o->baseline, "auto")) {
      rc = stats_source_load(&m, o->baseline, ROLE_BASELINE, o, st);
      have_m = !rc;
    } else if (a.kind == SRC_CAT && a.cat.nparams > 0) {
      rc = stats_source_regenerate(&m, &a, o, st);
      have_m = !rc;
    } else if (a.kind == SRC_PARAM) {
      stats_note("baseline: A is itself the 2LPT density; no baseline");
    } else {
      stats_note("baseline: %s stores no parameters; none (give --baseline FILE)", a.path);
    }
  }
  source *all[3] = {&a, &b, &m};
  if (!rc) rc = stats_source_geometry(all, have_m ? 3 : 2, o, &n, &box, st);
  if (!rc) rc = stats_make_bins(o, n, box, &bins, st);
  if (!rc) rc = stats_mesh_for(o, n, box, &mesh, st);
  const int ns = stats_nsamples(o, a.kind == SRC_CAT || b.kind == SRC_CAT);
  /* per sample: paa pbb pab [pmm pam] */
  hp_stats_pk *pk = calloc((size_t)(5 * ns), sizeof *pk);
  hp_stats_cross *cr = calloc((size_t)(2 * ns), sizeof *cr);
  double *bias = calloc((size_t)ns, sizeof *bias), *kb = calloc((size_t)ns, sizeof *kb);
  double *poisson = calloc((size_t)ns, sizeof *poisson);
  /* the quadratic baseline per sample: P_qq, P_aq, its T, r_c, s and b1, b2, bs2 */
  hp_stats_pk *pq = calloc((size_t)(2 * ns), sizeof *pq);
  hp_stats_cross *cq = calloc((size_t)ns, sizeof *cq);
  double(*bq)[HP_BIAS_NOPS] = calloc((size_t)ns, sizeof *bq);
  if (!rc && (!pk || !cr || !bias || !kb || !poisson || !pq || !cq || !bq))
    rc = hp_fail(st, HP_ERR_NOMEM, "spectra");
  hp_stats_field fm, ops[HP_BIAS_NOPS];
  memset(&fm, 0, sizeof fm);
  memset(ops, 0, sizeof ops);
  if (!rc && have_m) rc = stats_source_field(&m, o, 0, INFINITY, -1, mesh, &fm, st);
  if (!rc && have_m) rc = hp_stats_bias_operators(hp_stats_mesh_fft(mesh), &fm, ops, st);
  for (int j = 0; j < ns && !rc; j++) {
    double lo, hi;
    stats_sample_range(o, j, &lo, &hi);
    hp_stats_field fa, fb;
    if ((rc = stats_source_field(&a, o, lo, hi, -1, mesh, &fa, st))) break;
    if ((rc = stats_source_field(&b, o, lo, hi, -1, mesh, &fb, st))) {
      hp_stats_field_free(&fa);
      break;
    }
    poisson[j] = fa.shot;
    rc = hp_stats_power_pair(&fa, &fb, &bins, o->nthreads, &pk[5 * j], &pk[5 * j + 1],
                             &pk[5 * j + 2], st);
    if (!rc)
      rc = hp_stats_cross_from_pk(&pk[5 * j], &pk[5 * j + 1], &pk[5 * j + 2], o->subtract_shot,
                                  &cr[2 * j], st);
    if (!rc && have_m) {
      hp_stats_pk tmp;
      rc = hp_stats_power_pair(&fa, &fm, &bins, o->nthreads, &tmp, &pk[5 * j + 3], &pk[5 * j + 4],
                               st);
      hp_stats_pk_free(&tmp);
      if (!rc)
        rc = hp_stats_linear_bias(&pk[5 * j], &pk[5 * j + 3], o->k_bias, o->subtract_shot, &bias[j],
                                  &kb[j], st);
      if (!rc)
        rc = hp_stats_cross_baseline(&pk[5 * j], &pk[5 * j + 3], &pk[5 * j + 4], bias[j],
                                     o->subtract_shot, &cr[2 * j + 1], st);
      hp_stats_field fq;
      if (!rc && !(rc = hp_stats_bias_fit(&fa, ops, o->k_quad, bq[j], &fq, st))) {
        rc =
            hp_stats_power_pair(&fa, &fq, &bins, o->nthreads, &tmp, &pq[2 * j], &pq[2 * j + 1], st);
        hp_stats_pk_free(&tmp);
        hp_stats_field_free(&fq);
        if (!rc)
          rc = hp_stats_cross_from_pk(&pk[5 * j], &pq[2 * j], &pq[2 * j + 1], o->subtract_shot,
                                      &cq[j], st);
      }
    }
    hp_stats_field_free(&fa);
    hp_stats_field_free(&fb);
    stats_note("sample %d: cross statistics in %d bins%s", j, bins.nbins,
               have_m ? " + baseline" : "");
  }
  hp_stats_field_free(&fm);
  for (int i = 0; i < HP_BIAS_NOPS; i++) hp_stats_field_free(&ops[i]);
  if (!rc) {
    cols c = {.n = 0};
    stats_k_columns(&c);
    for (int j = 0; j < ns; j++) {
      char s[16] = "";
      if (ns > 1) snprintf(s, sizeof s, "_m%d", j);
      for (int a = 0; a < 2; a++) {
        const char *ab = a ? "bb" : "aa";
        stats_col(&c, "P_%s%s[(Mpc/h)^3]", ab, s);
        stats_col(&c, "shot_%s%s[(Mpc/h)^3]", ab, s);
        stats_col(&c, "err_%s%s[(Mpc/h)^3]", ab, s);
      }
      stats_col(&c, "P_ab%s[(Mpc/h)^3]", s);
      stats_col(&c, "err_ab%s[(Mpc/h)^3]", s);
      stats_col(&c, "T%s[1]", s);
      stats_col(&c, "r_c%s[1]", s);
      stats_col(&c, "err_r_c%s[1]", s);
      stats_col(&c, "s%s[(Mpc/h)^3]", s);
      if (have_m) {
        stats_col(&c, "P_mm%s[(Mpc/h)^3]", s);
        stats_col(&c, "P_am%s[(Mpc/h)^3]", s);
        stats_col(&c, "T_base%s[1]", s);
        stats_col(&c, "r_c_base%s[1]", s);
        stats_col(&c, "s_base%s[(Mpc/h)^3]", s);
        stats_col(&c, "T_quad%s[1]", s);
        stats_col(&c, "r_c_quad%s[1]", s);
        stats_col(&c, "s_quad%s[(Mpc/h)^3]", s);
      }
    }
    rc = hp_stats_table_init(&t, c.n, c.ptr, bins.nbins, st);
    stats_describe_mesh(&t, o, n, box, &bins, st);
    stats_describe_source(&t, &a, "A (reference)", st);
    stats_describe_source(&t, &b, "B (model)", st);
    hp_stats_table_comment(&t, st,
                           "T = sqrt(P_bb/P_aa), r_c = P_ab/sqrt(P_aa P_bb), s = P_aa (1 - r_c^2), "
                           "auto spectra %s",
                           o->subtract_shot ? "shot-subtracted" : "raw (shot noise included)");
    if (have_m) {
      stats_describe_source(&t, &m, "baseline 2LPT density m", st);
      for (int j = 0; j < ns; j++)
        hp_stats_table_comment(&t, st,
                               "baseline%s%d: b * m with b = %.6f from <P_aa/P_mm> over k_mean < "
                               "%.4g h/Mpc (requested %g)",
                               ns > 1 ? " m" : " ", j, bias[j], kb[j], o->k_bias);
      for (int j = 0; j < ns; j++)
        hp_stats_table_comment(&t, st,
                               "quadratic%s%d: b1 delta + b2 (delta^2 - <>) + bs2 (s^2 - <>) of m, "
                               "least squares over 0 < k < %g h/Mpc: b1 = %.6f, b2 = %.6f, "
                               "bs2 = %.6f (stats/bias_model.h)",
                               ns > 1 ? " m" : " ", j, o->k_quad, bq[j][0], bq[j][1], bq[j][2]);
    }
    for (int j = 0; j < ns; j++) {
      double lo, hi;
      char ta[400], tb[400];
      stats_sample_range(o, j, &lo, &hi);
      stats_sample_text(&a, lo, hi, ta, sizeof ta);
      stats_sample_text(&b, lo, hi, tb, sizeof tb);
      hp_stats_table_comment(&t, st, "sample%s%d: A: %s; B: %s; Poisson level 1/nbar_a = %.6g %s",
                             ns > 1 ? " m" : " ", j, ta, tb, poisson[j],
                             poisson[j] > 0 ? "(Mpc/h)^3" : "(A is not a point set)");
    }
    for (int i = 0; !rc && i < bins.nbins; i++) {
      int k = 0;
      stats_k_row(&t, &pk[0], i, &k);
      for (int j = 0; j < ns; j++) {
        const hp_stats_pk *q = &pk[5 * j];
        const hp_stats_cross *x = &cr[2 * j], *y = &cr[2 * j + 1];
        HP_TABLE_AT(&t, i, k++) = q[0].p[i];
        HP_TABLE_AT(&t, i, k++) = q[0].shot[i];
        HP_TABLE_AT(&t, i, k++) = q[0].err[i];
        HP_TABLE_AT(&t, i, k++) = q[1].p[i];
        HP_TABLE_AT(&t, i, k++) = q[1].shot[i];
        HP_TABLE_AT(&t, i, k++) = q[1].err[i];
        HP_TABLE_AT(&t, i, k++) = q[2].p[i];
        HP_TABLE_AT(&t, i, k++) = q[2].err[i];
        HP_TABLE_AT(&t, i, k++) = x->t[i];
        HP_TABLE_AT(&t, i, k++) = x->r[i];
        HP_TABLE_AT(&t, i, k++) = x->r_err[i];
        HP_TABLE_AT(&t, i, k++) = x->s[i];
        if (have_m) {
          HP_TABLE_AT(&t, i, k++) = q[3].p[i];
          HP_TABLE_AT(&t, i, k++) = q[4].p[i];
          HP_TABLE_AT(&t, i, k++) = y->t[i];
          HP_TABLE_AT(&t, i, k++) = y->r[i];
          HP_TABLE_AT(&t, i, k++) = y->s[i];
          HP_TABLE_AT(&t, i, k++) = cq[j].t[i];
          HP_TABLE_AT(&t, i, k++) = cq[j].r[i];
          HP_TABLE_AT(&t, i, k++) = cq[j].s[i];
        }
      }
    }
    if (!rc) rc = stats_emit(&t, o, st);
  }
  for (int j = 0; !rc && o->plot && j < ns; j++) {
    char path[4200];
    stats_plot_path(path, sizeof path, o, ns, j);
    char title[600];
    snprintf(title, sizeof title, "A = %s, B = %s", a.path, b.path);
    rc =
        hp_fig_cross(path, title, &pk[5 * j], &pk[5 * j + 1], have_m ? &pk[5 * j + 3] : NULL,
                     bias[j], &cr[2 * j], have_m ? &cr[2 * j + 1] : NULL, poisson[j], "A", "B", st);
    if (!rc) stats_note("wrote %s", path);
  }
  for (int j = 0; pk && j < 5 * ns; j++) hp_stats_pk_free(&pk[j]);
  for (int j = 0; cr && j < 2 * ns; j++) hp_stats_cross_free(&cr[j]);
  for (int j = 0; pq && j < 2 * ns; j++) hp_stats_pk_free(&pq[j]);
  for (int j = 0; cq && j < ns; j++) hp_stats_cross_free(&cq[j]);
  free(pq);
  free(cq);
  free(bq);
  free(pk);
  free(cr);
  free(bias);
  free(kb);
  free(poisson);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  stats_source_free(&a);
  stats_source_free(&b);
  stats_source_free(&m);
  return rc;
}
