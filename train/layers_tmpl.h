/*
 * Training layers, written once for both precisions (train/layers.h documents the API):
 * included by train/layers_f.c (float) and train/layers_d.c (float64) after
 * train/real.h. No include guard on purpose.
 *
 * Algorithms (per layer, valid convolution of side n -> m, kernel k, stride s):
 *   forward        out[co][i] = b[co] + sum_{ci,d} w[co][ci][d] in[ci][s i + d]
 *   input grad     din[ci][x] += sum_{co, d: x = s i + d} w[co][ci][d] dout[co][i]
 *                  (s = 1: the forward kernel on dout padded by k - 1, kernel flipped and
 *                  transposed; s > 1: a direct gather per input row)
 *   weight grad    gw[co][ci][d] += sum_i dout[co][i] in[ci][s i + d], gb[co] += sum_i dout[co][i]
 * where i and d run over the three axes.
 */
#include <omp.h>

#define HP_TRAIN_MAX_K 11 /* largest kernel side of the training kernels */
#define HP_TCB TCB        /* output channels per register block (train/real.h per vector set) */
/* forward: taps (input channels x k^3) per pass over a row, so that the pass's weights and input
 * rows stay in L1 (the partial sums go through the output, exactly: stored and reloaded) */
#define HP_FWD_GROUP_TAPS 256
/* weight gradient: output channels per task, taps per task (NC x TAPS accumulators, NC + 1
 * more registers: train/real.h per vector set), REALs of output gradient per row block (stays in
 * L1 across tasks) */
#define HP_WG_NC TWG_NC
#define HP_WG_TAPS TWG_TAPS
#define HP_WG_BLOCK_REALS 4096
#define HP_WG_FLAT_RUN 768 /* REALs of a flat plane's run (a multiple of every vector width) */

/* Phase length of a stride-s split of R elements. */
static int64_t FN(phase_len)(int64_t r, int s) { return (r + s - 1) / s; }

/* Tasks of the weight gradient: (output block, ci, dx, group of taps of the (dy, dz) plane);
 * 1x1x1: (output block, group of input channels). */
static int64_t FN(wg_ntask)(const hp_conv *c) {
  const int64_t nblk = (c->cout + HP_WG_NC - 1) / HP_WG_NC, k = c->k;
  if (k == 1) return nblk * ((c->cin + HP_WG_TAPS - 1) / HP_WG_TAPS);
  return nblk * c->cin * k * ((k * k + HP_WG_TAPS - 1) / HP_WG_TAPS);
}

/* Partial sums of the weight gradient: one double per (task, channel, tap), as REALs. */
static int64_t FN(wg_partials)(const hp_conv *c) {
  return FN(wg_ntask)(c) * HP_WG_NC * HP_WG_TAPS * (int64_t)(sizeof(double) / sizeof(REAL)) + 8;
}

size_t FN(conv_scratch)(const hp_conv *c, int64_t m) {
  const int64_t k = c->k, s = c->stride, k3 = k * k * k, r = (m - 1) * s + k;
  const int64_t wsz = (int64_t)c->cout * c->cin * k3;
  int64_t need = wsz, split = 0;
  if (s > 1) split = (int64_t)c->cin * r * r * s * FN(phase_len)(r, (int)s);
  if (wsz + split > need) need = wsz + split;
  if ((split + 7) / 8 * 8 + FN(wg_partials)(c) > need)
    need = (split + 7) / 8 * 8 + FN(wg_partials)(c);
  if (s == 1 && k > 1) {
    const int64_t np = m + 2 * (k - 1);
    if (wsz + c->cout * np * np * np > need) need = wsz + c->cout * np * np * np;
    /* the weight gradient's padded output gradient, after its partial sums */
    const int64_t flat = FN(wg_partials)(c) + c->cout * m * m * (m + k - 1);
    if (flat > need) need = flat;
  }
  return (size_t)(need + 64);
}

/* ---- the forward core: any strided input view, any output view, register blocks --------- */

#define HP_PF_REALS 256                        /* 1x1x1 prefetch distance, in elements */
#define HP_LINE_REALS (64 / (int)sizeof(REAL)) /* elements a cache line */

typedef struct FN(fwd_args) {
  const REAL *in;           /* input view origin */
  int64_t ics, ixs, iys;    /* input channel, x and y strides */
  int s;                    /* stride along x and y (z is handled by zoff) */
  int zoff[HP_TRAIN_MAX_K]; /* offset of tap dz along z (stride and phase split included) */
  const REAL *wp;           /* packed weights: blocks of HP_TCB output channels, [ci][tap][c] */
  const REAL *bias;         /* or NULL */
  REAL *out;                /* output view origin */
  int64_t ocs, oxs, oys;    /* output strides */
  int64_t m0, m1, m2;       /* output extents: x-planes, rows per plane, row length */
  int cin, cout, k, acc;    /* acc: add to the output instead of overwriting it */
  int64_t lo, hi;           /* input x-planes and rows outside [lo, hi) are zero: skipped */
} FN(fwd_args);

/* NC output channels x NV vectors of output row (i, j) starting at z = l0. K: the kernel side
 * when the call site knows it (1: a 1x1x1 layer, whose tap loops vanish), 0: a->k. TAIL: the
 * last vector has the lanes of @p last; otherwise all are full and every load is plain (a
 * masked load costs more than a plain one on AVX2). NC, NV, K and TAIL are constants at every
 * call site (unrolled). */
