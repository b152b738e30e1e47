/*
 * host_paint: how an N-body or LPT code calls libhalopaint in process.
 *
 * A toy "N-body code" keeps its particles as an array of records {x, y, z, vx, vy, vz} (floats,
 * Mpc/h and km/s) in a periodic box of 64 Mpc/h: a few clustered clumps plus a uniform
 * background. It writes a randomly initialised painter model (nn/model_io.h, K = 2 mass bins)
 * to a temporary file, then uses only the public API (plugin/halopaint.h): context, model,
 * plan for a 16^3 grid of 4 Mpc/h voxels, and hp_paint_particles, which reads the positions in
 * place through a pointer and a stride of 6 floats (no copy), grids them by cloud-in-cell to
 * rho/rho_mean and paints the halo counts. It prints the total painted counts per mass bin.
 *
 * Build: make build/examples/host_paint (linked against lib/libhalopaint.so).
 * Run:   build/examples/host_paint [NPART [OUTDIR]]   (default 20000 particles)
 *        With OUTDIR, the model is kept as OUTDIR/model.h5 and the CIC density grid is written
 *        as OUTDIR/density.h5 (dataset "density", attribute BoxSize), the input format of
 *        `halopaint paint`: `halopaint paint OUTDIR/model.h5 OUTDIR/density.h5 counts.h5`
 *        then paints the same counts.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "nn/model_io.h"
#include "plugin/halopaint.h"

#define BOX 64.0 /* Mpc/h */
#define NV 16    /* voxels per side: 4 Mpc/h, the model's voxel size */
#define K 2      /* mass bins */

/** One particle as the toy N-body code stores it. */
typedef struct particle {
  float pos[3]; /* Mpc/h, in [0, BOX) */
  float vel[3]; /* km/s */
} particle;

