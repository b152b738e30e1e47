/**
 * @file rng.h
 * @brief Counter-based random numbers: a value is a pure function of (key, counters).
 *
 * halopaint never keeps a random-generator state that threads would share or
 * advance in a thread-dependent order: every random number is a hash of the
 * seed and of what it is for (a Fourier mode, a voxel and a draw index, ...),
 * so results are reproducible whatever the thread count or the work split.
 * The mixer is splitmix64's finaliser (Stafford's "mix13"), a bijection of
 * 64-bit words with full avalanche.
 */
#ifndef HP_RNG_H
#define HP_RNG_H

#include <stdint.h>

#define HP_GOLDEN 0x9e3779b97f4a7c15ULL

/** splitmix64's finaliser. */
static inline uint64_t hp_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/** A key for one purpose: hash of the seed and a stream number. */
static inline uint64_t hp_rng_key(uint64_t seed, uint64_t stream) {
  return hp_mix64(hp_mix64(seed + HP_GOLDEN) ^ (stream * 0xd1b54a32d192ed03ULL));
}

/** The random word for counters (a, b) under @p key. */
static inline uint64_t hp_rng_at(uint64_t key, uint64_t a, uint64_t b) {
  return hp_mix64(hp_mix64(key ^ (a * 0xa0761d6478bd642fULL)) + (b + 1) * HP_GOLDEN);
}

/** Uniform double in the open interval (0, 1) from 53 bits of @p r. */
static inline double hp_rng_uniform(uint64_t r) { return ((double)(r >> 11) + 0.5) * 0x1p-53; }

#endif
