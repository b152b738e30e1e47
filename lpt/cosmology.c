/*
 * Background expansion and growth factors of a Lambda-CDM cosmology with curvature.
 *
 * E^2(a) = Omega_m a^-3 + Omega_k a^-2 + Omega_L (radiation and neutrinos neglected).
 * Linear and second-order growth (Bouchet, Colombi, Hivon & Juszkiewicz 1995, A&A 296, 575;
 * Scoccimarro 1998, MNRAS 299, 1097), in x = ln a with F = 2 + dlnE/dlna and
 * S = 3/2 Omega_m(a):
 *   D1'' + F D1' - S D1 = 0,        D2'' + F D2' - S D2 = -S D1^2.
 * They are integrated for the rescaled variables u = D1/a and w = D2/a^2, which stay O(1)
 * (u = 1, w = -3/7 in Einstein-de Sitter), so that one relative tolerance fits all components:
 *   u'' = -(2 + F) u' - (1 + F - S) u
 *   w'' = -(4 + F) w' - (4 + 2F - S) w - S u^2
 * from a_i = 1e-6 with the growing mode u = 1, w = -3/7, u' = w' = 0 (i.e. D1 = a_i, D1' = a_i,
 * D2 = -3/7 a_i^2, D2' = -6/7 a_i^2) plus, for curved models, its first-order correction in a
 * (growth_series), with GSL's rk8pd stepper and standard step control
 * (relative 1e-12, absolute 1e-13), checking every status. D1 = a u / u(1), D2 = a^2 w / u(1)^2,
 * f1 = 1 + u'/u, f2 = 2 + w'/w.
 *
 * Only GSL functions that report failure through their return value are used in a way that can
 * fail (the stepper, evolve and control calls with matching dimensions); GSL's error handler is
 * never touched. An allocation failure inside gsl_odeiv2_*_alloc is reported to GSL's handler by
 * GSL itself before it returns NULL, which we then report as HP_ERR_NOMEM.
 */
#include "lpt/cosmology.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#define GROWTH_EPS_REL 1e-12
#define GROWTH_EPS_ABS 1e-13
#define GROWTH_MAX_STEPS 100000

struct hp_cosmology {
  hp_cosmo_desc desc; /* parameters as given; desc.power_file points to file_copy */
  char *file_copy;    /* owned copy of the power file name (or NULL) */
  double omega_k;     /* 1 - Omega_m - Omega_L [1] */
  double u_today;     /* u(a = 1) = D1_raw(1) of the growing mode D1_raw -> a [1] */
  hp_power *power;    /* normalised linear spectrum at z = 0 */
};

/* a^3 E^2(a) = Om + Ok a + OL a^3 */
static double e2a3(const hp_cosmology *c, double a) {
  return c->desc.omega_m + c->omega_k * a + c->desc.omega_l * a * a * a;
}

double hp_cosmo_E(const hp_cosmology *c, double a) {
  if (!(a > 0.0)) return NAN;
  const double e2 = e2a3(c, a) / (a * a * a);
  return e2 > 0.0 ? sqrt(e2) : NAN;
}

double hp_cosmo_omega_m_a(const hp_cosmology *c, double a) {
  if (!(a > 0.0)) return NAN;
  const double g = e2a3(c, a);
  return g > 0.0 ? c->desc.omega_m / g : NAN;
}

double hp_cosmo_omega_k(const hp_cosmology *c) { return c->omega_k; }

const hp_cosmo_desc *hp_cosmo_params(const hp_cosmology *c) { return &c->desc; }

/* Right-hand side in x = ln a for y = (u, u', w, w'). */
static int growth_rhs(double x, const double y[], double dydx[], void *params) {
  const hp_cosmology *c = params;
  const double a = exp(x);
  const double g = e2a3(c, a);
  if (!(g > 0.0)) return GSL_EBADFUNC;
  const double s = 1.5 * c->desc.omega_m / g; /* 3/2 Om(a) */
  const double dlne = 0.5 * (c->omega_k * a + 3.0 * c->desc.omega_l * a * a * a) / g - 1.5;
  const double f = 2.0 + dlne;
  dydx[0] = y[1];
  dydx[1] = -(2.0 + f) * y[1] - (1.0 + f - s) * y[0];
  dydx[2] = y[3];
  dydx[3] = -(4.0 + f) * y[3] - (4.0 + 2.0 * f - s) * y[2] - s * y[0] * y[0];
  return GSL_SUCCESS;
}

