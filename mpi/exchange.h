/**
 * @file exchange.h
 * @brief Lattice particles to the ranks whose voxel planes they reach, and a slab's ghost
 *        planes from its neighbours.
 *
 * Voxel planes are split in blocks (hp_mpi_block of nv); a particle whose NGP voxel is in plane
 * i goes to the owners of planes i - 1, i and i + 1: the sampler needs it where its voxel is,
 * the CIC deposit wherever its cloud reaches (planes floor(x/dx - 1/2) and the next, both in
 * that set). Lattice slabs are in rank order and each sender's particles stay in lattice
 * order, so the particles a rank ends with have increasing lattice ids: what
 * hp_cic_velocity_slab and the sampler need to reproduce one process's sums and draws bit for
 * bit.
 */
#ifndef HP_MPI_EXCHANGE_H
#define HP_MPI_EXCHANGE_H

#include <mpi.h>
#include <stdint.h>

#include "cic/cic.h"
#include "util/status.h"

/** A rank's particles after the exchange: n of each array, lattice ids increasing. */
typedef struct hp_mpi_particles {
  int64_t n;
  hp_lattice_ids ids; /**< lattice index (a np + b) np + c: explicit for those that arrived,
                           a run for the rank's own */
  int64_t *id_before, *id_after; /**< the explicit ones (owned) */
  float *disp[3];                /**< displacement [Mpc/h] */
  float *vel[3];                 /**< peculiar velocity [km/s] */
  int copied; /**< 1: disp and vel are owned copies (the lattice's rooms were too small);
                   0: they are the lattice's own arrays widened into its rooms */
} hp_mpi_particles;

/** The lattice planes [a0, a0 + na) of np this rank holds, with room_before and room_after
 *  free floats before and after each of the six arrays (hp_mlpt_rooms). */
typedef struct hp_mpi_lattice {
  int64_t np, a0, na, room_before, room_after;
  double box;
  float *disp[3], *vel[3]; /**< na np^2 each, lattice order */
} hp_mpi_lattice;

/**
 * Collective: every particle goes to the owners of its NGP plane and the planes either side
 * (voxel grid of side @p nv). This rank keeps all of its own lattice particles (those that
 * reach none of its planes are ignored downstream) and receives the others' into the rooms
 * around its arrays: those of lower ranks before, of higher ranks after (larger ids), so the
 * result is one run of increasing ids without copying its own. Rooms too small for what
 * arrives: everything is copied into new arrays (out->copied). @p bytes_sent counts what left
 * this rank for others. Free with hp_mpi_particles_free.
 */
int hp_mpi_exchange(const hp_mpi_lattice *in, int64_t nv, MPI_Comm comm, hp_mpi_particles *out,
                    double *bytes_sent, hp_status *st);
void hp_mpi_particles_free(hp_mpi_particles *p);

/** Floats of room before and after each of a rank's six particle arrays (hp_mpi_lattice) for
 *  the particles the others send, per slab boundary: a voxel plane's lattice planes (the NGP
 *  plane next to the boundary), as many again for FFTW's lattice blocks not matching the voxel
 *  blocks, and two for the particles that cross (measured: 4.4-5.4 lattice planes a boundary at
 *  4 a voxel plane, z = 0). Rank 0 receives both boundaries' after its own (the last rank's ids
 *  are larger), the last rank both before; a shortfall costs a copy (hp_mpi_particles.copied),
 *  not a failure. @p np particles and @p nv voxel planes a side, rank @p rank of @p size. */
void hp_mpi_exchange_rooms(int64_t np, int64_t nv, int rank, int size, int64_t *before,
                           int64_t *after);

/** Collective: @p out (nx + 2h planes of @p plane floats) gets the h planes before this rank's
 *  slab, the slab itself (@p slab, nx planes) and the h planes after it, periodic in rank order.
 *  Every rank must hold nx >= h planes. */
int hp_mpi_ghost_planes(const float *slab, int64_t nx, int64_t plane, int h, float *out,
                        MPI_Comm comm, hp_status *st);

/** @p out ((nx + 2h) (nv + 2h)^2 floats): the ghost-padded slab @p ghost (nx + 2h planes of
 *  nv^2, hp_mpi_ghost_planes') padded periodically by h in y and z, as the non-periodic
 *  painter reads it. */
void hp_mpi_pad_yz(const float *ghost, int64_t nx, int64_t nv, int h, float *out, int threads);

#endif
