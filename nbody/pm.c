/*
 * Particle-mesh N-body: plan, time steps and the FastPM kick-drift-kick integrator (Feng, Chu,
 * Seljak & McDonald 2016, MNRAS 463, 2273, section 2.1). The growth functions of lpt/cosmology
 * give the factors that make linear growth exact for any step:
 *   g_p(a) = a^2 E f1 D1 (momentum per psi), and by the growth ODE
 *   d g_p/da = 3/2 Omega_m D1 / (a^2 E), so the linear force 3/2 Omega_m A / a with A = D1 psi
 *   integrates over a kick to exactly A [g_p(a_b) - g_p(a_a)] / D1(a_force),
 *   and the drift p da / (a^3 E) to exactly p [D1(a1) - D1(a0)] / g_p(a_c).
 * The derivation is in docs/nbody.md; the mesh force is in pm_force.c.
 */
#include "nbody/pm.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nbody/pm_internal.h"
#include "util/fftw_threads.h"

static void zero_floats(float *a, size_t n, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (size_t i = 0; i < n; i++) a[i] = 0.0f;
}

int hp_pm_create(hp_pm **out, const hp_pm_desc *d, hp_status *st) {
  *out = NULL;
  if (d->np < 2 || d->np % 2)
    return hp_fail(st, HP_ERR_INPUT, "PM: NParticles = %lld must be even and >= 2 (no particles?)",
                   (long long)d->np);
  if (!(d->box > 0) || !isfinite(d->box))
    return hp_fail(st, HP_ERR_INPUT, "PM: BoxSize = %g must be finite and > 0", d->box);
  if (d->grid_factor < 1 || d->grid_factor > 3)
    return hp_fail(st, HP_ERR_INPUT, "PM: PMGridFactor = %d must be 1, 2 or 3", d->grid_factor);
  if (d->kernel < HP_PM_KERNEL_1_4 || d->kernel > HP_PM_KERNEL_SPECTRAL)
    return hp_fail(st, HP_ERR_INPUT, "PM: unknown force kernel %d", d->kernel);
  if (d->np * d->grid_factor > 65536)
    return hp_fail(st, HP_ERR_INPUT, "PM: mesh %lld^3 too large",
                   (long long)(d->np * d->grid_factor));
  hp_pm *pm = calloc(1, sizeof *pm);
  if (!pm) return hp_fail(st, HP_ERR_NOMEM, "PM: cannot allocate the plan");
  pm->d = *d;
  if (pm->d.nthreads <= 0) pm->d.nthreads = omp_get_max_threads();
  const int nt = pm->d.nthreads;
  const int64_t nv = d->np * d->grid_factor, np3 = d->np * d->np * d->np;
  pm->nv = nv;
  pm->nzc = nv / 2 + 1;
  pm->pad = 2 * pm->nzc;
  pm->h = d->box / (double)nv;
  const size_t nk = (size_t)(nv * nv * pm->nzc), n3 = (size_t)(nv * nv * nv);
  const size_t nline = (size_t)nt * HP_PM_LINE_BLOCK;
  pm->mk = fftwf_malloc(nk * sizeof(fftwf_complex));
  pm->mg = fftwf_malloc(n3 * sizeof(float));
  pm->acc = fftwf_malloc((size_t)np3 * sizeof(float));
  pm->ktab = malloc((size_t)nv * sizeof(float));
  pm->kline = malloc((size_t)pm->nzc * sizeof(float));
  pm->bytes = nk * sizeof(fftwf_complex) + n3 * sizeof(float) + (size_t)np3 * sizeof(float) +
              (size_t)(nv + pm->nzc) * sizeof(float);
  if (d->kernel == HP_PM_KERNEL_SPECTRAL) {
    pm->linebuf = fftwf_malloc(nline * (size_t)nv * sizeof(float));
    pm->linec = fftwf_malloc(nline * (size_t)pm->nzc * sizeof(fftwf_complex));
    pm->bytes += nline * (size_t)nv * sizeof(float) + nline * (size_t)pm->nzc * 8;
    if (!pm->linebuf || !pm->linec) goto nomem;
  }
  if (!pm->mk || !pm->mg || !pm->acc || !pm->ktab || !pm->kline) goto nomem;
  zero_floats((float *)pm->mk, 2 * nk, nt);
  zero_floats(pm->mg, n3, nt);
  zero_floats(pm->acc, (size_t)np3, nt);
  for (int64_t i = 0; i < nv; i++) {
    const double k = 2.0 * M_PI / d->box * (double)(i <= nv / 2 ? i : i - nv);
    double k2 = k * k;
    if (d->kernel == HP_PM_KERNEL_3_4) {
      const double s = 2.0 * sin(0.5 * k * pm->h) / pm->h;
      k2 = s * s;
    }
    pm->ktab[i] = (float)k2;
  }
  for (int64_t m = 0; m < pm->nzc; m++)
    pm->kline[m] = m == nv / 2 ? 0.0f : (float)(2.0 * M_PI / d->box * (double)m);
  if (hp_cic_plan_create(&pm->cic, nv, d->box, nt, st)) {
    hp_pm_destroy(pm);
    return hp_error_context(st, "PM");
  }
  pm->bytes += hp_cic_plan_workspace_bytes(pm->cic);
#pragma omp critical(hp_fftw_planner)
  {
    const int n = (int)nv, LB = HP_PM_LINE_BLOCK, nc = (int)pm->nzc;
    hp_fftw_threads(nt);
    pm->r2c = fftwf_plan_dft_r2c_3d(n, n, n, pm->mg, pm->mk, FFTW_ESTIMATE);
    pm->c2r = fftwf_plan_dft_c2r_3d(n, n, n, pm->mk, (float *)pm->mk, FFTW_ESTIMATE);
    if (pm->linebuf) {
      fftwf_plan_with_nthreads(1);
      pm->l_r2c = fftwf_plan_many_dft_r2c(1, &n, LB, pm->linebuf, NULL, 1, n, pm->linec, NULL, 1,
                                          nc, FFTW_ESTIMATE);
      pm->l_c2r = fftwf_plan_many_dft_c2r(1, &n, LB, pm->linec, NULL, 1, nc, pm->linebuf, NULL, 1,
                                          n, FFTW_ESTIMATE);
    }
  }
  if (!pm->r2c || !pm->c2r || (pm->linebuf && (!pm->l_r2c || !pm->l_c2r))) {
    hp_pm_destroy(pm);
    return hp_fail(st, HP_ERR_INTERNAL, "PM: FFTW could not plan a %lld^3 transform",
                   (long long)nv);
  }
  *out = pm;
  return HP_OK;
nomem:
  hp_pm_destroy(pm);
  return hp_fail(st, HP_ERR_NOMEM, "PM: cannot allocate %.1f MB for a %lld^3 mesh",
                 (double)(nk * 8 + n3 * 4 + (size_t)np3 * 4) / 1e6, (long long)nv);
}

