/**
 * @file halopaint.h
 * @brief The public C API of libhalopaint for host codes (N-body, LPT, analysis pipelines).
 *
 * A host code hands the halo painter of Kodi Ramanah, Charnock & Lavaux (2019) either a
 * density grid (rho/rho_mean on the model's voxel grid) or its particles (gridded here by
 * cloud-in-cell, read in place through pointers and strides, never copied), and gets back K
 * grids of halo counts per voxel, one per mass bin of the model. The pattern is FFTW's:
 *
 * @code
 *   hp_options opt;
 *   hp_options_default(&opt);                 // all threads, device "auto", no log
 *   opt.log = my_log;                         // optional: warnings and errors as text
 *   hp_context *ctx = hp_init(&opt);   // NULL only if out of memory
 *   if (hp_last_code(ctx)) { puts(hp_last_error(ctx)); ... }
 *   hp_model_handle *m;
 *   if (hp_model_open(ctx, "model.h5", &m)) { puts(hp_last_error(ctx)); ... }
 *   hp_plan_desc d = {{nv, nv, nv}, box, 1.0, 1, 1};   // n, box [Mpc/h], unit, periodic, parts
 *   hp_paint_plan *p;
 *   hp_plan_create(ctx, m, &d, &p);           // allocates everything
 *   for (each snapshot) {
 *     hp_particles parts;
 *     hp_particles_interleaved(ctx, &parts, npart, pos, 3);   // pos = x0 y0 z0 x1 y1 z1 ...
 *     hp_paint_particles(ctx, p, &parts, counts);             // counts[k]: nv^3 floats
 *   }
 *   hp_plan_free(p); hp_model_close(m); hp_finalize(ctx);
 * @endcode
 *
 * Conventions:
 *  - Every function that can fail returns 0 (HP_OK) or an hp_code (util/status.h) and leaves
 *    a message that says what was wrong in hp_last_error(ctx); the message of a failure is
 *    also passed to the log callback (level HP_LOG_ERROR). A call with a NULL context returns
 *    HP_ERR_INPUT. The library never prints, never exits and never aborts on bad input.
 *  - Grids are float, row-major [x][y][z] (z fastest), 64-bit indexed. Densities are
 *    rho/rho_mean (mean 1), not the contrast delta. Lengths are Mpc/h unless a plan says
 *    otherwise (hp_plan_desc.length_unit), masses Msun/h.
 *  - Plans allocate everything at creation; executing allocates nothing. Results do not
 *    depend on the number of threads (the CIC deposit and the painter are bit-reproducible).
 *  - Thread safety: a context, a model handle and a plan may each be used by one thread at a
 *    time; distinct objects may be used concurrently.
 */
#ifndef HALOPAINT_H
#define HALOPAINT_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h" /* enum hp_code: HP_OK, HP_ERR_INPUT, ... */

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this API (incremented on incompatible changes). */
#define HP_API_VERSION 1

/** Levels passed to the log callback. */
enum hp_log_level {
  HP_LOG_DEBUG = 0,   /**< details (plan sizes, chosen device) */
  HP_LOG_INFO = 1,    /**< what was decided on the caller's behalf (device "auto" -> cpu) */
  HP_LOG_WARNING = 2, /**< suspicious input that was accepted (voxel size != model's) */
  HP_LOG_ERROR = 3    /**< the message of a failing call (also in hp_last_error) */
};

/**
 * Log callback: @p msg is a complete line without a trailing newline, valid only during the
 * call. It is called from the thread that made the API call.
 */
typedef void (*hp_log_fn)(void *user, int level, const char *msg);

/** Options of a library context (fill with hp_options_default, then change what you need). */
typedef struct hp_options {
  int nthreads;       /**< OpenMP threads for CIC and the painter; 0 = all available */
  const char *device; /**< "cpu", "cuda" or "auto" (NULL = "auto": cuda if usable, else cpu) */
  int device_id;      /**< CUDA device index (>= 0), used with "cuda" */
  void *cuda_stream;  /**< cudaStream_t the GPU painter computes on (NULL: a stream of its own) */
  const char *precision; /**< GPU convolutions: "fp32" (NULL = default) or "tf32" (tensor cores) */
  hp_log_fn log;         /**< receives warnings and errors; NULL = silent */
  void *log_user;        /**< first argument of every log call */
  int strict; /**< 1: refuse a model whose voxel size differs from the host grid's; 0: warn */
} hp_options;

