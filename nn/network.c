/* The generator's layer list (Kodi Ramanah, Charnock & Lavaux 2019), weights and derived sizes. */
#include "network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_conv(hp_net *net, const char *name, int cin, int cout, int k) {
  hp_conv *c = &net->conv[net->nconv];
  snprintf(c->name, sizeof c->name, "%s", name);
  c->cin = cin, c->cout = cout, c->k = k, c->stride = 1;
  c->w_off = net->nparams;
  net->nparams += (size_t)cout * cin * k * k * k;
  c->b_off = net->nparams;
  net->nparams += (size_t)cout;
  return net->nconv++;
}

/* One residual Inception block with C inputs: 10 channels per branch, 30 out. */
static void add_block(hp_net *net, const char *prefix, int cin) {
  hp_block *b = &net->block[net->nblocks++];
  static const char *names[3][2] = {
      {"branch5_reduce", "branch5"}, {"branch3_reduce", "branch3"}, {"branch1", NULL}};
  static const int ks[3] = {5, 3, 0};
  char name[64];
  b->nbranch = 3;
  b->residual = 1;
  for (int br = 0; br < 3; br++) {
    snprintf(name, sizeof name, "%s/%s", prefix, names[br][0]);
    b->first[br] = add_conv(net, name, cin, 10, 1);
    b->len[br] = 1;
    if (names[br][1]) {
      snprintf(name, sizeof name, "%s/%s", prefix, names[br][1]);
      add_conv(net, name, 10, 10, ks[br]);
      b->len[br] = 2;
    }
  }
}

int hp_net_generator(hp_net *net, int cin, int k_out, hp_status *st) {
  memset(net, 0, sizeof *net);
  if (cin < 1 || k_out < 1 || k_out > HP_NET_MAX_K)
    return hp_fail(st, HP_ERR_INPUT,
                   "generator: %d input and %d output channels (expected >= 1 "
                   "and 1..%d)",
                   cin, k_out, HP_NET_MAX_K);
  net->cin = cin;
  net->k_out = k_out;
  net->slope = 0.1f;
  add_block(net, "inception1", cin);
  add_block(net, "inception2", 30);
  net->head_first = net->nconv;
  add_conv(net, "head/conv1", 30, 10, 1);
  add_conv(net, "head/conv2", 10, 10, 1);
  add_conv(net, "head/conv3", 10, 10, 1);
  add_conv(net, "head/conv4", 10, 10, 1);
  add_conv(net, "head/out", 10, k_out, 1);
  net->head_len = net->nconv - net->head_first;
  net->w = calloc(net->nparams, sizeof *net->w);
  if (!net->w)
    return hp_fail(st, HP_ERR_NOMEM, "generator: cannot allocate %zu weights", net->nparams);
  return HP_OK;
}

void hp_net_free(hp_net *net) {
  free(net->w);
  memset(net, 0, sizeof *net);
}

int hp_net_copy(hp_net *dst, const hp_net *src, hp_status *st) {
  *dst = *src;
  dst->w = malloc(src->nparams * sizeof *dst->w);
  if (!dst->w) return hp_fail(st, HP_ERR_NOMEM, "cannot copy %zu weights", src->nparams);
  memcpy(dst->w, src->w, src->nparams * sizeof *dst->w);
  return HP_OK;
}

/* Shrink of a branch: each k x k x k valid convolution removes k - 1 voxels per axis. */
static int branch_shrink(const hp_net *net, const hp_block *b, int br) {
  int s = 0;
  for (int i = 0; i < b->len[br]; i++) s += net->conv[b->first[br] + i].k - 1;
  return s;
}

int hp_net_halo(const hp_net *net) {
  int shrink = 0;
  for (int i = 0; i < net->nblocks; i++) {
    int m = 0;
    for (int br = 0; br < net->block[i].nbranch; br++) {
      int s = branch_shrink(net, &net->block[i], br);
      if (s > m) m = s;
    }
    shrink += m;
  }
  for (int i = 0; i < net->head_len; i++) shrink += net->conv[net->head_first + i].k - 1;
  return shrink / 2;
}

/* A convolution evaluated on its own output grid: side out + extra per axis. */
double hp_net_macs_per_voxel(const hp_net *net) {
  /* per output voxel of the network; intermediate grids are larger by the later shrink,
   * which is a boundary effect (counted as 1 here, as the paper's operation count does) */
  double macs = 0;
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    macs += (double)c->cout * c->cin * c->k * c->k * c->k;
  }
  return macs;
}

/* splitmix64 + Box-Muller: reproducible N(0, 1) without global state. */
static uint64_t sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void hp_net_init_random(hp_net *net, uint64_t seed, double sigma, double bias) {
  uint64_t s = seed;
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    const size_t nw = (size_t)c->cout * c->cin * c->k * c->k * c->k;
    for (size_t j = 0; j < nw; j++) {
      const double u1 = ((double)(sm64(&s) >> 11) + 0.5) * 0x1p-53;
      const double u2 = (double)(sm64(&s) >> 11) * 0x1p-53;
      net->w[c->w_off + j] = (float)(sigma * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
    }
    for (int j = 0; j < c->cout; j++) net->w[c->b_off + j] = (float)bias;
  }
}

int hp_net_find(const hp_net *net, const char *name) {
  for (int i = 0; i < net->nconv; i++)
    if (!strcmp(net->conv[i].name, name)) return i;
  return -1;
}
