/**
 * @file grid_io.h
 * @brief Density grids in HDF5 for `halopaint stats`: read and write.
 *
 * Layout read: a dataset (default name "density") of shape (n, n, n), or (K, n, n, n) for
 * several fields such as the painter's "counts" (one per mass bin), of any floating or integer
 * type (converted to float), row-major [x][y][z]; the box side in an attribute BoxSize
 * [Mpc/h] on the dataset, on the file's root group, or on the group Header, in that order.
 * Layout written: dataset NAME (n, n, n) float32 with attributes BoxSize and Kind ("density",
 * "contrast" or "counts"), BoxSize also on the root group, and, if given, the parameter set as
 * string attributes of the group Parameters.
 */
#ifndef HP_STATS_GRID_IO_H
#define HP_STATS_GRID_IO_H

#include <stdint.h>

#include "util/kv.h"
#include "util/status.h"

/**
 * Read one cubic grid.
 * @param path     HDF5 file
 * @param dataset  dataset name (e.g. "density")
 * @param comp     for a rank-4 dataset, the component to read (0..K-1) or -1 for the sum of
 *                 all components; ignored for rank 3
 * @param grid     out: n^3 floats (hp_alloc; free with hp_free)
 * @param n        out: the side
 * @param box      in: a box side to use when the file has none (0: none); out: the box side
 * @param ncomp    out (may be NULL): K for rank 4, 1 for rank 3
 * @param st       status
 * @return 0, HP_ERR_IO, HP_ERR_FORMAT (missing dataset, not cubic, rank, no BoxSize) or
 *         HP_ERR_NOMEM
 */
int hp_stats_grid_read(const char *path, const char *dataset, int comp, float **grid, int64_t *n,
                       double *box, int *ncomp, hp_status *st);

/**
 * Write one cubic grid atomically (util/atomic_file.h).
 * @param path     HDF5 file to create
 * @param dataset  dataset name
 * @param grid     n^3 floats
 * @param n        side
 * @param box      box side [Mpc/h]
 * @param kind     "density", "contrast" or "counts" (stored as attribute Kind)
 * @param kv       parameters to record (NULL for none)
 * @param st       status
 */
int hp_stats_grid_write(const char *path, const char *dataset, const float *grid, int64_t n,
                        double box, const char *kind, const hp_kv_list *kv, hp_status *st);

/**
 * The mass-bin edges [Msun/h] recorded with a grid (one bin per component of a (K, n, n, n)
 * dataset): attribute MassBinEdges on the dataset, on the group Model (as `halopaint paint`
 * writes its counts) or on the root group, the first found. Never fails.
 * @param edges  out: up to @p max edges
 * @param where  out (may be NULL): where they were found ("Model/MassBinEdges", ...) or ""
 * @return the number of edges, 0 when there are none (or more than @p max, or unreadable)
 */
int hp_stats_grid_mass_edges(const char *path, const char *dataset, double *edges, int max,
                             const char **where);

/** 1 if @p path is an HDF5 file holding a dataset @p dataset, else 0 (never fails). */
int hp_stats_grid_probe(const char *path, const char *dataset);

#endif
