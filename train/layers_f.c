/* Training layers in float: the path that trains */
#include "train/real.h"
#include "train/layers.h"
#include "train/layers_tmpl.h"
