/*
 * Benchmark of friends-of-friends (nbody/fof.c), b = 0.2, at least 20 members:
 *  1. on 2LPT particles at z = 0 from the library (BoxSize = NParticles Mpc/h, so 1 Mpc/h mean
 *     separation; Planck 2015 cosmology), lattice mode (no copy of the particles): FoF wall
 *     time per particle (median of 3), its stages, the halos, the pair tests, the workspace per
 *     particle and the growth of the process's peak resident set during FoF;
 *  2. on an N-body-like field at the FoF scale, which 2LPT is not (2LPT smears collapsed
 *     regions: it has almost no b = 0.2 groups): the same particles with 30% of them moved into
 *     NFW halos (concentration 7, N(>n) ~ 1/n members from 20 to 20000, truncated at r200 of
 *     200 times the mean density), centred on 2LPT particles; explicit positions.
 *  3. optionally, on an N-body snapshot (`halopaint sim` with SimWriteParticles 1, HDF5): the
 *     real thing, with the particles' IDs (Lagrangian positions from them).
 * Usage: bench_fof NP [THREADS [SNAPSHOT.hdf5]]   (one size per process, so that the peak RSS
 * is this size's; the snapshot must hold NP^3 particles).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <omp.h>

#include "lpt/ic_read.h"
#include "lpt/ic_write.h"
#include "nbody/fof.h"
#include "params/params.h"
#include "plugin/pipeline.h"
#include "util/memory.h"

/* CPU time (user + system) of the process so far, s. */
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* splitmix64: a uniform number in [0, 1) from a counter. */
static double hash01(uint64_t k) {
  uint64_t z = k * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* NFW enclosed-mass shape m(x) = ln(1 + x) - x / (1 + x). */
static double nfw_m(double x) { return log1p(x) - x / (1 + x); }

/* The N-body-like field of the file comment: positions (Mpc/h) of the np^3 particles. */
static void nfw_field(int64_t np, const float *const d[3], float *out[3]) {
  const int64_t n = np * np * np;
  const double box = (double)np, conc = 7, mc = nfw_m(conc), frac = 0.3;
  int64_t h = 0, left = 0, cidx = 0;
  double r200 = 0;
  uint64_t ctr = 1;
  for (int64_t i = 0; i < n; i++) {
    const double q[3] = {(double)(i / (np * np)), (double)(i / np % np), (double)(i % np)};
    for (int a = 0; a < 3; a++) out[a][i] = (float)fmod(q[a] + d[a][i] + box, box);
  }
  for (int64_t i = 0; i < n; i++) {
    if (hash01(ctr++) >= frac) continue;
    if (left == 0) { /* next halo: members, radius (mean density 1 per (Mpc/h)^3), centre */
      const double m = 20.0 / (1.0 - hash01(ctr++));
      left = m < 20000 ? (int64_t)m : 20000;
      r200 = cbrt(3.0 * (double)left / (800.0 * M_PI));
      cidx = (int64_t)(hash01(ctr++) * (double)n);
      h++;
    }
    double lo = 0, hi = conc, u = hash01(ctr++) * mc;
    for (int it = 0; it < 40; it++) {
      const double mid = 0.5 * (lo + hi);
      if (nfw_m(mid) < u)
        lo = mid;
      else
        hi = mid;
    }
    const double r = 0.5 * (lo + hi) / conc * r200, mu = 2 * hash01(ctr++) - 1;
    const double phi = 2 * M_PI * hash01(ctr++), s = sqrt(1 - mu * mu);
    const double dx[3] = {r * s * cos(phi), r * s * sin(phi), r * mu};
    for (int a = 0; a < 3; a++) out[a][i] = (float)fmod(out[a][cidx] + dx[a] + box, box);
    left--;
  }
  (void)h;
}

/* Three FoF runs; the median wall time, the info of that run, and the mean CPU time. */
typedef struct fof_timing {
  double wall, cpu;
  hp_fof_info info;
} fof_timing;

static int time_fof(const hp_fof_desc *fd, const hp_fof_particles *fp, hp_catalog *cat,
                    fof_timing *out, hp_status *st) {
  hp_fof_info info[3];
  double t[3], ts[3];
  double cpu = cpu_seconds();
  for (int r = 0; r < 3; r++) {
    hp_catalog_free(cat);
    const double t0 = omp_get_wtime();
    if (hp_fof_find_info(fd, fp, cat, &info[r], st)) return st->code;
    ts[r] = t[r] = omp_get_wtime() - t0;
  }
  out->cpu = (cpu_seconds() - cpu) / 3;
  qsort(ts, 3, sizeof *ts, cmp);
  int med = 0;
  for (int r = 0; r < 3; r++)
    if (t[r] == ts[1]) med = r;
  out->wall = ts[1];
  out->info = info[med];
  return HP_OK;
}

/* The result line: "FoF np=... (WHAT): FoF ... workspace ... B/particle" (no newline). */
static void print_fof(long long np, int threads, const char *what, const fof_timing *ft,
                      const hp_catalog *cat) {
  const double n = (double)np * np * np;
  const hp_fof_info *f = &ft->info;
  printf(
      "FoF np=%lld threads=%d b=0.2 (%s): FoF %.3f s = %.1f ns/particle (sort %.3f, link "
      "%.3f, halos %.3f s; CPU %.3f s); %lld halos >= 20 particles (largest %d), %.2f pair "
      "tests/particle; workspace %.1f B/particle",
      np, threads, what, ft->wall, ft->wall / n * 1e9, f->t_grid, f->t_link, f->t_halos, ft->cpu,
      (long long)cat->n, cat->n > 0 ? (int)cat->npart[0] : 0, (double)f->npairs / n,
      (double)f->bytes / n);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s NP [THREADS]\n", argv[0]);
    return 2;
  }
  const long long np = atoll(argv[1]);
  const int threads = argc > 2 ? atoi(argv[2]) : 2;
  const double omega_m = 0.3089;
  char text[512];
  snprintf(text, sizeof text,
           "Omega0 %g\nOmegaBaryon 0.0486\nHubbleParam 0.6774\nSigma8 0.8159\n"
           "PrimordialIndex 0.9667\nBoxSize %lld\nNParticles %lld\nSeed 42\nThreads %d\n",
           omega_m, np, np, threads);
  hp_status st;
  hp_status_clear(&st);
  hp_params *p = NULL;
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  hp_catalog cat = {0};
  double t0 = omp_get_wtime();
  if (hp_params_parse_string(&p, "bench_fof", text, NULL, 0, HP_NEED_ALL, &st) ||
      hp_pipeline_particles(p, 0.0, &c, &l, NULL, &st))
    goto fail;
  const double t_lpt = omp_get_wtime() - t0, n = (double)np * np * np;
  hp_fof_particles fp = {0};
  fp.n = np * np * np;
  fp.x = hp_lpt_displacement(l, 0), fp.y = hp_lpt_displacement(l, 1);
  fp.z = hp_lpt_displacement(l, 2), fp.stride = 1;
  fp.vx = hp_lpt_velocity(l, 0), fp.vy = hp_lpt_velocity(l, 1), fp.vz = hp_lpt_velocity(l, 2);
  fp.vstride = 1, fp.lattice_np = np;
  hp_fof_desc fd = {0};
  fd.box = (double)np, fd.b = 0.2, fd.min_members = 20, fd.nthreads = threads;
  fd.particle_mass = HP_IC_RHO_CRIT_GADGET * 1e10 * omega_m; /* (1 Mpc/h)^3 per particle */
  fof_timing ft;
  char what[256];
  const double rss0 = hp_memory_peak();
  if (time_fof(&fd, &fp, &cat, &ft, &st)) goto fail;
  const double rss1 = hp_memory_peak();
  snprintf(what, sizeof what, "2LPT z=0, L=%lld Mpc/h, 2LPT %.2f s", np, t_lpt);
  print_fof(np, threads, what, &ft, &cat);
  printf("; peak RSS growth %.1f B/particle\n", (rss1 - rss0) / n);
  /* 2. the N-body-like field */
  {
    float *pos[3];
    for (int a = 0; a < 3; a++) pos[a] = malloc((size_t)fp.n * sizeof(float));
    if (!pos[0] || !pos[1] || !pos[2]) {
      fprintf(stderr, "bench_fof: no memory for the NFW field\n");
      return 1;
    }
    const float *dsp[3] = {fp.x, fp.y, fp.z};
    t0 = omp_get_wtime();
    nfw_field(np, dsp, pos);
    const double t_field = omp_get_wtime() - t0;
    fp.x = pos[0], fp.y = pos[1], fp.z = pos[2], fp.lattice_np = 0;
    if (time_fof(&fd, &fp, &cat, &ft, &st)) goto fail;
    snprintf(what, sizeof what, "2LPT + NFW halos holding 30%% of the particles, field %.2f s",
             t_field);
    print_fof(np, threads, what, &ft, &cat);
    printf("\n");
    for (int a = 0; a < 3; a++) free(pos[a]);
  }
  /* 3. an N-body snapshot */
  if (argc > 3) {
    hp_ic_data snap;
    hp_lpt_destroy(l);
    l = NULL;
    if (hp_ic_read_file(argv[3], 0, &snap, &st)) goto fail;
    if (snap.n != fp.n) {
      fprintf(stderr, "bench_fof: %s holds %lld particles, not %lld^3\n", argv[3],
              (long long)snap.n, np);
      return 1;
    }
    hp_fof_particles sp = {0};
    sp.n = snap.n;
    sp.x = snap.pos, sp.y = snap.pos + 1, sp.z = snap.pos + 2, sp.stride = 3;
    sp.id = (const int64_t *)snap.id, sp.id_lattice_np = np; /* IDs < 2^63 */
    fd.box = snap.hdr.box;
    if (time_fof(&fd, &sp, &cat, &ft, &st)) goto fail;
    snprintf(what, sizeof what, "N-body snapshot %s, z=%g", argv[3], snap.hdr.redshift);
    print_fof(np, threads, what, &ft, &cat);
    printf("\n");
    hp_ic_data_free(&snap);
  }
  hp_catalog_free(&cat);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  hp_params_free(p);
  return 0;
fail:
  fprintf(stderr, "bench_fof: %s\n", st.msg);
  return 1;
}
