/*
 * Halo mass function in mass bins (hmf.h): counts, dn/dlog10M = N / (V dlog10M) and Poisson
 * errors, as used to compare painted and N-body catalogues (e.g. Kodi Ramanah et al. 2019,
 * section 4; Tinker et al. 2008 for the estimator in a periodic box).
 */
#include "stats/hmf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int hp_stats_mass_edges_check(const double *edges, int nbins, hp_status *st) {
  if (nbins < 1) return hp_fail(st, HP_ERR_INPUT, "mass bins: need at least 2 edges");
  for (int i = 0; i <= nbins; i++) {
    if (!isfinite(edges[i]) || !(edges[i] > 0))
      return hp_fail(st, HP_ERR_INPUT, "mass bins: edge %d = %g Msun/h must be finite and > 0", i,
                     edges[i]);
    if (i > 0 && !(edges[i] > edges[i - 1]))
      return hp_fail(st, HP_ERR_INPUT,
                     "mass bins: edges must increase, but edge %d = %g <= edge %d = %g", i,
                     edges[i], i - 1, edges[i - 1]);
  }
  return HP_OK;
}

int hp_stats_mass_edges_log(double mmin, double mmax, int nbins, double *edges, hp_status *st) {
  if (!(mmin > 0) || !(mmax > mmin) || !isfinite(mmax) || nbins < 1)
    return hp_fail(st, HP_ERR_INPUT,
                   "mass bins: need 0 < mmin < mmax and nbins >= 1 (got %g, %g, %d)", mmin, mmax,
                   nbins);
  const double l0 = log10(mmin), l1 = log10(mmax);
  for (int i = 0; i <= nbins; i++) edges[i] = pow(10.0, l0 + (l1 - l0) * i / nbins);
  edges[0] = mmin;
  edges[nbins] = mmax;
  return HP_OK;
}

int hp_stats_mass_bin(const double *edges, int nbins, double m) {
  if (!(m >= edges[0]) || !(m < edges[nbins])) return -1;
  int lo = 0, hi = nbins; /* edges[lo] <= m < edges[hi] */
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (m >= edges[mid])
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

void hp_stats_hmf_free(hp_stats_hmf *h) {
  if (!h) return;
  free(h->m_lo);
  free(h->count);
  memset(h, 0, sizeof *h);
}

int hp_stats_hmf_compute(const double *mass, int64_t n, const double *edges, int nbins, double box,
                         hp_stats_hmf *out, hp_status *st) {
  memset(out, 0, sizeof *out);
  if (hp_stats_mass_edges_check(edges, nbins, st)) return st->code;
  if (!(box > 0) || !isfinite(box))
    return hp_fail(st, HP_ERR_INPUT, "mass function: box side %g must be finite and > 0", box);
  if (n < 0) return hp_fail(st, HP_ERR_INPUT, "mass function: %lld halos", (long long)n);
  const size_t nb = (size_t)nbins;
  double *buf = calloc(5 * nb, sizeof *buf), *msum = calloc(nb, sizeof *msum);
  int64_t *cnt = calloc(nb, sizeof *cnt);
  if (!buf || !cnt || !msum) {
    free(buf);
    free(cnt);
    free(msum);
    return hp_fail(st, HP_ERR_NOMEM, "mass function: %d bins", nbins);
  }
  out->nbins = nbins;
  out->volume = box * box * box;
  out->m_lo = buf;
  out->m_hi = buf + nb;
  out->m_mean = buf + 2 * nb;
  out->dndlog10m = buf + 3 * nb;
  out->err = buf + 4 * nb;
  out->count = cnt;
  for (int64_t i = 0; i < n; i++) {
    const double m = mass[i];
    if (!isfinite(m) || m < 0) {
      free(msum);
      hp_stats_hmf_free(out);
      return hp_fail(st, HP_ERR_INPUT, "mass function: halo %lld has mass %g", (long long)i, m);
    }
    const int b = hp_stats_mass_bin(edges, nbins, m);
    if (b >= 0) {
      cnt[b]++;
      msum[b] += m;
    } else if (m < edges[0]) {
      out->below++;
    } else {
      out->above++;
    }
  }
  for (int b = 0; b < nbins; b++) {
    out->m_lo[b] = edges[b];
    out->m_hi[b] = edges[b + 1];
    const double dl = log10(edges[b + 1]) - log10(edges[b]);
    out->m_mean[b] = cnt[b] > 0 ? msum[b] / (double)cnt[b] : NAN;
    out->dndlog10m[b] = (double)cnt[b] / (out->volume * dl);
    out->err[b] = sqrt((double)cnt[b]) / (out->volume * dl);
  }
  free(msum);
  return HP_OK;
}
