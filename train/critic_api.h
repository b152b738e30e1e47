/*
 * Declarations of the critic's passes for one precision; included twice by train/critic.h
 * (HP_T_REAL / HP_T_FN as in train/layers_api.h). No include guard on purpose.
 */

/** Workspace of the critic's passes (opaque): activations, backward signals, penalty tangents. */
typedef struct HP_T_FN(critic_ws) HP_T_FN(critic_ws);

/**
 * Allocate every buffer of the critic's passes (none is allocated by a pass).
 * @param out       the workspace (free with critic_ws_destroy)
 * @param c         the critic's layer list (copied)
 * @param nthreads  OpenMP threads (0 = all); results do not depend on it
 * @param st        status
 * @return 0 or HP_ERR_NOMEM
 */
int HP_T_FN(critic_ws_create)(HP_T_FN(critic_ws) * *out, const hp_critic *c, int nthreads,
                              hp_status *st);
/** Free (NULL is fine). */
void HP_T_FN(critic_ws_destroy)(HP_T_FN(critic_ws) * ws);

/**
 * C(x), keeping the activations for critic_backward.
 * @param w  the critic's nparams weights
 * @param x  input [cin][side^3]; must stay unchanged until the backward pass
 * @return the critic's scalar output (summed in double)
 */
double HP_T_FN(critic_forward)(HP_T_FN(critic_ws) * ws, const HP_T_REAL *w, const HP_T_REAL *x);

/**
 * Backward pass of the last forward, for the loss scale * C.
 * @param gw  NULL, or the weight gradient array: gw += scale dC/dtheta
 * @param gx  NULL, or [cin][side^3]: overwritten with scale dC/dx
 */
void HP_T_FN(critic_backward)(HP_T_FN(critic_ws) * ws, const HP_T_REAL *w, double scale,
                              HP_T_REAL *gw, HP_T_REAL *gx);

/**
 * The gradient penalty lambda (||g|| - 1)^2, g = dC/dx at @p x_hat, and (if @p gw is not NULL)
 * its exact weight gradient added to gw, by double backpropagation through the masked linear
 * network (shared/notes/gradient-penalty.md): a forward pass at x_hat (masks), the backward
 * pass (e_l and g), a forward pass of v = 2 (||g|| - 1) g / ||g|| through the masked network
 * without biases (u_l), then the weight-gradient kernels on the pairs (u_{l-1}, e_l), times
 * lambda; the dense layer's gradient is lambda u_L, the biases get none.
 * @param gnorm  out (may be NULL): ||g||
 * @return the penalty
 */
double HP_T_FN(critic_gradient_penalty)(HP_T_FN(critic_ws) * ws, const HP_T_REAL *w,
                                        const HP_T_REAL *x_hat, double lambda, HP_T_REAL *gw,
                                        double *gnorm);

/** Smallest |pre-activation| of the last forward pass (distance to the nearest kink). */
double HP_T_FN(critic_min_abs_preact)(const HP_T_FN(critic_ws) * ws);
