/*
 * Losses and optimiser: the Poisson loss's gradient against central finite differences in
 * float64 (alone, and through the whole generator: the supervised objective's weight gradient),
 * float against float64 and 1 thread against 2; Adam against the formula computed by hand; the
 * loss log's CSV round trip and its SVG.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "train/adam.h"
#include "train/generator.h"
#include "train/losses.h"
#include "train/log.h"

static double urand(uint64_t *s) { /* [0, 1) */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-53;
}

static double rel_err(double a, double b) {
  const double den = fmax(fabs(a), fabs(b));
  return den == 0 ? 0 : fabs(a - b) / den;
}

static void test_poisson_gradient(void **state) {
  (void)state;
  const int64_t n = 1000;
  double *lam = malloc(sizeof(double) * n), *k = malloc(sizeof(double) * n),
         *g = calloc(n, sizeof(double));
  uint64_t s = 1;
  for (int64_t i = 0; i < n; i++) lam[i] = 0.05 + 3 * urand(&s), k[i] = floor(4 * urand(&s));
  const double L = hp_d_poisson_loss(lam, k, n, HP_POISSON_EPS, g, 2.5, 2);
  double ref = 0;
  for (int64_t i = 0; i < n; i++) ref += lam[i] - k[i] * log(lam[i] + HP_POISSON_EPS);
  assert_true(fabs(L - ref / n) < 1e-12 * fabs(L));
  const double h = 1e-6;
  double worst = 0;
  for (int64_t i = 0; i < n; i += 37) {
    const double l0 = lam[i];
    lam[i] = l0 + h;
    const double lp = 2.5 * hp_d_poisson_loss(lam, k, n, HP_POISSON_EPS, NULL, 0, 1);
    lam[i] = l0 - h;
    const double lm = 2.5 * hp_d_poisson_loss(lam, k, n, HP_POISSON_EPS, NULL, 0, 1);
    lam[i] = l0;
    const double e = rel_err((lp - lm) / (2 * h), g[i]);
    worst = fmax(worst, e);
    if (e > 1e-4)
      fail_msg("dL/dlam[%lld]: analytic %.12g, finite difference %.12g", (long long)i, g[i],
               (lp - lm) / (2 * h));
  }
  print_message("Poisson loss: worst relative error %.2e\n", worst);
  /* float path, 1 and 2 threads */
  float *lf = malloc(sizeof(float) * n), *kf = malloc(sizeof(float) * n),
        *g1 = calloc(n, sizeof(float)), *g2 = calloc(n, sizeof(float));
  for (int64_t i = 0; i < n; i++) lf[i] = (float)lam[i], kf[i] = (float)k[i];
  const double L1 = hp_f_poisson_loss(lf, kf, n, HP_POISSON_EPS, g1, 2.5, 1);
  const double L2 = hp_f_poisson_loss(lf, kf, n, HP_POISSON_EPS, g2, 2.5, 2);
  assert_true(L1 == L2);
  assert_memory_equal(g1, g2, sizeof(float) * n);
  assert_true(fabs(L1 - L) < 1e-6 * fabs(L));
  for (int64_t i = 0; i < n; i++) assert_true(fabs(g1[i] - g[i]) < 1e-5 * fabs(g[i]) + 1e-9);
  free(lam), free(k), free(g), free(lf), free(kf), free(g1), free(g2);
}

/* The supervised objective end to end: d(Poisson(G(x), counts))/dw against finite
 * differences of the loss, through the whole generator, in float64. */
