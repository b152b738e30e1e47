/* The light-cone catalogue in memory: header arrays, growing columns, parameters. */
#include "lightcone/cone.h"

#include <stdlib.h>
#include <string.h>

int hp_cone_init(hp_cone *c, int nshells, int nbins, hp_status *st) {
  memset(c, 0, sizeof *c);
  if (nshells < 1 || nbins < 1)
    return hp_fail(st, HP_ERR_INPUT, "light cone: %d shells, %d mass bins (need >= 1 each)",
                   nshells, nbins);
  hp_cone_header *h = &c->hdr;
  h->nshells = nshells;
  h->nbins = nbins;
  h->shell_edges = calloc((size_t)nshells + 1, sizeof *h->shell_edges);
  h->shell_z = calloc((size_t)nshells, sizeof *h->shell_z);
  h->bin_edges = calloc((size_t)nbins + 1, sizeof *h->bin_edges);
  h->shell_density = calloc((size_t)nshells * (size_t)nbins, sizeof *h->shell_density);
  h->shell_density_far = calloc((size_t)nshells * (size_t)nbins, sizeof *h->shell_density_far);
  if (!h->shell_edges || !h->shell_z || !h->bin_edges || !h->shell_density ||
      !h->shell_density_far) {
    hp_cone_free(c);
    return hp_fail(st, HP_ERR_NOMEM, "light cone: cannot allocate the header of %d shells",
                   nshells);
  }
  return HP_OK;
}

/* Grow one column to cap elements of size bytes, keeping its n elements. */
static int grow(void **col, int64_t cap, size_t size) {
  void *p = realloc(*col, (size_t)cap * size);
  if (!p) return 1;
  *col = p;
  return 0;
}

int hp_cone_reserve(hp_cone *c, int64_t n, hp_status *st) {
  if (n <= c->cap) return HP_OK;
  int64_t cap = c->cap > 0 ? c->cap : 1024;
  while (cap < n) cap += cap / 2;
  if (grow((void **)&c->ra, cap, sizeof *c->ra) || grow((void **)&c->dec, cap, sizeof *c->dec) ||
      grow((void **)&c->zcos, cap, sizeof *c->zcos) ||
      grow((void **)&c->zobs, cap, sizeof *c->zobs) ||
      grow((void **)&c->dist, cap, sizeof *c->dist) ||
      grow((void **)&c->pos, cap, 3 * sizeof *c->pos) ||
      grow((void **)&c->vel, cap, 3 * sizeof *c->vel) ||
      grow((void **)&c->mass, cap, sizeof *c->mass) ||
      grow((void **)&c->mass_bin, cap, sizeof *c->mass_bin) ||
      grow((void **)&c->shell, cap, sizeof *c->shell) || grow((void **)&c->id, cap, sizeof *c->id))
    return hp_fail(st, HP_ERR_NOMEM,
                   "light cone: cannot grow the catalogue to %lld halos (%.1f MB)", (long long)cap,
                   cap * HP_CONE_HALO_BYTES / 1e6);
  c->cap = cap;
  return HP_OK;
}

int hp_cone_set_params(hp_cone *c, const hp_kv_list *kv, hp_status *st) {
  int n;
  char **k, **v;
  if (hp_kv_copy(kv, "light-cone parameters", &n, &k, &v, st)) return st->code;
  hp_kv_free_copy(c->nparams, c->param_key, c->param_value);
  c->nparams = n, c->param_key = k, c->param_value = v;
  return HP_OK;
}

void hp_cone_free(hp_cone *c) {
  if (!c) return;
  hp_cone_header *h = &c->hdr;
  free(h->shell_edges), free(h->shell_z), free(h->bin_edges), free(h->shell_density);
  free(h->shell_density_far);
  free(c->ra), free(c->dec), free(c->zcos), free(c->zobs), free(c->dist), free(c->pos);
  free(c->vel), free(c->mass), free(c->mass_bin), free(c->shell), free(c->id);
  hp_kv_free_copy(c->nparams, c->param_key, c->param_value);
  memset(c, 0, sizeof *c);
}
