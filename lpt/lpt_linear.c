/* The seeded linear density of a 2LPT plan, and the growth factors at a time. */
#include "lpt_linear.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

int hp_lpt_set_linear(hp_lpt *l, const hp_cosmology *c, const hp_noise_desc *nd, hp_status *st) {
  const hp_lpt_desc *d = hp_lpt_get_desc(l);
  const int64_t np = d->np, nh = np / 2, nzc = nh + 1;
  float(*K)[2] = hp_lpt_delta_k(l);
  if (hp_noise_fill(K, np, nd, d->nthreads, st)) return hp_error_context(st, "linear field");
  const int64_t nn = 3 * nh * nh + 1;
  float *amp = malloc((size_t)nn * sizeof *amp);
  if (!amp) return hp_fail(st, HP_ERR_NOMEM, "linear field: cannot allocate the P(k) table");
  const double volume = d->box * d->box * d->box, kf = 2.0 * M_PI / d->box;
  for (int64_t n2 = 1; n2 < nn; n2++)
    amp[n2] = (float)sqrt(hp_cosmo_power(c, kf * sqrt((double)n2)) / volume);
  amp[0] = 0.0f;
#pragma omp parallel for num_threads(d->nthreads) schedule(static)
  for (int64_t ix = 0; ix < np; ix++) {
    const int64_t sx = ix <= nh ? ix : ix - np;
    for (int64_t iy = 0; iy < np; iy++) {
      const int64_t sy = iy <= nh ? iy : iy - np;
      float(*col)[2] = K + (ix * np + iy) * nzc;
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
