/*
 * The WGAN-GP gradient penalty and its exact weight gradient, by double backpropagation
 * through the critic's masked linear network (shared/notes/gradient-penalty.md). Written once
 * for both precisions; included by train/critic_f.c and train/critic_d.c after train/critic_tmpl.h.
 * No include guard on purpose.
 *
 * With the leaky-ReLU masks m_l fixed by the forward pass at x_hat, g = dC/dx is linear in
 * each W_l and in w_d and independent of the biases. For v held fixed, S = <v, g> is the
 * directional derivative of C along v: u_0 = v, u_l = m_l (W_l u_{l-1}) (no bias),
 * S = <w_d, u_L>; so dS/dW_l is the ordinary weight gradient of the pair (input u_{l-1},
 * output gradient e_l), dS/dw_d = u_L, dS/db = 0. With v = 2 (||g|| - 1) g / ||g||,
 * lambda dS/dtheta is the gradient of lambda (||g|| - 1)^2.
 */

double FN(critic_gradient_penalty)(FN(critic_ws) * ws, const REAL *w, const REAL *x_hat,
                                   double lambda, REAL *gw, double *gnorm) {
  const hp_critic *c = &ws->c;
  const int last = c->nconv - 1;
  const int64_t nin = c->cin * FN(ccube)(c->side);
  /* masks and e_l at x_hat, and g */
  FN(critic_forward)(ws, w, x_hat);
  FN(critic_backward)(ws, w, 1.0, NULL, ws->g);
  double g2 = 0;
  for (int64_t i = 0; i < nin; i++) g2 += (double)ws->g[i] * ws->g[i];
  const double norm = sqrt(g2), pen = lambda * (norm - 1) * (norm - 1);
  if (gnorm) *gnorm = norm;
  if (!gw) return pen;
  /* v = 2 (||g|| - 1) g / ||g|| (0 at g = 0, where the direction is undefined) */
  const REAL coef = (REAL)(norm > 0 ? 2 * (norm - 1) / norm : 0);
  for (int64_t i = 0; i < nin; i++) ws->v[i] = coef * ws->g[i];
  /* u_l = m_l (W_l u_{l-1}), no bias */
  for (int l = 0; l <= last; l++) {
    int64_t n;
    const REAL *in = FN(critic_in)(ws, l, ws->v, ws->u, &n);
    T_conv_forward(&c->conv[l], w, in, n, 0, ws->u[l], c->out_side[l], 0, ws->scratch,
                   ws->nthreads);
    T_lrelu_backward(ws->a[l], ws->u[l], FN(layer_size)(c, l), c->slope, ws->nthreads);
  }
  /* lambda dS/dtheta: dense lambda u_L; convolutions: kernels on (u_{l-1}, e_l), no bias */
  const REAL lam = (REAL)lambda;
  REAL *gd = gw + c->dense_w_off;
  for (int64_t i = 0; i < c->dense_in; i++) gd[i] += lam * ws->u[last][i];
  for (int l = 0; l <= last; l++) {
    int64_t n;
    const REAL *in = FN(critic_in)(ws, l, ws->v, ws->u, &n);
    T_conv_backward_weight(&c->conv[l], in, n, 0, ws->e[l], c->out_side[l], lambda, 0, gw,
                           ws->scratch, ws->nthreads);
  }
  return pen;
}
