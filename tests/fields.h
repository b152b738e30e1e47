/* Random inputs shared by the painter tests (CPU engine, GPU engine, GPU replay). */
#ifndef HP_TESTS_FIELDS_H
#define HP_TESTS_FIELDS_H

#include <stdint.h>

#include "cic/cic.h"
#include "nn/network.h"

/** Uniform in [0, 1) from a 64-bit LCG whose state the caller owns. */
double hp_test_urand(uint64_t *state);
/** Positive lognormal-ish "density" around 1 (malloc'd, n0 x n1 x n2, row-major). */
float *hp_test_random_density(uint64_t *state, int64_t n0, int64_t n1, int64_t n2);

/** Uniform in (0, 1) from splitmix64; the state is the caller's. */
double hp_test_uniform(uint64_t *state);
/** Standard normal (Box-Muller, one of the pair) from hp_test_uniform. */
double hp_test_gauss(uint64_t *state);
/**
 * A Gaussian random field of power spectrum pk(k) [(Mpc/h)^3] on an n^3 mesh of side L:
 * white noise in real space (hp_test_gauss from *state), FFT, times sqrt(P n^3 / V), inverse
 * FFT. Returns the real grid (fftwf_malloc'd: free with fftwf_free).
 */
float *hp_test_gaussian_field(int64_t n, double L, double (*pk)(double), uint64_t *state);
/** The paper's generator with K outputs, weights N(0, 0.1) and biases 0.1 from @p seed. */
hp_net hp_test_random_net(int K, uint64_t seed);
/** K grids of nvox floats, every value NaN (so that a voxel nobody wrote shows). */
float **hp_test_alloc_grids(int K, int64_t nvox);
void hp_test_free_grids(float **g, int K);

/** Increasing lattice ids @p id (m of them) as hp_lattice_ids: explicit before and after their
 *  longest run of consecutive ids, which is given by its first id (as an MPI rank holds them). */
hp_lattice_ids hp_test_lattice_runs(const int64_t *id, int64_t m);

#endif
