/*
 * Benchmark of GPU painting on periodic N^3 boxes: our CUDA painter (cuda/painter_cuda.h) in
 * FP32 and TF32, and the cuDNN baseline (cuda/painter_cudnn.h) in FP32 and TF32, beside the
 * device's FP32 and TF32 (WMMA) peaks measured in the same run (cuda/peak.h).
 * Usage: bench_cuda [N...] (default 128 256 512 1024); K = 1 for every N, and K = 3 at 256
 * when 256 is among the sizes.
 *
 * Each engine: plan, one warm-up execute, then 3 executes; compute ms and total ms are the
 * best of the 3 (from *_last_ms: compute = the kernels alone, by CUDA events; total = the
 * whole execute with its copies: wall clock for ours, CUDA events for cuDNN). TFLOP/s = 2 x
 * hp_net_macs_per_voxel x N^3 / compute time; share = that over the matching measured peak (FP32
 * peak for fp32 rows, WMMA TF32 peak for tf32 rows). Targets (judged on compute ms): FP32 256^3 <=
 * 27 ms, 1024^3 <= 1.8 s and >= 60% of the FP32 peak; tensor cores 256^3 <= 8 ms, 1024^3 <= 0.5 s.
 * First, at 128^3: each GPU engine's output against the CPU engine (hp_painter), max over voxels
 * of |gpu - cpu| / max(|cpu|, 1e-3 max|cpu|), and max |gpu - cpu| / max|cpu|.
 *
 * A size or engine that does not fit or fails is reported as SKIP with the reason. Without
 * the CUDA backend or a device: one "SKIP: bench_cuda: <reason>" line, exit 0.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/device.h"
#include "cuda/painter_cuda.h"
#include "cuda/painter_cudnn.h"
#include "cuda/peak.h"
#include "nn/network.h"
#include "nn/painter.h"

enum { OURS_FP32, OURS_TF32, CUDNN_FP32, CUDNN_TF32, NENGINE };
static const char *ENGINE[NENGINE] = {"ours fp32", "ours tf32", "cudnn fp32", "cudnn tf32"};
static int is_tf32(int e) { return e == OURS_TF32 || e == CUDNN_TF32; }

typedef struct result {
  double compute_ms, total_ms; /* best of 3 */
  int slabs;                   /* 0: not reported (cuDNN holds the whole box) */
  size_t bytes;                /* device bytes of the plan */
} result;

/* Deterministic lognormal-ish density around 1 (hash of the index: any thread count). */
static void fill_density(float *rho, int64_t nvox) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nvox; i++) {
    uint64_t z = (uint64_t)i * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    const double u = (double)(z >> 11) * 0x1p-53;
    rho[i] = (float)exp(0.8 * (2.0 * u - 1.0));
  }
}

static float **alloc_out(int K, int64_t nvox) {
  float **o = calloc((size_t)K, sizeof *o);
  if (!o) return NULL;
  for (int k = 0; k < K; k++)
    if (!(o[k] = malloc(sizeof(float) * (size_t)nvox))) {
      for (int j = 0; j < k; j++) free(o[j]);
      free(o);
      return NULL;
    }
  return o;
}
static void free_out(float **o, int K) {
  if (!o) return;
  for (int k = 0; k < K; k++) free(o[k]);
  free(o);
}

/*
 * Plan engine @p e for a periodic n^3 box, warm up, best of @p reps executes; the output of the
 * last execute stays in @p out. Fails (with the status) when the plan or an execute fails.
 */
static int run_engine(int e, const hp_net *net, int64_t n, const float *rho, float **out, int reps,
                      result *r, hp_status *st) {
  memset(r, 0, sizeof *r);
  r->compute_ms = r->total_ms = INFINITY;
  int rc;
  if (e == OURS_FP32 || e == OURS_TF32) {
    hp_cuda_painter *p = NULL;
    hp_cuda_painter_desc d = {{n, n, n}, 1, 0, NULL, e == OURS_TF32 ? HP_GPU_TF32 : HP_GPU_FP32, 0};
    if ((rc = hp_cuda_painter_create(&p, net, &d, st))) return rc;
    r->slabs = hp_cuda_painter_nslabs(p);
    r->bytes = hp_cuda_painter_device_bytes(p);
    for (int i = 0; i <= reps && !rc; i++) {
      double t, c;
      if ((rc = hp_cuda_painter_execute(p, rho, out, st))) break;
      hp_cuda_painter_last_ms(p, &t, &c);
      if (i > 0 && c < r->compute_ms) r->compute_ms = c;
      if (i > 0 && t < r->total_ms) r->total_ms = t;
    }
    hp_cuda_painter_destroy(p);
  } else {
    hp_cudnn_painter *p = NULL;
    hp_cudnn_painter_desc d = {{n, n, n}, 1, 0, e == CUDNN_TF32};
    if ((rc = hp_cudnn_painter_create(&p, net, &d, st))) return rc;
    r->bytes = hp_cudnn_painter_device_bytes(p);
    for (int i = 0; i <= reps && !rc; i++) {
      double t, c;
      if ((rc = hp_cudnn_painter_execute(p, rho, out, st))) break;
      hp_cudnn_painter_last_ms(p, &t, &c);
      if (i > 0 && c < r->compute_ms) r->compute_ms = c;
      if (i > 0 && t < r->total_ms) r->total_ms = t;
    }
    hp_cudnn_painter_destroy(p);
  }
  return rc;
}

