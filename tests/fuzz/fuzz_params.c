/* The parameter-file parser (params/params.c) on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  hp_params *p = NULL;
  hp_status st;
  if (hp_params_parse_string(&p, "fuzz.param", text, NULL, 0, HP_NEED_ALL, &st) == 0)
    hp_params_free(p);
  free(text);
  return 0;
}
