/*
 * Declarations of the losses for one precision; included twice by train/losses.h (HP_T_REAL /
 * HP_T_FN as in train/layers_api.h). No include guard on purpose.
 */

/**
 * Poisson negative log-likelihood of counts @p n given the painted mean @p lam, per voxel and
 * mass bin, averaged: L = (1/N) sum_i [lam_i - n_i ln(lam_i + eps)] (the constant ln n_i! is
 * left out). Summed in double over fixed chunks, in order: the same for any thread count.
 * @param lam       painted mean (the generator's ReLU output, >= 0), N values
 * @param n         counts, N values
 * @param count     N
 * @param eps       regulariser of the logarithm (HP_POISSON_EPS)
 * @param grad      NULL, or N values: grad += scale dL/dlam = scale (1 - n/(lam + eps)) / N
 * @param scale     weight of the loss in @p grad
 * @param nthreads  OpenMP threads (0 = all)
 * @return L
 */
double HP_T_FN(poisson_loss)(const HP_T_REAL *lam, const HP_T_REAL *n, int64_t count, double eps,
                             HP_T_REAL *grad, double scale, int nthreads);