static void test_generator_poisson_gradient(void **state) {
  (void)state;
  hp_status st;
  hp_net net;
  const int64_t n = 13, m = 5, m3 = m * m * m;
  const double h = 1e-6;
  assert_int_equal(hp_net_generator(&net, 1, 1, &st), 0);
  hp_d_gen_ws *g;
  assert_int_equal(hp_d_gen_ws_create(&g, &net, n, 1, &st), 0);
  double *w = malloc(sizeof(double) * net.nparams), *x = malloc(sizeof(double) * n * n * n),
         *k = malloc(sizeof(double) * m3), *dl = calloc(m3, sizeof(double)),
         *gw = calloc(net.nparams, sizeof(double));
  uint64_t s = 5;
  for (int tries = 0;; tries++) { /* kinks avoided: redraw until 10 steps away from every one */
    hp_net_init_random(&net, 40 + (uint64_t)tries, 0.3, 0.1);
    for (size_t i = 0; i < net.nparams; i++) w[i] = net.w[i];
    w[net.conv[net.nconv - 1].b_off] = 0.6; /* the painted mean is positive */
    for (int64_t i = 0; i < n * n * n; i++) x[i] = 0.3 + 1.5 * urand(&s);
    hp_d_gen_forward(g, w, x);
    if (hp_d_gen_min_abs_preact(g) > 10 * h) break;
    if (tries > 300) fail_msg("no kink-free draw");
  }
  for (int64_t i = 0; i < m3; i++) k[i] = floor(3 * urand(&s));
  const double *lam = hp_d_gen_forward(g, w, x);
  hp_d_poisson_loss(lam, k, m3, HP_POISSON_EPS, dl, 1.0, 1);
  hp_d_gen_backward(g, w, dl, gw);
  double worst = 0;
  for (int li = 0; li < net.nconv; li++) {
    const hp_conv *c = &net.conv[li];
    for (int t = 0; t < 4; t++) {
      const size_t nw = (size_t)c->cout * c->cin * c->k * c->k * c->k;
      const size_t iw = t == 0 ? c->b_off : c->w_off + (size_t)(urand(&s) * (double)nw);
      const double w0 = w[iw];
      w[iw] = w0 + h;
      const double lp =
          hp_d_poisson_loss(hp_d_gen_forward(g, w, x), k, m3, HP_POISSON_EPS, NULL, 0, 1);
      w[iw] = w0 - h;
      const double lm =
          hp_d_poisson_loss(hp_d_gen_forward(g, w, x), k, m3, HP_POISSON_EPS, NULL, 0, 1);
      w[iw] = w0;
      const double fd = (lp - lm) / (2 * h), e = rel_err(fd, gw[iw]);
      if (fabs(fd) < 1e-12 && fabs(gw[iw]) < 1e-12) continue; /* a dead unit */
      worst = fmax(worst, e);
      if (e > 1e-4)
        fail_msg("layer %s: dL/dw[%zu] analytic %.12g, finite difference %.12g", c->name, iw,
                 gw[iw], fd);
    }
  }
  print_message("generator + Poisson loss: worst relative error %.2e\n", worst);
  hp_d_gen_ws_destroy(g);
  free(w), free(x), free(k), free(dl), free(gw);
  hp_net_free(&net);
}

static void test_adam(void **state) {
  (void)state;
  hp_status st;
  hp_adam a;
  assert_int_equal(hp_adam_init(&a, 3, 0, 0.5, 0.999, 1e-8, &st), HP_ERR_INPUT);
  assert_int_equal(hp_adam_init(&a, 3, 1e-2, 0.5, 0.999, 1e-8, &st), 0);
  float w[3] = {1, -2, 0.5f};
  const float g1[3] = {0.1f, -3, 0}, g2[3] = {0.2f, 1, 1e-3f};
  double m[3] = {0}, v[3] = {0}, wd[3] = {1, -2, 0.5};
  for (int t = 1; t <= 2; t++) {
    const float *g = t == 1 ? g1 : g2;
    hp_adam_step(&a, w, g, 1);
    for (int i = 0; i < 3; i++) {
      m[i] = 0.5 * m[i] + 0.5 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * (double)g[i] * g[i];
      m[i] = (float)m[i], v[i] = (float)v[i];
      wd[i] = (float)(wd[i] - 1e-2 * (m[i] / (1 - pow(0.5, t))) /
                                  (sqrt(v[i] / (1 - pow(0.999, t))) + 1e-8));
      assert_true(fabs(w[i] - wd[i]) < 1e-7);
    }
  }
  assert_int_equal(a.t, 2);
  /* the first step moves every weight with a gradient by about lr, whatever its size */
  assert_true(fabs(w[2] - 0.5f) > 0.5e-2);
  hp_adam_free(&a);
}

