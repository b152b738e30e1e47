/*
 * The figures of `halopaint stats` (figures.h), after Kodi Ramanah, Charnock & Lavaux 2019
 * (PRD 100, 043515): P(k), T(k) with a +-10% band, r_c(k), s(k) with the baseline and the
 * Poisson level, mass function, reduced bispectrum, multipoles, projected density slice.
 */
#include "stats/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/plot.h"

static const char *KLABEL = "k [h/Mpc]";

/* Arrays owned by a figure while it is composed. */
typedef struct pool {
  double *a[64];
  int n;
} pool;

static double *take(pool *p, int64_t n) {
  if (p->n >= 64) return NULL;
  double *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
  if (v) p->a[p->n++] = v;
  return v;
}

static void drain(pool *p) {
  for (int i = 0; i < p->n; i++) free(p->a[i]);
  p->n = 0;
}

int hp_fig_power(const char *path, const char *title, const hp_stats_pk *const *pk,
                 const char *const *labels, int n, int subtract_shot, const hp_fig_curve *ref,
                 hp_status *st) {
  hp_plot_panel p;
  pool pl = {{0}, 0};
  hp_plot_panel_init(&p, NULL, KLABEL,
                     subtract_shot ? "P(k) - shot [(Mpc/h)^3]" : "P(k) [(Mpc/h)^3]", 1, 1);
  int rc = HP_OK;
  for (int i = 0; i < n && !rc; i++) {
    const int nb = pk[i]->bins.nbins;
    double *y = take(&pl, nb), *lo = take(&pl, nb), *hi = take(&pl, nb);
    if (!y || !lo || !hi) {
      rc = hp_fail(st, HP_ERR_NOMEM, "figure arrays");
      break;
    }
    int shot = 0;
    for (int j = 0; j < nb; j++) {
      y[j] = pk[i]->p[j] - (subtract_shot ? pk[i]->shot[j] : 0.0);
      lo[j] = y[j] - pk[i]->err[j];
      hi[j] = y[j] + pk[i]->err[j];
      shot |= pk[i]->shot[j] > 0;
    }
    rc = hp_plot_add_xy(&p, labels ? labels[i] : NULL, HP_PLOT_POINTS, nb, pk[i]->k_mean, y, lo, hi,
                        NULL, st);
    if (!rc && shot && !subtract_shot)
      rc = hp_plot_add_xy(&p, i == 0 ? "shot noise" : NULL, HP_PLOT_DASHED, nb, pk[i]->k_mean,
                          pk[i]->shot, NULL, NULL, "#7f7f7f", st);
  }
  if (!rc && ref && ref->n > 0)
    rc = hp_plot_add_xy(&p, ref->label, HP_PLOT_LINE, ref->n, ref->x, ref->y, NULL, NULL, "#000000",
                        st);
  if (!rc) rc = hp_plot_svg(&p, 1, 1, title, path, st);
  drain(&pl);
  return rc;
}

