/**
 * @file lightcone_mpi.h
 * @brief The light cone (plugin/lightcone.h) over MPI ranks: one distributed 2LPT solve keeping
 *        psi1 and psi2 apart, then per shell the particles exchanged by voxel plane, CIC,
 *        painter and sampler on each rank's slab, each rank's halos cut into the shell, and the
 *        shell gathered on rank 0 in the one-process order and streamed to the writer there.
 *
 * Identical to one process: the shells, models, thinning and cut are plugin/lightcone_shells.h's,
 * the fields are run's (mpi/run_mpi.h: the same CIC sums, painter arithmetic and sampler draws
 * on a slab); the box catalogue's halos keep their whole-box index (the thinning's draws are
 * keyed on it) and the shell's halos reach rank 0 image by image, rank by rank: the order of
 * `halopaint lightcone`. Only the distributed FFTs may round differently (mpi/lpt_mpi.h).
 *
 * Memory per rank (bytes; N particles of its lattice block, N' with those arriving into the
 * rooms, V voxels of its slab, K mass bins): 2LPT ~32 N (psi1 and psi2); the shell's particles
 * with rooms 24 N'; their ids 8 (N' - N), the sampler's index 8 N'; grids (4 + 2K) V floats
 * plus the ghost and padded copies; the shell's halos: one slab's box catalogue, this rank's
 * cut, and on rank 0 the whole shell. Refused, per rank and per node, before anything is
 * allocated (hp_mpi_check_memory).
 *
 * Collective calls (every rank of the plan's communicator, in order): create, seed, destroy.
 * They end by agreeing on errors, so every rank returns the same code and message.
 */
#ifndef HP_MPI_LIGHTCONE_MPI_H
#define HP_MPI_LIGHTCONE_MPI_H

#include <mpi.h>

#include "mpi/run_mpi.h"
#include "plugin/lightcone.h"

typedef struct hp_mlightcone hp_mlightcone;

/** Collective: hp_lightcone_create's plan over @p comm, which must stay valid until destroy.
 *  Refuses, by name, what the ranks cannot do yet (LinearFieldFile, WhiteNoiseFile,
 *  WriteLinearField, LPTDealias 1) and more ranks than the voxel planes allow. */
int hp_mlightcone_create(hp_mlightcone **out, const hp_params *p, MPI_Comm comm, hp_status *st);
/**
 * Collective: the cone of @p seed. Every rank's @p cone is initialised (free with hp_cone_free)
 * and receives the header; the halos reach rank 0 only, shell by shell, and go to @p out there
 * (rank 0's writer; the other ranks' is unused), or, when rank 0's @p out is NULL, all stay in
 * rank 0's @p cone. @p t: this rank's stage times; @p c: its communication, over the shells.
 */
int hp_mlightcone_seed(hp_mlightcone *lc, uint64_t seed, hp_cone *cone, hp_cone_writer *out,
                       hp_lightcone_times *t, hp_mrun_comm *c, hp_status *st);
/** Collective; NULL is fine. */
void hp_mlightcone_destroy(hp_mlightcone *lc);

size_t hp_mlightcone_planned_bytes(const hp_mlightcone *lc); /**< this rank's */
double hp_mlightcone_expected_halos(const hp_mlightcone *lc);
int hp_mlightcone_nshells(const hp_mlightcone *lc);
int hp_mlightcone_replicas(const hp_mlightcone *lc);
const char *hp_mlightcone_models(const hp_mlightcone *lc);
const char *hp_mlightcone_device(const hp_mlightcone *lc);
/** Voxel planes [*x0, *x0 + *nx) of this rank. */
void hp_mlightcone_slab(const hp_mlightcone *lc, int64_t *x0, int64_t *nx);

#endif