void hp_pm_destroy(hp_pm *pm) {
  if (!pm) return;
  fftwf_plan plans[] = {pm->r2c, pm->c2r, pm->l_r2c, pm->l_c2r};
  for (size_t i = 0; i < sizeof plans / sizeof *plans; i++)
    if (plans[i]) fftwf_destroy_plan(plans[i]);
  fftwf_free(pm->mk);
  fftwf_free(pm->mg);
  fftwf_free(pm->acc);
  fftwf_free(pm->linebuf);
  fftwf_free(pm->linec);
  free(pm->ktab);
  free(pm->kline);
  hp_cic_plan_destroy(pm->cic);
  free(pm);
}

size_t hp_pm_bytes(const hp_pm *pm) { return pm->bytes; }
const hp_pm_desc *hp_pm_get_desc(const hp_pm *pm) { return &pm->d; }
hp_pm_counters hp_pm_get_counters(const hp_pm *pm) { return pm->cnt; }
float *hp_pm_scratch(hp_pm *pm, size_t *nfloats) {
  *nfloats = (size_t)(pm->nv * pm->nv * pm->nv);
  return pm->mg;
}

/* ---------------------------------------------------------------------------------------- */
/* Schedule */

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void hp_pm_schedule_free(hp_pm_schedule *s) {
  free(s->a);
  free(s->ac);
  free(s->out);
  free(s->a_out);
  memset(s, 0, sizeof *s);
}

