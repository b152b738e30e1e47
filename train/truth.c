/* A training box from a halo catalogue: 2LPT density regenerated in process (plugin/pipeline.h,
 * cic/cic.h) and nearest-grid-point halo counts per mass bin (train/truth.h). */
#define _POSIX_C_SOURCE 200809L
#include "train/truth.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "catalog/catalog.h"
#include "cic/cic.h"
#include "plugin/pipeline.h"
#include "util/hdf5_util.h"

int64_t hp_train_counts_ngp(const float *pos, const double *mass, int64_t n, double box, int64_t nv,
                            int k, const double *edges, float *counts) {
  const int64_t nv3 = nv * nv * nv;
  const double inv = (double)nv / box;
  int64_t counted = 0;
  for (int64_t h = 0; h < n; h++) {
    const double m = mass[h];
    if (!(m >= edges[0] && m < edges[k])) continue;
    int b = 0;
    while (b + 1 < k && m >= edges[b + 1]) b++;
    int64_t v[3];
    for (int a = 0; a < 3; a++) {
      int64_t i = (int64_t)floor((double)pos[3 * h + a] * inv) % nv;
      v[a] = i < 0 ? i + nv : i;
    }
    counts[b * nv3 + (v[0] * nv + v[1]) * nv + v[2]] += 1.0f;
    counted++;
  }
  return counted;
}

/* The catalogue's parameter set as a parameter file: every key this build knows (training
 * keys left out), Threads overridden. */
static int catalog_params(const hp_catalog *c, const char *path, int nthreads, int64_t np,
                          hp_params **p, hp_status *st) {
  size_t len = 1;
  for (int i = 0; i < c->nparams; i++)
    len += strlen(c->param_key[i]) + strlen(c->param_value[i]) + 3;
  char *text = malloc(len), ovr[64], ovn[64];
  if (!text) return hp_fail(st, HP_ERR_NOMEM, "%s: out of memory", path);
  size_t at = 0;
  text[0] = '\0';
  for (int i = 0; i < c->nparams; i++) {
    const char *k = c->param_key[i], *v = c->param_value[i];
    if (!hp_param_find(k) || !v[0] || !strncmp(k, "Train", 5) || strpbrk(v, "%#\n")) continue;
    at += (size_t)snprintf(text + at, len - at, "%s %s\n", k, v);
  }
  snprintf(ovr, sizeof ovr, "Threads=%d", nthreads > 0 ? nthreads : 0);
  snprintf(ovn, sizeof ovn, "NParticles=%lld", (long long)np);
  const char *ov[2] = {ovr, ovn};
  char name[600];
  snprintf(name, sizeof name, "%s (its Parameters)", path);
  int rc = hp_params_parse_string(p, name, text, ov, np > 0 ? 2 : 1, HP_NEED_ALL, st);
  free(text);
  return rc;
}

/* Positions (n x 3) and masses of a user's HDF5 file. */
static int read_user_hdf5(const hp_train_source *src, float **pos, double **mass, int64_t *n,
                          hp_status *st) {
  hid_t file;
  hsize_t dp[2], dm[2];
  int rp, rm;
  int rc = hp_h5_open_ro(src->path, &file, st);
  if (rc) return rc;
  if ((rc = hp_h5_dataset_shape(file, src->hdf5_position, &rp, dp, 2, NULL, st))) goto done;
  if ((rc = hp_h5_dataset_shape(file, src->hdf5_mass, &rm, dm, 2, NULL, st))) goto done;
  if (rp != 2 || dp[1] != 3 || rm != 1 || dm[0] != dp[0]) {
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "%s: dataset '%s' must be N x 3 and '%s' N (found rank %d and %d; "
                 "TrainHDF5Position, TrainHDF5Mass)",
                 src->path, src->hdf5_position, src->hdf5_mass, rp, rm);
    goto done;
  }
  *n = (int64_t)dp[0];
  *pos = malloc(sizeof **pos * (size_t)(3 * *n + 1));
  *mass = malloc(sizeof **mass * (size_t)(*n + 1));
  if (!*pos || !*mass) {
    rc = hp_fail(st, HP_ERR_NOMEM, "%s: cannot hold %lld halos", src->path, (long long)*n);
    goto done;
  }
  if ((rc = hp_h5_read_dataset(file, src->hdf5_position, H5T_NATIVE_FLOAT, 2, dp, *pos, st)))
    goto done;
  rc = hp_h5_read_dataset(file, src->hdf5_mass, H5T_NATIVE_DOUBLE, 1, dm, *mass, st);
