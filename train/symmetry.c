/* The 48 symmetries of the cube on periodic patches (train/symmetry.h). */
#include "train/symmetry.h"

#include <omp.h>

/* The 6 permutations of (0, 1, 2) in lexicographic order, and their parities. */
static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
static const int parity[6] = {0, 1, 1, 0, 0, 1};

void hp_sym_map(int sym, int64_t n, const int64_t q[3], int64_t t[3]) {
  const int *p = perms[sym / 8];
  for (int a = 0; a < 3; a++) t[a] = (sym >> a) & 1 ? n - 1 - q[p[a]] : q[p[a]];
}

int hp_sym_is_rotation(int sym) {
  const int flips = (sym & 1) + ((sym >> 1) & 1) + ((sym >> 2) & 1);
  return (parity[sym / 8] + flips) % 2 == 0;
}

static int64_t wrap(int64_t i, int64_t nv) {
  i %= nv;
  return i < 0 ? i + nv : i;
}

void hp_sym_extract(const float *grid, int64_t nv, const int64_t origin[3], int64_t side, int sym,
                    float *out, int nthreads) {
  const int *p = perms[sym / 8];
  /* index of T(q)_a as a function of q_{p(a)}: per axis a table of grid coordinates */
#pragma omp parallel for num_threads(nthreads > 0 ? nthreads : omp_get_max_threads()) \
    schedule(static)
  for (int64_t q0 = 0; q0 < side; q0++)
    for (int64_t q1 = 0; q1 < side; q1++)
      for (int64_t q2 = 0; q2 < side; q2++) {
        const int64_t q[3] = {q0, q1, q2};
        int64_t g[3];
        for (int a = 0; a < 3; a++) {
          const int64_t t = (sym >> a) & 1 ? side - 1 - q[p[a]] : q[p[a]];
          g[a] = wrap(origin[a] + t, nv);
        }
        out[(q0 * side + q1) * side + q2] = grid[(g[0] * nv + g[1]) * nv + g[2]];
      }
}
