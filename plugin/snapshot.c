/* Another code's particles read for painting and sampling (see snapshot.h). */
#define _POSIX_C_SOURCE 200809L
#include "snapshot.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/sampler.h"
#include "cic/cic.h"
#include "lpt/cosmology.h"
#include "lpt/ic_read.h"
#include "lpt/massfunction.h"
#include "plugin/run.h"
#include "util/memory.h"

/** cm in one Mpc: a file unit of U cm is U / MPC_CM Mpc/h (Gadget's units carry the h). */
#define MPC_CM 3.085678e24
/** A BoxSize at least this large in an unknown unit is Gadget's kpc/h (no box is 20 Gpc/h). */
#define KPC_GUESS_BOX 20000.0

/** "snap.0.hdf5" or "snap.0" -> "snap" (the base a multi-file snapshot is read by), else 0. */
static int multifile_base(const char *path, char *base, size_t n) {
  size_t len = strlen(path);
  if (len >= n) return 0;
  memcpy(base, path, len + 1);
  if (len > 5 && !strcmp(base + len - 5, ".hdf5")) base[len -= 5] = '\0';
  size_t i = len;
  while (i > 0 && isdigit((unsigned char)base[i - 1])) i--;
  if (i == len || i == 0 || base[i - 1] != '.') return 0;
  base[i - 1] = '\0';
  return 1;
}

static int read_particles(const char *path, hp_ic_data *d, hp_status *st) {
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return hp_ic_read(path, 0, d, st);
  if (hp_ic_read_file(path, 0, d, st)) return st->code;
  if (d->hdr.num_files <= 1) return HP_OK;
  char base[4096];
  const int nf = d->hdr.num_files;
  hp_ic_data_free(d);
  if (!multifile_base(path, base, sizeof base))
    return hp_fail(st, HP_ERR_INPUT,
                   "%s is one of %d files of a snapshot but not named <base>.<i>[.hdf5]: give "
                   "the base name",
                   path, nf);
  return hp_ic_read(base, 0, d, st);
}

int hp_snapshot_read(hp_snapshot *s, const char *path, double length_unit, int velocities,
                     hp_status *st) {
  memset(s, 0, sizeof *s);
  hp_ic_data d;
  memset(&d, 0, sizeof d);
  if (read_particles(path, &d, st)) return hp_error_context(st, "particles %s", path);
  if (d.n < 1) {
    hp_ic_data_free(&d);
    return hp_fail(st, HP_ERR_INPUT, "particles %s: no dark-matter particles", path);
  }
  if (length_unit > 0) {
    snprintf(s->unit_note, sizeof s->unit_note, "%g Mpc/h per file unit (given)", length_unit);
  } else if (d.hdr.unit_length_in_cm > 0) {
    length_unit = d.hdr.unit_length_in_cm / MPC_CM;
    snprintf(s->unit_note, sizeof s->unit_note, "%g Mpc/h per file unit (the file's units)",
             length_unit);
  } else {
    length_unit = d.hdr.box >= KPC_GUESS_BOX ? 1e-3 : 1.0;
    snprintf(s->unit_note, sizeof s->unit_note, "%s (the file has no units; BoxSize %g %s 20000)",
             length_unit < 1 ? "kpc/h" : "Mpc/h", d.hdr.box, length_unit < 1 ? ">=" : "<");
  }
  s->length_unit = length_unit;
  s->box = d.hdr.box * length_unit;
  s->redshift = d.hdr.redshift;
  s->omega_m = d.hdr.omega_m;
  s->h = d.hdr.h;
  if (!(s->box > 0) || !isfinite(s->redshift)) {
    hp_ic_data_free(&d);
    return hp_fail(st, HP_ERR_FORMAT, "particles %s: BoxSize %g, Redshift %g: not a snapshot", path,
                   d.hdr.box, d.hdr.redshift);
  }
  const double a = 1.0 / (1.0 + s->redshift);
  const float vscale = (float)(velocities == HP_SNAP_VEL_GADGET ? sqrt(a) : 1.0);
  for (int64_t i = 0; i < 3 * d.n; i++) {
    double x = fmod(d.pos[i] * length_unit, s->box);
    if (x < 0) x += s->box;
    const float f = (float)x;
    if (!isfinite(x) || !isfinite(d.vel[i])) {
      hp_ic_data_free(&d);
      return hp_fail(st, HP_ERR_INPUT, "particles %s: particle %lld has a non-finite %s", path,
                     (long long)(i / 3), isfinite(x) ? "velocity" : "position");
    }
    d.pos[i] = f >= (float)s->box ? 0.0f : f;
    d.vel[i] *= vscale;
  }
  s->n = d.n;
  s->pos = d.pos, s->vel = d.vel; /* taken over from d */
  d.pos = d.vel = NULL;
  hp_ic_data_free(&d);
  return HP_OK;
}

void hp_snapshot_free(hp_snapshot *s) {
  free(s->pos);
  free(s->vel);
  memset(s, 0, sizeof *s);
}

