/**
 * @file checkpoint.h
 * @brief Training checkpoints: a model file plus the state that resumes the run exactly.
 *
 * A checkpoint is a complete model file (hp_model_save: architecture, current generator
 * weights, metadata), so `halopaint paint` and hp_model_load read it as any model, plus a group
 * /Training that hp_model_load ignores:
 *   attributes  Update (int64: generator updates done), Seed (uint64), Objective (string),
 *               Patch, CriticSteps (int32), LearningRate, Beta1, Beta2, AdamEpsilon, GPLambda,
 *               PoissonWeight, AverageDecay (float64; absent in older checkpoints = 0),
 *               GeneratorAdamStep, CriticAdamStep (int64),
 *               ElapsedSeconds (float64: wall time of the run so far)
 *   datasets    GeneratorAdamM, GeneratorAdamV (float32, one per generator parameter);
 *               GeneratorAverage (float64, the weights' moving average) when AverageDecay > 0;
 *               for wgan-gp and both: CriticWeights, CriticAdamM, CriticAdamV (float32, one per
 *               critic parameter, the layout of train/critic.h)
 * The random draws are a function of (Seed, Update, step), so these are the whole state:
 * restoring them and continuing gives the bits of an uninterrupted run. The file is written
 * atomically (temporary name, then rename): an interrupted write leaves the previous
 * checkpoint intact.
 */
#ifndef HP_CHECKPOINT_H
#define HP_CHECKPOINT_H

#include "nn/model.h"
#include "train/trainer.h"
#include "util/status.h"

/**
 * Write a checkpoint: @p model's metadata with the trainer's current generator weights, and
 * the training state.
 * @param path     output file (.h5), replaced atomically
 * @param model    metadata (and architecture) of the model being trained; its weights are not
 *                 used (the trainer's are written)
 * @param t        the trainer
 * @param elapsed  wall time of the run so far [s], restored by hp_checkpoint_restore
 * @return 0, HP_ERR_INPUT (invalid model) or HP_ERR_IO
 */
int hp_checkpoint_save(const char *path, const hp_model *model, hp_trainer *t, double elapsed,
                       hp_status *st);

/**
 * Whether a model file carries training state (a /Training group).
 * @param has  out: 1 or 0
 * @return 0 or HP_ERR_IO / HP_ERR_FORMAT (unreadable file)
 */
int hp_checkpoint_probe(const char *path, int *has, hp_status *st);

/**
 * Restore the training state of a checkpoint into a trainer created from the checkpoint's
 * model with the same settings. Refuses (HP_ERR_INPUT, naming the setting and both values) a
 * checkpoint made with another objective, seed, patch, critic steps, Adam settings, penalty or
 * Poisson weight, and (HP_ERR_FORMAT) a state of the wrong size. On failure the trainer's
 * state may be partly overwritten: destroy it.
 * @param elapsed  out (may be NULL): the run's wall time so far [s]
 */
int hp_checkpoint_restore(const char *path, hp_trainer *t, double *elapsed, hp_status *st);

#endif
