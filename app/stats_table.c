/* `halopaint stats`: table columns, headers, output paths and reference curves. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
#include "plugin/version.h"

void stats_col(cols *c, const char *fmt, ...) {
  if (c->n >= 512) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->name[c->n], sizeof c->name[c->n], fmt, ap);
  va_end(ap);
  c->ptr[c->n] = c->name[c->n];
  c->n++;
}

void stats_describe_source(hp_stats_table *t, const source *s, const char *role, hp_status *st) {
  const char *kinds[] = {"", "halo catalogue", "grid", "2LPT particles of a parameter file"};
  hp_stats_table_comment(
      t, st, "%s: %s (%s), BoxSize %.10g Mpc/h", role, s->path,
      s->regenerated ? "2LPT particles regenerated from its stored parameters" : kinds[s->kind],
      s->box);
  if (s->kind == SRC_CAT)
    hp_stats_table_comment(t, st, "  %lld halos, z = %g, mass definition: %s", (long long)s->cat.n,
                           s->cat.hdr.redshift, s->cat.hdr.mass_def);
  if (s->kind == SRC_GRID) {
    static const char *what[4] = {"a density (no shot noise)", "a density contrast (no shot noise)",
                                  "objects per voxel, a point set (shot noise V/N)",
                                  "expected counts, a mean field (no shot noise)"};
    char sel[256];
    stats_grid_selection(s, sel, sizeof sel);
    hp_stats_table_comment(t, st, "  dataset /%s, %lld^3%s%s; kind %s: %s", s->dataset,
                           (long long)s->n, *sel ? ", " : "", sel, stats_grid_kind_name(s->gkind),
                           what[s->gkind & 3]);
  }
  if (s->kind == SRC_PARAM)
    hp_stats_table_comment(t, st, "  z = %g, Seed %lld, NParticles %lld (no shot noise: a lattice)",
                           s->z, (long long)hp_params_int(s->par, "Seed"),
                           (long long)hp_params_int(s->par, "NParticles"));
}

void stats_sample_text(const source *s, double lo, double hi, char *buf, size_t n) {
  if (s->kind == SRC_CAT) {
    if (lo > 0 || isfinite(hi))
      snprintf(buf, n, "%.4g <= M < %.4g Msun/h", lo, hi);
    else
      snprintf(buf, n, "all halos");
  } else if (s->kind == SRC_GRID) {
    char sel[256];
    stats_grid_selection(s, sel, sizeof sel);
    snprintf(buf, n, "grid /%s%s%s", s->dataset, *sel ? ", " : "", sel);
  } else {
    snprintf(buf, n, "2LPT particles (matter)");
  }
}

void stats_describe_mesh(hp_stats_table *t, const opts *o, int64_t n, double box,
                         const hp_stats_bins *b, hp_status *st) {
  hp_stats_table_comment(t, st, "%s", o->cmdline);
  hp_stats_table_comment(t, st, "%s", HP_SOFTWARE);
  hp_stats_table_comment(t, st,
                         "mesh %lld^3, box %.10g Mpc/h, k_f = %.6g h/Mpc, k_Nyquist = %.6g h/Mpc; "
                         "catalogues/particles: %s assignment, %s, %s",
                         (long long)n, box, 2 * M_PI / box, M_PI * n / box,
                         hp_stats_window_name(o->window),
                         o->interlace ? "interlaced" : "not interlaced",
                         o->deconvolve ? "window deconvolved" : "window kept");
  if (b)
    hp_stats_table_comment(t, st, "k bins: %s, %d bins in [%.6g, %.6g) h/Mpc (by |k| of modes)",
                           b->log ? "logarithmic" : "linear", b->nbins, b->kmin, b->kmax);
  hp_stats_table_comment(t, st,
                         "conventions: delta(k) = int d^3x delta(x) exp(-ik.x), P = <|delta|^2>/V "
                         "[(Mpc/h)^3]; shot = aliased Poisson shot noise of the bin (0 if none); "
                         "err = Gaussian standard error");
}

int stats_emit(const hp_stats_table *t, const opts *o, hp_status *st) {
  if (o->out) {
    if (hp_stats_table_write(t, o->out, st)) return st->code;
    stats_note("wrote %s", o->out);
    return HP_OK;
  }
  return hp_stats_table_print(t, stdout, st);
}

void stats_plot_path(char *buf, size_t n, const opts *o, int ns, int j) {
  if (ns == 1) {
    snprintf(buf, n, "%s", o->plot);
    return;
  }
  /* "out.svg" -> "out_m3.svg" */
  const char *path = o->plot, *dot = strrchr(path, '.');
  if (!dot || strchr(dot, '/')) dot = path + strlen(path);
  snprintf(buf, n, "%.*s_m%d%s", (int)(dot - path), path, j, dot);
}

void stats_k_columns(cols *c) {
  stats_col(c, "k_lo[h/Mpc]");
  stats_col(c, "k_hi[h/Mpc]");
  stats_col(c, "k_mean[h/Mpc]");
  stats_col(c, "nmodes[1]");
}

void stats_k_row(hp_stats_table *t, const hp_stats_pk *pk, int64_t i, int *k) {
  HP_TABLE_AT(t, i, (*k)++) = pk->k_lo[i];
  HP_TABLE_AT(t, i, (*k)++) = pk->k_hi[i];
  HP_TABLE_AT(t, i, (*k)++) = pk->k_mean[i];
  HP_TABLE_AT(t, i, (*k)++) = (double)pk->nmodes[i];
}

/* Samples of a command: mass bins of a catalogue, or one selection. */
int stats_nsamples(const opts *o, int any_cat) { return any_cat && o->nmass > 0 ? o->nmass : 1; }

void stats_sample_range(const opts *o, int j, double *lo, double *hi) {
  if (o->nmass > 0) {
    *lo = o->medges[j];
    *hi = o->medges[j + 1];
  } else {
    *lo = o->mlo;
    *hi = o->mhi;
  }
}

/* Reference P(k): first and last columns of a text table. */
int stats_read_ref(const char *path, double **k, double **p, int64_t *n, hp_status *st) {
  FILE *f = fopen(path, "r");
  if (!f) return hp_fail(st, HP_ERR_IO, "--ref %s: %s", path, strerror(errno));
  int64_t cap = 256, m = 0;
  double *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
  char line[8192];
  while (a && b && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    double v[64];
    int nv = 0;
    char *c = line, *end;
    while (nv < 64) {
      const double x = strtod(c, &end);
      if (end == c) break;
      v[nv++] = x;
      c = end;
    }
    if (nv < 2) continue;
    if (m == cap) {
      cap *= 2;
      double *a2 = realloc(a, cap * sizeof *a), *b2 = realloc(b, cap * sizeof *b);
      if (a2) a = a2;
      if (b2) b = b2;
      if (!a2 || !b2) break;
    }
    a[m] = v[0];
    b[m] = v[nv - 1];
    m++;
  }
  fclose(f);
  if (!a || !b || m == 0) {
    free(a);
    free(b);
    return hp_fail(st, HP_ERR_FORMAT, "--ref %s: no rows of numbers", path);
  }
  *k = a;
  *p = b;
  *n = m;
  return HP_OK;
}
