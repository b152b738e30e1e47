/**
 * @file pm.h
 * @brief Particle-mesh N-body integrator with the FastPM time stepping (Feng, Chu, Seljak &
 *        McDonald 2016, MNRAS 463, 2273): linear growth is reproduced exactly whatever the step.
 *
 * State (owned by the caller, see hp_pm_state): per particle of an np^3 Lagrangian lattice a
 * float displacement x - q [Mpc/h] and a float canonical momentum p = a^2 dx/d(H0 t) [Mpc/h]
 * (peculiar velocity v = 100 p / a km/s). Positions and momenta are synchronised at every step
 * boundary (kick-drift-kick).
 *
 * With g_p(a) = a^2 E(a) f1(a) D1(a) (linear theory: p = g_p psi when x = q + D1 psi) and the
 * acceleration field A = -grad lap^-1 delta [Mpc/h] (linear theory: A = D1 psi), one step
 * a0 -> a1 with kick time ac (arithmetic mean for Linear spacing, geometric for Log) is
 *   kick   p += A(a0) [g_p(ac) - g_p(a0)] / D1(a0)
 *   drift  x += p [D1(a1) - D1(a0)] / g_p(ac)
 *   kick   p += A(a1) [g_p(a1) - g_p(ac)] / D1(a1)
 * (derivation in docs/nbody.md). The two half kicks around an inner boundary use one force
 * evaluation; a run of n steps costs n + 1 forces plus one per output strictly inside the run.
 *
 * Force: CIC deposit (cic/cic.h) onto a (B np)^3 mesh, one r2c FFT, the Green's function, one
 * c2r FFT to the potential phi, then per axis the gradient into a second mesh (4-point finite
 * difference stencil, or spectral via 1-D line FFTs) and the CIC read-out at the particles.
 * Kernels (hp_pm_kernel): FastPM's "1_4" and "3_4", and the exact spectral one.
 *
 * Memory of a plan (besides the caller's 24 bytes per particle of state): the potential mesh
 * 4 (B np)^2 (B np + 2) bytes and the gradient mesh 4 (B np)^3 bytes, i.e. 8 B^3 bytes per
 * particle (B = 2: 64.3), one float per particle of read-out scratch, the CIC workspace
 * (32 MiB) and O(B np) tables: at 256^3 and B = 2, 70.1 bytes per particle, 94.1 with the state
 * (measured peak 94.5; FastPM: ~260). hp_pm_bytes gives the exact figure; docs/nbody.md the table.
 *
 * Determinism: FFTW plans with FFTW_ESTIMATE, the deterministic CIC deposit and element-wise
 * loops: results are bit-identical for any thread count.
 */
#ifndef HP_PM_H
#define HP_PM_H

#include <stddef.h>
#include <stdint.h>

#include "lpt/cosmology.h"
#include "util/status.h"

/** Force kernel (Green's function and gradient), named as FastPM's kernel_type. */
typedef enum hp_pm_kernel {
  /** -1/k^2 and the 4-point finite-difference gradient (FastPM's default "1_4"). */
  HP_PM_KERNEL_1_4 = 0,
  /** Discrete Laplacian -1/sum_i k_i^2 sinc^2(k_i h/2) and the 4-point gradient ("3_4"). */
  HP_PM_KERNEL_3_4 = 1,
  /** -1/k^2 and the exact spectral gradient i k (zero at the Nyquist frequency). */
  HP_PM_KERNEL_SPECTRAL = 2
} hp_pm_kernel;

/** Step spacing of hp_pm_schedule_make. */
typedef enum hp_pm_spacing {
  HP_PM_LINEAR = 0, /**< uniform in a */
  HP_PM_LOG = 1     /**< uniform in ln a */
} hp_pm_spacing;

/** What a PM plan is made for. */
typedef struct hp_pm_desc {
  int64_t np;      /**< particles per dimension of the lattice (>= 2) [1] */
  double box;      /**< BoxSize [Mpc/h] */
  int grid_factor; /**< B: force mesh B np per dimension, 1, 2 or 3 [1] */
  int kernel;      /**< enum hp_pm_kernel */
  int nthreads;    /**< OpenMP and FFTW threads; <= 0 = all [1] */
} hp_pm_desc;

/** Particle state on an np^3 lattice (arrays owned by the caller; lattice order). */
typedef struct hp_pm_state {
  int64_t np;     /**< particles per dimension [1] */
  float *disp[3]; /**< displacement x - q [Mpc/h], np^3 each; q = (i, j, k) L/np */
  float *mom[3];  /**< canonical momentum p = a^2 dx/d(H0 t) [Mpc/h], np^3 each */
  double a;       /**< scale factor of disp and mom (synchronised) [1] */
} hp_pm_state;

/** Step boundaries: a[0] = start < a[1] < ... < a[n]; outputs fall on boundaries. */
typedef struct hp_pm_schedule {
  int n;         /**< number of steps */
  double *a;     /**< n + 1 boundaries [1] */
  double *ac;    /**< n kick times (step midpoints) [1] */
  int *out;      /**< n + 1 entries: output index at this boundary, or -1 */
  int n_out;     /**< number of outputs */
  double *a_out; /**< the n_out output scale factors, increasing [1] */
  int spacing;   /**< enum hp_pm_spacing */
  int requested; /**< steps requested before splitting at outputs */
} hp_pm_schedule;

