/*
 * The generator's training passes, written once for both precisions (API and algorithm:
 * train/generator.h); included by train/generator_f.c and train/generator_d.c after train/real.h.
 * No include guard on purpose.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "train/layers.h"

/* The layer kernels of this precision under short names (clang-format splits a call through
 * FN(name)(...) that does not fit on a line into two). */
#define T_conv_forward FN(conv_forward)
#define T_conv_backward_data FN(conv_backward_data)
#define T_conv_backward_weight FN(conv_backward_weight)
#define T_lrelu_forward FN(lrelu_forward)
#define T_lrelu_backward FN(lrelu_backward)
#define T_relu_forward FN(relu_forward)
#define T_relu_backward FN(relu_backward)

struct FN(gen_ws) {
  hp_net net; /* layer list (w = NULL) */
  int nthreads;
  int64_t n_in, n_out;
  /* per convolution */
  int64_t in_side[HP_NET_MAX_CONV], out_side[HP_NET_MAX_CONV], off[HP_NET_MAX_CONV];
  int src[HP_NET_MAX_CONV];   /* producing convolution, or -1 - b: the input of block b (b =
                                 nblocks: the head's input, i.e. the last block's output) */
  int blk[HP_NET_MAX_CONV];   /* block of the convolution, -1 in the head */
  int slice[HP_NET_MAX_CONV]; /* 1: output and gradient are channel slices of the block's */
  REAL *act[HP_NET_MAX_CONV], *grad[HP_NET_MAX_CONV];
  /* per block */
  int64_t b_in[HP_NET_MAX_BLOCKS], b_out[HP_NET_MAX_BLOCKS];
  int b_cout[HP_NET_MAX_BLOCKS], b_crop[HP_NET_MAX_BLOCKS], b_last[HP_NET_MAX_BLOCKS];
  REAL *bout[HP_NET_MAX_BLOCKS], *dbout[HP_NET_MAX_BLOCKS];
  /* folded branches: a first-block branch that opens with a 1x1 reduce of the one-channel input
   * is linear up to its k^3 convolution i, so i runs as the one-channel convolution fconv[i]
   * of the input with weights fw (from the two layers' weights); the reduce is never formed */
  int fold[HP_NET_MAX_CONV]; /* 1: conv i is folded with its reduce i - 1 */
  hp_conv fconv[HP_NET_MAX_CONV];
  REAL *fw, *fg;   /* folded weights and their gradient (the largest folded convolution's) */
  REAL *out;       /* relu of the output layer's pre-activation act[last] */
  double out_leak; /* surrogate slope of the output ReLU's backward below zero (0: exact) */
  int profile;     /* 1: time every convolution (gen_ws_profile) */
  double clock[HP_NET_MAX_CONV][3]; /* seconds: forward, weight gradient, input gradient */
  const REAL *x;
  REAL *scratch;
  REAL *mem;
  size_t bytes;
};

static int64_t FN(cube)(int64_t n) { return n * n * n; }

/* Input tensor of convolution i, its side, and its gradient (NULL: none is needed). */
static const REAL *FN(gen_input)(const FN(gen_ws) * g, int i, REAL **din) {
  const int s = g->src[i];
  if (s >= 0) {
    if (din) *din = g->grad[s];
    return g->act[s];
  }
  const int b = -1 - s;
  if (din) *din = b > 0 ? g->dbout[b - 1] : NULL;
  return b > 0 ? g->bout[b - 1] : g->x;
}

