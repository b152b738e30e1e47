/* The painter's tile kernel on the portable vector path (nn/painter_tile_tmpl.h). */
#define HP_PAINTER_TILE hp_painter_tile_portable
#include "nn/painter_tile_tmpl.h"
