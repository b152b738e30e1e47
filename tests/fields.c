/* Random inputs shared by the painter tests (see fields.h). */
#include "fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double hp_test_urand(uint64_t *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*state >> 11) * 0x1p-53;
}

float *hp_test_random_density(uint64_t *state, int64_t n0, int64_t n1, int64_t n2) {
  float *d = malloc(sizeof *d * (size_t)(n0 * n1 * n2));
  if (!d) return NULL;
  for (int64_t i = 0; i < n0 * n1 * n2; i++)
    d[i] = (float)exp(0.8 * (hp_test_urand(state) - 0.5) * 2.0);
  return d;
}

hp_net hp_test_random_net(int K, uint64_t seed) {
  hp_net net;
  hp_status st;
  if (hp_net_generator(&net, 1, K, &st)) {
    fprintf(stderr, "hp_test_random_net: %s\n", st.msg);
    abort();
  }
  hp_net_init_random(&net, seed, 0.1, 0.1);
  return net;
}

float **hp_test_alloc_grids(int K, int64_t nvox) {
  float **g = malloc(sizeof *g * (size_t)K);
  if (!g) abort();
  for (int k = 0; k < K; k++) {
    if (!(g[k] = malloc(sizeof **g * (size_t)nvox))) abort();
    for (int64_t i = 0; i < nvox; i++) g[k][i] = NAN;
  }
  return g;
}

void hp_test_free_grids(float **g, int K) {
  for (int k = 0; k < K; k++) free(g[k]);
  free(g);
}
