/**
 * @file kv.h
 * @brief A list of (key, value) strings: the resolved parameter set as handed
 *        to every writer, so that each output file records how it was made.
 */
#ifndef HP_KV_H
#define HP_KV_H

/** Borrowed arrays of n keys and their values, both as text. */
typedef struct hp_kv_list {
  int n;                    /**< number of pairs */
  const char *const *key;   /**< key[i], e.g. "Omega0" */
  const char *const *value; /**< value[i] as resolved, e.g. "0.315" */
} hp_kv_list;

#endif
