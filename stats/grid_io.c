/*
 * HDF5 density grids for the statistics (grid_io.h): read (rank 3, or one or the sum of the
 * components of a rank-4 dataset such as the painter's counts) and write atomically.
 */
#include "stats/grid_io.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/atomic_file.h"
#include "util/hdf5_util.h"

int hp_stats_grid_probe(const char *path, const char *dataset) {
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  int found = 0;
  if (H5Fis_hdf5(path) > 0) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
      found = hp_h5_exists(f, dataset);
      H5Fclose(f);
    }
  }
  hp_h5_quiet_end(&q);
  return found;
}

/* The edges in attribute MassBinEdges of loc, if it has them and they fit: their count. */
static int edges_at(hid_t loc, double *edges, int max) {
  size_t n = 0;
  hp_status st;
  if (loc < 0 || !hp_h5_attr_exists(loc, "MassBinEdges") ||
      hp_h5_attr_npoints(loc, "MassBinEdges", &n, &st) || n < 2 || n > (size_t)max ||
      hp_h5_read_attr(loc, "MassBinEdges", H5T_NATIVE_DOUBLE, edges, n, &st))
    return 0;
  return (int)n;
}

int hp_stats_grid_mass_edges(const char *path, const char *dataset, double *edges, int max,
                             const char **where) {
  static const char *names[3] = {"the dataset's MassBinEdges", "Model/MassBinEdges",
                                 "/MassBinEdges"};
  if (where) *where = "";
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  int n = 0;
  const hid_t f = H5Fis_hdf5(path) > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
  for (int i = 0; f >= 0 && i < 3 && !n; i++) {
    const char *obj = i == 0 ? dataset : i == 1 ? "Model" : "/";
    const hid_t o = hp_h5_exists(f, obj) || i == 2 ? H5Oopen(f, obj, H5P_DEFAULT) : -1;
    n = edges_at(o, edges, max);
    if (n && where) *where = names[i];
    if (o >= 0) H5Oclose(o);
  }
  if (f >= 0) H5Fclose(f);
  hp_h5_quiet_end(&q);
  return n;
}

/* BoxSize from the dataset, the root, or Header; *found = 0 if none. */
static int read_box(hid_t f, hid_t d, double *box, int *found, hp_status *st) {
  *found = 0;
  if (hp_h5_attr_exists(d, "BoxSize")) {
    *found = 1;
    return hp_h5_read_attr(d, "BoxSize", H5T_NATIVE_DOUBLE, box, 1, st);
  }
  if (hp_h5_attr_exists(f, "BoxSize")) {
    *found = 1;
    return hp_h5_read_attr(f, "BoxSize", H5T_NATIVE_DOUBLE, box, 1, st);
  }
  if (hp_h5_exists(f, "Header")) {
    hid_t g;
    if (hp_h5_open_group(f, "Header", &g, st)) return st->code;
    int rc = HP_OK;
    if (hp_h5_attr_exists(g, "BoxSize")) {
      *found = 1;
      rc = hp_h5_read_attr(g, "BoxSize", H5T_NATIVE_DOUBLE, box, 1, st);
    }
    H5Gclose(g);
    return rc;
  }
  return HP_OK;
}

