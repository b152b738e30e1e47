/**
 * @file mesh.h
 * @brief Particles or halos -> density contrast modes on a mesh: NGP, CIC or TSC assignment,
 *        optional interlacing (Sefusatti et al. 2016, MNRAS 460, 3624), window deconvolution,
 *        and the shot noise of the sample. Also the real-space density rho/rho_mean.
 *
 * Assignment of order p (hp_stats_window): per axis, u = x/H - 1/2 (voxel centres at integer
 * u, H = L/n, as cic/); NGP gives weight 1 to round(u); CIC gives 1 - t, t to floor(u) and the
 * next voxel (t = u - floor u); TSC gives (1/2 - d)^2/2, 3/4 - d^2, (1/2 + d)^2/2 to round(u) - 1,
 * round(u), round(u) + 1 (d = u - round u). With p = 2 the weights are those of hp_cic_deposit.
 * Interlacing deposits a second mesh with every particle moved by +H/2 along each axis and
 * combines the modes as (F_1 + e^{i k.(1,1,1) H/2} F_2)/2, which cancels the aliased images of
 * odd order.
 *
 * The modes are delta(k) = (V / sum w) sum_j g_j e^{-ik.x_j} [(Mpc/h)^3], the mean mode zeroed,
 * divided by W(k) when deconvolving. The field records the white shot noise
 * V sum w^2 / (sum w)^2 (= 1/nbar without weights) and V^2 sum w^3/(sum w)^3; the power
 * spectrum turns them into the aliased shot noise of each bin (field.h). Particles given as
 * lattice displacements (lattice_np > 0) are not a Poisson sample: their shot noise is 0.
 *
 * Determinism: particles are taken in chunks of HP_STATS_CHUNK, stably counting-sorted by the
 * x-plane of their first voxel; each x-plane of the mesh is then filled by one thread from the
 * p buckets that reach it, in a fixed order. Every voxel receives its additions in an order
 * fixed by the data alone: meshes are bit-identical for any thread count.
 *
 * Plan / execute / destroy: the plan holds the FFT plan, the sort workspace and (interlacing)
 * a second mesh; executing allocates nothing.
 */
#ifndef HP_STATS_MESH_H
#define HP_STATS_MESH_H

#include <stdint.h>

#include "cic/cic.h"
#include "stats/field.h"
#include "util/status.h"

/** Particles sorted and deposited per chunk (fixed: part of the bitwise contract). */
#define HP_STATS_CHUNK ((int64_t)1 << 20)

/** What a mesh plan is made for. */
typedef struct hp_stats_mesh_desc {
  int64_t n;      /**< mesh side, 2 <= n <= 4096 */
  double box;     /**< box side L [Mpc/h] */
  int window;     /**< hp_stats_window: HP_WIN_NGP, HP_WIN_CIC or HP_WIN_TSC */
  int interlace;  /**< 1: two interlaced meshes (one more FFT, 2x the mesh memory) */
  int deconvolve; /**< 1: divide the modes by the window W(k) */
  int nthreads;   /**< threads; <= 0 means omp_get_max_threads(); results do not depend on it */
} hp_stats_mesh_desc;

/** Opaque mesh plan. */
typedef struct hp_stats_mesh hp_stats_mesh;

/**
 * Allocate the workspace (36 bytes per chunk particle, 38 MB, plus one padded mesh when
 * interlacing)
 * and plan the FFT.
 * @param out  receives the plan (NULL on failure)
 * @param d    descriptor (copied)
 * @param st   status
 * @return 0, HP_ERR_INPUT, HP_ERR_NOMEM or HP_ERR_INTERNAL
 */
int hp_stats_mesh_create(hp_stats_mesh **out, const hp_stats_mesh_desc *d, hp_status *st);

/** Free a plan (NULL is allowed). */
void hp_stats_mesh_destroy(hp_stats_mesh *m);

/** The descriptor of a plan (nthreads resolved). */
const hp_stats_mesh_desc *hp_stats_mesh_get_desc(const hp_stats_mesh *m);

/** The plan's FFT (for hp_stats_field_from_grid on meshes of the same side). */
const hp_stats_fft *hp_stats_mesh_fft(const hp_stats_mesh *m);

/**
 * Density contrast modes of a set of particles (positions anywhere: wrapped into the box; or
 * lattice displacements, see hp_cic_particles; optional weights).
 * @param m      plan
 * @param parts  particles, n >= 1 with a positive total weight
 * @param out    field allocated with the plan's n and box; overwritten
 * @param st     status
 * @return 0 or HP_ERR_INPUT (non-finite coordinate, naming the particle; bad weights)
 */
int hp_stats_mesh_execute(hp_stats_mesh *m, const hp_cic_particles *parts, hp_stats_field *out,
                          hp_status *st);

/**
 * Real-space density rho/rho_mean of the particles with the plan's window (no interlacing, no
 * deconvolution): the grid mean is 1.
 * @param m      plan
 * @param parts  particles (as hp_stats_mesh_execute)
 * @param grid   n^3 floats, row-major [x][y][z]; overwritten
 * @param st     status
 */
int hp_stats_mesh_density(hp_stats_mesh *m, const hp_cic_particles *parts, float *grid,
                          hp_status *st);

#endif