/* Growing mode at small a to first order in a: with kappa = Omega_k / Omega_m,
 * u = 1 - (4/7) kappa a and w = -3/7 (1 - (10/9) kappa a) (Lambda enters at order a^3).
 * Derivatives are with respect to ln a. For Omega_k = 0 this is the reference's
 * D1 = a, D1' = a, D2 = -3/7 a^2, D2' = -6/7 a^2; the order-a term keeps the start-up error of
 * curved models at O(a_i^2) instead of O(a_i). */
static void growth_series(const hp_cosmology *c, double a, double y[4]) {
  const double kappa = c->omega_k / c->desc.omega_m;
  const double alpha = -4.0 / 7.0 * kappa, beta = -10.0 / 9.0 * kappa;
  y[0] = 1.0 + alpha * a;
  y[1] = alpha * a;
  y[2] = -3.0 / 7.0 * (1.0 + beta * a);
  y[3] = -3.0 / 7.0 * beta * a;
}

/* Integrate (u, u', w, w') from a_i to a (a_i <= a); y receives the state at a. */
static int growth_integrate(const hp_cosmology *c, double a, double y[4], hp_status *st) {
  growth_series(c, HP_GROWTH_A_INIT, y);
  double x = log(HP_GROWTH_A_INIT);
  const double x1 = log(a);
  if (!(x1 > x)) return HP_OK;

  gsl_odeiv2_system sys = {growth_rhs, NULL, 4, (void *)c};
  gsl_odeiv2_step *step = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rk8pd, 4);
  gsl_odeiv2_control *con =
      gsl_odeiv2_control_standard_new(GROWTH_EPS_ABS, GROWTH_EPS_REL, 1.0, 0.0);
  gsl_odeiv2_evolve *ev = gsl_odeiv2_evolve_alloc(4);
  int rc = HP_OK;
  if (!step || !con || !ev) {
    rc = hp_fail(st, HP_ERR_NOMEM, "growth factors: cannot allocate the GSL ODE integrator");
    goto cleanup;
  }
  double h = 1e-3;
  long n = 0;
  while (x < x1) {
    const int s = gsl_odeiv2_evolve_apply(ev, con, step, &sys, &x, x1, &h, y);
    if (s != GSL_SUCCESS) {
      rc = hp_fail(st, HP_ERR_NUMERIC,
                   "growth factors: the ODE integrator failed at a = %.6g on the way to a = %.6g "
                   "(GSL status %d: %s)",
                   exp(x), a, s, gsl_strerror(s));
      goto cleanup;
    }
    if (++n > GROWTH_MAX_STEPS) {
      rc = hp_fail(st, HP_ERR_NUMERIC,
                   "growth factors: more than %d ODE steps between a = %g and a = %.6g (stopped at "
                   "a = %.6g)",
                   GROWTH_MAX_STEPS, HP_GROWTH_A_INIT, a, exp(x));
      goto cleanup;
    }
  }

cleanup:
  if (ev) gsl_odeiv2_evolve_free(ev);
  if (con) gsl_odeiv2_control_free(con);
  if (step) gsl_odeiv2_step_free(step);
  return rc;
}

int hp_cosmo_growth(const hp_cosmology *c, double a, hp_growth *g, hp_status *st) {
  if (!(a > 0.0))
    return hp_fail(st, HP_ERR_INPUT, "growth factors: scale factor a = %g must be positive", a);
  if (!(a <= 1.0))
    return hp_fail(st, HP_ERR_INPUT,
                   "growth factors: scale factor a = %g is beyond today (a <= 1, redshift >= 0)",
                   a);
  const double u1 = c->u_today;
  double y[4];
  if (a < HP_GROWTH_A_INIT) { /* the growing-mode series the integration starts from */
    growth_series(c, a, y);
  } else {
    const int rc = growth_integrate(c, a, y, st);
    if (rc) return rc;
  }
  g->D1 = a * y[0] / u1;
  g->f1 = 1.0 + y[1] / y[0];
  g->D2 = a * a * y[2] / (u1 * u1);
  g->f2 = 2.0 + y[3] / y[2];
  return HP_OK;
}

double hp_cosmo_transfer(const hp_cosmology *c, double k) { return hp_power_transfer(c->power, k); }

double hp_cosmo_power(const hp_cosmology *c, double k) { return hp_power_eval(c->power, k); }

double hp_cosmo_sigma(const hp_cosmology *c, double R) { return hp_power_sigma(c->power, R); }

