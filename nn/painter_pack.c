/* Weight packing shared by the CPU engine (nn/painter.c) and the GPU engine (cuda/). */
#include "nn/painter_pack.h"

#include <stdlib.h>
#include <string.h>

int hp_painter_check_arch(const hp_net *net, const char *engine, hp_status *st) {
  int ok = net->cin == 1 && net->nblocks == HP_PACK_BLOCKS && net->head_len == HP_PACK_HEAD;
  for (int bi = 0; ok && bi < HP_PACK_BLOCKS; bi++) {
    const hp_block *b = &net->block[bi];
    ok = b->nbranch == 3 && b->residual && b->len[0] == 2 && b->len[1] == 2 && b->len[2] == 1;
    const int cin = bi == 0 ? 1 : 3 * HP_PACK_WIDTH;
    for (int br = 0; ok && br < 3; br++) {
      const hp_conv *r = &net->conv[b->first[br]];
      ok = r->cin == cin && r->cout == HP_PACK_WIDTH && r->k == 1 && r->stride == 1;
      if (ok && b->len[br] == 2) {
        const hp_conv *c = &net->conv[b->first[br] + 1];
        ok = c->cin == HP_PACK_WIDTH && c->cout == HP_PACK_WIDTH && c->k == (br == 0 ? 5 : 3) &&
             c->stride == 1;
      }
    }
  }
  static const int hin[HP_PACK_HEAD] = {30, 10, 10, 10, 10};
  for (int i = 0; ok && i < HP_PACK_HEAD; i++) {
    const hp_conv *c = &net->conv[net->head_first + i];
    ok = c->cin == hin[i] && c->k == 1 && c->stride == 1 &&
         (i == HP_PACK_HEAD - 1 || c->cout == HP_PACK_WIDTH);
  }
  if (!ok)
    return hp_fail(st, HP_ERR_INPUT,
                   "painter: the model's layer list is not the Kodi Ramanah et al. (2019) "
                   "generator that the %s engine implements",
                   engine);
  return HP_OK;
}

/* kernel[cout][cin][k][k][k] -> packed[ci][dx][dy][dz][co], then bias[co] */
static void pack_conv(const hp_net *net, const hp_conv *c, float *w, float *b) {
  const int k3 = c->k * c->k * c->k;
  for (int co = 0; co < c->cout; co++) {
    for (int ci = 0; ci < c->cin; ci++)
      for (int t = 0; t < k3; t++)
        w[((size_t)ci * k3 + t) * c->cout + co] =
            net->w[c->w_off + ((size_t)co * c->cin + ci) * k3 + t];
    b[co] = net->w[c->b_off + co];
  }
}

/* Block 1's branch br (5^3: 0, 3^3: 1) folded with its reduce, which is linear on one input
 * channel: sum_c w[c][t][co] (wr[c] x + br[c]) = (sum_c w[c][t][co] wr[c]) x + a constant.
 * Valid convolutions see every tap, so the constants join the bias. */
static void fold_branch(hp_painter_pack *pk, int br, int k, size_t w_out, size_t b_out) {
  const hp_pack_block *b = &pk->blk[0];
  const float *w = pk->w + (br ? b->c3_w : b->c5_w), *bias = pk->w + (br ? b->c3_b : b->c5_b);
  const float *wr = pk->w + b->red_w + 10 * br, *brd = pk->w + b->red_b + 10 * br;
  const int k3 = k * k * k;
  for (int co = 0; co < 10; co++) {
    double constant = bias[co];
    for (int t = 0; t < k3; t++) {
      double sum = 0;
      for (int c = 0; c < 10; c++) {
        const double wct = w[((size_t)c * k3 + t) * 10 + co];
        sum += wct * wr[c];
        constant += wct * brd[c];
      }
      pk->w[w_out + (size_t)t * 10 + co] = (float)sum;
    }
    pk->w[b_out + co] = (float)constant;
  }
}

void hp_painter_pack_free(hp_painter_pack *pk) {
  free(pk->w);
  memset(pk, 0, sizeof *pk);
}

int hp_painter_pack_create(hp_painter_pack *pk, const hp_net *net, const char *engine,
                           hp_status *st) {
  memset(pk, 0, sizeof *pk);
  if (hp_painter_check_arch(net, engine, st)) return st->code;
  pk->k_out = net->k_out;
  pk->slope = net->slope;
  size_t n = 0; /* lay the offsets out, then fill */
  for (int bi = 0; bi < HP_PACK_BLOCKS; bi++) {
    hp_pack_block *b = &pk->blk[bi];
    b->cin = net->conv[net->block[bi].first[0]].cin;
    b->red_w = n, n += (size_t)b->cin * 30;
    b->red_b = n, n += 30;
    b->c5_w = n, n += 10 * 125 * 10;
    b->c5_b = n, n += 10;
    b->c3_w = n, n += 10 * 27 * 10;
    b->c3_b = n, n += 10;
  }
  for (int i = 0; i < HP_PACK_HEAD; i++) {
    const hp_conv *c = &net->conv[net->head_first + i];
    pk->head_cin[i] = c->cin, pk->head_cout[i] = c->cout;
    pk->head_w[i] = n, n += (size_t)c->cin * c->cout;
    pk->head_b[i] = n, n += (size_t)c->cout;
  }
  pk->f5_w = n, n += 125 * 10;
  pk->f5_b = n, n += 10;
  pk->f3_w = n, n += 27 * 10;
  pk->f3_b = n, n += 10;
  pk->nfloats = n;
  pk->w = calloc(n, sizeof(float));
  if (!pk->w) return hp_fail(st, HP_ERR_NOMEM, "painter: cannot allocate the packed weights");
  for (int bi = 0; bi < HP_PACK_BLOCKS; bi++) {
    const hp_block *blk = &net->block[bi];
    const hp_pack_block *b = &pk->blk[bi];
    for (int br = 0; br < 3; br++) { /* fused reduce: [ci][30] */
      const hp_conv *r = &net->conv[blk->first[br]];
      for (int ci = 0; ci < b->cin; ci++)
        for (int co = 0; co < 10; co++)
          pk->w[b->red_w + (size_t)ci * 30 + br * 10 + co] =
              net->w[r->w_off + (size_t)co * b->cin + ci];
      for (int co = 0; co < 10; co++) pk->w[b->red_b + br * 10 + co] = net->w[r->b_off + co];
    }
    pack_conv(net, &net->conv[blk->first[0] + 1], pk->w + b->c5_w, pk->w + b->c5_b);
    pack_conv(net, &net->conv[blk->first[1] + 1], pk->w + b->c3_w, pk->w + b->c3_b);
  }
  for (int i = 0; i < HP_PACK_HEAD; i++)
    pack_conv(net, &net->conv[net->head_first + i], pk->w + pk->head_w[i], pk->w + pk->head_b[i]);
  fold_branch(pk, 0, 5, pk->f5_w, pk->f5_b);
  fold_branch(pk, 1, 3, pk->f3_w, pk->f3_b);
  return HP_OK;
}
