/* The Poisson loss in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "train/real.h"
#include "train/losses.h"
#include "train/losses_tmpl.h"
