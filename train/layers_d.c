/* Training layers in float64: the check path of the gradient tests */
#define HP_TRAIN_DOUBLE
#include "train/real.h"
#include "train/layers.h"
#include "train/layers_tmpl.h"