double hp_cosmo_amplitude(const hp_cosmology *c) { return hp_power_amplitude(c->power); }

const hp_power *hp_cosmo_spectrum(const hp_cosmology *c) { return c->power; }

void hp_cosmology_free(hp_cosmology *c) {
  if (!c) return;
  hp_power_free(c->power);
  free(c->file_copy);
  free(c);
}

/* Refuse cosmologies with E^2(a) <= 0 somewhere in 0 < a <= 1. g(a) = a^3 E^2 is a cubic with
 * g(0) = Om > 0 and g(1) = 1; it can dip below zero only at its interior minimum
 * a* = sqrt(-Ok / (3 OL)), which exists when OL > 0 and Ok < 0. */
static int check_background(const hp_cosmology *c, hp_status *st) {
  const double ol = c->desc.omega_l, ok = c->omega_k;
  if (ol > 0.0 && ok < 0.0) {
    const double astar = sqrt(-ok / (3.0 * ol));
    if (astar < 1.0) {
      const double g = e2a3(c, astar);
      if (!(g > 0.0))
        return hp_fail(st, HP_ERR_INPUT,
                       "Omega0 = %g, OmegaLambda = %g (Omega_k = %g): E^2(a) = %g is not "
                       "positive at a = %.4g, so this closed universe bounces before today; "
                       "lower Omega_Lambda or raise Omega_m",
                       c->desc.omega_m, ol, ok, g / (astar * astar * astar), astar);
    }
  }
  return HP_OK;
}

int hp_cosmology_create(hp_cosmology **out, const hp_cosmo_desc *d, hp_status *st) {
  *out = NULL;
  if (!(d->omega_m > 0.0) || !isfinite(d->omega_m))
    return hp_fail(st, HP_ERR_INPUT, "Omega0 (Omega_m) = %g must be positive", d->omega_m);
  if (!isfinite(d->omega_l))
    return hp_fail(st, HP_ERR_INPUT, "OmegaLambda = %g must be finite", d->omega_l);
  if (!(d->omega_b >= 0.0) || !(d->omega_b < d->omega_m))
    return hp_fail(st, HP_ERR_INPUT, "OmegaBaryon = %g must be in [0, Omega0 = %g)", d->omega_b,
                   d->omega_m);
  if (!(d->h > 0.0) || !isfinite(d->h))
    return hp_fail(st, HP_ERR_INPUT, "HubbleParam = %g must be positive", d->h);

  hp_cosmology *c = calloc(1, sizeof *c);
  if (!c) return hp_fail(st, HP_ERR_NOMEM, "cannot allocate the cosmology");
  c->desc = *d;
  c->desc.power_file = NULL;
  if (d->power == HP_POWER_FILE) {
    if (d->power_file_column == 0) c->desc.power_file_column = 2;
    if (d->power_file) {
      const size_t len = strlen(d->power_file) + 1;
      c->file_copy = malloc(len);
      if (!c->file_copy) {
        hp_cosmology_free(c);
        return hp_fail(st, HP_ERR_NOMEM, "cannot copy the power file name");
      }
      memcpy(c->file_copy, d->power_file, len);
      c->desc.power_file = c->file_copy;
    }
  }
  c->omega_k = 1.0 - d->omega_m - d->omega_l;

  int rc = check_background(c, st);
  if (rc) goto fail;

  /* growth normalisation u(a = 1) */
  double y[4];
  rc = growth_integrate(c, 1.0, y, st);
  if (rc) goto fail;
  if (!(y[0] > 0.0) || !isfinite(y[0])) {
    rc = hp_fail(st, HP_ERR_NUMERIC, "growth factors: D1(a = 1) = %g is not positive", y[0]);
    goto fail;
  }
  c->u_today = y[0];

  const hp_power_desc pd = {.kind = d->power,
                            .omega_m = d->omega_m,
                            .omega_b = d->omega_b,
                            .h = d->h,
                            .t_cmb = d->t_cmb,
                            .n_s = d->n_s,
                            .sigma8 = d->sigma8,
                            .file = d->power_file,
                            .file_type = d->power_file_type,
                            .file_column = d->power_file_column};
  rc = hp_power_create(&c->power, &pd, st);
  if (rc) {
    hp_error_context(st, "linear power spectrum");
    goto fail;
  }
  *out = c;
  return HP_OK;

fail:
  hp_cosmology_free(c);
  return rc;
}
