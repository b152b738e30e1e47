/**
 * @file footprint.h
 * @brief The part of the sky a light cone covers: the full sky, one octant, or a HEALPix mask.
 *
 * LightconeFootprint = FullSky | Octant (x, y, z > 0 in the observer frame: RA in [0, 90),
 * Dec > 0) | FILE, a HEALPix map in FITS (the HEALPix convention: first extension a binary
 * table, keys NSIDE and ORDERING = RING or NESTED, the map in the first column; a pixel is in
 * the footprint when its value is > 0.5). Read with cfitsio, every failure a clear error.
 */
#ifndef HP_LC_FOOTPRINT_H
#define HP_LC_FOOTPRINT_H

#include "util/status.h"

enum hp_footprint_kind { HP_FOOT_FULL = 0, HP_FOOT_OCTANT = 1, HP_FOOT_HEALPIX = 2 };

typedef struct hp_footprint {
  int kind;            /**< enum hp_footprint_kind */
  long nside;          /**< HEALPix */
  int nested;          /**< HEALPix: NESTED ordering */
  unsigned char *in;   /**< HEALPix: 12 nside^2 flags */
  double sky_fraction; /**< solid angle / 4 pi */
  char desc[600];      /**< "FullSky", "Octant", "HEALPix FILE (Nside N, RING)" */
} hp_footprint;

/** Parse FullSky / Octant or read a HEALPix mask file. */
int hp_footprint_create(hp_footprint *f, const char *spec, hp_status *st);
void hp_footprint_free(hp_footprint *f);
/** Is direction @p d (any length > 0) inside? */
int hp_footprint_contains(const hp_footprint *f, const double d[3]);

#endif