/** The library context: options, chosen device and the last error (opaque). */
typedef struct hp_context hp_context;
/** A loaded and validated painter model (opaque). */
typedef struct hp_model_handle hp_model_handle;
/** A painter plan for one grid shape (opaque). */
typedef struct hp_paint_plan hp_paint_plan;

/**
 * Default options: nthreads 0 (all), device "auto", device_id 0, no stream, no log callback,
 * strict 0. @p opt NULL is ignored.
 */
void hp_options_default(hp_options *opt);

/**
 * Create a library context. As sqlite3_open does, a context is returned even when the options
 * are refused (unknown device string, negative thread count, device "cuda" in a build without
 * the CUDA backend or with no such GPU): hp_last_code() then says why and every other call on
 * it returns that code.
 * @param opt  options, or NULL for the defaults
 * @return the context (free with hp_finalize), or NULL only if memory ran out
 */
hp_context *hp_init(const hp_options *opt);

/** Free a context (NULL is fine). Models and plans made with it stay valid. */
void hp_finalize(hp_context *ctx);

/** Code of the last call on @p ctx (HP_OK after a success); HP_ERR_INPUT for a NULL context. */
int hp_last_code(const hp_context *ctx);

/**
 * Message of the last failing call on @p ctx ("" after a success), valid until the next call
 * on @p ctx. Never NULL; a NULL context gives a fixed explanatory message.
 */
const char *hp_last_error(const hp_context *ctx);

/** Device the context paints on: "cpu" or "cuda". */
const char *hp_device(const hp_context *ctx);

/* ---------------------------------------------------------------------------------------- */
/* Models                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** What a model is and was trained for (pointers valid while its handle lives). */
typedef struct hp_model_info {
  int nbins;                  /**< K: mass bins = count grids painted */
  const double *bin_edges;    /**< K + 1 bin edges [Msun/h], increasing */
  double voxel_size;          /**< voxel side the model paints on [Mpc/h] */
  double redshift;            /**< redshift of the density it reads and the halos it paints */
  int lpt_order;              /**< LPT order of the training density (1 or 2) */
  double particles_per_voxel; /**< particles per voxel of the training density */
  double omega_m, omega_l, omega_b, h, sigma8, n_s; /**< training cosmology (NaN: untrained) */
  int halo;                                         /**< voxels of context lost per side */
  size_t nparams;                                   /**< network parameters */
  int format_version;                               /**< model file FormatVersion */
  const char *density_norm;                         /**< input normalisation ("rho/rho_mean") */
  const char *provenance;                           /**< how the model was made */
  const char *path;                                 /**< file it was loaded from */
} hp_model_info;

/**
 * Load and validate a model file (schema and checks: docs/model-format.md).
 * @param ctx    context
 * @param path   model file (.h5)
 * @param model  out: the handle (free with hp_model_close); NULL on failure
 * @return 0, HP_ERR_INPUT, HP_ERR_IO, HP_ERR_FORMAT (message names file and object) or
 *         HP_ERR_NOMEM
 */
int hp_model_open(hp_context *ctx, const char *path, hp_model_handle **model);

/** Describe a model. @return 0 or HP_ERR_INPUT (NULL arguments). */
int hp_model_get_info(hp_context *ctx, const hp_model_handle *model, hp_model_info *info);

/** Free a model handle (NULL is fine). Plans made from it stay valid (they copy the weights). */
void hp_model_close(hp_model_handle *model);

/* ---------------------------------------------------------------------------------------- */
/* Plans: painting density grids and particles                                              */
/* ---------------------------------------------------------------------------------------- */

/** The grid a plan paints. */
typedef struct hp_plan_desc {
  int64_t n[3];       /**< input grid shape [x][y][z] (voxels); cubic for particles */
  double box_size;    /**< side of the box along x in the host's length unit (voxel =
                           box_size / n[0]); 0 = unknown (grids only, not in strict mode) */
  double length_unit; /**< the host's length unit in Mpc/h (1 for Mpc/h, 0.001 for kpc/h);
                           0 means 1. Positions and box_size are in this unit. */
  int periodic;       /**< 1: periodic box, output shape = input shape; 0: output n - 2 halo */
  int particles;      /**< 1: also allocate the CIC workspace and density grid for
                           hp_paint_particles (needs a periodic cubic grid and box_size > 0) */
} hp_plan_desc;

