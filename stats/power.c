/*
 * Binned auto and cross power spectra of Fourier-space fields (power.h): one pass over the
 * r2c half of the modes, per-plane partial sums in double added in plane order (thread-count
 * free), aliased shot noise per bin (Jing 2005; Sefusatti et al. 2016), Gaussian errors
 * (Feldman, Kaiser & Peacock 1994 in the limit of a uniform box).
 */
#include "stats/power.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

void hp_stats_bins_default(hp_stats_bins *b, int64_t n, double box) {
  const double kf = 2.0 * M_PI / box;
  b->log = 0;
  b->nbins = (int)(n / 2);
  b->kmin = 0.5 * kf;
  b->kmax = (0.5 + (double)b->nbins) * kf;
}

int hp_stats_bins_check(const hp_stats_bins *b, hp_status *st) {
  if (b->nbins < 1 || b->nbins > 1000000)
    return hp_fail(st, HP_ERR_INPUT, "k bins: %d bins (must be in [1, 1e6])", b->nbins);
  if (!isfinite(b->kmin) || !isfinite(b->kmax) || !(b->kmin >= 0) || !(b->kmax > b->kmin))
    return hp_fail(st, HP_ERR_INPUT, "k bins: need 0 <= kmin < kmax, got kmin = %g, kmax = %g",
                   b->kmin, b->kmax);
  if (b->log && !(b->kmin > 0))
    return hp_fail(st, HP_ERR_INPUT, "k bins: logarithmic bins need kmin > 0 (got %g)", b->kmin);
  return HP_OK;
}

double hp_stats_bin_edge(const hp_stats_bins *b, int i) {
  if (i >= b->nbins) return b->kmax;
  if (b->log) return b->kmin * pow(b->kmax / b->kmin, (double)i / b->nbins);
  return b->kmin + (b->kmax - b->kmin) * (double)i / b->nbins;
}

int hp_stats_bin_index(const hp_stats_bins *b, double k) {
  if (!(k > 0) || k < b->kmin || !(k < b->kmax)) return -1;
  double u =
      b->log ? log(k / b->kmin) / log(b->kmax / b->kmin) : (k - b->kmin) / (b->kmax - b->kmin);
  int i = (int)floor(u * b->nbins);
  if (i >= b->nbins) i = b->nbins - 1; /* rounding at the top edge */
  if (i < 0) i = 0;
  /* settle rounding at the inner edges against the edges as reported */
  if (i > 0 && k < hp_stats_bin_edge(b, i)) i--;
  if (i < b->nbins - 1 && k >= hp_stats_bin_edge(b, i + 1)) i++;
  return i;
}

int32_t *hp_stats_bin_table(const hp_stats_bins *b, int64_t n, double box, int64_t *qmax,
                            hp_status *st) {
  const int64_t h = n / 2, q1 = 3 * h * h;
  int32_t *t = malloc((size_t)(q1 + 1) * sizeof *t);
  if (!t) {
    hp_fail(st, HP_ERR_NOMEM, "k bins: table of %lld entries", (long long)(q1 + 1));
    return NULL;
  }
  const double kf = 2.0 * M_PI / box;
  for (int64_t q = 0; q <= q1; q++) t[q] = hp_stats_bin_index(b, kf * sqrt((double)q));
  *qmax = q1;
  return t;
}

int hp_stats_pk_alloc(hp_stats_pk *pk, const hp_stats_bins *b, hp_status *st) {
  memset(pk, 0, sizeof *pk);
  if (hp_stats_bins_check(b, st)) return st->code;
  const size_t nb = (size_t)b->nbins;
  double *buf = calloc(6 * nb, sizeof *buf);
  int64_t *nm = calloc(nb, sizeof *nm);
  if (!buf || !nm) {
    free(buf);
    free(nm);
    return hp_fail(st, HP_ERR_NOMEM, "power spectrum: %zu bins", nb);
  }
  pk->bins = *b;
  pk->k_lo = buf;
  pk->k_hi = buf + nb;
  pk->k_mean = buf + 2 * nb;
  pk->p = buf + 3 * nb;
  pk->shot = buf + 4 * nb;
  pk->err = buf + 5 * nb;
  pk->nmodes = nm;
  for (int i = 0; i < b->nbins; i++) {
    pk->k_lo[i] = hp_stats_bin_edge(b, i);
    pk->k_hi[i] = hp_stats_bin_edge(b, i + 1);
  }
  return HP_OK;
}