/* The host's own random numbers (xorshift64*), uniform in [0, 1). */
static double uniform(unsigned long long *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* Toy structure: 4 Gaussian clumps (sigma 2.5 Mpc/h) holding 60% of the mass, the rest uniform. */
static void make_particles(particle *p, long n) {
  unsigned long long s = 20240601ull;
  const double centre[4][3] = {{16, 16, 16}, {40, 20, 48}, {50, 52, 10}, {24, 44, 36}};
  for (long i = 0; i < n; i++) {
    const int c = (int)(i % 5);
    for (int a = 0; a < 3; a++) {
      double x;
      if (c < 4) {
        const double g = sqrt(-2.0 * log(uniform(&s) + 1e-300)) * cos(2.0 * M_PI * uniform(&s));
        x = fmod(centre[c][a] + 2.5 * g + BOX, BOX);
      } else {
        x = BOX * uniform(&s);
      }
      p[i].pos[a] = (float)x;
      p[i].vel[a] = (float)(300.0 * (uniform(&s) - 0.5));
    }
  }
}

/* OUTDIR/density.h5: the grid as `halopaint paint` reads it (docs/paint.md). */
static int write_density(const char *path, const float *rho) {
  const hsize_t dims[3] = {NV, NV, NV};
  const double box = BOX;
  int ok = 0;
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t sp = H5Screate_simple(3, dims, NULL), s0 = H5Screate(H5S_SCALAR);
  if (f >= 0 && sp >= 0 && s0 >= 0) {
    hid_t d = H5Dcreate2(f, "density", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t a = d >= 0 ? H5Acreate2(d, "BoxSize", H5T_IEEE_F64LE, s0, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = d >= 0 && a >= 0 &&
         H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, rho) >= 0 &&
         H5Awrite(a, H5T_NATIVE_DOUBLE, &box) >= 0;
    if (a >= 0) H5Aclose(a);
    if (d >= 0) H5Dclose(d);
  }
  if (s0 >= 0) H5Sclose(s0);
  if (sp >= 0) H5Sclose(sp);
  if (f >= 0 && H5Fclose(f) < 0) ok = 0;
  return ok ? 0 : 1;
}

/* Warnings and errors of the library, as the host code wants them shown. */
static void host_log(void *user, int level, const char *msg) {
  (void)user;
  if (level >= HP_LOG_WARNING) fprintf(stderr, "host_paint: halopaint says: %s\n", msg);
}

int main(int argc, char **argv) {
  const long npart = argc > 1 ? atol(argv[1]) : 20000;
  const char *outdir = argc > 2 ? argv[2] : NULL;
  const double edges[K + 1] = {1e12, 1e13, 1e14}; /* Msun/h */
  char dir[] = "/tmp/host_paint.XXXXXX", model_path[4200], density_path[4200];
  int ret = 1;
  if (npart < 1 || argc > 3) {
    fprintf(stderr, "usage: host_paint [NPART >= 1 [OUTDIR]]\n");
    return 2;
  }

  /* 1. the host's particles */
  particle *parts = malloc((size_t)npart * sizeof *parts);
  float *counts_mem = malloc((size_t)K * NV * NV * NV * sizeof(float));
  if (parts == NULL || counts_mem == NULL || (outdir == NULL && mkdtemp(dir) == NULL)) {
    fprintf(stderr, "host_paint: out of memory or no temporary directory\n");
    free(parts);
    free(counts_mem);
    return 1;
  }
  make_particles(parts, npart);

  /* 2. a model file (a real host would ship a trained one) */
  hp_model m;
  hp_status st;
  snprintf(model_path, sizeof model_path, "%s/model.h5", outdir ? outdir : dir);
  if (hp_model_init(&m, K, edges, 1, &st) || hp_model_save(&m, model_path, &st)) {
    fprintf(stderr, "host_paint: %s\n", st.msg);
    hp_model_free(&m);
    goto cleanup;
  }
  hp_model_free(&m);

  /* 3. the public API: context, model, plan, paint */
  hp_options opt;
  hp_options_default(&opt);
  opt.log = host_log;
  opt.strict = 1; /* refuse a grid whose voxels differ from the model's */
  hp_context *ctx = hp_init(&opt);
  hp_model_handle *model = NULL;
  hp_paint_plan *plan = NULL;
  hp_model_info info;
  hp_particles view;
  float *counts[K];
  for (int k = 0; k < K; k++) counts[k] = counts_mem + (size_t)k * NV * NV * NV;
  const hp_plan_desc desc = {{NV, NV, NV}, BOX, 1.0, /*periodic=*/1, /*particles=*/1};
  if (ctx == NULL || hp_last_code(ctx) || hp_model_open(ctx, model_path, &model) ||
      hp_model_get_info(ctx, model, &info) || hp_plan_create(ctx, model, &desc, &plan) ||
      hp_particles_interleaved(ctx, &view, npart, parts[0].pos, 6) ||
      hp_paint_particles(ctx, plan, &view, counts)) {
    fprintf(stderr, "host_paint: %s\n", hp_last_error(ctx));
  } else {
    const float *rho = hp_plan_density(plan);
    double mean = 0, max = 0, total = 0;
    for (long v = 0; v < NV * NV * NV; v++) {
      mean += rho[v];
      if (rho[v] > max) max = rho[v];
    }
    mean /= NV * NV * NV;
    printf("host_paint: %ld particles in a %g Mpc/h box, %d^3 voxels of %g Mpc/h\n", npart, BOX, NV,
           BOX / NV);
    printf("host_paint: model K = %d (%s), device %s\n", info.nbins, info.provenance,
           hp_device(ctx));
    printf("host_paint: density mean %.6f max %.3f (rho/rho_mean)\n", mean, max);
    for (int k = 0; k < K; k++) {
      double s = 0;
      for (long v = 0; v < NV * NV * NV; v++) s += counts[k][v];
      total += s;
      printf("host_paint: bin %d [%.3g, %.3g) Msun/h: total painted counts %.4f\n", k,
             info.bin_edges[k], info.bin_edges[k + 1], s);
    }
    printf("host_paint: total painted counts %.4f\n", total);
    ret = 0;
    snprintf(density_path, sizeof density_path, "%s/density.h5", outdir ? outdir : dir);
    if (outdir != NULL && write_density(density_path, rho)) {
      fprintf(stderr, "host_paint: cannot write %s\n", density_path);
      ret = 1;
    }
  }
  hp_plan_free(plan);
  hp_model_close(model);
  hp_finalize(ctx);

cleanup:
  if (outdir == NULL) {
    unlink(model_path);
    rmdir(dir);
  }
  free(parts);
  free(counts_mem);
  return ret;
}