/**
 * Plan painting for a grid: check the shape against the model (halo), check the voxel size
 * box_size * length_unit / n[0] against the model's (a relative difference above 1e-3 is a
 * warning through the log callback, or HP_ERR_INPUT when the context is strict), copy the
 * weights and allocate every buffer (and, with particles = 1, a CIC plan and an n^3 density
 * grid: about 32 MiB + 4 n^3 bytes more).
 * @param ctx    context (gives the thread count and the device)
 * @param model  loaded model
 * @param desc   grid description
 * @param plan   out: the plan (free with hp_plan_free); NULL on failure
 * @return 0, HP_ERR_INPUT, HP_ERR_NOMEM or HP_ERR_DEVICE
 */
int hp_plan_create(hp_context *ctx, const hp_model_handle *model, const hp_plan_desc *desc,
                   hp_paint_plan **plan);

/**
 * Output shape of a plan: the input shape (periodic) or n - 2 halo (non-periodic), and K.
 * @param ctx    context
 * @param plan   plan
 * @param out    out: output grid shape [x][y][z]
 * @param nbins  out (may be NULL): K, the number of count grids
 */
int hp_plan_get_shape(hp_context *ctx, const hp_paint_plan *plan, int64_t out[3], int *nbins);

/**
 * Paint a density grid.
 * @param ctx      context
 * @param plan     plan
 * @param density  rho/rho_mean on the plan's input grid (n[0] n[1] n[2] floats, row-major)
 * @param counts   K pointers, counts[k] receives the halo counts per voxel of mass bin k on the
 *                 output grid (hp_plan_get_shape); must not overlap @p density
 * @return 0 or HP_ERR_INPUT
 */
int hp_plan_execute(hp_context *ctx, hp_paint_plan *plan, const float *density,
                    float *const *counts);

/**
 * A host code's particles, viewed in place (never copied): coordinate c of particle i is
 * c[i * stride]. Separate arrays: x, y, z and stride 1. Interleaved x0 y0 z0 x1 ...: x = buf,
 * y = buf + 1, z = buf + 2 and stride 3 (or the size of the host's particle record in floats,
 * e.g. 6 for x y z vx vy vz); hp_particles_interleaved fills that. Positions are in the plan's
 * length unit and may lie outside the box (they are wrapped periodically).
 */
typedef struct hp_particles {
  int64_t n;             /**< number of particles (>= 1) */
  const float *x;        /**< x coordinates (or displacements, see lattice_np) */
  const float *y;        /**< y coordinates */
  const float *z;        /**< z coordinates */
  ptrdiff_t stride;      /**< floats between consecutive particles (>= 1) */
  const float *mass;     /**< optional particle masses (any unit; NULL = equal masses) */
  ptrdiff_t mass_stride; /**< floats between consecutive masses (>= 1 when mass is set) */
  int64_t lattice_np;    /**< 0: x, y, z are positions; > 0: displacements from a lattice of
                              lattice_np^3 points (particle (a*np + b)*np + c at (a,b,c) L/np),
                              as an LPT code holds them; n must equal lattice_np^3 */
} hp_particles;

/**
 * Describe interleaved positions xyz[i*stride + 0..2] of @p n particles (no mass, no lattice).
 * @return 0 or HP_ERR_INPUT (NULL pointers, n < 1, stride < 3)
 */
int hp_particles_interleaved(hp_context *ctx, hp_particles *parts, int64_t n, const float *xyz,
                             ptrdiff_t stride);

/**
 * Paint particles: cloud-in-cell onto the plan's grid (cic/cic.h), normalised to rho/rho_mean,
 * then painted exactly as hp_plan_execute would paint that grid. The plan must have been made
 * with particles = 1. The density grid stays readable with hp_plan_density() until the next
 * call on the plan.
 * @param ctx     context
 * @param plan    plan (particles = 1)
 * @param parts   the host's particles (read in place)
 * @param counts  K pointers to output grids (see hp_plan_execute)
 * @return 0 or HP_ERR_INPUT (bad description, non-finite position: the message names the
 *         particle)
 */
int hp_paint_particles(hp_context *ctx, hp_paint_plan *plan, const hp_particles *parts,
                       float *const *counts);

/** The rho/rho_mean grid of the last hp_paint_particles call (NULL for a grid-only plan). */
const float *hp_plan_density(const hp_paint_plan *plan);

