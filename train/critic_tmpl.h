/*
 * The critic's forward and backward passes, written once for both precisions (API:
 * train/critic.h); included by train/critic_f.c and train/critic_d.c after train/real.h, together
 * with train/gradient_penalty_tmpl.h. No include guard on purpose.
 *
 * Notation (shared/notes/gradient-penalty.md): z_l = W_l a_{l-1} + b_l, a_l = lrelu(z_l),
 * a_0 = x, C = <w_d, a_L> + b_d. The backward pass forms e_l = dC/dz_l:
 * e_L = w_d m_L, e_{l-1} = m_{l-1} (W_l^T e_l), dC/dx = W_1^T e_1, with m_l = lrelu'(z_l).
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

struct FN(critic_ws) {
  hp_critic c;
  int nthreads;
  const REAL *x;               /* input of the last forward pass */
  REAL *a[HP_CRITIC_MAX_CONV]; /* activations a_l */
  REAL *e[HP_CRITIC_MAX_CONV]; /* backward signals e_l = dC/dz_l */
  REAL *u[HP_CRITIC_MAX_CONV]; /* penalty tangents u_l */
  REAL *g;                     /* dC/dx at the penalty's x_hat */
  REAL *v;                     /* the penalty's direction (u_0) */
  REAL *scratch;
  REAL *mem;
};

static int64_t FN(ccube)(int64_t n) { return n * n * n; }

static int64_t FN(layer_size)(const hp_critic *c, int l) {
  return c->conv[l].cout * FN(ccube)(c->out_side[l]);
}

int FN(critic_ws_create)(FN(critic_ws) * *out, const hp_critic *c, int nthreads, hp_status *st) {
  *out = NULL;
  FN(critic_ws) *ws = calloc(1, sizeof *ws);
  if (!ws) return hp_fail(st, HP_ERR_NOMEM, "critic workspace: out of memory");
  ws->c = *c;
  ws->nthreads = nthreads;
  const int64_t nin = c->cin * FN(ccube)(c->side);
  size_t floats = 2 * ((size_t)nin + 32), scratch = 0;
  for (int l = 0; l < c->nconv; l++) {
    floats += 3 * ((size_t)FN(layer_size)(c, l) + 32);
    const size_t s = FN(conv_scratch)(&c->conv[l], c->out_side[l]);
    if (s > scratch) scratch = s;
  }
  floats += scratch + 32;
  ws->mem = hp_alloc(floats * sizeof(REAL), "critic workspace", st);
  if (!ws->mem) {
    free(ws);
    return st->code;
  }
  memset(ws->mem, 0, floats * sizeof(REAL));
  REAL *p = ws->mem;
  for (int l = 0; l < c->nconv; l++) {
    ws->a[l] = tv_take(&p, FN(layer_size)(c, l));
    ws->e[l] = tv_take(&p, FN(layer_size)(c, l));
    ws->u[l] = tv_take(&p, FN(layer_size)(c, l));
  }
  ws->g = tv_take(&p, nin);
  ws->v = tv_take(&p, nin);
  ws->scratch = tv_take(&p, scratch);
  *out = ws;
  return HP_OK;
}

void FN(critic_ws_destroy)(FN(critic_ws) * ws) {
  if (!ws) return;
  hp_free(ws->mem);
  free(ws);
}

/* Input of layer l and its side. */
static const REAL *FN(critic_in)(const FN(critic_ws) * ws, int l, const REAL *x, REAL *const *act,
                                 int64_t *side) {
  *side = l ? ws->c.out_side[l - 1] : ws->c.side;
  return l ? act[l - 1] : x;
}

/* sum_i w[i] x[i] in double, in index order. */
static double FN(dot)(const REAL *w, const REAL *x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)w[i] * x[i];
  return s;
}

double FN(critic_forward)(FN(critic_ws) * ws, const REAL *w, const REAL *x) {
  const hp_critic *c = &ws->c;
  ws->x = x;
  for (int l = 0; l < c->nconv; l++) {
    int64_t n;
    const REAL *in = FN(critic_in)(ws, l, x, ws->a, &n);
    T_conv_forward(&c->conv[l], w, in, n, 0, ws->a[l], c->out_side[l], 1, ws->scratch,
                   ws->nthreads);
    T_lrelu_forward(ws->a[l], FN(layer_size)(c, l), c->slope, ws->nthreads);
  }
  return FN(dot)(w + c->dense_w_off, ws->a[c->nconv - 1], c->dense_in) + w[c->dense_b_off];
}

void FN(critic_backward)(FN(critic_ws) * ws, const REAL *w, double scale, REAL *gw, REAL *gx) {
  const hp_critic *c = &ws->c;
  const int last = c->nconv - 1;
  const REAL *wd = w + c->dense_w_off, *aL = ws->a[last];
  REAL *eL = ws->e[last];
  const REAL sl = (REAL)c->slope, sc = (REAL)scale;
  for (int64_t i = 0; i < c->dense_in; i++) eL[i] = sc * wd[i] * (aL[i] > 0 ? (REAL)1 : sl);
  if (gw) {
    REAL *gd = gw + c->dense_w_off;
    for (int64_t i = 0; i < c->dense_in; i++) gd[i] += sc * aL[i];
    gw[c->dense_b_off] += sc;
  }
  for (int l = last; l >= 0; l--) {
    int64_t n;
    const REAL *in = FN(critic_in)(ws, l, ws->x, ws->a, &n);
    if (gw) {
      T_conv_backward_weight(&c->conv[l], in, n, 0, ws->e[l], c->out_side[l], 1.0, 1, gw,
                             ws->scratch, ws->nthreads);
    }
    REAL *din = l ? ws->e[l - 1] : gx;
    if (!din) continue;
    memset(din, 0, sizeof(REAL) * (size_t)(l ? FN(layer_size)(c, l - 1) : c->cin * FN(ccube)(n)));
    T_conv_backward_data(&c->conv[l], w, ws->e[l], c->out_side[l], din, n, 0, ws->scratch,
                         ws->nthreads);
    if (l) T_lrelu_backward(ws->a[l - 1], din, FN(layer_size)(c, l - 1), c->slope, ws->nthreads);
  }
}

double FN(critic_min_abs_preact)(const FN(critic_ws) * ws) {
  const hp_critic *c = &ws->c;
  double mn = INFINITY;
  for (int l = 0; l < c->nconv; l++)
    for (int64_t i = 0; i < FN(layer_size)(c, l); i++) {
      const double a = ws->a[l][i];
      mn = fmin(mn, a > 0 ? a : fabs(a) / c->slope);
    }
  return mn;
}
