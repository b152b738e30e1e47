/**
 * @file lpt_mpi.h
 * @brief 2LPT distributed over MPI ranks: the serial hp_lpt (lpt/lpt.h) on x-slabs.
 *
 * The same physics, conventions and k-space arithmetic as lpt/lpt.c (displacement
 * x - q = D1 psi1 + D2 psi2, velocity V1 psi1 + V2 psi2, Nyquist modes and the mean zero, the
 * two orders combined in k-space, 13 FFTs for LPTOrder = 2 and 3 for LPTOrder = 1), with
 * FFTW's MPI transforms in single precision. Every rank holds the lattice planes
 * a in [x0, x0 + nx) in real space, as FFTW-MPI splits them (blocks of ceil(np / ranks)
 * planes, so the last ranks may hold fewer, or none). The seeded linear field has the same
 * modes, bit for bit, as hp_lpt_set_linear's; the outputs differ from the serial ones only by
 * the FFTs' rounding (FFTW-MPI splits the transform differently).
 *
 * Memory per rank: about 32 bytes per particle of a full block of ceil(np / ranks) planes,
 * the serial plan's bytes per plane (delta_k and a scratch half-complex slab, 4 (1 + 2/np)
 * bytes per particle each; the six outputs, 24, and 8/np of slack) times the block: a rank
 * with fewer planes still holds most of FFTW-MPI's workspace for a full block. Plus the
 * rooms: 6 (before + after) floats.
 * LPTDealias (the 3/2 rule) is not available yet and is refused.
 *
 * Collective calls (every rank of the plan's communicator, in the same order): create,
 * set_linear, execute, destroy. They end by agreeing on errors (hp_mpi_agree), so every rank
 * returns the same code and message. Each rank may use OpenMP threads (hp_lpt_desc.nthreads);
 * only the calling thread talks to MPI. hp_mpi_init must have been called.
 */
#ifndef HP_MPI_LPT_MPI_H
#define HP_MPI_LPT_MPI_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/noise.h"
#include "util/status.h"

typedef struct hp_mlpt hp_mlpt;

/** Collective: allocate this rank's buffers and plan the distributed FFTs for @p d over
 *  @p comm (which must stay valid until hp_mlpt_destroy), with @p before and @p after free
 *  floats before and after each output (0: none). LPTDealias = 1 with LPTOrder = 2 is
 *  refused (HP_ERR_INPUT); LPTOrder = 1 ignores it, as the serial plan does. */
int hp_mlpt_create(hp_mlpt **out, const hp_lpt_desc *d, int64_t before, int64_t after,
                   MPI_Comm comm, hp_status *st);
/** Free floats before and after each output array (hp_mlpt_create's): the particle exchange
 *  may write there, and execute overwrites them. */
void hp_mlpt_rooms(const hp_mlpt *l, int64_t *before, int64_t *after);
/** Collective (FFTW-MPI's plans go with their communicator); NULL is fine. */
void hp_mlpt_destroy(hp_mlpt *l);

/** The lattice planes a in [*x0, *x0 + *nx) that this rank's outputs hold, in rank order;
 *  nx may be 0 (on the last ranks, with x0 = np). */
void hp_mlpt_slab(const hp_mlpt *l, int64_t *x0, int64_t *nx);

/** Collective: the linear density at z = 0 (D1 = 1) from the seeded white noise and the
 *  cosmology's P(k): the same modes, bit for bit, as hp_lpt_set_linear. */
int hp_mlpt_set_linear(hp_mlpt *l, const hp_cosmology *c, const hp_noise_desc *nd, hp_status *st);

/** Collective: displacements and velocities for factors @p f (hp_lpt_execute's meaning);
 *  allocates nothing and keeps the linear field, so it can be called again. Factors
 *  {D1, D2, V1, V2} = {1, 0, 0, 1} keep the two orders apart, as the light cone needs: psi1 in
 *  the displacement slots, psi2 in the velocity slots (bit for bit hp_lpt_execute's). */
int hp_mlpt_execute(hp_mlpt *l, const hp_lpt_factors *f, hp_status *st);

/** Displacement component @p axis (0, 1, 2) [Mpc/h] after execute: nx np^2 floats, lattice
 *  point (a, b, c) at [(a - x0) np + b] np + c. */
float *hp_mlpt_displacement(hp_mlpt *l, int axis);
/** Peculiar velocity component @p axis [km/s] after execute, laid out as the displacement. */
float *hp_mlpt_velocity(hp_mlpt *l, int axis);

/** Bytes of buffers this rank holds. */
size_t hp_mlpt_bytes(const hp_mlpt *l);
/** Wall time [s] this rank spent in FFTW-MPI's transforms during the last execute. FFTW does
 *  not expose its transposes separately, so this is communication (and waiting for the other
 *  ranks) and local FFT work together; the rest of execute is local k-space and copy loops. */
double hp_mlpt_fft_seconds(const hp_mlpt *l);

#endif
