/**
 * @file fof.h
 * @brief Friends-of-friends halo finder on a periodic box (Davis, Efstathiou, Frenk & White
 *        1985), threaded and deterministic, writing an hp_catalog.
 *
 * Two particles are friends when their periodic (minimum-image) separation is at most the
 * linking length ll = b * mean_sep; **at exactly ll they are linked** (the test is
 * dx^2 + dy^2 + dz^2 <= ll^2 in double precision, with each dx = min(|x_i - x_j|, L - |x_i -
 * x_j|) formed from the particles' double-precision positions wrapped into [0, L)). A halo is a
 * connected set of friends with at least min_members particles.
 *
 * Method (docs/catalog.md, "Friends-of-friends"): particles are counting-sorted into rows
 * (slabs in y of thickness >= ll); each row is gathered into a thread-local buffer, split into
 * columns (z cells of side >= ll) and sorted by x within each column, so the friends of a
 * particle lie in its own and the 8 surrounding columns within an x-window of +-ll (found by
 * a moving pointer): about 4.3 times the volume of the linking sphere is searched. Union-find
 * (path halving) works on the particles' places in the row-sorted order, so that the sets of
 * neighbouring rows sit close together in memory, and always attaches the larger root under the
 * smaller. Threads work on strips of rows, so that no two threads ever touch the same set; the
 * pairs between neighbouring strips are linked afterwards, on one thread (a fraction
 * 4 x threads / rows of the work). The groups are then counted and bucketed in place.
 *
 * Determinism: the sets of friends do not depend on the order in which pairs are linked, and
 * halo properties are sums in exact 128-bit fixed-point arithmetic (positions quantised to
 * L/2^40, velocities to 2^-24 km/s, lattice offsets exact), relative to the member with the
 * smallest ID. The catalogue (halos, their order, IDs and every property, bit for bit) is
 * therefore the same for any thread count and, when particles carry their IDs, for any
 * permutation of the input.
 *
 * Halo properties: ID = smallest member particle ID; order = decreasing number of members,
 * ties by increasing ID; Position = centre of mass with members unwrapped periodically around
 * the smallest-ID member (meaningful for halos smaller than L/2), wrapped into [0, L); Velocity
 * = mean member velocity (0 without velocities); Mass = members x particle_mass; NumParticles;
 * LagrangianPosition = the same periodic centre of the members' lattice points (when the
 * particles are a lattice or their IDs are lattice indices). Header: BoxSize, ParticleMass and
 * MassDefinition "FoF b=<b>" are set; the caller fills redshift, cosmology and provenance.
 *
 * Memory beyond the input and the output: 16 bytes per particle (union-find parents and the
 * row-sorted order, int64 each; both are reused to bucket the halo members in place), plus per
 * thread 96 bytes per particle of the most populated row (two gathered rows and a scratch row;
 * a row holds ~ n b / (L/mean_sep) particles, 1.3e4 at 256^3 with b = 0.2) and ~ 32 (L/ll)
 * bytes, plus ~ 112 bytes per halo. Measured (bench/bench_fof.c): 16.2 bytes per particle at
 * 256^3.
 *
 * Cost: O(n) for the counting sort into rows, the sorts of the (small, ~ 10-particle) columns,
 * per particle five column windows (a pointer step each, a binary search near x = 0 and L) and
 * the pair tests, about 18 ll^3 times the local density (0.23 per particle on 2LPT particles at
 * z = 0 with b = 0.2, ~30 in N-body-like halos).
 */
#ifndef HP_FOF_H
#define HP_FOF_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "util/status.h"

/**
 * Particles, described without copying (as cic/cic.h): coordinate component c of particle i is
 * c[i * stride].
 */
