/**
 * @file ic_write.h
 * @brief Write 2LPT particles as N-body initial-condition files: Gadget-2 binary
 *        (SnapFormat 1), Gadget-2 format 2 (labelled blocks) and HDF5 (Gadget-4 layout).
 *
 * Conventions (see docs/ic-files.md for the full description):
 *  - One particle type, type 1 (dark matter), all of equal mass, stored in MassTable[1] in
 *    Gadget's mass unit 1e10 Msun/h: mass = Omega0 * rho_crit * (L/Np)^3 with
 *    rho_crit = 2.77536627e11 h^2 Msun/Mpc^3, i.e. mass[1] = 27.7536627 * Omega0 * (L/Np)^3
 *    for L in Mpc/h (whatever the length unit of the file).
 *  - Positions x = q + disp, wrapped periodically into [0, L), in the file's length unit
 *    (multiplied by 3.085678e24 / unit_length_in_cm), float32. BoxSize in the same unit.
 *  - Velocities in Gadget's convention u = v_pec / sqrt(a) = v_pec * sqrt(1 + z), km/s,
 *    float32.
 *  - IDs = Lagrangian index n + 1 (1-based; n = (i*Np + j)*Np + k), uint32 when Np^3 < 2^32,
 *    uint64 otherwise.
 *  - Particles are split over files in contiguous ranges of n: file f of nf holds
 *    [f*N/nf, (f+1)*N/nf) (integer division).
 *  - File names: formats 1, 2: "<base>" (one file) or "<base>.0" ... "<base>.<nf-1>", plus a
 *    text record "<base>.params"; format 3: "<base>.hdf5" or "<base>.<f>.hdf5".
 *  - All files of a snapshot appear together or not at all (temporary names, renamed only
 *    when every file has been written; removed on any failure).
 *  - Several processes may write one snapshot, each the files of its own lattice planes
 *    (hp_ic_part): hp_ic_write_begin, then, once all have succeeded, hp_ic_write_commit, and
 *    hp_ic_write_end to keep or remove the files. hp_ic_write is the three for one process.
 */
#ifndef HP_IC_WRITE_H
#define HP_IC_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "util/kv.h"
#include "util/status.h"

/** Output formats (hp_ic_desc.format), numbered as Gadget's ICFormat / SnapFormat. */
enum hp_ic_format {
  HP_IC_GADGET1 = 1, /**< Gadget-2 binary, SnapFormat 1: Fortran-style records */
  HP_IC_GADGET2 = 2, /**< Gadget-2 format 2: each record preceded by a labelled 8-byte record */
  HP_IC_HDF5 = 3     /**< HDF5, Gadget-4 layout (also read by Gadget-2/3 and SWIFT) */
};

/** Critical density 2.77536627e11 h^2 Msun/Mpc^3 in 1e10 Msun/h per (Mpc/h)^3. */
#define HP_IC_RHO_CRIT_GADGET 27.7536627
/** One Mpc in cm (the Gadget value): the length unit "Mpc/h" has UnitLength_in_cm = this. */
#define HP_IC_MPC_IN_CM 3.085678e24
/** Gadget velocity unit, cm/s (km/s). */
#define HP_IC_UNIT_VELOCITY_CGS 1e5
/** Gadget mass unit, g (1e10 Msun/h). */
#define HP_IC_UNIT_MASS_CGS 1.989e43

/**
 * Largest number of particles per binary file: every Fortran record (POS/VEL: 12 bytes a
 * particle) and the size word of its format-2 label (record + 8) must fit in an int32.
 */
#define HP_IC_MAX_PER_BINARY_FILE ((int64_t)((INT32_MAX - 8) / 12))
/** Largest number of particles per HDF5 file (Gadget-2 keeps per-file counts in an int). */
#define HP_IC_MAX_PER_HDF5_FILE ((int64_t)INT32_MAX)

/** Byte layout of the 256-byte Gadget-2 header (offsets within the record payload). */
enum hp_gadget_header_layout {
  HP_GH_NPART = 0,          /**< int32 npart[6]: particles of each type in this file */
  HP_GH_MASS = 24,          /**< double mass[6]: MassTable, 1e10 Msun/h */
  HP_GH_TIME = 72,          /**< double: scale factor a */
  HP_GH_REDSHIFT = 80,      /**< double: z */
  HP_GH_FLAG_SFR = 88,      /**< int32 */
  HP_GH_FLAG_FEEDBACK = 92, /**< int32 */
  HP_GH_NPART_TOTAL = 96,   /**< uint32 npartTotal[6]: low 32 bits of the totals */
  HP_GH_FLAG_COOLING = 120, /**< int32 */
  HP_GH_NUM_FILES = 124,    /**< int32: files per snapshot */
  HP_GH_BOXSIZE = 128,      /**< double: box side in the file's length unit */
  HP_GH_OMEGA0 = 136,       /**< double */
  HP_GH_OMEGA_LAMBDA = 144, /**< double */
  HP_GH_HUBBLE_PARAM = 152, /**< double: h */
  HP_GH_FLAG_AGE = 160,     /**< int32 flag_stellarage */
  HP_GH_FLAG_METALS = 164,  /**< int32 */
  HP_GH_NPART_HIGH = 168,   /**< uint32 npartTotalHighWord[6]: high 32 bits of the totals */
  HP_GH_FLAG_ENTROPY = 192, /**< int32 flag_entropy_instead_u */
  HP_GH_SIZE = 256          /**< total size; bytes 196..255 are zero fill */
};

