/*
 * `halopaint stats wtheta CONE`: the angular correlation function w(theta) of the halos of a
 * light cone in a redshift slice (Landy & Szalay 1993, with randoms uniform in the cone's
 * footprint; stats/angular.h), per mass sample.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
#include "plugin/version.h"
#include "stats/angular.h"
#include "stats/plot.h"

#define WTHETA_SEED 1    /* randoms' seed: fixed, so that a table is reproduced exactly */
#define WTHETA_RANDOMS 4 /* random points per data point */

/* w with Poisson errors against theta: log-log when every w is > 0, else w on a linear axis. */
static int plot_wtheta(const char *path, const hp_stats_wtheta *w, const char *title,
                       hp_status *st) {
  const int nb = w->nbins;
  int ylog = 1;
  for (int i = 0; i < nb; i++) ylog &= !(w->w[i] <= 0);
  double *lo = malloc(sizeof *lo * 3 * (size_t)nb), *hi = lo ? lo + nb : NULL;
  if (!lo) return hp_fail(st, HP_ERR_NOMEM, "wtheta figure");
  double *zero = hi + nb;
  for (int i = 0; i < nb; i++) {
    lo[i] = w->w[i] - w->err[i], hi[i] = w->w[i] + w->err[i], zero[i] = 0;
  }
  hp_plot_panel p;
  hp_plot_panel_init(&p, title, "theta [degrees]", "w(theta)", 1, ylog);
  int rc = ylog ? HP_OK
                : hp_plot_add_xy(&p, NULL, HP_PLOT_LINE, nb, w->theta_mid, zero, NULL, NULL,
                                 "#999999", st);
  if (!rc)
    rc = hp_plot_add_xy(&p, "Landy-Szalay", HP_PLOT_POINTS, nb, w->theta_mid, w->w, lo, hi, NULL,
                        st);
  if (!rc) rc = hp_plot_svg(&p, 1, 1, "light cone: angular correlation function", path, st);
  free(lo);
  return rc;
}

/* "1e+13 <= M < 1e+14 Msun/h" of sample j, or "any mass". */
static void mass_text(const opts *o, int j, char *buf, size_t n) {
  double lo, hi;
  stats_sample_range(o, j, &lo, &hi);
  if (lo > 0 || isfinite(hi))
    snprintf(buf, n, "%g <= M < %g Msun/h", lo, hi);
  else
    snprintf(buf, n, "any mass");
}

/* Unit vectors of the halos of sample j in the slice and footprint; *out: those outside it. */
static int64_t select_halos(const hp_cone *c, const opts *o, int j, double zlo, double zhi,
                            const hp_footprint *fp, double *u, int64_t *out) {
  double mlo, mhi;
  stats_sample_range(o, j, &mlo, &mhi);
  const double *z = o->zobs ? c->zobs : c->zcos;
  int64_t nd = 0;
  *out = 0;
  for (int64_t i = 0; i < c->n; i++) {
    if (!(z[i] >= zlo && z[i] < zhi) || !(c->mass[i] >= mlo && c->mass[i] < mhi)) continue;
    if (o->mass_bin >= 0 && c->mass_bin[i] != o->mass_bin) continue;
    hp_ang_unit_vector(c->ra[i], c->dec[i], u + 3 * nd);
    if (hp_footprint_contains(fp, u + 3 * nd))
      nd++;
    else
      (*out)++; /* on the footprint's edge at most: no random point can pair with it there */
  }
  return nd;
}

