/*
 * `halopaint stats nz CONE`: the redshift distribution of a light cone per painter mass bin,
 * against the density its shells were painted with (stats/cone_nz.h). Also the light-cone
 * helpers shared with stats_wtheta.c: reading the one input and describing its header.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
#include "plugin/version.h"
#include "stats/cone_nz.h"
#include "stats/plot.h"

int stats_cone_open(const opts *o, hp_cone *c, hp_status *st) {
  memset(c, 0, sizeof *c);
  if (o->ninputs != 1)
    return hp_fail(st, HP_ERR_INPUT, "%s takes one light-cone catalogue (HDF5), got %d inputs",
                   o->sub, o->ninputs);
  if (o->nov > 0)
    return hp_fail(st, HP_ERR_INPUT, "%s: -s overrides apply to parameter files, not to a cone",
                   o->sub);
  if (hp_cone_read(c, o->inputs[0], st))
    return hp_error_context(st, "%s takes a light-cone catalogue (HDF5)", o->sub);
  return HP_OK;
}

void stats_describe_cone(hp_stats_table *t, const char *path, const hp_cone *c, hp_status *st) {
  const hp_cone_header *h = &c->hdr;
  hp_stats_table_comment(t, st, "light cone: %s, %lld halos, %s", path, (long long)c->n,
                         h->software);
  hp_stats_table_comment(t, st,
                         "  footprint %s (sky fraction %.6g, %.6g deg^2), %.6g <= z <= %.6g, "
                         "%.6g to %.6g Mpc/h",
                         h->footprint, h->sky_fraction, h->sky_fraction * HP_SKY_DEG2, h->zmin,
                         h->zmax, h->dmin, h->dmax);
  hp_stats_table_comment(t, st,
                         "  Omega0 %.6g, OmegaLambda %.6g, Seed %lld, evolution %s, %d shells, "
                         "mass definition %s",
                         h->omega_m, h->omega_l, (long long)h->seed, h->evolution, h->nshells,
                         h->mass_def);
  for (int k = 0; k < h->nbins; k++)
    hp_stats_table_comment(t, st, "  painter mass bin %d: %.6g <= M < %.6g Msun/h", k,
                           h->bin_edges[k], h->bin_edges[k + 1]);
}

/* n / n_exp against z with Poisson errors, one series per painter mass bin and all of them. */
static int plot_nz(const char *path, const hp_stats_nz *nz, const hp_cone *c, hp_status *st) {
  hp_plot_panel p;
  hp_plot_panel_init(&p, c->hdr.footprint, nz->zobs ? "observed redshift z_obs" : "redshift z",
                     "n(z) / n_exp(z)", 0, 0);
  const int nb = nz->nz, ns = nz->nsamp;
  /* the first mass bins that fit beside "all" and the line at 1 */
  const int nk = ns - 1 < HP_PLOT_MAX_SERIES - 2 ? ns - 1 : HP_PLOT_MAX_SERIES - 2;
  /* x, the line at 1, then y, y - err, y + err per series: borrowed until the figure is out */
  double *x = malloc(sizeof *x * (size_t)nb * (2 + 3 * (size_t)(nk + 1)));
  if (!x) return hp_fail(st, HP_ERR_NOMEM, "nz figure: %d bins", nb);
  double *one = x + nb;
  for (int b = 0; b < nb; b++) x[b] = 0.5 * (nz->z_lo[b] + nz->z_hi[b]), one[b] = 1;
  int rc = hp_plot_add_xy(&p, NULL, HP_PLOT_LINE, nb, x, one, NULL, NULL, "#999999", st);
  char label[HP_PLOT_MAX_SERIES][32]; /* borrowed too */
  for (int j = 0; j <= nk && !rc; j++) {
    const int k = j < nk ? j : ns - 1; /* the last series: all halos */
    double *y = x + (size_t)nb * (2 + 3 * (size_t)j), *lo = y + nb, *hi = y + 2 * nb;
    if (k < ns - 1)
      snprintf(label[j], sizeof label[j], "mass bin %d", k);
    else
      snprintf(label[j], sizeof label[j], "all halos");
    for (int b = 0; b < nb; b++) {
      const size_t i = (size_t)b * ns + k;
      y[b] = nz->ratio[i];
      lo[b] = nz->ratio[i] - nz->err[i];
      hi[b] = nz->ratio[i] + nz->err[i];
    }
    rc = hp_plot_add_xy(&p, label[j], HP_PLOT_POINTS, nb, x, y, lo, hi,
                        k < ns - 1 ? NULL : "#000000", st);
  }
  if (!rc) rc = hp_plot_svg(&p, 1, 1, "light cone: n(z) against the painted density", path, st);
  free(x);
  return rc;
}

