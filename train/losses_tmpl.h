/*
 * The Poisson loss, written once for both precisions (train/losses.h); included by
 * train/losses_f.c and train/losses_d.c after train/real.h. No include guard on purpose.
 */
#include <math.h>
#include <omp.h>

#define HP_LOSS_CHUNKS 256 /* partial sums: a fixed split of the voxels, whatever the threads */

double FN(poisson_loss)(const REAL *lam, const REAL *n, int64_t count, double eps, REAL *grad,
                        double scale, int nthreads) {
  double part[HP_LOSS_CHUNKS];
  const int64_t chunk = (count + HP_LOSS_CHUNKS - 1) / HP_LOSS_CHUNKS;
  const double inv = 1.0 / (double)count;
#pragma omp parallel for num_threads(nthreads > 0 ? nthreads : omp_get_max_threads()) \
    schedule(static)
  for (int c = 0; c < HP_LOSS_CHUNKS; c++) {
    const int64_t lo = c * chunk, hi = lo + chunk < count ? lo + chunk : count;
    double s = 0;
    for (int64_t i = lo; i < hi; i++) {
      const double l = lam[i], k = n[i];
      s += l - k * log(l + eps);
      if (grad) grad[i] += (REAL)(scale * (1.0 - k / (l + eps)) * inv);
    }
    part[c] = s;
  }
  double sum = 0;
  for (int c = 0; c < HP_LOSS_CHUNKS; c++) sum += part[c];
  return sum * inv;
}