static void test_log_roundtrip(void **state) {
  (void)state;
  hp_status st;
  char csv[256], svg[256];
  snprintf(csv, sizeof csv, "/tmp/hp_test_log_%ld.csv", (long)getpid());
  snprintf(svg, sizeof svg, "/tmp/hp_test_log_%ld.svg", (long)getpid());
  hp_train_log_row rows[3] = {{10, -3.5, 1.25, 4.5, 0.5, 2.0, 0.25, 0.75, 0.5, 0, {{0}}},
                              {20, NAN, 0.5, NAN, 0.4, 4.0, NAN, 0.5, 0.6, 0, {{0}}},
                              {30, -1, 0.25, 2, NAN, 6.0, 0.5, 0.25, NAN, 0, {{0}}}};
  assert_int_equal(hp_train_log_write(csv, rows, 3, &st), 0);
  hp_train_log_row *back;
  int64_t n;
  FILE *f;
  char line[1024];
  assert_int_equal(hp_train_log_read(csv, &back, &n, &st), 0);
  assert_int_equal(n, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(back[i].update, rows[i].update);
    const double *a = &rows[i].critic_loss, *b = &back[i].critic_loss;
    for (int c = 0; c < 8; c++) assert_true(a[c] == b[c] || (isnan(a[c]) && isnan(b[c])));
  }
  free(back);
  /* per-bin columns: the widest row sets the header; rows without them read back as nan */
  rows[1].nbins = 2;
  const double bins[2][HP_TRAIN_LOG_BIN_COLS] = {{0.05, 0.5, 0.98, 1.02}, {0.01, NAN, 1.5, 0.9}};
  memcpy(rows[1].bin, bins, sizeof bins);
  assert_int_equal(hp_train_log_write(csv, rows, 3, &st), 0);
  f = fopen(csv, "r");
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  assert_non_null(strstr(line,
                         "validation_corr,validation_loss_0,validation_corr_0,"
                         "validation_mean_0,validation_bias_0,validation_loss_1"));
  assert_int_equal(hp_train_log_read(csv, &back, &n, &st), 0);
  assert_int_equal(n, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(back[i].nbins, 2);
    for (int k = 0; k < 2; k++)
      for (int q = 0; q < HP_TRAIN_LOG_BIN_COLS; q++) {
        const double want = i == 1 ? bins[k][q] : NAN, got = back[i].bin[k][q];
        assert_true(want == got || (isnan(want) && isnan(got)));
      }
  }
  free(back);
  /* a log written before the per-bin columns still reads (to resume its run) */
  f = fopen(csv, "w");
  fputs(
      "update,critic_loss,generator_loss,wasserstein,validation_loss,time_s,gradient_penalty,"
      "poisson_loss,validation_corr\n5,nan,1,nan,0.5,2,nan,1,0.25\n",
      f);
  fclose(f);
  assert_int_equal(hp_train_log_read(csv, &back, &n, &st), 0);
  assert_int_equal(n, 1);
  assert_int_equal(back[0].nbins, 0);
  assert_true(back[0].validation_corr == 0.25);
  free(back);
  /* a per-bin set out of order is not this layout */
  f = fopen(csv, "w");
  fputs(
      "update,critic_loss,generator_loss,wasserstein,validation_loss,time_s,gradient_penalty,"
      "poisson_loss,validation_corr,validation_corr_0,validation_loss_0,validation_mean_0,"
      "validation_bias_0\n5,nan,1,nan,0.5,2,nan,1,0.25,1,2,3,4\n",
      f);
  fclose(f);
  assert_int_equal(hp_train_log_read(csv, &back, &n, &st), HP_ERR_FORMAT);
  assert_int_equal(hp_train_log_svg(svg, rows, 3, "test <plot> & title", &st), 0);
  f = fopen(svg, "r");
  assert_non_null(f);
  char buf[16384];
  const size_t len = fread(buf, 1, sizeof buf - 1, f);
  buf[len] = '\0';
  fclose(f);
  assert_non_null(strstr(buf, "<svg"));
  assert_non_null(strstr(buf, "&lt;plot&gt; &amp;"));
  assert_non_null(strstr(buf, "polyline"));
  assert_non_null(strstr(buf, "bin 1 bias"));
  assert_non_null(strstr(buf, "</svg>"));
  /* a file that is not a log is refused, a missing one is empty */
  f = fopen(csv, "w");
  fputs("a,b\n1,2\n", f);
  fclose(f);
  assert_int_equal(hp_train_log_read(csv, &back, &n, &st), HP_ERR_FORMAT);
  unlink(csv), unlink(svg);
  assert_int_equal(hp_train_log_read(csv, &back, &n, &st), 0);
  assert_int_equal(n, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_poisson_gradient),
      cmocka_unit_test(test_generator_poisson_gradient),
      cmocka_unit_test(test_adam),
      cmocka_unit_test(test_log_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
