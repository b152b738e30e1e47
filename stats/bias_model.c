/* The field-level quadratic bias baseline (bias_model.h). */
#include "stats/bias_model.h"

#include <math.h>
#include <string.h>

/* Signed wavenumber index of FFT index i on an n mesh; n/2 is the Nyquist index. */
static int64_t kindex(int64_t i, int64_t n) { return i <= n / 2 ? i : i - n; }

/* A field's modes to real space (the contrast, normalised: delta_j = (1/V) sum_k dk e^{ikx}). */
static void to_real(const hp_stats_fft *fft, float *r, double box) {
  const int64_t n = hp_stats_fft_n(fft), nzc = n / 2 + 1;
  hp_stats_fft_c2r(fft, r);
  const float inv = (float)(1.0 / (box * box * box));
#pragma omp parallel for num_threads(hp_stats_fft_threads(fft)) schedule(static)
  for (int64_t i = 0; i < n * n * 2 * nzc; i++) r[i] *= inv;
}

int hp_stats_bias_operators(const hp_stats_fft *fft, const hp_stats_field *m,
                            hp_stats_field op[HP_BIAS_NOPS], hp_status *st) {
  const int64_t n = m->n, nzc = n / 2 + 1, nc = n * n * nzc, n3 = n * n * n;
  memset(op, 0, sizeof(hp_stats_field) * HP_BIAS_NOPS);
  if (hp_stats_fft_n(fft) != n)
    return hp_fail(st, HP_ERR_INPUT, "bias operators: mesh %lld, FFT %lld", (long long)n,
                   (long long)hp_stats_fft_n(fft));
  float *d2 = hp_alloc(sizeof(float) * (size_t)n3, "delta^2", st);
  float *s2 = d2 ? hp_alloc(sizeof(float) * (size_t)n3, "s^2", st) : NULL;
  hp_stats_field w;
  memset(&w, 0, sizeof w);
  int rc = !s2 ? st->code : hp_stats_field_alloc(&w, n, m->box, st);
  for (int i = 0; i < HP_BIAS_NOPS && !rc; i++) rc = hp_stats_field_alloc(&op[i], n, m->box, st);
  if (rc) goto done;
  const int nt = hp_stats_fft_threads(fft);
  /* O1 = delta without its Nyquist modes; delta(x) */
  memcpy(op[0].dk, m->dk, sizeof(float) * 2 * (size_t)nc);
  for (int64_t c = 0; c < nc; c++) {
    const int64_t ix = c / (n * nzc), iy = (c / nzc) % n, iz = c % nzc;
    if (ix == n / 2 || iy == n / 2 || iz == n / 2) op[0].dk[c][0] = op[0].dk[c][1] = 0;
  }
  op[0].dk[0][0] = op[0].dk[0][1] = 0;
  memcpy(w.dk, op[0].dk, sizeof(float) * 2 * (size_t)nc);
  to_real(fft, (float *)w.dk, m->box);
  const float *wr = (const float *)w.dk;
  for (int64_t xy = 0; xy < n * n; xy++)
    for (int64_t z = 0; z < n; z++) {
      const float v = wr[xy * 2 * nzc + z];
      d2[xy * n + z] = v * v;
      s2[xy * n + z] = 0;
    }
  /* s^2 = sum_ij s_ij^2: the six independent components, off-diagonal ones twice */
  static const int pair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
  for (int p = 0; p < 6; p++) {
    const int a = pair[p][0], b = pair[p][1];
    const float mult = a == b ? 1.0f : 2.0f;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t c = 0; c < nc; c++) {
      const int64_t k3[3] = {kindex(c / (n * nzc), n), kindex((c / nzc) % n, n), c % nzc};
      const double kk = (double)(k3[0] * k3[0] + k3[1] * k3[1] + k3[2] * k3[2]);
      const double f = kk > 0 ? (double)(k3[a] * k3[b]) / kk - (a == b ? 1.0 / 3.0 : 0.0) : 0.0;
      w.dk[c][0] = (float)(f * op[0].dk[c][0]);
      w.dk[c][1] = (float)(f * op[0].dk[c][1]);
    }
    to_real(fft, (float *)w.dk, m->box);
    for (int64_t xy = 0; xy < n * n; xy++)
      for (int64_t z = 0; z < n; z++) {
        const float v = wr[xy * 2 * nzc + z];
        s2[xy * n + z] += mult * v * v;
      }
  }
  /* O2, O3: contrasts of the real-space products (their means drop with the k = 0 mode) */
  rc = hp_stats_field_from_grid(fft, d2, HP_GRID_CONTRAST, HP_WIN_NONE, 0, &op[1], st);
  if (!rc) rc = hp_stats_field_from_grid(fft, s2, HP_GRID_CONTRAST, HP_WIN_NONE, 0, &op[2], st);
