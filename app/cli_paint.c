/*
 * `halopaint paint MODEL.h5 IN.h5 OUT.h5 [--dataset density] [--periodic 1|0] [--threads N]
 *  [--device cpu|cuda|auto] [--precision fp32|tf32] [--strict]`: paints a density grid that a
 *  user brings.
 *
 * Reads IN.h5:/<dataset> (float or double, shape (nx, ny, nz), row-major, rho/rho_mean; an
 * optional BoxSize attribute [Mpc/h] on the dataset or the file), checks that it looks like
 * rho/rho_mean, paints it through the public API (plugin/halopaint.h, the same calls a host
 * code makes) and writes OUT.h5 atomically: dataset "counts" (K, nx', ny', nz') float32 and
 * the model's metadata. Format: docs/paint.md.
 */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "nn/painter.h"
#include "plugin/halopaint.h"
#include "plugin/snapshot.h"
#include "plugin/version.h"
#include "util/atomic_file.h"
#include "util/hdf5_util.h"

/** |mean - 1| above which a periodic input does not look like rho/rho_mean. */
#define PAINT_MEAN_TOL 0.01

typedef struct paint_args {
  const char *model, *in, *out, *dataset, *device, *precision;
  int periodic, nthreads, strict, particles, allow_mismatch;
  double length_unit; /* Mpc/h per particle-file length unit; 0 = from the file */
} paint_args;

static int usage(FILE *out) {
  fprintf(out,
          "usage: halopaint paint MODEL.h5 IN.h5 OUT.h5 [--dataset density] [--periodic 1|0]\n"
          "                       [--threads N] [--device cpu|cuda|auto] [--precision fp32|tf32]\n"
          "                       [--strict]\n"
          "  IN.h5:/<dataset>  rho/rho_mean, float or double, shape (nx, ny, nz), row-major;\n"
          "                    optional attribute BoxSize [Mpc/h] (dataset or file)\n"
          "  OUT.h5            dataset counts (K, nx', ny', nz'): halos per voxel per mass bin;\n"
          "                    nx' = nx when periodic (default), nx - 2 halo otherwise\n"
          "  --strict          refuse a BoxSize/nx that differs from the model's voxel size\n"
          "  IN may also be particles (another code's snapshot or IC file: Gadget-2 binary\n"
          "  format 1 or 2, Gadget-4/SWIFT-style HDF5 PartType1, multi-file by base name),\n"
          "  gridded by CIC as in `run`; detected, or forced with --particles. Then:\n"
          "  --length-unit U   Mpc/h per file length unit (default: the file's units, else\n"
          "                    kpc/h for BoxSize >= 20000 and Mpc/h below)\n"
          "  --allow-mismatch  paint particles that differ from the model's training set-up\n"
          "                    (voxel grid, particles per voxel, redshift, Omega0, h)\n"
          "  OUT.h5 then also holds the CIC density (dataset density); `halopaint sample`\n"
          "  draws the catalogue from OUT.h5 and the same particles\n");
  return 2;
}

