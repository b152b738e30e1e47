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
 * PrimordialIndex, ParticleMass (float64), Seed, NumHalos (int64), FormatVersion (int32),
 * MassDefinition, Command, Software, and the unit strings UnitLength,
 * UnitVelocity, UnitMass), group `Parameters` (the full resolved parameter
 * set, one string attribute per key), group `Halos` with datasets Position
 * (N x 3 float), Velocity (N x 3 float), Mass (N double), ID (N int64) and
 * optional columns (NumParticles int32, LagrangianPosition N x 3 float,
 * MassBin int32); every dataset carries a `Units` string attribute.
 * ASCII: a commented header ('#' lines: `# [Header]` and `# [Parameters]`
 * sections of `# Key = Value` lines, then `# columns:` naming the columns and
 * their units), one halo per line.
 *
 * Reading requires every Header attribute except the unit strings, ParticleMass
 * (absent = 0) and FormatVersion (absent = 1; a newer version is refused).
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
  HP_CAT_MASSBIN = 4u,  /**< mass_bin: index of the painter's mass bin */
  HP_CAT_ALL = 7u       /**< every optional column */
};

/** Version of the file layout, written as Header/FormatVersion (HDF5) or `# FormatVersion`. */
#define HP_CATALOG_FORMAT_VERSION 1
/** Unit strings written with the columns (HDF5 attribute `Units`, ASCII header). */
#define HP_CAT_UNIT_LENGTH "Mpc/h comoving"
#define HP_CAT_UNIT_VELOCITY "km/s peculiar"
#define HP_CAT_UNIT_MASS "Msun/h"

/** Cosmology and provenance recorded with a catalogue. */
typedef struct hp_catalog_header {
  double box;           /**< BoxSize [Mpc/h] */
  double redshift;      /**< z of the halos */
  double omega_m;       /**< Omega0 */
  double omega_l;       /**< OmegaLambda */
  double omega_b;       /**< OmegaBaryon */
  double h;             /**< HubbleParam */
  double sigma8;        /**< Sigma8 */
  double n_s;           /**< PrimordialIndex */
  int64_t seed;         /**< Seed of the initial conditions */
  char mass_def[64];    /**< e.g. "FoF b=0.2" or "painted (model ...)" */
  char command[512];    /**< the producing command line */
  char software[64];    /**< e.g. "halopaint 0.1.0" */
  double particle_mass; /**< mass of one simulation particle [Msun/h] (FoF catalogues; 0 if
                             not applicable). Optional in files (absent: 0) */
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

/**
 * Allocate arrays for @p n halos with the given optional columns; header zeroed, arrays
 * zeroed, no parameters. Every array has at least one element (valid pointers even for n = 0).
 * The previous contents of @p c are overwritten, not freed.
 * @return 0, HP_ERR_INPUT (n < 0, unknown column bits) or HP_ERR_NOMEM (@p c is then empty)
 */
int hp_catalog_alloc(hp_catalog *c, int64_t n, unsigned columns, hp_status *st);
/** Free the arrays and parameter copies; the struct is left empty (safe to free twice). */
void hp_catalog_free(hp_catalog *c);
/**
 * Copy a resolved parameter set into the catalogue (for its header), replacing any set there.
 * Keys must be non-empty, unique and free of spaces, '=' and line breaks (HP_ERR_INPUT).
 */
int hp_catalog_set_params(hp_catalog *c, const hp_kv_list *kv, hp_status *st);

/**
 * Check what every writer and reader checks: BoxSize finite and > 0; every Position and
 * LagrangianPosition component finite and in [0, BoxSize); velocities finite; masses finite
 * and >= 0; NumParticles >= 0; flagged columns present. The message names @p where (a file
 * name, or NULL for "catalogue"), the column, the halo's row and its ID.
 * @return 0 or HP_ERR_FORMAT (HP_ERR_INPUT for a missing array)
 */
int hp_catalog_validate(const hp_catalog *c, const char *where, hp_status *st);

/**
 * Write HDF5 atomically (temporary name, then rename): on failure nothing is left at @p path
 * (an existing file there is untouched). The catalogue is validated first
 * (hp_catalog_validate). Parameters are written as string attributes of `Parameters`.
 * @return 0, HP_ERR_FORMAT / HP_ERR_INPUT (invalid catalogue) or HP_ERR_IO
 */
int hp_catalog_write_hdf5(const hp_catalog *c, const char *path, hp_status *st);

/**
 * Write ASCII atomically (see the file comment and docs/catalog.md): '#' header lines
 * `# Key = Value` in sections `# [Header]` and `# [Parameters]`, a `# columns:` line, then one
 * halo per line. Numbers get the fewest digits, from %.7g for floats and %.10g for masses up
 * to 9 and 17 digits, that read back to the identical binary value, so the round trip is
 * lossless (%.7g alone could round a position just below BoxSize up to BoxSize).
 * Line breaks and backslashes in values are escaped as \n, \r and \\.
 * @return 0, HP_ERR_FORMAT / HP_ERR_INPUT (invalid catalogue) or HP_ERR_IO
 */
int hp_catalog_write_ascii(const hp_catalog *c, const char *path, hp_status *st);

/**
 * Read either form, detected from the file's first bytes (the HDF5 signature "\211HDF\r\n\032\n";
 * otherwise ASCII). Refuses, with a message naming the file and the object or line: truncated
 * or corrupt files, a missing group, dataset, header attribute or `# columns:` line, lengths
 * that disagree with NumHalos, malformed lines, and anything hp_catalog_validate refuses.
 * @p c is overwritten (not freed first); on failure it is left empty. Parameters come back in
 * file order (ASCII) or sorted by name (HDF5).
 * @return 0, HP_ERR_IO, HP_ERR_FORMAT or HP_ERR_NOMEM
 */
int hp_catalog_read(hp_catalog *c, const char *path, hp_status *st);

/** Read an HDF5 catalogue (as hp_catalog_read). */
int hp_catalog_read_hdf5(hp_catalog *c, const char *path, hp_status *st);
/** Read an ASCII catalogue (as hp_catalog_read). */
int hp_catalog_read_ascii(hp_catalog *c, const char *path, hp_status *st);

#endif