void hp_stats_pk_free(hp_stats_pk *pk) {
  if (!pk) return;
  free(pk->k_lo);
  free(pk->nmodes);
  memset(pk, 0, sizeof *pk);
}

enum { S_CNT, S_K, S_AA, S_BB, S_AB, S_SHA, S_SHB, S_N };

/* Per-bin sums over all modes (weights 1 or 2 for the r2c half), per x-plane, added in plane
 * order into acc[nbins][S_N]. b may be NULL (then S_BB, S_AB, S_SHB stay 0). */
static int mode_sums(const hp_stats_field *a, const hp_stats_field *b, const hp_stats_bins *bins,
                     int nthreads, double *acc, hp_status *st) {
  const int64_t n = a->n, nzc = n / 2 + 1;
  const int nb = bins->nbins;
  if (nthreads <= 0) nthreads = omp_get_max_threads();
  hp_stats_axes ax, bx;
  memset(&bx, 0, sizeof bx);
  if (hp_stats_axes_init(&ax, a, st)) return st->code;
  if (b && hp_stats_axes_init(&bx, b, st)) {
    hp_stats_axes_free(&ax);
    return st->code;
  }
  int64_t qmax;
  int32_t *table = hp_stats_bin_table(bins, n, a->box, &qmax, st);
  double *plane = calloc((size_t)(n * nb * S_N), sizeof *plane);
  if (!plane || !table) {
    free(table);
    free(plane);
    hp_stats_axes_free(&ax);
    hp_stats_axes_free(&bx);
    if (st->code) return st->code;
    return hp_fail(st, HP_ERR_NOMEM, "power spectrum: %.1f MB of partial sums",
                   (double)(n * nb * S_N) * 8e-6);
  }
  const int sha = a->shot > 0, shb = b && b->shot > 0;
  const double kf = 2.0 * M_PI / a->box;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
  for (int64_t ix = 0; ix < n; ix++) {
    double *acc_p = plane + ix * nb * S_N;
    const int64_t sx = ix <= n / 2 ? ix : ix - n;
    for (int64_t iy = 0; iy < n; iy++) {
      const int64_t sy = iy <= n / 2 ? iy : iy - n, qxy = sx * sx + sy * sy;
      const int64_t base = (ix * n + iy) * nzc;
      for (int64_t iz = 0; iz < nzc; iz++) {
        if (ix == 0 && iy == 0 && iz == 0) continue;
        const int64_t q = qxy + iz * iz;
        const int i = table[q];
        if (i < 0) continue;
        const double k = kf * sqrt((double)q);
        const double m = (iz == 0 || (n % 2 == 0 && iz == n / 2)) ? 1.0 : 2.0;
        double *s = acc_p + i * S_N;
        const double ar = a->dk[base + iz][0], ai = a->dk[base + iz][1];
        s[S_CNT] += m;
        s[S_K] += m * k;
        s[S_AA] += m * (ar * ar + ai * ai);
        if (sha) s[S_SHA] += m * hp_stats_shot_shape(&ax, ix, iy, iz);
        if (b) {
          const double br = b->dk[base + iz][0], bi = b->dk[base + iz][1];
          s[S_BB] += m * (br * br + bi * bi);
          s[S_AB] += m * (ar * br + ai * bi);
          if (shb) s[S_SHB] += m * hp_stats_shot_shape(&bx, ix, iy, iz);
        }
      }
    }
  }
  memset(acc, 0, (size_t)nb * S_N * sizeof *acc);
  for (int64_t ix = 0; ix < n; ix++)
    for (int64_t j = 0; j < (int64_t)nb * S_N; j++) acc[j] += plane[ix * nb * S_N + j];
  free(plane);
  free(table);
  hp_stats_axes_free(&ax);
  hp_stats_axes_free(&bx);
  return HP_OK;
}

