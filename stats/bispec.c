/*
 * FFT shell estimator of the bispectrum (bispec.h; Scoccimarro 2000, ApJ 544, 597;
 * Sefusatti, Crocce, Scoccimarro & Couchman 2016, MNRAS 460, 3624), its shot noise and
 * Gaussian error, and the tree-level prediction with the F2 kernel (Fry 1984, ApJ 279, 499;
 * Bernardeau et al. 2002, Phys. Rep. 367, 1).
 */
#include "stats/bispec.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct hp_stats_bispec {
  int64_t n;
  double box;
  int nthreads;
  hp_stats_fft *fft;
  float *s;      /* padded scratch: one shell */
  float *i12;    /* I_1 I_2 (padded layout) */
  float *n12;    /* N_1 N_2 */
  double *plane; /* [4 n] per-plane partial sums */
};

int hp_stats_bispec_create(hp_stats_bispec **out, int64_t n, double box, int nthreads,
                           hp_status *st) {
  *out = NULL;
  if (!(box > 0) || !isfinite(box))
    return hp_fail(st, HP_ERR_INPUT, "bispectrum: box side %g must be finite and > 0", box);
  hp_stats_bispec *b = calloc(1, sizeof *b);
  if (!b) return hp_fail(st, HP_ERR_NOMEM, "bispectrum: cannot allocate the plan");
  b->n = n;
  b->box = box;
  if (hp_stats_fft_create(&b->fft, n, nthreads, st)) goto fail;
  b->nthreads = hp_stats_fft_threads(b->fft);
  const size_t nf = (size_t)(n * n * 2 * (n / 2 + 1));
  if (!(b->s = hp_alloc(nf * sizeof(float), "a bispectrum shell", st)) ||
      !(b->i12 = hp_alloc(nf * sizeof(float), "a bispectrum product", st)) ||
      !(b->n12 = hp_alloc(nf * sizeof(float), "a bispectrum product", st)) ||
      !(b->plane = hp_alloc((size_t)(4 * n) * sizeof(double), "bispectrum sums", st)))
    goto fail;
  *out = b;
  return HP_OK;
fail:
  hp_error_context(st, "bispectrum plan %lld^3", (long long)n);
  hp_stats_bispec_destroy(b);
  return st->code;
}

void hp_stats_bispec_destroy(hp_stats_bispec *b) {
  if (!b) return;
  hp_stats_fft_destroy(b->fft);
  hp_free(b->s);
  hp_free(b->i12);
  hp_free(b->n12);
  hp_free(b->plane);
  free(b);
}

hp_stats_bispec_config hp_stats_bispec_config_theta(double k1, double k2, double theta) {
  hp_stats_bispec_config c;
  c.k1 = k1;
  c.k2 = k2;
  c.k3 = sqrt(fmax(0.0, k1 * k1 + k2 * k2 + 2.0 * k1 * k2 * cos(theta)));
  return c;
}

double hp_stats_f2(double k1, double k2, double mu) {
  return 5.0 / 7.0 + 0.5 * mu * (k1 / k2 + k2 / k1) + 2.0 / 7.0 * mu * mu;
}

double hp_stats_bispec_tree(double k1, double k2, double k3, double p1, double p2, double p3) {
  if (!(k1 > 0 && k2 > 0 && k3 > 0) || k1 > k2 + k3 + 1e-12 * k1 || k2 > k1 + k3 + 1e-12 * k2 ||
      k3 > k1 + k2 + 1e-12 * k3)
    return NAN;
  /* k_i . k_j = (k_l^2 - k_i^2 - k_j^2)/2 for k1 + k2 + k3 = 0 */
  const double m12 = (k3 * k3 - k1 * k1 - k2 * k2) / (2 * k1 * k2);
  const double m23 = (k1 * k1 - k2 * k2 - k3 * k3) / (2 * k2 * k3);
  const double m31 = (k2 * k2 - k3 * k3 - k1 * k1) / (2 * k3 * k1);
  return 2.0 * hp_stats_f2(k1, k2, m12) * p1 * p2 + 2.0 * hp_stats_f2(k2, k3, m23) * p2 * p3 +
         2.0 * hp_stats_f2(k3, k1, m31) * p3 * p1;
}

/* Shell statistics from the k-space pass. */
typedef struct shell_info {
  double modes, ksum, psum, shotsum;
} shell_info;

/*
 * Fill the padded array with the modes of f in the shell [kc - dk/2, kc + dk/2) (or 1 when
 * f == NULL), zero elsewhere; inverse FFT in place. With f, also the shell's mode count, mean
 * |k|, raw power and aliased shot-noise sums.
 */
