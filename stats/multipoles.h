/**
 * @file multipoles.h
 * @brief Redshift-space distortions along a line-of-sight axis (plane-parallel) and the
 *        monopole, quadrupole and hexadecapole of the power spectrum.
 *
 * Positions move by s = x + v_los (1 + z) / H(z) along the axis, i.e. by v_los / (a H) with
 * H(z) = 100 E(z) h km/s/Mpc: in Mpc/h, the shift is v [km/s] times
 * hp_stats_rsd_factor = (1 + z) / (100 E(z)), E^2 = Omega_m (1+z)^3 + Omega_k (1+z)^2 +
 * Omega_L (radiation neglected, as lpt/cosmology.h), and the result is wrapped into the box.
 *
 * Multipoles: P_l(bin) = (2l + 1) / (V N_bin) sum_{k in bin} |delta(k)|^2 L_l(mu),
 * mu = k_axis / |k| (the same mode sums as power.h; l = 0, 2, 4). The shot noise of P_l is the
 * Legendre moment of the aliased shot noise (anisotropic through the window), so P_l - shot_l
 * is shot-subtracted for every l. Errors: var P_l = (2l+1)^2 sum |delta|^4 L_l^2 / (V N_bin)^2
 * (Gaussian modes, estimated from the data).
 */
#ifndef HP_STATS_MULTIPOLES_H
#define HP_STATS_MULTIPOLES_H

#include <stddef.h>

#include "cic/cic.h"
#include "stats/power.h"
#include "util/status.h"

/**
 * Comoving shift per unit line-of-sight peculiar velocity, (1 + z) / (100 E(z)).
 * @return [Mpc/h per km/s]; NaN if E^2 <= 0 or z <= -1
 */
double hp_stats_rsd_factor(double omega_m, double omega_l, double z);

/**
 * Redshift-space positions: out[3i + c] = x_c(i), plus factor * vel[i * vstride] along @p axis,
 * wrapped into [0, box).
 * @param parts   particles (positions or lattice displacements; weights ignored)
 * @param vel     line-of-sight velocity component [km/s], element i at vel[i * vstride]
 * @param vstride distance between velocities, in floats (>= 1)
 * @param axis    0, 1 or 2 (x, y, z)
 * @param factor  hp_stats_rsd_factor [Mpc/h per km/s]
 * @param box     box side [Mpc/h]
 * @param out     3 n floats, interleaved xyz [Mpc/h]
 * @param nthreads threads (<= 0: all)
 * @param st      status
 * @return 0 or HP_ERR_INPUT (non-finite shifted position, naming it)
 */
int hp_stats_rsd_positions(const hp_cic_particles *parts, const float *vel, ptrdiff_t vstride,
                           int axis, double factor, double box, float *out, int nthreads,
                           hp_status *st);

/**
 * Multipoles l = 0, 2, 4 of the power spectrum about @p axis.
 * @param f         field
 * @param bins      binning
 * @param axis      line of sight: 0, 1 or 2
 * @param nthreads  threads (<= 0: all); results do not depend on it
 * @param p0, p2, p4  allocated by the call (any may be NULL to skip it)
 * @param st        status
 * @return 0, HP_ERR_INPUT or HP_ERR_NOMEM
 */
int hp_stats_power_multipoles(const hp_stats_field *f, const hp_stats_bins *bins, int axis,
                              int nthreads, hp_stats_pk *p0, hp_stats_pk *p2, hp_stats_pk *p4,
                              hp_status *st);

#endif