static int check_fields(const hp_stats_field *a, const hp_stats_field *b, hp_status *st) {
  if (!a || !a->dk) return hp_fail(st, HP_ERR_INPUT, "power spectrum: no field");
  if (b && (!b->dk || b->n != a->n || fabs(b->box - a->box) > 1e-12 * a->box))
    return hp_fail(st, HP_ERR_INPUT,
                   "cross spectrum: the fields differ (mesh %lld vs %lld, box %g vs %g Mpc/h)",
                   (long long)a->n, (long long)(b ? b->n : 0), a->box, b ? b->box : 0.0);
  return HP_OK;
}

/* Fill one spectrum from the sums: column col of power, shot column shcol (or -1). */
static void fill(hp_stats_pk *pk, const double *acc, int nb, double vol, int col, int shcol,
                 double shot, int cola, int colb) {
  for (int i = 0; i < nb; i++) {
    const double *s = acc + i * S_N, c = s[S_CNT];
    pk->nmodes[i] = (int64_t)llround(c);
    if (c > 0) {
      pk->k_mean[i] = s[S_K] / c;
      pk->p[i] = s[col] / (vol * c);
      pk->shot[i] = shcol >= 0 ? shot * s[shcol] / c : 0.0;
      const double pa = s[cola] / (vol * c), pb = s[colb] / (vol * c);
      pk->err[i] = sqrt((pk->p[i] * pk->p[i] + pa * pb) / c);
    } else {
      pk->k_mean[i] = pk->p[i] = pk->err[i] = NAN;
      pk->shot[i] = 0.0;
    }
  }
}

int hp_stats_power(const hp_stats_field *a, const hp_stats_field *b, const hp_stats_bins *bins,
                   int nthreads, hp_stats_pk *out, hp_status *st) {
  memset(out, 0, sizeof *out);
  if (check_fields(a, b, st) || hp_stats_pk_alloc(out, bins, st)) return st->code;
  double *acc = malloc((size_t)bins->nbins * S_N * sizeof *acc);
  if (!acc) {
    hp_stats_pk_free(out);
    return hp_fail(st, HP_ERR_NOMEM, "power spectrum sums");
  }
  if (mode_sums(a, b, bins, nthreads, acc, st)) {
    free(acc);
    hp_stats_pk_free(out);
    return st->code;
  }
  const double vol = a->box * a->box * a->box;
  if (b)
    fill(out, acc, bins->nbins, vol, S_AB, -1, 0.0, S_AA, S_BB);
  else
    fill(out, acc, bins->nbins, vol, S_AA, a->shot > 0 ? S_SHA : -1, a->shot, S_AA, S_AA);
  free(acc);
  return HP_OK;
}

int hp_stats_power_pair(const hp_stats_field *a, const hp_stats_field *b, const hp_stats_bins *bins,
                        int nthreads, hp_stats_pk *paa, hp_stats_pk *pbb, hp_stats_pk *pab,
                        hp_status *st) {
  memset(paa, 0, sizeof *paa);
  memset(pbb, 0, sizeof *pbb);
  memset(pab, 0, sizeof *pab);
  if (!b) return hp_fail(st, HP_ERR_INPUT, "cross spectrum: second field missing");
  if (check_fields(a, b, st)) return st->code;
  double *acc = malloc((size_t)(bins->nbins > 0 ? bins->nbins : 1) * S_N * sizeof *acc);
  if (!acc) return hp_fail(st, HP_ERR_NOMEM, "power spectrum sums");
  if (hp_stats_pk_alloc(paa, bins, st) || hp_stats_pk_alloc(pbb, bins, st) ||
      hp_stats_pk_alloc(pab, bins, st) || mode_sums(a, b, bins, nthreads, acc, st)) {
    free(acc);
    hp_stats_pk_free(paa);
    hp_stats_pk_free(pbb);
    hp_stats_pk_free(pab);
    return st->code;
  }
  const double vol = a->box * a->box * a->box;
  fill(paa, acc, bins->nbins, vol, S_AA, a->shot > 0 ? S_SHA : -1, a->shot, S_AA, S_AA);
  fill(pbb, acc, bins->nbins, vol, S_BB, b->shot > 0 ? S_SHB : -1, b->shot, S_BB, S_BB);
  fill(pab, acc, bins->nbins, vol, S_AB, -1, 0.0, S_AA, S_BB);
  free(acc);
  return HP_OK;
}
