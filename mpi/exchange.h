/**
 * @file exchange.h
 * @brief Lattice particles to the ranks whose voxel planes they reach, and a slab's ghost
 *        planes from its neighbours.
 *
 * Voxel planes are split in blocks (hp_mpi_block of nv); a particle whose NGP voxel is in plane
 * i goes to the owners of planes i - 1, i and i + 1: the sampler needs it where its voxel is,
 * the CIC deposit wherever its cloud reaches (planes floor(x/dx - 1/2) and the next, both in
 * that set). Each rank receives from every rank in rank order, each sender's particles in
 * lattice order, so the received lattice ids increase: what hp_cic_velocity_slab and the
 * sampler need to reproduce one process's sums and draws bit for bit.
 */
#ifndef HP_MPI_EXCHANGE_H
#define HP_MPI_EXCHANGE_H

#include <mpi.h>
#include <stdint.h>

#include "util/status.h"

/** A rank's particles after the exchange: structure of arrays, n of each. */
typedef struct hp_mpi_particles {
  int64_t n;
  int64_t *id;    /**< lattice index (a np + b) np + c, increasing */
  float *disp[3]; /**< displacement [Mpc/h] */
  float *vel[3];  /**< peculiar velocity [km/s] */
} hp_mpi_particles;

/** Where the lattice planes [a0, a0 + na) of np, held here, sit in the box. */
typedef struct hp_mpi_lattice {
  int64_t np, a0, na;
  double box;
  const float *disp[3], *vel[3]; /**< na np^2 each, lattice order */
} hp_mpi_lattice;

/** Collective: send every particle to the owners of its NGP plane and the planes either side
 *  (voxel grid of side @p nv); @p out is allocated (hp_mpi_particles_free). @p bytes_sent
 *  counts what left this rank for others (the communication volume). */
int hp_mpi_exchange(const hp_mpi_lattice *in, int64_t nv, MPI_Comm comm, hp_mpi_particles *out,
                    double *bytes_sent, hp_status *st);
void hp_mpi_particles_free(hp_mpi_particles *p);

/** Collective: @p out (nx + 2h planes of @p plane floats) gets the h planes before this rank's
 *  slab, the slab itself (@p slab, nx planes) and the h planes after it, periodic in rank order.
 *  Every rank must hold nx >= h planes. */
int hp_mpi_ghost_planes(const float *slab, int64_t nx, int64_t plane, int h, float *out,
                        MPI_Comm comm, hp_status *st);

#endif
