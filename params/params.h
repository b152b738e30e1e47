/**
 * @file params.h
 * @brief Gadget-style parameter files: parse, check and query the parameters of a run.
 *
 * A parameter file holds one `Key  Value` pair per line. `%` or `#` starts a comment that runs
 * to the end of the line; blank lines are ignored; key and value are separated by whitespace
 * (an optional `=` between them is accepted). Numeric, boolean and choice values are one word;
 * string values (paths, base names) run to the comment, so they may contain inner spaces.
 * Keys are case-sensitive; choice values are matched case-insensitively and stored in the
 * table's spelling.
 *
 * One table (params/keys.c, read through hp_param_table()) is the single source of truth for
 * every key: its type, default, range, unit, help text and which commands need it. Loading a
 * file applies, in order:
 *   1. the file (unknown keys, duplicate keys and missing values are errors),
 *   2. the overrides ("Key=Value" strings from `-s` on the command line; they replace a value
 *      from the file; giving the same key twice among the overrides is an error),
 *   3. the check that every key required by the `need` mask is given,
 *   4. the type and range check of every given value, then defaults for the others,
 *   5. cross-key checks (OmegaBaryon < Omega0; PowerSpectrum = File needs PowerSpectrumFile;
 *      NVoxels and VoxelSize agree if both are given) and derived values
 *      (OmegaLambda = 1 - Omega0 when absent; NVoxels = nearest integer to BoxSize/VoxelSize
 *      when 0 and BoxSize is known).
 * The first problem found stops the load; its message has the form
 * "<file> line <n>: <Key> = <value>: <what was expected>" (or "-s <Key>=<value>: ..." for an
 * override), so it says where, what and what to change.
 */
#ifndef HP_PARAMS_H
#define HP_PARAMS_H

#include <stdint.h>
#include <stdio.h>

#include "util/kv.h"
#include "util/status.h"

/** Opaque resolved parameter set (every key of the table with a value or unset). */
typedef struct hp_params hp_params;

/** Groups of required keys; a command passes the union of the groups it needs. */
enum hp_need {
  HP_NEED_COSMO = 1u, /**< cosmology and linear power spectrum (`halopaint cosmo` and up) */
  HP_NEED_BOX = 2u    /**< simulation box and particles (ICs, painting) */
};
/** Every group: what a full run needs. */
#define HP_NEED_ALL (HP_NEED_COSMO | HP_NEED_BOX)

/** Value type of a key. */
typedef enum {
  HP_P_INT,    /**< 64-bit signed integer (decimal) */
  HP_P_REAL,   /**< finite double */
  HP_P_BOOL,   /**< 0/1, yes/no, true/false (case-insensitive); stored as 0 or 1 */
  HP_P_STRING, /**< free text up to the comment */
  HP_P_CHOICE  /**< one word among hp_param_spec.choices */
} hp_ptype;

/** Flags of hp_param_spec.flags. */
enum hp_pflag {
  HP_PF_MIN_OPEN = 1u, /**< the range excludes min: (min, ... */
  HP_PF_MAX_OPEN = 2u, /**< the range excludes max: ..., max) */
  HP_PF_EVEN = 4u,     /**< integer that must be even */
  HP_PF_DERIVED = 8u   /**< no default: computed from other keys when absent (see help) */
};

/** One row of the key table. */
typedef struct hp_param_spec {
  const char *key;     /**< name as written in the file, e.g. "Omega0" */
  hp_ptype type;       /**< value type */
  const char *def;     /**< default as text; NULL = required (need != 0) or derived */
  unsigned need;       /**< hp_need groups that require the key (if def is NULL) or use it */
  unsigned flags;      /**< hp_pflag bits */
  double min, max;     /**< allowed range for INT and REAL (max may be INFINITY) */
  const char *choices; /**< "EH98|EH98NoWiggle|File" for CHOICE; for INT, the allowed values
                            ("1|2"), or NULL for any value in range */
  const char *unit;    /**< unit, e.g. "Mpc/h", or "" for dimensionless */
  const char *help;    /**< one or two sentences for `halopaint help params` */
} hp_param_spec;

/** The key table, in the order used by the help listing and hp_params_kv; *n = its length. */
const hp_param_spec *hp_param_table(int *n);

/** The table row for @p key (exact, case-sensitive match), or NULL if there is none. */
const hp_param_spec *hp_param_find(const char *key);

/**
 * Load parameter file @p path, apply @p overrides ("Key=Value", as given by -s, applied after
 * the file and allowed to replace a file value), check the keys required by @p need (a union
 * of hp_need), check types and ranges, fill defaults and derived values.
 * @param out          receives the new set (free with hp_params_free); NULL on failure
 * @param path         the file, or NULL for none (overrides and defaults only)
 * @param overrides    n_overrides strings "Key=Value" (may be NULL when n_overrides is 0)
 * @param need         hp_need groups whose required keys must be given
 * @return 0, or HP_ERR_IO (unreadable file), HP_ERR_FORMAT (empty or binary file),
 *         HP_ERR_INPUT (bad key or value), HP_ERR_NOMEM
 */
int hp_params_load(hp_params **out, const char *path, const char *const *overrides, int n_overrides,
                   unsigned need, hp_status *st);

/**
 * As hp_params_load, from the NUL-terminated text @p text instead of a file; @p name stands for
 * the file name in messages (e.g. "run.param" or "(library call)").
 */
int hp_params_parse_string(hp_params **out, const char *name, const char *text,
                           const char *const *overrides, int n_overrides, unsigned need,
                           hp_status *st);

/** Free a set from hp_params_load / hp_params_parse_string (NULL is allowed). */
void hp_params_free(hp_params *p);

/**
 * Value of a REAL or INT key (INT converted to double). NaN for an unknown key, another type,
 * or a key that is unset and has no default.
 */
double hp_params_real(const hp_params *p, const char *key);

/**
 * Value of an INT or BOOL key. 0 for an unknown key, another type, or an unset key without
 * default. NVoxels is the resolved grid size (never 0 once BoxSize is known).
 */
int64_t hp_params_int(const hp_params *p, const char *key);

/** Value of a BOOL key: 0 or 1; -1 for an unknown key or another type. */
int hp_params_bool(const hp_params *p, const char *key);

/**
 * Value of a STRING or CHOICE key (choices in the table's spelling, so strcmp against the table
 * works); for other types the canonical text of the value. "" for an unset key without default,
 * NULL for an unknown key. Valid while @p p lives.
 */
const char *hp_params_string(const hp_params *p, const char *key);

/** 1 if @p key was given in the file or an override, 0 if defaulted, derived or unset. */
int hp_params_is_set(const hp_params *p, const char *key);

/**
 * The resolved set as a key/value list in table order: every key, defaults included, derived
 * values resolved, numbers in canonical form (integers in decimal, reals in the shortest text
 * that reads back to the same double, booleans as 0/1). Keys that are unset and have no default
 * (e.g. PowerSpectrumFile when not used) have value "". Valid while @p p lives.
 */
hp_kv_list hp_params_kv(const hp_params *p);

/**
 * Write the resolved set to @p out as a parameter file that loads back to the same values
 * (a header comment, then `Key  Value` lines in table order; keys with value "" are left out).
 * @return 0, or HP_ERR_IO if writing failed.
 */
int hp_params_write(const hp_params *p, FILE *out, hp_status *st);

/**
 * Write the help listing to @p out: for every key its name, type, unit, default (or "required"
 * and by which groups, or "derived"), range or choices, and help text.
 */
void hp_params_help(FILE *out);

#endif
