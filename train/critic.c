/* The paper's critic as a layer list (Kodi Ramanah, Charnock & Lavaux 2019), its
 * initialisation and its cost. The passes are in train/critic_tmpl.h. */
#include "train/critic.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/layers.h"

int hp_critic_paper(hp_critic *c, int cin, int64_t side, hp_status *st) {
  static const struct {
    const char *name;
    int cout, k, stride;
  } spec[] = {{"critic/conv1", 8, 7, 2},
              {"critic/conv2", 16, 5, 1},
              {"critic/conv3", 32, 3, 2},
              {"critic/conv4", 64, 1, 1}};
  memset(c, 0, sizeof *c);
  if (cin < 1 || cin > HP_NET_MAX_K)
    return hp_fail(st, HP_ERR_INPUT, "critic: %d input channels (expected 1..%d)", cin,
                   HP_NET_MAX_K);
  if (side < HP_CRITIC_MIN_SIDE)
    return hp_fail(st, HP_ERR_INPUT,
                   "critic: input side %lld is below the critic's minimum %d (the generator's "
                   "output patch must be at least %d voxels: raise TrainPatch)",
                   (long long)side, HP_CRITIC_MIN_SIDE, HP_CRITIC_MIN_SIDE);
  c->cin = cin;
  c->side = side;
  c->slope = 0.1f;
  int64_t n = side;
  int ch = cin;
  for (int i = 0; i < 4; i++) {
    hp_conv *cv = &c->conv[i];
    snprintf(cv->name, sizeof cv->name, "%s", spec[i].name);
    cv->cin = ch, cv->cout = spec[i].cout, cv->k = spec[i].k, cv->stride = spec[i].stride;
    cv->w_off = c->nparams;
    c->nparams += (size_t)cv->cout * cv->cin * cv->k * cv->k * cv->k;
    cv->b_off = c->nparams;
    c->nparams += (size_t)cv->cout;
    n = hp_conv_out_side(n, cv->k, cv->stride);
    c->out_side[i] = n;
    ch = cv->cout;
  }
  c->nconv = 4;
  c->dense_in = (int64_t)ch * n * n * n;
  c->dense_w_off = c->nparams;
  c->nparams += (size_t)c->dense_in;
  c->dense_b_off = c->nparams;
  c->nparams += 1;
  return HP_OK;
}

/* splitmix64 + Box-Muller, as hp_net_init_random: reproducible N(0, 1), no global state. */
static uint64_t sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static float gauss(uint64_t *s, double sigma) {
  const double u1 = ((double)(sm64(s) >> 11) + 0.5) * 0x1p-53;
  const double u2 = (double)(sm64(s) >> 11) * 0x1p-53;
  return (float)(sigma * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

void hp_critic_init_random(const hp_critic *c, float *w, uint64_t seed, double sigma, double bias) {
  uint64_t s = seed;
  for (int i = 0; i < c->nconv; i++) {
    const hp_conv *cv = &c->conv[i];
    const size_t nw = (size_t)cv->cout * cv->cin * cv->k * cv->k * cv->k;
    for (size_t j = 0; j < nw; j++) w[cv->w_off + j] = gauss(&s, sigma);
    for (int j = 0; j < cv->cout; j++) w[cv->b_off + j] = (float)bias;
  }
  for (int64_t j = 0; j < c->dense_in; j++) w[c->dense_w_off + (size_t)j] = gauss(&s, sigma);
  w[c->dense_b_off] = (float)bias;
}

double hp_critic_macs(const hp_critic *c) {
  double macs = (double)c->dense_in;
  for (int i = 0; i < c->nconv; i++) {
    const hp_conv *cv = &c->conv[i];
    const double m = (double)c->out_side[i];
    macs += (double)cv->cout * cv->cin * cv->k * cv->k * cv->k * m * m * m;
  }
  return macs;
}