int FN(gen_ws_create)(FN(gen_ws) * *out, const hp_net *net, int64_t n_in, int nthreads,
                      hp_status *st) {
  *out = NULL;
  FN(gen_ws) *g = calloc(1, sizeof *g);
  if (!g) return hp_fail(st, HP_ERR_NOMEM, "generator training workspace: out of memory");
  g->net = *net;
  g->net.w = NULL;
  g->nthreads = nthreads;
  g->n_in = n_in;
  for (int i = 0; i < net->nconv; i++)
    if (net->conv[i].stride != 1 || net->conv[i].k > 11) {
      free(g);
      return hp_fail(st, HP_ERR_INPUT,
                     "generator training: layer %s has stride %d and kernel %d (expected stride "
                     "1 and kernel <= 11)",
                     net->conv[i].name, net->conv[i].stride, net->conv[i].k);
    }
  /* plan the sides backwards from each block's output */
  int64_t n = n_in;
  size_t floats = 0, scratch = 0;
  for (int b = 0; b < net->nblocks; b++) {
    const hp_block *bl = &net->block[b];
    int shrink = 0, cout = 0;
    for (int br = 0; br < bl->nbranch; br++) {
      int s = 0;
      for (int q = 0; q < bl->len[br]; q++) s += net->conv[bl->first[br] + q].k - 1;
      if (s > shrink) shrink = s;
      cout += net->conv[bl->first[br] + bl->len[br] - 1].cout;
    }
    const int64_t m = n - shrink;
    if (m < 1 || shrink % 2) {
      free(g);
      return hp_fail(st, HP_ERR_INPUT,
                     "generator training: input side %lld too small (block %d shrinks by %d)",
                     (long long)n_in, b, shrink);
    }
    g->b_in[b] = n, g->b_out[b] = m, g->b_cout[b] = cout, g->b_crop[b] = shrink / 2;
    floats += 2 * (size_t)(cout * FN(cube)(m)) + 32;
    for (int br = 0; br < bl->nbranch; br++) {
      int64_t side = m;
      for (int q = bl->len[br] - 1; q >= 0; q--) {
        const int i = bl->first[br] + q;
        g->out_side[i] = side;
        g->in_side[i] = side + net->conv[i].k - 1;
        side = g->in_side[i];
        g->blk[i] = b;
        g->slice[i] = q + 1 == bl->len[br];
        if (i > g->b_last[b]) g->b_last[b] = i;
        g->src[i] = q == 0 ? -1 - b : i - 1;
        if (q + 1 < bl->len[br])
          floats += 2 * (size_t)(net->conv[i].cout * FN(cube)(g->out_side[i])) + 32;
      }
      const int i0 = bl->first[br];
      if ((n - g->in_side[i0]) % 2) {
        const long long side = (long long)g->in_side[i0];
        free(g);
        return hp_fail(st, HP_ERR_INPUT,
                       "generator training: branch %d of block %d cannot be centred (side %lld "
                       "in %lld)",
                       br, b, side, (long long)n);
      }
      g->off[i0] = (n - g->in_side[i0]) / 2;
      g->in_side[i0] = n; /* the first convolution reads a view of the block input */
    }
    n = m;
  }
  for (int q = 0; q < net->head_len; q++) {
    const int i = net->head_first + q;
    g->blk[i] = -1;
    g->src[i] = q == 0 ? -1 - net->nblocks : i - 1;
    g->in_side[i] = n;
    g->off[i] = 0;
    g->out_side[i] = n - net->conv[i].k + 1;
    n = g->out_side[i];
    if (n < 1) {
      free(g);
      return hp_fail(st, HP_ERR_INPUT, "generator training: input side %lld too small",
                     (long long)n_in);
    }
    floats += 2 * (size_t)(net->conv[i].cout * FN(cube)(n)) + 32;
  }
  g->n_out = n;
  floats += (size_t)(net->k_out * FN(cube)(n)) + 32;
  size_t fold_floats = 0;
  for (int br = 0; net->nblocks > 0 && br < net->block[0].nbranch; br++) {
    const int i0 = net->block[0].first[br], i = i0 + 1;
    const hp_conv *r = &net->conv[i0];
    if (net->block[0].len[br] != 2 || r->k != 1 || r->cin != 1) continue;
    g->fold[i] = 1;
    g->fconv[i] = net->conv[i];
    g->fconv[i].cin = 1, g->fconv[i].w_off = 0;
    g->fconv[i].b_off =
        (size_t)net->conv[i].cout * net->conv[i].k * net->conv[i].k * net->conv[i].k;
    if (g->fconv[i].b_off + net->conv[i].cout > fold_floats)
      fold_floats = g->fconv[i].b_off + net->conv[i].cout;
    floats -= 2 * (size_t)(r->cout * FN(cube)(g->out_side[i0])) + 32; /* the reduce's planes */
  }
  floats += 2 * (fold_floats + 32);
  for (int i = 0; i < net->nconv; i++) {
    const size_t s = FN(conv_scratch)(g->fold[i] ? &g->fconv[i] : &net->conv[i], g->out_side[i]);
    if (s > scratch) scratch = s;
  }
  floats += scratch + 32;
  g->bytes = floats * sizeof(REAL) + sizeof *g;
  g->mem = hp_alloc(floats * sizeof(REAL), "generator training workspace", st);
  if (!g->mem) {
    free(g);
    return st->code;
  }
  memset(g->mem, 0, floats * sizeof(REAL));
  /* carve, 32-REAL aligned */
  REAL *p = g->mem;
  for (int b = 0; b < net->nblocks; b++) {
    g->bout[b] = tv_take(&p, g->b_cout[b] * FN(cube)(g->b_out[b]));
    g->dbout[b] = tv_take(&p, g->b_cout[b] * FN(cube)(g->b_out[b]));
    const hp_block *bl = &net->block[b];
    int64_t ch = 0;
    for (int br = 0; br < bl->nbranch; br++)
      for (int q = 0; q < bl->len[br]; q++) {
        const int i = bl->first[br] + q;
        if (q + 1 < bl->len[br] && g->fold[i + 1]) {
          g->act[i] = g->grad[i] = NULL; /* a folded reduce */
        } else if (q + 1 < bl->len[br]) {
          g->act[i] = tv_take(&p, net->conv[i].cout * FN(cube)(g->out_side[i]));
          g->grad[i] = tv_take(&p, net->conv[i].cout * FN(cube)(g->out_side[i]));
        } else {
          g->act[i] = g->bout[b] + ch * FN(cube)(g->b_out[b]);
          g->grad[i] = g->dbout[b] + ch * FN(cube)(g->b_out[b]);
          ch += net->conv[i].cout;
        }
      }
  }
  for (int q = 0; q < net->head_len; q++) {
    const int i = net->head_first + q;
    g->act[i] = tv_take(&p, net->conv[i].cout * FN(cube)(g->out_side[i]));
    g->grad[i] = tv_take(&p, net->conv[i].cout * FN(cube)(g->out_side[i]));
  }
  g->out = tv_take(&p, net->k_out * FN(cube)(g->n_out));
  g->fw = tv_take(&p, (int64_t)fold_floats);
  g->fg = tv_take(&p, (int64_t)fold_floats);
  g->scratch = tv_take(&p, scratch);
  *out = g;
  return HP_OK;
}

