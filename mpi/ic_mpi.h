/**
 * @file ic_mpi.h
 * @brief `halopaint ic` over MPI ranks: the distributed 2LPT (mpi/lpt_mpi.h) at RedshiftIC,
 *        and every rank writing the initial-condition files of its own lattice planes.
 *
 * No particle leaves its rank: the snapshot is split over the W ranks that hold lattice
 * planes (FFTW-MPI's blocks, rank order = plane order), k files each, W k files in all, file
 * r k + i holding part i of rank r's planes (hp_ic_file_range's split of them). Each header
 * has its file's count and the snapshot's totals, so Gadget, SWIFT and hp_ic_read read the
 * union, which is `halopaint ic`'s snapshot split differently: same IDs (lattice index + 1),
 * positions and velocities, to the FFTs' rounding (bit for bit where FFTW-MPI's are the
 * serial ones'). NumFilesPerSnapshot = 0 gives k = 1, or the fewest files that keep each
 * within the format's limit; otherwise it must be a multiple of W.
 *
 * Atomic over the ranks: every rank writes temporaries, the ranks agree, then each renames its
 * own; a failure on any rank removes every rank's files. The .params record (formats 1, 2) is
 * rank 0's.
 *
 * Collective calls (every rank of @p comm, in order): create, execute, write, destroy. They
 * end by agreeing on errors (hp_mpi_agree). hp_mpi_init must have been called.
 */
#ifndef HP_MPI_IC_MPI_H
#define HP_MPI_IC_MPI_H

#include <mpi.h>
#include <stddef.h>

#include "lpt/ic_write.h"
#include "params/params.h"
#include "util/status.h"

typedef struct hp_mic hp_mic;

/** Collective: the plan for parameters @p p (borrowed until destroy) over @p comm: refuses
 *  what MPI does not do yet (LinearFieldFile, WhiteNoiseFile, WriteLinearField, LPTDealias
 *  with LPTOrder 2) and a NumFilesPerSnapshot that does not split over the ranks, checks the
 *  memory of each node, plans the 2LPT. */
int hp_mic_create(hp_mic **out, const hp_params *p, MPI_Comm comm, hp_status *st);
/** Collective: the 2LPT displacements and velocities at RedshiftIC. */
int hp_mic_execute(hp_mic *m, hp_status *st);
/** Collective: write the snapshot described by @p d (d->num_files is NumFilesPerSnapshot;
 *  the rest as for hp_ic_write) from every rank, atomically. */
int hp_mic_write(hp_mic *m, const hp_ic_desc *d, hp_status *st);
/** Collective; NULL is fine. */
void hp_mic_destroy(hp_mic *m);

/** Ranks holding lattice planes (the writers), files per writer, this rank's 2LPT bytes. */
void hp_mic_layout(const hp_mic *m, int *writers, int *per_writer, size_t *bytes);
/** Lattice planes [*a0, *a0 + *na) of this rank. */
void hp_mic_slab(const hp_mic *m, int64_t *a0, int64_t *na);
/** This rank's seconds in FFTW-MPI's transforms during execute (hp_mlpt_fft_seconds). */
double hp_mic_fft_seconds(const hp_mic *m);

#endif
