/**
 * @file run_mpi.h
 * @brief The main job (plugin/run.h) over MPI ranks: distributed 2LPT, particles exchanged by
 *        voxel plane, CIC, painter and sampler on each rank's slab of voxel planes, and the
 *        catalogue gathered on rank 0. The same calls and meaning as hp_run_*, every rank.
 *
 * Identical to one process: the white noise is per mode; the CIC slab receives every particle
 * that reaches it and deposits in the whole lattice's order (hp_cic_velocity_slab); the painter
 * reads its slab with the network's halo of ghost planes; the sampler keys every draw on the
 * whole grid's voxel and picks particles in lattice order. Only the distributed FFTs round
 * differently from the serial ones (mpi/lpt_mpi.h), so the catalogue equals `halopaint run`'s to
 * the FFTs' rounding and is the same for any number of ranks where FFTW-MPI's are
 * (tests/mpi/test_run_mpi.sh compares them).
 *
 * Memory per rank (bytes; N particles of its lattice planes, N' received: those of its voxel
 * planes and one plane either side; V voxels): 2LPT ~32 N; received particles 32 N' (those that
 * stay are placed directly, only a boundary plane's each side go through send and receive
 * buffers); sampler index 8 N'; grids (11 + K) V floats plus the ghost and padded copies.
 * Communication per seed: the particles that cross a slab boundary (32 bytes each), ghost
 * planes (halo + 1 planes each side, 4 floats a voxel), the FFTs' transposes and the catalogue
 * to rank 0.
 */
#ifndef HP_MPI_RUN_MPI_H
#define HP_MPI_RUN_MPI_H

#include <mpi.h>

#include "plugin/run.h"

typedef struct hp_mrun hp_mrun;

/** Seconds of one realisation spent communicating, by stage (this rank's). */
typedef struct hp_mrun_comm {
  double fft;      /**< the distributed FFTs (their transposes with their local work) */
  double exchange; /**< particles to the ranks of their voxel planes */
  double ghost;    /**< ghost planes for the painter and the velocity read-out */
  double gather;   /**< the catalogue to rank 0 */
  double bytes;    /**< bytes of particles this rank sent to others */
  int copied;      /**< 1: the particles that arrived did not fit the 2LPT's rooms (copied) */
} hp_mrun_comm;

/** "; group I of N, its rank 0 (voxel planes a-b) communicating: ..." of one realisation
 *  (@p x0, @p nx: the planes of the group's rank 0), the line `run` and `lightcone` print. */
void hp_mrun_comm_note(const hp_mrun_comm *c, int group_index, int group_count, int64_t x0,
                       int64_t nx, char *note, size_t n);

/** Collective: hp_run_create's plan over @p comm (refuses what MPI does not do yet). */
int hp_mrun_create(hp_mrun **out, const hp_params *p, MPI_Comm comm, hp_status *st);
/** Collective: one realisation; @p cat holds the whole catalogue on rank 0, nothing elsewhere. */
int hp_mrun_seed(hp_mrun *r, uint64_t seed, hp_catalog *cat, hp_run_times *t, hp_mrun_comm *c,
                 hp_status *st);
/** Collective. */
void hp_mrun_destroy(hp_mrun *r);

size_t hp_mrun_planned_bytes(const hp_mrun *r); /**< this rank's */
const hp_model *hp_mrun_model(const hp_mrun *r);
const char *hp_mrun_model_sha256(const hp_mrun *r);
const char *hp_mrun_device(const hp_mrun *r);
int64_t hp_mrun_nvoxels(const hp_mrun *r);
/** Voxel planes [*x0, *x0 + *nx) of this rank. */
void hp_mrun_slab(const hp_mrun *r, int64_t *x0, int64_t *nx);

#endif
