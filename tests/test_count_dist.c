/*
 * The count distribution (nn/count_dist.h) and its fit (train/dispersion.h): CMP moments
 * against a slow long-double reference and against Poisson at nu = 1, the mean solve, draws
 * whose mean and variance per mean match the distribution, the likelihood's gradient against
 * finite differences, a learning test that recovers a known dispersion from draws, and the
 * expected counts in cells against sums of a slow reference pmf; each for CMP and for CMP with
 * the group step (cmp-step).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/count_dist.h"
#include "nn/count_runs.h"
#include "train/dispersion.h"
#include "util/memory.h"
#include "util/rng.h"

/* Direct sums in long double over 0..3000: the obvious implementation. */
static void slow_moments(double lnlam, double nu, double kappa, hp_cmp_moments *m) {
  long double z = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, sg = 0, s5 = 0, w01 = 0, w1 = 0;
  for (int j = 0; j <= 3000; j++) {
    const long double lf = lgammal((long double)j + 1);
    const long double w =
        expl((long double)j * lnlam - (long double)nu * lf - (j >= 2 ? kappa : 0));
    z += w, s1 += w * j, s2 += w * j * j, s3 += w * lf, s4 += w * j * lf;
    if (j >= 2) sg += w, s5 += w * j;
    if (j < 2) w01 += w, w1 += w * j;
  }
  m->lnz = (double)logl(z);
  m->mean = (double)(s1 / z);
  m->var = (double)(s2 / z - (s1 / z) * (s1 / z));
  m->elf = (double)(s3 / z);
  m->cov = (double)(s4 / z - (s1 / z) * (s3 / z));
  m->eg = (double)(sg / z);
  /* Cov(n, [n >= 2]) as E[n [n >= 2]] - mean P(n >= 2) where groups are rare, as
   * mean P(n < 2) - P(1) where they are common (either form cancels in the other case) */
  m->covg = (double)(sg < z / 2 ? s5 / z - (s1 / z) * (sg / z) : (s1 / z) * (w01 / z) - w1 / z);
}

static void test_moments_against_reference(void **state) {
  (void)state;
  const double lnlams[] = {-9, -2.3, 0, 1.2, 3.5}, nus[] = {0.25, 0.6, 1, 1.8, 4.5};
  const double kappas[] = {0, 0.7, -1.5};
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      for (int q = 0; q < 3; q++) {
        if (lnlams[i] / nus[j] > log(1000.0)) continue; /* modes beyond 1000: not painted means */
        hp_cmp_moments a, b;
        hp_cmp_moments_at(lnlams[i], nus[j], kappas[q], &a);
        slow_moments(lnlams[i], nus[j], kappas[q], &b);
        assert_true(fabs(a.lnz - b.lnz) <= 1e-11 * fmax(1, fabs(b.lnz)));
        assert_true(fabs(a.mean - b.mean) <= 1e-10 * fmax(1e-6, b.mean));
        assert_true(fabs(a.var - b.var) <= 1e-8 * fmax(1e-6, b.var));
        assert_true(fabs(a.elf - b.elf) <= 1e-9 * fmax(1e-6, b.elf));
        assert_true(fabs(a.cov - b.cov) <= 1e-8 * fmax(1e-6, fabs(b.cov)));
        assert_true(fabs(a.eg - b.eg) <= 1e-9 * fmax(1e-12, b.eg));
        assert_true(fabs(a.covg - b.covg) <= 1e-8 * fmax(1e-12, fabs(b.covg)));
      }
  /* nu = 1 is Poisson: ln Z = lambda, mean = variance = lambda */
  hp_cmp_moments m;
  hp_cmp_moments_at(log(3.7), 1.0, 0.0, &m);
  assert_true(fabs(m.lnz - 3.7) < 1e-12 && fabs(m.mean - 3.7) < 1e-12 && fabs(m.var - 3.7) < 1e-11);
  /* a positive step takes weight from n >= 2: fewer groups than CMP of the same lambda */
  hp_cmp_moments c;
  hp_cmp_moments_at(log(0.3), 1.5, 0.0, &c);
  hp_cmp_moments_at(log(0.3), 1.5, 0.9, &m);
  assert_true(m.eg < c.eg && m.mean < c.mean);
}