/** Free a plan (NULL is fine). */
void hp_plan_free(hp_paint_plan *plan);

/* ---------------------------------------------------------------------------------------- */
/* Particle files: another code's snapshot or initial conditions                           */
/* ---------------------------------------------------------------------------------------- */

/** A particle file read into memory (opaque; hp_particle_file_get_info describes it). */
typedef struct hp_particle_file hp_particle_file;

/** What a particle file holds, in halopaint's units (pointers valid while it lives). */
typedef struct hp_particle_file_info {
  int64_t n;          /**< dark-matter particles */
  const float *xyz;   /**< n x 3 positions [Mpc/h] in [0, box_size): hp_particles_interleaved */
  const float *vel;   /**< n x 3 peculiar velocities [km/s] */
  double box_size;    /**< [Mpc/h] */
  double redshift;    /**< of the file's header */
  double length_unit; /**< Mpc/h per file length unit that was used */
} hp_particle_file_info;

/**
 * Read a Gadget-2 binary (formats 1, 2) or Gadget-4 / SWIFT-style HDF5 snapshot or IC file
 * (a multi-file one by any of its files or its base name; dark matter only): `halopaint paint`
 * reads its particles the same way (docs/paint.md).
 * @param ctx          context
 * @param path         the file, or the base name of a multi-file snapshot
 * @param length_unit  Mpc/h per file length unit; 0 = the file's units, else kpc/h for
 *                     BoxSize >= 20000 and Mpc/h below
 * @param peculiar     0: velocities are Gadget's v / sqrt(a); 1: peculiar (SWIFT)
 * @param file         out: the particles (free with hp_particle_file_free); NULL on failure
 * @return 0, HP_ERR_INPUT, HP_ERR_IO, HP_ERR_FORMAT (message names the file) or HP_ERR_NOMEM
 */
int hp_particle_file_read(hp_context *ctx, const char *path, double length_unit, int peculiar,
                          hp_particle_file **file);

/** Describe a particle file. @return 0 or HP_ERR_INPUT (NULL arguments). */
int hp_particle_file_get_info(hp_context *ctx, const hp_particle_file *file,
                              hp_particle_file_info *info);

/** Free a particle file (NULL is fine). */
void hp_particle_file_free(hp_particle_file *file);

/* ---------------------------------------------------------------------------------------- */
/* Jobs: the main job (`halopaint run`) in process                                          */
/* ---------------------------------------------------------------------------------------- */

/*
 * A job is `halopaint run FILE.param -s Key=Value ...` without files: the same parameter
 * resolution, the same checks against the model, the same catalogue for the same seed, kept in
 * memory (library-owned columns, readable until the next run or hp_job_free). It is what
 * bindings without a C compiler (python/, ctypes) call:
 *
 * @code
 *   const char *ov[] = {"BoxSize=64", "NParticles=64"};
 *   hp_job *job = hp_job_create("run.param", ov, 2, 0);   // NULL only if out of memory
 *   if (hp_job_last_code(job) || hp_job_run(job, 42)) puts(hp_job_last_error(job));
 *   const void *pos; int64_t n; int cols;
 *   hp_job_column(job, "Position", &pos, &n, &cols);     // n x 3 floats, Mpc/h
 *   hp_job_free(job);
 * @endcode
 *
 * A job has its own last error (as a context has, and with the same conventions: every call
 * that can fail returns 0 or an hp_code and leaves its message in hp_job_last_error; a job
 * refused by hp_job_create answers every such call with that refusal). One thread at a time.
 */

/** A main job: resolved parameters, then the planned pipeline and its last catalogue (opaque). */
typedef struct hp_job hp_job;

/** Flags of hp_job_create. */
enum hp_job_flag {
  HP_JOB_PARAMS_ONLY = 1u /**< resolve the parameters only: the keys a run requires may be
                               missing, and hp_job_plan / hp_job_run refuse */
};

