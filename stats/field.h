/**
 * @file field.h
 * @brief A density contrast in Fourier space on a periodic mesh: the common input of every
 *        statistic of stats/ (power and cross spectra, multipoles, bispectrum), the
 *        conversion of a real-space grid into one, the mass-assignment windows and the
 *        aliased shot-noise shapes.
 *
 * Conventions (DESIGN.md; docs/stats.md): k in h/Mpc, lengths in Mpc/h, the continuous
 * transform delta(k) = int d^3x delta(x) e^{-ik.x}, estimated on an n^3 mesh of side L as
 * delta(k) = (V/n^3) sum_j delta_j e^{-ik.x_j}, and P = <|delta(k)|^2>/V in (Mpc/h)^3.
 * Grids are float, row-major [x][y][z]; voxel j has its centre at (j + 1/2) L/n (as cic/).
 * The field is stored in FFTW's r2c layout [n][n][n/2+1] of (re, im) float pairs, so that the
 * same array, read as floats, is the padded real grid [n][n][2(n/2+1)] of an in-place r2c
 * transform. The mean (k = 0) mode is always zero.
 *
 * Windows (Hockney & Eastwood 1981): assignment of order p (NGP p = 1, CIC 2, TSC 3) has the
 * Fourier window W(k) = prod_c sinc^p(k_c H/2), H = L/n. A Poisson sample of mean density nbar
 * assigned with W has the aliased shot-noise power (Jing 2005, ApJ 620, 559)
 *   P_shot(k) = (1/nbar) sum_m W^2(k + 2 pi m/H) = (1/nbar) prod_c S_p(k_c),
 *   S_1 = 1, S_2 = 1 - 2/3 s^2, S_3 = 1 - s^2 + 2/15 s^4, s = sin(k_c H/2),
 * and with interlacing (Sefusatti et al. 2016, MNRAS 460, 3624), which cancels the images with
 * odd m_x + m_y + m_z, (1/nbar) [prod_c S_p(k_c) + prod_c A_p(k_c)] / 2 with the alternating
 * sums A_p(k_c) = sum_m (-1)^m W_p^2(k_c + 2 pi m/H). Divided by W^2(k) when the field was
 * deconvolved. These shapes are what the power spectrum subtracts bin by bin.
 */
#ifndef HP_STATS_FIELD_H
#define HP_STATS_FIELD_H

#include <stdint.h>

#include "util/status.h"

/** Mass-assignment window (its order p is the enum value). */
enum hp_stats_window {
  HP_WIN_NONE = 0, /**< no assignment window (a field given on the mesh as it is) */
  HP_WIN_NGP = 1,  /**< nearest grid point, W = sinc */
  HP_WIN_CIC = 2,  /**< cloud in cell, W = sinc^2 */
  HP_WIN_TSC = 3   /**< triangular shaped cloud, W = sinc^3 */
};

/** What the values of a real-space grid are. */
enum hp_stats_grid_kind {
  HP_GRID_DENSITY = 0,  /**< a positive density in any unit (rho/rho_mean, mass): delta =
                             g/mean(g) - 1; no shot noise */
  HP_GRID_CONTRAST = 1, /**< the density contrast delta itself (mean ignored) */
  HP_GRID_COUNTS = 2,   /**< object counts per voxel, whole numbers (a point set, e.g. a
                             sampled halo grid): delta = g/mean(g) - 1, shot noise V / sum(g) */
  HP_GRID_MEAN = 3      /**< expected counts per voxel (a painted mean field): delta =
                             g/mean(g) - 1; no shot noise (not a point set) */
};

/** A density contrast in Fourier space. Arrays are owned (hp_stats_field_free). */
typedef struct hp_stats_field {
  int64_t n;       /**< mesh side (voxels per dimension) */
  double box;      /**< box side L [Mpc/h] */
  float (*dk)[2];  /**< [n][n][n/2+1] delta(k) [(Mpc/h)^3], FFTW r2c layout */
  int window;      /**< hp_stats_window the modes were assigned with */
  int deconvolved; /**< 1 if the modes were divided by the window W(k) */
  int interlaced;  /**< 1 if two interlaced meshes were combined */
  double shot;     /**< white shot-noise amplitude V sum w^2 / (sum w)^2 [(Mpc/h)^3]; 0 = none */
  double shot3;    /**< V^2 sum w^3 / (sum w)^3 [(Mpc/h)^6], the bispectrum's 1/nbar^2 term */
  double nbar;     /**< number density N/V [(h/Mpc)^3]; 0 when not a sample of objects */
  int64_t count;   /**< objects assigned (0 for a grid that is not of counts) */
  double wsum;     /**< sum of the weights (= count without weights) */
} hp_stats_field;

/**
 * Allocate the modes of an n^3 mesh (zeroed) and set the geometry; the other members zero.
 * @param f    field to fill (its old contents are not freed)
 * @param n    mesh side, 2 <= n <= 4096
 * @param box  box side L [Mpc/h], > 0
 * @param st   status
 * @return 0, HP_ERR_INPUT or HP_ERR_NOMEM
 */
int hp_stats_field_alloc(hp_stats_field *f, int64_t n, double box, hp_status *st);

