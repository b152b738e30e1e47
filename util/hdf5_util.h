/**
 * @file hdf5_util.h
 * @brief Small HDF5 (C API 1.10) helpers shared by every module that reads or writes HDF5.
 *
 * Every helper follows the library's error convention: it returns 0 or an hp_code and fills
 * the hp_status with a message naming the file and the object ("out/ics.hdf5:/Header:
 * attribute 'Time' not found"). HDF5's own automatic error-stack printing is silenced inside
 * each helper (the previous handler is saved and restored, so no global state changes), and
 * the innermost HDF5 error description is appended to the message where there is one.
 * Every helper closes every handle it opens, on every path.
 */
#ifndef HP_HDF5_UTIL_H
#define HP_HDF5_UTIL_H

#include <stddef.h>

#include <hdf5.h>

#include "kv.h"
#include "status.h"

/** Saved state of HDF5's automatic error printing on the default error stack. */
typedef struct hp_h5_quiet {
  H5E_auto2_t func; /**< handler that was installed (may be NULL) */
  void *data;       /**< its client data */
  int saved;        /**< 1 when func/data were saved and must be restored */
} hp_h5_quiet;

/**
 * Silence HDF5's automatic error printing until hp_h5_quiet_end(). Calls may nest (each
 * level restores what it saved). If the application installed an old-style (v1) handler,
 * nothing is changed.
 */
void hp_h5_quiet_begin(hp_h5_quiet *q);

/** Restore the handler saved by hp_h5_quiet_begin(). */
void hp_h5_quiet_end(hp_h5_quiet *q);

/**
 * Record a failure of an HDF5 call, like hp_fail(): the message is "<file>:<object>: <fmt...>"
 * (the prefix only when @p loc >= 0; it names the file and the object @p loc), followed by
 * the innermost description of the current HDF5 error stack (" [HDF5: ...]") when there is
 * one. Call it right after the failing HDF5 call, before another HDF5 call clears the stack.
 * @param st    status to fill
 * @param code  hp_code to record
 * @param loc   HDF5 object the failure concerns (file, group, dataset), or -1
 * @param fmt   printf-style message
 * @return code.
 */