void FN(gen_ws_destroy)(FN(gen_ws) * g) {
  if (!g) return;
  hp_free(g->mem);
  free(g);
}

int64_t FN(gen_ws_out_side)(const FN(gen_ws) * g) { return g->n_out; }
size_t FN(gen_ws_bytes)(const FN(gen_ws) * g) { return g->bytes; }

/* Multiply-adds of one pass of convolution i (0: a folded reduce, run inside the next one). */
static double FN(conv_macs)(const FN(gen_ws) * g, int i) {
  if (i + 1 < g->net.nconv && g->fold[i + 1]) return 0;
  const hp_conv *c = g->fold[i] ? &g->fconv[i] : &g->net.conv[i];
  const double s = (double)g->out_side[i];
  return (double)c->cout * c->cin * c->k * c->k * c->k * s * s * s;
}

void FN(gen_ws_macs)(const FN(gen_ws) * g, double *fwd, double *bwd) {
  *fwd = *bwd = 0;
  for (int i = 0; i < g->net.nconv; i++) {
    const double macs = FN(conv_macs)(g, i);
    const int input_gradient = !g->fold[i] && g->src[i] != -1; /* not of the density */
    *fwd += macs;
    *bwd += input_gradient ? 2 * macs : macs;
  }
}
void FN(gen_ws_set_output_leak)(FN(gen_ws) * g, double leak) { g->out_leak = leak; }