done:
  hp_free(d2);
  hp_free(s2);
  hp_stats_field_free(&w);
  if (rc)
    for (int i = 0; i < HP_BIAS_NOPS; i++) hp_stats_field_free(&op[i]);
  return rc;
}

int hp_stats_bias_fit(const hp_stats_field *a, const hp_stats_field op[HP_BIAS_NOPS], double kmax,
                      double b[HP_BIAS_NOPS], hp_stats_field *q, hp_status *st) {
  const int64_t n = a->n, nzc = n / 2 + 1, nc = n * n * nzc;
  memset(q, 0, sizeof *q);
  for (int i = 0; i < HP_BIAS_NOPS; i++)
    if (op[i].n != n)
      return hp_fail(st, HP_ERR_INPUT, "bias fit: tracer mesh %lld, operator mesh %lld",
                     (long long)n, (long long)op[i].n);
  const double kf = 2 * M_PI / a->box, k2max = (kmax / kf) * (kmax / kf);
  double A[HP_BIAS_NOPS][HP_BIAS_NOPS] = {{0}}, y[HP_BIAS_NOPS] = {0};
  int64_t modes = 0;
  for (int64_t c = 1; c < nc; c++) {
    const int64_t ix = kindex(c / (n * nzc), n), iy = kindex((c / nzc) % n, n), iz = c % nzc;
    const double kk = (double)(ix * ix + iy * iy + iz * iz);
    if (kk >= k2max) continue;
    const double wgt = iz == 0 || iz == n / 2 ? 1.0 : 2.0; /* the half of k-space not stored */
    for (int i = 0; i < HP_BIAS_NOPS; i++) {
      y[i] += wgt * (a->dk[c][0] * (double)op[i].dk[c][0] + a->dk[c][1] * (double)op[i].dk[c][1]);
      for (int j = 0; j < HP_BIAS_NOPS; j++)
        A[i][j] += wgt * (op[i].dk[c][0] * (double)op[j].dk[c][0] +
                          op[i].dk[c][1] * (double)op[j].dk[c][1]);
    }
    modes++;
  }
  if (modes < HP_BIAS_NOPS)
    return hp_fail(st, HP_ERR_INPUT, "bias fit: %lld modes below k = %g h/Mpc", (long long)modes,
                   kmax);
  /* Cramer's rule on the 3 x 3 normal equations (scaled: the operators differ in size) */
  double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
               A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
               A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
  if (!(fabs(det) > 1e-12 * A[0][0] * A[1][1] * A[2][2]))
    return hp_fail(st, HP_ERR_NUMERIC, "bias fit: the operators are degenerate below k = %g", kmax);
  for (int i = 0; i < HP_BIAS_NOPS; i++) {
    double M[3][3];
    memcpy(M, A, sizeof M);
    for (int r = 0; r < 3; r++) M[r][i] = y[r];
    b[i] = (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
            M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
            M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) /
           det;
  }
  if (hp_stats_field_alloc(q, n, a->box, st)) return st->code;
  for (int64_t c = 0; c < nc; c++)
    for (int r = 0; r < 2; r++)
      q->dk[c][r] = (float)(b[0] * op[0].dk[c][r] + b[1] * op[1].dk[c][r] + b[2] * op[2].dk[c][r]);
  q->window = op[0].window;
  q->deconvolved = op[0].deconvolved;
  return HP_OK;
}
