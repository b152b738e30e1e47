/*
 * Fourier-space window of cloud-in-cell assignment, W(k) = prod_c sinc^2(k_c dx / 2) with
 * dx = L/nv, for deconvolving CIC-assigned fields (divide the modes by W, power by W^2).
 */
#include "cic/cic.h"

#include <math.h>

double hp_cic_window1d(int64_t nv, int64_t i) {
  if (i == 0 || nv < 1) return 1.0;
  const double pi = 3.14159265358979323846;
  const double x = pi * (double)i / (double)nv; /* k dx / 2 with k = 2 pi i / L */
  const double s = sin(x) / x;
  return s * s;
}

double hp_cic_window(int64_t nv, int64_t ix, int64_t iy, int64_t iz) {
  return hp_cic_window1d(nv, ix) * hp_cic_window1d(nv, iy) * hp_cic_window1d(nv, iz);
}
