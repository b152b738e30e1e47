/*
 * Fourier-space density contrast on a periodic mesh (field.h): allocation, the threaded
 * in-place r2c/c2r FFT plans shared by stats/, real grid -> modes, and the assignment windows
 * with their aliased shot-noise sums (Hockney & Eastwood 1981; Jing 2005, ApJ 620, 559;
 * Sefusatti et al. 2016, MNRAS 460, 3624 for interlacing).
 */
#include "stats/field.h"

#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/fftw_threads.h"

struct hp_stats_fft {
  int64_t n;
  int nthreads;
  fftwf_plan r2c, c2r;
};

int hp_stats_field_alloc(hp_stats_field *f, int64_t n, double box, hp_status *st) {
  memset(f, 0, sizeof *f);
  if (n < 2 || n > 4096)
    return hp_fail(st, HP_ERR_INPUT, "mesh side %lld: must be in [2, 4096]", (long long)n);
  if (!(box > 0) || !isfinite(box))
    return hp_fail(st, HP_ERR_INPUT, "box side %g Mpc/h: must be finite and > 0", box);
  const size_t nk = (size_t)(n * n * (n / 2 + 1));
  f->dk = hp_alloc(nk * sizeof *f->dk, "the Fourier modes of a mesh", st);
  if (!f->dk) return st->code;
  memset(f->dk, 0, nk * sizeof *f->dk);
  f->n = n;
  f->box = box;
  return HP_OK;
}

void hp_stats_field_free(hp_stats_field *f) {
  if (!f) return;
  hp_free(f->dk);
  memset(f, 0, sizeof *f);
}

int hp_stats_fft_create(hp_stats_fft **out, int64_t n, int nthreads, hp_status *st) {
  *out = NULL;
  if (n < 2 || n > 4096)
    return hp_fail(st, HP_ERR_INPUT, "FFT: mesh side %lld must be in [2, 4096]", (long long)n);
  hp_stats_fft *p = calloc(1, sizeof *p);
  if (!p) return hp_fail(st, HP_ERR_NOMEM, "FFT: cannot allocate the plan");
  p->n = n;
  p->nthreads = nthreads > 0 ? nthreads : omp_get_max_threads();
  /* FFTW_ESTIMATE never touches the arrays while planning, and new-array execution only
   * needs the same alignment: plan on a scratch buffer and free it. */
  const size_t nf = (size_t)(n * n * 2 * (n / 2 + 1));
  float *buf = hp_alloc(nf * sizeof *buf, "the FFT planning buffer", st);
  if (!buf) {
    free(p);
    return st->code;
  }
#pragma omp critical(hp_fftw_planner)
  {
    hp_fftw_threads(p->nthreads);
    const int m = (int)n;
    p->r2c = fftwf_plan_dft_r2c_3d(m, m, m, buf, (fftwf_complex *)buf, FFTW_ESTIMATE);
    p->c2r = fftwf_plan_dft_c2r_3d(m, m, m, (fftwf_complex *)buf, buf, FFTW_ESTIMATE);
  }
  hp_free(buf);
  if (!p->r2c || !p->c2r) {
    hp_stats_fft_destroy(p);
    return hp_fail(st, HP_ERR_INTERNAL, "FFT: FFTW could not plan a %lld^3 transform",
                   (long long)n);
  }
  *out = p;
  return HP_OK;
}

void hp_stats_fft_destroy(hp_stats_fft *p) {
  if (!p) return;
#pragma omp critical(hp_fftw_planner)
  {
    if (p->r2c) fftwf_destroy_plan(p->r2c);
    if (p->c2r) fftwf_destroy_plan(p->c2r);
  }
  free(p);
}

int64_t hp_stats_fft_n(const hp_stats_fft *p) { return p->n; }
int hp_stats_fft_threads(const hp_stats_fft *p) { return p->nthreads; }

void hp_stats_fft_r2c(const hp_stats_fft *p, float *padded) {
  fftwf_execute_dft_r2c(p->r2c, padded, (fftwf_complex *)padded);
}

void hp_stats_fft_c2r(const hp_stats_fft *p, float *padded) {
  fftwf_execute_dft_c2r(p->c2r, (fftwf_complex *)padded, padded);
}

const char *hp_stats_window_name(int window) {
  switch (window) {
    case HP_WIN_NGP:
      return "ngp";
    case HP_WIN_CIC:
      return "cic";
    case HP_WIN_TSC:
      return "tsc";
    default:
      return "none";
  }
}

