/*
 * Redshift-space positions (plane-parallel, Kaiser 1987, MNRAS 227, 1) and the Legendre
 * multipoles of the power spectrum (multipoles.h; e.g. Taruya, Nishimichi & Saito 2010), with
 * the anisotropic aliased shot noise subtracted per multipole.
 */
#include "stats/multipoles.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

double hp_stats_rsd_factor(double omega_m, double omega_l, double z) {
  const double ap = 1.0 + z;
  if (!(ap > 0)) return NAN;
  const double ok = 1.0 - omega_m - omega_l;
  const double e2 = omega_m * ap * ap * ap + ok * ap * ap + omega_l;
  if (!(e2 > 0)) return NAN;
  return ap / (100.0 * sqrt(e2));
}

int hp_stats_rsd_positions(const hp_cic_particles *parts, const float *vel, ptrdiff_t vstride,
                           int axis, double factor, double box, float *out, int nthreads,
                           hp_status *st) {
  if (axis < 0 || axis > 2) return hp_fail(st, HP_ERR_INPUT, "RSD: axis %d (0, 1 or 2)", axis);
  if (!(box > 0) || !isfinite(factor) || vstride < 1 || parts->stride < 1)
    return hp_fail(st, HP_ERR_INPUT, "RSD: bad box %g, factor %g or stride", box, factor);
  if (nthreads <= 0) nthreads = omp_get_max_threads();
  const int64_t n = parts->n, np = parts->lattice_np;
  const double q = np > 0 ? box / (double)np : 0.0;
  int64_t bad = INT64_MAX;
#pragma omp parallel for num_threads(nthreads) schedule(static) reduction(min : bad)
  for (int64_t i = 0; i < n; i++) {
    const float *c[3] = {parts->x, parts->y, parts->z};
    const int64_t l[3] = {np > 0 ? i / (np * np) : 0, np > 0 ? (i / np) % np : 0,
                          np > 0 ? i % np : 0};
    for (int a = 0; a < 3; a++) {
      double x = (double)c[a][i * parts->stride] + (double)l[a] * q;
      if (a == axis) x += factor * (double)vel[i * vstride];
      if (!isfinite(x)) {
        if (i < bad) bad = i;
        x = 0;
      }
      x = fmod(x, box);
      if (x < 0) x += box;
      float fx = (float)x;
      if (fx >= (float)box) fx = 0.0f; /* rounding up to L */
      out[3 * i + a] = fx;
    }
  }
  if (bad != INT64_MAX)
    return hp_fail(st, HP_ERR_INPUT, "RSD: particle %lld has a non-finite position or velocity",
                   (long long)bad);
  return HP_OK;
}

enum { M_CNT, M_K, M_P0, M_P2, M_P4, M_S0, M_S2, M_S4, M_V0, M_V2, M_V4, M_N };

