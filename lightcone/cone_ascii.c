/* The light-cone catalogue as text: '#' header lines, then one halo a row (docs/lightcone.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "lightcone/cone.h"
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

static void write_text(FILE *f, const hp_cone *c) {
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
          (long long)h->seed, (long long)c->n, h->replicas, h->nshells);
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
  for (int64_t i = 0; i < c->n; i++) {
    const float *x = c->pos + 3 * i, *v = c->vel + 3 * i;
    fprintf(f, "%.9f %.9f %.9f %.9f %.7g %.7g %.7g %.7g %.7g %.7g %.7g %.10g %d %d %lld\n",
            c->ra[i], c->dec[i], c->zcos[i], c->zobs[i], c->dist[i], x[0], x[1], x[2], v[0], v[1],
            v[2], c->mass[i], (int)c->mass_bin[i], (int)c->shell[i], (long long)c->id[i]);
  }
}

int hp_cone_write_ascii(const hp_cone *c, const char *path, hp_status *st) {
  hp_atomic_file af;
  int rc = hp_atomic_begin(&af, path, st);
  if (rc) return rc;
  FILE *f = fopen(af.tmp_path, "w");
  if (!f) {
    const int e = errno;
    hp_atomic_abort(&af);
    return hp_fail(st, HP_ERR_IO, "writing light cone %s: cannot create %s: %s", path, af.tmp_path,
                   strerror(e));
  }
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  write_text(f, c);
  rc = ferror(f);
  if (fclose(f) != 0 || rc) {
    const int e = errno;
    hp_atomic_abort(&af);
    return hp_fail(st, HP_ERR_IO, "writing light cone %s: write error: %s", path, strerror(e));
  }
  rc = hp_atomic_commit(&af, st);
  return rc ? hp_error_context(st, "writing light cone %s", path) : HP_OK;
}
