/* Comoving distance tables, sky angles and the box images a shell touches. */
#include "lightcone/geometry.h"

#include <math.h>
#include <stdlib.h>

double hp_distance_E(const hp_distance_table *t, double z) {
  const double x = 1 + z;
  return sqrt(t->om * x * x * x + t->ok * x * x + t->ol);
}

/* d chi / dz */
static double dchi(const hp_distance_table *t, double z) {
  return HP_HUBBLE_DISTANCE / hp_distance_E(t, z);
}

int hp_distance_table_create(hp_distance_table *t, double omega_m, double omega_l, double zmax,
                             hp_status *st) {
  t->chi = NULL;
  if (!(zmax >= 0) || !isfinite(zmax) || zmax > 1100)
    return hp_fail(st, HP_ERR_INPUT, "distance table: zmax = %g (expected 0 to 1100)", zmax);
  t->om = omega_m, t->ol = omega_l, t->ok = 1 - omega_m - omega_l;
  t->n = 4097;
  t->dz = (zmax > 0 ? zmax : 1e-3) / (t->n - 1);
  if (!(t->chi = malloc(sizeof *t->chi * (size_t)t->n)))
    return hp_fail(st, HP_ERR_NOMEM, "distance table");
  /* 4-point Gauss-Legendre on each interval: exact to ~1e-14 for this smooth integrand */
  static const double gx[4] = {-0.8611363115940526, -0.3399810435848563, 0.3399810435848563,
                               0.8611363115940526},
                      gw[4] = {0.3478548451374538, 0.6521451548625461, 0.6521451548625461,
                               0.3478548451374538};
  t->chi[0] = 0;
  for (int i = 1; i < t->n; i++) {
    const double z0 = (i - 1) * t->dz, h = 0.5 * t->dz;
    double s = 0;
    for (int g = 0; g < 4; g++) {
      const double e2 = hp_distance_E(t, z0 + h * (1 + gx[g]));
      if (!(e2 > 0)) {
        hp_distance_table_free(t);
        return hp_fail(st, HP_ERR_INPUT,
                       "distance table: E^2(z) <= 0 near z = %g (Omega0 %g, OmegaLambda %g)", z0,
                       omega_m, omega_l);
      }
      s += gw[g] * dchi(t, z0 + h * (1 + gx[g]));
    }
    t->chi[i] = t->chi[i - 1] + h * s;
  }
  return HP_OK;
}

void hp_distance_table_free(hp_distance_table *t) {
  free(t->chi);
  t->chi = NULL;
}

double hp_distance_chi(const hp_distance_table *t, double z) {
  const double zmax = t->dz * (t->n - 1);
  if (!(z > 0)) return 0;
  if (z >= zmax) return t->chi[t->n - 1];
  int i = (int)(z / t->dz);
  if (i > t->n - 2) i = t->n - 2;
  const double z0 = i * t->dz, u = (z - z0) / t->dz, u2 = u * u, u3 = u2 * u;
  /* cubic Hermite with the exact end derivatives */
  return (2 * u3 - 3 * u2 + 1) * t->chi[i] + (u3 - 2 * u2 + u) * t->dz * dchi(t, z0) +
         (-2 * u3 + 3 * u2) * t->chi[i + 1] + (u3 - u2) * t->dz * dchi(t, z0 + t->dz);
}

double hp_distance_z(const hp_distance_table *t, double chi) {
  if (!(chi > 0)) return 0;
  if (chi >= t->chi[t->n - 1]) return t->dz * (t->n - 1);
  int lo = 0, hi = t->n - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (t->chi[mid] <= chi)
      lo = mid;
    else
      hi = mid;
  }
  double z = (lo + (chi - t->chi[lo]) / (t->chi[hi] - t->chi[lo])) * t->dz;
  for (int it = 0; it < 4; it++) z -= (hp_distance_chi(t, z) - chi) / dchi(t, z);
  return z;
}

void hp_sky_angles(const double d[3], double *ra, double *dec) {
  const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  double a = atan2(d[1], d[0]) * (180 / M_PI);
  if (a < 0) a += 360;
  if (a >= 360) a -= 360;
  *ra = a;
  *dec = r > 0 ? asin(fmax(-1.0, fmin(1.0, d[2] / r))) * (180 / M_PI) : 0;
}

void hp_cube_distance_range(const double lo[3], double side, double *dmin, double *dmax) {
  double s2 = 0, l2 = 0;
  for (int a = 0; a < 3; a++) {
    const double a0 = lo[a], a1 = lo[a] + side;
    const double near = a0 > 0 ? a0 : (a1 < 0 ? -a1 : 0), far = fmax(fabs(a0), fabs(a1));
    s2 += near * near, l2 += far * far;
  }
  *dmin = sqrt(s2), *dmax = sqrt(l2);
}

long hp_shell_images(double box, const double obs[3], double rlo, double rhi, int octant,
                     int (*out)[3], long max) {
  long n = 0;
  int lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = (int)floor((obs[a] - rhi) / box) - 1;
    hi[a] = (int)floor((obs[a] + rhi) / box) + 1;
    if (octant && lo[a] < (int)floor(obs[a] / box) - 1) lo[a] = (int)floor(obs[a] / box) - 1;
  }
  for (int i = lo[0]; i <= hi[0]; i++)
    for (int j = lo[1]; j <= hi[1]; j++)
      for (int k = lo[2]; k <= hi[2]; k++) {
        const double c[3] = {i * box - obs[0], j * box - obs[1], k * box - obs[2]};
        double dmin, dmax;
        if (octant && (c[0] + box <= 0 || c[1] + box <= 0 || c[2] + box <= 0)) continue;
        hp_cube_distance_range(c, box, &dmin, &dmax);
        if (dmin >= rhi || dmax < rlo) continue;
        if (n < max) out[n][0] = i, out[n][1] = j, out[n][2] = k;
        n++;
      }
  return n;
}