/** The particles to write: an Np^3 Lagrangian lattice with displacements and velocities. */
typedef struct hp_ic_particles {
  int64_t np;           /**< particles per dimension (N = np^3 in total), >= 1 */
  double box;           /**< box side L, Mpc/h */
  const float *disp[3]; /**< displacement x - q, Mpc/h, np^3 each, lattice order
                             (n = (i*np + j)*np + k, q = (i, j, k) * L/np) */
  const float *vel[3];  /**< peculiar velocity v_pec, km/s, np^3 each, lattice order */
} hp_ic_particles;

/** What to write and where. */
typedef struct hp_ic_desc {
  int format;               /**< enum hp_ic_format: 1, 2 or 3 */
  const char *path_base;    /**< base path, e.g. "out/ics" (see the file names above) */
  int num_files;            /**< files per snapshot; 0 = automatic (hp_ic_auto_num_files) */
  double redshift;          /**< redshift z of the particles (> -1) */
  double omega_m;           /**< Omega0 (total matter) recorded in the header; sets the mass */
  double omega_l;           /**< OmegaLambda recorded in the header */
  double h;                 /**< HubbleParam, H0 / (100 km/s/Mpc) */
  double unit_length_in_cm; /**< length unit of positions and BoxSize in the file, cm:
                                 3.085678e24 = Mpc/h, 3.085678e21 = kpc/h */
  hp_kv_list params;        /**< resolved parameter set, recorded in the files (borrowed) */
  const char *software;     /**< e.g. "halopaint 0.1", recorded; NULL = "halopaint" */
} hp_ic_desc;

/**
 * Write the particles as initial-condition files, atomically.
 *
 * Memory: O(1M particles) of scratch (about 12 MB), whatever N; positions are never
 * materialised all at once. Particles are converted chunk by chunk (OpenMP-parallel).
 * On success every file exists under its final name; on failure none of them (nor any
 * temporary) is left, and @p st says which file failed and why.
 *
 * @param d   what to write (format, names, cosmology, units, parameter record)
 * @param p   the particles (all six arrays must be non-NULL and hold np^3 finite values)
 * @param st  status
 * @return 0, HP_ERR_INPUT (bad description, non-finite value, too many particles for the
 *         requested num_files), HP_ERR_IO (cannot create, write or rename a file) or
 *         HP_ERR_NOMEM.
 */
int hp_ic_write(const hp_ic_desc *d, const hp_ic_particles *p, hp_status *st);

/**
 * The share of a snapshot that one of several writers writes: its particle arrays hold the
 * lattice planes [a0, a0 + na) only (na np^2 particles each, plane a0 first, lattice order
 * within), and it writes files [f0, f0 + nf) of the snapshot's hp_ic_desc.num_files, its
 * particles split over them as hp_ic_file_range splits a snapshot. The headers give each
 * file's own count and the snapshot's totals (np^3), so the union of all writers' files is
 * the snapshot one process would write, split differently (IDs and positions as there).
 */
typedef struct hp_ic_part {
  int64_t a0;      /**< first lattice plane (index i) held; np when na = 0 */
  int64_t na;      /**< lattice planes held; 0 (then nf = 0) writes no particle file */
  int f0;          /**< first file written here */
  int nf;          /**< files written here, >= 1 when na >= 1, at most na np^2 */
  int params_file; /**< formats 1, 2: also write "<base>.params" (one writer of the snapshot) */
} hp_ic_part;

/** Files written under temporary names, waiting to be committed or removed. */
typedef struct hp_ic_pending hp_ic_pending;

/**
 * Write files under temporary names: the whole snapshot (@p part NULL: as hp_ic_write, with
 * num_files 0 = automatic) or one writer's share (@p part; d->num_files >= 1 is then the
 * snapshot's number of files and @p p holds the planes part->a0.. only). Checks, before any
 * rename, that no final name is a directory. On failure nothing is left and *out is NULL.
 * @return hp_ic_write's codes.
 */
int hp_ic_write_begin(const hp_ic_desc *d, const hp_ic_particles *p, const hp_ic_part *part,
                      hp_ic_pending **out, hp_status *st);

/**
 * Rename the temporaries of @p w onto their final names (NULL: nothing to do). On failure
 * some may already be renamed: hp_ic_write_end(w, 0) removes them and the rest.
 * @return 0 or HP_ERR_IO.
 */
int hp_ic_write_commit(hp_ic_pending *w, hp_status *st);

/** Free @p w (NULL is fine), removing its temporaries; @p keep = 0 also removes the files it
 *  has already renamed (a writer of the same snapshot failed). */
void hp_ic_write_end(hp_ic_pending *w, int keep);

/**
 * The automatic number of files for @p n_total particles: the fewest files such that no
 * file holds more than HP_IC_MAX_PER_BINARY_FILE (formats 1, 2) or HP_IC_MAX_PER_HDF5_FILE
 * (format 3) particles. @return >= 1, or -1 for a bad format or n_total < 0.
 */
int64_t hp_ic_auto_num_files(int format, int64_t n_total);

/**
 * The particle range of file @p f of @p num_files: [*first, *first + *count), with
 * first = f*N/nf (integer division, computed without overflow).
 */
void hp_ic_file_range(int64_t n_total, int num_files, int f, int64_t *first, int64_t *count);

/**
 * The name of file @p f of a snapshot of @p num_files files: formats 1, 2: "<base>" when
 * num_files == 1 else "<base>.<f>"; format 3: "<base>.hdf5" or "<base>.<f>.hdf5".
 * @return 0, or HP_ERR_INPUT when the name does not fit in @p size bytes or the format is bad.
 */
int hp_ic_file_path(int format, const char *path_base, int num_files, int f, char *buf, size_t size,
                    hp_status *st);

#endif
