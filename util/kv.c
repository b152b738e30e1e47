/* Owned copies of a parameter list, checked for keys a file format cannot carry. */
#define _POSIX_C_SOURCE 200809L
#include "util/kv.h"

#include <stdlib.h>
#include <string.h>

void hp_kv_free_copy(int n, char **keys, char **values) {
  for (int i = 0; i < n; i++) {
    if (keys) free(keys[i]);
    if (values) free(values[i]);
  }
  free(keys);
  free(values);
}

int hp_kv_copy(const hp_kv_list *kv, const char *what, int *n_out, char ***keys, char ***values,
               hp_status *st) {
  char **k = NULL, **v = NULL;
  const int n = kv != NULL ? kv->n : 0;
  *n_out = 0, *keys = NULL, *values = NULL;
  if (n < 0) return hp_fail(st, HP_ERR_INPUT, "%s: count %d < 0", what, n);
  for (int i = 0; i < n; i++) {
    if (kv->key[i] == NULL || kv->key[i][0] == '\0')
      return hp_fail(st, HP_ERR_INPUT, "%s: parameter %d has an empty key", what, i);
    if (strpbrk(kv->key[i], " \t\r\n=") != NULL)
      return hp_fail(st, HP_ERR_INPUT, "%s: key '%s' contains a space, '=' or a line break", what,
                     kv->key[i]);
    for (int j = 0; j < i; j++)
      if (strcmp(kv->key[i], kv->key[j]) == 0)
        return hp_fail(st, HP_ERR_INPUT, "%s: duplicate key '%s'", what, kv->key[i]);
  }
  if (n > 0) {
    k = calloc((size_t)n, sizeof *k);
    v = calloc((size_t)n, sizeof *v);
    if (k == NULL || v == NULL) goto nomem;
    for (int i = 0; i < n; i++) {
      k[i] = strdup(kv->key[i]);
      v[i] = strdup(kv->value[i] != NULL ? kv->value[i] : "");
      if (k[i] == NULL || v[i] == NULL) goto nomem;
    }
  }
  *n_out = n, *keys = k, *values = v;
  return HP_OK;
nomem:
  hp_kv_free_copy(k && v ? n : 0, k, v);
  return hp_fail(st, HP_ERR_NOMEM, "%s: cannot copy %d parameters", what, n);
}
