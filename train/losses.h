/**
 * @file losses.h
 * @brief Training objectives: the Poisson likelihood of the halo counts given the painted mean.
 *
 * The WGAN-GP terms (critic C(painted) - C(true) + penalty, generator -C(painted)) are formed
 * by the trainer from the critic's passes (train/critic.h); this module holds the supervised
 * objective. In float (hp_f_poisson_loss, training) and float64 (hp_d_poisson_loss, checks),
 * one source (train/losses_tmpl.h).
 *
 * Why eps: the painted mean is a ReLU output and can be exactly 0 where a voxel holds halos;
 * ln(lam + eps) keeps the loss finite there (its gradient, 1 - n/eps, does not flow through a
 * ReLU at 0 anyway). With eps = 1e-3 the minimiser lam = E[n] - eps is biased by 1e-3 counts per
 * voxel, far below the shot noise of any mass bin worth training.
 */
#ifndef HP_LOSSES_H
#define HP_LOSSES_H

#include <stdint.h>

/** Regulariser of ln(lam + eps) in the Poisson loss. */
#define HP_POISSON_EPS 1e-3

#define HP_T_REAL float
#define HP_T_FN(x) hp_f_##x
#include "train/losses_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#define HP_T_REAL double
#define HP_T_FN(x) hp_d_##x
#include "train/losses_api.h"
#undef HP_T_REAL
#undef HP_T_FN

#endif
