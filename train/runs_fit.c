/*
 * The exclusion run length of each mass bin (nn/count_runs.h), fitted on the training boxes
 * after the dispersion (train/dispersion.h): the counts drawn along runs of length L should
 * scatter about the matter on large scales as the truth's do. The statistic is the one the
 * validation reports, the halo stochasticity (P_hh - P_hm^2 / P_mm) n over the modes of
 * wavelength 16 voxels and longer (k <= 0.098 h/Mpc at 4 Mpc/h voxels and 64^3; 1 for
 * Poisson points that follow the matter), with m the box's input density, averaged over the
 * whole training boxes. The truth's is measured once; the sampled one at L = 0, 0.05, .., 1
 * with the same random numbers at every L (so that it falls smoothly with L), averaged over
 * RUN_DRAWS draws; L is where the two meet. L is 0 where even independent draws scatter less than
 * the truth (light halos are super-Poisson, which runs cannot make), and where the truth's
 * deficit is within RUN_SIGNIF errors of its mean over the boxes (few boxes, few modes: an
 * exclusion the data do not show is not drawn).
 */
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/count_runs.h"
#include "train/dispersion.h"
#include "util/memory.h"
#include "util/rng.h"

#define RUN_WAVE 16  /* the longest modes: wavelengths of at least this many voxels */
#define RUN_STEPS 20 /* L = 0 .. 1 in steps of 1 / RUN_STEPS */
#define RUN_DRAWS 2
/* An exclusion is fitted only where the boxes agree on it: the truth's stochasticity below the
 * independent draws' by more than RUN_SIGNIF errors of the mean over boxes (a box of 40^3 voxels
 * has some 30 such modes: one box's value scatters by a quarter) */
#define RUN_SIGNIF 2.0

/* One box size's transform: a real grid in, its half-complex transform out (FFTW's layout). */
typedef struct fourier {
  int64_t nv;
  float *in;
  fftwf_complex *out, *dm; /* the transform; the matter's of the current box */
  fftwf_plan plan;
} fourier;

static int fourier_plan(fourier *f, int64_t nv, hp_status *st) {
  if (f->nv == nv) return HP_OK;
  if (f->plan) fftwf_destroy_plan(f->plan);
  fftwf_free(f->in), fftwf_free(f->out), fftwf_free(f->dm);
  const size_t nh = (size_t)(nv * nv * (nv / 2 + 1));
  f->nv = nv;
  f->in = fftwf_alloc_real((size_t)(nv * nv * nv));
  f->out = fftwf_alloc_complex(nh), f->dm = fftwf_alloc_complex(nh);
  f->plan = f->in && f->out && f->dm
                ? fftwf_plan_dft_r2c_3d((int)nv, (int)nv, (int)nv, f->in, f->out, FFTW_ESTIMATE)
                : NULL;
  return f->plan ? HP_OK
                 : hp_fail(st, HP_ERR_NOMEM, "run fit: cannot plan a %lld^3 FFT", (long long)nv);
}

static void fourier_free(fourier *f) {
  if (f->plan) fftwf_destroy_plan(f->plan);
  fftwf_free(f->in), fftwf_free(f->out), fftwf_free(f->dm);
}

/* The contrast x / mean(x) - 1 of a float grid (c NULL) or of counts, transformed into out.
 * @return the grid's total. */
static double transform(fourier *f, const float *x, const int32_t *c) {
  const int64_t n3 = f->nv * f->nv * f->nv;
  double tot = 0;
  for (int64_t i = 0; i < n3; i++) tot += x ? x[i] : c[i];
  const double mean = tot / (double)n3;
  for (int64_t i = 0; i < n3; i++) f->in[i] = (float)((x ? x[i] : c[i]) / mean - 1.0);
  fftwf_execute(f->plan);
  return tot;
}

/* (P_hh - P_hm^2 / P_mm) n over the longest modes, for the halos in f->out, the matter in
 * f->dm (unnormalised transforms: P = |d|^2 V / n^6, n = N / V). */
static double stochasticity(const fourier *f, double halos) {
  const int64_t nv = f->nv, nh = nv / 2 + 1, kmax = nv / RUN_WAVE;
  double sum = 0, modes = 0;
  for (int64_t i = 0; i < nv; i++)
    for (int64_t j = 0; j < nv; j++)
      for (int64_t l = 0; l <= kmax && l < nh; l++) {
        const int64_t ki = i <= nv / 2 ? i : i - nv, kj = j <= nv / 2 ? j : j - nv;
        const int64_t k2 = ki * ki + kj * kj + l * l;
        if (k2 == 0 || k2 > kmax * kmax) continue;
        const size_t at = (size_t)((i * nv + j) * nh + l);
        const double complex h = f->out[at], m = f->dm[at];
        const double pmm = creal(m * conj(m)), phm = creal(h * conj(m));
        const double w = l > 0 && l < nv - l ? 2 : 1; /* the conjugate half */
        if (pmm > 0) sum += w * (creal(h * conj(h)) - phm * phm / pmm), modes += w;
      }
  return modes > 0 ? sum / modes * halos / ((double)nv * nv * nv * nv * nv * nv) : NAN;
}