int hp_fig_cross(const char *path, const char *title, const hp_stats_pk *paa,
                 const hp_stats_pk *pbb, const hp_stats_pk *pmm, double bias,
                 const hp_stats_cross *c, const hp_stats_cross *base, double poisson,
                 const char *label_a, const char *label_b, hp_status *st) {
  hp_plot_panel p[4];
  pool pl = {{0}, 0};
  const int nb = c->nbins;
  int rc = HP_OK;
  hp_plot_panel_init(&p[0], "power spectra", KLABEL, "P(k) [(Mpc/h)^3]", 1, 1);
  hp_plot_panel_init(&p[1], "transfer function T = sqrt(P_bb/P_aa)", KLABEL, "T(k)", 1, 0);
  hp_plot_panel_init(&p[2], "cross-correlation r_c = P_ab/sqrt(P_aa P_bb)", KLABEL, "r_c(k)", 1, 0);
  hp_plot_panel_init(&p[3], "stochasticity s = P_aa (1 - r_c^2)", KLABEL, "s(k) [(Mpc/h)^3]", 1, 0);
  double *one = take(&pl, nb), *b9 = take(&pl, nb), *b11 = take(&pl, nb), *rlo = take(&pl, nb);
  double *rhi = take(&pl, nb), *lev = take(&pl, nb), *alo = take(&pl, nb), *ahi = take(&pl, nb);
  double *blo = take(&pl, nb), *bhi = take(&pl, nb), *bpm = take(&pl, nb);
  if (!bpm) {
    drain(&pl);
    return hp_fail(st, HP_ERR_NOMEM, "figure arrays");
  }
  for (int i = 0; i < nb; i++) {
    one[i] = 1.0;
    b9[i] = 0.9;
    b11[i] = 1.1;
    rlo[i] = c->r[i] - c->r_err[i];
    rhi[i] = c->r[i] + c->r_err[i];
    lev[i] = poisson;
    alo[i] = paa->p[i] - paa->err[i];
    ahi[i] = paa->p[i] + paa->err[i];
    blo[i] = pbb->p[i] - pbb->err[i];
    bhi[i] = pbb->p[i] + pbb->err[i];
    bpm[i] = pmm ? bias * bias * pmm->p[i] : NAN;
  }
  const double *k = c->k_mean;
  char bl[96];
  snprintf(bl, sizeof bl, "baseline: %.3g^2 x 2LPT", bias);
  rc = hp_plot_add_xy(&p[0], label_a, HP_PLOT_POINTS, nb, k, paa->p, alo, ahi, NULL, st);
  if (!rc) rc = hp_plot_add_xy(&p[0], label_b, HP_PLOT_POINTS, nb, k, pbb->p, blo, bhi, NULL, st);
  if (!rc && pmm) rc = hp_plot_add_xy(&p[0], bl, HP_PLOT_DASHED, nb, k, bpm, NULL, NULL, NULL, st);
  if (!rc) rc = hp_plot_add_xy(&p[1], "+-10%", HP_PLOT_BAND, nb, k, NULL, b9, b11, "#2ca02c", st);
  if (!rc) rc = hp_plot_add_xy(&p[1], NULL, HP_PLOT_LINE, nb, k, one, NULL, NULL, "#999999", st);
  if (!rc) rc = hp_plot_add_xy(&p[1], label_b, HP_PLOT_POINTS, nb, k, c->t, NULL, NULL, NULL, st);
  if (!rc) rc = hp_plot_add_xy(&p[2], label_b, HP_PLOT_POINTS, nb, k, c->r, rlo, rhi, NULL, st);
  if (!rc) rc = hp_plot_add_xy(&p[3], label_b, HP_PLOT_POINTS, nb, k, c->s, NULL, NULL, NULL, st);
  if (!rc && base) {
    rc = hp_plot_add_xy(&p[1], "baseline", HP_PLOT_DASHED, nb, k, base->t, NULL, NULL, NULL, st);
    if (!rc)
      rc = hp_plot_add_xy(&p[2], "baseline", HP_PLOT_DASHED, nb, k, base->r, NULL, NULL, NULL, st);
    if (!rc)
      rc = hp_plot_add_xy(&p[3], "baseline", HP_PLOT_DASHED, nb, k, base->s, NULL, NULL, NULL, st);
  }
  if (!rc && poisson > 0)
    rc = hp_plot_add_xy(&p[3], "Poisson 1/nbar", HP_PLOT_LINE, nb, k, lev, NULL, NULL, "#000000",
                        st);
  p[1].ymin = 0.5;
  p[1].ymax = 1.5;
  p[2].legend = 2;
  p[2].ymin = -0.1;
  p[2].ymax = 1.05;
  if (!rc) rc = hp_plot_svg(p, 4, 2, title, path, st);
  drain(&pl);
  return rc;
}

