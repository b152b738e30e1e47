/**
 * @file table.h
 * @brief Text tables of the statistics: a commented header, a line naming the columns with
 *        their units, one row per line; written atomically, read back exactly.
 *
 * Format:
 *   # <comment lines: what was computed, from what, conventions>
 *   # columns: k_mean[h/Mpc] P[(Mpc/h)^3] nmodes[1] ...
 *   <row: ncols numbers, "%.17g" so that reading gives the same doubles; "nan" when undefined>
 * Column names hold no spaces; the unit is in brackets. Readers: numpy.loadtxt, gnuplot, and
 * hp_stats_table_read.
 */
#ifndef HP_STATS_TABLE_H
#define HP_STATS_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "util/status.h"

/** A table of doubles with named columns and comment lines. Everything owned. */
typedef struct hp_stats_table {
  int ncols;       /**< columns */
  int64_t nrows;   /**< rows */
  char **names;    /**< ncols column names, e.g. "k_mean[h/Mpc]" */
  double *data;    /**< nrows x ncols values, row-major */
  int ncomments;   /**< header comment lines */
  char **comments; /**< the lines, without the leading "# " */
} hp_stats_table;

/**
 * A table of @p nrows rows (values zeroed) with the given column names (copied; no spaces).
 * @return 0, HP_ERR_INPUT (bad name) or HP_ERR_NOMEM
 */
int hp_stats_table_init(hp_stats_table *t, int ncols, const char *const *names, int64_t nrows,
                        hp_status *st);

/** Free everything (safe to call twice). */
void hp_stats_table_free(hp_stats_table *t);

/** Append a comment line (printf-style; no line breaks). @return 0 or HP_ERR_NOMEM */
int hp_stats_table_comment(hp_stats_table *t, hp_status *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Value (row, col) as an lvalue. */
#define HP_TABLE_AT(t, row, col) ((t)->data[(int64_t)(row) * (t)->ncols + (col)])

/** Column index of the first name starting with @p prefix (e.g. "P_m0" or "k_mean"), or -1. */
int hp_stats_table_column(const hp_stats_table *t, const char *prefix);

/** Write the table to an open stream. @return 0 or HP_ERR_IO */
int hp_stats_table_print(const hp_stats_table *t, FILE *out, hp_status *st);

/** Write the table to @p path atomically. @return 0 or HP_ERR_IO */
int hp_stats_table_write(const hp_stats_table *t, const char *path, hp_status *st);

/**
 * Read a table written by hp_stats_table_write (or any file of this format).
 * @return 0, HP_ERR_IO (cannot open), HP_ERR_FORMAT (no columns line, wrong number of values
 *         on a line, naming the line) or HP_ERR_NOMEM
 */
int hp_stats_table_read(hp_stats_table *t, const char *path, hp_status *st);

#endif
