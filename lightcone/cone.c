/* The light-cone catalogue in memory: header arrays, growing columns, parameters. */
#include "lightcone/cone.h"
#include "lightcone/cone_io.h"

#include <stdint.h>
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
  /* the most halos whose columns a size_t can address (a corrupt file may claim 1e19) */
  const int64_t most = (int64_t)((double)SIZE_MAX / HP_CONE_HALO_BYTES / 2);
  if (n > most)
    return hp_fail(st, HP_ERR_NOMEM, "light cone: %lld halos cannot be held (at most %lld)",
                   (long long)n, (long long)most);
  int64_t cap = c->cap > 0 ? c->cap : 1024;
  while (cap < n) cap = cap <= most / 3 * 2 ? cap + cap / 2 : n;
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

int hp_cone_writer_open(hp_cone_writer **out, const char *path, int ascii, hp_status *st) {
  *out = NULL;
  hp_cone_writer *w = calloc(1, sizeof *w);
  if (!w) return hp_fail(st, HP_ERR_NOMEM, "light cone: writer");
  w->ascii = ascii;
  w->file = w->halos = -1;
  for (int i = 0; i < HP_CONE_NCOLS; i++) w->col[i] = -1;
  int rc = hp_atomic_begin(&w->af, path, st);
  if (!rc) rc = ascii ? hp_cone_txt_open(w, st) : hp_cone_h5_open(w, st);
  if (rc) {
    hp_cone_writer_abort(w);
    return hp_error_context(st, "writing light cone %s", path);
  }
  *out = w;
  return HP_OK;
}

int hp_cone_writer_append(hp_cone_writer *w, const hp_cone *c, hp_status *st) {
  const int rc = w->ascii ? hp_cone_txt_append(w, c, st) : hp_cone_h5_append(w, c, st);
  if (rc) return hp_error_context(st, "writing light cone %s", w->af.final_path);
  w->written += c->n;
  return HP_OK;
}

int64_t hp_cone_writer_count(const hp_cone_writer *w) { return w->written; }

int hp_cone_writer_close(hp_cone_writer *w, const hp_cone *c, hp_status *st) {
  int rc = w->ascii ? hp_cone_txt_close(w, c, st) : hp_cone_h5_close(w, c, st);
  if (!rc) rc = hp_atomic_commit(&w->af, st);
  if (rc) {
    hp_error_context(st, "writing light cone %s", w->af.final_path);
    hp_cone_writer_abort(w);
    return rc;
  }
  free(w);
  return HP_OK;
}

void hp_cone_writer_abort(hp_cone_writer *w) {
  if (!w) return;
  if (w->ascii)
    hp_cone_txt_abort(w);
  else
    hp_cone_h5_abort(w);
  hp_atomic_abort(&w->af);
  free(w);
}

/* A whole cone: open, one append, close. */
static int write_whole(const hp_cone *c, const char *path, int ascii, hp_status *st) {
  hp_cone_writer *w;
  if (hp_cone_writer_open(&w, path, ascii, st)) return st->code;
  if (hp_cone_writer_append(w, c, st)) {
    hp_cone_writer_abort(w);
    return st->code;
  }
  return hp_cone_writer_close(w, c, st);
}

int hp_cone_write_hdf5(const hp_cone *c, const char *path, hp_status *st) {
  return write_whole(c, path, 0, st);
}

int hp_cone_write_ascii(const hp_cone *c, const char *path, hp_status *st) {
  return write_whole(c, path, 1, st);
}