int hp_pm_schedule_make(hp_pm_schedule *s, double a_start, const double *a_out, int n_out,
                        int nsteps, int spacing, hp_status *st) {
  memset(s, 0, sizeof *s);
  if (nsteps < 1) return hp_fail(st, HP_ERR_INPUT, "PMSteps = %d must be >= 1", nsteps);
  if (spacing != HP_PM_LINEAR && spacing != HP_PM_LOG)
    return hp_fail(st, HP_ERR_INPUT, "PM step spacing %d must be Linear (0) or Log (1)", spacing);
  if (!(a_start > 0 && a_start < 1))
    return hp_fail(st, HP_ERR_INPUT, "PM start a = %g (z = %g) must be in (0, 1)", a_start,
                   1 / a_start - 1);
  if (n_out < 1 || !a_out) return hp_fail(st, HP_ERR_INPUT, "OutputRedshifts: no redshift given");
  s->a_out = malloc((size_t)n_out * sizeof(double));
  s->a = malloc((size_t)(nsteps + n_out + 1) * sizeof(double));
  s->ac = malloc((size_t)(nsteps + n_out) * sizeof(double));
  s->out = malloc((size_t)(nsteps + n_out + 1) * sizeof(int));
  if (!s->a_out || !s->a || !s->ac || !s->out) {
    hp_pm_schedule_free(s);
    return hp_fail(st, HP_ERR_NOMEM, "PM: cannot allocate the step schedule");
  }
  const double zi = 1 / a_start - 1;
  for (int i = 0; i < n_out; i++) {
    const double a = a_out[i], z = 1 / a - 1;
    if (!(a > a_start) || !(a <= 1 + 1e-12) || !isfinite(a)) {
      hp_pm_schedule_free(s);
      return hp_fail(st, HP_ERR_INPUT,
                     "OutputRedshifts: z = %g must be >= 0 and below RedshiftIC = %g", z, zi);
    }
    s->a_out[i] = fmin(a, 1.0);
  }
  qsort(s->a_out, (size_t)n_out, sizeof(double), cmp_double);
  for (int i = 1; i < n_out; i++)
    if (s->a_out[i] - s->a_out[i - 1] <= 1e-9 * s->a_out[i]) {
      const double z = 1 / s->a_out[i] - 1;
      hp_pm_schedule_free(s);
      return hp_fail(st, HP_ERR_INPUT, "OutputRedshifts: z = %g is given twice", z);
    }
  const double a_end = s->a_out[n_out - 1];
  /* the uniform grid, then outputs merged (snapped or inserted) in increasing order */
  double *b = s->a;
  for (int k = 0; k <= nsteps; k++) {
    const double t = (double)k / nsteps;
    b[k] = spacing == HP_PM_LINEAR ? a_start + (a_end - a_start) * t
                                   : exp(log(a_start) + (log(a_end) - log(a_start)) * t);
  }
  b[0] = a_start;
  b[nsteps] = a_end;
  int n = nsteps;
  for (int i = 0; i < n_out - 1; i++) {
    const double ao = s->a_out[i];
    int k = 1;
    while (k < n && b[k] < ao * (1 - 1e-9)) k++;
    if (fabs(b[k] - ao) <= 1e-9 * ao) {
      b[k] = ao;
    } else { /* b[k-1] < ao < b[k]: insert */
      memmove(b + k + 1, b + k, (size_t)(n + 1 - k) * sizeof(double));
      b[k] = ao;
      n++;
    }
  }
  s->n = n;
  s->n_out = n_out;
  s->spacing = spacing;
  s->requested = nsteps;
  for (int k = 0; k < n; k++)
    s->ac[k] = spacing == HP_PM_LINEAR ? 0.5 * (b[k] + b[k + 1]) : sqrt(b[k] * b[k + 1]);
  for (int k = 0, o = 0; k <= n; k++) s->out[k] = (o < n_out && b[k] == s->a_out[o]) ? o++ : -1;
  return HP_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* State */

int hp_pm_state_alloc(hp_pm_state *s, int64_t np, int nthreads, hp_status *st) {
  memset(s, 0, sizeof *s);
  if (np < 2) return hp_fail(st, HP_ERR_INPUT, "PM state: np = %lld must be >= 2", (long long)np);
  if (nthreads <= 0) nthreads = omp_get_max_threads();
  s->np = np;
  const size_t n3 = (size_t)(np * np * np);
  for (int a = 0; a < 3; a++) {
    s->disp[a] = fftwf_malloc(n3 * sizeof(float));
    s->mom[a] = fftwf_malloc(n3 * sizeof(float));
    if (!s->disp[a] || !s->mom[a]) {
      hp_pm_state_free(s);
      return hp_fail(st, HP_ERR_NOMEM, "PM state: cannot allocate %.1f MB", 24.0 * n3 / 1e6);
    }
    zero_floats(s->disp[a], n3, nthreads);
    zero_floats(s->mom[a], n3, nthreads);
  }
  return HP_OK;
}

void hp_pm_state_free(hp_pm_state *s) {
  for (int a = 0; a < 3; a++) {
    fftwf_free(s->disp[a]);
    fftwf_free(s->mom[a]);
    s->disp[a] = s->mom[a] = NULL;
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Time stepping */

int hp_pm_gp(const hp_cosmology *c, double a, double *gp, double *d1, hp_status *st) {
  hp_growth g;
  if (hp_cosmo_growth(c, a, &g, st)) return hp_error_context(st, "PM growth factors");
  *gp = a * a * hp_cosmo_E(c, a) * g.f1 * g.D1;
  if (d1) *d1 = g.D1;
  return HP_OK;
}

static int check_state(const hp_pm *pm, const hp_pm_state *s, hp_status *st) {
  if (!s || s->np != pm->d.np)
    return hp_fail(st, HP_ERR_INPUT,
                   "PM: the particle state (np = %lld) does not match the plan "
                   "(np = %lld)",
                   s ? (long long)s->np : 0LL, (long long)pm->d.np);
  for (int a = 0; a < 3; a++)
    if (!s->disp[a] || !s->mom[a])
      return hp_fail(st, HP_ERR_INPUT, "PM: the particle state has no arrays (empty set)");
  return HP_OK;
}

int hp_pm_force(hp_pm *pm, const hp_pm_state *s, float *const acc[3], hp_status *st) {
  if (check_state(pm, s, st)) return st->code;
  if (hp_pm_potential(pm, s, st)) return st->code;
  const size_t n3 = (size_t)(s->np * s->np * s->np);
  for (int a = 0; a < 3; a++) {
    if (hp_pm_force_axis(pm, s, a, st)) return st->code;
    memcpy(acc[a], pm->acc, n3 * sizeof(float));
  }
  return HP_OK;
}

/* Force at the current positions and p += f * A on every axis. */
static int kick(hp_pm *pm, hp_pm_state *s, double f, hp_status *st) {
  if (hp_pm_potential(pm, s, st)) return st->code;
  const int64_t n3 = s->np * s->np * s->np;
  const float ff = (float)f;
  for (int a = 0; a < 3; a++) {
    if (hp_pm_force_axis(pm, s, a, st)) return st->code;
    const double t0 = omp_get_wtime();
    float *p = s->mom[a];
    const float *acc = pm->acc;
#pragma omp parallel for num_threads(pm->d.nthreads) schedule(static)
    for (int64_t i = 0; i < n3; i++) p[i] += ff * acc[i];
    pm->cnt.t_kickdrift += omp_get_wtime() - t0;
  }
  return HP_OK;
}

static void drift(hp_pm *pm, hp_pm_state *s, double f) {
  const double t0 = omp_get_wtime();
  const int64_t n3 = s->np * s->np * s->np;
  const float ff = (float)f;
  for (int a = 0; a < 3; a++) {
    float *x = s->disp[a];
    const float *p = s->mom[a];
#pragma omp parallel for num_threads(pm->d.nthreads) schedule(static)
    for (int64_t i = 0; i < n3; i++) x[i] += ff * p[i];
  }
  pm->cnt.t_kickdrift += omp_get_wtime() - t0;
}

int hp_pm_run(hp_pm *pm, const hp_cosmology *c, hp_pm_state *s, const hp_pm_schedule *sch,
              hp_pm_step_fn on_step, hp_pm_output_fn on_output, void *user, hp_status *st) {
  if (check_state(pm, s, st)) return st->code;
  if (!sch || sch->n < 1 || !sch->a) return hp_fail(st, HP_ERR_INPUT, "PM: empty step schedule");
  if (!(fabs(s->a - sch->a[0]) <= 1e-12 * sch->a[0]))
    return hp_fail(st, HP_ERR_INPUT,
                   "PM: the particles are at a = %.9g, the schedule starts at "
                   "a = %.9g",
                   s->a, sch->a[0]);
  const int n = sch->n;
  double *D = malloc((size_t)(2 * n + 1) * 2 * sizeof(double));
  if (!D) return hp_fail(st, HP_ERR_NOMEM, "PM: cannot allocate the growth table");
  double *gp = D + (2 * n + 1), *gc = gp + (n + 1), *Dc = D + (n + 1);
  int rc = HP_OK;
  for (int k = 0; k <= n && !rc; k++) rc = hp_pm_gp(c, sch->a[k], &gp[k], &D[k], st);
  for (int k = 0; k < n && !rc; k++) rc = hp_pm_gp(c, sch->ac[k], &gc[k], &Dc[k], st);
  if (rc) goto done;
  const double t_run = omp_get_wtime();
  double cb_time = 0.0;
  /* first half kick (force at a[0]) */
  if ((rc = kick(pm, s, (gc[0] - gp[0]) / D[0], st))) goto fail;
  for (int k = 0; k < n; k++) {
    const double t_step = omp_get_wtime();
    drift(pm, s, (D[k + 1] - D[k]) / gc[k]);
    s->a = sch->a[k + 1];
    const int sync = k + 1 == n || sch->out[k + 1] >= 0;
    const double f = sync ? (gp[k + 1] - gc[k]) / D[k + 1] : (gc[k + 1] - gc[k]) / D[k + 1];
    if ((rc = kick(pm, s, f, st))) goto fail;
    pm->cnt.steps++;
    pm->cnt.t_total = omp_get_wtime() - t_run - cb_time;
    const double t_cb = omp_get_wtime();
    if (on_step) {
      hp_pm_step_info info = {k + 1, n, sch->a[k], sch->a[k + 1], t_cb - t_step, pm->cnt};
      on_step(user, &info);
    }
    if (sch->out[k + 1] >= 0 && on_output && (rc = on_output(user, sch->out[k + 1], s, st))) {
      hp_error_context(st, "PM output at a = %.6g", s->a);
      goto done;
    }
    cb_time += omp_get_wtime() - t_cb;
    /* after a synchronised output inside the run: the next half kick from a[k+1] */
    if (sync && k + 1 < n && (rc = kick(pm, s, (gc[k + 1] - gp[k + 1]) / D[k + 1], st))) goto fail;
  }
  pm->cnt.t_total = omp_get_wtime() - t_run - cb_time;
  goto done;
fail:
  hp_error_context(st, "PM step to a = %.6g", s->a);
done:
  free(D);
  return rc;
}
