/* Training layers in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "nn/train_real.h"
#include "nn/train_layers.h"
#include "nn/train_layers_tmpl.h"