/** Time spent by a plan (cumulative since creation) and work done. */
typedef struct hp_pm_counters {
  int forces;         /**< force evaluations [1] */
  int steps;          /**< steps completed [1] */
  double t_paint;     /**< CIC deposit, including zeroing the mesh [s] */
  double t_fft;       /**< 3-D FFTs [s] */
  double t_kernel;    /**< Green's function in k-space [s] */
  double t_gradient;  /**< gradient meshes (stencil or line FFTs) [s] */
  double t_readout;   /**< CIC read-out [s] */
  double t_kickdrift; /**< kicks and drifts [s] */
  double t_total;     /**< all of hp_pm_run, callbacks excluded [s] */
} hp_pm_counters;

/** What the step callback is told after each step. */
typedef struct hp_pm_step_info {
  int step;           /**< 1-based index of the step just completed [1] */
  int nsteps;         /**< steps in the schedule [1] */
  double a0, a1;      /**< the step's boundaries [1] */
  double seconds;     /**< wall time of this step [s] */
  hp_pm_counters cnt; /**< cumulative counters */
} hp_pm_step_info;

/** Called after every step (may be NULL). */
typedef void (*hp_pm_step_fn)(void *user, const hp_pm_step_info *info);
/**
 * Called at each output boundary with the synchronised state (s->a = a_out[index]); it must
 * not change s. Return 0 to continue, or an hp_code (with @p st filled) to stop the run.
 */
typedef int (*hp_pm_output_fn)(void *user, int index, const hp_pm_state *s, hp_status *st);

typedef struct hp_pm hp_pm;

/**
 * Plan: the two meshes, the read-out scratch, FFT plans and the CIC plan; every page touched.
 * @return 0, HP_ERR_INPUT (np < 2 or odd, box not finite and > 0, grid_factor not 1-3, unknown
 *         kernel, mesh too large), HP_ERR_NOMEM, HP_ERR_INTERNAL (FFTW could not plan).
 */
int hp_pm_create(hp_pm **out, const hp_pm_desc *d, hp_status *st);
/** Free a plan (NULL is fine). */
void hp_pm_destroy(hp_pm *pm);
/** Bytes held by the plan (meshes, scratch, CIC workspace, tables). */
size_t hp_pm_bytes(const hp_pm *pm);
/** The descriptor (nthreads resolved). */
const hp_pm_desc *hp_pm_get_desc(const hp_pm *pm);
/** Cumulative counters. */
hp_pm_counters hp_pm_get_counters(const hp_pm *pm);
/**
 * The plan's gradient mesh, free for the caller between force evaluations (e.g. inside an
 * output callback, to hold velocities without allocating): *nfloats = (B np)^3 floats (B^3 per
 * particle). The next force evaluation overwrites it.
 */
float *hp_pm_scratch(hp_pm *pm, size_t *nfloats);

/**
 * The step boundaries from @p a_start to the largest output, @p nsteps steps uniform in a or
 * ln a, each step that contains an output split there (an output within 1e-9 (relative) of a
 * boundary moves that boundary onto it instead).
 * @param a_out  output scale factors, any order, each in (a_start, 1], distinct
 * @return 0, HP_ERR_INPUT (no output, an output not after a_start or after a = 1, duplicates,
 *         nsteps < 1, bad spacing) or HP_ERR_NOMEM. Free with hp_pm_schedule_free.
 */
int hp_pm_schedule_make(hp_pm_schedule *s, double a_start, const double *a_out, int n_out,
                        int nsteps, int spacing, hp_status *st);
/** Free a schedule's arrays (safe on a zeroed or freed schedule). */
void hp_pm_schedule_free(hp_pm_schedule *s);

/**
 * Allocate a state's six arrays (24 bytes per particle, pages touched by @p nthreads threads),
 * zeroed; s->a = 0.
 */
int hp_pm_state_alloc(hp_pm_state *s, int64_t np, int nthreads, hp_status *st);
/** Free a state's arrays (safe twice). */
void hp_pm_state_free(hp_pm_state *s);

/** Momentum per velocity: p [Mpc/h] = v [km/s] * a / 100. */
static inline double hp_pm_mom_per_kms(double a) { return a / 100.0; }

/**
 * Run the schedule: s->a must equal sch->a[0] (relative 1e-12). Calls @p on_step after every
 * step and @p on_output at every output boundary. On return (success) s->a = sch->a[sch->n].
 * @return 0; HP_ERR_INPUT (state does not match the plan or the schedule, non-finite
 *         position: the message names the particle and the step); HP_ERR_NUMERIC (growth);
 *         or the code returned by @p on_output.
 */
int hp_pm_run(hp_pm *pm, const hp_cosmology *c, hp_pm_state *s, const hp_pm_schedule *sch,
              hp_pm_step_fn on_step, hp_pm_output_fn on_output, void *user, hp_status *st);

/**
 * One force evaluation at the current positions: acc[axis] (np^3 floats each, caller-owned)
 * receives A = -grad lap^-1 delta at every particle [Mpc/h]. For tests and host codes; the run
 * itself never stores all three components.
 */
int hp_pm_force(hp_pm *pm, const hp_pm_state *s, float *const acc[3], hp_status *st);

/** FastPM factors. g_p(a) = a^2 E(a) f1(a) D1(a) [1]; D1 in @p d1 if not NULL. */
int hp_pm_gp(const hp_cosmology *c, double a, double *gp, double *d1, hp_status *st);

#endif