/** Free the modes; the struct is zeroed (safe to call twice). */
void hp_stats_field_free(hp_stats_field *f);

/** Opaque FFT plan: in-place r2c and c2r transforms of padded n^3 meshes, threaded. */
typedef struct hp_stats_fft hp_stats_fft;

/**
 * Plan the in-place r2c and c2r transforms of an n^3 mesh (FFTW_ESTIMATE, so the plan and the
 * results do not depend on timing; planning happens under the project-wide
 * critical(hp_fftw_planner) section).
 * @param out       receives the plan
 * @param n         mesh side
 * @param nthreads  threads for FFTW and the loops; <= 0 means omp_get_max_threads()
 * @param st        status
 * @return 0, HP_ERR_INPUT, HP_ERR_NOMEM or HP_ERR_INTERNAL (FFTW could not plan)
 */
int hp_stats_fft_create(hp_stats_fft **out, int64_t n, int nthreads, hp_status *st);

/** Free a plan (NULL is allowed). */
void hp_stats_fft_destroy(hp_stats_fft *p);

/** Mesh side of a plan. */
int64_t hp_stats_fft_n(const hp_stats_fft *p);

/** Threads a plan uses. */
int hp_stats_fft_threads(const hp_stats_fft *p);

/**
 * In-place forward transform of a padded grid (floats [n][n][2(n/2+1)], allocated with
 * hp_alloc or as a field's dk): afterwards it holds sum_j g_j e^{-ik.x_j} (unnormalised).
 */
void hp_stats_fft_r2c(const hp_stats_fft *p, float *padded);

/** In-place inverse transform (unnormalised: sum_k c_k e^{+ik.x}); the input is destroyed. */
void hp_stats_fft_c2r(const hp_stats_fft *p, float *padded);

/**
 * Density contrast modes of a real-space grid: convert (see hp_stats_grid_kind), transform,
 * normalise by V/n^3, zero the mean mode, divide by the window if asked.
 * @param fft         plan of the grid's side
 * @param grid        n^3 floats, row-major [x][y][z] (not modified; any alignment)
 * @param kind        hp_stats_grid_kind
 * @param window      hp_stats_window the grid was made with (HP_WIN_NONE if unknown)
 * @param deconvolve  1 to divide the modes by W(k) of @p window
 * @param out         allocated field of the same side (hp_stats_field_alloc); overwritten
 * @param st          status
 * @return 0 or HP_ERR_INPUT (non-finite value, non-positive mean for DENSITY/COUNTS, size)
 */
int hp_stats_field_from_grid(const hp_stats_fft *fft, const float *grid, int kind, int window,
                             int deconvolve, hp_stats_field *out, hp_status *st);

/** Name of a window ("none", "ngp", "cic", "tsc"). */
const char *hp_stats_window_name(int window);

/** Parse a window name (case-insensitive); -1 if unknown. */
int hp_stats_window_parse(const char *name);

/**
 * One-dimensional window sinc^p(pi i/n) of assignment order p = @p window (1 for HP_WIN_NONE).
 * @param window  hp_stats_window
 * @param n       mesh side
 * @param i       integer mode index (any sign)
 */
double hp_stats_window1d(int window, int64_t n, int64_t i);

/**
 * Aliasing sums of one axis: *s = sum_m W^2(k + 2 pi m/H) (closed form) and
 * *a = sum_m (-1)^m W^2(k + 2 pi m/H) (closed form for NGP, cos(pi i/n); a sum over
 * |m| <= 64 otherwise, error < 1e-8), for k = 2 pi i/L. HP_WIN_NONE gives s = a = 1.
 */
void hp_stats_alias_sums(int window, int64_t n, int64_t i, double *s, double *a);

/**
 * Per-axis tables of a field, for mode loops: k[i] = 2 pi s(i)/L with the signed index
 * s(i) = i for i <= n/2, i - n otherwise (h/Mpc); w[i] the window divided out (1 if not
 * deconvolved); sa[i], aa[i] the aliasing sums of hp_stats_alias_sums. Arrays of n doubles.
 */
typedef struct hp_stats_axes {
  int64_t n;       /**< mesh side */
  double *k;       /**< signed wavenumber of index i [h/Mpc] */
  double *w;       /**< window divided out of the modes (1 when not deconvolved) */
  double *sa, *aa; /**< aliasing sums S and A of index i */
  int interlaced;  /**< copied from the field */
} hp_stats_axes;

/** Fill the axis tables of @p f (allocates; free with hp_stats_axes_free). */
int hp_stats_axes_init(hp_stats_axes *ax, const hp_stats_field *f, hp_status *st);

/** Free the axis tables (safe to call twice). */
void hp_stats_axes_free(hp_stats_axes *ax);

/**
 * Shape of the shot noise of mode (ix, iy, iz) of a field with these tables: P_shot(k) / shot,
 * i.e. prod S (or (prod S + prod A)/2 when interlaced) divided by W^2 when deconvolved.
 */
double hp_stats_shot_shape(const hp_stats_axes *ax, int64_t ix, int64_t iy, int64_t iz);

#endif
