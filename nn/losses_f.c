/* The Poisson loss in float: the path that trains */
#include "nn/train_real.h"
#include "nn/losses.h"
#include "nn/losses_tmpl.h"