int stats_cmd_nz(const opts *o, hp_status *st) {
  hp_cone c;
  hp_stats_nz nz;
  hp_stats_table t;
  memset(&nz, 0, sizeof nz);
  memset(&t, 0, sizeof t);
  if (o->nmass > 0 || o->mass_bin >= 0 || o->mlo > 0 || isfinite(o->mhi))
    return hp_fail(st, HP_ERR_INPUT,
                   "nz: --mass-bins, --mass-range and --mass-bin do not apply: n(z) is given per "
                   "painter mass bin, whose expectation the cone's header holds");
  int rc = stats_cone_open(o, &c, st);
  if (rc) return rc;
  rc = hp_stats_cone_nz(&c, o->dz, o->zobs, &nz, st);
  if (rc) {
    hp_cone_free(&c);
    return hp_error_context(st, "nz %s", o->inputs[0]);
  }
  const int ns = nz.nsamp;
  cols cl = {.n = 0};
  stats_col(&cl, "z_lo[1]");
  stats_col(&cl, "z_hi[1]");
  stats_col(&cl, "chi_lo[Mpc/h]");
  stats_col(&cl, "chi_hi[Mpc/h]");
  stats_col(&cl, "V[(Mpc/h)^3]");
  for (int k = 0; k < ns; k++) {
    char sf[16];
    if (k < ns - 1)
      snprintf(sf, sizeof sf, "_m%d", k);
    else
      snprintf(sf, sizeof sf, "_all");
    stats_col(&cl, "N%s[1]", sf);
    stats_col(&cl, "dNdz%s[deg^-2]", sf);
    stats_col(&cl, "n%s[(h/Mpc)^3]", sf);
    stats_col(&cl, "n_exp%s[(h/Mpc)^3]", sf);
    stats_col(&cl, "ratio%s[1]", sf);
    stats_col(&cl, "err%s[1]", sf);
  }
  rc = hp_stats_table_init(&t, cl.n, cl.ptr, nz.nz, st);
  if (!rc) {
    hp_stats_table_comment(&t, st, "%s", o->cmdline);
    hp_stats_table_comment(&t, st, "%s", HP_SOFTWARE);
    stats_describe_cone(&t, o->inputs[0], &c, st);
    hp_stats_table_comment(&t, st,
                           "n(z) in bins z_lo <= %s < z_hi of width %g (the last closed at ZMax); "
                           "_mK: painter mass bin K (Halos/MassBin), _all: every halo",
                           o->zobs ? "ZObs" : "ZCos", o->dz);
    hp_stats_table_comment(&t, st,
                           "V = SkyFraction 4 pi/3 (chi_hi^3 - chi_lo^3); dNdz = N / (dz %.6g "
                           "deg^2); n = N / V; n_exp = sum_s ShellMeanDensity[s] V(shell s in the "
                           "bin) / V; ratio = n / n_exp, err = sqrt(N) / (n_exp V)",
                           nz.area_deg2);
    if (o->zobs)
      hp_stats_table_comment(&t, st,
                             "binned in observed redshift ZObs: n_exp is the real-space "
                             "expectation (peculiar velocities move halos between bins)");
    hp_stats_table_comment(&t, st, "%lld halos below ZMin and %lld above ZMax are in no bin",
                           (long long)nz.below, (long long)nz.above);
    for (int b = 0; b < nz.nz; b++) {
      int col = 0;
      HP_TABLE_AT(&t, b, col++) = nz.z_lo[b];
      HP_TABLE_AT(&t, b, col++) = nz.z_hi[b];
      HP_TABLE_AT(&t, b, col++) = nz.chi_lo[b];
      HP_TABLE_AT(&t, b, col++) = nz.chi_hi[b];
      HP_TABLE_AT(&t, b, col++) = nz.volume[b];
      for (int k = 0; k < ns; k++) {
        const size_t i = (size_t)b * ns + k;
        HP_TABLE_AT(&t, b, col++) = (double)nz.count[i];
        HP_TABLE_AT(&t, b, col++) = nz.dndz[i];
        HP_TABLE_AT(&t, b, col++) = nz.n[i];
        HP_TABLE_AT(&t, b, col++) = nz.n_exp[i];
        HP_TABLE_AT(&t, b, col++) = nz.ratio[i];
        HP_TABLE_AT(&t, b, col++) = nz.err[i];
      }
    }
    rc = stats_emit(&t, o, st);
  }
  if (!rc && o->plot) {
    rc = plot_nz(o->plot, &nz, &c, st);
    if (!rc) stats_note("wrote %s", o->plot);
  }
  hp_stats_table_free(&t);
  hp_stats_nz_free(&nz);
  hp_cone_free(&c);
  return rc;
}
