/* `halopaint stats hmf`: mass functions with Poisson errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/stats_cli.h"
#include "plugin/version.h"

int stats_cmd_hmf(const opts *o, hp_status *st) {
  if (o->ninputs < 1) return hp_fail(st, HP_ERR_INPUT, "hmf takes one or more catalogues");
  source s[MAX_INPUTS];
  hp_stats_hmf h[MAX_INPUTS];
  memset(s, 0, sizeof s);
  memset(h, 0, sizeof h);
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int rc = HP_OK, nb = o->nmass;
  double edges[10001];
  for (int i = 0; i < o->ninputs && !rc; i++) {
    rc = stats_source_load(&s[i], o->inputs[i], i < 2 ? i : ROLE_ANY, o, st);
    if (!rc && s[i].kind != SRC_CAT)
      rc = hp_fail(st, HP_ERR_INPUT, "hmf: %s is not a halo catalogue", s[i].path);
  }
  if (!rc && nb > 0) {
    memcpy(edges, o->medges, sizeof(double) * (nb + 1));
  } else if (!rc) {
    double lo = o->mmin, hi = o->mmax;
    if (!isfinite(lo) || !isfinite(hi)) {
      double a = INFINITY, b = 0;
      for (int64_t i = 0; i < s[0].cat.n; i++)
        if (s[0].cat.mass[i] > 0) a = fmin(a, s[0].cat.mass[i]), b = fmax(b, s[0].cat.mass[i]);
      if (!isfinite(lo)) lo = a;
      if (!isfinite(hi)) hi = b * 1.000001;
    }
    nb = o->nmass_log;
    rc = hp_stats_mass_edges_log(lo, hi, nb, edges, st);
    if (rc) hp_error_context(st, "hmf: mass range (give --mass-bins or --mmin/--mmax)");
  }
  for (int i = 0; i < o->ninputs && !rc; i++)
    rc = hp_stats_hmf_compute(s[i].cat.mass, s[i].cat.n, edges, nb, s[i].box, &h[i], st);
  if (!rc) {
    cols c = {.n = 0};
    stats_col(&c, "M_lo[Msun/h]");
    stats_col(&c, "M_hi[Msun/h]");
    for (int i = 0; i < o->ninputs; i++) {
      char sf[16] = "";
      if (o->ninputs > 1) snprintf(sf, sizeof sf, "_%d", i);
      stats_col(&c, "M_mean%s[Msun/h]", sf);
      stats_col(&c, "N%s[1]", sf);
      stats_col(&c, "dndlog10M%s[(h/Mpc)^3]", sf);
      stats_col(&c, "err%s[(h/Mpc)^3]", sf);
    }
    rc = hp_stats_table_init(&t, c.n, c.ptr, nb, st);
    hp_stats_table_comment(&t, st, "%s", o->cmdline);
    hp_stats_table_comment(&t, st, "%s", HP_SOFTWARE);
    hp_stats_table_comment(&t, st,
                           "dn/dlog10M = N / (V dlog10M), err = sqrt(N) / (V dlog10M); "
                           "bins M_lo <= M < M_hi");
    for (int i = 0; i < o->ninputs; i++) {
      char role[32];
      snprintf(role, sizeof role, "catalogue %d", i);
      stats_describe_source(&t, &s[i], role, st);
      hp_stats_table_comment(&t, st, "  %lld halos below the first edge, %lld at or above the last",
                             (long long)h[i].below, (long long)h[i].above);
    }
    for (int b = 0; b < nb; b++) {
      int k = 0;
      HP_TABLE_AT(&t, b, k++) = edges[b];
      HP_TABLE_AT(&t, b, k++) = edges[b + 1];
      for (int i = 0; i < o->ninputs; i++) {
        HP_TABLE_AT(&t, b, k++) = h[i].m_mean[b];
        HP_TABLE_AT(&t, b, k++) = (double)h[i].count[b];
        HP_TABLE_AT(&t, b, k++) = h[i].dndlog10m[b];
        HP_TABLE_AT(&t, b, k++) = h[i].err[b];
      }
    }
    if (!rc) rc = stats_emit(&t, o, st);
  }
  if (!rc && o->plot) {
    const hp_stats_hmf *hp[MAX_INPUTS];
    for (int i = 0; i < o->ninputs; i++) hp[i] = &h[i];
    rc = hp_fig_hmf(o->plot, "halo mass function", hp, o->inputs, o->ninputs, st);
    if (!rc) stats_note("wrote %s", o->plot);
  }
  for (int i = 0; i < o->ninputs; i++) {
    hp_stats_hmf_free(&h[i]);
    stats_source_free(&s[i]);
  }
  hp_stats_table_free(&t);
  return rc;
}
