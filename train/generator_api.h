/*
 * Declarations of the generator's training passes for one precision; included twice by
 * train/generator.h (HP_T_REAL / HP_T_FN as in train/layers_api.h). No include guard on purpose.
 */

/** Training workspace of the generator for one patch size (opaque). */
typedef struct HP_T_FN(gen_ws) HP_T_FN(gen_ws);

/**
 * Plan the generator's training passes for a cubic input patch: every activation, gradient
 * and scratch buffer is allocated here, none in forward or backward.
 * @param out       the workspace (free with gen_ws_destroy)
 * @param net       the generator's layer list (its float weights are not used; the weights are
 *                  passed to each call, in the precision of the workspace). Copied.
 * @param n_in      input side (output side n_in - 2 hp_net_halo(net))
 * @param nthreads  OpenMP threads (0 = all); results do not depend on it
 * @param st        status
 * @return 0, HP_ERR_INPUT (side too small for the network) or HP_ERR_NOMEM
 */
int HP_T_FN(gen_ws_create)(HP_T_FN(gen_ws) * *out, const hp_net *net, int64_t n_in, int nthreads,
                           hp_status *st);
/** Free a workspace (NULL is fine). */
void HP_T_FN(gen_ws_destroy)(HP_T_FN(gen_ws) * g);
/** Output side of the workspace's patch. */
int64_t HP_T_FN(gen_ws_out_side)(const HP_T_FN(gen_ws) * g);
/** Multiply-adds one forward and one backward pass execute (folded branches at their folded
 * cost; the backward pass forms no gradient of the density). */
void HP_T_FN(gen_ws_macs)(const HP_T_FN(gen_ws) * g, double *fwd, double *bwd);
/** Bytes allocated by the workspace. */
size_t HP_T_FN(gen_ws_bytes)(const HP_T_FN(gen_ws) * g);

/**
 * Per-layer timing (benchmarks): @p on != 0 clears the clocks and starts timing every
 * convolution of the passes that follow (one omp_get_wtime pair a layer and pass); 0 stops.
 */
void HP_T_FN(gen_ws_profile)(HP_T_FN(gen_ws) * g, int on);
/**
 * Seconds spent in convolution @p i since profiling started: t[0] forward, t[1] weight
 * gradient, t[2] input gradient; and its multiply-adds a pass in @p macs (0: a folded reduce,
 * timed with the convolution it feeds).
 */
void HP_T_FN(gen_ws_layer_time)(const HP_T_FN(gen_ws) * g, int i, double t[3], double *macs);

/**
 * Forward pass, keeping every activation for the backward pass.
 * @param w   the network's nparams weights (PyTorch layout, offsets of the layer list)
 * @param in  input patch [cin][n_in^3] (rho/rho_mean); must stay unchanged until backward
 * @return    the painted mean [K][m^3] (m = output side), owned by the workspace
 */
const HP_T_REAL *HP_T_FN(gen_forward)(HP_T_FN(gen_ws) * g, const HP_T_REAL *w, const HP_T_REAL *in);

/**
 * Backward pass of the last forward: gw += dL/dw for the output gradient @p dout = dL/d(output)
 * [K][m^3] (the ReLU of the output layer is applied here). No input gradient is formed.
 */
void HP_T_FN(gen_backward)(HP_T_FN(gen_ws) * g, const HP_T_REAL *w, const HP_T_REAL *dout,
                           HP_T_REAL *gw);

/**
 * Training only: on an output channel whose pre-activation is below zero on the whole patch (a
 * dead mass bin, which the exact ReLU derivative would leave dead for good), the backward
 * passes @p leak times the gradient where it would raise the output (dL/d(output) < 0) and
 * nothing where it would lower it; every other channel gets the exact derivative (0, the
 * default: exact everywhere). The forward pass, and so the model, stay the paper's ReLU.
 */
void HP_T_FN(gen_ws_set_output_leak)(HP_T_FN(gen_ws) * g, double leak);

/**
 * Distance of the last forward pass to the nearest kink: the smallest |z| over every leaky-ReLU
 * and ReLU pre-activation. Gradient checks draw inputs until it exceeds their step.
 */
double HP_T_FN(gen_min_abs_preact)(const HP_T_FN(gen_ws) * g);
