/* Random inputs shared by the painter tests (see fields.h). */
#include "fields.h"

#include <fftw3.h>
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

double hp_test_uniform(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return ((z >> 11) + 0.5) / 9007199254740992.0;
}

double hp_test_gauss(uint64_t *state) {
  const double u = hp_test_uniform(state);
  return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * hp_test_uniform(state));
}

float *hp_test_gaussian_field(int64_t n, double L, double (*pk)(double), uint64_t *state) {
  const int64_t nzc = n / 2 + 1;
  const double V = L * L * L, kf = 2 * M_PI / L;
  float *g = fftwf_malloc(sizeof(float) * (size_t)(n * n * n));
  fftwf_complex *c = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(n * n * nzc));
  if (!g || !c) abort();
  fftwf_plan fwd = fftwf_plan_dft_r2c_3d((int)n, (int)n, (int)n, g, c, FFTW_ESTIMATE);
  fftwf_plan inv = fftwf_plan_dft_c2r_3d((int)n, (int)n, (int)n, c, g, FFTW_ESTIMATE);
  for (int64_t i = 0; i < n * n * n; i++) g[i] = (float)hp_test_gauss(state);
  fftwf_execute(fwd);
  for (int64_t ix = 0; ix < n; ix++)
    for (int64_t iy = 0; iy < n; iy++)
      for (int64_t iz = 0; iz < nzc; iz++) {
        const int64_t sx = ix <= n / 2 ? ix : ix - n, sy = iy <= n / 2 ? iy : iy - n;
        const double k = kf * sqrt((double)(sx * sx + sy * sy + iz * iz));
        const double f = k > 0 ? sqrt(pk(k) * n * n * n / V) / (n * n * n) : 0.0;
        c[(ix * n + iy) * nzc + iz][0] *= (float)f;
        c[(ix * n + iy) * nzc + iz][1] *= (float)f;
      }
  fftwf_execute(inv);
  fftwf_destroy_plan(fwd);
  fftwf_destroy_plan(inv);
  fftwf_free(c);
  return g;
}

hp_lattice_ids hp_test_lattice_runs(const int64_t *id, int64_t m) {
  int64_t best = 0, len = 0;
  for (int64_t i = 0; i < m;) {
    int64_t j = i + 1;
    while (j < m && id[j] == id[j - 1] + 1) j++;
    if (j - i > len) best = i, len = j - i;
    i = j;
  }
  return (hp_lattice_ids){id, best, len ? id[best] : 0, len, id + best + len};
}
