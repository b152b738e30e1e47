/* The generator's training passes in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "nn/train_real.h"
#include "nn/gen_train.h"
#include "nn/gen_train_tmpl.h"