int hp_stats_grid_read(const char *path, const char *dataset, int comp, float **grid, int64_t *n,
                       double *box, int *ncomp, hp_status *st) {
  *grid = NULL;
  hid_t f = -1, d = -1, space = -1, mspace = -1;
  float *buf = NULL, *tmp = NULL;
  int rank = 0, rc, found = 0;
  hsize_t dims[4];
  const double box_in = *box;
  if ((rc = hp_h5_open_ro(path, &f, st))) return rc;
  if ((rc = hp_h5_dataset_shape(f, dataset, &rank, dims, 4, NULL, st))) goto done;
  if (rank != 3 && rank != 4) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s:/%s: rank %d; expected (n, n, n) or (K, n, n, n)", path,
                 dataset, rank);
    goto done;
  }
  const hsize_t *g3 = dims + (rank - 3);
  if (g3[0] != g3[1] || g3[1] != g3[2] || g3[0] < 2) {
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "%s:/%s: grid %llu x %llu x %llu is not a periodic cube (statistics need n^3)",
                 path, dataset, (unsigned long long)g3[0], (unsigned long long)g3[1],
                 (unsigned long long)g3[2]);
    goto done;
  }
  const int K = rank == 4 ? (int)dims[0] : 1;
  if (ncomp) *ncomp = K;
  if (rank == 4 && (comp < -1 || comp >= K)) {
    rc = hp_fail(st, HP_ERR_INPUT, "%s:/%s: component %d requested, the dataset has %d", path,
                 dataset, comp, K);
    goto done;
  }
  {
    hp_h5_quiet q;
    hp_h5_quiet_begin(&q);
    d = H5Dopen2(f, dataset, H5P_DEFAULT);
    hp_h5_quiet_end(&q);
    if (d < 0) {
      rc = hp_h5_fail(st, HP_ERR_FORMAT, f, "cannot open dataset %s", dataset);
      goto done;
    }
  }
  if ((rc = read_box(f, d, box, &found, st))) goto done;
  if (!found) {
    if (!(box_in > 0)) {
      rc = hp_fail(st, HP_ERR_FORMAT,
                   "%s:/%s: no BoxSize attribute (on the dataset, the file or Header); give the "
                   "box side with --box L",
                   path, dataset);
      goto done;
    }
    *box = box_in;
  }
  if (!(*box > 0) || !isfinite(*box)) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: BoxSize = %g Mpc/h: must be finite and > 0", path, *box);
    goto done;
  }
  const int64_t side = (int64_t)g3[0], n3 = side * side * side;
  if (!(buf = hp_alloc((size_t)n3 * sizeof *buf, "the grid", st))) {
    rc = st->code;
    goto done;
  }
  if (rank == 3) {
    if ((rc = hp_h5_read_dataset(f, dataset, H5T_NATIVE_FLOAT, 3, dims, buf, st))) goto done;
  } else {
    /* one component at a time (hyperslab), summed when comp = -1 */
    if (comp < 0 && !(tmp = hp_alloc((size_t)n3 * sizeof *tmp, "a grid component", st))) {
      rc = st->code;
      goto done;
    }
    space = H5Dget_space(d);
    const hsize_t mdims[1] = {(hsize_t)n3};
    mspace = H5Screate_simple(1, mdims, NULL);
    for (int k = comp < 0 ? 0 : comp; k < (comp < 0 ? K : comp + 1); k++) {
      const hsize_t start[4] = {(hsize_t)k, 0, 0, 0}, count[4] = {1, g3[0], g3[1], g3[2]};
      float *dst = comp < 0 && k > 0 ? tmp : buf;
      hp_h5_quiet q;
      hp_h5_quiet_begin(&q);
      herr_t e = H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
      if (e >= 0) e = H5Dread(d, H5T_NATIVE_FLOAT, mspace, space, H5P_DEFAULT, dst);
      hp_h5_quiet_end(&q);
      if (e < 0) {
        rc = hp_h5_fail(st, HP_ERR_IO, d, "cannot read component %d", k);
        goto done;
      }
      if (dst == tmp)
        for (int64_t i = 0; i < n3; i++) buf[i] += tmp[i];
    }
  }
  *n = side;
  *grid = buf;
  buf = NULL;
  rc = HP_OK;
done:
  if (mspace >= 0) H5Sclose(mspace);
  if (space >= 0) H5Sclose(space);
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  hp_free(buf);
  hp_free(tmp);
  return rc;
}

int hp_stats_grid_write(const char *path, const char *dataset, const float *grid, int64_t n,
                        double box, const char *kind, const hp_kv_list *kv, hp_status *st) {
  hp_atomic_file af;
  hid_t f = -1, d = -1, g = -1;
  int rc;
  if ((rc = hp_atomic_begin(&af, path, st))) return rc;
  if ((rc = hp_h5_create(af.tmp_path, &f, st))) {
    hp_atomic_abort(&af);
    return hp_error_context(st, "%s", path);
  }
  const hsize_t dims[3] = {(hsize_t)n, (hsize_t)n, (hsize_t)n};
  const hsize_t start[3] = {0, 0, 0};
  if ((rc = hp_h5_create_dataset(f, dataset, H5T_IEEE_F32LE, 3, dims, &d, st)) ||
      (rc = hp_h5_write_slab(d, H5T_NATIVE_FLOAT, start, dims, grid, st)) ||
      (rc = hp_h5_write_attr_double(d, "BoxSize", &box, 0, st)) ||
      (rc = hp_h5_write_attr_string(d, "Kind", kind ? kind : "density", st)) ||
      (rc =
           hp_h5_write_attr_string(d, "Units", "BoxSize in Mpc/h; grid row-major [x][y][z]", st)) ||
      (rc = hp_h5_write_attr_double(f, "BoxSize", &box, 0, st)))
    goto fail;
  if (kv) {
    if ((rc = hp_h5_create_group(f, "Parameters", &g, st)) || (rc = hp_h5_write_kv(g, kv, st)))
      goto fail;
    H5Gclose(g);
    g = -1;
  }
  H5Dclose(d);
  d = -1;
  if (H5Fclose(f) < 0) {
    f = -1;
    rc = hp_fail(st, HP_ERR_IO, "%s: cannot close the file", path);
    goto fail;
  }
  f = -1;
  return hp_atomic_commit(&af, st);
fail:
  if (g >= 0) H5Gclose(g);
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  hp_atomic_abort(&af);
  return hp_error_context(st, "%s", path);
}