static void shell(hp_stats_bispec *b, const hp_stats_field *f, const hp_stats_axes *ax, double kc,
                  double dk, float *out, shell_info *info) {
  const int64_t n = b->n, nzc = n / 2 + 1;
  const double kf = 2.0 * M_PI / b->box, lo = kc - 0.5 * dk, hi = kc + 0.5 * dk;
  const double lo2 = lo * lo / (kf * kf), hi2 = hi * hi / (kf * kf); /* in units of kf^2 */
  double *acc = b->plane;
#pragma omp parallel for num_threads(b->nthreads) schedule(static)
  for (int64_t ix = 0; ix < n; ix++) {
    const int64_t sx = ix <= n / 2 ? ix : ix - n;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t iy = 0; iy < n; iy++) {
      const int64_t sy = iy <= n / 2 ? iy : iy - n, qxy = sx * sx + sy * sy;
      float(*row)[2] = (float(*)[2])out + (ix * n + iy) * nzc;
      const int64_t base = (ix * n + iy) * nzc;
      for (int64_t iz = 0; iz < nzc; iz++) {
        const double q = (double)(qxy + iz * iz);
        if (q >= lo2 && q < hi2 && q > 0) {
          if (f) {
            row[iz][0] = f->dk[base + iz][0];
            row[iz][1] = f->dk[base + iz][1];
            const double m = (iz == 0 || (n % 2 == 0 && iz == n / 2)) ? 1.0 : 2.0;
            a0 += m;
            a1 += m * kf * sqrt(q);
            a2 += m * ((double)row[iz][0] * row[iz][0] + (double)row[iz][1] * row[iz][1]);
            if (f->shot > 0) a3 += m * hp_stats_shot_shape(ax, ix, iy, iz);
          } else {
            row[iz][0] = 1.0f;
            row[iz][1] = 0.0f;
          }
        } else {
          row[iz][0] = row[iz][1] = 0.0f;
        }
      }
    }
    acc[4 * ix] = a0;
    acc[4 * ix + 1] = a1;
    acc[4 * ix + 2] = a2;
    acc[4 * ix + 3] = a3;
  }
  if (info) {
    memset(info, 0, sizeof *info);
    for (int64_t ix = 0; ix < n; ix++) {
      info->modes += acc[4 * ix];
      info->ksum += acc[4 * ix + 1];
      info->psum += acc[4 * ix + 2];
      info->shotsum += acc[4 * ix + 3];
    }
  }
  hp_stats_fft_c2r(b->fft, out);
}

/* a[i] *= c[i] over the real part of two padded meshes. */
static void multiply(const hp_stats_bispec *b, float *a, const float *c) {
  const int64_t n = b->n, rl = 2 * (n / 2 + 1);
#pragma omp parallel for num_threads(b->nthreads) schedule(static)
  for (int64_t r = 0; r < n * n; r++)
    for (int64_t z = 0; z < n; z++) a[r * rl + z] *= c[r * rl + z];
}

/* sum_x a c over the real part, per x-plane then in plane order (thread-count free). */
static double dot(hp_stats_bispec *b, const float *a, const float *c) {
  const int64_t n = b->n, rl = 2 * (n / 2 + 1);
#pragma omp parallel for num_threads(b->nthreads) schedule(static)
  for (int64_t x = 0; x < n; x++) {
    double s = 0.0;
    for (int64_t y = 0; y < n; y++) {
      const float *pa = a + (x * n + y) * rl, *pc = c + (x * n + y) * rl;
      for (int64_t z = 0; z < n; z++) s += (double)pa[z] * pc[z];
    }
    b->plane[x] = s;
  }
  double t = 0.0;
  for (int64_t x = 0; x < n; x++) t += b->plane[x];
  return t;
}

