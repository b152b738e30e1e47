/* Adam (Kingma & Ba 2015): element-wise, double arithmetic, float state. */
#include "train/adam.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

int hp_adam_init(hp_adam *a, size_t n, double lr, double beta1, double beta2, double eps,
                 hp_status *st) {
  memset(a, 0, sizeof *a);
  if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0))
    return hp_fail(st, HP_ERR_INPUT,
                   "Adam: learning rate %g, betas %g and %g, eps %g (expected lr > 0, betas in "
                   "[0, 1), eps > 0)",
                   lr, beta1, beta2, eps);
  a->m = calloc(n ? n : 1, sizeof *a->m);
  a->v = calloc(n ? n : 1, sizeof *a->v);
  if (!a->m || !a->v) {
    hp_adam_free(a);
    return hp_fail(st, HP_ERR_NOMEM, "Adam: cannot allocate moments of %zu parameters", n);
  }
  a->n = n, a->lr = lr, a->beta1 = beta1, a->beta2 = beta2, a->eps = eps;
  return HP_OK;
}

void hp_adam_free(hp_adam *a) {
  free(a->m);
  free(a->v);
  memset(a, 0, sizeof *a);
}

void hp_adam_step(hp_adam *a, float *w, const float *g, int nthreads) {
  a->t++;
  const double b1 = a->beta1, b2 = a->beta2;
  const double c1 = 1.0 / (1.0 - pow(b1, (double)a->t)), c2 = 1.0 / (1.0 - pow(b2, (double)a->t));
  const double lr = a->lr, eps = a->eps;
  float *m = a->m, *v = a->v;
#pragma omp parallel for num_threads(nthreads > 0 ? nthreads : omp_get_max_threads()) \
    schedule(static)
  for (size_t i = 0; i < a->n; i++) {
    const double gi = g[i];
    const double mi = b1 * m[i] + (1.0 - b1) * gi, vi = b2 * v[i] + (1.0 - b2) * gi * gi;
    m[i] = (float)mi;
    v[i] = (float)vi;
    w[i] = (float)(w[i] - lr * (mi * c1) / (sqrt(vi * c2) + eps));
  }
}
