/* The seeded linear density of a 2LPT plan, and the growth factors at a time. */
#include "lpt_linear.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

int hp_linear_scale_slab(float (*K)[2], int64_t np, int64_t x0, int64_t nx, double box,
                         const hp_cosmology *c, int nthreads, hp_status *st) {
  const int64_t nh = np / 2, nzc = nh + 1;
  const int64_t nn = 3 * nh * nh + 1;
  float *amp = malloc((size_t)nn * sizeof *amp);
  if (!amp) return hp_fail(st, HP_ERR_NOMEM, "linear field: cannot allocate the P(k) table");
  const double volume = box * box * box, kf = 2.0 * M_PI / box;
  for (int64_t n2 = 1; n2 < nn; n2++)
    amp[n2] = (float)sqrt(hp_cosmo_power(c, kf * sqrt((double)n2)) / volume);
  amp[0] = 0.0f;
  if (nthreads <= 0) nthreads = omp_get_max_threads();
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t ix = x0; ix < x0 + nx; ix++) {
    const int64_t sx = ix <= nh ? ix : ix - np;
    for (int64_t iy = 0; iy < np; iy++) {
      const int64_t sy = iy <= nh ? iy : iy - np;
      float(*col)[2] = K + ((ix - x0) * np + iy) * nzc;
      for (int64_t iz = 0; iz < nzc; iz++) {
        const float a = amp[sx * sx + sy * sy + iz * iz];
        col[iz][0] *= a;
        col[iz][1] *= a;
      }
    }
  }
  free(amp);
  return HP_OK;
}

static int scale_by_power(hp_lpt *l, const hp_cosmology *c, hp_status *st) {
  const hp_lpt_desc *d = hp_lpt_get_desc(l);
  return hp_linear_scale_slab(hp_lpt_delta_k(l), d->np, 0, d->np, d->box, c, d->nthreads, st);
}

int hp_lpt_set_linear(hp_lpt *l, const hp_cosmology *c, const hp_noise_desc *nd, hp_status *st) {
  const hp_lpt_desc *d = hp_lpt_get_desc(l);
  if (hp_noise_fill(hp_lpt_delta_k(l), d->np, nd, d->nthreads, st))
    return hp_error_context(st, "linear field");
  return scale_by_power(l, c, st);
}

/** The modes' power against the cosmology's P(k) (a field of the wrong normalisation or
 *  redshift shows here), over 0 < k < @p kmax; NaN when no mode is there. */
static double power_ratio(hp_lpt *l, const hp_cosmology *c, double kmax) {
  const hp_lpt_desc *d = hp_lpt_get_desc(l);
  const int64_t np = d->np, nh = np / 2, nzc = nh + 1;
  const float(*K)[2] = (const float(*)[2])hp_lpt_delta_k(l);
  const double kf = 2.0 * M_PI / d->box, volume = d->box * d->box * d->box;
  const int64_t nmax = (int64_t)(kmax / kf);
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t sx = -nmax; sx <= nmax; sx++)
    for (int64_t sy = -nmax; sy <= nmax; sy++)
      for (int64_t iz = 0; iz <= nmax && iz < nh; iz++) {
        const double k = kf * sqrt((double)(sx * sx + sy * sy + iz * iz));
        if (k <= 0.0 || k >= kmax || llabs(sx) >= nh || llabs(sy) >= nh) continue;
        const float *m = K[((sx + np) % np * np + (sy + np) % np) * nzc + iz];
        sum += ((double)m[0] * m[0] + (double)m[1] * m[1]) * volume / hp_cosmo_power(c, k);
        count++;
      }
  return count ? sum / count : NAN;
}

int hp_lpt_set_initial(hp_lpt *l, const hp_cosmology *c, const hp_initial_desc *d,
                       hp_field_info *info, hp_status *st) {
  const hp_lpt_desc *ld = hp_lpt_get_desc(l);
  const int64_t np = ld->np, nmodes = np * np * (np / 2 + 1);
  float(*K)[2] = hp_lpt_delta_k(l);
  hp_field_info own;
  if (!info) info = &own;
  memset(info, 0, sizeof *info);
  info->power_ratio = NAN;
  if (d->linear_field_file && *d->linear_field_file) {
    if (d->noise.fixed_amplitude)
      return hp_fail(st, HP_ERR_INPUT,
                     "FixedAmplitude = 1 with LinearFieldFile %s: the amplitudes are the file's",
                     d->linear_field_file);
    if (hp_field_read_linear(d->linear_field_file, ld->box, np, K, info, ld->nthreads, st))
      return hp_error_context(st, "LinearFieldFile");
    if (d->noise.phase_flip)
      for (int64_t i = 0; i < nmodes; i++) K[i][0] = -K[i][0], K[i][1] = -K[i][1];
    /* the linear field is linear at every k: compare below half the file grid's Nyquist */
    info->power_kmax = 0.5 * M_PI * (double)info->n / ld->box;
    info->power_ratio = power_ratio(l, c, info->power_kmax);
    return HP_OK;
  }
  if (!d->white_noise_file || !*d->white_noise_file) return hp_lpt_set_linear(l, c, &d->noise, st);
  if (hp_field_read_noise(d->white_noise_file, np, K, info, ld->nthreads, st))
    return hp_error_context(st, "WhiteNoiseFile");
  for (int64_t i = 0; i < nmodes; i++) {
    float s = d->noise.phase_flip ? -1.0f : 1.0f;
    const float a = hypotf(K[i][0], K[i][1]);
    if (d->noise.fixed_amplitude && a > 0.0f) s /= a;
    K[i][0] *= s, K[i][1] *= s;
  }
  return scale_by_power(l, c, st);
}

int hp_lpt_initial_check(const hp_initial_desc *d, int64_t np, double *bytes, hp_status *st) {
  int64_t n = np;
  *bytes = 0.0;
  if (d->linear_field_file && *d->linear_field_file && d->white_noise_file && *d->white_noise_file)
    return hp_fail(st, HP_ERR_INPUT,
                   "LinearFieldFile and WhiteNoiseFile are both set: give at most one");
  if (d->linear_field_file && *d->linear_field_file) {
    if (hp_field_probe(d->linear_field_file, 0, &n, st))
      return hp_error_context(st, "LinearFieldFile");
    if (n > np)
      return hp_fail(st, HP_ERR_INPUT,
                     "LinearFieldFile %s: a %lld^3 grid is finer than NParticles = %lld",
                     d->linear_field_file, (long long)n, (long long)np);
    *bytes = hp_field_read_bytes(n, np);
  } else if (d->white_noise_file && *d->white_noise_file) {
    if (hp_field_probe(d->white_noise_file, 1, &n, st))
      return hp_error_context(st, "WhiteNoiseFile");
    if (n != np)
      return hp_fail(st, HP_ERR_INPUT,
                     "WhiteNoiseFile %s: a %lld^3 grid, expected NParticles^3 = %lld^3",
                     d->white_noise_file, (long long)n, (long long)np);
  }
  return HP_OK;
}

int hp_lpt_factors_at(const hp_cosmology *c, double a, hp_lpt_factors *f, hp_status *st) {
  hp_growth g;
  if (hp_cosmo_growth(c, a, &g, st)) return hp_error_context(st, "2LPT growth factors");
  const double aH = 100.0 * a * hp_cosmo_E(c, a); /* km/s per Mpc/h */
  f->D1 = g.D1;
  f->D2 = g.D2;
  f->V1 = aH * g.f1 * g.D1;
  f->V2 = aH * g.f2 * g.D2;
  return HP_OK;
}
