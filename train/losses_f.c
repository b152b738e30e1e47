/* The Poisson loss in float: the path that trains */
#include "train/real.h"
#include "train/losses.h"
#include "train/losses_tmpl.h"
