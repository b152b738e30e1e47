/* The light-cone catalogue as text: '#' header lines, then one halo a row (docs/lightcone.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "lightcone/cone.h"
#include "lightcone/cone_io.h"
#include "util/atomic_file.h"

/* A header value on one line: control characters become spaces. */
static void put_text(FILE *f, const char *key, const char *v) {
  fprintf(f, "# %s = ", key);
  for (const char *c = v; *c; c++) fputc((unsigned char)*c < 32 ? ' ' : *c, f);
  fputc('\n', f);
}

static void put_array(FILE *f, const char *key, const double *v, int n) {
  fprintf(f, "# %s =", key);
  for (int i = 0; i < n; i++) fprintf(f, " %.10g", v[i]);
  fputc('\n', f);
}

static void write_header(FILE *f, const hp_cone *c, int64_t n) {
  const hp_cone_header *h = &c->hdr;
  fputs("# halopaint light cone, ASCII form (docs/lightcone.md)\n# [Header]\n", f);
  fprintf(f, "# FormatVersion = %d\n", HP_CONE_FORMAT_VERSION);
  const char *rk[] = {"BoxSize",         "ZMin",        "ZMax",        "DistanceMin", "DistanceMax",
                      "Omega0",          "OmegaLambda", "OmegaBaryon", "HubbleParam", "Sigma8",
                      "PrimordialIndex", "SkyFraction"};
  const double rv[] = {h->box,     h->zmin,    h->zmax, h->dmin,   h->dmax, h->omega_m,
                       h->omega_l, h->omega_b, h->h,    h->sigma8, h->n_s,  h->sky_fraction};
  for (size_t i = 0; i < sizeof rv / sizeof rv[0]; i++) fprintf(f, "# %s = %.17g\n", rk[i], rv[i]);
  put_array(f, "Observer", h->observer, 3);
  fprintf(f, "# Seed = %lld\n# NumHalos = %lld\n# ReplicasPerAxis = %d\n# NumShells = %d\n",
          (long long)h->seed, (long long)n, h->replicas, h->nshells);
  put_text(f, "Footprint", h->footprint);
  put_text(f, "Evolution", h->evolution);
  put_text(f, "MassDefinition", h->mass_def);
  put_text(f, "Command", h->command);
  put_text(f, "Software", h->software);
  put_array(f, "ShellEdges", h->shell_edges, h->nshells + 1);
  put_array(f, "ShellRedshift", h->shell_z, h->nshells);
  put_array(f, "MassBinEdges", h->bin_edges, h->nbins + 1);
  put_array(f, "ShellMeanDensity", h->shell_density, h->nshells * h->nbins);
  put_array(f, "ShellMeanDensityFar", h->shell_density_far, h->nshells * h->nbins);
  fprintf(f, "# UnitLength = %s\n# UnitVelocity = %s\n# UnitMass = %s\n# [Parameters]\n",
          HP_CAT_UNIT_LENGTH, HP_CAT_UNIT_VELOCITY, HP_CAT_UNIT_MASS);
  for (int i = 0; i < c->nparams; i++) put_text(f, c->param_key[i], c->param_value[i]);
  fputs(
      "# columns: ra[deg] dec[deg] z_cos z_obs distance[Mpc/h] x[Mpc/h] y[Mpc/h] z[Mpc/h] "
      "vx[km/s] vy[km/s] vz[km/s] mass[Msun/h] mass_bin shell id\n",
      f);
}

int hp_cone_txt_open(hp_cone_writer *w, hp_status *st) {
  /* the rows wait in an anonymous file (gone with the process) until the header is known */
  if (!(w->body = tmpfile()))
    return hp_fail(st, HP_ERR_IO, "cannot create a temporary file for the rows: %s",
                   strerror(errno));
  setvbuf(w->body, NULL, _IOFBF, 1 << 20);
  return HP_OK;
}

int hp_cone_txt_append(hp_cone_writer *w, const hp_cone *c, hp_status *st) {
  for (int64_t i = 0; i < c->n; i++) {
    const float *x = c->pos + 3 * i, *v = c->vel + 3 * i;
    fprintf(w->body, "%.9f %.9f %.9f %.9f %.7g %.7g %.7g %.7g %.7g %.7g %.7g %.10g %d %d %lld\n",
            c->ra[i], c->dec[i], c->zcos[i], c->zobs[i], c->dist[i], x[0], x[1], x[2], v[0], v[1],
            v[2], c->mass[i], (int)c->mass_bin[i], (int)c->shell[i], (long long)c->id[i]);
  }
  return ferror(w->body) ? hp_fail(st, HP_ERR_IO, "write error: %s", strerror(errno)) : HP_OK;
}

int hp_cone_txt_close(hp_cone_writer *w, const hp_cone *c, hp_status *st) {
  FILE *f = fopen(w->af.tmp_path, "w");
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot create %s: %s", w->af.tmp_path, strerror(errno));
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  write_header(f, c, w->written);
  char buf[1 << 16];
  size_t got;
  rewind(w->body);
  while ((got = fread(buf, 1, sizeof buf, w->body)) > 0 && fwrite(buf, 1, got, f) == got) {
  }
  const int bad = ferror(w->body) || ferror(f);
  const int e = errno;
  fclose(w->body);
  w->body = NULL;
  if (fclose(f) != 0 || bad)
    return hp_fail(st, HP_ERR_IO, "write error on %s: %s", w->af.tmp_path, strerror(e ? e : errno));
  return HP_OK;
}

void hp_cone_txt_abort(hp_cone_writer *w) {
  if (w->body) fclose(w->body), w->body = NULL;
}