HP_TINLINE void FN(fwd_block)(const FN(fwd_args) * a, int co0, const int NC, const int NV,
                              const int K, const int TAIL, int64_t i, int64_t j, int64_t l0,
                              tmask last, const int *dr, int ci0, int ci1) {
  const int dx0 = dr[0], dx1 = dr[1], dy0 = dr[2], dy1 = dr[3];
  tvec acc[HP_TCB][4];
  REAL *o = a->out + co0 * a->ocs + i * a->oxs + j * a->oys + l0;
  /* a 1x1x1 layer's rows are whole planes: its many channel streams outrun the hardware
   * prefetchers, so each block asks for every line of its chunk HP_PF_REALS ahead */
  if (K == 1)
    for (int c = 0; c < NC; c++)
      for (int v = 0; v < NV * TVW; v += HP_LINE_REALS)
        __builtin_prefetch(o + c * a->ocs + HP_PF_REALS + v, 1);
  for (int c = 0; c < NC; c++)
    for (int v = 0; v < NV; v++) {
      if (a->acc || ci0 > 0)
        acc[c][v] = TAIL && v == NV - 1 ? tv_loadm(o + c * a->ocs + v * TVW, last)
                                        : tv_load(o + c * a->ocs + v * TVW);
      else
        acc[c][v] = a->bias ? tv_set1(a->bias[co0 + c]) : tv_zero();
    }
  const int k = K ? K : a->k, k3 = k * k * k;
  const REAL *wb = a->wp + (int64_t)co0 * a->cin * k3;
  for (int ci = ci0; ci < ci1; ci++) {
    const REAL *ib = a->in + ci * a->ics + a->s * i * a->ixs + a->s * j * a->iys + l0;
    if (K == 1)
      for (int v = 0; v < NV * TVW; v += HP_LINE_REALS) __builtin_prefetch(ib + HP_PF_REALS + v);
    for (int dx = dx0; dx < dx1; dx++)
      for (int dy = dy0; dy < dy1; dy++) {
        const REAL *row = ib + dx * a->ixs + dy * a->iys;
        const REAL *wr = wb + (int64_t)((ci * k + dx) * k + dy) * k * NC;
        for (int dz = 0; dz < k; dz++) {
          const REAL *r = row + a->zoff[dz];
          tvec x[4];
          for (int v = 0; v < NV; v++)
            x[v] = TAIL && v == NV - 1 ? tv_loadm(r + v * TVW, last) : tv_load(r + v * TVW);
          for (int c = 0; c < NC; c++) {
            const tvec wv = tv_set1(wr[dz * NC + c]);
            for (int v = 0; v < NV; v++) acc[c][v] = tv_fma(wv, x[v], acc[c][v]);
          }
        }
      }
  }
  for (int c = 0; c < NC; c++)
    for (int v = 0; v < NV; v++) {
      if (TAIL && v == NV - 1)
        tv_storem(o + c * a->ocs + v * TVW, acc[c][v], last);
      else
        tv_store(o + c * a->ocs + v * TVW, acc[c][v]);
    }
}

/* The blocks of one chunk: full (TNV_MAX plain vectors) or the row's tail (nv vectors, the last
 * masked). Vector counts above TNV_MAX are never called (`if` on constants: not compiled). */
#define HP_FWD_CHUNK(NC, K)                                                           \
  if (!tail) {                                                                        \
    FN(fwd_block)(a, co0, NC, TNV_MAX, K, 0, i, j, l0, mk, dr, ci0, ci1);             \
  } else if (nv == 1) {                                                               \
    FN(fwd_block)(a, co0, NC, 1, K, 1, i, j, l0, mk, dr, ci0, ci1);                   \
  } else if (nv == 2) {                                                               \
    FN(fwd_block)(a, co0, NC, 2, K, 1, i, j, l0, mk, dr, ci0, ci1);                   \
  } else if (TNV_MAX > 2 && nv == 3) {                                                \
    FN(fwd_block)(a, co0, NC, TNV_MAX > 2 ? 3 : 1, K, 1, i, j, l0, mk, dr, ci0, ci1); \
  } else if (TNV_MAX > 2) {                                                           \
    FN(fwd_block)(a, co0, NC, TNV_MAX > 2 ? 4 : 1, K, 1, i, j, l0, mk, dr, ci0, ci1); \
  }

/* One output row, every channel: chunks of TNV_MAX vectors (the last chunk ends masked), each
 * chunk for every block of HP_TCB channels in turn, so that the blocks after the first read the
 * chunk's input from L1. K as in fwd_block (a constant: one copy of the row per kernel case). */
HP_TINLINE void FN(fwd_row)(const FN(fwd_args) * a, const int K, int64_t i, int64_t j, int c0,
                            int c1) {
  const int64_t chunk = (int64_t)TNV_MAX * TVW, ix = a->s * i, iy = a->s * j;
  const int k = a->k;
  const int dr[4] = {ix < a->lo ? (int)(a->lo - ix) : 0, ix + k > a->hi ? (int)(a->hi - ix) : k,
                     iy < a->lo ? (int)(a->lo - iy) : 0, iy + k > a->hi ? (int)(a->hi - iy) : k};
  const int group = HP_FWD_GROUP_TAPS / (k * k * k) > 1 ? HP_FWD_GROUP_TAPS / (k * k * k) : 1;
  for (int ci0 = 0; ci0 < a->cin; ci0 += group) {
    const int ci1 = ci0 + group < a->cin ? ci0 + group : a->cin;
    int64_t l0 = 0;
    while (l0 < a->m2) {
      const int64_t rem = a->m2 - l0 < chunk ? a->m2 - l0 : chunk;
      const int tail = rem < chunk, nv = (int)((rem + TVW - 1) / TVW);
      const tmask mk = tv_mask((int)(rem - (int64_t)(nv - 1) * TVW));
      for (int co0 = c0; co0 < c1; co0 += HP_TCB) {
        switch (c1 - co0) {
          case 1:
            HP_FWD_CHUNK(1, K) break;
          case 2:
            HP_FWD_CHUNK(2, K) break;
          case 3:
            HP_FWD_CHUNK(3, K) break;
          case 4:
            HP_FWD_CHUNK(4, K) break;
          default: /* HP_TCB channels: 4 or 5 */
            HP_FWD_CHUNK(HP_TCB, K) break;
        }
      }
      l0 += rem;
    }
  }
}
#undef HP_FWD_CHUNK

