/* `halopaint sim`: not built yet (placeholder so that the driver links). */
#include <stdio.h>

#include "plugin/cli.h"

int hp_cmd_sim(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "halopaint sim: not built yet\n");
  return 2;
}
