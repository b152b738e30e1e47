/* The painter's tile kernel on the avx2 vector path (nn/painter_tile_tmpl.h). */
#if !defined(__AVX2__)
#error "built without __AVX2__: the Makefile gives this file its -march"
#endif
#define HP_PAINTER_TILE hp_painter_tile_avx2
#include "nn/painter_tile_tmpl.h"