static void test_mean_solve(void **state) {
  (void)state;
  const double mus[] = {1e-7, 1e-3, 0.04, 0.6, 2.5, 17, 150}, nus[] = {0.2, 0.5, 1, 2, 5};
  const double kappas[] = {0, 0.7, -1.5};
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 5; j++)
      for (int q = 0; q < 3; q++) {
        hp_cmp_moments m;
        hp_cmp_moments_at(hp_cmp_lnlambda(mus[i], nus[j], kappas[q]), nus[j], kappas[q], &m);
        assert_true(fabs(m.mean / mus[i] - 1) < 1e-11);
        /* sub-Poisson for nu > 1, super-Poisson for nu < 1 (CMP) */
        if (q == 0 && mus[i] > 0.01 && nus[j] > 1) assert_true(m.var < mus[i]);
        if (q == 0 && mus[i] > 0.01 && nus[j] < 1) assert_true(m.var > mus[i]);
      }
}

/* CMP (step 0) or cmp-step (step 1) over three bins. */
static hp_count_dist example_dist(int step) {
  hp_count_dist d;
  hp_count_dist_poisson(&d, 3);
  d.kind = step ? HP_COUNT_CMP_STEP : HP_COUNT_CMP;
  d.a[0] = -0.4, d.b[0] = -0.3;                /* super-Poisson, more so in dense voxels */
  d.a[1] = 0.0, d.b[1] = 0.0;                  /* Poisson through the CMP code */
  d.a[2] = 0.3, d.b[2] = 0.5;                  /* sub-Poisson, more so in dense voxels */
  if (step) d.step[0] = -0.6, d.step[2] = 0.8; /* groups favoured, then penalised */
  return d;
}

/* The tables of example_dist(step). */
static hp_count_table *example_table(int step) {
  hp_count_dist d = example_dist(step);
  hp_count_table *t = NULL;
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_count_table_create(&t, &d, &st), 0);
  return t;
}

/* The tables' pmf sums to 1 with the right mean; draws have the pmf's mean and variance. */
static void draws_mean_variance(int step) {
  hp_count_table *t = example_table(step);
  hp_status st;
  hp_status_clear(&st);
  const double mus[] = {0.003, 0.08, 0.5, 1.7, 6, 40};
  const uint64_t key = hp_rng_key(7, 1 + (uint64_t)step);
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < 6; i++) {
      const double mu = mus[i];
      double norm = 0, mean = 0;
      for (int n = 0; n < 400; n++) {
        const double p = hp_count_pmf(t, k, mu, n);
        norm += p, mean += p * n;
      }
      assert_true(fabs(norm - 1) < 1e-5);
      assert_true(fabs(mean / mu - 1) < 1e-5);
      const double var = hp_count_variance(t, k, mu);
      if (step && k != 1 && mu < 2) { /* the pmf is the law's: P(2) / P(1) against the slow one */
        const hp_count_dist d = example_dist(step);
        const double nu = exp(d.a[k] + d.b[k] * log1p(mu)), x = hp_cmp_lnlambda(mu, nu, d.step[k]);
        const double r = exp(x - nu * log(2.0) - d.step[k]);
        assert_true(fabs(hp_count_pmf(t, k, mu, 2) / hp_count_pmf(t, k, mu, 1) / r - 1) < 1e-4);
      }
      double mu4 = 0; /* fourth central moment: the error of a sample variance */
      for (int n = 0; n < 400; n++) mu4 += hp_count_pmf(t, k, mu, n) * pow(n - mu, 4);
      const int N = 400000;
      double s1 = 0, s2 = 0;
      for (int q = 0; q < N; q++) {
        const double n = (double)hp_count_draw(
            t, k, mu, hp_rng_uniform(hp_rng_at(key, (uint64_t)(k * 8 + i), q)));
        s1 += n, s2 += n * n;
      }
      const double m1 = s1 / N, v1 = s2 / N - m1 * m1;
      /* 5 sigma: the mean's error is sqrt(var/N), the sample variance's sqrt((mu4 - var^2)/N) */
      const double sv = sqrt((mu4 - var * var) / N);
      if (fabs(v1 - var) >= 5 * sv)
        printf("bin %d mu %g: draws mean %g var %g, distribution var %g\n", k, mu, m1, v1, var);
      assert_true(fabs(m1 - mu) < 5 * sqrt(var / N));
      assert_true(fabs(v1 - var) < 5 * sv);
    }
  /* Poisson bins draw Poisson */
  hp_count_dist p;
  hp_count_dist_poisson(&p, 1);
  hp_count_table *tp;
  assert_int_equal(hp_count_table_create(&tp, &p, &st), 0);
  for (int q = 0; q < 1000; q++) {
    const double u = hp_rng_uniform(hp_rng_at(key, 99, q));
    assert_int_equal(hp_count_draw(tp, 0, 1.3, u), hp_poisson_draw(1.3, u));
  }
  hp_count_table_destroy(tp);
  hp_count_table_destroy(t);
}

