/**
 * @file cone.h
 * @brief The light-cone halo catalogue: one in-memory form and its HDF5 / ASCII files.
 *
 * Every halo of a cone is seen by an observer at the origin of the observer frame: Position is
 * comoving [Mpc/h] relative to the observer (the replicated box's axes), Distance = |Position|,
 * RA in [0, 360) and Dec in [-90, 90] degrees (the box's x axis at RA = 0, its z axis at
 * Dec = +90), ZCos the redshift at that comoving distance, ZObs = (1 + ZCos)(1 + v_los / c) - 1
 * with the peculiar velocity along the line of sight (the Doppler part of redshift-space
 * distortion).
 *
 * HDF5 layout (docs/lightcone.md): group `Header` (attributes: the cosmology as in a box
 * catalogue, Seed, NumHalos, FormatVersion, Command, Software, MassDefinition, the unit
 * strings, and the cone's own: BoxSize (the replicated box), Observer[3] (its place in the box),
 * ZMin, ZMax, DistanceMin, DistanceMax, Footprint (text), SkyFraction, Evolution, NumShells,
 * ShellEdges[NumShells + 1] (comoving distance), ShellRedshift[NumShells] (where each shell's
 * particles were made), MassBinEdges[K + 1], ShellMeanDensity[NumShells x K] (painted mean
 * halos per (Mpc/h)^3 per mass bin, over the whole box), ReplicasPerAxis (the largest |i| of
 * a box image used)); group `Parameters`; group `Halos` with datasets RA, Dec, ZCos, ZObs
 * (float64), Distance (float32), Position, Velocity (N x 3 float32), Mass (float64), MassBin,
 * Shell (int32), ID (int64), each with a `Units` attribute.
 */
#ifndef HP_CONE_H
#define HP_CONE_H

#include <stdint.h>

#include "util/kv.h"
#include "util/status.h"

#define HP_CONE_FORMAT_VERSION 1
/** Speed of light [km/s]. */
#define HP_C_KMS 299792.458

/** What describes a cone as a whole. Arrays are owned (hp_cone_free). */
typedef struct hp_cone_header {
  double box;                                       /**< BoxSize of the replicated box [Mpc/h] */
  double observer[3];                               /**< observer's position in the box [Mpc/h] */
  double zmin, zmax;                                /**< redshift range */
  double dmin, dmax;                                /**< its comoving distances [Mpc/h] */
  double omega_m, omega_l, omega_b, h, sigma8, n_s; /**< cosmology */
  int64_t seed;                                     /**< Seed of the initial conditions */
  char footprint[600];       /**< "FullSky", "Octant" or "HEALPix FILE (Nside N)" */
  double sky_fraction;       /**< solid angle of the footprint / 4 pi */
  char evolution[16];        /**< "Shells" or "Snapshot" */
  char mass_def[64];         /**< as in a box catalogue */
  char command[512];         /**< the producing command line */
  char software[64];         /**< e.g. "halopaint 0.1.0" */
  int replicas;              /**< largest |i| of the box images i * BoxSize used */
  int nshells;               /**< shells in comoving distance */
  double *shell_edges;       /**< nshells + 1 [Mpc/h], increasing */
  double *shell_z;           /**< nshells: redshift of each shell's particles */
  int nbins;                 /**< painter mass bins K */
  double *bin_edges;         /**< K + 1 [Msun/h] */
  double *shell_density;     /**< nshells x K: painted mean halos per (Mpc/h)^3 at the near edge */
  double *shell_density_far; /**< nshells x K: the same at the far edge (after the thinning that
                                  follows the abundance's evolution across the shell) */
} hp_cone_header;

/** A light-cone catalogue; columns grow with hp_cone_reserve. */
typedef struct hp_cone {
  hp_cone_header hdr;
  int64_t n, cap;
  double *ra, *dec, *zcos, *zobs; /**< n each: degrees, degrees, redshift, redshift */
  float *dist;                    /**< n: comoving distance [Mpc/h] */
  float *pos, *vel;               /**< n x 3: Mpc/h from the observer, km/s peculiar */
  double *mass;                   /**< n [Msun/h] */
  int32_t *mass_bin, *shell;      /**< n each */
  int64_t *id;                    /**< n: 0.. in file order */
  int nparams;                    /**< resolved parameter set (owned copies) */
  char **param_key, **param_value;
} hp_cone;

/** Allocate the header's arrays for @p nshells shells and @p nbins mass bins (zeroed). */
int hp_cone_init(hp_cone *c, int nshells, int nbins, hp_status *st);
/** Room for at least @p n halos in all (grows geometrically; contents kept). */
int hp_cone_reserve(hp_cone *c, int64_t n, hp_status *st);
/** Copy the parameter set into the cone. */
int hp_cone_set_params(hp_cone *c, const hp_kv_list *kv, hp_status *st);
void hp_cone_free(hp_cone *c);
/** Bytes of one halo in memory. */
#define HP_CONE_HALO_BYTES 92.0

/**
 * A cone written as it is made: open, append each shell's halos, close with the header (its
 * NumHalos is what was appended). The file appears under @p path only when close succeeds;
 * until then it is a temporary beside it, removed by abort.
 */
typedef struct hp_cone_writer hp_cone_writer;
/** @p ascii: '#' header lines (every header field, then the parameters), one row a halo. */
int hp_cone_writer_open(hp_cone_writer **w, const char *path, int ascii, hp_status *st);
/** Append the @p c->n halos of @p c. */
int hp_cone_writer_append(hp_cone_writer *w, const hp_cone *c, hp_status *st);
/** Write the header and parameters of @p c, close and rename; frees @p w (also on failure). */
int hp_cone_writer_close(hp_cone_writer *w, const hp_cone *c, hp_status *st);
/** Remove the temporary file and free @p w (NULL is fine). */
void hp_cone_writer_abort(hp_cone_writer *w);
/** Number of halos appended so far. */
int64_t hp_cone_writer_count(const hp_cone_writer *w);

/** A whole in-memory cone as HDF5, atomically. */
int hp_cone_write_hdf5(const hp_cone *c, const char *path, hp_status *st);
/** A whole in-memory cone as ASCII, atomically. */
int hp_cone_write_ascii(const hp_cone *c, const char *path, hp_status *st);
/** Read an HDF5 cone, every shape checked. */
int hp_cone_read(hp_cone *c, const char *path, hp_status *st);

#endif
