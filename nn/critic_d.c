/* The critic's passes and its gradient penalty in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "nn/train_real.h"
#include "nn/critic.h"
#include "nn/critic_tmpl.h"
#include "nn/gradient_penalty_tmpl.h"