/**
 * Load and resolve parameters as `halopaint run` does (params/params.h): the file, then the
 * overrides (replacing file values; the same key twice among them is an error), the required
 * keys, types and ranges, defaults, cross-key checks and derived values. Nothing else is done
 * (the model is loaded by hp_job_plan). As hp_init, a job is returned even when refused.
 * @param param_file   parameter file, or NULL for none (overrides and defaults only)
 * @param overrides    n_overrides strings "Key=Value" (the CLI's -s); NULL when n_overrides is 0
 * @param n_overrides  number of overrides (>= 0)
 * @param flags        0 or HP_JOB_PARAMS_ONLY
 * @return the job (free with hp_job_free), or NULL only if memory ran out; hp_job_last_code()
 *         is 0, or HP_ERR_IO / HP_ERR_FORMAT / HP_ERR_INPUT with a message naming the file
 *         and line ("-s Key=Value" for an override), the key and what was expected
 */
hp_job *hp_job_create(const char *param_file, const char *const *overrides, int n_overrides,
                      unsigned flags);

/** Free a job, its plan and its catalogue (NULL is fine). */
void hp_job_free(hp_job *job);

/** Code of the last call on @p job (HP_OK after a success); HP_ERR_INPUT for a NULL job. */
int hp_job_last_code(const hp_job *job);

/** Message of the last failing call on @p job ("" after a success); never NULL. */
const char *hp_job_last_error(const hp_job *job);

/**
 * Type of a parameter key, from the key table: "int", "real", "bool", "string" or "choice";
 * NULL for an unknown key. Needs no job.
 */
const char *hp_job_key_type(const char *key);

/** Number of parameter keys of a job (every key of the table); 0 for a refused job. */
int hp_job_param_count(const hp_job *job);

/** Key @p i (0 <= i < hp_job_param_count) in table order, or NULL. */
const char *hp_job_param_key(const hp_job *job, int i);

/**
 * Resolved value of @p key as canonical text (integers in decimal, reals in the shortest text
 * that reads back, booleans 0/1, choices in the table's spelling; "" for a key unset without a
 * default), valid while the job lives. NULL, with an error naming the key, for an unknown key.
 */
const char *hp_job_param(hp_job *job, const char *key);

/** 1 if @p key was given in the file or an override, 0 otherwise (unknown key included). */
int hp_job_param_is_set(const hp_job *job, const char *key);

/**
 * The seeds `halopaint run` would make: the Seeds key ("1-100", "1,4,7-9"), or the Seed key
 * when Seeds is empty.
 * @param seeds  out: job-owned array, valid until hp_job_free
 * @param n      out: its length
 * @return 0 or HP_ERR_INPUT (malformed Seeds, Seed missing)
 */
int hp_job_seeds(hp_job *job, const uint64_t **seeds, int64_t *n);

/**
 * Plan the run (hp_job_run plans on its first call; calling this first separates the errors):
 * load ModelFile, check it against the parameters (voxel size, redshift, LPT order, particles
 * per voxel, cosmology; refused unless AllowModelMismatch), check the memory, plan every stage.
 * A second call does nothing.
 * @return 0, HP_ERR_INPUT, HP_ERR_IO, HP_ERR_FORMAT, HP_ERR_NOMEM or HP_ERR_DEVICE
 */
int hp_job_plan(hp_job *job);

/**
 * Make one realisation for @p seed (planning first if needed): 2LPT particles at Redshift ->
 * CIC -> painter -> sampler, exactly as `halopaint run` with Seed = @p seed. The catalogue
 * replaces the previous one (a failure leaves none).
 * @param seed  0 .. 2^62 (the Seed key's range)
 * @return 0 or an hp_code (the message names the seed and the stage)
 */
int hp_job_run(hp_job *job, uint64_t seed);

/**
 * A column of the last catalogue, by its HDF5 dataset name (docs/catalog.md), read in place:
 * "Position" (float, rows x 3, Mpc/h in [0, BoxSize)), "Velocity" (float, rows x 3, km/s),
 * "Mass" (double, Msun/h), "ID" (int64_t), "MassBin" (int32_t), and the columns a painted
 * catalogue does not have, "NumParticles" (int32_t) and "LagrangianPosition" (float x 3).
 * Valid until the next hp_job_run or hp_job_free.
 * @param data  out: the column, row-major; NULL for an optional column the catalogue lacks
 * @param rows  out (may be NULL): number of halos
 * @param cols  out (may be NULL): values per halo (1 or 3)
 * @return 0, or HP_ERR_INPUT (no catalogue yet, unknown name: the message lists the names)
 */
int hp_job_column(hp_job *job, const char *name, const void **data, int64_t *rows, int *cols);

#ifdef __cplusplus
}
#endif
#endif
