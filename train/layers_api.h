/*
 * Declarations of the training layers for one precision; included twice by train/layers.h
 * (float: HP_T_REAL float, HP_T_FN(x) hp_f_##x; float64: double, hp_d_##x). No include guard on
 * purpose. Documentation: train/layers.h.
 */

/** REALs of scratch that the three convolution operations need for output side @p m. */
size_t HP_T_FN(conv_scratch)(const hp_conv *c, int64_t m);

/**
 * Valid convolution of a cubic view: out[co][i][j][l] = b[co] + sum w[co][ci][dx][dy][dz]
 * in[ci][off + s i + dx][off + s j + dy][off + s l + dz], for i, j, l < m.
 * @param c        layer (k, stride, channels, offsets of its kernel and bias in @p w)
 * @param w        all weights of the network (PyTorch layout)
 * @param in       input tensor [cin][n][n][n]
 * @param n        input side
 * @param off      view offset (the same on every axis); off + (m-1) s + k <= n
 * @param out      output [cout][m][m][m], overwritten
 * @param m        output side
 * @param bias     1: add the bias; 0: no bias (the penalty's linear pass)
 * @param scratch  HP_T_FN(conv_scratch)(c, m) REALs
 * @param nthreads OpenMP threads (results do not depend on it)
 */
void HP_T_FN(conv_forward)(const hp_conv *c, const HP_T_REAL *w, const HP_T_REAL *in, int64_t n,
                           int64_t off, HP_T_REAL *out, int64_t m, int bias, HP_T_REAL *scratch,
                           int nthreads);

/**
 * Input gradient (transposed convolution), accumulated: din[view] += W^T dout. Only the view
 * region [off, off + (m-1) s + k) of @p din changes.
 * @param dout  output gradient [cout][m][m][m]
 * @param din   input gradient [cin][n][n][n], added to
 */
void HP_T_FN(conv_backward_data)(const hp_conv *c, const HP_T_REAL *w, const HP_T_REAL *dout,
                                 int64_t m, HP_T_REAL *din, int64_t n, int64_t off,
                                 HP_T_REAL *scratch, int nthreads);

/**
 * Weight gradient, accumulated: gw[kernel] += scale sum_{i,j,l} dout[co][i][j][l]
 * in[ci][view at s i + dx, ...]; gw[bias] += scale sum dout[co] when @p bias is 1.
 * @param gw  gradient array laid out as the weights
 */
void HP_T_FN(conv_backward_weight)(const hp_conv *c, const HP_T_REAL *in, int64_t n, int64_t off,
                                   const HP_T_REAL *dout, int64_t m, double scale, int bias,
                                   HP_T_REAL *gw, HP_T_REAL *scratch, int nthreads);

/** In place x = x < 0 ? slope x : x. */
void HP_T_FN(lrelu_forward)(HP_T_REAL *x, int64_t count, double slope, int nthreads);
/** In place d *= (a > 0 ? 1 : slope), a the layer's output (a > 0 exactly where z > 0). */
void HP_T_FN(lrelu_backward)(const HP_T_REAL *a, HP_T_REAL *d, int64_t count, double slope,
                             int nthreads);
/** In place x = max(x, 0). */
void HP_T_FN(relu_forward)(HP_T_REAL *x, int64_t count, int nthreads);
/** In place d *= (a > 0 ? 1 : 0). */
void HP_T_FN(relu_backward)(const HP_T_REAL *a, HP_T_REAL *d, int64_t count, int nthreads);