static void FN(fwd_row_k1)(const FN(fwd_args) * a, int64_t i, int64_t j, int c0, int c1) {
  FN(fwd_row)(a, 1, i, j, c0, c1);
}
static void FN(fwd_row_k3)(const FN(fwd_args) * a, int64_t i, int64_t j, int c0, int c1) {
  FN(fwd_row)(a, 3, i, j, c0, c1);
}
static void FN(fwd_row_k5)(const FN(fwd_args) * a, int64_t i, int64_t j, int c0, int c1) {
  FN(fwd_row)(a, 5, i, j, c0, c1);
}
static void FN(fwd_row_any)(const FN(fwd_args) * a, int64_t i, int64_t j, int c0, int c1) {
  FN(fwd_row)(a, 0, i, j, c0, c1);
}

static void FN(fwd_row_k)(const FN(fwd_args) * a, int64_t i, int64_t j, int c0, int c1) {
  if (TK_CONST && a->k == 1)
    FN(fwd_row_k1)(a, i, j, c0, c1);
  else if (TK_CONST && a->k == 3)
    FN(fwd_row_k3)(a, i, j, c0, c1);
  else if (TK_CONST && a->k == 5)
    FN(fwd_row_k5)(a, i, j, c0, c1);
  else
    FN(fwd_row_any)(a, i, j, c0, c1);
}

/* Flat rows: with stride 1, output (row j, element l) reads its input at tap (dy, dz) from
 * j p + l + dy p + dz past the plane's first input row (p: the input's row pitch), so a segment
 * of consecutive rows runs as one flat sequence of (rows - 1) p + m2 outputs (the p - m2 values
 * between rows are computed and dropped) into a scratch of pitch p, then is copied out: one
 * masked tail a segment instead of one a row, where a row's tail wastes more lanes than the
 * p - m2. Segments are sized so that the scratch, on each thread's stack, stays in L1
 * (HP_FWD_FLAT_BYTES for all output channels). Every output is the same sequence of operations
 * as by rows (the same bits). Rows whose taps reach outside [lo, hi) (the input gradient's zero
 * padding) stay rows. Not for 1x1x1 layers (memory-bound: the copy costs more than the tails'
 * lanes). */
#define HP_FWD_FLAT_BYTES 16384
typedef struct {
  int64_t j0, j1, seg, cs; /* flat rows [j0, j1) in segments of seg rows; scratch channel
                              stride (REALs); seg = 0: all by rows */
} FN(fwd_flat);

static FN(fwd_flat) FN(fwd_flat_plan)(const FN(fwd_args) * a) {
  FN(fwd_flat) f = {0, 0, 0, 0};
  if (a->s != 1 || a->k == 1 || a->m1 < 2) return f;
  const int64_t p = a->iys, j0 = a->lo > 0 ? a->lo : 0;
  const int64_t j1 = a->hi - a->k + 1 < a->m1 ? a->hi - a->k + 1 : a->m1;
  /* rows that fit: cout x cs REALs, cs = (seg - 1) p + m2 rounded up to 16 */
  const int64_t fit = HP_FWD_FLAT_BYTES / ((int64_t)sizeof(REAL) * a->cout) - a->m2 - 15;
  if (fit < p) return f;
  int64_t seg = fit / p + 1;
  if (seg > j1 - j0) seg = j1 - j0;
  if (seg < 2) return f;
  const int64_t len = (seg - 1) * p + a->m2;
  if ((len + TVW - 1) / TVW >= seg * ((a->m2 + TVW - 1) / TVW))
    return f; /* no lanes saved (float64: TVW = 1) */
  f.j0 = j0, f.j1 = j1, f.seg = seg, f.cs = (len + 15) / 16 * 16;
  return f;
}

/* Plane i, channels [c0, c1): rows outside the flat range by rows, the rest by flat segments
 * through @p scr (cout x f->cs REALs). */
static void FN(fwd_plane)(const FN(fwd_args) * a, const FN(fwd_flat) * f, REAL *scr, int64_t i,
                          int c0, int c1) {
  for (int64_t j = 0; j < a->m1; j++)
    if (f->seg == 0 || j < f->j0 || j >= f->j1) FN(fwd_row_k)(a, i, j, c0, c1);
  if (f->seg == 0) return;
  const int64_t p = a->iys;
  const size_t row = sizeof(REAL) * (size_t)a->m2, gap = sizeof(REAL) * (size_t)(p - a->m2);
  FN(fwd_args) b = *a;
  b.out = scr, b.ocs = f->cs, b.oxs = 0, b.oys = 0;
  for (int64_t j = f->j0; j < f->j1; j += f->seg) {
    const int64_t rows = f->j1 - j < f->seg ? f->j1 - j : f->seg;
    REAL *o = a->out + i * a->oxs + j * a->oys;
    if (a->acc) /* the sums start from the output's values, as by rows */
      for (int c = c0; c < c1; c++)
        for (int64_t r = 0; r < rows; r++) {
          memcpy(scr + c * f->cs + r * p, o + c * a->ocs + r * a->oys, row);
          if (r + 1 < rows) memset(scr + c * f->cs + r * p + a->m2, 0, gap);
        }
    b.m2 = (rows - 1) * p + a->m2;
    FN(fwd_row_k)(&b, i, j, c0, c1);
    for (int c = c0; c < c1; c++)
      for (int64_t r = 0; r < rows; r++)
        memcpy(o + c * a->ocs + r * a->oys, scr + c * f->cs + r * p, row);
  }
}

