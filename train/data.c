/* Training boxes, validation slabs, counter-based patch draws (train/data.h). */
#include "train/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/symmetry.h"

int hp_train_data_init(hp_train_data *d, int k, hp_status *st) {
  memset(d, 0, sizeof *d);
  if (k < 1) return hp_fail(st, HP_ERR_INPUT, "training data: %d mass bins", k);
  d->k = k;
  return HP_OK;
}

int hp_train_data_adopt(hp_train_data *d, float *rho, float *counts, int64_t nv, int validation,
                        const char *name, hp_status *st) {
  hp_train_box *nb = realloc(d->box, sizeof *nb * (size_t)(d->nbox + 1));
  if (!nb || nv < 1 || !rho || !counts) {
    hp_free(rho);
    hp_free(counts);
    if (nb) d->box = nb;
    return nb ? hp_fail(st, HP_ERR_INPUT, "training data: box %s of side %lld without data",
                        name ? name : "?", (long long)nv)
              : hp_fail(st, HP_ERR_NOMEM, "training data: out of memory");
  }
  d->box = nb;
  hp_train_box *b = &d->box[d->nbox++];
  memset(b, 0, sizeof *b);
  b->nv = nv;
  b->rho = rho;
  b->counts = counts;
  b->validation = validation;
  b->train_nx = nv;
  snprintf(b->name, sizeof b->name, "%s", name ? name : "(box)");
  return HP_OK;
}

void hp_train_data_free(hp_train_data *d) {
  for (int i = 0; i < d->nbox; i++) {
    hp_free(d->box[i].rho);
    hp_free(d->box[i].counts);
  }
  free(d->box);
  memset(d, 0, sizeof *d);
}

int hp_train_data_prepare(hp_train_data *d, int patch, int halo, double val_fraction,
                          hp_status *st) {
  if (!(val_fraction >= 0 && val_fraction <= 0.9))
    return hp_fail(st, HP_ERR_INPUT, "TrainValidationFraction = %g: expected 0 to 0.9",
                   val_fraction);
  if (patch <= 2 * halo)
    return hp_fail(st, HP_ERR_INPUT,
                   "TrainPatch = %d: the patch must exceed twice the network's halo (%d)", patch,
                   halo);
  d->patch = patch, d->halo = halo, d->val_fraction = val_fraction;
  d->n_val_voxels = 0;
  int ntrain = 0;
  for (int i = 0; i < d->nbox; i++) {
    hp_train_box *b = &d->box[i];
    b->weight = 0;
    if (b->validation) {
      if (b->nv <= 2 * halo)
        return hp_fail(st, HP_ERR_INPUT, "validation box %s: %lld voxels per side is too small",
                       b->name, (long long)b->nv);
      d->n_val_voxels += b->nv * b->nv * b->nv;
      continue;
    }
    int64_t nval = (int64_t)llround(val_fraction * (double)b->nv);
    if (val_fraction > 0 && nval <= 2 * halo)
      return hp_fail(st, HP_ERR_INPUT,
                     "box %s: a validation slab of %lld of its %lld x-planes "
                     "(TrainValidationFraction = %g) is too thin to paint (the network needs "
                     "more than %d): raise TrainValidationFraction or use validation boxes",
                     b->name, (long long)nval, (long long)b->nv, val_fraction, 2 * halo);
    b->train_nx = b->nv - nval;
    if (patch > b->train_nx || patch > b->nv)
      return hp_fail(st, HP_ERR_INPUT,
                     "box %s: a %d^3 patch (TrainPatch) does not fit in its training region of "
                     "%lld x-planes (%lld voxels per side, TrainValidationFraction = %g): use a "
                     "smaller TrainPatch, a bigger box, or whole validation boxes "
                     "(TrainValidationCatalogs) with TrainValidationFraction = 0",
                     b->name, patch, (long long)b->train_nx, (long long)b->nv, val_fraction);
    const int64_t nx = nval > 0 ? b->train_nx - patch + 1 : b->nv;
    b->weight = (double)nx * (double)b->nv * (double)b->nv;
    if (nval > 0) d->n_val_voxels += (nval - 2 * halo) * b->nv * b->nv;
    ntrain++;
  }
  if (!ntrain) return hp_fail(st, HP_ERR_INPUT, "no training box (every box is for validation)");
  return HP_OK;
}

/* splitmix64 finaliser */
static uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform [0, 1) number i of (seed, update, step): a hash, no state. */
static double unif(uint64_t seed, int64_t update, int step, int i) {
  const uint64_t h =
      mix64(mix64(mix64(seed) ^ (uint64_t)update) ^ ((uint64_t)step << 8 | (uint64_t)i));
  return (double)(h >> 11) * 0x1p-53;
}

static int64_t pick(double u, int64_t n) {
  int64_t i = (int64_t)(u * (double)n);
  return i < n ? i : n - 1;
}

void hp_train_data_draw(const hp_train_data *d, uint64_t seed, int64_t update, int step,
                        hp_train_draw *dr) {
  double total = 0;
  for (int i = 0; i < d->nbox; i++) total += d->box[i].weight;
  double u = unif(seed, update, step, 0) * total, acc = 0;
  dr->box = -1;
  for (int i = 0; i < d->nbox; i++) {
    if (d->box[i].weight <= 0) continue;
    dr->box = i;
    acc += d->box[i].weight;
    if (u < acc) break;
  }
  const hp_train_box *b = &d->box[dr->box];
  const int64_t nx = b->train_nx < b->nv ? b->train_nx - d->patch + 1 : b->nv;
  dr->origin[0] = pick(unif(seed, update, step, 1), nx);
  dr->origin[1] = pick(unif(seed, update, step, 2), b->nv);
  dr->origin[2] = pick(unif(seed, update, step, 3), b->nv);
  dr->sym = (int)pick(unif(seed, update, step, 4), HP_SYM_COUNT);
  dr->eps = unif(seed, update, step, 5);
}

void hp_train_data_patch(const hp_train_data *d, const hp_train_draw *dr, float *rho_patch,
                         float *counts_patch, int nthreads) {
  const hp_train_box *b = &d->box[dr->box];
  const int64_t m = d->patch - 2 * d->halo, nv3 = b->nv * b->nv * b->nv;
  hp_sym_extract(b->rho, b->nv, dr->origin, d->patch, dr->sym, rho_patch, nthreads);
  const int64_t inner[3] = {dr->origin[0] + d->halo, dr->origin[1] + d->halo,
                            dr->origin[2] + d->halo};
  for (int k = 0; k < d->k; k++)
    hp_sym_extract(b->counts + k * nv3, b->nv, inner, m, dr->sym, counts_patch + k * m * m * m,
                   nthreads);
}

int hp_train_data_val_region(const hp_train_data *d, int b, int64_t *x0, int64_t *nx,
                             int *periodic) {
  const hp_train_box *bx = &d->box[b];
  if (bx->validation) {
    *x0 = 0, *nx = bx->nv, *periodic = 1;
    return 1;
  }
  if (bx->train_nx >= bx->nv) return 0;
  *x0 = bx->train_nx, *nx = bx->nv - bx->train_nx, *periodic = 0;
  return 1;
}