int hp_h5_fail(hp_status *st, int code, hid_t loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/**
 * Write "<file>:<object path>" of an HDF5 object into @p buf (for messages); "?" parts when
 * HDF5 cannot tell. @return buf.
 */
const char *hp_h5_describe(hid_t loc, char *buf, size_t size);

/**
 * A creation property list of class @p cls (H5P_FILE_CREATE, H5P_GROUP_CREATE,
 * H5P_DATASET_CREATE) that records no modification times, so that the same content gives the
 * same bytes; -1 on failure. Close it with H5Pclose.
 */
hid_t hp_h5_untimed(hid_t cls);

/**
 * Create (truncate) an HDF5 file for writing.
 * @param path   file to create
 * @param file   out: file handle, close with H5Fclose; negative on failure
 * @param st     status
 * @return 0 or HP_ERR_IO (message names the path and the system error).
 */
int hp_h5_create(const char *path, hid_t *file, hp_status *st);

/**
 * Open an existing HDF5 file read-only, with a clear error: "no such file", "not an HDF5
 * file" or the HDF5 reason, always naming the path.
 * @param path   file to open
 * @param file   out: file handle, close with H5Fclose; negative on failure
 * @param st     status
 * @return 0, HP_ERR_IO (missing/unreadable) or HP_ERR_FORMAT (not HDF5 / corrupt).
 */
int hp_h5_open_ro(const char *path, hid_t *file, hp_status *st);

/**
 * Create a group.
 * @param loc    file or group in which to create it
 * @param name   group name (relative to @p loc)
 * @param group  out: handle, close with H5Gclose; negative on failure
 * @param st     status
 * @return 0 or HP_ERR_IO.
 */
int hp_h5_create_group(hid_t loc, const char *name, hid_t *group, hp_status *st);

/**
 * Open an existing group, failing with HP_ERR_FORMAT ("group not found") when it is missing.
 * @param loc    file or group
 * @param name   group name (relative to @p loc)
 * @param group  out: handle, close with H5Gclose; negative on failure
 * @param st     status
 */
int hp_h5_open_group(hid_t loc, const char *name, hid_t *group, hp_status *st);

/**
 * 1 if the link @p name exists in @p loc, 0 if not (also when an intermediate group is
 * missing or HDF5 cannot tell). Never fails.
 */
int hp_h5_exists(hid_t loc, const char *name);

/** 1 if @p loc has an attribute @p name, 0 if not or if HDF5 cannot tell. Never fails. */
int hp_h5_attr_exists(hid_t loc, const char *name);

/**
 * Write a numeric attribute (created; fails if it already exists).
 * @param loc        object (group, dataset, file) that receives the attribute
 * @param name       attribute name
 * @param file_type  on-disk type, e.g. H5T_IEEE_F64LE, H5T_STD_I32LE, H5T_STD_U64LE
 * @param mem_type   type of @p data in memory, e.g. H5T_NATIVE_DOUBLE
 * @param data       n values
 * @param n          0 = scalar attribute (one value); n >= 1 = 1-D array of n values
 * @param st         status
 * @return 0 or HP_ERR_IO.
 */
int hp_h5_write_attr(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, const void *data,
                     size_t n, hp_status *st);

/** Scalar (n = 0) or 1-D (n >= 1) double attribute, stored as IEEE 64-bit. */
int hp_h5_write_attr_double(hid_t loc, const char *name, const double *v, size_t n, hp_status *st);

/** Scalar (n = 0) or 1-D (n >= 1) int attribute, stored as signed 32-bit. */
int hp_h5_write_attr_int(hid_t loc, const char *name, const int *v, size_t n, hp_status *st);

/**
 * Write a fixed-length ASCII string attribute (null-padded, like Gadget-4 and SWIFT
 * write theirs; h5py returns it as bytes).
 * @param loc    object that receives the attribute
 * @param name   attribute name
 * @param value  text (may be empty)
 * @param st     status
 */
int hp_h5_write_attr_string(hid_t loc, const char *name, const char *value, hp_status *st);

/**
 * Write every (key, value) pair of @p kv as a string attribute of @p group (attribute name =
 * key). Fails with HP_ERR_INPUT on an empty/NULL key or a duplicate key.
 */
int hp_h5_write_kv(hid_t group, const hp_kv_list *kv, hp_status *st);

/**
 * Number of elements of an attribute (1 for a scalar).
 * @return 0, or HP_ERR_FORMAT if the attribute is missing.
 */
int hp_h5_attr_npoints(hid_t loc, const char *name, size_t *n, hp_status *st);

/**
 * Read a numeric attribute that must hold exactly @p n elements (a scalar counts as 1),
 * converting to @p mem_type (e.g. H5T_NATIVE_UINT64 reads any integer width).
 * @return 0, HP_ERR_FORMAT (missing, wrong size, not convertible) or HP_ERR_IO.
 */
int hp_h5_read_attr(hid_t loc, const char *name, hid_t mem_type, void *out, size_t n,
                    hp_status *st);

/**
 * Read a string attribute (fixed- or variable-length) into a malloc'd, NUL-terminated
 * string (*out; caller frees with free()).
 * @return 0, HP_ERR_FORMAT (missing or not a string), HP_ERR_NOMEM or HP_ERR_IO.
 */
int hp_h5_read_attr_string(hid_t loc, const char *name, char **out, hp_status *st);

/**
 * Read every attribute of @p loc as text: strings as they are, integer and floating scalars
 * or arrays formatted ("%lld", "%.17g", arrays space-separated); other types are skipped.
 * Arrays (*keys, *values and every string) are malloc'd; free with hp_h5_free_text_list().
 * @param loc     group (or any object) whose attributes are read
 * @param n       out: number of pairs
 * @param keys    out: attribute names
 * @param values  out: their values as text
 * @param st      status
 */
int hp_h5_read_attrs_text(hid_t loc, int *n, char ***keys, char ***values, hp_status *st);

/** Free what hp_h5_read_attrs_text() returned (NULL-safe). */
void hp_h5_free_text_list(int n, char **keys, char **values);

/**
 * Create a dataset (contiguous layout) of the given rank and dimensions.
 * @param loc        file or group
 * @param name       dataset name
 * @param file_type  on-disk type, e.g. H5T_IEEE_F32LE
 * @param rank       1..H5S_MAX_RANK (32)
 * @param dims       dimensions (elements)
 * @param dset       out: handle, close with H5Dclose; negative on failure
 * @param st         status
 */
int hp_h5_create_dataset(hid_t loc, const char *name, hid_t file_type, int rank,
                         const hsize_t *dims, hid_t *dset, hp_status *st);

/**
 * Write a hyperslab of a dataset: rows [start[0], start[0]+count[0]) and so on, from a
 * contiguous memory buffer of count[0]*...*count[rank-1] elements of @p mem_type.
 */
int hp_h5_write_slab(hid_t dset, hid_t mem_type, const hsize_t *start, const hsize_t *count,
                     const void *buf, hp_status *st);

/**
 * Read a whole dataset whose shape must be exactly @p rank / @p dims into @p buf (converted
 * to @p mem_type).
 * @return 0, HP_ERR_FORMAT (missing, wrong shape, not convertible) or HP_ERR_IO.
 */
int hp_h5_read_dataset(hid_t loc, const char *name, hid_t mem_type, int rank, const hsize_t *dims,
                       void *buf, hp_status *st);

/**
 * Shape of a dataset.
 * @param loc        file or group
 * @param name       dataset name
 * @param rank       out: its rank (at most @p max_rank)
 * @param dims       out: its dimensions (array of @p max_rank)
 * @param max_rank   size of @p dims
 * @param type_size  out (may be NULL): size in bytes of one on-disk element
 * @param st         status
 * @return 0 or HP_ERR_FORMAT (missing, or rank > max_rank).
 */
int hp_h5_dataset_shape(hid_t loc, const char *name, int *rank, hsize_t *dims, int max_rank,
                        size_t *type_size, hp_status *st);

/**
 * One column of a table: a dataset of @p n rows (n x @p width when width > 1) written from
 * @p buf, with string attributes Units and Description.
 */
int hp_h5_write_column(hid_t g, const char *name, hid_t ftype, hid_t mtype, int64_t n, int width,
                       const void *buf, const char *units, const char *desc, hp_status *st);

/** A group @p name holding every pair of @p n keys/values as string attributes. */
int hp_h5_write_kv_group(hid_t loc, const char *name, int n, char *const *keys, char *const *values,
                         hp_status *st);
/**
 * The string attributes of group @p name as text pairs (hp_h5_read_attrs_text); an absent
 * group gives 0 pairs. Free with hp_h5_free_text_list.
 */
int hp_h5_read_kv_group(hid_t loc, const char *name, int *n, char ***keys, char ***values,
                        hp_status *st);

/**
 * A table column that grows: 0 rows (x @p width when width > 1), unlimited, chunked by 1,024
 * rows, with string attributes Units and Description. Append with hp_h5_append_rows.
 */
int hp_h5_create_growing(hid_t g, const char *name, hid_t ftype, int width, const char *units,
                         const char *desc, hid_t *dset, hp_status *st);
/** Append @p n rows from @p buf after the first @p at rows of a growing column. */
int hp_h5_append_rows(hid_t dset, hid_t mtype, int64_t at, int64_t n, int width, const void *buf,
                      hp_status *st);

/** Copy a string attribute into a fixed field of @p size bytes, refusing one that does not fit. */
int hp_h5_read_string_into(hid_t g, const char *name, char *field, size_t size, hp_status *st);

#endif