static void FN(fwd_run)(const FN(fwd_args) * a, int nthreads) {
  /* one task per output plane; a row's chunks run every channel block in turn, except in a
   * 1x1x1 layer with more outputs than inputs (an input gradient), whose blocks each pass over
   * the plane: its output streams, read and written, would outnumber the prefetchers */
  const int cstep = a->k == 1 && a->cout > a->cin ? HP_TCB : a->cout;
  const double work = (double)a->m0 * a->m1 * a->m2 * a->cout * a->cin * a->k * a->k * a->k;
  const FN(fwd_flat) f = FN(fwd_flat_plan)(a);
#pragma omp parallel num_threads(FN(threads_for)(nthreads, work))
  {
    _Alignas(64) REAL scr[HP_FWD_FLAT_BYTES / sizeof(REAL)]; /* a thread's flat scratch */
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < a->m0; i++)
      for (int c0 = 0; c0 < a->cout; c0 += cstep)
        FN(fwd_plane)(a, &f, scr, i, c0, c0 + cstep < a->cout ? c0 + cstep : a->cout);
  }
}

/* Weights [co][ci][tap] -> blocks of HP_TCB output channels [ci][tap][c]. With @p flip, the
 * transposed and flipped kernel of the input gradient: w'[ci][co][tap'] = w[co][ci][k3-1-tap']
 * (then "co" below runs over the original input channels). */
static void FN(pack)(const hp_conv *c, const REAL *w, int flip, REAL *wp) {
  const int k3 = c->k * c->k * c->k;
  const int co_n = flip ? c->cin : c->cout, ci_n = flip ? c->cout : c->cin;
  const REAL *kern = w + c->w_off;
  for (int co0 = 0; co0 < co_n; co0 += HP_TCB) {
    const int nc = co_n - co0 < HP_TCB ? co_n - co0 : HP_TCB;
    REAL *dst = wp + (int64_t)co0 * ci_n * k3;
    for (int ci = 0; ci < ci_n; ci++)
      for (int t = 0; t < k3; t++)
        for (int q = 0; q < nc; q++)
          dst[((int64_t)ci * k3 + t) * nc + q] =
              flip ? kern[((int64_t)ci * c->cin + co0 + q) * k3 + (k3 - 1 - t)]
                   : kern[((int64_t)(co0 + q) * c->cin + ci) * k3 + t];
  }
}

/* The view [off, off + r)^3 of @p in, split by phase along z: dst[ci][x][y][p PL + q] =
 * view[ci][x][y][s q + p] (0 past the end). Returns the split row length s PL. */
static int64_t FN(split_z)(const REAL *in, int64_t n, int64_t off, int cin, int64_t r, int s,
                           REAL *dst, int nthreads) {
  const int64_t pl = FN(phase_len)(r, s), row = s * pl;
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)cin * r * r * row)) \
    schedule(static)
  for (int64_t t = 0; t < (int64_t)cin * r; t++) {
    const int64_t ci = t / r, x = t % r;
    for (int64_t y = 0; y < r; y++) {
      const REAL *src = in + ((ci * n + off + x) * n + off + y) * n + off;
      REAL *d = dst + ((ci * r + x) * r + y) * row;
      for (int p = 0; p < s; p++)
        for (int64_t q = 0; q < pl; q++) {
          const int64_t z = s * q + p;
          d[p * pl + q] = z < r ? src[z] : 0;
        }
    }
  }
  return row;
}

/* Input view of a layer as (pointer, strides, z offsets): direct for stride 1, split otherwise. */
static void FN(input_view)(const hp_conv *c, const REAL *in, int64_t n, int64_t off, int64_t m,
                           REAL *split, int nthreads, const REAL **src, int64_t st[3],
                           int zoff[HP_TRAIN_MAX_K]) {
  const int k = c->k, s = c->stride;
  if (s == 1) {
    *src = in + (off * n + off) * n + off;
    st[0] = n * n * n, st[1] = n * n, st[2] = n;
    for (int dz = 0; dz < k; dz++) zoff[dz] = dz;
    return;
  }
  const int64_t r = (m - 1) * s + k, pl = FN(phase_len)(r, s);
  const int64_t row = FN(split_z)(in, n, off, c->cin, r, s, split, nthreads);
  *src = split;
  st[0] = r * r * row, st[1] = r * row, st[2] = row;
  for (int dz = 0; dz < k; dz++) zoff[dz] = (int)((dz % s) * pl + dz / s);
}

void FN(conv_forward)(const hp_conv *c, const REAL *w, const REAL *in, int64_t n, int64_t off,
                      REAL *out, int64_t m, int bias, REAL *scratch, int nthreads) {
  const int64_t wsz = (int64_t)c->cout * c->cin * c->k * c->k * c->k;
  FN(fwd_args) a;
  int64_t st[3];
  FN(pack)(c, w, 0, scratch);
  FN(input_view)(c, in, n, off, m, scratch + wsz, nthreads, &a.in, st, a.zoff);
  a.ics = st[0], a.ixs = st[1], a.iys = st[2];
  a.s = c->stride;
  a.wp = scratch;
  a.bias = bias ? w + c->b_off : NULL;
  a.out = out;
  a.ocs = m * m * m, a.oxs = m * m, a.oys = m;
  a.m0 = a.m1 = a.m2 = m;
  if (c->k == 1 && c->stride == 1 && off == 0 && n == m) a.m1 = 1, a.m2 = m * m; /* planes */
  a.cin = c->cin, a.cout = c->cout, a.k = c->k, a.acc = 0;
  a.lo = 0, a.hi = INT64_MAX;
  FN(fwd_run)(&a, nthreads);
}

/* ---- input gradient ------------------------------------------------------------------------ */

/* Stride > 1: each input row of the view gathers from the output rows that read it. Along z
 * the row is accumulated split by phase (z = s q + p: tap dz adds w dout[l] to phase dz % s at
 * q = l + dz / s), so every addition is a contiguous vector operation; the phases are then
 * interleaved into the row. */