void FN(gen_ws_profile)(FN(gen_ws) * g, int on) {
  g->profile = on != 0;
  if (on) memset(g->clock, 0, sizeof g->clock);
}

void FN(gen_ws_layer_time)(const FN(gen_ws) * g, int i, double t[3], double *macs) {
  for (int q = 0; q < 3; q++) t[q] = g->clock[i][q];
  *macs = FN(conv_macs)(g, i);
}

/* Seconds since the last call (profiling only; 0 otherwise). */
static double FN(lap)(const FN(gen_ws) * g, double *t0) {
  if (!g->profile) return 0;
  const double t = omp_get_wtime(), d = t - *t0;
  *t0 = t;
  return d;
}

/* y[ch] += x[0] cropped, then leaky ReLU, for every channel of block b's output. */
static void FN(residual_lrelu)(FN(gen_ws) * g, int b, const REAL *x) {
  const int64_t n = g->b_in[b], m = g->b_out[b], c = g->b_crop[b];
  const REAL slope = (REAL)g->net.slope;
  const int res = g->net.block[b].residual;
  REAL *y = g->bout[b];
#pragma omp parallel for num_threads( \
    FN(threads_for)(g->nthreads, (double)g->b_cout[b] * m * m * m)) schedule(static)
  for (int64_t t = 0; t < g->b_cout[b] * m; t++) {
    const int64_t ch = t / m, i = t % m;
    for (int64_t j = 0; j < m; j++) {
      REAL *row = y + ((ch * m + i) * m + j) * m;
      const REAL *xr = x + ((i + c) * n + j + c) * n + c;
      for (int64_t l = 0; l < m; l++) {
        const REAL z = res ? row[l] + xr[l] : row[l];
        row[l] = z < 0 ? slope * z : z;
      }
    }
  }
}

/* The weights of folded convolution i: sum_c W_i[co][c][t] (wr[c] x + br[c]) over the reduce's
 * outputs c is (sum_c W_i[co][c][t] wr[c]) x + a constant, and the valid convolution sees every
 * tap, so the constants join the bias. Summed in double. */
static void FN(fold_weights)(FN(gen_ws) * g, int i, const REAL *w) {
  const hp_conv *c = &g->net.conv[i], *r = &g->net.conv[i - 1];
  const int k3 = c->k * c->k * c->k;
  for (int co = 0; co < c->cout; co++) {
    double constant = w[c->b_off + co];
    for (int t = 0; t < k3; t++) {
      double sum = 0;
      for (int ci = 0; ci < c->cin; ci++) {
        const double wct = w[c->w_off + ((size_t)co * c->cin + ci) * k3 + t];
        sum += wct * w[r->w_off + ci];
        constant += wct * w[r->b_off + ci];
      }
      g->fw[(size_t)co * k3 + t] = (REAL)sum;
    }
    g->fw[g->fconv[i].b_off + co] = (REAL)constant;
  }
}

/* Gradients of a folded pair from G = the folded kernel's gradient and S = its bias's (the
 * output gradient's sums): dW_i[co][c][t] = wr[c] G[co][t] + br[c] S[co], db_i = S,
 * dwr[c] = sum_{co,t} W_i[co][c][t] G[co][t], dbr[c] = sum_{co,t} W_i[co][c][t] S[co]. */