int hp_stats_power_multipoles(const hp_stats_field *f, const hp_stats_bins *bins, int axis,
                              int nthreads, hp_stats_pk *p0, hp_stats_pk *p2, hp_stats_pk *p4,
                              hp_status *st) {
  hp_stats_pk *outs[3] = {p0, p2, p4};
  for (int l = 0; l < 3; l++)
    if (outs[l]) memset(outs[l], 0, sizeof *outs[l]);
  if (axis < 0 || axis > 2) return hp_fail(st, HP_ERR_INPUT, "multipoles: axis %d", axis);
  if (!f->dk) return hp_fail(st, HP_ERR_INPUT, "multipoles: no field");
  if (hp_stats_bins_check(bins, st)) return st->code;
  if (nthreads <= 0) nthreads = omp_get_max_threads();
  const int64_t n = f->n, nzc = n / 2 + 1;
  const int nb = bins->nbins;
  hp_stats_axes ax;
  if (hp_stats_axes_init(&ax, f, st)) return st->code;
  int64_t qmax;
  int32_t *table = hp_stats_bin_table(bins, n, f->box, &qmax, st);
  double *plane = calloc((size_t)(n * nb * M_N), sizeof *plane);
  if (!table || !plane) {
    free(table);
    free(plane);
    hp_stats_axes_free(&ax);
    return st->code ? st->code : hp_fail(st, HP_ERR_NOMEM, "multipoles: partial sums");
  }
  const double kf = 2.0 * M_PI / f->box;
  const int sh = f->shot > 0;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
  for (int64_t ix = 0; ix < n; ix++) {
    double *acc = plane + ix * nb * M_N;
    const int64_t sx = ix <= n / 2 ? ix : ix - n;
    for (int64_t iy = 0; iy < n; iy++) {
      const int64_t sy = iy <= n / 2 ? iy : iy - n;
      const int64_t base = (ix * n + iy) * nzc;
      for (int64_t iz = 0; iz < nzc; iz++) {
        const int64_t q = sx * sx + sy * sy + iz * iz;
        if (q == 0) continue;
        const int i = table[q];
        if (i < 0) continue;
        const double m = (iz == 0 || (n % 2 == 0 && iz == n / 2)) ? 1.0 : 2.0;
        const int64_t sa = axis == 0 ? sx : axis == 1 ? sy : iz;
        const double mu2 = (double)(sa * sa) / (double)q;
        const double l2 = 1.5 * mu2 - 0.5, l4 = (35.0 * mu2 * mu2 - 30.0 * mu2 + 3.0) / 8.0;
        const double re = f->dk[base + iz][0], im = f->dk[base + iz][1], p = re * re + im * im;
        double *s = acc + i * M_N;
        s[M_CNT] += m;
        s[M_K] += m * kf * sqrt((double)q);
        s[M_P0] += m * p;
        s[M_P2] += m * p * l2;
        s[M_P4] += m * p * l4;
        s[M_V0] += m * p * p;
        s[M_V2] += m * p * p * l2 * l2;
        s[M_V4] += m * p * p * l4 * l4;
        if (sh) {
          const double w = hp_stats_shot_shape(&ax, ix, iy, iz);
          s[M_S0] += m * w;
          s[M_S2] += m * w * l2;
          s[M_S4] += m * w * l4;
        }
      }
    }
  }
  double *acc = calloc((size_t)nb * M_N, sizeof *acc);
  if (!acc) {
    free(table);
    free(plane);
    hp_stats_axes_free(&ax);
    return hp_fail(st, HP_ERR_NOMEM, "multipoles: sums");
  }
  for (int64_t ix = 0; ix < n; ix++)
    for (int64_t j = 0; j < (int64_t)nb * M_N; j++) acc[j] += plane[ix * nb * M_N + j];
  free(plane);
  free(table);
  hp_stats_axes_free(&ax);
  const double vol = f->box * f->box * f->box;
  for (int l = 0; l < 3; l++) {
    if (!outs[l]) continue;
    if (hp_stats_pk_alloc(outs[l], bins, st)) {
      for (int j = 0; j < l; j++)
        if (outs[j]) hp_stats_pk_free(outs[j]);
      free(acc);
      return st->code;
    }
    const double norm = 2.0 * (2 * l) + 1.0; /* 2l+1 for l = 0, 2, 4 */
    for (int i = 0; i < nb; i++) {
      const double *s = acc + i * M_N, c = s[M_CNT];
      outs[l]->nmodes[i] = (int64_t)llround(c);
      if (c > 0) {
        outs[l]->k_mean[i] = s[M_K] / c;
        outs[l]->p[i] = norm * s[M_P0 + l] / (vol * c);
        outs[l]->shot[i] = sh ? norm * f->shot * s[M_S0 + l] / c : 0.0;
        outs[l]->err[i] = norm * sqrt(s[M_V0 + l]) / (vol * c);
      } else {
        outs[l]->k_mean[i] = outs[l]->p[i] = outs[l]->err[i] = NAN;
      }
    }
  }
  free(acc);
  return HP_OK;
}
