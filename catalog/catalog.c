/*
 * The in-memory halo catalogue: allocation, parameter copies and the checks every writer and
 * reader applies (positions in [0, BoxSize), finite values, consistent columns). No physics
 * here: the catalogue only carries what a halo finder (nbody/fof.c) or the painter produced.
 * The file forms are in catalog_hdf5.c and catalog_ascii.c; the layout is docs/catalog.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "catalog/catalog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hp_catalog_alloc(hp_catalog *c, int64_t n, unsigned columns, hp_status *st) {
  memset(c, 0, sizeof *c);
  if (n < 0) return hp_fail(st, HP_ERR_INPUT, "catalogue: number of halos %lld < 0", (long long)n);
  if (columns & ~(unsigned)HP_CAT_ALL)
    return hp_fail(st, HP_ERR_INPUT, "catalogue: unknown column bits 0x%x", columns);
  if ((uint64_t)n > (uint64_t)(SIZE_MAX / 32))
    return hp_fail(st, HP_ERR_NOMEM, "catalogue: %lld halos do not fit in memory", (long long)n);
  /* At least one element, so that pointers are valid even for an empty catalogue. */
  const size_t m = n > 0 ? (size_t)n : 1;
  c->n = n;
  c->columns = columns;
  c->pos = hp_alloc(3 * m * sizeof(float), "halo positions", st);
  c->vel = c->pos ? hp_alloc(3 * m * sizeof(float), "halo velocities", st) : NULL;
  c->mass = c->vel ? hp_alloc(m * sizeof(double), "halo masses", st) : NULL;
  c->id = c->mass ? hp_alloc(m * sizeof(int64_t), "halo IDs", st) : NULL;
  int ok = c->id != NULL;
  if (ok && (columns & HP_CAT_NPART))
    ok = (c->npart = hp_alloc(m * sizeof(int32_t), "halo particle counts", st)) != NULL;
  if (ok && (columns & HP_CAT_LAGRANGE))
    ok = (c->lagr_pos = hp_alloc(3 * m * sizeof(float), "halo Lagrangian positions", st)) != NULL;
  if (ok && (columns & HP_CAT_MASSBIN))
    ok = (c->mass_bin = hp_alloc(m * sizeof(int32_t), "halo mass bins", st)) != NULL;
  if (!ok) {
    hp_catalog_free(c);
    return st->code;
  }
  memset(c->pos, 0, 3 * m * sizeof(float));
  memset(c->vel, 0, 3 * m * sizeof(float));
  memset(c->mass, 0, m * sizeof(double));
  memset(c->id, 0, m * sizeof(int64_t));
  if (c->npart) memset(c->npart, 0, m * sizeof(int32_t));
  if (c->lagr_pos) memset(c->lagr_pos, 0, 3 * m * sizeof(float));
  if (c->mass_bin) memset(c->mass_bin, 0, m * sizeof(int32_t));
  return HP_OK;
}

static void free_params(hp_catalog *c) {
  hp_kv_free_copy(c->nparams, c->param_key, c->param_value);
  c->param_key = c->param_value = NULL;
  c->nparams = 0;
}

void hp_catalog_free(hp_catalog *c) {
  if (c == NULL) return;
  hp_free(c->pos);
  hp_free(c->vel);
  hp_free(c->mass);
  hp_free(c->id);
  hp_free(c->npart);
  hp_free(c->lagr_pos);
  hp_free(c->mass_bin);
  free_params(c);
  c->pos = c->vel = c->lagr_pos = NULL;
  c->mass = NULL;
  c->id = NULL;
  c->npart = c->mass_bin = NULL;
  c->n = 0;
  c->columns = 0;
}

int hp_catalog_set_params(hp_catalog *c, const hp_kv_list *kv, hp_status *st) {
  int n;
  char **k, **v;
  if (hp_kv_copy(kv, "catalogue parameters", &n, &k, &v, st)) return st->code;
  free_params(c);
  c->param_key = k;
  c->param_value = v;
  c->nparams = n;
  return HP_OK;
}

/* Does a float coordinate lie in [0, box)? (NaN fails.) */
static int in_box(float x, double box) { return x >= 0.0f && (double)x < box; }

int hp_catalog_validate(const hp_catalog *c, const char *where, hp_status *st) {
  const double box = c->hdr.box;
  const char *w = where != NULL ? where : "catalogue";
  static const char axis[3] = {'x', 'y', 'z'};
  if (!(isfinite(box) && box > 0))
    return hp_fail(st, HP_ERR_FORMAT, "%s: BoxSize = %g must be finite and > 0", w, box);
  if (c->n < 0) return hp_fail(st, HP_ERR_FORMAT, "%s: NumHalos = %lld < 0", w, (long long)c->n);
  if (c->columns & ~(unsigned)HP_CAT_ALL)
    return hp_fail(st, HP_ERR_FORMAT, "%s: unknown column bits 0x%x", w, c->columns);
  if (c->n > 0 && (c->pos == NULL || c->vel == NULL || c->mass == NULL || c->id == NULL))
    return hp_fail(st, HP_ERR_INPUT, "%s: Position, Velocity, Mass or ID array missing", w);
  if (c->n > 0 && (((c->columns & HP_CAT_NPART) && c->npart == NULL) ||
                   ((c->columns & HP_CAT_LAGRANGE) && c->lagr_pos == NULL) ||
                   ((c->columns & HP_CAT_MASSBIN) && c->mass_bin == NULL)))
    return hp_fail(st, HP_ERR_INPUT, "%s: an optional column is flagged but its array is NULL", w);
  for (int64_t i = 0; i < c->n; i++) {
    const long long hi = (long long)i, id = (long long)c->id[i];
    for (int a = 0; a < 3; a++) {
      const float x = c->pos[3 * i + a], v = c->vel[3 * i + a];
      if (!in_box(x, box))
        return hp_fail(st, HP_ERR_FORMAT, "%s: Position of halo %lld (ID %lld): %c = %.9g is %s", w,
                       hi, id, axis[a], x, isfinite(x) ? "outside [0, BoxSize)" : "not finite");
      if (!isfinite(v))
        return hp_fail(st, HP_ERR_FORMAT,
                       "%s: Velocity of halo %lld (ID %lld): v%c = %g is not finite", w, hi, id,
                       axis[a], v);
      if (c->columns & HP_CAT_LAGRANGE) {
        const float q = c->lagr_pos[3 * i + a];
        if (!in_box(q, box))
          return hp_fail(st, HP_ERR_FORMAT,
                         "%s: LagrangianPosition of halo %lld (ID %lld): %c = %.9g is %s", w, hi,
                         id, axis[a], q, isfinite(q) ? "outside [0, BoxSize)" : "not finite");
      }
    }
    if (!(isfinite(c->mass[i]) && c->mass[i] >= 0))
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: Mass of halo %lld (ID %lld) = %g is not finite and >= 0", w, hi, id,
                     c->mass[i]);
    if ((c->columns & HP_CAT_NPART) && c->npart[i] < 0)
      return hp_fail(st, HP_ERR_FORMAT, "%s: NumParticles of halo %lld (ID %lld) = %d < 0", w, hi,
                     id, (int)c->npart[i]);
  }
  return HP_OK;
}