int hp_stats_window_parse(const char *name) {
  const char *names[] = {"none", "ngp", "cic", "tsc"};
  for (int i = 0; i < 4; i++)
    if (!strcasecmp(name, names[i])) return i;
  return -1;
}

static double sinc_pi(double x) { /* sin(pi x)/(pi x) */
  if (x == 0.0) return 1.0;
  const double a = M_PI * x;
  return sin(a) / a;
}

double hp_stats_window1d(int window, int64_t n, int64_t i) {
  if (window <= HP_WIN_NONE) return 1.0;
  return pow(sinc_pi((double)i / (double)n), window);
}

void hp_stats_alias_sums(int window, int64_t n, int64_t i, double *s, double *a) {
  const double x = (double)i / (double)n, sn = sin(M_PI * x), s2 = sn * sn;
  switch (window) {
    case HP_WIN_NGP:
      *s = 1.0;
      *a = cos(M_PI * x);
      return;
    case HP_WIN_CIC:
      *s = 1.0 - 2.0 / 3.0 * s2;
      break;
    case HP_WIN_TSC:
      *s = 1.0 - s2 + 2.0 / 15.0 * s2 * s2;
      break;
    default:
      *s = *a = 1.0;
      return;
  }
  /* alternating image sum: terms fall as m^-2p (p >= 2), |m| <= 64 leaves < 1e-8 */
  double sum = 0.0;
  for (int m = 64; m >= 1; m--) {
    const double wp = pow(sinc_pi(x + m), 2 * window), wm = pow(sinc_pi(x - m), 2 * window);
    sum += (m % 2 ? -1.0 : 1.0) * (wp + wm);
  }
  *a = sum + pow(sinc_pi(x), 2 * window);
}

int hp_stats_axes_init(hp_stats_axes *ax, const hp_stats_field *f, hp_status *st) {
  memset(ax, 0, sizeof *ax);
  const int64_t n = f->n;
  double *buf = hp_alloc((size_t)(4 * n) * sizeof *buf, "the axis tables", st);
  if (!buf) return st->code;
  ax->n = n;
  ax->k = buf;
  ax->w = buf + n;
  ax->sa = buf + 2 * n;
  ax->aa = buf + 3 * n;
  ax->interlaced = f->interlaced;
  const double kf = 2.0 * M_PI / f->box;
  for (int64_t i = 0; i < n; i++) {
    const int64_t s = i <= n / 2 ? i : i - n;
    ax->k[i] = kf * (double)s;
    ax->w[i] = f->deconvolved ? hp_stats_window1d(f->window, n, s) : 1.0;
    hp_stats_alias_sums(f->window, n, s, &ax->sa[i], &ax->aa[i]);
  }
  return HP_OK;
}

void hp_stats_axes_free(hp_stats_axes *ax) {
  if (!ax) return;
  hp_free(ax->k);
  memset(ax, 0, sizeof *ax);
}

double hp_stats_shot_shape(const hp_stats_axes *ax, int64_t ix, int64_t iy, int64_t iz) {
  double s = ax->sa[ix] * ax->sa[iy] * ax->sa[iz];
  if (ax->interlaced) s = 0.5 * (s + ax->aa[ix] * ax->aa[iy] * ax->aa[iz]);
  const double w = ax->w[ix] * ax->w[iy] * ax->w[iz];
  return s / (w * w);
}

/* Sum of a grid in double, per x-plane then over planes in order: thread-count free. Also
 * reports the first non-finite value's index (or -1). */
static double grid_sum(const float *g, int64_t n, int nthreads, int64_t *bad) {
  double *plane = malloc((size_t)n * sizeof *plane);
  int64_t *pbad = malloc((size_t)n * sizeof *pbad);
  double total = 0.0;
  *bad = -1;
  if (!plane || !pbad) {
    /* serial fallback: same order of sums as below per plane, then over planes */
    for (int64_t x = 0; x < n && *bad < 0; x++) {
      double s = 0.0;
      for (int64_t j = 0; j < n * n; j++) {
        const float v = g[x * n * n + j];
        if (!isfinite(v)) {
          *bad = x * n * n + j;
          break;
        }
        s += v;
      }
      total += s;
    }
    free(plane);
    free(pbad);
    return total;
  }
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t x = 0; x < n; x++) {
    double s = 0.0;
    pbad[x] = -1;
    for (int64_t j = 0; j < n * n; j++) {
      const float v = g[x * n * n + j];
      if (!isfinite(v)) {
        if (pbad[x] < 0) pbad[x] = x * n * n + j;
        continue;
      }
      s += v;
    }
    plane[x] = s;
  }
  for (int64_t x = 0; x < n; x++) {
    total += plane[x];
    if (*bad < 0 && pbad[x] >= 0) *bad = pbad[x];
  }
  free(plane);
  free(pbad);
  return total;
}