#define HP_TROW_MAX 4096
static void FN(bwd_data_strided)(const hp_conv *c, const REAL *w, const REAL *dout, int64_t m,
                                 REAL *din, int64_t n, int64_t off, int nthreads) {
  const int k = c->k, s = c->stride;
  const int64_t r = (m - 1) * s + k, m3 = m * m * m, n3 = n * n * n, pl = FN(phase_len)(r, s);
  const REAL *kern = w + c->w_off;
  const tmask full = tv_mask(TVW);
  const double work = (double)m3 * c->cout * c->cin * k * k * k;
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, work)) schedule(dynamic, 1)
  for (int64_t t = 0; t < (int64_t)c->cin * r; t++) {
    const int64_t ci = t / r, x = t % r;
    REAL tmp[HP_TROW_MAX + 64];
    const int direct = s * pl > HP_TROW_MAX; /* a row too long for tmp: scatter directly */
    int xv[HP_TRAIN_MAX_K], yv[HP_TRAIN_MAX_K], nxv = 0; /* taps that reach x (and y) */
    int64_t xi[HP_TRAIN_MAX_K], yj[HP_TRAIN_MAX_K];
    for (int dx = 0; dx < k; dx++)
      if (x >= dx && (x - dx) % s == 0 && (x - dx) / s < m) xv[nxv] = dx, xi[nxv++] = (x - dx) / s;
    for (int64_t y = 0; y < r; y++) {
      REAL *drow = din + ci * n3 + ((off + x) * n + off + y) * n + off;
      int nyv = 0;
      for (int dy = 0; dy < k; dy++)
        if (y >= dy && (y - dy) % s == 0 && (y - dy) / s < m)
          yv[nyv] = dy, yj[nyv++] = (y - dy) / s;
      if (direct) {
        for (int co = 0; co < c->cout; co++)
          for (int a = 0; a < nxv; a++)
            for (int b = 0; b < nyv; b++) {
              const REAL *orow = dout + co * m3 + (xi[a] * m + yj[b]) * m;
              const REAL *wk = kern + (((int64_t)co * c->cin + ci) * k + xv[a]) * k * k + yv[b] * k;
              for (int dz = 0; dz < k; dz++)
                for (int64_t l = 0; l < m; l++) drow[s * l + dz] += wk[dz] * orow[l];
            }
        continue;
      }
      memset(tmp, 0, sizeof(REAL) * (size_t)(s * pl));
      /* per tap and vector of the row, the sum over (co, dx, dy) stays in a register */
      for (int dz = 0; dz < k; dz++) {
        REAL *tq = tmp + (dz % s) * pl + dz / s;
        for (int64_t l0 = 0; l0 < m; l0 += TVW) {
          const tmask mk = m - l0 >= TVW ? full : tv_mask((int)(m - l0));
          tvec acc = tv_loadm(tq + l0, mk);
          for (int co = 0; co < c->cout; co++)
            for (int a = 0; a < nxv; a++)
              for (int b = 0; b < nyv; b++) {
                const REAL *orow = dout + co * m3 + (xi[a] * m + yj[b]) * m;
                const REAL wv =
                    kern[((((int64_t)co * c->cin + ci) * k + xv[a]) * k + yv[b]) * k + dz];
                acc = tv_fma(tv_set1(wv), tv_loadm(orow + l0, mk), acc);
              }
          tv_storem(tq + l0, acc, mk);
        }
      }
      for (int p = 0; p < s; p++)
        for (int64_t q = 0; q < pl && s * q + p < r; q++) drow[s * q + p] += tmp[p * pl + q];
    }
  }
}

void FN(conv_backward_data)(const hp_conv *c, const REAL *w, const REAL *dout, int64_t m, REAL *din,
                            int64_t n, int64_t off, REAL *scratch, int nthreads) {
  if (c->stride != 1) {
    FN(bwd_data_strided)(c, w, dout, m, din, n, off, nthreads);
    return;
  }
  const int k = c->k;
  const int64_t wsz = (int64_t)c->cout * c->cin * k * k * k;
  const REAL *pad = dout;
  int64_t np = m;
  FN(pack)(c, w, 1, scratch);
  if (k > 1) { /* dout padded by k - 1 zeros on every side */
    REAL *p = scratch + wsz;
    const int64_t h = k - 1;
    np = m + 2 * h;
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)c->cout * np * np * np)) \
    schedule(static)
    for (int64_t t = 0; t < (int64_t)c->cout * np; t++) {
      const int64_t co = t / np, x = t % np;
      REAL *dst = p + (co * np + x) * np * np;
      memset(dst, 0, sizeof *dst * (size_t)(np * np));
      if (x < h || x >= h + m) continue;
      for (int64_t y = h; y < h + m; y++)
        memcpy(dst + y * np + h, dout + ((co * m + x - h) * m + y - h) * m,
               sizeof *dst * (size_t)m);
    }
    pad = p;
  }
  FN(fwd_args) a;
  a.in = pad;
  a.ics = np * np * np, a.ixs = np * np, a.iys = np;
  a.s = 1;
  for (int dz = 0; dz < k; dz++) a.zoff[dz] = dz;
  a.wp = scratch;
  a.bias = NULL;
  a.out = din + (off * n + off) * n + off;
  a.ocs = n * n * n, a.oxs = n * n, a.oys = n;
  a.m0 = a.m1 = a.m2 = m + k - 1;
  if (k == 1 && off == 0 && n == m) a.m1 = 1, a.m2 = m * m; /* contiguous planes: long rows */
  a.cin = c->cout, a.cout = c->cin, a.k = k, a.acc = 1;
  a.lo = k - 1, a.hi = k - 1 + m; /* the padding's zero planes and rows add nothing */
  FN(fwd_run)(&a, nthreads);
}

