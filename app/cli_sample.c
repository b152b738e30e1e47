/*
 * `halopaint sample MODEL.h5 COUNTS.h5 PARTICLES OUT [options]`: the catalogue from painted
 * counts (what `paint` wrote from PARTICLES) and the same particles, as `run` draws it: counts
 * from the model's count distribution, positions on the particles of a voxel, velocities from
 * their mass-weighted field, masses from Tinker et al. (2008) at the model's cosmology.
 */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "catalog/sampler.h"
#include "nn/model_io.h"
#include "plugin/run.h"
#include "plugin/snapshot.h"
#include "plugin/version.h"
#include "util/hdf5_util.h"
#include "util/memory.h"

typedef struct sample_args {
  const char *model, *counts, *particles, *out;
  uint64_t seed;
  int count_mode, position_mode, rsd_axis, velocities, nthreads, allow_mismatch;
  double length_unit;
} sample_args;

static int usage(FILE *out) {
  fprintf(out,
          "usage: halopaint sample MODEL.h5 COUNTS.h5 PARTICLES OUT.hdf5|OUT.txt [options]\n"
          "  COUNTS.h5   what `halopaint paint MODEL.h5 PARTICLES COUNTS.h5` wrote (counts)\n"
          "  PARTICLES   the same particles (Gadget-2 binary or Gadget-4/SWIFT-style HDF5)\n"
          "  --seed S                      seed of the draws (default 1)\n"
          "  --counts model|poisson|rounding  integer counts (default model: its distribution)\n"
          "  --positions particles|uniform halo positions in a voxel (default particles)\n"
          "  --rsd none|x|y|z              redshift-space axis (default none)\n"
          "  --velocities gadget|peculiar  the file's velocities: Gadget's v/sqrt(a) (default)\n"
          "                                or peculiar km/s (SWIFT)\n"
          "  --length-unit U               Mpc/h per file length unit (default: as paint)\n"
          "  --threads N                   0 = all (the catalogue does not depend on it)\n"
          "  --allow-mismatch              sample particles the model was not trained for\n");
  return 2;
}

/* One of @p names (|-separated) -> its index, else -1. */
static int choice(const char *v, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (!strcmp(v, names[i])) return i;
  return -1;
}

static int parse_args(int argc, char **argv, sample_args *a) {
  static const char *counts[] = {"poisson", "rounding", "model"}; /* enum hp_count_mode */
  static const char *positions[] = {"particles", "uniform"};      /* enum hp_position_mode */
  static const char *rsd[] = {"x", "y", "z", "none"};
  static const char *vel[] = {"gadget", "peculiar"};
  const char *pos[4];
  int npos = 0;
  memset(a, 0, sizeof *a);
  a->seed = 1, a->count_mode = HP_COUNTS_MODEL, a->rsd_axis = -1;
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end;
    int k = 0;
    if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
      usage(stdout);
      return -1;
    } else if (!strcmp(s, "--allow-mismatch")) {
      a->allow_mismatch = 1;
      continue;
    } else if (s[0] != '-' || !s[1]) {
      if (npos == 4) {
        fprintf(stderr, "halopaint sample: unexpected argument '%s'\n", s);
        return usage(stderr);
      }
      pos[npos++] = s;
      continue;
    } else if (!v) {
      fprintf(stderr, "halopaint sample: unknown option or missing value: '%s'\n", s);
      return usage(stderr);
    }
    i++;
    errno = 0;
    if (!strcmp(s, "--seed")) {
      const unsigned long long u = strtoull(v, &end, 10);
      k = (v[0] >= '0' && v[0] <= '9' && *end == '\0' && !errno && u <= HP_SEED_MAX) ? 0 : -1;
      a->seed = u;
    } else if (!strcmp(s, "--counts")) {
      k = a->count_mode = choice(v, counts, 3);
    } else if (!strcmp(s, "--positions")) {
      k = a->position_mode = choice(v, positions, 2);
    } else if (!strcmp(s, "--rsd")) {
      k = choice(v, rsd, 4);
      a->rsd_axis = k == 3 ? -1 : k;
    } else if (!strcmp(s, "--velocities")) {
      k = a->velocities = choice(v, vel, 2);
    } else if (!strcmp(s, "--length-unit")) {
      a->length_unit = strtod(v, &end);
      k = (end != v && *end == '\0' && !errno && a->length_unit > 0 && isfinite(a->length_unit))
              ? 0
              : -1;
    } else if (!strcmp(s, "--threads")) {
      const long t = strtol(v, &end, 10);
      k = (end != v && *end == '\0' && !errno && t >= 0 && t <= 100000) ? 0 : -1;
      a->nthreads = (int)t;
    } else {
      fprintf(stderr, "halopaint sample: unknown option '%s'\n", s);
      return usage(stderr);
    }
    if (k < 0) {
      fprintf(stderr, "halopaint sample: %s %s: not a valid value (see --help)\n", s, v);
      return 2;
    }
  }
  if (npos != 4) return usage(stderr);
  a->model = pos[0], a->counts = pos[1], a->particles = pos[2], a->out = pos[3];
  return 0;
}

