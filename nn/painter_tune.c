/*
 * The painter's tile shape chosen by measurement, as FFTW plans (nn/painter.h, "planner"):
 * a few shapes are timed on a small grid of the plan's thread count (every thread paints one
 * tile at once, as in a run), the fastest per output voxel wins, and the choice is kept in a
 * per-machine wisdom file keyed on the CPU, the vector path, the threads and the grid's y and z
 * extents. The search stops when it has spent a tenth of the execute it predicts (at least half
 * a second); a search cut short is written down but not trusted (the next plan searches again),
 * and the shape that won complete searches of other grids on this machine is tried first. Results
 * are bit-identical for any tile (tests/test_painter.c), so the choice changes only the speed.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/painter_internal.h"
#include "util/memory.h"

/** Output planes along x of a timed tile (its ring fills over 8 more). */
#define TUNE_NX 8
/** Fraction of the predicted execute the search may spend, but at least TUNE_MIN_SECONDS: a
 * search is done once a machine and grid (the wisdom file keeps it), and a tenth of a small
 * grid's execute would never see the whole list, so its line would never be trusted. */
#define TUNE_BUDGET 0.1
#define TUNE_MIN_SECONDS 0.5

/* The CPU's name (/proc/cpuinfo), for the wisdom key; spaces become '_'. */
static void cpu_model(char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
      const char *v = strchr(line, ':') + 1;
      while (*v == ' ') v++;
      snprintf(buf, n, "%s", v);
      break;
    }
  fclose(f);
  for (char *c = buf; *c; c++)
    if (*c == ' ' || *c == '\t')
      *c = '_';
    else if (*c == '\n')
      *c = '\0';
}

/* The wisdom file: $HALOPAINT_WISDOM, else $XDG_CACHE_HOME or ~/.cache /halopaint/wisdom. */
static int wisdom_path(char *buf, size_t n) {
  const char *w = getenv("HALOPAINT_WISDOM"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
  if (w && *w) return snprintf(buf, n, "%s", w) < (int)n;
  if (x && *x) return snprintf(buf, n, "%s/halopaint/wisdom", x) < (int)n;
  if (h && *h) return snprintf(buf, n, "%s/.cache/halopaint/wisdom", h) < (int)n;
  return 0;
}

/* The engine's revision, part of the key: a kernel change makes earlier timings stale
 * (2: block 1 folded). */
#define HP_PAINTER_ENGINE "engine=2"

static void wisdom_key(char *key, size_t n, const char *simd, int threads, int64_t ny, int64_t nz) {
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  snprintf(key, n, "painter-tiles %s %s %s threads=%d ny=%lld nz=%lld", HP_PAINTER_ENGINE, cpu,
           simd, threads, (long long)ny, (long long)nz);
}

#define PARTIAL_NOTE "; the search ran out of its budget"

/* The last complete search's shape among the lines that start with @p prefix: the key itself
 * (@p exact: the rest of the line is " -> ty tz ...") or the machine's part of it (any grid). */
static int wisdom_read(const char *prefix, int exact, int *ty, int *tz) {
  char path[4096], line[1024];
  if (!wisdom_path(path, sizeof path)) return 0;
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int found = 0;
  const size_t kl = strlen(prefix);
  while (fgets(line, sizeof line, f)) { /* the last line wins */
    const char *arrow = strstr(line, " -> ");
    int a, b;
    if (strncmp(line, prefix, kl) || (exact && line + kl != arrow) || !arrow ||
        strstr(line, PARTIAL_NOTE))
      continue;
    if (sscanf(arrow, " -> %d %d", &a, &b) == 2 && a > 0 && b > 0) *ty = a, *tz = b, found = 1;
  }
  fclose(f);
  return found;
}

/* Appended, one line (a failure to write costs only the next search). */
static void wisdom_write(const char *key, int ty, int tz, double ns, int partial) {
  char path[4096];
  if (!wisdom_path(path, sizeof path)) return;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) { /* mkdir -p */
    *s = '\0';
    mkdir(dir, 0755);
    *s = '/';
  }
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%s -> %d %d (%.1f ns per voxel%s)\n", key, ty, tz, ns, partial ? PARTIAL_NOTE : "");
  fclose(f);
}