int hp_runs_fit(const hp_train_data *data, float *const *mus, const hp_count_table *t,
                hp_count_dist *d, hp_runs_report *rep, int nthreads, hp_status *st) {
  int64_t nmax = 0;
  int boxes = 0; /* whole training boxes: the modes need the whole box */
  for (int bi = 0; bi < data->nbox; bi++) {
    const hp_train_box *b = &data->box[bi];
    if (b->validation || b->train_nx < b->nv || b->nv < RUN_WAVE) continue;
    boxes++;
    if (b->nv > nmax) nmax = b->nv;
  }
  for (int k = 0; k < data->k; k++)
    d->run[k] = 0, rep->truth[k] = rep->independent[k] = rep->deficit_err[k] = NAN;
  if (!boxes) return HP_OK; /* nothing to fit on: independent draws */
  int32_t *c = hp_alloc(sizeof *c * (size_t)(nmax * nmax * nmax), "run fit", st);
  double *truth = calloc((size_t)data->k, sizeof *truth),
         *sampled = calloc((size_t)(data->k * (RUN_STEPS + 1)), sizeof *sampled),
         *dsum = calloc((size_t)(2 * data->k), sizeof *dsum); /* per-box deficits: sum, squares */
  fourier f = {0};
  int rc =
      c && truth && sampled && dsum ? HP_OK : hp_fail(st, HP_ERR_NOMEM, "run fit: out of memory");
  /* every box once: its matter, then each bin's truth and draws at every L */
  for (int bi = 0; bi < data->nbox && !rc; bi++) {
    const hp_train_box *b = &data->box[bi];
    if (b->validation || b->train_nx < b->nv || b->nv < RUN_WAVE) continue;
    if ((rc = fourier_plan(&f, b->nv, st))) break;
    const int64_t n3 = b->nv * b->nv * b->nv;
    transform(&f, b->rho, NULL);
    memcpy(f.dm, f.out, sizeof *f.out * (size_t)(b->nv * b->nv * (b->nv / 2 + 1)));
    for (int k = 0; k < data->k && !rc; k++) {
      const double nt = transform(&f, b->counts + k * n3, NULL);
      const double tb = nt > 0 ? stochasticity(&f, nt) : 0;
      double ib = 0; /* this box's independent draws */
      truth[k] += tb / boxes;
      const float *mu = mus[bi] + k * n3;
      for (int step = 0; step <= RUN_STEPS && !rc; step++) {
        const double L = (double)step / RUN_STEPS;
        for (int dr = 0; dr < RUN_DRAWS && !rc; dr++) {
          const uint64_t key = hp_rng_key((uint64_t)(bi * RUN_DRAWS + dr), 0x72756e73ULL);
          if (L > 0) {
            rc = hp_count_runs_draw(t, k, L, mu, 0, b->nv, b->nv, 0, b->nv, key, c, nthreads, st);
          } else {
            for (int64_t v = 0; v < n3; v++) {
              const double u = hp_rng_uniform(hp_rng_at(key, (uint64_t)v, 0));
              c[v] = (int32_t)(t ? hp_count_draw(t, k, mu[v], u) : hp_poisson_draw(mu[v], u));
            }
          }
          const double ns = rc ? 0 : transform(&f, NULL, c);
          const double sb = ns > 0 ? stochasticity(&f, ns) / RUN_DRAWS : 0;
          sampled[k * (RUN_STEPS + 1) + step] += sb / boxes;
          if (step == 0) ib += sb;
        }
      }
      dsum[2 * k] += ib - tb, dsum[2 * k + 1] += (ib - tb) * (ib - tb);
    }
  }
  for (int k = 0; k < data->k && !rc; k++) {
    const double *s = sampled + k * (RUN_STEPS + 1);
    const double mean = dsum[2 * k] / boxes, var = dsum[2 * k + 1] / boxes - mean * mean;
    rep->truth[k] = truth[k], rep->independent[k] = s[0];
    rep->deficit_err[k] = boxes > 1 ? sqrt(fmax(var, 0) / (boxes - 1)) : NAN;
    if (!(s[0] > truth[k])) continue; /* independent draws scatter as little already */
    if (!(s[0] - truth[k] > RUN_SIGNIF * rep->deficit_err[k])) continue; /* within the noise */
    d->run[k] = 1; /* the most a run of <= 1 halo can give, unless: */
    for (int step = 1; step <= RUN_STEPS; step++)
      if (s[step] <= truth[k]) { /* crossed: interpolate within the step */
        d->run[k] = (step - 1 + (s[step - 1] - truth[k]) / (s[step - 1] - s[step])) / RUN_STEPS;
        break;
      }
  }
  fourier_free(&f);
  hp_free(c), free(truth), free(sampled), free(dsum);
  return rc ? hp_error_context(st, "fitting the exclusion runs") : HP_OK;
}