static int parse_args(int argc, char **argv, paint_args *a) {
  const char *pos[3] = {NULL, NULL, NULL};
  int npos = 0;
  memset(a, 0, sizeof *a);
  a->dataset = "density";
  a->device = "auto";
  a->precision = "fp32";
  a->periodic = 1;
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    const int has = i + 1 < argc;
    char *end;
    if (!strcmp(s, "--dataset") && has) {
      a->dataset = argv[++i];
    } else if (!strcmp(s, "--device") && has) {
      a->device = argv[++i];
    } else if (!strcmp(s, "--precision") && has) {
      a->precision = argv[++i];
    } else if (!strcmp(s, "--periodic") && has) {
      const char *v = argv[++i];
      if (strcmp(v, "0") && strcmp(v, "1")) {
        fprintf(stderr, "halopaint paint: --periodic %s: expected 1 or 0\n", v);
        return 2;
      }
      a->periodic = v[0] == '1';
    } else if (!strcmp(s, "--threads") && has) {
      errno = 0;
      long n = strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || errno || n < 0 || n > 100000) {
        fprintf(stderr, "halopaint paint: --threads %s: expected an integer >= 0 (0 = all)\n",
                argv[i]);
        return 2;
      }
      a->nthreads = (int)n;
    } else if (!strcmp(s, "--strict")) {
      a->strict = 1;
    } else if (!strcmp(s, "--particles")) {
      a->particles = 1;
    } else if (!strcmp(s, "--allow-mismatch")) {
      a->allow_mismatch = 1;
    } else if (!strcmp(s, "--length-unit") && has) {
      errno = 0;
      a->length_unit = strtod(argv[++i], &end);
      if (end == argv[i] || *end != '\0' || errno || !(a->length_unit > 0) ||
          !isfinite(a->length_unit)) {
        fprintf(stderr, "halopaint paint: --length-unit %s: expected a number > 0 (Mpc/h)\n",
                argv[i]);
        return 2;
      }
    } else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
      usage(stdout);
      return -1;
    } else if (s[0] == '-' && s[1] != '\0') {
      fprintf(stderr, "halopaint paint: unknown option or missing value: '%s'\n", s);
      return usage(stderr);
    } else if (npos < 3) {
      pos[npos++] = s;
    } else {
      fprintf(stderr, "halopaint paint: unexpected argument '%s'\n", s);
      return usage(stderr);
    }
  }
  if (npos != 3) return usage(stderr);
  a->model = pos[0], a->in = pos[1], a->out = pos[2];
  return 0;
}

/* Warnings of the library go to stderr (its errors are printed once, by api_error). */
static void log_stderr(void *user, int level, const char *msg) {
  (void)user;
  if (level == HP_LOG_WARNING) fprintf(stderr, "halopaint paint: warning: %s\n", msg);
}

/* The API's last error as a status for hp_cli_error. */
static int api_error(hp_context *ctx) {
  hp_status st;
  st.code = hp_last_code(ctx);
  snprintf(st.msg, sizeof st.msg, "%s", hp_last_error(ctx));
  return hp_cli_error("paint", &st);
}

/* Read the input grid: rank 3, floating point, converted to float. */
static int read_density(const paint_args *a, float **rho, int64_t n[3], double *box,
                        hp_status *st) {
  hid_t f = -1;
  hsize_t dims[8];
  int rank = 0, rc, has_box = 0;
  char where[4400];
  *rho = NULL;
  *box = 0;
  if ((rc = hp_h5_open_ro(a->in, &f, st))) return rc;
  if ((rc = hp_h5_dataset_shape(f, a->dataset, &rank, dims, 8, NULL, st))) goto done;
  hp_h5_describe(f, where, sizeof where);
  if (rank != 3) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s%s: rank %d, expected a 3-D grid (nx, ny, nz)", where,
                 a->dataset, rank);
    goto done;
  }
  {
    hp_h5_quiet q;
    int box_rc = HP_OK;
    hp_h5_quiet_begin(&q);
    hid_t d = H5Dopen2(f, a->dataset, H5P_DEFAULT), t = d >= 0 ? H5Dget_type(d) : -1;
    const H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (t >= 0) H5Tclose(t);
    if (d >= 0 && hp_h5_attr_exists(d, "BoxSize")) {
      has_box = 1;
      box_rc = hp_h5_read_attr(d, "BoxSize", H5T_NATIVE_DOUBLE, box, 1, st);
    }
    if (d >= 0) H5Dclose(d);
    hp_h5_quiet_end(&q);
    if ((rc = box_rc)) goto done;
    if (cls != H5T_FLOAT) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s%s: must be float or double (rho/rho_mean)", where,
                   a->dataset);
      goto done;
    }
  }
  if (!has_box && hp_h5_attr_exists(f, "BoxSize")) {
    has_box = 1;
    if ((rc = hp_h5_read_attr(f, "BoxSize", H5T_NATIVE_DOUBLE, box, 1, st))) goto done;
  }
  if (has_box && (!isfinite(*box) || *box <= 0)) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: BoxSize = %g Mpc/h: must be finite and > 0", a->in, *box);
    goto done;
  }
  for (int i = 0; i < 3; i++) {
    if (dims[i] < 1 || dims[i] > (hsize_t)2097151) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s%s: side %llu along axis %d (expected 1..2097151)", where,
                   a->dataset, (unsigned long long)dims[i], i);
      goto done;
    }
    n[i] = (int64_t)dims[i];
  }
  if (n[0] > INT64_MAX / 4 / n[1] / n[2]) {
    rc = hp_fail(st, HP_ERR_INPUT, "%s%s: grid too large", where, a->dataset);
    goto done;
  }
  *rho = hp_alloc((size_t)(n[0] * n[1] * n[2]) * sizeof(float), "input density", st);
  if (*rho == NULL) {
    rc = st->code;
    goto done;
  }
  rc = hp_h5_read_dataset(f, a->dataset, H5T_NATIVE_FLOAT, 3, dims, *rho, st);
