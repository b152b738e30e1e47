/* The generator's forward pass on whole tensors with the plain layers (reference and training
 * path). */
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h"
#include "nn/painter.h"

/* One residual Inception block: x [cin][n^3] -> y [30][(n - 2 crop)^3] with crop = shrink/2. */
static int block_forward(const hp_net *net, const hp_block *b, const float *x, int cin,
                         const int64_t n[3], float **y_out, int64_t m[3], hp_status *st) {
  int shrink = 0, cout = 0;
  for (int br = 0; br < b->nbranch; br++) {
    int s = 0;
    for (int i = 0; i < b->len[br]; i++) s += net->conv[b->first[br] + i].k - 1;
    if (s > shrink) shrink = s;
    cout += net->conv[b->first[br] + b->len[br] - 1].cout;
  }
  for (int a = 0; a < 3; a++) m[a] = n[a] - shrink;
  const int64_t mv = m[0] * m[1] * m[2], nv = n[0] * n[1] * n[2];
  float *y = malloc(sizeof *y * (size_t)(cout * mv));
  float *t1 = malloc(sizeof *t1 * (size_t)(10 * nv)), *t2 = malloc(sizeof *t2 * (size_t)(10 * nv));
  if (!y || !t1 || !t2) {
    free(y), free(t1), free(t2);
    return hp_fail(st, HP_ERR_NOMEM, "reference forward: out of memory");
  }
  int ch = 0;
  for (int br = 0; br < b->nbranch; br++) {
    const float *cur = x;
    int64_t cn[3] = {n[0], n[1], n[2]};
    int cc = cin;
    float *bufs[2] = {t1, t2};
    for (int i = 0; i < b->len[br]; i++) {
      const hp_conv *c = &net->conv[b->first[br] + i];
      if (c->cout > 10 && i + 1 < b->len[br]) {
        free(y), free(t1), free(t2);
        return hp_fail(st, HP_ERR_INTERNAL, "reference forward: branch width > 10");
      }
      hp_conv3d(c, net->w, cur, cn, bufs[i % 2]);
      for (int a = 0; a < 3; a++) cn[a] = hp_conv_out_side(cn[a], c->k, c->stride);
      cur = bufs[i % 2];
      cc = c->cout;
    }
    hp_crop(cur, cc, cn, (int)((cn[0] - m[0]) / 2), y + ch * mv);
    ch += cc;
  }
  if (b->residual) { /* x channel 0, cropped, added to every output channel */
    hp_crop(x, 1, n, shrink / 2, t1);
    hp_broadcast_add(y, cout, mv, t1);
  }
  hp_lrelu(y, cout * mv, net->slope);
  free(t1), free(t2);
  *y_out = y;
  return HP_OK;
}

int hp_net_forward_ref(const hp_net *net, const float *in, const int64_t n[3], float *out,
                       hp_status *st) {
  const int h = hp_net_halo(net);
  for (int a = 0; a < 3; a++)
    if (n[a] <= 2 * h)
      return hp_fail(st, HP_ERR_INPUT, "reference forward: input side %lld <= 2 x halo %d",
                     (long long)n[a], h);
  float *x = (float *)in, *y = NULL;
  int64_t cn[3] = {n[0], n[1], n[2]}, m[3];
  int cin = net->cin;
  for (int bi = 0; bi < net->nblocks; bi++) {
    if (block_forward(net, &net->block[bi], x, cin, cn, &y, m, st)) {
      if (x != in) free(x);
      return st->code;
    }
    if (x != in) free(x);
    x = y;
    cin = 30;
    memcpy(cn, m, sizeof cn);
  }
  const int64_t nv = cn[0] * cn[1] * cn[2];
  for (int i = 0; i < net->head_len; i++) {
    const hp_conv *c = &net->conv[net->head_first + i];
    const int last = i + 1 == net->head_len;
    float *o = last ? out : malloc(sizeof *o * (size_t)(c->cout * nv));
    if (!o) {
      free(x);
      return hp_fail(st, HP_ERR_NOMEM, "reference forward: out of memory");
    }
    hp_conv3d(c, net->w, x, cn, o); /* 1x1x1: same spatial shape */
    if (last)
      hp_relu(o, c->cout * nv);
    else
      hp_lrelu(o, c->cout * nv, net->slope);
    free(x);
    x = o;
  }
  return HP_OK;
}
