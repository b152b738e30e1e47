/**
 * @file comm.h
 * @brief What every distributed stage shares: MPI and FFTW-MPI start-up, errors that all
 *        ranks agree on, and the slab decomposition of a grid along x.
 *
 * Errors: a stage that fails on one rank must not leave the others waiting in a collective.
 * Every fallible distributed call ends with hp_mpi_agree, which makes the lowest failing
 * rank's status everyone's (code and message), so all ranks return the same code together.
 */
#ifndef HP_MPI_COMM_H
#define HP_MPI_COMM_H

#include <mpi.h>
#include <stdint.h>

#include "params/params.h"
#include "util/status.h"

/** MPI_Init_thread (funneled: only the main thread calls MPI), then FFTW's threads and its
 *  MPI interface. Returns 0, or nonzero when MPI could not start (message on stderr). */
int hp_mpi_init(int *argc, char ***argv);
/** FFTW-MPI's and MPI's clean-up. */
void hp_mpi_finalize(void);

/** Rank 0 of each realisation speaks, the others are quiet: @p quiet = 1 sends stdout and stderr
 *  to /dev/null, 0 gives them back. */
void hp_mpi_quiet(int quiet);

/** This rank's group of ranks making one realisation together; the groups take the seeds in
 *  turn, and each group's rank 0 writes and speaks. */
typedef struct hp_mpi_group {
  MPI_Comm comm; /**< the group (MPI_COMM_NULL before hp_mpi_group_open) */
  int index;     /**< its number, 0 .. count - 1 */
  int count;     /**< groups in all */
  int rank;      /**< this rank's within the group */
} hp_mpi_group;

/** Collective: groups of @p per ranks (0: all) of MPI_COMM_WORLD; quiets every rank but each
 *  group's rank 0 (hp_mpi_quiet). Refused (HP_ERR_INPUT) unless @p per divides the ranks. */
int hp_mpi_group_open(hp_mpi_group *g, int64_t per, hp_status *st);
/** Free the group's communicator (a group never opened is fine). */
void hp_mpi_group_close(hp_mpi_group *g);
/** Whether the group makes seed number @p i of the list (round robin). */
int hp_mpi_group_runs_seed(const hp_mpi_group *g, int64_t i);
/** " (group I of N)" when there are several groups, else "" (@p buf holds it). */
const char *hp_mpi_group_label(const hp_mpi_group *g, char *buf, size_t n);

/** Collective: 0 if every rank's @p st is HP_OK; otherwise copies the status of the lowest
 *  failing rank (prefixed "rank R: " when there are several ranks) into every rank's @p st and
 *  returns its code. */
int hp_mpi_agree(hp_status *st, MPI_Comm comm);

/** The keys the distributed commands do not take yet (LinearFieldFile, WhiteNoiseFile,
 *  WriteLinearField), refused by name, pointing to the one-process `halopaint @p command`. */
int hp_mpi_refuse_unsupported(const hp_params *p, const char *command, hp_status *st);

/** Collective: refuse a plan of @p need bytes on this rank that its node cannot hold (the ranks
 *  sharing the node's memory add up; MemoryLimit @p limit_mb per node when > 0). The message
 *  names @p what and says the bytes per rank, in all, and about how many nodes like this one
 *  the job needs. */
int hp_mpi_check_memory(MPI_Comm comm, double need, double limit_mb, const char *what,
                        hp_status *st);

/** Planes [*x0, *x0 + *nx) of a side-@p n grid held by rank @p rank of @p size: contiguous
 *  blocks in rank order, sizes differing by at most one. */
void hp_mpi_block(int64_t n, int rank, int size, int64_t *x0, int64_t *nx);
/** The rank whose block (hp_mpi_block) holds plane @p i (0 <= i < n). */
int hp_mpi_block_owner(int64_t n, int size, int64_t i);

#endif