done:
  if (f >= 0) H5Fclose(f);
  if (rc) {
    hp_free(*rho);
    *rho = NULL;
  }
  return rc;
}

/* Finite everywhere; mean and minimum (double sums); warn when it does not look like rho/rho_mean.
 */
static int check_density(const paint_args *a, const float *rho, const int64_t n[3], double *mean,
                         hp_status *st) {
  const int64_t nv = n[0] * n[1] * n[2], bad = hp_painter_first_nonfinite(rho, nv);
  double sum = 0, mn = INFINITY;
#pragma omp parallel for reduction(+ : sum) reduction(min : mn) schedule(static)
  for (int64_t i = 0; i < nv; i++) {
    sum += rho[i];
    if (rho[i] < mn) mn = rho[i];
  }
  if (bad >= 0) {
    const int64_t z = bad % n[2], y = (bad / n[2]) % n[1], x = bad / n[2] / n[1];
    return hp_fail(st, HP_ERR_FORMAT, "%s:/%s: voxel [%lld][%lld][%lld] is %s", a->in, a->dataset,
                   (long long)x, (long long)y, (long long)z, isnan(rho[bad]) ? "NaN" : "infinite");
  }
  *mean = sum / (double)nv;
  if (mn < 0)
    fprintf(stderr,
            "halopaint paint: warning: %s:/%s has negative values (min %g): the painter reads "
            "rho/rho_mean >= 0, not delta\n",
            a->in, a->dataset, mn);
  if (a->periodic && fabs(*mean - 1) > PAINT_MEAN_TOL)
    fprintf(stderr,
            "halopaint paint: warning: %s:/%s has mean %.6g: a periodic rho/rho_mean grid has mean "
            "1%s\n",
            a->in, a->dataset, *mean,
            fabs(*mean) < PAINT_MEAN_TOL ? " (is this delta = rho/rho_mean - 1?)" : "");
  if (!a->periodic && (*mean < 0.5 || *mean > 2))
    fprintf(stderr,
            "halopaint paint: warning: %s:/%s has mean %.6g: unusual for rho/rho_mean even in a "
            "sub-volume\n",
            a->in, a->dataset, *mean);
  return HP_OK;
}