int hp_stats_field_from_grid(const hp_stats_fft *fft, const float *grid, int kind, int window,
                             int deconvolve, hp_stats_field *out, hp_status *st) {
  const int64_t n = out->n, nzc = n / 2 + 1, n3 = n * n * n;
  if (!out->dk || fft->n != n)
    return hp_fail(st, HP_ERR_INPUT,
                   "grid -> modes: the field (side %lld) and the FFT plan "
                   "(side %lld) differ",
                   (long long)n, (long long)fft->n);
  if (kind < HP_GRID_DENSITY || kind > HP_GRID_MEAN)
    return hp_fail(st, HP_ERR_INPUT, "grid -> modes: unknown grid kind %d", kind);
  if (window < HP_WIN_NONE || window > HP_WIN_TSC)
    return hp_fail(st, HP_ERR_INPUT, "grid -> modes: unknown window %d", window);
  int64_t bad;
  const double sum = grid_sum(grid, n, fft->nthreads, &bad);
  if (bad >= 0)
    return hp_fail(st, HP_ERR_INPUT, "grid -> modes: value %g at voxel %lld is not finite",
                   (double)grid[bad], (long long)bad);
  double scale = 1.0, shift = 0.0;
  if (kind != HP_GRID_CONTRAST) {
    if (!(sum > 0))
      return hp_fail(st, HP_ERR_INPUT,
                     "grid -> modes: the grid's mean %g is not positive (a density or counts "
                     "grid must have a positive mean; use the contrast kind for delta grids)",
                     sum / (double)n3);
    scale = (double)n3 / sum;
    shift = 1.0;
  }
  float *r = (float *)out->dk;
  const float fs = (float)scale, fsh = (float)shift;
#pragma omp parallel for num_threads(fft->nthreads) schedule(static)
  for (int64_t xy = 0; xy < n * n; xy++) {
    const float *src = grid + xy * n;
    float *dst = r + xy * 2 * nzc;
    for (int64_t z = 0; z < n; z++) dst[z] = src[z] * fs - fsh;
    for (int64_t z = n; z < 2 * nzc; z++) dst[z] = 0.0f;
  }
  hp_stats_fft_r2c(fft, r);
  const double vol = out->box * out->box * out->box;
  const double norm = vol / (double)n3;
  out->window = window;
  out->deconvolved = deconvolve && window != HP_WIN_NONE;
  out->interlaced = 0;
  out->shot = out->shot3 = out->nbar = out->wsum = 0.0;
  out->count = 0;
  if (kind == HP_GRID_COUNTS) {
    out->wsum = sum;
    out->count = (int64_t)llround(sum);
    out->nbar = sum / vol;
    out->shot = vol / sum;
    out->shot3 = out->shot * out->shot;
  }
  double *w1 = malloc((size_t)n * sizeof *w1);
  if (!w1) return hp_fail(st, HP_ERR_NOMEM, "grid -> modes: window table");
  for (int64_t i = 0; i < n; i++)
    w1[i] = out->deconvolved ? hp_stats_window1d(window, n, i <= n / 2 ? i : i - n) : 1.0;
#pragma omp parallel for num_threads(fft->nthreads) schedule(static)
  for (int64_t ix = 0; ix < n; ix++)
    for (int64_t iy = 0; iy < n; iy++) {
      float(*row)[2] = out->dk + (ix * n + iy) * nzc;
      const double wxy = w1[ix] * w1[iy];
      for (int64_t iz = 0; iz < nzc; iz++) {
        const float f = (float)(norm / (wxy * w1[iz]));
        row[iz][0] *= f;
        row[iz][1] *= f;
      }
    }
  out->dk[0][0] = out->dk[0][1] = 0.0f;
  free(w1);
  return HP_OK;
}