static void test_draws_mean_variance(void **state) {
  (void)state;
  draws_mean_variance(0);
  draws_mean_variance(1);
}

/* hp_count_draw answers most draws with a bound on P(N = 0) and no logarithm: it must give
 * exactly the count of the full inversion (hp_count_draw_p0), uniforms just below and just
 * above P(N = 0) included, for every octave of the mean; Poisson likewise. */
static void test_zero_shortcut_exact(void **state) {
  (void)state;
  const uint64_t key = hp_rng_key(5, 3);
  const double rel[] = {-1e-6, -1e-11, -1e-13, -1e-15, 0, 1e-15, 1e-13, 1e-11, 1e-6};
  int64_t zeros = 0, draws = 0;
  for (int step = 0; step < 2; step++) {
    hp_count_table *t = example_table(step);
    for (int k = 0; k < 3; k++)
      for (int q = 0; q < 20000; q++) {
        /* ln mu uniform over [ln 1e-12, ln 2]: every octave the shortcut covers, and beyond */
        const double mu = exp(log(1e-12) + hp_rng_uniform(hp_rng_at(key, k, 2 * q)) * log(2e12));
        double p0;
        (void)hp_count_draw_p0(t, k, mu, 0.5, &p0);
        for (int r = 0; r < 9; r++) {
          const double u = fmin(p0 * (1 + rel[r]), nextafter(1.0, 0));
          assert_int_equal(hp_count_draw(t, k, mu, u), hp_count_draw_p0(t, k, mu, u, &p0));
        }
        const double u = hp_rng_uniform(hp_rng_at(key, k, 2 * q + 1));
        const int64_t n = hp_count_draw(t, k, mu, u);
        assert_int_equal(n, hp_count_draw_p0(t, k, mu, u, &p0));
        zeros += n == 0, draws++;
      }
    hp_count_table_destroy(t);
  }
  assert_true(zeros > draws / 2); /* the test saw the shortcut's side */
  for (int q = 0; q < 20000; q++) {
    const double lambda = exp(log(1e-12) + hp_rng_uniform(hp_rng_at(key, 9, q)) * log(4e12));
    for (int r = 0; r < 9; r++) {
      const double u = fmin(exp(-lambda) * (1 + rel[r]), nextafter(1.0, 0));
      /* the inversion's own rule: 0 while u <= exp(-lambda) */
      assert_int_equal(hp_poisson_draw(lambda, u) == 0, u <= exp(-lambda));
    }
  }
}

/* Voxels with a spread of means and counts drawn from @p truth. */
static void synthetic_hist(hp_count_hist *h, const hp_count_dist *truth, int64_t nvox) {
  hp_count_table *t;
  hp_status st;
  hp_status_clear(&st);
  assert_int_equal(hp_count_table_create(&t, truth, &st), 0);
  assert_int_equal(hp_count_hist_init(h, truth->nbins, &st), 0);
  float *mu = malloc(sizeof(float) * nvox), *n = malloc(sizeof(float) * nvox);
  const uint64_t key = hp_rng_key(11, 2);
  for (int k = 0; k < truth->nbins; k++) {
    for (int64_t i = 0; i < nvox; i++) {
      /* ln mu uniform in [ln 0.01, ln 8]: the range painted means cover */
      const double u = hp_rng_uniform(hp_rng_at(key, (uint64_t)k, 2 * (uint64_t)i));
      mu[i] = (float)exp(log(0.01) + u * log(800.0));
      n[i] = (float)hp_count_draw(t, k, mu[i],
                                  hp_rng_uniform(hp_rng_at(key, (uint64_t)k, 2 * (uint64_t)i + 1)));
    }
    hp_count_hist_add(h, k, mu, n, nvox);
  }
  free(mu);
  free(n);
  hp_count_table_destroy(t);
}

