/**
 * @file ic_read.h
 * @brief Read N-body initial-condition files written by hp_ic_write (and compatible Gadget
 *        files): Gadget-2 binary formats 1 and 2, and HDF5 (Gadget-2/3/4 layout).
 *
 * Only dark-matter-only files (particle type 1) are supported: a file with particles of any
 * other type is refused. Every read is checked: record markers, block sizes against the
 * header, the file size (before any large allocation), dataset shapes; a truncated or
 * corrupt file gives HP_ERR_FORMAT with a message naming the file and what is wrong, never
 * a crash. Values are returned as stored (no unit conversion): positions and BoxSize in the
 * file's length unit, velocities in Gadget's u = v_pec / sqrt(a) (km/s).
 */
#ifndef HP_IC_READ_H
#define HP_IC_READ_H

#include <stdint.h>

#include "util/status.h"

/** Header of one IC file (all formats). */
typedef struct hp_ic_header {
  int format;               /**< 1, 2 (Gadget binary formats) or 3 (HDF5) */
  int64_t npart[6];         /**< particles of each type in this file */
  uint64_t npart_total[6];  /**< particles of each type in the snapshot (high word included) */
  double mass[6];           /**< MassTable, 1e10 Msun/h (0 = masses given per particle) */
  double time;              /**< scale factor a */
  double redshift;          /**< redshift z */
  int num_files;            /**< files in the snapshot */
  double box;               /**< BoxSize, in the file's length unit */
  double omega_m;           /**< Omega0 (NaN when an HDF5 file does not record it) */
  double omega_l;           /**< OmegaLambda (NaN when absent) */
  double h;                 /**< HubbleParam (NaN when absent) */
  int id_bytes;             /**< width of the IDs on disk: 4 or 8 (0 when the file is empty) */
  int pos_bytes;            /**< width of a position/velocity component on disk: 4 or 8 */
  double unit_length_in_cm; /**< HDF5: from /Units (SWIFT) or /halopaint; 0 when unknown */
} hp_ic_header;

/** Particles of one file or of a whole snapshot, with the header and recorded metadata. */
typedef struct hp_ic_data {
  hp_ic_header hdr;   /**< header of the (first) file */
  int64_t n;          /**< number of particles read (type 1) */
  float *pos;         /**< n x 3 positions (x, y, z per particle), file length unit */
  float *vel;         /**< n x 3 velocities u = v_pec / sqrt(a), km/s */
  uint64_t *id;       /**< n particle IDs (as uint64 whatever the width on disk) */
  int nparams;        /**< number of recorded parameters (0 if none) */
  char **param_key;   /**< nparams keys (HDF5 /Parameters, or "<base>.params") */
  char **param_value; /**< nparams values, as text */
  char *software;     /**< recorded software string, or NULL */
} hp_ic_data;

/**
 * Read one IC file.
 * @param path    the file itself (e.g. "out/ics.1" or "out/ics.hdf5")
 * @param format  1, 2 or 3; 0 = detect from the first bytes (record marker 256: format 1;
 *                8: format 2; HDF5 signature: format 3)
 * @param out     filled on success (free with hp_ic_data_free); zeroed on failure. Parameters
 *                are filled for HDF5 files only (/Parameters and /halopaint/Software).
 * @param st      status
 * @return 0, HP_ERR_IO (cannot open/read), HP_ERR_FORMAT (truncated, corrupt, unsupported),
 *         HP_ERR_NOMEM.
 */
int hp_ic_read_file(const char *path, int format, hp_ic_data *out, hp_status *st);

/**
 * Read a whole snapshot by its base path (the path_base given to hp_ic_write): finds
 * "<base>" or "<base>.0".. (formats 1, 2) or "<base>.hdf5" or "<base>.0.hdf5".. (format 3),
 * reads every file, checks that they agree (num_files, totals, box, time) and that their
 * counts add up to the total, and concatenates the particles in file order. For Gadget
 * binary, the parameters come from "<base>.params" when it exists.
 * @param path_base  base path
 * @param format     1, 2, 3, or 0 = whichever exists (tried in the order above) and detected
 * @param out        filled on success (free with hp_ic_data_free); zeroed on failure
 * @param st         status
 */
int hp_ic_read(const char *path_base, int format, hp_ic_data *out, hp_status *st);

/** Free the arrays of @p d and zero it (NULL-safe, safe on a zeroed struct). */
void hp_ic_data_free(hp_ic_data *d);

#endif
