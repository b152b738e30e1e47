/**
 * @file train_synthetic.h
 * @brief A small training problem with a known answer, for the learning tests.
 */
#ifndef HP_TESTS_TRAIN_SYNTHETIC_H
#define HP_TESTS_TRAIN_SYNTHETIC_H

#include "nn/network.h"
#include "train/trainer.h"

/** Two boxes (training 32^3, held-out 24^3) prepared for patches of side @p patch. */
void synth_make_data(hp_train_data *d, int patch);
/** Correlation of @p net's painted mean with the true mean on the held-out box; the ratio of
 *  their totals in *ratio when not NULL. */
double synth_held_out_corr(const hp_net *net, const hp_train_data *d, double *ratio);

#endif
