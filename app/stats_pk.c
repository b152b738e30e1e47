/* `halopaint stats pk`: power spectra per mass bin, redshift-space multipoles. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"

int stats_cmd_pk(const opts *o, hp_status *st) {
  if (o->ninputs != 1) return hp_fail(st, HP_ERR_INPUT, "pk takes one INPUT");
  source s;
  hp_stats_mesh *mesh = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  hp_stats_bins bins;
  int rc = stats_open_one(&s, o, &n, &box, &mesh, st);
  if (!rc) rc = stats_make_bins(o, n, box, &bins, st);
  const int ns = stats_nsamples(o, s.kind == SRC_CAT), nl = o->rsd >= 0 ? 4 : 1;
  hp_stats_pk *pk = calloc((size_t)(ns * nl), sizeof *pk);
  double *nbar = calloc((size_t)ns, sizeof *nbar);
  int64_t *count = calloc((size_t)ns, sizeof *count);
  if (!rc && (!pk || !nbar || !count)) rc = hp_fail(st, HP_ERR_NOMEM, "spectra");
  for (int j = 0; j < ns && !rc; j++) {
    double lo, hi;
    stats_sample_range(o, j, &lo, &hi);
    hp_stats_field f;
    if ((rc = stats_source_field(&s, o, lo, hi, o->rsd, mesh, &f, st))) break;
    nbar[j] = f.nbar;
    count[j] = f.count;
    if (o->rsd >= 0) {
      /* multipoles in redshift space, and P(k) of the same sample in real space */
      rc = hp_stats_power_multipoles(&f, &bins, o->rsd, o->nthreads, &pk[4 * j], &pk[4 * j + 1],
                                     &pk[4 * j + 2], st);
      hp_stats_field_free(&f);
      if (!rc) rc = stats_source_field(&s, o, lo, hi, -1, mesh, &f, st);
      if (!rc) rc = hp_stats_power(&f, NULL, &bins, o->nthreads, &pk[4 * j + 3], st);
    } else {
      rc = hp_stats_power(&f, NULL, &bins, o->nthreads, &pk[j], st);
    }
    hp_stats_field_free(&f);
    stats_note("sample %d: P(k) in %d bins", j, bins.nbins);
  }
  if (!rc) {
    cols c = {.n = 0};
    stats_k_columns(&c);
    for (int j = 0; j < ns; j++) {
      char sfx[16] = "";
      if (ns > 1) snprintf(sfx, sizeof sfx, "_m%d", j);
      for (int l = 0; l < nl; l++) {
        const char *ln = nl == 1 ? "" : l == 0 ? "0" : l == 1 ? "2" : l == 2 ? "4" : "_real";
        stats_col(&c, "P%s%s[(Mpc/h)^3]", ln, sfx);
        stats_col(&c, "shot%s%s[(Mpc/h)^3]", ln, sfx);
        stats_col(&c, "err%s%s[(Mpc/h)^3]", ln, sfx);
      }
    }
    rc = hp_stats_table_init(&t, c.n, c.ptr, bins.nbins, st);
    stats_describe_mesh(&t, o, n, box, &bins, st);
    stats_describe_source(&t, &s, "input", st);
    if (o->rsd >= 0)
      hp_stats_table_comment(&t, st,
                             "redshift space along %c (plane parallel, shift v (1+z)/(100 E(z))); "
                             "P0, P2, P4 = Legendre multipoles; shot_l = multipole of the aliased "
                             "shot noise; P_real = the same sample in real space",
                             "xyz"[o->rsd]);
    for (int j = 0; s.kind == SRC_CAT && j < ns; j++) {
      double lo, hi;
      stats_sample_range(o, j, &lo, &hi);
      hp_stats_table_comment(&t, st,
                             "sample%s%d: %g <= M < %g Msun/h: %lld halos, nbar = %.6g (h/Mpc)^3, "
                             "1/nbar = %.6g (Mpc/h)^3",
                             ns > 1 ? " m" : " ", j, lo, hi, (long long)count[j], nbar[j],
                             nbar[j] > 0 ? 1 / nbar[j] : 0.0);
    }
    for (int i = 0; !rc && i < bins.nbins; i++) {
      int k = 0;
      stats_k_row(&t, &pk[0], i, &k);
      for (int j = 0; j < ns * nl; j++) {
        HP_TABLE_AT(&t, i, k++) = pk[j].p[i];
        HP_TABLE_AT(&t, i, k++) = pk[j].shot[i];
        HP_TABLE_AT(&t, i, k++) = pk[j].err[i];
      }
    }
    if (!rc) rc = stats_emit(&t, o, st);
  }
  if (!rc && o->plot) {
    for (int j = 0; j < ns && !rc; j++) {
      char path[4200];
      stats_plot_path(path, sizeof path, o, ns, j);
      char title[600];
      double lo, hi;
      stats_sample_range(o, j, &lo, &hi);
      if (s.kind == SRC_CAT && (lo > 0 || isfinite(hi)))
        snprintf(title, sizeof title, "%s: %.3g <= M < %.3g Msun/h", s.path, lo, hi);
      else
        snprintf(title, sizeof title, "%s", s.path);
      if (o->rsd >= 0) {
        rc = hp_fig_multipoles(path, title, &pk[4 * j], &pk[4 * j + 1], NULL, &pk[4 * j + 3], st);
      } else {
        hp_fig_curve ref = {0, NULL, NULL, NULL};
        double *rk = NULL, *rp = NULL;
        int64_t nr = 0;
        hp_cosmology *cosmo;
        double z;
        char lab[128] = "";
        if (o->ref) {
          rc = stats_read_ref(o->ref, &rk, &rp, &nr, st);
          snprintf(lab, sizeof lab, "reference (%s)", o->ref);
        } else if (stats_source_cosmology(&s, &cosmo, &z, st)) {
          hp_growth g;
          if (!hp_cosmo_growth(cosmo, 1.0 / (1.0 + z), &g, st)) {
            nr = 200;
            rk = malloc(nr * sizeof *rk);
            rp = malloc(nr * sizeof *rp);
            double b2 = 1.0, num = 0, den = 0;
            for (int i = 0; i < bins.nbins; i++) /* b^2 at k < k_bias for tracers */
              if (pk[j].nmodes[i] > 0 && pk[j].k_mean[i] < o->k_bias) {
                num += pk[j].nmodes[i] * (pk[j].p[i] - pk[j].shot[i]) /
                       (g.D1 * g.D1 * hp_cosmo_power(cosmo, pk[j].k_mean[i]));
                den += pk[j].nmodes[i];
              }
            if (s.kind == SRC_CAT && den > 0 && num > 0) b2 = num / den;
            for (int64_t i = 0; rk && rp && i < nr; i++) {
              rk[i] = bins.kmin > 0 ? bins.kmin * pow(bins.kmax / bins.kmin, i / (nr - 1.0))
                                    : bins.kmax * pow(10.0, -2.0 + 2.0 * i / (nr - 1.0));
              rp[i] = b2 * g.D1 * g.D1 * hp_cosmo_power(cosmo, rk[i]);
            }
            if (s.kind == SRC_CAT)
              snprintf(lab, sizeof lab, "b^2 P_lin(k, z=%g), b = %.3f", z, sqrt(b2));
            else
              snprintf(lab, sizeof lab, "P_lin(k, z=%g)", z);
          } else {
            hp_status_clear(st);
          }
        }
        if (!rc && rk && rp) ref = (hp_fig_curve){nr, rk, rp, lab};
        const hp_stats_pk *one[1] = {&pk[j]};
        const char *labels[1] = {s.kind == SRC_CAT ? "halos" : "measured"};
        if (!rc) rc = hp_fig_power(path, title, one, labels, 1, 0, &ref, st);
        free(rk);
        free(rp);
      }
      if (!rc) stats_note("wrote %s", path);
    }
  }
  for (int j = 0; pk && j < ns * nl; j++) hp_stats_pk_free(&pk[j]);
  free(pk);
  free(nbar);
  free(count);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  stats_source_free(&s);
  return rc;
}
