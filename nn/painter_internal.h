/**
 * @file painter_internal.h
 * @brief The CPU painter's plan, shared by nn/painter.c (planning, dispatch) and the tile
 *        kernels compiled once per vector path (nn/painter_tile_tmpl.h).
 */
#ifndef HP_PAINTER_INTERNAL_H
#define HP_PAINTER_INTERNAL_H

#include <stdint.h>

#include "nn/painter.h"
#include "nn/painter_pack.h"

#define RING 5 /* planes per ring: the largest kernel side */
#define NB 2   /* residual Inception blocks */

/* One block's packed weights (pointers into the plan's hp_painter_pack). */
typedef struct packed_block {
  const float *w_red, *b_red; /* [cin][30], [30] */
  const float *w5, *b5;       /* [10][5][5][5][10], [10] */
  const float *w3, *b3;       /* [10][3][3][3][10], [10] */
} packed_block;

/* Per-thread planes. Geometry for a tile of ty x tz outputs: block-1 inputs
 * (ty+8) x (tz+8), block-2 inputs (ty+4) x (tz+4), head inputs ty x tz. */
typedef struct workspace {
  float *x;    /* RING slots x 1 channel, geometry 0 (block 1 reads it directly: folded) */
  float *y1;   /* RING slots x 30 channels, geometry 1 */
  float *red2; /* RING slots x 30 channels, geometry 1 */
  float *y2;   /* 30 channels, geometry 2 */
  float *head; /* K channels, one row, geometry 2 */
} workspace;

typedef struct tile {
  int64_t x0, nx, y0, ny, z0, nz; /* output ranges */
} tile;

typedef struct hp_painter hp_painter_t;
/** Stream one tile through the network (one per vector path, nn/painter_tile_*.c). */
typedef void (*hp_painter_tile_fn)(const hp_painter_t *p, workspace *ws, const tile *tl,
                                   const float *rho, float *const *out);

struct hp_painter {
  hp_painter_desc d;
  const char *simd; /* the vector path: "AVX-512", "AVX2+FMA" or "portable" */
  int vw;           /* its lanes */
  hp_painter_tile_fn paint_tile;
  int tuned; /* 1: the tiles were measured (or read from the wisdom file) */
  int halo, k_out;
  float slope;
  int64_t out_n[3];
  int ty, tz;             /* largest tile */
  int64_t rows[3], rs[3]; /* rows and row stride of geometries 0, 1, 2 */
  int64_t cs[3];          /* channel stride = rows * rs */
  hp_painter_pack pack;   /* all weights, packed */
  packed_block blk[NB];
  const float *w_head[5], *b_head[5];                 /* [cin][cout] */
  const float *fold5_w, *fold5_b, *fold3_w, *fold3_b; /* block 1 folded (nn/painter_pack.h) */
  workspace *ws;
  int ntiles;
  tile *tiles;
  size_t bytes;
  double macs; /* executed multiply-adds per output voxel (hp_painter_macs_per_voxel) */
};

/** Input plane @p t of a tile (padded coordinates: output index + offset) into @p dst. */
void hp_painter_load_plane(const hp_painter *p, const tile *tl, const float *rho, int64_t t,
                           float *dst);

/**
 * Tile shape by measurement (nn/painter_tune.c): the wisdom file's, else the fastest of a few
 * timed shapes starting from *ty x *tz (the estimate), which it overwrites. @return 1 when
 * the shape came from the wisdom file or a measurement, 0 when the estimate stays.
 */
int hp_painter_tune(const hp_net *net, const hp_painter_desc *d, const char *simd, int64_t nx,
                    int64_t ny, int64_t nz, int *ty, int *tz);

/* The tile kernel of each vector path; the x86 ones exist when the build made them. */
void hp_painter_tile_portable(const hp_painter *p, workspace *ws, const tile *tl, const float *rho,
                              float *const *out);
void hp_painter_tile_avx2(const hp_painter *p, workspace *ws, const tile *tl, const float *rho,
                          float *const *out);
void hp_painter_tile_avx512(const hp_painter *p, workspace *ws, const tile *tl, const float *rho,
                            float *const *out);

#endif