/* The target for this row, judged on compute ms; "" when it has none. */
static void target_text(int e, int64_t n, double ms, double share, char *buf, size_t len) {
  buf[0] = 0;
  double lim = 0;
  if (e == OURS_FP32) lim = n == 256 ? 27 : n == 1024 ? 1800 : 0;
  if (e == OURS_TF32) lim = n == 256 ? 8 : n == 1024 ? 500 : 0;
  size_t at = 0;
  if (lim > 0) at += (size_t)snprintf(buf, len, "<= %g ms %s", lim, ms <= lim ? "met" : "MISSED");
  if (e == OURS_FP32 && share > 0)
    snprintf(buf + at, len - at, "%s>= 60%% of peak %s", at ? ", " : "",
             share >= 0.6 ? "met" : "MISSED");
}

static void print_row(int e, int64_t n, int K, const hp_net *net, const result *r, double peak) {
  const double flop = 2.0 * hp_net_macs_per_voxel(net) * (double)n * (double)n * (double)n;
  const double tflops = flop / (r->compute_ms * 1e9);
  const double share = peak > 0 ? tflops * 1e3 / peak : 0;
  char slabs[16], sh[16], tgt[96];
  if (r->slabs > 0)
    snprintf(slabs, sizeof slabs, "%d", r->slabs);
  else
    snprintf(slabs, sizeof slabs, "-");
  if (share > 0)
    snprintf(sh, sizeof sh, "%5.1f%%", 100 * share);
  else
    snprintf(sh, sizeof sh, "-");
  target_text(e, n, r->compute_ms, share, tgt, sizeof tgt);
  if (!tgt[0]) snprintf(tgt, sizeof tgt, "-");
  printf("%-11s %5lld %2d %11.2f %10.2f %8.2f %7s %6s %7.2f   %s\n", ENGINE[e], (long long)n, K,
         r->compute_ms, r->total_ms, tflops, sh, slabs, r->bytes / 1e9, tgt);
  fflush(stdout);
}

/* All engines on a periodic n^3 box with K outputs. */
static void bench_size(int64_t n, int K, const double peak[2]) {
  hp_status st;
  hp_net net;
  if (hp_net_generator(&net, 1, K, &st)) {
    printf("SKIP %lld^3 K=%d: %s\n", (long long)n, K, st.msg);
    return;
  }
  hp_net_init_random(&net, 1, 0.1, 0.1);
  const int64_t nvox = n * n * n;
  float *rho = malloc(sizeof(float) * (size_t)nvox);
  float **out = alloc_out(K, nvox);
  if (!rho || !out) {
    printf("SKIP %lld^3 K=%d: cannot allocate %.1f GB of host memory\n", (long long)n, K,
           4.0 * (double)nvox * (1 + K) / 1e9);
  } else {
    fill_density(rho, nvox);
    for (int e = 0; e < NENGINE; e++) {
      result r;
      if (run_engine(e, &net, n, rho, out, 3, &r, &st)) {
        printf("%-11s %5lld %2d SKIP: %s\n", ENGINE[e], (long long)n, K, st.msg);
        fflush(stdout);
        continue;
      }
      print_row(e, n, K, &net, &r, peak[is_tf32(e)]);
    }
  }
  free(rho);
  free_out(out, K);
  hp_net_free(&net);
}

/* Max over voxels of |g - c| / max(|c|, 1e-3 max|c|), and max |g - c| / max |c|. */
static void diff(const float *g, const float *c, int64_t nv, double *rel, double *glob) {
  double mx = 0, e = 0, d = 0;
  for (int64_t i = 0; i < nv; i++) mx = fmax(mx, fabs(c[i]));
  const double fl = mx > 0 ? 1e-3 * mx : 1e-30;
  for (int64_t i = 0; i < nv; i++) {
    const double a = fabs((double)g[i] - c[i]);
    if (!(a / fmax(fabs(c[i]), fl) <= e)) e = isnan(a) ? INFINITY : a / fmax(fabs(c[i]), fl);
    if (!(a <= d)) d = isnan(a) ? INFINITY : a;
  }
  *rel = e;
  *glob = mx > 0 ? d / mx : d;
}