static void test_gradient_finite_differences(void **state) {
  (void)state;
  hp_count_dist truth = example_dist(1);
  hp_count_hist h;
  synthetic_hist(&h, &truth, 20000);
  hp_count_dist d = example_dist(1);
  const double at[3][3] = {{0.1, -0.2, 0.4}, {-0.3, 0.25, -0.7}, {0.5, 0.1, 1.1}};
  for (int k = 0; k < 3; k++) {
    d.a[k] = at[k][0], d.b[k] = at[k][1], d.step[k] = at[k][2];
    double g[HP_DISP_NPAR];
    hp_dispersion_nll(&h, k, &d, g);
    for (int c = 0; c < HP_DISP_NPAR; c++) {
      const double e = 1e-5;
      double *x = c == 2 ? &d.step[k] : c ? &d.b[k] : &d.a[k];
      const double x0 = *x;
      *x = x0 + e;
      const double fp = hp_dispersion_nll(&h, k, &d, NULL);
      *x = x0 - e;
      const double fm = hp_dispersion_nll(&h, k, &d, NULL);
      *x = x0;
      const double fd = (fp - fm) / (2 * e);
      assert_true(fabs(fd - g[c]) <= 1e-6 * fmax(1e-3, fabs(fd)));
    }
  }
  hp_count_hist_free(&h);
}

/* A known dispersion is recovered from 300,000 voxels a bin, CMP by a CMP fit and cmp-step by
 * a cmp-step fit (its step too; a CMP fit of the cmp-step truth scores worse); Poisson scores
 * worse. */
static void learns_known_dispersion(int step) {
  hp_count_dist truth = example_dist(step);
  hp_count_hist h;
  synthetic_hist(&h, &truth, 300000);
  hp_count_dist fit, cmp;
  hp_status st;
  hp_status_clear(&st);
  const int kind = step ? HP_COUNT_CMP_STEP : HP_COUNT_CMP;
  assert_int_equal(hp_dispersion_fit(&h, kind, &fit, &st), 0);
  assert_int_equal(fit.kind, kind);
  assert_int_equal(hp_dispersion_fit(&h, HP_COUNT_CMP, &cmp, &st), 0);
  hp_count_dist pois;
  hp_count_dist_poisson(&pois, 3);
  for (int k = 0; k < 3; k++) {
    printf("%s bin %d: a = %.4f (true %.2f), b = %.4f (true %.2f), kappa = %.4f (true %.2f)\n",
           hp_count_kind_name(kind), k, fit.a[k], truth.a[k], fit.b[k], truth.b[k], fit.step[k],
           truth.step[k]);
    assert_true(fabs(fit.a[k] - truth.a[k]) < (step ? 0.1 : 0.05));
    assert_true(fabs(fit.b[k] - truth.b[k]) < (step ? 0.1 : 0.05));
    assert_true(fabs(fit.step[k] - truth.step[k]) < 0.1);
    double g[HP_DISP_NPAR];
    const double f = hp_dispersion_nll(&h, k, &fit, g);
    assert_true(fabs(g[0]) + fabs(g[1]) + fabs(g[2]) < 1e-6); /* at the optimum */
    if (k != 1) assert_true(f < hp_dispersion_nll(&h, k, &pois, NULL) - 1e-3);
    if (step && k != 1) assert_true(f < hp_dispersion_nll(&h, k, &cmp, NULL) - 1e-5);
  }
  hp_count_hist_free(&h);
}

static void test_learns_known_dispersion(void **state) {
  (void)state;
  learns_known_dispersion(0);
  learns_known_dispersion(1);
}

/* ln lambda with E[n] = mu for CMP(., nu) with step kappa, by bisection on the slow
 * long-double moments. */
