/* The critic's passes and its gradient penalty in float: the path that trains */
#include "train/real.h"
#include "train/critic.h"
#include "train/critic_tmpl.h"
#include "train/gradient_penalty_tmpl.h"
