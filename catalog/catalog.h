/**
 * @file catalog.h
 * @brief The halo catalogue: one in-memory form and its HDF5 / ASCII files.
 *
 * Every halo catalogue halopaint reads or writes — FoF truth from `halopaint
 * sim`, painted catalogues from `halopaint run`, a user's own halo finder's
 * output — goes through this struct. Units: positions in Mpc/h (comoving, in
 * [0, BoxSize)), peculiar velocities in km/s, masses in Msun/h.
 *
 * HDF5 layout (see docs/catalog.md): group `Header` (attributes: BoxSize,
 * Redshift, Omega0, OmegaLambda, OmegaBaryon, HubbleParam, Sigma8,
 * PrimordialIndex, Seed, MassDefinition, Command, Software, NumHalos, and
 * unit strings), group `Parameters` (the full resolved parameter set, one
 * string attribute per key), group `Halos` with datasets Position (N x 3
 * float), Velocity (N x 3 float), Mass (N double), ID (N int64) and optional
 * columns (NumParticles int32, LagrangianPosition N x 3 float, MassBin int32).
 * ASCII: a commented header ('#' lines: the same header and parameters, then
 * the column names and units), one halo per line.
 */
#ifndef HP_CATALOG_H
#define HP_CATALOG_H

#include <stdint.h>

#include "util/kv.h"
#include "util/status.h"

/** Optional columns (bit mask). */
enum hp_catalog_columns {
  HP_CAT_NPART = 1u,    /**< npart: number of member particles (FoF) */
  HP_CAT_LAGRANGE = 2u, /**< lagr_pos: Lagrangian position of the members' centre */
  HP_CAT_MASSBIN = 4u   /**< mass_bin: index of the painter's mass bin */
};

/** Cosmology and provenance recorded with a catalogue. */
typedef struct hp_catalog_header {
  double box;        /**< BoxSize [Mpc/h] */
  double redshift;   /**< z of the halos */
  double omega_m;    /**< Omega0 */
  double omega_l;    /**< OmegaLambda */
  double omega_b;    /**< OmegaBaryon */
  double h;          /**< HubbleParam */
  double sigma8;     /**< Sigma8 */
  double n_s;        /**< PrimordialIndex */
  int64_t seed;      /**< Seed of the initial conditions */
  char mass_def[64]; /**< e.g. "FoF b=0.2" or "painted (model ...)" */
  char command[512]; /**< the producing command line */
  char software[64]; /**< e.g. "halopaint 0.1.0" */
} hp_catalog_header;

/** A halo catalogue. Arrays are owned (hp_catalog_free). */
typedef struct hp_catalog {
  hp_catalog_header hdr;
  int64_t n;         /**< number of halos */
  unsigned columns;  /**< which optional columns are present (hp_catalog_columns) */
  float *pos;        /**< n x 3, Mpc/h, in [0, box) */
  float *vel;        /**< n x 3, peculiar km/s */
  double *mass;      /**< n, Msun/h */
  int64_t *id;       /**< n, unique within the catalogue */
  int32_t *npart;    /**< n or NULL */
  float *lagr_pos;   /**< n x 3 or NULL, Mpc/h */
  int32_t *mass_bin; /**< n or NULL */
  int nparams;       /**< resolved parameter set (owned copies) */
  char **param_key, **param_value;
} hp_catalog;

/** Allocate arrays for @p n halos with the given optional columns; header zeroed. */
int hp_catalog_alloc(hp_catalog *c, int64_t n, unsigned columns, hp_status *st);
/** Free the arrays and parameter copies; the struct is left empty (safe to free twice). */
void hp_catalog_free(hp_catalog *c);
/** Copy a resolved parameter set into the catalogue (for its header). */
int hp_catalog_set_params(hp_catalog *c, const hp_kv_list *kv, hp_status *st);

/** Write HDF5 atomically (temporary name, then rename). */
int hp_catalog_write_hdf5(const hp_catalog *c, const char *path, hp_status *st);
/** Write ASCII atomically. */
int hp_catalog_write_ascii(const hp_catalog *c, const char *path, hp_status *st);
/** Read either form (detected from the file's first bytes); refuses truncated or inconsistent
 * files. */
int hp_catalog_read(hp_catalog *c, const char *path, hp_status *st);

#endif