int hp_snapshot_mismatch(const hp_snapshot *s, const hp_model_meta *m, int64_t *nv, char *buf,
                         size_t n) {
  int k = 0;
  size_t used = 0;
  buf[0] = '\0';
#define DIFF(...)                                                                   \
  do {                                                                              \
    k++;                                                                            \
    if (used < n) used += (size_t)snprintf(buf + used, n - used, "  " __VA_ARGS__); \
  } while (0)
  *nv = (int64_t)llround(s->box / m->voxel_size);
  if (*nv < 1) *nv = 1;
  if (fabs(s->box / (double)*nv / m->voxel_size - 1) > 1e-3)
    DIFF("voxel size: BoxSize %g Mpc/h is not a whole number of the model's %g Mpc/h voxels\n",
         s->box, m->voxel_size);
  const double ppv = (double)s->n / ((double)*nv * *nv * *nv);
  if (fabs(ppv / m->particles_per_voxel - 1) > 1e-3)
    DIFF("particles per voxel: %lld particles on %lld^3 voxels = %g, the model's is %g\n",
         (long long)s->n, (long long)*nv, ppv, m->particles_per_voxel);
  if (fabs(s->redshift - m->redshift) > 1e-3)
    DIFF("redshift: the file's is %g, the model's is %g\n", s->redshift, m->redshift);
  if (isfinite(s->omega_m) && isfinite(m->omega_m) &&
      fabs(s->omega_m - m->omega_m) > HP_RUN_COSMO_TOL * m->omega_m)
    DIFF("cosmology: the file's Omega0 is %g, the model was trained at %g\n", s->omega_m,
         m->omega_m);
  if (isfinite(s->h) && isfinite(m->h) && fabs(s->h - m->h) > HP_RUN_COSMO_TOL * m->h)
    DIFF("cosmology: the file's HubbleParam is %g, the model was trained at %g\n", s->h, m->h);
#undef DIFF
  return k;
}

int hp_snapshot_sample(const hp_snapshot *s, const hp_model *m, int64_t nv,
                       const float *const *counts, const hp_snapshot_sample_desc *d,
                       hp_catalog *cat, hp_status *st) {
  const hp_model_meta *mm = &m->meta;
  if (!(isfinite(mm->omega_m) && isfinite(mm->sigma8)))
    return hp_fail(st, HP_ERR_INPUT,
                   "the model records no training cosmology: the halo masses need one");
  hp_cosmo_desc cd = {0};
  cd.omega_m = mm->omega_m, cd.omega_l = mm->omega_l, cd.omega_b = mm->omega_b, cd.h = mm->h;
  cd.sigma8 = mm->sigma8, cd.n_s = mm->n_s, cd.t_cmb = 2.7255, cd.power = HP_POWER_EH98;
  hp_cosmology *cosmo = NULL;
  hp_mf_shape_ctx mf = {NULL, mm->redshift};
  hp_cic_plan *cic = NULL;
  hp_sampler *smp = NULL;
  float *grid[4] = {NULL, NULL, NULL, NULL};
  const size_t gb = sizeof(float) * (size_t)(nv * nv * nv);
  int rc = HP_OK;
  if ((rc = hp_cosmology_create(&cosmo, &cd, st)) || (rc = hp_massfunc_create(&mf.mf, cosmo, st)) ||
      (rc = hp_cic_plan_create(&cic, nv, s->box, d->nthreads, st)))
    goto done;
  for (int i = 0; i < 4; i++)
    if (!(grid[i] = hp_alloc(gb, "a velocity grid", st))) {
      rc = st->code;
      goto done;
    }
  /* the mass-weighted velocity field the halos read their velocities from */
  hp_cic_particles parts = {0};
  parts.n = s->n, parts.x = s->pos, parts.y = s->pos + 1, parts.z = s->pos + 2, parts.stride = 3;
  const float *const v[3] = {s->vel, s->vel + 1, s->vel + 2};
  float *const vout[3] = {grid[0], grid[1], grid[2]};
  if ((rc = hp_cic_velocity(cic, &parts, v, 3, vout, grid[3], st))) goto done;
  const double a = 1.0 / (1.0 + mm->redshift);
  hp_sampler_desc sd = {nv,
                        s->box,
                        0,
                        mm->nbins,
                        mm->bin_edges,
                        hp_mf_shape,
                        &mf,
                        d->count_mode,
                        d->position_mode,
                        d->rsd_axis,
                        1.0 / (100.0 * a * hp_cosmo_E(cosmo, a)),
                        d->seed,
                        d->nthreads,
                        &mm->count,
                        0,
                        s->n,
                        0,
                        0};
  if ((rc = hp_sampler_create(&smp, &sd, st))) goto done;
  hp_sampler_input in = {counts, {NULL, NULL, NULL}, {grid[0], grid[1], grid[2]}, s->pos, NULL,
                         NULL};
  rc = hp_sampler_execute(smp, &in, cat, st);
done:
  hp_sampler_destroy(smp);
  for (int i = 0; i < 4; i++) hp_free(grid[i]);
  hp_cic_plan_destroy(cic);
  hp_massfunc_free(mf.mf);
  hp_cosmology_free(cosmo);
  return rc ? hp_error_context(st, "sample") : HP_OK;
}