static double slow_lnlambda(double mu, double nu, double kappa) {
  double lo = -60, hi = 20;
  for (int i = 0; i < 100; i++) {
    const double mid = 0.5 * (lo + hi);
    hp_cmp_moments m;
    slow_moments(mid, nu, kappa, &m);
    if (m.mean < mu)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* Expected counts in cells against sums of the slow reference pmf over the voxels: a few
 * distinct means (zero, light, dense, and one above HP_CMP_MU_MAX, Poisson there) spread over
 * more voxels than one chunk; the same bits whatever the thread count. */
static void expected_cells(int step) {
  hp_count_table *t = example_table(step);
  const hp_count_dist d = example_dist(step);
  hp_status st;
  hp_status_clear(&st);
  const double vals[] = {0, 1e-4, 0.02, 0.15, 0.4, 0.9, 1.6, 3.2, 250};
  enum { NV = sizeof vals / sizeof vals[0], NVOX = 40000, NMAX = 4 };
  float *mu = malloc(NVOX * sizeof *mu);
  int64_t count[NV] = {0};
  for (int64_t v = 0; v < NVOX; v++) {
    const int i = (int)((v * 7919) % NV);
    mu[v] = (float)vals[i];
    count[i]++;
  }
  for (int k = 0; k < 3; k++) {
    long double ref[NMAX + 1] = {0};
    for (int i = 0; i < NV; i++) {
      const double m = (double)(float)vals[i];
      double lnlam = m > 0 ? log(m) : 0, nu = 1, lnz = m, kappa = 0; /* Poisson */
      if (m > 0 && m <= 200) {
        nu = exp(fmin(3, fmax(-3, d.a[k] + d.b[k] * log1p(m))));
        kappa = d.step[k];
        lnlam = slow_lnlambda(m, nu, kappa);
        hp_cmp_moments sm;
        slow_moments(lnlam, nu, kappa, &sm);
        lnz = sm.lnz;
      }
      long double below = 0;
      for (int n = 0; n < NMAX; n++) {
        const long double p =
            m > 0
                ? expl(n * (long double)lnlam - nu * lgammal(n + 1.0L) - (n >= 2 ? kappa : 0) - lnz)
                : (n == 0);
        ref[n] += count[i] * p;
        below += p;
      }
      ref[NMAX] += count[i] * (1 - below);
    }
    double h1[NMAX + 1], h2[NMAX + 1], h3[NMAX + 1], total = 0;
    assert_int_equal(hp_count_expected_cells(t, k, mu, NVOX, NMAX, h1, 1, &st), 0);
    assert_int_equal(hp_count_expected_cells(t, k, mu, NVOX, NMAX, h2, 2, &st), 0);
    assert_int_equal(hp_count_expected_cells(t, k, mu, NVOX, NMAX, h3, 3, &st), 0);
    assert_memory_equal(h1, h2, sizeof h1);
    assert_memory_equal(h1, h3, sizeof h1);
    for (int n = 0; n <= NMAX; n++) {
      total += h1[n];
      /* the tables' interpolation in ln mu: 1e-5, as for the pmf's norm and mean above */
      assert_true(fabs(h1[n] - (double)ref[n]) <= 1e-5 * (double)ref[n] + 1e-9);
    }
    assert_true(fabs(total - NVOX) <= 1e-5 * NVOX);
  }
  free(mu);
  hp_count_table_destroy(t);
}

static void test_expected_cells(void **state) {
  (void)state;
  expected_cells(0);
  expected_cells(1);
}

/* Exclusion runs fitted on boxes with a known answer: white-noise matter, Poisson means 0.05
 * rho, and a truth drawn along runs of length L_true from those means (L_true = 0: independent
 * draws, whose deficit is noise: the fit must draw independently, not fit the noise). */
static double fit_runs(double l_true, int nbox, uint64_t seed, hp_runs_report *rep) {
  enum { NV = 32 };
  const int64_t n3 = (int64_t)NV * NV * NV;
  hp_status st;
  hp_status_clear(&st);
  hp_train_data d;
  assert_int_equal(hp_train_data_init(&d, 1, &st), 0);
  float *mus[16];
  for (int b = 0; b < nbox; b++) {
    float *rho = hp_alloc(sizeof *rho * (size_t)n3, "rho", &st);
    float *counts = hp_alloc(sizeof *counts * (size_t)n3, "counts", &st);
    int32_t *c = malloc(sizeof *c * (size_t)n3);
    mus[b] = malloc(sizeof *mus[b] * (size_t)n3);
    const uint64_t key = hp_rng_key(100 + (uint64_t)b, 5);
    for (int64_t v = 0; v < n3; v++) {
      rho[v] = (float)(0.5 + hp_rng_uniform(hp_rng_at(key, (uint64_t)v, 0)));
      mus[b][v] = 0.05f * rho[v];
    }
    const uint64_t tkey = hp_rng_key(200 + (uint64_t)b, 6 + seed); /* not the fit's draws */
    if (l_true > 0) {
      assert_int_equal(
          hp_count_runs_draw(NULL, 0, l_true, mus[b], 0, NV, NV, 0, NV, tkey, c, 1, &st), 0);
    } else {
      for (int64_t v = 0; v < n3; v++)
        c[v] = (int32_t)hp_poisson_draw(mus[b][v], hp_rng_uniform(hp_rng_at(tkey, (uint64_t)v, 0)));
    }
    for (int64_t v = 0; v < n3; v++) counts[v] = (float)c[v];
    free(c);
    assert_int_equal(hp_train_data_adopt(&d, rho, counts, NV, 0, "synthetic", &st), 0);
  }
  hp_count_dist dist;
  hp_count_dist_poisson(&dist, 1);
  assert_int_equal(hp_runs_fit(&d, mus, NULL, &dist, rep, 2, &st), 0);
  for (int b = 0; b < nbox; b++) free(mus[b]);
  hp_train_data_free(&d);
  return dist.run[0];
}

static void test_runs_fit_known_exclusion(void **state) {
  (void)state;
  hp_runs_report rep;
  /* a truth drawn along runs of 0.7 halos: found, and far beyond its error */
  const double l = fit_runs(0.7, 12, 0, &rep);
  printf("L_true 0.7: fitted %.3f (truth %.3f, independent %.3f, deficit error %.3f)\n", l,
         rep.truth[0], rep.independent[0], rep.deficit_err[0]);
  assert_true(fabs(l - 0.7) < 0.2);
  assert_true(rep.independent[0] - rep.truth[0] > 4 * rep.deficit_err[0]);
  /* independent truth: the deficit is noise, and no exclusion is drawn (seeds 3, 4, 6, 7, 8
     give the truth less stochasticity than the draws: a fit without the significance test
     would draw runs there) */
  for (int seed = 3; seed < 9; seed++) {
    const double l0 = fit_runs(0.0, 12, (uint64_t)seed, &rep);
    printf("L_true 0: fitted %.3f (truth %.3f, independent %.3f, deficit error %.3f)\n", l0,
           rep.truth[0], rep.independent[0], rep.deficit_err[0]);
    assert_true(isfinite(rep.deficit_err[0]) && rep.deficit_err[0] > 0);
    assert_true(fabs(rep.independent[0] - rep.truth[0]) < 3 * rep.deficit_err[0]);
    assert_true(l0 == 0);
  }
}

static void test_bad_parameters(void **state) {
  (void)state;
  hp_count_dist d = example_dist(0);
  hp_status st;
  hp_status_clear(&st);
  d.b[1] = NAN;
  hp_count_table *t = NULL;
  assert_int_not_equal(hp_count_table_create(&t, &d, &st), 0);
  assert_null(t);
  assert_non_null(strstr(st.msg, "bin 1"));
  assert_int_equal(hp_count_kind_parse("cmp"), HP_COUNT_CMP);
  assert_int_equal(hp_count_kind_parse("cmp-step"), HP_COUNT_CMP_STEP);
  d = example_dist(1);
  d.step[2] = 9; /* beyond the bound */
  assert_int_not_equal(hp_count_table_create(&t, &d, &st), 0);
  assert_non_null(strstr(st.msg, "group step of bin 2"));
  assert_int_equal(hp_count_kind_parse("binomial"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_moments_against_reference),
      cmocka_unit_test(test_mean_solve),
      cmocka_unit_test(test_draws_mean_variance),
      cmocka_unit_test(test_zero_shortcut_exact),
      cmocka_unit_test(test_gradient_finite_differences),
      cmocka_unit_test(test_learns_known_dispersion),
      cmocka_unit_test(test_expected_cells),
      cmocka_unit_test(test_runs_fit_known_exclusion),
      cmocka_unit_test(test_bad_parameters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