/* Model metadata as attributes of group /Model (same names as the model file's /Metadata). */
static int write_model_group(hid_t f, const paint_args *a, const hp_model_info *mi, hp_status *st) {
  hid_t g;
  int rc = hp_h5_create_group(f, "Model", &g, st);
  if (rc) return rc;
  const struct {
    const char *name;
    double v;
  } reals[] = {{"VoxelSize", mi->voxel_size},
               {"Redshift", mi->redshift},
               {"ParticlesPerVoxel", mi->particles_per_voxel},
               {"Omega0", mi->omega_m},
               {"OmegaLambda", mi->omega_l},
               {"OmegaBaryon", mi->omega_b},
               {"HubbleParam", mi->h},
               {"Sigma8", mi->sigma8},
               {"PrimordialIndex", mi->n_s}};
  if ((rc = hp_h5_write_attr_string(g, "File", a->model, st))) goto done;
  if ((rc = hp_h5_write_attr_int(g, "FormatVersion", &mi->format_version, 0, st))) goto done;
  for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
    if ((rc = hp_h5_write_attr_double(g, reals[i].name, &reals[i].v, 0, st))) goto done;
  if ((rc = hp_h5_write_attr_int(g, "LPTOrder", &mi->lpt_order, 0, st))) goto done;
  if ((rc = hp_h5_write_attr_double(g, "MassBinEdges", mi->bin_edges, (size_t)mi->nbins + 1, st)))
    goto done;
  if ((rc = hp_h5_write_attr_string(g, "DensityNormalisation", mi->density_norm, st))) goto done;
  if ((rc = hp_h5_write_attr_string(g, "Provenance", mi->provenance, st))) goto done;
  if ((rc = hp_h5_write_attr_string(g, "VoxelSizeUnit", "Mpc/h", st))) goto done;
  rc = hp_h5_write_attr_string(g, "MassBinEdgesUnit", "Msun/h", st);
done:
  H5Gclose(g);
  return rc;
}

/* The particles' CIC density beside the counts, and what the particles were. */
static int write_particle_input(hid_t f, const hp_snapshot *snap, const float *density, int64_t nv,
                                hp_status *st) {
  hid_t d = -1;
  const hsize_t dims[3] = {(hsize_t)nv, (hsize_t)nv, (hsize_t)nv}, start[3] = {0, 0, 0};
  const double np = (double)snap->n;
  const int rc = hp_h5_create_dataset(f, "density", H5T_IEEE_F32LE, 3, dims, &d, st) ||
                 hp_h5_write_slab(d, H5T_NATIVE_FLOAT, start, dims, density, st) ||
                 hp_h5_write_attr_string(d, "Unit", "rho/rho_mean (CIC of the particles)", st) ||
                 hp_h5_write_attr_double(f, "InputParticles", &np, 0, st) ||
                 hp_h5_write_attr_double(f, "InputRedshift", &snap->redshift, 0, st) ||
                 hp_h5_write_attr_double(f, "InputLengthUnit", &snap->length_unit, 0, st);
  if (d >= 0) H5Dclose(d);
  if (rc) return st->code;
  return rc;
}

static int write_counts(const paint_args *a, const hp_model_info *mi, const int64_t n[3],
                        const int64_t out[3], double box, double mean, float *const *counts,
                        const hp_snapshot *snap, const float *density, hp_status *st) {
  hp_atomic_file af;
  hid_t f = -1, d = -1;
  const hsize_t dims[4] = {(hsize_t)mi->nbins, (hsize_t)out[0], (hsize_t)out[1], (hsize_t)out[2]};
  const uint64_t in_shape[3] = {(uint64_t)n[0], (uint64_t)n[1], (uint64_t)n[2]};
  const int offset = a->periodic ? 0 : mi->halo;
  int rc = hp_atomic_begin(&af, a->out, st);
  if (rc) return rc;
  if ((rc = hp_h5_create(af.tmp_path, &f, st))) goto fail;
  if ((rc = hp_h5_create_dataset(f, "counts", H5T_IEEE_F32LE, 4, dims, &d, st))) goto fail;
  for (int k = 0; k < mi->nbins; k++) {
    const hsize_t start[4] = {(hsize_t)k, 0, 0, 0}, count[4] = {1, dims[1], dims[2], dims[3]};
    if ((rc = hp_h5_write_slab(d, H5T_NATIVE_FLOAT, start, count, counts[k], st))) goto fail;
  }
  if ((rc = hp_h5_write_attr_string(d, "Unit", "halos per voxel", st))) goto fail;
  H5Dclose(d);
  d = -1;
  if ((rc = hp_h5_write_attr_string(f, "Software", HP_SOFTWARE, st))) goto fail;
  if ((rc = hp_h5_write_attr_string(f, "ModelFile", a->model, st))) goto fail;
  if ((rc = hp_h5_write_attr_string(f, "InputFile", a->in, st))) goto fail;
  if ((rc = hp_h5_write_attr_string(f, "InputDataset", a->dataset, st))) goto fail;
  if ((rc = hp_h5_write_attr(f, "InputShape", H5T_STD_U64LE, H5T_NATIVE_UINT64, in_shape, 3, st)))
    goto fail;
  if ((rc = hp_h5_write_attr_double(f, "InputMean", &mean, 0, st))) goto fail;
  if ((rc = hp_h5_write_attr_int(f, "Periodic", &a->periodic, 0, st))) goto fail;
  if ((rc = hp_h5_write_attr_int(f, "Halo", &mi->halo, 0, st))) goto fail;
  if ((rc = hp_h5_write_attr_int(f, "Offset", &offset, 0, st))) goto fail;
  if (box > 0 && (rc = hp_h5_write_attr_double(f, "BoxSize", &box, 0, st))) goto fail;
  if ((rc = write_model_group(f, a, mi, st))) goto fail;
  if (snap && (rc = write_particle_input(f, snap, density, out[0], st))) goto fail;
  if (H5Fclose(f) < 0) {
    f = -1;
    rc = hp_fail(st, HP_ERR_IO, "cannot close (flush) %s", af.tmp_path);
    goto fail;
  }
  f = -1;
  return hp_atomic_commit(&af, st);
fail:
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  hp_atomic_abort(&af);
  return hp_error_context(st, "writing %s", a->out);
}