static void FN(unfold_gradient)(const FN(gen_ws) * g, int i, const REAL *w, REAL *gw) {
  const hp_conv *c = &g->net.conv[i], *r = &g->net.conv[i - 1];
  const int k3 = c->k * c->k * c->k;
  const REAL *G = g->fg, *S = g->fg + g->fconv[i].b_off;
  for (int ci = 0; ci < c->cin; ci++) {
    const double wr = w[r->w_off + ci], br = w[r->b_off + ci];
    double dwr = 0, dbr = 0;
    for (int co = 0; co < c->cout; co++)
      for (int t = 0; t < k3; t++) {
        const size_t at = ((size_t)co * c->cin + ci) * k3 + t;
        gw[c->w_off + at] += (REAL)(wr * G[(size_t)co * k3 + t] + br * S[co]);
        dwr += (double)w[c->w_off + at] * G[(size_t)co * k3 + t];
        dbr += (double)w[c->w_off + at] * S[co];
      }
    gw[r->w_off + ci] += (REAL)dwr;
    gw[r->b_off + ci] += (REAL)dbr;
  }
  for (int co = 0; co < c->cout; co++) gw[c->b_off + co] += S[co];
}

const REAL *FN(gen_forward)(FN(gen_ws) * g, const REAL *w, const REAL *in) {
  const hp_net *net = &g->net;
  g->x = in;
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    if (i + 1 < net->nconv && g->fold[i + 1]) continue; /* a folded reduce */
    double t0 = 0;
    FN(lap)(g, &t0);
    if (g->fold[i]) {
      FN(fold_weights)(g, i, w);
      T_conv_forward(&g->fconv[i], g->fw, in, g->in_side[i - 1], g->off[i - 1], g->act[i],
                     g->out_side[i], 1, g->scratch, g->nthreads);
    } else {
      const REAL *x = FN(gen_input)(g, i, NULL);
      T_conv_forward(c, w, x, g->in_side[i], g->off[i], g->act[i], g->out_side[i], 1, g->scratch,
                     g->nthreads);
    }
    g->clock[i][0] += FN(lap)(g, &t0);
    const int b = g->blk[i];
    if (b >= 0) {
      if (i == g->b_last[b]) FN(residual_lrelu)(g, b, b > 0 ? g->bout[b - 1] : in);
    } else if (i + 1 < net->nconv) {
      T_lrelu_forward(g->act[i], c->cout * FN(cube)(g->out_side[i]), net->slope, g->nthreads);
    } else {
      const int64_t cnt = c->cout * FN(cube)(g->out_side[i]);
      memcpy(g->out, g->act[i], sizeof(REAL) * (size_t)cnt);
      T_relu_forward(g->out, cnt, g->nthreads);
    }
  }
  return g->out;
}

/* dx[0][crop] += sum over channels of dz (the residual's gradient), for block b > 0. */
static void FN(residual_backward)(FN(gen_ws) * g, int b) {
  const int64_t n = g->b_in[b], m = g->b_out[b], c = g->b_crop[b], m3 = FN(cube)(m);
  const REAL *dz = g->dbout[b];
  REAL *dx = g->dbout[b - 1];
  const int nc = g->b_cout[b];
#pragma omp parallel for num_threads(FN(threads_for)(g->nthreads, (double)nc * m * m * m)) \
    schedule(static)
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < m; j++) {
      REAL *xr = dx + ((i + c) * n + j + c) * n + c;
      for (int ch = 0; ch < nc; ch++) {
        const REAL *zr = dz + ch * m3 + (i * m + j) * m;
        for (int64_t l = 0; l < m; l++) xr[l] += zr[l];
      }
    }
}

