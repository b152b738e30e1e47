/**
 * @file symmetry.h
 * @brief The 48 symmetries of the cube (24 rotations, with and without a reflection), applied
 *        to patches cut from periodic grids.
 *
 * Symmetry s (0..47) is a permutation of the axes, p = s / 8 (0..5, lexicographic order of
 * the 6 permutations), and a reflection of each axis, bit a of s % 8 for axis a. A patch of side
 * n at @p origin in a periodic grid, transformed by s, is
 *     patch[q0][q1][q2] = grid[origin + T(q)],  T(q)_a = flip_a ? n - 1 - q_{p(a)} : q_{p(a)},
 * a map of the patch onto itself about its centre. So the inner cube of side n - 2h of a
 * density patch (the region the generator paints) is mapped exactly as a counts patch of that
 * side taken at origin + h: density and counts are transformed identically. s = 0 is the
 * identity; s is a rotation (determinant +1) when the permutation's parity and the number of
 * reflections have the same parity.
 */
#ifndef HP_SYMMETRY_H
#define HP_SYMMETRY_H

#include <stdint.h>

#define HP_SYM_COUNT 48

/** Source offset @p t of patch voxel @p q under symmetry @p sym, for a patch of side @p n. */
void hp_sym_map(int sym, int64_t n, const int64_t q[3], int64_t t[3]);

/** 1 if @p sym is a proper rotation (determinant +1), 0 if it includes a reflection. */
int hp_sym_is_rotation(int sym);

/**
 * Cut a transformed patch from a periodic grid: out[q] = grid[(origin + T(q)) mod nv] for q in
 * [0, side)^3 (row-major, z fastest). Each output voxel is read from one grid voxel (a copy:
 * no arithmetic).
 * @param grid      nv^3 floats, [x][y][z]
 * @param nv        grid side
 * @param origin    the patch's corner in the grid (any integers: taken modulo nv)
 * @param side      patch side (<= nv)
 * @param sym       0..HP_SYM_COUNT-1
 * @param out       side^3 floats
 * @param nthreads  OpenMP threads (0 = all)
 */
void hp_sym_extract(const float *grid, int64_t nv, const int64_t origin[3], int64_t side, int sym,
                    float *out, int nthreads);

#endif