int hp_fig_hmf(const char *path, const char *title, const hp_stats_hmf *const *h,
               const char *const *labels, int n, hp_status *st) {
  hp_plot_panel p;
  pool pl = {{0}, 0};
  hp_plot_panel_init(&p, NULL, "M [Msun/h]", "dn/dlog10M [(h/Mpc)^3]", 1, 1);
  int rc = HP_OK;
  for (int i = 0; i < n && !rc; i++) {
    const int nb = h[i]->nbins;
    double *x = take(&pl, nb), *lo = take(&pl, nb), *hi = take(&pl, nb);
    if (!hi) {
      drain(&pl);
      return hp_fail(st, HP_ERR_NOMEM, "figure arrays");
    }
    for (int j = 0; j < nb; j++) {
      x[j] = sqrt(h[i]->m_lo[j] * h[i]->m_hi[j]);
      lo[j] = h[i]->dndlog10m[j] - h[i]->err[j];
      hi[j] = h[i]->dndlog10m[j] + h[i]->err[j];
    }
    rc = hp_plot_add_xy(&p, labels ? labels[i] : NULL, HP_PLOT_POINTS, nb, x, h[i]->dndlog10m, lo,
                        hi, NULL, st);
  }
  if (!rc) rc = hp_plot_svg(&p, 1, 1, title, path, st);
  drain(&pl);
  return rc;
}

int hp_fig_bispec(const char *path, const char *title, const hp_stats_bispec_result *r, int n,
                  const double *q_tree, hp_status *st) {
  hp_plot_panel p;
  pool pl = {{0}, 0};
  hp_plot_panel_init(&p, NULL, "theta / pi (angle between k1 and k2)", "Q(k1, k2, theta)", 0, 0);
  double *x = take(&pl, n), *q = take(&pl, n), *lo = take(&pl, n), *hi = take(&pl, n);
  if (!hi) {
    drain(&pl);
    return hp_fail(st, HP_ERR_NOMEM, "figure arrays");
  }
  for (int i = 0; i < n; i++) {
    x[i] = r[i].theta / M_PI;
    q[i] = r[i].q;
    /* error of Q from that of B (the powers' errors are smaller) */
    const double den = r[i].b != 0 ? fabs(r[i].q / r[i].b) : NAN;
    lo[i] = q[i] - r[i].b_err * den;
    hi[i] = q[i] + r[i].b_err * den;
  }
  int rc = hp_plot_add_xy(&p, "measured", HP_PLOT_POINTS, n, x, q, lo, hi, NULL, st);
  if (!rc && q_tree)
    rc = hp_plot_add_xy(&p, "tree level (matter, linear P)", HP_PLOT_LINE, n, x, q_tree, NULL, NULL,
                        "#000000", st);
  if (!rc) rc = hp_plot_svg(&p, 1, 1, title, path, st);
  drain(&pl);
  return rc;
}

int hp_fig_multipoles(const char *path, const char *title, const hp_stats_pk *p0,
                      const hp_stats_pk *p2, const hp_stats_pk *p4, const hp_stats_pk *preal,
                      hp_status *st) {
  hp_plot_panel p;
  pool pl = {{0}, 0};
  hp_plot_panel_init(&p, NULL, KLABEL, "k P_l(k) [(Mpc/h)^2]", 1, 0);
  const hp_stats_pk *s[4] = {p0, p2, p4, preal};
  const char *lab[4] = {"monopole k P_0", "quadrupole k P_2", "hexadecapole k P_4",
                        "real space k P"};
  int rc = HP_OK;
  for (int i = 0; i < 4 && !rc; i++) {
    if (!s[i]) continue;
    const int nb = s[i]->bins.nbins;
    double *y = take(&pl, nb), *lo = take(&pl, nb), *hi = take(&pl, nb);
    if (!hi) {
      drain(&pl);
      return hp_fail(st, HP_ERR_NOMEM, "figure arrays");
    }
    for (int j = 0; j < nb; j++) {
      const double k = s[i]->k_mean[j];
      y[j] = k * (s[i]->p[j] - s[i]->shot[j]);
      lo[j] = y[j] - k * s[i]->err[j];
      hi[j] = y[j] + k * s[i]->err[j];
    }
    rc = hp_plot_add_xy(&p, lab[i], i == 3 ? HP_PLOT_DASHED : HP_PLOT_POINTS, nb, s[i]->k_mean, y,
                        i == 3 ? NULL : lo, i == 3 ? NULL : hi, NULL, st);
  }
  if (!rc) rc = hp_plot_svg(&p, 1, 1, title, path, st);
  drain(&pl);
  return rc;
}
