/*
 * Halofit tests (lpt/halofit.h): k_sigma, n_eff, C and the nonlinear P(k) of Takahashi et al.
 * 2012 at z = 0 and 1 against the independent Python program in tests/test_massfunction.c
 * (same cosmology, EH98 no-wiggle, its own Simpson quadratures and bisection); the linear limits
 * (large scales, very early times); bad input.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lpt/cosmology.h"
#include "lpt/halofit.h"

/* z, k_sigma [h/Mpc], n_eff, C */
static const double SCALES[][4] = {
    {0, 0.3656840985, -1.746541821, 0.3509480822},
    {1, 0.8969209048, -2.009582524, 0.2419054348},
};
/* z, k [h/Mpc], P_lin, P_NL [(Mpc/h)^3] */
static const double PK[][4] = {
    {0, 0.01, 20318.48038, 20187.60552}, {0, 0.1, 5704.019823, 5825.305583},
    {0, 0.5, 309.5118997, 772.0146232},  {0, 1, 66.38078925, 394.8385698},
    {0, 3, 4.823839704, 94.03749047},    {0, 10, 0.227247139, 9.155815847},
    {1, 0.01, 7480.252552, 7462.182544}, {1, 0.1, 2099.936021, 2112.71638},
    {1, 0.5, 113.9468668, 187.8834445},  {1, 1, 24.43810063, 79.03430689},
    {1, 3, 1.775897537, 20.24248513},    {1, 10, 0.08366107894, 2.400354146},
};

static hp_cosmology *cosmo(void) {
  hp_cosmo_desc d = {0.315, 0.685, 0.049, 0.68, 0.81, 0.97, 2.7255, HP_POWER_EH98_NOWIGGLE,
                     NULL,  0,     0};
  hp_cosmology *c = NULL;
  hp_status st;
  assert_int_equal(hp_cosmology_create(&c, &d, &st), 0);
  return c;
}

static void test_against_python(void **state) {
  (void)state;
  hp_cosmology *c = cosmo();
  hp_status st;
  for (int iz = 0; iz < 2; iz++) {
    hp_halofit h;
    assert_int_equal(hp_halofit_init(&h, c, SCALES[iz][0], &st), 0);
    printf("z %g: k_sigma %.6f (ref %.6f) n_eff %.6f (%.6f) C %.6f (%.6f)\n", h.z, h.k_sigma,
           SCALES[iz][1], h.n_eff, SCALES[iz][2], h.C, SCALES[iz][3]);
    assert_false(h.linear);
    assert_true(fabs(h.k_sigma / SCALES[iz][1] - 1) < 1e-7);
    assert_true(fabs(h.n_eff - SCALES[iz][2]) < 1e-7);
    assert_true(fabs(h.C - SCALES[iz][3]) < 1e-7);
    for (size_t i = 0; i < sizeof PK / sizeof PK[0]; i++) {
      if (PK[i][0] != h.z) continue;
      const double pl = hp_halofit_linear(&h, PK[i][1]), pn = hp_halofit_power(&h, PK[i][1]);
      printf("  k %g: P_lin %.4e (%.1e)  P_NL %.4e (%.1e)\n", PK[i][1], pl, pl / PK[i][2] - 1, pn,
             pn / PK[i][3] - 1);
      assert_true(fabs(pl / PK[i][2] - 1) < 1e-6);
      assert_true(fabs(pn / PK[i][3] - 1) < 1e-7);
    }
  }
  hp_cosmology_free(c);
}

static void test_linear_limits(void **state) {
  (void)state;
  hp_cosmology *c = cosmo();
  hp_status st;
  hp_halofit h;
  assert_int_equal(hp_halofit_init(&h, c, 0.0, &st), 0);
  /* large scales: within 1% of linear; small scales: much more power */
  assert_true(fabs(hp_halofit_power(&h, 1e-3) / hp_halofit_linear(&h, 1e-3) - 1) < 0.01);
  assert_true(hp_halofit_power(&h, 2.0) > 5 * hp_halofit_linear(&h, 2.0));
  /* z = 3000: sigma < 1 on every scale: linear */
  assert_int_equal(hp_halofit_init(&h, c, 3000.0, &st), 0);
  assert_true(h.linear);
  assert_true(hp_halofit_power(&h, 5.0) == hp_halofit_linear(&h, 5.0));
  assert_int_equal(hp_halofit_init(&h, c, -1.0, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "z = -1"));
  hp_cosmology_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_python),
      cmocka_unit_test(test_linear_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