/* Seconds per output voxel of tiles ty x tz, every thread painting one at once; < 0 on failure. */
static double time_shape(const hp_net *net, int threads, int ty, int tz, float *rho,
                         float *const *out) {
  const hp_painter_desc d = {
      {TUNE_NX + 8, (int64_t)threads * ty + 8, tz + 8}, 0, threads, ty, tz, HP_PLAN_ESTIMATE};
  hp_painter *p;
  hp_status st;
  if (hp_painter_create(&p, net, &d, &st)) return -1;
  double best = INFINITY;
  for (int r = 0; r < 2; r++) {
    const double t0 = omp_get_wtime();
    if (hp_painter_execute(p, rho, out, &st)) best = -1;
    const double t = omp_get_wtime() - t0;
    if (best >= 0 && t < best) best = t;
  }
  hp_painter_destroy(p);
  return best < 0 ? -1 : best / ((double)TUNE_NX * threads * ty * tz);
}

/* A tile side near @p target that splits @p n evenly. */
static int balanced(int64_t n, int target) {
  const int64_t parts = (n + target - 1) / target;
  return (int)((n + parts - 1) / parts);
}

int hp_painter_tune(const hp_net *net, const hp_painter_desc *d, const char *simd, int64_t nx,
                    int64_t ny, int64_t nz, int *ty, int *tz) {
  const int threads = d->nthreads > 0 ? d->nthreads : omp_get_max_threads();
  char key[512], machine[512];
  wisdom_key(key, sizeof key, simd, threads, ny, nz);
  if (wisdom_read(key, 1, ty, tz)) return 1;
  /* the machine's winner on other grids first, then the smallest tiles (more fit the budget) */
  int try[10][2] = {{0, 0},   {16, 32},  {32, 32}, {16, 64},  {32, 64},
                    {64, 32}, {16, 128}, {64, 64}, {32, 128}, {64, 128}};
  snprintf(machine, sizeof machine, "%.*s", (int)(strstr(key, " ny=") - key) + 1, key);
  if (!wisdom_read(machine, 0, &try[0][0], &try[0][1]) || try[0][0] > 64 || try[0][1] > 128)
    try[0][0] = 16, try[0][1] = 32; /* none, or beyond the timing buffers: the list alone */
  const int64_t ymax = (int64_t)threads * 64 + 8, zmax = 128 + 8, vox = (TUNE_NX + 8) * ymax * zmax;
  const int K = net->k_out;
  hp_status st;
  float *rho = hp_alloc(sizeof(float) * (size_t)vox, "tile search", &st);
  float *block = hp_alloc(sizeof(float) * (size_t)(K * vox), "tile search", &st);
  float *out[HP_NET_MAX_K];
  if (!rho || !block) {
    hp_free(rho), hp_free(block);
    return 0;
  }
  for (int64_t i = 0; i < vox; i++) rho[i] = 1.0f + 0.5f * (float)((i * 2654435761u) % 1000) / 1e3f;
  for (int k = 0; k < K; k++) out[k] = block + (size_t)k * (size_t)vox;
  /* the estimate first: it sets the budget, then the others while the budget lasts */
  double best = time_shape(net, threads, *ty, *tz, rho, out), spent = 0;
  const double t_start = omp_get_wtime();
  const double predicted = best * (double)(nx * ny * nz);
  const double budget = best > 0 ? fmax(TUNE_BUDGET * predicted, TUNE_MIN_SECONDS) : 0;
  for (int c = 0; c < 10 && best > 0 && spent < budget; c++) {
    if (c > 0 && try[c][0] == try[0][0] && try[c][1] == try[0][1]) continue; /* timed first */
    const int cy = balanced(ny, try[c][0]), cz = balanced(nz, try[c][1]);
    if (cy > ny || cz > nz || (cy == *ty && cz == *tz)) continue;
    const double t = time_shape(net, threads, cy, cz, rho, out);
    if (t > 0 && t < best) best = t, *ty = cy, *tz = cz;
    spent = omp_get_wtime() - t_start;
  }
  hp_free(rho), hp_free(block);
  if (best > 0) wisdom_write(key, *ty, *tz, 1e9 * best, spent >= budget);
  return best > 0;
}