done:
  H5Fclose(file);
  return rc;
}

/* Positions and masses of a user's text file: whitespace-separated columns, '#' or '%' lines
 * and blank lines skipped. */
static int read_user_ascii(const hp_train_source *src, float **pos, double **mass, int64_t *n,
                           hp_status *st) {
  FILE *f = fopen(src->path, "r");
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", src->path, strerror(errno));
  int need = 0;
  for (int a = 0; a < 4; a++) {
    if (src->ascii_columns[a] < 1) {
      fclose(f);
      return hp_fail(st, HP_ERR_INPUT, "TrainASCIIColumns: column numbers start at 1");
    }
    if (src->ascii_columns[a] > need) need = src->ascii_columns[a];
  }
  char *line = NULL;
  size_t cap = 0, nalloc = 0;
  int64_t lineno = 0, count = 0;
  int rc = HP_OK;
  *pos = NULL, *mass = NULL;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '#' || *s == '%') continue;
    double col[64];
    int nc = 0;
    while (*s && nc < need && nc < 64) {
      char *end;
      errno = 0;
      const double v = strtod(s, &end);
      if (end == s) break;
      col[nc++] = v;
      s = end;
      while (isspace((unsigned char)*s)) s++;
    }
    if (nc < need) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %lld: %d numbers, expected at least %d columns",
                   src->path, (long long)lineno, nc, need);
      break;
    }
    if ((size_t)count == nalloc) {
      nalloc = nalloc ? 2 * nalloc : 4096;
      float *np = realloc(*pos, sizeof *np * 3 * nalloc);
      if (np) *pos = np;
      double *nm = realloc(*mass, sizeof *nm * nalloc);
      if (nm) *mass = nm;
      if (!np || !nm) {
        rc = hp_fail(st, HP_ERR_NOMEM, "%s: out of memory at line %lld", src->path,
                     (long long)lineno);
        break;
      }
    }
    for (int a = 0; a < 3; a++) (*pos)[3 * count + a] = (float)col[src->ascii_columns[a] - 1];
    (*mass)[count] = col[src->ascii_columns[3] - 1];
    count++;
  }
  free(line);
  fclose(f);
  *n = count;
  if (!rc && !*pos) { /* no halo: keep valid pointers */
    *pos = malloc(3 * sizeof **pos);
    *mass = malloc(sizeof **mass);
  }
  return rc;
}

/* rho/rho_mean of the 2LPT particles of @p p at @p z on nv^3 voxels. */
static int density(const hp_params *p, double z, int64_t nv, double box, int nthreads, float *rho,
                   hp_status *st) {
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  hp_cic_plan *cp = NULL;
  int rc = hp_pipeline_particles(p, z, &c, &l, NULL, st);
  if (!rc) rc = hp_cic_plan_create(&cp, nv, box, nthreads, st);
  if (!rc) {
    const int64_t np = hp_params_int(p, "NParticles");
    hp_cic_particles part;
    memset(&part, 0, sizeof part);
    part.n = np * np * np;
    part.x = hp_lpt_displacement(l, 0);
    part.y = hp_lpt_displacement(l, 1);
    part.z = hp_lpt_displacement(l, 2);
    part.stride = 1;
    part.lattice_np = np;
    rc = hp_cic_density(cp, &part, rho, st);
  }
  hp_cic_plan_destroy(cp);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  return rc;
}

