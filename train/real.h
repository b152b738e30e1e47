/**
 * @file train_real.h
 * @brief The precision of one compilation of the training templates: REAL, FN() and vectors.
 *
 * The training code (layers, generator, critic, gradient penalty, losses) is written once, in
 * the template headers nn/ *_tmpl.h, and compiled twice: in float (nn/ *_f.c, the path that
 * trains, with hp_f_ names) and in float64 (nn/ *_d.c, hp_d_ names, the path the gradient
 * checks use). A translation unit defines HP_TRAIN_DOUBLE (or not) and includes this header
 * once, before the templates; it defines:
 *   REAL     float or double
 *   FN(x)    hp_f_x or hp_d_x
 *   tvec     a SIMD vector of TVW REALs (float: the painter's hp_vf from nn/simd.h; double: one
 *            scalar, so that the check path is the plain arithmetic of the same loops)
 *   tmask    a lane mask for the last, partial vector of a row (masked lanes load as 0 and are
 *            never stored), so that no row has a scalar tail and every lane of an output is
 *            computed by the same sequence of operations; full vectors load plainly (a masked
 *            load costs more on AVX2)
 * The float path uses explicit FMAs (the build's -std=c11 disables contraction of a*b+c); the
 * double path multiplies and adds (no FMA), which is what a reader of the loops expects.
 */
#ifndef HP_TRAIN_REAL_H
#define HP_TRAIN_REAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef HP_TRAIN_DOUBLE

#define REAL double
#define FN(x) hp_d_##x
#define TVW 1
#define TNV_MAX 4
#define TCB 4
#define TK_CONST 1
#define TWG_NC 5
#define TWG_TAPS 5
typedef double tvec;
typedef int tmask;
static inline tmask tv_mask(int n) { return n; }
static inline tvec tv_load(const REAL *p) { return *p; }
static inline tvec tv_loadr(const REAL *p) { return *p; }
static inline tvec tv_loadm(const REAL *p, tmask m) { return m > 0 ? *p : 0.0; }
static inline void tv_store(REAL *p, tvec v) { *p = v; }
static inline void tv_storem(REAL *p, tvec v, tmask m) {
  if (m > 0) *p = v;
}
static inline tvec tv_set1(REAL x) { return x; }
static inline tvec tv_zero(void) { return 0.0; }
static inline tvec tv_fma(tvec a, tvec b, tvec c) { return a * b + c; }
static inline double tv_hsum(tvec v) { return v; }

#else

#include "nn/simd.h"

#define REAL float
#define FN(x) hp_f_##x
#define TVW HP_VW
typedef hp_vf tvec;

#if defined(__AVX512F__)
/* 32 vector registers. Timed on an AVX-512 EPYC (2026-12-07, bench/results/bench.txt): 5
 * channels x 4 vectors with the kernel sides as constants beat 4 x 4 with run-time taps (the
 * 5^3 forward 1.15x, the 3^3 forward 1.45x; 10 = 2 x 5 leaves no short block), the same bits */
#define TNV_MAX 4
#define TCB 5
#define TK_CONST 1
#define TWG_NC 5 /* weight gradient: 5 x 5 accumulators, 5 + 1 operands */
#define TWG_TAPS 5
typedef __mmask16 tmask;
static inline tmask tv_mask(int n) { return (tmask)(n >= 16 ? 0xffffu : (1u << n) - 1u); }
static inline tvec tv_loadm(const REAL *p, tmask m) { return _mm512_maskz_loadu_ps(m, p); }
static inline void tv_storem(REAL *p, tvec v, tmask m) { _mm512_mask_storeu_ps(p, m, v); }
static inline tvec tv_zero(void) { return _mm512_setzero_ps(); }
#elif defined(__AVX2__) && defined(__FMA__)
#define TNV_MAX 2 /* 16 vector registers: 5 x 2 accumulators (10 = 2 x 5: no short block) */
#define TCB 5
#define TK_CONST 1 /* the forward's kernel sides 1, 3, 5 as constants: 1.2x */
#define TWG_NC 2   /* weight gradient: 2 x 5 accumulators, 2 + 1 operands */
#define TWG_TAPS 5
typedef __m256i tmask;
static inline tmask tv_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline tvec tv_loadm(const REAL *p, tmask m) { return _mm256_maskload_ps(p, m); }
static inline void tv_storem(REAL *p, tvec v, tmask m) { _mm256_maskstore_ps(p, m, v); }
static inline tvec tv_zero(void) { return _mm256_setzero_ps(); }
#else
#define TNV_MAX 2
#define TCB 5
#define TK_CONST 1
#define TWG_NC 2
#define TWG_TAPS 5
typedef int tmask;
static inline tmask tv_mask(int n) { return n > HP_VW ? HP_VW : n; }
static inline tvec tv_loadm(const REAL *p, tmask m) {
  float t[HP_VW] = {0};
  memcpy(t, p, sizeof(float) * (size_t)m);
  return hp_vload(t);
}
static inline void tv_storem(REAL *p, tvec v, tmask m) {
  float t[HP_VW];
  hp_vstore(t, v);
  memcpy(p, t, sizeof(float) * (size_t)m);
}
static inline tvec tv_zero(void) { return hp_vset1(0.0f); }
#endif

static inline tvec tv_load(const REAL *p) { return hp_vload(p); }
/* A load kept in a register: GCC would otherwise fold it into every FMA that reads it, and load
 * the vector once per FMA. */
static inline tvec tv_loadr(const REAL *p) {
  tvec v = hp_vload(p);
#if defined(__AVX512F__) || defined(__AVX2__)
  __asm__("" : "+v"(v));
#endif
  return v;
}
static inline void tv_store(REAL *p, tvec v) { hp_vstore(p, v); }
static inline tvec tv_set1(REAL x) { return hp_vset1(x); }
static inline tvec tv_fma(tvec a, tvec b, tvec c) { return hp_vfma(a, b, c); }
/* Sum of the lanes in a fixed order, in double (deterministic whatever the thread count). */
static inline double tv_hsum(tvec v) {
  float t[HP_VW];
  double s = 0;
  hp_vstore(t, v);
  for (int i = 0; i < HP_VW; i++) s += t[i];
  return s;
}

#endif

/** Force inlining so that constant block sizes unroll into registers. */
#define HP_TINLINE static inline __attribute__((always_inline))

#include <omp.h>

/**
 * Threads for a loop of @p work operations: small loops run on one thread (a parallel region
 * costs microseconds, and far more when a core is busy elsewhere); no result depends on it.
 * @p nthreads <= 0 means all.
 */
static inline int FN(threads_for)(int nthreads, double work) {
  if (work < 2e5) return 1;
  return nthreads > 0 ? nthreads : omp_get_max_threads();
}

/** The next @p count REALs of a workspace being carved at *cursor, kept 32-REAL aligned. */
static inline REAL *tv_take(REAL **cursor, size_t count) {
  REAL *q = *cursor;
  *cursor += (count + 31) / 32 * 32;
  return q;
}

#endif