/* Particles rather than a grid: forced, or IN is not an HDF5 file (Gadget binary, or the base
 * name of a multi-file snapshot), or an HDF5 file without the grid dataset but with PartType1. */
static int input_is_particles(const paint_args *a) {
  if (a->particles) return 1;
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  const htri_t is = H5Fis_hdf5(a->in);
  int parts = is <= 0;
  if (is > 0) {
    hid_t f = H5Fopen(a->in, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
      parts = !hp_h5_exists(f, a->dataset) && hp_h5_exists(f, "PartType1");
      H5Fclose(f);
    }
  }
  hp_h5_quiet_end(&q);
  return parts;
}

/* Read the particles, check them against the model (its metadata from the API: the model is
 * loaded once), and give the grid they make. */
static int read_particle_input(const paint_args *a, const hp_model_info *mi, hp_snapshot *snap,
                               int64_t *nv, hp_status *st) {
  hp_model_meta meta;
  char diff[2048];
  memset(&meta, 0, sizeof meta);
  meta.voxel_size = mi->voxel_size, meta.particles_per_voxel = mi->particles_per_voxel;
  meta.redshift = mi->redshift, meta.omega_m = mi->omega_m, meta.h = mi->h;
  if (hp_snapshot_read(snap, a->in, a->length_unit, HP_SNAP_VEL_GADGET, st)) return st->code;
  const int k = hp_snapshot_mismatch(snap, &meta, nv, diff, sizeof diff);
  if (k && !a->allow_mismatch)
    return hp_fail(st, HP_ERR_INPUT,
                   "the particles %s differ from what the model %s was trained for:\n%s"
                   "(--allow-mismatch to paint them anyway)",
                   a->in, a->model, diff);
  if (k) fprintf(stderr, "halopaint paint: warning: painting anyway (--allow-mismatch):\n%s", diff);
  return HP_OK;
}

