/**
 * @file lpt.h
 * @brief Second-order Lagrangian perturbation theory (2LPT) on a particle lattice.
 *
 * Computes, for an np^3 lattice in a periodic box (Scoccimarro 1998; Crocce,
 * Pueblas & Scoccimarro 2006; conventions of shared/reference §7):
 *   x = q + D1 psi1 + D2 psi2,     v = a H [f1 D1 psi1 + f2 D2 psi2]
 *   psi1 = -grad phi1,  lap phi1 = delta_lin            (at D1 = 1)
 *   psi2 = +grad phi2,  lap phi2 = sum_{i>j} (phi1,ii phi1,jj - phi1,ij^2)
 * with D2 ~ -3/7 D1^2 < 0 and all derivatives spectral (FFTW3, float).
 *
 * Plan / execute / destroy:
 *   hp_lpt_create    allocates every buffer and plans every FFT;
 *   hp_lpt_delta_k   is the linear density (z = 0, D1 = 1) to be filled
 *                    (hp_lpt_set_linear, or by hand in tests);
 *   hp_lpt_execute   computes displacements and velocities for given growth
 *                    factors; it allocates nothing, leaves delta_k intact and
 *                    can be called again for another redshift.
 *
 * Cost (non-dealiased): 13 FFTs of np^3 (7 for the second-order source, 6
 * for displacements and velocities, combined in k-space);
 * memory 32 bytes per particle (delta_k 4, scratch 4, outputs 24; see
 * docs/performance.md). With the 3/2-rule dealiasing of the second-order
 * source (M = 3 np / 2): 7 inverse + 1 forward FFT of M^3 replace the 7 of
 * np^3, and the extra M^3 scratch brings memory to ~45.5 bytes per particle.
 *
 * Nyquist modes (any |k_i| = np/2) of the linear field and of the 2LPT
 * source are zero: a real field's derivative at Nyquist is ill-defined, and
 * dropping those modes keeps every derivative real and consistent.
 */
#ifndef HP_LPT_H
#define HP_LPT_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/** What the 2LPT plan is made for. */
typedef struct hp_lpt_desc {
  int64_t np;   /**< particles per dimension (even, >= 4) */
  double box;   /**< BoxSize [Mpc/h] */
  int order;    /**< LPTOrder: 1 (Zel'dovich) or 2 */
  int dealias;  /**< LPTDealias: 3/2-rule for the second-order source (order 2 only) */
  int nthreads; /**< threads for FFTW and loops; 0 = all */
} hp_lpt_desc;

/** Growth and velocity factors at the output time. */
typedef struct hp_lpt_factors {
  double D1; /**< linear growth, D1(a=1) = 1 */
  double D2; /**< second-order growth, ~ -3/7 D1^2 */
  double V1; /**< 100 a E(a) f1 D1: velocity [km/s] per psi1 [Mpc/h] */
  double V2; /**< 100 a E(a) f2 D2: velocity [km/s] per psi2 [Mpc/h] */
} hp_lpt_factors;

/** Work done by the last hp_lpt_execute (for benchmarks). */
typedef struct hp_lpt_counters {
  int fft_np;         /**< FFTs of np^3 performed */
  int fft_dealias;    /**< FFTs of (3np/2)^3 performed */
  size_t bytes;       /**< bytes held by the plan (all buffers) */
  double fft_seconds; /**< wall time spent inside FFTW in the last execute [s] */
} hp_lpt_counters;

typedef struct hp_lpt hp_lpt;

/** Allocate buffers and plan the FFTs. Not thread-safe against other FFTW planning. */
int hp_lpt_create(hp_lpt **out, const hp_lpt_desc *d, hp_status *st);
/** Free everything (NULL is fine). */
void hp_lpt_destroy(hp_lpt *l);

/**
 * The linear density contrast at D1 = 1 in FFTW's r2c layout [np][np][np/2+1]
 * of (re, im) float pairs, normalised so that the unnormalised inverse
 * transform sum_k c_k e^{ik.q} gives delta(q): c_k = delta(k)/V.
 */
float (*hp_lpt_delta_k(hp_lpt *l))[2];

/** Compute displacements x - q [Mpc/h] and velocities [km/s] for factors @p f. */
int hp_lpt_execute(hp_lpt *l, const hp_lpt_factors *f, hp_status *st);

/** Displacement component @p axis (0,1,2) after execute: np^3 floats, lattice order. */
float *hp_lpt_displacement(hp_lpt *l, int axis);
/** Peculiar velocity component @p axis [km/s] after execute. */
float *hp_lpt_velocity(hp_lpt *l, int axis);

/** Counters of the last execute and the plan's memory. */
hp_lpt_counters hp_lpt_get_counters(const hp_lpt *l);
/** The descriptor the plan was made with. */
const hp_lpt_desc *hp_lpt_get_desc(const hp_lpt *l);

/** Time one np^3 inverse FFT with the plan's own buffers (benchmark floor); destroys scratch. */
double hp_lpt_time_one_fft(hp_lpt *l);

#endif