/* Each GPU engine's output against the CPU engine at n^3 (periodic, K = 1). */
static void cpu_compare(int64_t n) {
  hp_status st;
  hp_net net;
  hp_painter *cp = NULL;
  const int64_t nvox = n * n * n;
  float *rho = malloc(sizeof(float) * (size_t)nvox), *ref = malloc(sizeof(float) * (size_t)nvox),
        *g = malloc(sizeof(float) * (size_t)nvox);
  printf("\nGPU against the CPU engine (hp_painter), periodic %lld^3, K=1:\n", (long long)n);
  if (!rho || !ref || !g) {
    printf("SKIP: cannot allocate host memory\n");
    goto done;
  }
  if (hp_net_generator(&net, 1, 1, &st)) {
    printf("SKIP: %s\n", st.msg);
    goto done;
  }
  hp_net_init_random(&net, 1, 0.1, 0.1);
  fill_density(rho, nvox);
  hp_painter_desc d = {{n, n, n}, 1, 0, 0, 0, 0};
  const double t0 = omp_get_wtime();
  if (hp_painter_create(&cp, &net, &d, &st) || hp_painter_execute(cp, rho, &ref, &st)) {
    printf("SKIP: CPU engine: %s\n", st.msg);
    hp_net_free(&net);
    goto done;
  }
  printf("CPU engine: %.3f s with %d threads (plan + execute)\n", omp_get_wtime() - t0,
         omp_get_max_threads());
  printf("%-11s %22s %22s\n", "engine", "max rel diff (voxel)", "max |diff| / max|cpu|");
  for (int e = 0; e < NENGINE; e++) {
    result r;
    if (run_engine(e, &net, n, rho, &g, 0, &r, &st)) {
      printf("%-11s SKIP: %s\n", ENGINE[e], st.msg);
      continue;
    }
    double rel, glob;
    diff(g, ref, nvox, &rel, &glob);
    printf("%-11s %22.3e %22.3e%s\n", ENGINE[e], rel, glob,
           e == OURS_FP32 ? (rel <= 1e-5 ? "   (<= 1e-5: ok)" : "   (> 1e-5: TOO LARGE)") : "");
  }
  hp_painter_destroy(cp);
  hp_net_free(&net);
done:
  free(rho), free(ref), free(g);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* lines appear as they are made, also through tee */
  int64_t sizes[32];
  int ns = 0;
  for (int a = 1; a < argc && ns < 32; a++) {
    sizes[ns] = atoll(argv[a]);
    if (sizes[ns] < 16) {
      fprintf(stderr, "usage: %s [N...] (N >= 16; default 128 256 512 1024)\n", argv[0]);
      return 2;
    }
    ns++;
  }
  if (ns == 0) sizes[0] = 128, sizes[1] = 256, sizes[2] = 512, sizes[3] = 1024, ns = 4;
  hp_status st;
  int ndev = 0;
  if (!hp_cuda_compiled()) {
    printf("SKIP: bench_cuda: this build has no CUDA backend (built with CUDA=0)\n");
    return 0;
  }
  if (hp_cuda_device_count(&ndev, &st)) {
    printf("SKIP: bench_cuda: no usable CUDA device: %s\n", st.msg);
    return 0;
  }
  if (ndev == 0) {
    printf("SKIP: bench_cuda: no CUDA device on this machine\n");
    return 0;
  }
  char props[512];
  if (hp_cuda_device_props(0, props, sizeof props, &st)) {
    printf("SKIP: bench_cuda: %s\n", st.msg);
    return 0;
  }
  printf("%s\n", props);
  double peak[2] = {0, 0}; /* GFLOP/s: FP32, TF32 */
  if (hp_cuda_peak_fp32(0, &peak[0], &st))
    printf("FP32 peak: not measured: %s\n", st.msg);
  else
    printf("FP32 peak (FMA chains, measured): %.1f TFLOP/s\n", peak[0] / 1e3);
  if (hp_cuda_peak_tf32(0, &peak[1], &st))
    printf("TF32 peak: not measured: %s\n", st.msg);
  else
    printf("TF32 peak (WMMA m16n16k8, measured): %.1f TFLOP/s\n", peak[1] / 1e3);
  cpu_compare(128); /* first: short, and kept if a time limit cuts the large sizes */
  printf(
      "\nperiodic N^3; best of 3 after a warm-up; TFLOP/s from compute ms; share of the matching "
      "measured peak;\ntargets judged on compute ms: fp32 256^3 <= 27 ms, 1024^3 <= 1800 ms, "
      ">= 60%% of FP32 peak; tf32 256^3 <= 8 ms, 1024^3 <= 500 ms\n");
  printf("%-11s %5s %2s %11s %10s %8s %7s %6s %7s   %s\n", "engine", "N", "K", "compute ms",
         "total ms", "TFLOP/s", "share", "slabs", "dev GB", "target");
  int has256 = 0;
  for (int i = 0; i < ns; i++) {
    bench_size(sizes[i], 1, peak);
    has256 |= sizes[i] == 256;
  }
  if (has256) bench_size(256, 3, peak);
  return 0;
}