int hp_cmd_paint(int argc, char **argv) {
  paint_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  const double t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  float *rho = NULL, *block = NULL, **counts = NULL;
  int64_t n[3], out[3];
  double box = 0, mean = 0;
  hp_context *ctx = NULL;
  hp_model_handle *model = NULL;
  hp_paint_plan *plan = NULL;
  hp_model_info mi;
  hp_snapshot snap;
  int ret = 1, nbins = 0;
  memset(&snap, 0, sizeof snap);

  hp_options opt;
  hp_options_default(&opt);
  opt.nthreads = a.nthreads;
  opt.device = a.device;
  opt.precision = a.precision;
  opt.log = log_stderr;
  opt.strict = a.strict;
  ctx = hp_init(&opt);
  if (ctx == NULL) {
    fprintf(stderr, "halopaint paint: out of memory\n");
    return 1;
  }
  if (hp_last_code(ctx) || hp_model_open(ctx, a.model, &model) ||
      hp_model_get_info(ctx, model, &mi)) {
    api_error(ctx);
    goto done;
  }
  hp_cli_progress(t0, "model %s: K = %d, voxel %g Mpc/h, z = %g, halo %d", a.model, mi.nbins,
                  mi.voxel_size, mi.redshift, mi.halo);
  const int particles = input_is_particles(&a);
  if (particles) {
    int64_t nv;
    if (!a.periodic) {
      hp_fail(&st, HP_ERR_INPUT, "--periodic 0: particles fill a periodic box");
      hp_cli_error("paint", &st);
      goto done;
    }
    if (read_particle_input(&a, &mi, &snap, &nv, &st)) {
      hp_cli_error("paint", &st);
      goto done;
    }
    n[0] = n[1] = n[2] = nv, box = snap.box, mean = 1.0;
    hp_cli_progress(t0, "read %s: %lld particles, BoxSize %g Mpc/h (%s), z = %g -> %lld^3 voxels",
                    a.in, (long long)snap.n, snap.box, snap.unit_note, snap.redshift,
                    (long long)nv);
    hp_cli_progress(t0,
                    "note: the model reads 2LPT particles; an N-body code's particles paint "
                    "40-60 %% more halos (docs/paint.md)");
  } else if (read_density(&a, &rho, n, &box, &st) || check_density(&a, rho, n, &mean, &st)) {
    hp_cli_error("paint", &st);
    goto done;
  } else {
    hp_cli_progress(t0, "read %s:/%s: %lld x %lld x %lld, mean %.6g, BoxSize %s", a.in, a.dataset,
                    (long long)n[0], (long long)n[1], (long long)n[2], mean,
                    box > 0 ? "given" : "not given (voxel size not checked)");
  }
  hp_plan_desc d = {{n[0], n[1], n[2]}, box, 1.0, a.periodic, particles};
  if (hp_plan_create(ctx, model, &d, &plan) || hp_plan_get_shape(ctx, plan, out, &nbins)) {
    api_error(ctx);
    goto done;
  }
  const size_t nout = (size_t)(out[0] * out[1] * out[2]);
  block = hp_alloc((size_t)nbins * nout * sizeof(float), "count grids", &st);
  counts = calloc((size_t)nbins, sizeof *counts);
  if (block == NULL || counts == NULL) {
    if (counts == NULL) hp_fail(&st, HP_ERR_NOMEM, "cannot allocate %d grid pointers", nbins);
    hp_cli_error("paint", &st);
    goto done;
  }
  for (int k = 0; k < nbins; k++) counts[k] = block + (size_t)k * nout;
  hp_particles parts;
  if (particles ? hp_particles_interleaved(ctx, &parts, snap.n, snap.pos, 3) ||
                      hp_paint_particles(ctx, plan, &parts, counts)
                : hp_plan_execute(ctx, plan, rho, counts)) {
    api_error(ctx);
    goto done;
  }
  hp_cli_progress(t0, "painted %d grid(s) of %lld x %lld x %lld (%s)", nbins, (long long)out[0],
                  (long long)out[1], (long long)out[2], a.periodic ? "periodic" : "non-periodic");
  if (write_counts(&a, &mi, n, out, box, mean, counts, particles ? &snap : NULL,
                   hp_plan_density(plan), &st)) {
    hp_cli_error("paint", &st);
    goto done;
  }
  for (int k = 0; k < nbins; k++) {
    double s = 0;
    for (size_t i = 0; i < nout; i++) s += counts[k][i];
    hp_cli_progress(t0, "bin %d [%.4g, %.4g) Msun/h: %.6g halos painted", k, mi.bin_edges[k],
                    mi.bin_edges[k + 1], s);
  }
  hp_cli_progress(t0, "wrote %s", a.out);
  ret = 0;
done:
  free(counts);
  hp_free(block);
  hp_free(rho);
  hp_snapshot_free(&snap);
  hp_plan_free(plan);
  hp_model_close(model);
  hp_finalize(ctx);
  return ret;
}
