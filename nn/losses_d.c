/* The Poisson loss in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "nn/train_real.h"
#include "nn/losses.h"
#include "nn/losses_tmpl.h"
