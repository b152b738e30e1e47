/* The painter's tile kernel on the avx512 vector path (nn/painter_tile_tmpl.h). */
#if !defined(__AVX512F__)
#error "built without __AVX512F__: the Makefile gives this file its -march"
#endif
#define HP_PAINTER_TILE hp_painter_tile_avx512
#include "nn/painter_tile_tmpl.h"