typedef struct hp_fof_particles {
  int64_t n;              /**< number of particles (>= 0; 0 gives an empty catalogue) */
  const float *x, *y, *z; /**< positions, Mpc/h, any real value (wrapped periodically); or
                               displacements from the lattice when lattice_np > 0 */
  ptrdiff_t stride;       /**< distance between consecutive particles, in floats (>= 1) */
  /**
   * > 0: x, y, z are displacements from the Lagrangian lattice: particle i = (a*np + b)*np + c
   * sits at q = (a, b, c) * L/np plus its displacement (summed in double precision), its ID is
   * i + 1, and n must be np^3. 0: x, y, z are positions.
   */
  int64_t lattice_np;
  const float *vx, *vy, *vz; /**< peculiar velocities, km/s, or all NULL (velocities 0) */
  ptrdiff_t vstride;         /**< distance between consecutive velocities, in floats */
  /**
   * Particle IDs (n values, contiguous), or NULL: ID = index + 1. Only with lattice_np = 0
   * (a lattice fixes the IDs). IDs should be unique: halo IDs are the smallest member IDs.
   */
  const int64_t *id;
  /**
   * With lattice_np = 0: > 0 means the IDs are 1-based indices of an id_lattice_np^3 lattice
   * (as N-GenIC and `halopaint ic` write them), so LagrangianPosition is computed; every ID
   * must then lie in [1, id_lattice_np^3]. 0: no Lagrangian positions. Must be 0 or equal to
   * lattice_np when lattice_np > 0.
   */
  int64_t id_lattice_np;
} hp_fof_particles;

/** What to find. */
typedef struct hp_fof_desc {
  double box;           /**< BoxSize L, Mpc/h (finite, > 0) */
  double b;             /**< linking length in units of the mean inter-particle separation
                             (FoFLinkingLength, usually 0.2); absolute ll = b * mean_sep */
  int min_members;      /**< smallest halo kept, particles (>= 1; FoFMinMembers) */
  int nthreads;         /**< OpenMP threads; <= 0: omp_get_max_threads(). Results do not
                             depend on it */
  double particle_mass; /**< mass of one particle, Msun/h (finite, > 0) */
  /**
   * Mean inter-particle separation, Mpc/h; 0 = L/lattice_np (lattice), L/id_lattice_np (IDs
   * on a lattice) or L/cbrt(n) (exact for a perfect cube). Give it for a subset of a
   * simulation's particles.
   */
  double mean_sep;
} hp_fof_desc;

/** What a run did (for benchmarks and logs). */
typedef struct hp_fof_info {
  double link;     /**< absolute linking length used, Mpc/h */
  int64_t ncell;   /**< rows (and columns) per side of the search grid */
  int64_t ngroups; /**< groups of any size, singletons included */
  int64_t npairs;  /**< candidate pairs whose distance was computed */
  size_t bytes;    /**< workspace allocated (beyond input and output), bytes */
  double t_grid;   /**< wall time: checks and sort into rows, s */
  double t_link;   /**< wall time: linking, s */
  double t_halos;  /**< wall time: groups, properties, catalogue, s */
  int nthreads;    /**< threads used */
} hp_fof_info;

/**
 * The absolute linking length b * mean_sep (Mpc/h) that hp_fof_find uses for these particles,
 * or NaN when the descriptor or the counts are invalid (hp_fof_find then says why).
 */
double hp_fof_linking_length(const hp_fof_desc *d, const hp_fof_particles *p);

/**
 * Find friends-of-friends halos.
 * @param d    what to find (box, b, min_members, threads, particle mass)
 * @param p    particles; non-finite positions or velocities, |v| > 1e10 km/s, a lattice with
 *             n != np^3, or IDs off their lattice are refused (HP_ERR_INPUT naming the smallest
 *             such particle index)
 * @param out  receives the catalogue (columns NumParticles, plus LagrangianPosition when the
 *             particles are a lattice or carry lattice IDs); overwritten, not freed; empty on
 *             failure. Free with hp_catalog_free.
 * @param st   status
 * @return 0, HP_ERR_INPUT or HP_ERR_NOMEM
 */
int hp_fof_find(const hp_fof_desc *d, const hp_fof_particles *p, hp_catalog *out, hp_status *st);

/** As hp_fof_find, also filling @p info (may be NULL) with timings and counts. */
int hp_fof_find_info(const hp_fof_desc *d, const hp_fof_particles *p, hp_catalog *out,
                     hp_fof_info *info, hp_status *st);

#endif
