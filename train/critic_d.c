/* The critic's passes and its gradient penalty in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "train/real.h"
#include "train/critic.h"
#include "train/critic_tmpl.h"
#include "train/gradient_penalty_tmpl.h"
