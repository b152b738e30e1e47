/* The critic's passes and its gradient penalty in float: the path that trains */
#include "nn/train_real.h"
#include "nn/critic.h"
#include "nn/critic_tmpl.h"
#include "nn/gradient_penalty_tmpl.h"
