/* The generator's training passes in float: the path that trains */
#include "nn/train_real.h"
#include "nn/gen_train.h"
#include "nn/gen_train_tmpl.h"