int hp_train_box_from_catalog(const hp_train_source *src, double voxel_size, int k,
                              const double *edges, float **rho, float **counts,
                              hp_train_box_info *info, hp_status *st) {
  hp_catalog cat;
  hp_params *own = NULL;
  const hp_params *p = src->params;
  float *pos = NULL;
  double *mass = NULL;
  int64_t n = 0;
  double z = 0;
  int rc = HP_OK;
  memset(&cat, 0, sizeof cat);
  memset(info, 0, sizeof *info);
  *rho = *counts = NULL;
  if (src->format == HP_TRAIN_CAT_HALOPAINT) {
    if ((rc = hp_catalog_read(&cat, src->path, st))) goto done;
    if (cat.nparams == 0) {
      rc = hp_fail(st, HP_ERR_FORMAT,
                   "%s has no Parameters: the density cannot be regenerated (for a catalogue "
                   "of your own, set TrainCatalogFormat = hdf5 or ascii and name the parameter "
                   "file of its initial conditions in TrainCatalogParams)",
                   src->path);
      goto done;
    }
    if ((rc = catalog_params(&cat, src->path, src->nthreads, src->nparticles, &own, st))) goto done;
    p = own;
    z = cat.hdr.redshift;
    pos = cat.pos, mass = cat.mass, n = cat.n;
    const double pb = hp_params_real(p, "BoxSize");
    if (fabs(pb - cat.hdr.box) > 1e-9 * pb) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s: Header BoxSize %g differs from Parameters BoxSize %g",
                   src->path, cat.hdr.box, pb);
      goto done;
    }
  } else {
    if (!p) {
      rc = hp_fail(st, HP_ERR_INPUT, "%s: no parameter set for a catalogue of format %s", src->path,
                   src->format == HP_TRAIN_CAT_HDF5 ? "hdf5" : "ascii");
      goto done;
    }
    z = hp_params_real(p, "Redshift");
    rc = src->format == HP_TRAIN_CAT_HDF5 ? read_user_hdf5(src, &pos, &mass, &n, st)
                                          : read_user_ascii(src, &pos, &mass, &n, st);
    if (rc) goto done;
    for (int64_t i = 0; i < n; i++) {
      for (int a = 0; a < 3; a++) pos[3 * i + a] = (float)(pos[3 * i + a] * src->position_unit);
      mass[i] *= src->mass_unit;
      if (!isfinite(pos[3 * i]) || !isfinite(pos[3 * i + 1]) || !isfinite(pos[3 * i + 2]) ||
          !isfinite(mass[i])) {
        rc = hp_fail(st, HP_ERR_FORMAT, "%s: halo %lld has a non-finite position or mass",
                     src->path, (long long)i + 1);
        goto done;
      }
    }
  }
  const double box = hp_params_real(p, "BoxSize");
  const int64_t nv = (int64_t)llround(box / voxel_size);
  if (nv < 1 || fabs((double)nv * voxel_size - box) > 1e-6 * box) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "%s: BoxSize %g Mpc/h is not a whole number of the model's %g Mpc/h voxels "
                 "(%.4g): train a model whose voxel size divides the box",
                 src->path, box, voxel_size, box / voxel_size);
    goto done;
  }
  const int64_t nv3 = nv * nv * nv;
  *rho = hp_alloc(sizeof(float) * (size_t)nv3, "training density", st);
  *counts = *rho ? hp_alloc(sizeof(float) * (size_t)(k * nv3), "training counts", st) : NULL;
  if (!*counts) {
    rc = st->code;
    goto done;
  }
  memset(*counts, 0, sizeof(float) * (size_t)(k * nv3));
  if ((rc = density(p, z, nv, box, src->nthreads, *rho, st))) goto done;
  info->ncounted = hp_train_counts_ngp(pos, mass, n, box, nv, k, edges, *counts);
  info->nhalos = n;
  info->box_size = box;
  info->nv = nv;
  info->redshift = z;
  info->lpt_order = (int)hp_params_int(p, "LPTOrder");
  info->nparticles = hp_params_int(p, "NParticles");
  info->particles_per_voxel = pow((double)info->nparticles / (double)nv, 3);
  info->seed = hp_params_int(p, "Seed");
  info->omega_m = hp_params_real(p, "Omega0");
  info->omega_l = hp_params_real(p, "OmegaLambda");
  info->omega_b = hp_params_real(p, "OmegaBaryon");
  info->h = hp_params_real(p, "HubbleParam");
  info->sigma8 = hp_params_real(p, "Sigma8");
  info->n_s = hp_params_real(p, "PrimordialIndex");
done:
  if (src->format == HP_TRAIN_CAT_HALOPAINT) {
    hp_catalog_free(&cat);
  } else {
    free(pos);
    free(mass);
  }
  hp_params_free(own);
  if (rc) {
    hp_free(*rho);
    hp_free(*counts);
    *rho = *counts = NULL;
    return hp_error_context(st, "training data from %s", src->path);
  }
  return HP_OK;
}
