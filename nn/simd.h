/**
 * @file simd.h
 * @brief The painter's vector type: AVX-512, AVX2+FMA, or portable GCC vectors.
 *
 * Chosen at compile time (the build uses -march=native). Every lane of an
 * output is computed by the same sequence of operations whichever path is
 * built, and the kernels never fall back to scalar tails (rows are padded to
 * whole vectors), so results do not depend on where a voxel falls in a row.
 */
#ifndef HP_SIMD_H
#define HP_SIMD_H

#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#define HP_VW 16
#define HP_SIMD_NAME "AVX-512"
typedef __m512 hp_vf;
static inline hp_vf hp_vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void hp_vstore(float *p, hp_vf v) { _mm512_storeu_ps(p, v); }
static inline hp_vf hp_vset1(float x) { return _mm512_set1_ps(x); }
static inline hp_vf hp_vfma(hp_vf a, hp_vf b, hp_vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline hp_vf hp_vadd(hp_vf a, hp_vf b) { return _mm512_add_ps(a, b); }
static inline hp_vf hp_vmul(hp_vf a, hp_vf b) { return _mm512_mul_ps(a, b); }
static inline hp_vf hp_vmax(hp_vf a, hp_vf b) { return _mm512_max_ps(a, b); }
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define HP_VW 8
#define HP_SIMD_NAME "AVX2+FMA"
typedef __m256 hp_vf;
static inline hp_vf hp_vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void hp_vstore(float *p, hp_vf v) { _mm256_storeu_ps(p, v); }
static inline hp_vf hp_vset1(float x) { return _mm256_set1_ps(x); }
static inline hp_vf hp_vfma(hp_vf a, hp_vf b, hp_vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline hp_vf hp_vadd(hp_vf a, hp_vf b) { return _mm256_add_ps(a, b); }
static inline hp_vf hp_vmul(hp_vf a, hp_vf b) { return _mm256_mul_ps(a, b); }
static inline hp_vf hp_vmax(hp_vf a, hp_vf b) { return _mm256_max_ps(a, b); }
#else
/* GCC's generic vectors (SSE2 code on a plain x86-64); 32-byte vectors returned by value warn
 * about an ABI that only matters across compilation units, where these are always inlined */
#pragma GCC diagnostic ignored "-Wpsabi"
#define HP_VW 8
#define HP_SIMD_NAME "portable"
typedef float hp_vf __attribute__((vector_size(32)));
typedef int hp_vi __attribute__((vector_size(32)));
static inline hp_vf hp_vload(const float *p) {
  hp_vf v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void hp_vstore(float *p, hp_vf v) { memcpy(p, &v, sizeof v); }
static inline hp_vf hp_vset1(float x) { return (hp_vf){x, x, x, x, x, x, x, x}; }
static inline hp_vf hp_vfma(hp_vf a, hp_vf b, hp_vf c) { return a * b + c; }
static inline hp_vf hp_vadd(hp_vf a, hp_vf b) { return a + b; }
static inline hp_vf hp_vmul(hp_vf a, hp_vf b) { return a * b; }
/* a select by mask: C (unlike C++) has no ?: on vectors */
static inline hp_vf hp_vmax(hp_vf a, hp_vf b) {
  const hp_vi m = a > b;
  return (hp_vf)(((hp_vi)a & m) | ((hp_vi)b & ~m));
}
#endif

/** Leaky ReLU for slope < 1: max(x, slope x). */
static inline hp_vf hp_vlrelu(hp_vf x, hp_vf slope) { return hp_vmax(x, hp_vmul(x, slope)); }

#endif
