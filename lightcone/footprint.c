/* Sky footprints: full sky, the positive octant, or a HEALPix mask read with cfitsio. */
#include "lightcone/footprint.h"

#include <chealpix.h>
#include <fitsio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cfitsio failure as a status, the file closed. */
static int fits_fail(hp_status *st, fitsfile *fp, int status, const char *path, const char *what) {
  char msg[FLEN_STATUS] = "";
  fits_get_errstatus(status, msg);
  int ignore = 0;
  if (fp) fits_close_file(fp, &ignore);
  return hp_fail(st, HP_ERR_FORMAT,
                 "LightconeFootprint = %s: %s (%s); expected FullSky, Octant or a HEALPix map in "
                 "FITS (first extension a table with NSIDE and ORDERING)",
                 path, what, msg);
}

static int read_mask(hp_footprint *f, const char *path, hp_status *st) {
  fitsfile *fp = NULL;
  int status = 0, hdutype = 0;
  long nside = 0;
  char ordering[FLEN_VALUE] = "";
  if (fits_open_file(&fp, path, READONLY, &status))
    return fits_fail(st, NULL, status, path, "cannot open it as FITS");
  if (fits_movabs_hdu(fp, 2, &hdutype, &status) || hdutype != BINARY_TBL)
    return fits_fail(st, fp, status, path, "no binary-table extension");
  if (fits_read_key(fp, TLONG, "NSIDE", &nside, NULL, &status))
    return fits_fail(st, fp, status, path, "no NSIDE key");
  if (fits_read_key(fp, TSTRING, "ORDERING", ordering, NULL, &status))
    return fits_fail(st, fp, status, path, "no ORDERING key");
  if (nside < 1 || nside > 8192 || (nside & (nside - 1)))
    return fits_fail(st, fp, 0, path, "NSIDE is not a power of 2 in 1..8192");
  if (strncmp(ordering, "RING", 4) && strncmp(ordering, "NEST", 4))
    return fits_fail(st, fp, 0, path, "ORDERING is neither RING nor NESTED");
  const long npix = 12 * nside * nside;
  long nrows = 0;
  int repeat_typecode = 0;
  long repeat = 0, width = 0;
  if (fits_get_num_rows(fp, &nrows, &status) ||
      fits_get_coltype(fp, 1, &repeat_typecode, &repeat, &width, &status))
    return fits_fail(st, fp, status, path, "cannot read the table's shape");
  if ((double)nrows * (double)repeat != (double)npix)
    return fits_fail(st, fp, 0, path, "the first column does not hold 12 NSIDE^2 values");
  float *map = malloc(sizeof *map * (size_t)npix);
  f->in = malloc((size_t)npix);
  if (!map || !f->in) {
    free(map);
    int ignore = 0;
    fits_close_file(fp, &ignore);
    return hp_fail(st, HP_ERR_NOMEM, "LightconeFootprint = %s: %ld pixels", path, npix);
  }
  float nul = 0;
  int anynul = 0;
  if (fits_read_col(fp, TFLOAT, 1, 1, 1, npix, &nul, map, &anynul, &status)) {
    free(map);
    return fits_fail(st, fp, status, path, "cannot read the map");
  }
  fits_close_file(fp, &status);
  long inside = 0;
  for (long i = 0; i < npix; i++) inside += (f->in[i] = map[i] > 0.5f);
  free(map);
  f->kind = HP_FOOT_HEALPIX;
  f->nside = nside;
  f->nested = !strncmp(ordering, "NEST", 4);
  f->sky_fraction = (double)inside / (double)npix;
  snprintf(f->desc, sizeof f->desc, "HEALPix %.500s (Nside %ld, %s)", path, nside,
           f->nested ? "NESTED" : "RING");
  if (inside == 0)
    return hp_fail(st, HP_ERR_INPUT, "LightconeFootprint = %s: no pixel is > 0.5 (empty mask)",
                   path);
  return HP_OK;
}

int hp_footprint_create(hp_footprint *f, const char *spec, hp_status *st) {
  memset(f, 0, sizeof *f);
  if (!strcmp(spec, "FullSky")) {
    f->kind = HP_FOOT_FULL, f->sky_fraction = 1;
  } else if (!strcmp(spec, "Octant")) {
    f->kind = HP_FOOT_OCTANT, f->sky_fraction = 0.125;
  } else {
    if (!spec[0])
      return hp_fail(
          st, HP_ERR_INPUT,
          "LightconeFootprint is empty: expected FullSky, Octant or a HEALPix FITS file");
    const int rc = read_mask(f, spec, st);
    if (rc) hp_footprint_free(f);
    return rc;
  }
  snprintf(f->desc, sizeof f->desc, "%s", spec);
  return HP_OK;
}

void hp_footprint_free(hp_footprint *f) {
  free(f->in);
  f->in = NULL;
}

int hp_footprint_contains(const hp_footprint *f, const double d[3]) {
  switch (f->kind) {
    case HP_FOOT_FULL:
      return 1;
    case HP_FOOT_OCTANT:
      return d[0] > 0 && d[1] > 0 && d[2] > 0;
    default: {
      long p;
      if (f->nested)
        vec2pix_nest(f->nside, d, &p);
      else
        vec2pix_ring(f->nside, d, &p);
      return f->in[p];
    }
  }
}