/* ---- weight gradient ----------------------------------------------------------------------- */

typedef struct FN(wg_args) {
  const REAL *in; /* input view origin (split for stride > 1) */
  int64_t ics, ixs, iys;
  int64_t toff[HP_TRAIN_MAX_K * HP_TRAIN_MAX_K]; /* tap u's offset from a task's input row: (dy,
                                                   dz) = (u / k, u % k), or the channel u (k = 1) */
  const REAL *dout; /* [cout][m][m][m], or (flat) the planes padded to the input's row pitch */
  int64_t m;
  int s, cin, k, bs; /* bs: output channels per block (<= HP_WG_NC, blocks balanced) */
  /* segments: the runs of output voxels summed in vectors. Rows of m (seg_plane = m segments a
   * plane); or, flat, each x-plane read as one run of flat_len = (m - 1) n + m values, the
   * output gradient padded with zeros to the input's row pitch n, so that (row j, element l)
   * and its input at tap (dy, dz) are j n + l apart from the plane's start on both sides: one
   * masked tail a plane instead of one a row; cut into runs of HP_WG_FLAT_RUN (L1) */
  int flat;
  int64_t dcs, seg_plane, flat_len; /* output gradient channel stride, segments a plane */
} FN(wg_args);

/* Segment @p g: its output-gradient offset (channel 0 of the task's block), input offset from
 * the task's input origin, and length. */
static inline int64_t FN(wg_seg)(const FN(wg_args) * a, int64_t g, int64_t *doff, int64_t *ioff) {
  const int64_t i = g / a->seg_plane, e = g % a->seg_plane;
  if (!a->flat) {
    *doff = g * a->m, *ioff = a->s * i * a->ixs + a->s * e * a->iys;
    return a->m;
  }
  const int64_t q0 = e * HP_WG_FLAT_RUN, len = a->flat_len - q0;
  *doff = i * a->m * a->iys + q0, *ioff = i * a->ixs + q0;
  return len < HP_WG_FLAT_RUN ? len : HP_WG_FLAT_RUN;
}

/* Task (co0..co0+NC, input row origin @p in0, taps @p to[0..K)) over segments [r0, r1)
 * (FN(wg_seg)): NC x K accumulators (NC, K <= 5; constants at every call site),
 * loaded from and stored back to @p acc ([c][tap], HP_WG_TAPS a channel). They are
 * named variables: GCC keeps an array of vectors in registers but also stores it on every
 * iteration. */
HP_TINLINE void FN(wg_task)(const FN(wg_args) * a, int co0, const int NC, const int K,
                            const int64_t *to, const REAL *in0, int64_t r0, int64_t r1, tvec *acc) {
  const tvec z = tv_zero();
#define HP_LD(c, t) (NC > c && K > t ? acc[c * HP_WG_TAPS + t] : z)
#define HP_ACC(c)                                                                                  \
  tvec a##c##0 = HP_LD(c, 0), a##c##1 = HP_LD(c, 1), a##c##2 = HP_LD(c, 2), a##c##3 = HP_LD(c, 3), \
       a##c##4 = HP_LD(c, 4)
  HP_ACC(0);
  HP_ACC(1);
  HP_ACC(2);
  HP_ACC(3);
  HP_ACC(4);
#undef HP_ACC
#undef HP_LD
  const int64_t m3 = a->dcs;
  for (int64_t r = r0; r < r1; r++) {
    int64_t doff, ioff;
    const int64_t m = FN(wg_seg)(a, r, &doff, &ioff);
    const REAL *d = a->dout + co0 * m3 + doff;
    const REAL *row = in0 + ioff;
    /* full vectors by register loads (tv_loadr), the row's last partial vector masked */
#define HP_WG_VEC(LD)                                                     \
  {                                                                       \
    const tvec d0 = LD(d + l0);                                           \
    const tvec d1 = NC > 1 ? LD(d + m3 + l0) : z;                         \
    const tvec d2 = NC > 2 ? LD(d + 2 * m3 + l0) : z;                     \
    const tvec d3 = NC > 3 ? LD(d + 3 * m3 + l0) : z;                     \
    const tvec d4 = NC > 4 ? LD(d + 4 * m3 + l0) : z;                     \
    HP_TAP(0, LD) HP_TAP(1, LD) HP_TAP(2, LD) HP_TAP(3, LD) HP_TAP(4, LD) \
  }
#define HP_TAP(t, LD)                         \
  if (K > t) {                                \
    const tvec x = LD(row + to[t] + l0);      \
    a0##t = tv_fma(d0, x, a0##t);             \
    if (NC > 1) a1##t = tv_fma(d1, x, a1##t); \
    if (NC > 2) a2##t = tv_fma(d2, x, a2##t); \
    if (NC > 3) a3##t = tv_fma(d3, x, a3##t); \
    if (NC > 4) a4##t = tv_fma(d4, x, a4##t); \
  }
#define HP_LDM(p) tv_loadm(p, mk)
    int64_t l0 = 0;
    for (; l0 + TVW <= m; l0 += TVW) HP_WG_VEC(tv_loadr)
    if (l0 < m) {
      const tmask mk = tv_mask((int)(m - l0));
      HP_WG_VEC(HP_LDM)
    }
#undef HP_LDM
#undef HP_TAP
#undef HP_WG_VEC
  }
#define HP_ST(c, t) \
  if (NC > c && K > t) acc[c * HP_WG_TAPS + t] = a##c##t;
#define HP_STORE(c) HP_ST(c, 0) HP_ST(c, 1) HP_ST(c, 2) HP_ST(c, 3) HP_ST(c, 4)
  HP_STORE(0) HP_STORE(1) HP_STORE(2) HP_STORE(3) HP_STORE(4)
#undef HP_STORE
#undef HP_ST
}