void FN(gen_backward)(FN(gen_ws) * g, const REAL *w, const REAL *dout, REAL *gw) {
  const hp_net *net = &g->net;
  for (int i = 0; i < net->nconv; i++)
    if (!g->slice[i] && g->grad[i])
      memset(g->grad[i], 0, sizeof(REAL) * (size_t)(net->conv[i].cout * FN(cube)(g->out_side[i])));
  for (int b = 0; b < net->nblocks; b++)
    memset(g->dbout[b], 0, sizeof(REAL) * (size_t)(g->b_cout[b] * FN(cube)(g->b_out[b])));
  const int last = net->nconv - 1;
  const int64_t nout = net->conv[last].cout * FN(cube)(g->out_side[last]);
  memcpy(g->grad[last], dout, sizeof(REAL) * (size_t)nout);
  /* the exact ReLU derivative, except on an output channel that is below zero on the whole
   * patch (a dead mass bin): there the surrogate slope out_leak passes the gradients that would
   * raise the output (a voxel with more halos than painted) and none that would lower it, so a
   * dead bin can come back but an empty one (no halos at all) is not driven ever deeper */
  const int64_t per = FN(cube)(g->out_side[last]);
  for (int k = 0; k < net->conv[last].cout; k++) {
    const REAL *a = g->act[last] + k * per;
    REAL *d = g->grad[last] + k * per;
    int dead = g->out_leak > 0;
    for (int64_t i = 0; i < per && dead; i++) dead = !(a[i] > 0);
    if (dead) {
      const REAL leak = (REAL)g->out_leak;
      for (int64_t i = 0; i < per; i++) d[i] = d[i] < 0 ? leak * d[i] : 0;
    } else {
      T_relu_backward(a, d, per, g->nthreads);
    }
  }
  int done_block = net->nblocks; /* blocks whose lrelu mask is applied: b >= done_block */
  for (int i = last; i >= 0; i--) {
    const hp_conv *c = &net->conv[i];
    const int b = g->blk[i];
    if (b < 0 && i != last) {
      T_lrelu_backward(g->act[i], g->grad[i], c->cout * FN(cube)(g->out_side[i]), net->slope,
                       g->nthreads);
    }
    if (b >= 0 && b < done_block) { /* first convolution met of block b: its output's mask */
      T_lrelu_backward(g->bout[b], g->dbout[b], g->b_cout[b] * FN(cube)(g->b_out[b]), net->slope,
                       g->nthreads);
      if (b > 0 && net->block[b].residual) FN(residual_backward)(g, b);
      done_block = b;
    }
    if (i + 1 < net->nconv && g->fold[i + 1]) continue; /* a folded reduce: done with i + 1 */
    double t0 = 0;
    FN(lap)(g, &t0);
    if (g->fold[i]) { /* the input (the density) needs no gradient */
      memset(g->fg, 0, sizeof(REAL) * (g->fconv[i].b_off + (size_t)c->cout));
      T_conv_backward_weight(&g->fconv[i], g->x, g->in_side[i - 1], g->off[i - 1], g->grad[i],
                             g->out_side[i], 1.0, 1, g->fg, g->scratch, g->nthreads);
      FN(unfold_gradient)(g, i, w, gw);
      g->clock[i][1] += FN(lap)(g, &t0);
      continue;
    }
    REAL *din = NULL;
    const REAL *x = FN(gen_input)(g, i, &din);
    T_conv_backward_weight(c, x, g->in_side[i], g->off[i], g->grad[i], g->out_side[i], 1.0, 1, gw,
                           g->scratch, g->nthreads);
    g->clock[i][1] += FN(lap)(g, &t0);
    if (din) {
      T_conv_backward_data(c, w, g->grad[i], g->out_side[i], din, g->in_side[i], g->off[i],
                           g->scratch, g->nthreads);
      g->clock[i][2] += FN(lap)(g, &t0);
    }
  }
}

double FN(gen_min_abs_preact)(const FN(gen_ws) * g) {
  const hp_net *net = &g->net;
  const double slope = net->slope;
  double mn = INFINITY;
  for (int b = 0; b < net->nblocks; b++) {
    const int64_t cnt = g->b_cout[b] * FN(cube)(g->b_out[b]);
    for (int64_t v = 0; v < cnt; v++) {
      const double a = g->bout[b][v];
      mn = fmin(mn, a > 0 ? a : fabs(a) / slope);
    }
  }
  for (int q = 0; q < net->head_len; q++) {
    const int i = net->head_first + q;
    const int64_t cnt = net->conv[i].cout * FN(cube)(g->out_side[i]);
    for (int64_t v = 0; v < cnt; v++) {
      const double a = g->act[i][v];
      mn = fmin(mn, i + 1 < net->nconv ? (a > 0 ? a : fabs(a) / slope) : fabs(a));
    }
  }
  return mn;
}