int stats_cmd_wtheta(const opts *o, hp_status *st) {
  hp_cone c;
  hp_footprint fp;
  hp_stats_wtheta w[MAX_MASS_BINS];
  hp_stats_table t;
  memset(&fp, 0, sizeof fp);
  memset(w, 0, sizeof w);
  memset(&t, 0, sizeof t);
  double edges[MAX_THETA], *u = NULL;
  int nb = 12, rc = HP_OK;
  int64_t nd[MAX_MASS_BINS] = {0}, nout[MAX_MASS_BINS] = {0};
  if (o->ntheta_n)
    return hp_fail(st, HP_ERR_INPUT,
                   "wtheta: --ntheta sets bispec angles; give the angular bin edges in degrees "
                   "with --theta T0,T1,...");
  if (o->ntheta > 0) {
    nb = o->ntheta - 1;
    memcpy(edges, o->theta, sizeof(double) * (size_t)o->ntheta);
  } else {
    hp_ang_theta_edges_log(0.1, 10, nb, edges);
  }
  if (hp_ang_theta_edges_check(edges, nb, st)) return hp_error_context(st, "wtheta: --theta");
  const double zlo = isfinite(o->zmin) ? o->zmin : -INFINITY;
  const double zhi = isfinite(o->zmax) ? o->zmax : INFINITY;
  if (!(zhi > zlo))
    return hp_fail(st, HP_ERR_INPUT, "wtheta: --zmin %g --zmax %g: expected zmin < zmax", zlo, zhi);
  rc = stats_cone_open(o, &c, st);
  if (rc) return rc;
  const char *path = o->inputs[0];
  char slice[96] = "any redshift", bins[48] = "every painter mass bin";
  if (isfinite(zlo) || isfinite(zhi))
    snprintf(slice, sizeof slice, "%g <= %s < %g", zlo, o->zobs ? "ZObs" : "ZCos", zhi);
  if (o->mass_bin >= 0) snprintf(bins, sizeof bins, "painter mass bin %d", o->mass_bin);
  if (o->mass_bin >= c.hdr.nbins)
    rc = hp_fail(st, HP_ERR_INPUT, "wtheta: --mass-bin %d: %s has painter mass bins 0 to %d",
                 o->mass_bin, path, c.hdr.nbins - 1);
  if (!rc && hp_ang_footprint_from_header(c.hdr.footprint, &fp, st))
    rc = hp_error_context(st, "wtheta: Header/Footprint of %s", path);
  if (!rc && !(u = malloc(sizeof *u * 3 * (size_t)(c.n > 0 ? c.n : 1))))
    rc = hp_fail(st, HP_ERR_NOMEM, "wtheta: %lld unit vectors", (long long)c.n);
  const int ns = stats_nsamples(o, 1);
  for (int j = 0; j < ns && !rc; j++) {
    nd[j] = select_halos(&c, o, j, zlo, zhi, &fp, u, &nout[j]);
    if (nd[j] < 2) continue; /* a row of NaN: too few halos */
    stats_note("wtheta: sample %d: %lld halos, %lld randoms", j, (long long)nd[j],
               (long long)(WTHETA_RANDOMS * nd[j]));
    rc = hp_stats_wtheta_compute(u, nd[j], &fp, WTHETA_RANDOMS * nd[j], WTHETA_SEED, edges, nb,
                                 o->nthreads, &w[j], st);
  }
  free(u);
  if (!rc) {
    cols cl = {.n = 0};
    stats_col(&cl, "theta_lo[deg]");
    stats_col(&cl, "theta_hi[deg]");
    stats_col(&cl, "theta_mid[deg]");
    for (int j = 0; j < ns; j++) {
      char sf[16] = "";
      if (ns > 1) snprintf(sf, sizeof sf, "_m%d", j);
      stats_col(&cl, "DD%s[1]", sf);
      stats_col(&cl, "DR%s[1]", sf);
      stats_col(&cl, "RR%s[1]", sf);
      stats_col(&cl, "w%s[1]", sf);
      stats_col(&cl, "err%s[1]", sf);
    }
    rc = hp_stats_table_init(&t, cl.n, cl.ptr, nb, st);
  }
  if (!rc) {
    hp_stats_table_comment(&t, st, "%s", o->cmdline);
    hp_stats_table_comment(&t, st, "%s", HP_SOFTWARE);
    stats_describe_cone(&t, path, &c, st);
    hp_stats_table_comment(&t, st, "halos with %s, %s", slice, bins);
    hp_stats_table_comment(&t, st,
                           "w = (DD/n_dd - 2 DR/n_dr + RR/n_rr) / (RR/n_rr) (Landy & Szalay "
                           "1993), n_dd = N_d (N_d - 1)/2, n_dr = N_d N_r, n_rr = N_r (N_r - 1)/2; "
                           "err = (1 + w)/sqrt(DD); bins theta_lo <= theta < theta_hi, theta_mid "
                           "their geometric mean");
    hp_stats_table_comment(&t, st,
                           "randoms: %d per halo, uniform in the footprint %s (seed %d); DD and "
                           "RR count each unordered pair once",
                           WTHETA_RANDOMS, fp.desc, WTHETA_SEED);
    for (int j = 0; j < ns; j++) {
      char name[24] = "sample", mass[64];
      if (ns > 1) snprintf(name, sizeof name, "sample m%d", j);
      mass_text(o, j, mass, sizeof mass);
      hp_stats_table_comment(&t, st,
                             "%s: %s: N_d = %lld, N_r = %lld%s; %lld halos outside the footprint "
                             "left out",
                             name, mass, (long long)nd[j],
                             (long long)(nd[j] >= 2 ? WTHETA_RANDOMS * nd[j] : 0),
                             nd[j] >= 2 ? "" : " (too few halos: no w)", (long long)nout[j]);
    }
    for (int i = 0; i < nb; i++) {
      int col = 0;
      HP_TABLE_AT(&t, i, col++) = edges[i];
      HP_TABLE_AT(&t, i, col++) = edges[i + 1];
      HP_TABLE_AT(&t, i, col++) = sqrt(edges[i] * edges[i + 1]);
      for (int j = 0; j < ns; j++) {
        const int ok = w[j].nbins > 0;
        HP_TABLE_AT(&t, i, col++) = ok ? (double)w[j].dd[i] : 0;
        HP_TABLE_AT(&t, i, col++) = ok ? (double)w[j].dr[i] : 0;
        HP_TABLE_AT(&t, i, col++) = ok ? (double)w[j].rr[i] : 0;
        HP_TABLE_AT(&t, i, col++) = ok ? w[j].w[i] : NAN;
        HP_TABLE_AT(&t, i, col++) = ok ? w[j].err[i] : NAN;
      }
    }
    rc = stats_emit(&t, o, st);
  }
  for (int j = 0; j < ns && !rc && o->plot; j++) {
    if (w[j].nbins == 0) continue;
    char fig[1024], title[192], mass[64];
    stats_plot_path(fig, sizeof fig, o, ns, j);
    mass_text(o, j, mass, sizeof mass);
    snprintf(title, sizeof title, "%s, %s", slice, mass);
    rc = plot_wtheta(fig, &w[j], title, st);
    if (!rc) stats_note("wrote %s", fig);
  }
  for (int j = 0; j < ns; j++) hp_stats_wtheta_free(&w[j]);
  hp_stats_table_free(&t);
  hp_footprint_free(&fp);
  hp_cone_free(&c);
  return rc;
}
