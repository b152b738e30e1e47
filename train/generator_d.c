/* The generator's training passes in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "train/real.h"
#include "train/generator.h"
#include "train/generator_tmpl.h"