/* The painted counts (K, nv, nv, nv) of COUNTS.h5, checked against the model and the grid. */
static int read_counts(const sample_args *a, int K, int64_t nv, float **block, hp_status *st) {
  hid_t f = -1;
  hsize_t dims[4];
  int rank, rc = hp_h5_open_ro(a->counts, &f, st);
  *block = NULL;
  if (rc) return rc;
  if ((rc = hp_h5_dataset_shape(f, "counts", &rank, dims, 4, NULL, st))) goto done;
  if (rank != 4 || (int)dims[0] != K || (int64_t)dims[1] != nv || (int64_t)dims[2] != nv ||
      (int64_t)dims[3] != nv) {
    rc = hp_fail(st, HP_ERR_INPUT,
                 "%s:/counts: expected shape (%d, %lld, %lld, %lld): the model's %d bins on the "
                 "particles' periodic grid (paint them with this model first)",
                 a->counts, K, (long long)nv, (long long)nv, (long long)nv, K);
    goto done;
  }
  const size_t n = (size_t)K * (size_t)(nv * nv * nv);
  if (!(*block = hp_alloc(n * sizeof(float), "the count grids", st))) {
    rc = st->code;
    goto done;
  }
  rc = hp_h5_read_dataset(f, "counts", H5T_NATIVE_FLOAT, 4, dims, *block, st);
  for (size_t i = 0; !rc && i < n; i++)
    if (!((*block)[i] >= 0) || !isfinite((*block)[i]))
      rc = hp_fail(st, HP_ERR_INPUT, "%s:/counts: value %zu is %g: expected finite and >= 0",
                   a->counts, i, (double)(*block)[i]);
done:
  if (f >= 0) H5Fclose(f);
  if (rc) {
    hp_free(*block);
    *block = NULL;
  }
  return rc;
}

static void fill_header(hp_catalog *cat, const hp_snapshot *s, const hp_model_meta *m,
                        uint64_t seed, const char *cmdline) {
  hp_catalog_header *h = &cat->hdr;
  h->box = s->box, h->redshift = s->redshift, h->omega_m = m->omega_m, h->omega_l = m->omega_l;
  h->omega_b = m->omega_b, h->h = m->h, h->sigma8 = m->sigma8, h->n_s = m->n_s;
  h->seed = (int64_t)seed;
  snprintf(h->mass_def, sizeof h->mass_def,
           "painted (model's training truth: see the model's provenance)");
  snprintf(h->command, sizeof h->command, "%s", cmdline);
  snprintf(h->software, sizeof h->software, "%s", HP_SOFTWARE);
}

int hp_cmd_sample(int argc, char **argv) {
  sample_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  const double t0 = omp_get_wtime();
  hp_status st;
  hp_status_clear(&st);
  hp_model m;
  hp_snapshot snap;
  hp_catalog cat;
  float *block = NULL, *counts[HP_NET_MAX_K];
  char diff[2048], cmdline[512];
  int64_t nv;
  int ret = 1, model_loaded = 0;
  memset(&snap, 0, sizeof snap), memset(&cat, 0, sizeof cat);
  hp_cli_command_line("sample", argc, argv, cmdline, sizeof cmdline);
  if (hp_model_load(&m, a.model, &st)) {
    hp_error_context(&st, "%s", a.model);
    goto fail;
  }
  model_loaded = 1;
  if (hp_snapshot_read(&snap, a.particles, a.length_unit, a.velocities, &st)) goto fail;
  const int k = hp_snapshot_mismatch(&snap, &m.meta, &nv, diff, sizeof diff);
  if (k && !a.allow_mismatch) {
    hp_fail(&st, HP_ERR_INPUT,
            "the particles %s differ from what the model %s was trained for:\n%s"
            "(--allow-mismatch to sample them anyway)",
            a.particles, a.model, diff);
    goto fail;
  }
  hp_cli_progress(t0, "read %s: %lld particles, BoxSize %g Mpc/h (%s), z = %g", a.particles,
                  (long long)snap.n, snap.box, snap.unit_note, snap.redshift);
  const int K = m.meta.nbins;
  if (read_counts(&a, K, nv, &block, &st)) goto fail;
  for (int b = 0; b < K; b++) counts[b] = block + (size_t)b * (size_t)(nv * nv * nv);
  const hp_snapshot_sample_desc sd = {a.seed, a.count_mode, a.position_mode, a.rsd_axis,
                                      a.nthreads};
  if (hp_snapshot_sample(&snap, &m, nv, (const float *const *)counts, &sd, &cat, &st)) goto fail;
  fill_header(&cat, &snap, &m.meta, a.seed, cmdline);
  const size_t len = strlen(a.out);
  const int ascii = len > 4 && !strcmp(a.out + len - 4, ".txt");
  if (ascii ? hp_catalog_write_ascii(&cat, a.out, &st) : hp_catalog_write_hdf5(&cat, a.out, &st))
    goto fail;
  int64_t per_bin[HP_NET_MAX_K] = {0};
  for (int64_t h = 0; h < cat.n; h++) per_bin[cat.mass_bin[h]]++;
  for (int b = 0; b < K; b++)
    hp_cli_progress(t0, "bin %d [%.4g, %.4g) Msun/h: %lld halos", b, m.meta.bin_edges[b],
                    m.meta.bin_edges[b + 1], (long long)per_bin[b]);
  hp_cli_progress(t0, "wrote %lld halos to %s", (long long)cat.n, a.out);
  ret = 0;
  goto done;
fail:
  hp_cli_error("sample", &st);
done:
  hp_catalog_free(&cat);
  hp_free(block);
  hp_snapshot_free(&snap);
  if (model_loaded) hp_model_free(&m);
  return ret;
}
