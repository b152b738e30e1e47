/* Training layers in float: the path that trains */
#include "nn/train_real.h"
#include "nn/train_layers.h"
#include "nn/train_layers_tmpl.h"
