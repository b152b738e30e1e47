/*
 * Halo catalogue -> positions of one mass bin, in real or redshift space (sample.h), the
 * input of the mesh for per-mass-bin statistics.
 */
#include "stats/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/multipoles.h"

void hp_stats_sample_free(hp_stats_sample *s) {
  if (!s) return;
  hp_free(s->pos);
  free(s->mass);
  memset(s, 0, sizeof *s);
}

hp_cic_particles hp_stats_sample_particles(const hp_stats_sample *s) {
  hp_cic_particles p;
  memset(&p, 0, sizeof p);
  p.n = s->n;
  p.x = s->pos;
  p.y = s->pos + 1;
  p.z = s->pos + 2;
  p.stride = 3;
  return p;
}

int hp_stats_sample_select(const hp_catalog *c, double mlo, double mhi, int rsd_axis, int nthreads,
                           hp_stats_sample *out, hp_status *st) {
  memset(out, 0, sizeof *out);
  const double box = c->hdr.box;
  if (!(box > 0) || !isfinite(box))
    return hp_fail(st, HP_ERR_INPUT, "catalogue: BoxSize %g Mpc/h must be finite and > 0", box);
  if (rsd_axis < -1 || rsd_axis > 2)
    return hp_fail(st, HP_ERR_INPUT, "catalogue: RSD axis %d (0, 1, 2 or -1)", rsd_axis);
  if (c->n > 0 && (!c->pos || !c->mass || (rsd_axis >= 0 && !c->vel)))
    return hp_fail(st, HP_ERR_INPUT, "catalogue: positions, masses or velocities missing");
  int64_t n = 0;
  for (int64_t i = 0; i < c->n; i++) n += c->mass[i] >= mlo && c->mass[i] < mhi;
  out->box = box;
  out->pos = hp_alloc((size_t)(3 * (n > 0 ? n : 1)) * sizeof *out->pos, "halo positions", st);
  out->mass = malloc((size_t)(n > 0 ? n : 1) * sizeof *out->mass);
  float *vel = rsd_axis >= 0 ? malloc((size_t)(n > 0 ? n : 1) * sizeof *vel) : NULL;
  if (!out->pos || !out->mass || (rsd_axis >= 0 && !vel)) {
    free(vel);
    hp_stats_sample_free(out);
    return st->code ? st->code : hp_fail(st, HP_ERR_NOMEM, "halo selection of %lld", (long long)n);
  }
  int64_t j = 0;
  for (int64_t i = 0; i < c->n; i++) {
    if (!(c->mass[i] >= mlo && c->mass[i] < mhi)) continue;
    memcpy(out->pos + 3 * j, c->pos + 3 * i, 3 * sizeof(float));
    out->mass[j] = c->mass[i];
    if (vel) vel[j] = c->vel[3 * i + rsd_axis];
    j++;
  }
  out->n = n;
  if (rsd_axis >= 0 && n > 0) {
    const double f = hp_stats_rsd_factor(c->hdr.omega_m, c->hdr.omega_l, c->hdr.redshift);
    if (!isfinite(f)) {
      free(vel);
      hp_stats_sample_free(out);
      return hp_fail(st, HP_ERR_INPUT,
                     "catalogue: cannot move to redshift space: E(z) undefined for Omega0 = %g, "
                     "OmegaLambda = %g, z = %g",
                     c->hdr.omega_m, c->hdr.omega_l, c->hdr.redshift);
    }
    hp_cic_particles p = hp_stats_sample_particles(out);
    /* in place: every output element depends only on the same element of the input */
    if (hp_stats_rsd_positions(&p, vel, 1, rsd_axis, f, box, out->pos, nthreads, st)) {
      free(vel);
      hp_stats_sample_free(out);
      return hp_error_context(st, "catalogue");
    }
  }
  free(vel);
  return HP_OK;
}