int hp_stats_bispec_execute(hp_stats_bispec *b, const hp_stats_field *f,
                            const hp_stats_bispec_config *cfg, int ncfg, double dk,
                            int subtract_shot, hp_stats_bispec_result *out, hp_status *st) {
  if (!f->dk || f->n != b->n || fabs(f->box - b->box) > 1e-12 * b->box)
    return hp_fail(st, HP_ERR_INPUT,
                   "bispectrum: the field (mesh %lld, box %g) does not match the plan "
                   "(mesh %lld, box %g)",
                   (long long)f->n, f->box, (long long)b->n, b->box);
  const double kf = 2.0 * M_PI / b->box, kny = M_PI * (double)b->n / b->box;
  if (!(dk > 0) || !isfinite(dk))
    return hp_fail(st, HP_ERR_INPUT, "bispectrum: shell width %g must be > 0", dk);
  for (int c = 0; c < ncfg; c++) {
    const double k[3] = {cfg[c].k1, cfg[c].k2, cfg[c].k3};
    for (int j = 0; j < 3; j++)
      if (!(k[j] - 0.5 * dk >= 0) || k[j] + 0.5 * dk > sqrt(3.0) * kny || !isfinite(k[j]))
        return hp_fail(st, HP_ERR_INPUT,
                       "bispectrum: configuration %d: shell k%d = %g h/Mpc with width %g "
                       "must lie in [0, sqrt(3) k_Nyquist = %g] (k_f = %g)",
                       c, j + 1, k[j], dk, sqrt(3.0) * kny, kf);
  }
  hp_stats_axes ax;
  if (hp_stats_axes_init(&ax, f, st)) return st->code;
  const double vol = b->box * b->box * b->box, n3 = (double)(b->n * b->n * b->n);
  double ck1 = -1, ck2 = -1;
  shell_info s1 = {0, 0, 0, 0}, s2 = {0, 0, 0, 0}, s3;
  for (int c = 0; c < ncfg; c++) {
    hp_stats_bispec_result *r = out + c;
    const double k1 = cfg[c].k1, k2 = cfg[c].k2, k3 = cfg[c].k3;
    if (k1 != ck1 || k2 != ck2) {
      shell(b, f, &ax, k1, dk, b->i12, &s1);
      if (k2 == k1) {
        s2 = s1;
        multiply(b, b->i12, b->i12);
      } else {
        shell(b, f, &ax, k2, dk, b->s, &s2);
        multiply(b, b->i12, b->s);
      }
      shell(b, NULL, NULL, k1, dk, b->n12, NULL);
      if (k2 == k1) {
        multiply(b, b->n12, b->n12);
      } else {
        shell(b, NULL, NULL, k2, dk, b->s, NULL);
        multiply(b, b->n12, b->s);
      }
      ck1 = k1;
      ck2 = k2;
    }
    shell(b, f, &ax, k3, dk, b->s, &s3);
    const double sum_i = dot(b, b->i12, b->s);
    shell(b, NULL, NULL, k3, dk, b->s, NULL);
    const double sum_n = dot(b, b->n12, b->s);
    memset(r, 0, sizeof *r);
    r->k1 = k1;
    r->k2 = k2;
    r->k3 = k3;
    const double ct = (k3 * k3 - k1 * k1 - k2 * k2) / (2 * k1 * k2);
    r->theta = fabs(ct) <= 1 + 1e-12 ? acos(fmax(-1.0, fmin(1.0, ct))) : NAN;
    const shell_info *si[3] = {&s1, &s2, &s3};
    double p[3], sh[3], km[3];
    for (int j = 0; j < 3; j++) {
      const double m = si[j]->modes;
      km[j] = m > 0 ? si[j]->ksum / m : NAN;
      p[j] = m > 0 ? si[j]->psum / (vol * m) : NAN;
      sh[j] = m > 0 && f->shot > 0 ? f->shot * si[j]->shotsum / m : 0.0;
    }
    r->km1 = km[0], r->km2 = km[1], r->km3 = km[2];
    r->p1 = p[0], r->p2 = p[1], r->p3 = p[2];
    r->s1 = sh[0], r->s2 = sh[1], r->s3 = sh[2];
    /* sum_x N1 N2 N3 = n^3 N_tri; rounding of the float FFTs is far below 0.5 */
    r->n_tri = sum_n / n3;
    if (!(r->n_tri >= 0.5)) {
      r->b = r->b_shot = r->q = r->b_err = NAN;
      r->n_tri = 0;
      continue;
    }
    r->b = sum_i / (vol * sum_n);
    const double q1 = p[0] - sh[0], q2 = p[1] - sh[1], q3 = p[2] - sh[2];
    r->b_shot = f->shot > 0 ? (q1 + q2 + q3) * f->shot + f->shot3 : 0.0;
    const double sym = (k1 == k2 && k2 == k3)               ? 6.0
                       : (k1 == k2 || k2 == k3 || k1 == k3) ? 2.0
                                                            : 1.0;
    r->b_err = sqrt(sym * vol * p[0] * p[1] * p[2] / r->n_tri);
    if (subtract_shot)
      r->q = (r->b - r->b_shot) / (q1 * q2 + q2 * q3 + q3 * q1);
    else
      r->q = r->b / (p[0] * p[1] + p[1] * p[2] + p[2] * p[0]);
  }
  hp_stats_axes_free(&ax);
  return HP_OK;
}
