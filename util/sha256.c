/* SHA-256 (FIPS 180-4), streaming, for file identities. */
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct sha_ctx {
  uint32_t h[8];
  uint64_t len; /* bytes so far */
  uint8_t buf[64];
  size_t nbuf;
} sha_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void block(sha_ctx *c, const uint8_t *p) {
  uint32_t w[64], s[8];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(s, c->h, sizeof s);
  for (int i = 0; i < 64; i++) {
    const uint32_t S1 = rotr(s[4], 6) ^ rotr(s[4], 11) ^ rotr(s[4], 25);
    const uint32_t ch = (s[4] & s[5]) ^ (~s[4] & s[6]);
    const uint32_t t1 = s[7] + S1 + ch + K[i] + w[i];
    const uint32_t S0 = rotr(s[0], 2) ^ rotr(s[0], 13) ^ rotr(s[0], 22);
    const uint32_t mj = (s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]);
    memmove(s + 1, s, 7 * sizeof *s);
    s[4] += t1;
    s[0] = t1 + S0 + mj;
  }
  for (int i = 0; i < 8; i++) c->h[i] += s[i];
}

static void init(sha_ctx *c) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, h0, sizeof h0);
  c->len = 0;
  c->nbuf = 0;
}

static void update(sha_ctx *c, const uint8_t *p, size_t n) {
  c->len += n;
  while (n > 0) {
    size_t take = 64 - c->nbuf < n ? 64 - c->nbuf : n;
    memcpy(c->buf + c->nbuf, p, take);
    c->nbuf += take, p += take, n -= take;
    if (c->nbuf == 64) block(c, c->buf), c->nbuf = 0;
  }
}

static void finish(sha_ctx *c, char hex[65]) {
  const uint64_t bits = c->len * 8;
  uint8_t pad = 0x80, zero = 0, lenb[8];
  update(c, &pad, 1);
  while (c->nbuf != 56) update(c, &zero, 1);
  for (int i = 0; i < 8; i++) lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
  update(c, lenb, 8);
  for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", c->h[i]);
}

void hp_sha256_hex(const void *data, size_t n, char hex[65]) {
  sha_ctx c;
  init(&c);
  update(&c, data, n);
  finish(&c, hex);
}

int hp_sha256_file(const char *path, char hex[65], hp_status *st) {
  FILE *f = fopen(path, "rb");
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  sha_ctx c;
  uint8_t buf[65536];
  size_t n;
  init(&c);
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) update(&c, buf, n);
  const int bad = ferror(f);
  fclose(f);
  if (bad) return hp_fail(st, HP_ERR_IO, "error reading %s", path);
  finish(&c, hex);
  return HP_OK;
}
