/*
 * n(z) of a light cone against its shells' painted mean densities (cone_nz.h): the observed
 * density in redshift bins and the expectation from Header/ShellMeanDensity, volume-weighted
 * over the shells each bin overlaps.
 */
#include "stats/cone_nz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lightcone/geometry.h"

void hp_stats_nz_free(hp_stats_nz *nz) {
  if (!nz) return;
  free(nz->z_lo);
  free(nz->count);
  memset(nz, 0, sizeof *nz);
}

/* Halos expected in shell s between distances a and b: the density falls linearly in r from
 * ShellMeanDensity (near edge) to ShellMeanDensityFar (far edge), integrated over the
 * footprint's volume, fsky 4 pi r^2 dr. */
static double shell_halos(const hp_cone_header *h, int s, int k, double a, double b) {
  if (!(b > a)) return 0.0;
  const double r0 = h->shell_edges[s], r1 = h->shell_edges[s + 1];
  const double n0 = h->shell_density[(size_t)s * h->nbins + k],
               n1 = h->shell_density_far[(size_t)s * h->nbins + k];
  const double g = r1 > r0 ? (n1 - n0) / (r1 - r0) : 0.0;
  return h->sky_fraction * 4 * M_PI *
         ((n0 - g * r0) * (b * b * b - a * a * a) / 3 + g * (b * b * b * b - a * a * a * a) / 4);
}

/* Volume of the footprint between comoving distances lo and hi (0 when hi <= lo). */
static double shell_volume(double fsky, double lo, double hi) {
  return hi > lo ? fsky * (4 * M_PI / 3) * (hi * hi * hi - lo * lo * lo) : 0.0;
}

int hp_stats_cone_nz(const hp_cone *c, double dz, int zobs, hp_stats_nz *out, hp_status *st) {
  memset(out, 0, sizeof *out);
  const hp_cone_header *h = &c->hdr;
  if (!(dz > 0) || !isfinite(dz))
    return hp_fail(st, HP_ERR_INPUT, "n(z): dz = %g (expected > 0)", dz);
  if (!(h->zmin >= 0) || !(h->zmax > h->zmin) || !isfinite(h->zmax))
    return hp_fail(st, HP_ERR_INPUT,
                   "n(z): Header ZMin = %g, ZMax = %g (expected 0 <= ZMin < ZMax)", h->zmin,
                   h->zmax);
  if (!(h->sky_fraction > 0 && h->sky_fraction <= 1))
    return hp_fail(st, HP_ERR_INPUT, "n(z): Header SkyFraction = %g (expected in (0, 1])",
                   h->sky_fraction);
  /* bins of width dz; the relative slack keeps (0.3 - 0.1) / 0.1 at 2 bins, not 3 */
  const double span = (h->zmax - h->zmin) / dz;
  if (span > 1e6)
    return hp_fail(st, HP_ERR_INPUT, "n(z): dz = %g makes %.3g bins (at most 10^6)", dz, span);
  const int nz = (int)ceil(span * (1 - 1e-9)), ns = h->nbins + 1;
  const size_t nbin = (size_t)nz, ncell = nbin * (size_t)ns;
  out->nz = nz;
  out->nsamp = ns;
  out->zobs = zobs;
  out->area_deg2 = h->sky_fraction * HP_SKY_DEG2;
  out->z_lo = malloc((5 * nbin + 5 * ncell) * sizeof(double));
  out->count = calloc(ncell, sizeof *out->count);
  if (!out->z_lo || !out->count) {
    hp_stats_nz_free(out);
    return hp_fail(st, HP_ERR_NOMEM, "n(z): %d bins x %d samples", nz, ns);
  }
  out->z_hi = out->z_lo + nbin;
  out->chi_lo = out->z_lo + 2 * nbin;
  out->chi_hi = out->z_lo + 3 * nbin;
  out->volume = out->z_lo + 4 * nbin;
  out->dndz = out->z_lo + 5 * nbin;
  out->n = out->dndz + ncell;
  out->n_exp = out->dndz + 2 * ncell;
  out->ratio = out->dndz + 3 * ncell;
  out->err = out->dndz + 4 * ncell;

  hp_distance_table dt;
  int rc = hp_distance_table_create(&dt, h->omega_m, h->omega_l, h->zmax, st);
  if (rc) {
    hp_stats_nz_free(out);
    return hp_error_context(st, "n(z): comoving distances of the cone's cosmology");
  }
  for (int b = 0; b < nz; b++) {
    out->z_lo[b] = h->zmin + b * dz;
    out->z_hi[b] = b == nz - 1 ? h->zmax : h->zmin + (b + 1) * dz;
    out->chi_lo[b] = hp_distance_chi(&dt, out->z_lo[b]);
    out->chi_hi[b] = hp_distance_chi(&dt, out->z_hi[b]);
    out->volume[b] = shell_volume(h->sky_fraction, out->chi_lo[b], out->chi_hi[b]);
  }
  hp_distance_table_free(&dt);

  /* counts: z_lo <= z < z_hi, the last bin closed at ZMax */
  const double *z = zobs ? c->zobs : c->zcos;
  for (int64_t i = 0; i < c->n; i++) {
    if (!(z[i] >= h->zmin)) {
      out->below++;
      continue;
    }
    if (z[i] > h->zmax) {
      out->above++;
      continue;
    }
    int b = (int)((z[i] - h->zmin) / dz);
    if (b > nz - 1) b = nz - 1;
    if (b > 0 && z[i] < out->z_lo[b]) b--; /* rounding of (z - zmin) / dz at an edge */
    if (b < nz - 1 && z[i] >= out->z_hi[b]) b++;
    out->count[(size_t)b * ns + (size_t)c->mass_bin[i]]++;
    out->count[(size_t)b * ns + (size_t)h->nbins]++;
  }

  for (int b = 0; b < nz; b++) {
    const double v = out->volume[b];
    double all = 0; /* expected halos of all mass bins */
    for (int k = 0; k < ns; k++) {
      double expect = 0; /* expected halos of bin k: painted density over the overlap */
      if (k < h->nbins) {
        for (int s = 0; s < h->nshells; s++)
          expect += shell_halos(h, s, k, fmax(h->shell_edges[s], out->chi_lo[b]),
                                fmin(h->shell_edges[s + 1], out->chi_hi[b]));
        all += expect;
      } else {
        expect = all;
      }
      const size_t j = (size_t)b * ns + k;
      const double nn = (double)out->count[j];
      out->dndz[j] = nn / ((out->z_hi[b] - out->z_lo[b]) * out->area_deg2);
      out->n[j] = v > 0 ? nn / v : NAN;
      out->n_exp[j] = v > 0 ? expect / v : NAN;
      out->ratio[j] = expect > 0 ? nn / expect : NAN;
      out->err[j] = expect > 0 ? sqrt(nn) / expect : NAN;
    }
  }
  return HP_OK;
}
