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

#include "util/status.h"

/**
 * Owned copies of @p kv's pairs into *keys / *values (*n of them), refusing an empty key, a
 * key with a space, '=' or a line break, and a duplicate key (@p what names the list in the
 * error). Free with hp_kv_free_copy.
 */
int hp_kv_copy(const hp_kv_list *kv, const char *what, int *n, char ***keys, char ***values,
               hp_status *st);
/** Free what hp_kv_copy made (NULL-safe). */
void hp_kv_free_copy(int n, char **keys, char **values);

#endif
