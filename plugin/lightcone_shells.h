/**
 * @file lightcone_shells.h
 * @brief A light cone apart from its fields: the models by redshift, the shells, what each
 *        shell paints with, its thinning, the cut of a box's halos into it, and the header.
 *
 * Shared by the one-process cone (plugin/lightcone.c) and the distributed one
 * (mpi/lightcone_mpi.c): both call these for every choice and every random draw outside the
 * fields, so a cone is the same halo for halo whichever makes it. The fields (2LPT, CIC,
 * painter, sampler) are the caller's; docs/lightcone.md says what the steps compute.
 */
#ifndef HP_LIGHTCONE_SHELLS_H
#define HP_LIGHTCONE_SHELLS_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "lightcone/cone.h"
#include "lightcone/footprint.h"
#include "lightcone/geometry.h"
#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/massfunction.h"
#include "nn/model_io.h"
#include "params/params.h"

/** The most models one cone interpolates between. */
#define HP_LC_MAX_MODELS 16
/** How far (in z) a cone may reach beyond its models' redshifts, the nearest model used. */
#define HP_LC_Z_TOL 0.02
/** Nodes across a shell at which the abundance's evolution is tabulated for the thinning. */
#define HP_LC_THIN_NODES 9

/** The cone's plan outside the fields. */
typedef struct hp_lc_shells {
  const hp_params *p;
  int nmodels;                        /**< models, by increasing redshift */
  int snapshot;                       /**< 1: LightconeEvolution Snapshot (one box at Redshift) */
  hp_model models[HP_LC_MAX_MODELS];  /**< LightconeModelFiles (Snapshot: ModelFile) */
  char paths[HP_LC_MAX_MODELS][4096]; /**< their files */
  double model_D[HP_LC_MAX_MODELS];   /**< D1 at each model's redshift */
  hp_cosmology *cosmo;
  hp_mf_shape_ctx mf; /**< Tinker et al. (2008) shape; z: the current shell's (sampler's ctx) */
  hp_distance_table dist;
  hp_footprint foot;
  double box;        /**< BoxSize [Mpc/h] */
  double obs[3];     /**< the observer in the box [Mpc/h] */
  double zmin, zmax; /**< LightconeZMin, LightconeZMax */
  int nshells;       /**< shells in comoving distance */
  int replicas;      /**< largest |i| of the box images the cone uses */
  double *edges;     /**< nshells + 1 comoving distances [Mpc/h] */
  double *zs;        /**< nshells: redshift of each shell's particles */
  int (*images)[3];  /**< the box images of the shell last given to hp_lc_images */
  long nimages_max;  /**< the most images a shell has */
  double thin[HP_LC_THIN_NODES * HP_NET_MAX_K]; /**< the current shell's abundance ratios */
  double expected;   /**< halos expected in the cone (Tinker et al. 2008 over shells and bins) */
  double shell_most; /**< those of its richest shell */
  double room;       /**< bytes a cut may fill (the caller's memory plan); 0: no bound */
  char models_text[HP_LC_MAX_MODELS * 160]; /**< "z = Z: FILE (sha256 ...); ..." */
} hp_lc_shells;

/** Read the geometry and footprint, load and check the models, lay out the shells and count
 *  the halos expected; @p sh is overwritten (free with hp_lc_shells_free, also on failure). */
int hp_lc_shells_create(hp_lc_shells *sh, const hp_params *p, hp_status *st);
void hp_lc_shells_free(hp_lc_shells *sh);

/** The models painting growth @p D and the weight of the second (D1-linear between the two
 *  bracketing D; the nearest alone outside them). */
void hp_lc_bracket(const hp_lc_shells *sh, double D, int *i0, int *i1, double *w);
/** The count distribution of models @p i0 and @p i1 at weight @p w (hp_lc_bracket's). */
void hp_lc_count_dist(const hp_lc_shells *sh, int i0, int i1, double w, hp_count_dist *cd);
/** 1 if any of the cone's models draws along exclusion runs (nn/count_runs.h). */
int hp_lc_runs_any(const hp_lc_shells *sh);
/** a[k] += w (b[k] - a[k]) over @p n values of each of @p K grids: the second model's means. */
void hp_lc_blend(float *const *a, const float *const *b, int K, int64_t n, double w, int threads);

/** A shell's particles from the orders kept apart: x = D1 psi1 + D2 psi2 [Mpc/h] and
 *  v = V1 psi1 + V2 psi2 [km/s], @p n of each component. */
void hp_lc_shell_particles(const float *const psi1[3], const float *const psi2[3], int64_t n,
                           const hp_lpt_factors *f, float *const x[3], float *const v[3],
                           int threads);

/** Sums of each of the @p nplanes x-planes (@p plane voxels each) of @p K count grids:
 *  ps[k nplanes + i]. */
void hp_lc_plane_sums(const float *const *counts, int K, int64_t nplanes, int64_t plane, double *ps,
                      int threads);
/** Painted mean halos per (Mpc/h)^3 of each bin from the whole grid's @p nv plane sums
 *  (hp_lc_plane_sums), added in plane order. */
void hp_lc_mean_density(const hp_lc_shells *sh, const double *ps, int K, int64_t nv, double *out);

/** The sampler's seed of shell @p s (Snapshot: @p seed itself, `run`'s box; shells: a stream
 *  each); the cut's thinning draws from it too. */
uint64_t hp_lc_shell_seed(const hp_lc_shells *sh, uint64_t seed, int s);
/** Plan shell @p s's thinning (the fraction of its near edge's abundance left at each node
 *  across it; 1 with Snapshot); @p far = @p near thinned to the far edge (K values). Leaves
 *  mf.z at the shell's redshift. */
void hp_lc_thinning(hp_lc_shells *sh, int s, const double *near, double *far);
/** Lay out shell @p s's box images (sh->images) and return how many there are. */
long hp_lc_images(hp_lc_shells *sh, int s);
/**
 * Append to @p cone every halo of @p cat whose image @p m (of hp_lc_images(sh, s)) falls in
 * shell @p s and the footprint and survives the thinning. Halo h of @p cat is the box
 * catalogue's halo @p h0 + h (its thinning draw is keyed on it and on @p m); the appended get
 * ids @p id0 + their index in @p cone. Cutting every image in turn with h0 = 0 is the cone's
 * order.
 */
int hp_lc_cut(hp_lc_shells *sh, int s, long m, uint64_t shell_seed, const hp_catalog *cat,
              int64_t h0, hp_cone *cone, int64_t id0, hp_status *st);
/** The header's geometry, shells, bins and cosmology (hp_cone_init made its arrays). */
void hp_lc_fill_header(const hp_lc_shells *sh, uint64_t seed, hp_cone *cone);

#endif
