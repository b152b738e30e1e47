/**
 * @file geometry.h
 * @brief Light-cone geometry: comoving distance and its inverse, sky angles, shells, and the
 *        periodic images of the box a shell needs.
 *
 * Distances are line-of-sight comoving, chi(z) = (c / H0) int_0^z dz' / E(z') in Mpc/h with
 * E^2 = Omega_m (1+z)^3 + Omega_k (1+z)^2 + Omega_L (radiation neglected, as in the growth).
 * The box is Euclidean, so a cone in a curved cosmology uses chi as its radial coordinate.
 * The observer sits at the origin of the observer frame; box image i (three integers) holds the
 * box's point x at x + i * BoxSize - observer.
 */
#ifndef HP_LC_GEOMETRY_H
#define HP_LC_GEOMETRY_H

#include "util/status.h"

/** c / H0 in Mpc/h. */
#define HP_HUBBLE_DISTANCE 2997.92458

/** chi(z) tabulated with its derivative (cubic Hermite between nodes: ~1e-10 relative). */
typedef struct hp_distance_table {
  int n;     /**< nodes */
  double dz; /**< node spacing in z */
  double om, ok, ol;
  double *chi; /**< n values [Mpc/h] */
} hp_distance_table;

/** Tabulate chi on [0, zmax]. Refuses E^2 <= 0 anywhere on the range. */
int hp_distance_table_create(hp_distance_table *t, double omega_m, double omega_l, double zmax,
                             hp_status *st);
void hp_distance_table_free(hp_distance_table *t);
/** E(z) = H(z) / H0. */
double hp_distance_E(const hp_distance_table *t, double z);
/** chi(z) [Mpc/h] for 0 <= z <= the table's zmax (clamped outside). */
double hp_distance_chi(const hp_distance_table *t, double z);
/** The inverse: z at comoving distance chi (Newton on the Hermite form, to ~1e-12). */
double hp_distance_z(const hp_distance_table *t, double chi);

/** RA in [0, 360) and Dec in [-90, 90] degrees of direction @p d (x at RA 0, z at Dec +90). */
void hp_sky_angles(const double d[3], double *ra, double *dec);

/** Smallest and largest distance from the origin to the cube [lo, lo + side)^3. */
void hp_cube_distance_range(const double lo[3], double side, double *dmin, double *dmax);

/**
 * The box images a shell [rlo, rhi) touches: every integer triple i with the cube
 * [i * box - obs, (i + 1) * box - obs) at distances overlapping [rlo, rhi), and, when
 * @p octant, reaching into x, y, z > 0. Writes at most @p max triples into @p out (in a fixed
 * order) and returns how many there are (more than max: the caller asks again with room).
 */
long hp_shell_images(double box, const double obs[3], double rlo, double rhi, int octant,
                     int (*out)[3], long max);

#endif