#define HP_WG_K(NC)                                    \
  switch (nt) {                                        \
    case 1:                                            \
      FN(wg_task)(a, co0, NC, 1, to, in0, b0, b1, ac); \
      break;                                           \
    case 2:                                            \
      FN(wg_task)(a, co0, NC, 2, to, in0, b0, b1, ac); \
      break;                                           \
    case 3:                                            \
      FN(wg_task)(a, co0, NC, 3, to, in0, b0, b1, ac); \
      break;                                           \
    case 4:                                            \
      FN(wg_task)(a, co0, NC, 4, to, in0, b0, b1, ac); \
      break;                                           \
    default:                                           \
      FN(wg_task)(a, co0, NC, 5, to, in0, b0, b1, ac); \
      break;                                           \
  }

/* Task t of the weight gradient: output channels co0..co0 + nc, input channel ci0 and kernel
 * plane dx, taps u0..u0 + ntap of the plane (k = 1: channels ci0..ci0 + ntap). */
typedef struct {
  int co0, nc, ci0, dx, u0, ntap;
} FN(wg_task_id);

static FN(wg_task_id) FN(wg_decode)(const FN(wg_args) * a, int cout, int64_t t) {
  FN(wg_task_id) id;
  const int k = a->k, nt = k > 1 ? k * k : a->cin, ng = (nt + HP_WG_TAPS - 1) / HP_WG_TAPS;
  id.u0 = (int)(t % ng) * HP_WG_TAPS, id.ntap = nt - id.u0 < HP_WG_TAPS ? nt - id.u0 : HP_WG_TAPS;
  t /= ng;
  if (k > 1) {
    id.dx = (int)(t % k), id.ci0 = (int)(t / k % a->cin), id.co0 = (int)(t / k / a->cin) * a->bs;
  } else {
    id.dx = 0, id.ci0 = id.u0, id.u0 = 0, id.co0 = (int)t * a->bs;
  }
  id.nc = cout - id.co0 < a->bs ? cout - id.co0 : a->bs;
  return id;
}

/* Tasks [t0, t0 + ntask) over segments [r0, r1), by blocks of segments: a block's output
 * gradient is read from L1 by every task after the first (the tasks of a group share it). */
static void FN(wg_group)(const FN(wg_args) * a, int cout, int64_t t0, int ntask, int64_t r0,
                         int64_t r1, tvec *acc) {
  int64_t rows = HP_WG_BLOCK_REALS / (a->bs * (a->flat ? HP_WG_FLAT_RUN : a->m));
  if (rows < 1) rows = 1;
  for (int64_t b0 = r0; b0 < r1; b0 += rows) {
    const int64_t b1 = b0 + rows < r1 ? b0 + rows : r1;
    for (int q = 0; q < ntask; q++) {
      const FN(wg_task_id) id = FN(wg_decode)(a, cout, t0 + q);
      const int co0 = id.co0, nt = id.ntap;
      const REAL *in0 = a->in + id.ci0 * a->ics + id.dx * a->ixs;
      const int64_t *to = a->toff + id.u0;
      tvec *ac = acc + q * HP_WG_NC * HP_WG_TAPS;
      switch (id.nc) {
        case 1:
          HP_WG_K(1) break;
        case 2:
          HP_WG_K(2) break;
        case 3: /* blocks wider than HP_WG_NC never occur: not compiled */
          if (HP_WG_NC >= 3) {
            HP_WG_K(HP_WG_NC >= 3 ? 3 : 1)
          }
          break;
        case 4:
          if (HP_WG_NC >= 4) {
            HP_WG_K(HP_WG_NC >= 4 ? 4 : 1)
          }
          break;
        default:
          if (HP_WG_NC >= 5) {
            HP_WG_K(HP_WG_NC >= 5 ? 5 : 1)
          }
          break;
      }
    }
  }
}
#undef HP_WG_K

/* Sum of x[0..count) in double: 16 interleaved partial sums (independent chains that vectorise,
 * in an order fixed by count), then added in order. */
static double FN(sum)(const REAL *x, int64_t count) {
  double p[16] = {0}, sum = 0;
  int64_t v = 0;
  for (; v + 16 <= count; v += 16)
    for (int l = 0; l < 16; l++) p[l] += x[v + l];
  for (; v < count; v++) p[v % 16] += x[v];
  for (int l = 0; l < 16; l++) sum += p[l];
  return sum;
}

