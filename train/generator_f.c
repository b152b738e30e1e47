/* The generator's training passes in float: the path that trains */
#include "train/real.h"
#include "train/generator.h"
#include "train/generator_tmpl.h"