void FN(conv_backward_weight)(const hp_conv *c, const REAL *in, int64_t n, int64_t off,
                              const REAL *dout, int64_t m, double scale, int bias, REAL *gw,
                              REAL *scratch, int nthreads) {
  const int k = c->k, k3 = k * k * k;
  FN(wg_args) args, *a = &args;
  int64_t st[3];
  int zoff[HP_TRAIN_MAX_K];
  FN(input_view)(c, in, n, off, m, scratch, nthreads, &a->in, st, zoff);
  a->ics = st[0], a->ixs = st[1], a->iys = st[2];
  for (int u = 0; u < (k > 1 ? k * k : HP_WG_TAPS); u++)
    a->toff[u] = k > 1 ? u / k * st[2] + zoff[u % k] : u * st[0];
  a->dout = dout;
  a->m = m;
  a->dcs = m * m * m, a->seg_plane = m, a->flat_len = 0;
  /* flat planes where the input's rows are the view's own (stride 1, no crop) */
  a->flat = c->stride == 1 && n == m + k - 1;
  const int nblk = (c->cout + HP_WG_NC - 1) / HP_WG_NC;
  a->s = c->stride, a->cin = c->cin, a->k = k, a->bs = (c->cout + nblk - 1) / nblk;
  /* groups: the tasks of one (block, ci, dx); 1x1x1: one task */
  const int gsize = k > 1 ? (k * k + HP_WG_TAPS - 1) / HP_WG_TAPS : 1;
  const int64_t ntask = FN(wg_ntask)(c);
  /* partial sums per task, after the split input (if any), 8-REAL aligned */
  int64_t split = 0;
  if (c->stride > 1) {
    const int64_t r = (m - 1) * c->stride + k;
    split = (int64_t)c->cin * r * r * c->stride * FN(phase_len)(r, c->stride);
  }
  double *part = (double *)(void *)(scratch + (split + 7) / 8 * 8);
  memset(part, 0, sizeof(double) * (size_t)(ntask * HP_WG_NC * HP_WG_TAPS));
  if (a->flat) {
    a->flat_len = (m - 1) * n + m;
    a->seg_plane = (a->flat_len + HP_WG_FLAT_RUN - 1) / HP_WG_FLAT_RUN;
    if (n > m) { /* the output gradient's rows padded with zeros to the input's pitch n */
      REAL *dp = scratch + (split + 7) / 8 * 8 + FN(wg_partials)(c);
      const int64_t ps = m * n;
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)c->cout * m * ps)) \
    schedule(static)
      for (int64_t t = 0; t < (int64_t)c->cout * m; t++) {
        const int64_t co = t / m, i = t % m;
        REAL *dst = dp + (co * m + i) * ps;
        for (int64_t j = 0; j < m; j++) {
          memcpy(dst + j * n, dout + ((co * m + i) * m + j) * m, sizeof(REAL) * (size_t)m);
          if (j + 1 < m) memset(dst + j * n + m, 0, sizeof(REAL) * (size_t)(n - m));
        }
      }
      a->dout = dp, a->dcs = m * ps;
    }
  }
  /* spatial tiles of output x-planes, sized so that a tile's output gradient and input
   * (about 1 MB) stay in the core's cache while every group passes over them; each task sums
   * a tile in vectors, then in double, tiles in order, so the result does not depend on the
   * thread count */
  const int64_t plane_out = (int64_t)c->cout * m * m, r1 = (m - 1) * c->stride + k;
  const int64_t plane_in = (int64_t)c->cin * r1 * r1 * c->stride;
  int64_t tile = (int64_t)(256 * 1024) / (plane_out + plane_in + 1);
  if (tile < 1) tile = 1;
  REAL *gk = gw + c->w_off;
  const double work = (double)m * m * m * c->cout * c->cin * k3;
#pragma omp parallel num_threads(FN(threads_for)(nthreads, work))
  {
    tvec acc[(HP_TRAIN_MAX_K * HP_TRAIN_MAX_K + HP_WG_TAPS - 1) / HP_WG_TAPS * HP_WG_NC *
             HP_WG_TAPS];
    for (int64_t i0 = 0; i0 < m; i0 += tile) {
      const int64_t i1 = i0 + tile < m ? i0 + tile : m;
#pragma omp for schedule(dynamic, 1)
      for (int64_t t0 = 0; t0 < ntask; t0 += gsize) {
        for (int q = 0; q < gsize * HP_WG_NC * HP_WG_TAPS; q++) acc[q] = tv_zero();
        FN(wg_group)(a, c->cout, t0, gsize, i0 * a->seg_plane, i1 * a->seg_plane, acc);
        for (int q = 0; q < gsize; q++) {
          const FN(wg_task_id) id = FN(wg_decode)(a, c->cout, t0 + q);
          double *res = part + (t0 + q) * HP_WG_NC * HP_WG_TAPS;
          for (int cc = 0; cc < id.nc; cc++)
            for (int t = 0; t < id.ntap; t++)
              res[cc * HP_WG_TAPS + t] += tv_hsum(acc[(q * HP_WG_NC + cc) * HP_WG_TAPS + t]);
        }
      }
    }
#pragma omp for schedule(static)
    for (int64_t t = 0; t < ntask; t++) {
      const FN(wg_task_id) id = FN(wg_decode)(a, c->cout, t);
      const double *res = part + t * HP_WG_NC * HP_WG_TAPS;
      for (int q = 0; q < id.nc; q++)
        for (int tp = 0; tp < id.ntap; tp++)
          gk[((int64_t)(id.co0 + q) * c->cin + id.ci0) * k3 + id.dx * k * k + id.u0 + tp] +=
              (REAL)(scale * res[q * HP_WG_TAPS + tp]);
    }
    if (bias) {
      const int64_t m3 = m * m * m;
#pragma omp for schedule(static)
      for (int co = 0; co < c->cout; co++)
        gw[c->b_off + co] += (REAL)(scale * FN(sum)(dout + co * m3, m3));
    }
  }
}

/* ---- activations ------------------------------------------------------------------------- */

void FN(lrelu_forward)(REAL *x, int64_t count, double slope, int nthreads) {
  const REAL sl = (REAL)slope;
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)count)) schedule(static)
  for (int64_t i = 0; i < count; i++) x[i] = x[i] < 0 ? sl * x[i] : x[i];
}

void FN(lrelu_backward)(const REAL *a, REAL *d, int64_t count, double slope, int nthreads) {
  const REAL sl = (REAL)slope;
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)count)) schedule(static)
  for (int64_t i = 0; i < count; i++) d[i] = a[i] > 0 ? d[i] : sl * d[i];
}

void FN(relu_forward)(REAL *x, int64_t count, int nthreads) {
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)count)) schedule(static)
  for (int64_t i = 0; i < count; i++) x[i] = x[i] > 0 ? x[i] : 0;
}

void FN(relu_backward)(const REAL *a, REAL *d, int64_t count, int nthreads) {
#pragma omp parallel for num_threads(FN(threads_for)(nthreads, (double)count)) schedule(static)
  for (int64_t i = 0; i < count; i++) d[i] = a[i] > 0 ? d[i] : 0;
}
