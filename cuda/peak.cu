// Measured FP32 and TF32 ceilings of a CUDA device, and its properties (cuda/peak.h).
// Every CUDA call is checked; a failure becomes HP_ERR_DEVICE naming the call.
#include <cuda_runtime.h>
#include <mma.h>
#include <stdio.h>

#include "cuda/peak.h"

namespace {

const int kBlock = 256;       // threads per block (8 warps)
const int kChains = 8;        // independent FMA chains per thread
const int kUnroll = 32;       // FMAs of each chain per loop trip (loop overhead < 1.5%)
const int kAcc = 8;           // independent WMMA accumulators per warp
const int kWaves = 4;         // grid = kWaves x (resident blocks per SM) x SMs
const double kTargetMs = 80;  // calibrated length of one timed launch

// kChains x kUnroll dependent-free FMAs per trip: FFMA-bound, no memory traffic. The
// result is stored only if it equals a value it never takes, which the compiler cannot know.
__global__ void __launch_bounds__(kBlock) fma_chains(float *sink, int iters, float x, float y) {
  float a[kChains];
#pragma unroll
  for (int c = 0; c < kChains; c++) a[c] = (float)threadIdx.x * 1e-3f + (float)c;
  for (int it = 0; it < iters; it++) {
#pragma unroll
    for (int u = 0; u < kUnroll; u++) {
#pragma unroll
      for (int c = 0; c < kChains; c++) a[c] = fmaf(a[c], x, y);
    }
  }
  float s = 0;
#pragma unroll
  for (int c = 0; c < kChains; c++) s += a[c];
  if (s == -1234.5f) sink[blockIdx.x * blockDim.x + threadIdx.x] = s;
}

// kAcc independent m16n16k8 TF32 products per trip on fragments that live in registers.
__global__ void __launch_bounds__(kBlock) wmma_tf32(float *sink, int iters, float v) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> c[kAcc];
  wmma::fill_fragment(a, wmma::__float_to_tf32(v));
  wmma::fill_fragment(b, wmma::__float_to_tf32(v * 0.5f));
#pragma unroll
  for (int i = 0; i < kAcc; i++) wmma::fill_fragment(c[i], (float)i);
  for (int it = 0; it < iters; it++) {
#pragma unroll
    for (int i = 0; i < kAcc; i++) wmma::mma_sync(c[i], a, b, c[i]);
  }
  float s = 0;
#pragma unroll
  for (int i = 0; i < kAcc; i++)
    for (int t = 0; t < c[i].num_elements; t++) s += c[i].x[t];
  if (s == -1234.5f) sink[blockIdx.x * blockDim.x + threadIdx.x] = s;
#else
  (void)sink, (void)iters, (void)v;
#endif
}

// Events, the sink buffer and the caller's device, released/restored on every exit path.
struct Session {
  int prev = -1;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  float *sink = nullptr;
  ~Session() {
    if (e0) cudaEventDestroy(e0);
    if (e1) cudaEventDestroy(e1);
    if (sink) cudaFree(sink);
    if (prev >= 0) cudaSetDevice(prev);
  }
};

#define HP_CK(call)                                                               \
  do {                                                                            \
    cudaError_t e_ = (call);                                                      \
    if (e_ != cudaSuccess)                                                        \
      return hp_fail(st, HP_ERR_DEVICE, "%s: %s", #call, cudaGetErrorString(e_)); \
  } while (0)

// Make @p device current (remembering the caller's) and check that it exists.
int enter(Session &s, int device, hp_status *st) {
  int count = 0;
  HP_CK(cudaGetDeviceCount(&count));
  if (device < 0 || device >= count)
    return hp_fail(st, HP_ERR_DEVICE, "device %d: no such CUDA device (%d present)", device, count);
  HP_CK(cudaGetDevice(&s.prev));
  HP_CK(cudaSetDevice(device));
  return HP_OK;
}

enum Kind { FP32 = 0, TF32 = 1 };

// One launch of @p kind over @p grid blocks, timed by events, in ms.
int timed(Session &s, Kind kind, int grid, int iters, double *ms, hp_status *st) {
  HP_CK(cudaEventRecord(s.e0));
  if (kind == FP32)
    fma_chains<<<grid, kBlock>>>(s.sink, iters, 0.999999f, 1e-7f);
  else
    wmma_tf32<<<grid, kBlock>>>(s.sink, iters, 1e-3f);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    return hp_fail(st, HP_ERR_DEVICE, "%s<<<%d, %d>>>: %s",
                   kind == FP32 ? "fma_chains" : "wmma_tf32", grid, kBlock, cudaGetErrorString(e));
  HP_CK(cudaEventRecord(s.e1));
  HP_CK(cudaEventSynchronize(s.e1));
  float t = 0;
  HP_CK(cudaEventElapsedTime(&t, s.e0, s.e1));
  *ms = t;
  return HP_OK;
}

// Fill every SM kWaves times, calibrate the trip count to ~kTargetMs, best of 3.
int measure(int device, Kind kind, double *gflops, hp_status *st) {
  *gflops = 0;
  Session s;
  if (enter(s, device, st)) return st->code;
  cudaDeviceProp p;
  HP_CK(cudaGetDeviceProperties(&p, device));
  if (kind == TF32 && p.major < 8)
    return hp_fail(st, HP_ERR_DEVICE,
                   "device %d (%s, sm_%d%d): TF32 tensor cores need compute capability 8.0", device,
                   p.name, p.major, p.minor);
  int per_sm = 0;
  if (kind == FP32)
    HP_CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fma_chains, kBlock, 0));
  else
    HP_CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, wmma_tf32, kBlock, 0));
  if (per_sm < 1) per_sm = 1;
  const int grid = kWaves * per_sm * p.multiProcessorCount;
  HP_CK(cudaMalloc((void **)&s.sink, sizeof(float) * (size_t)grid * kBlock));
  HP_CK(cudaEventCreate(&s.e0));
  HP_CK(cudaEventCreate(&s.e1));
  // flops of one loop trip over the whole grid
  const double trip = kind == FP32 ? 2.0 * kChains * kUnroll * (double)grid * kBlock
                                   : 2.0 * 16 * 16 * 8 * kAcc * (double)grid * (kBlock / 32);
  int iters = 64;
  double ms = 0;
  for (int w = 0; w < 2; w++) /* warm-up: clocks up, module loaded, then calibrate */
    if (timed(s, kind, grid, iters, &ms, st)) return st->code;
  double want = iters * kTargetMs / (ms > 1e-3 ? ms : 1e-3);
  iters = want < 64 ? 64 : want > 1 << 24 ? 1 << 24 : (int)want;
  for (int r = 0; r < 3; r++) {
    if (timed(s, kind, grid, iters, &ms, st)) return st->code;
    const double gf = trip * iters / (ms * 1e6);
    if (gf > *gflops) *gflops = gf;
  }
  return HP_OK;
}

}  // namespace

extern "C" int hp_cuda_peak_fp32(int device, double *gflops, hp_status *st) {
  return measure(device, FP32, gflops, st);
}

extern "C" int hp_cuda_peak_tf32(int device, double *gflops, hp_status *st) {
  return measure(device, TF32, gflops, st);
}

extern "C" int hp_cuda_device_props(int device, char *buf, int n, hp_status *st) {
  if (n > 0) buf[0] = 0;
  Session s;
  if (enter(s, device, st)) return st->code;
  cudaDeviceProp p;
  HP_CK(cudaGetDeviceProperties(&p, device));
  int clk = 0, mclk = 0, bus = 0, rt = 0, drv = 0;
  HP_CK(cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, device));
  HP_CK(cudaDeviceGetAttribute(&mclk, cudaDevAttrMemoryClockRate, device));
  HP_CK(cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, device));
  HP_CK(cudaRuntimeGetVersion(&rt));
  HP_CK(cudaDriverGetVersion(&drv));
  size_t free_b = 0, total_b = 0;
  HP_CK(cudaMemGetInfo(&free_b, &total_b));
  snprintf(buf, (size_t)(n > 0 ? n : 0),
           "device %d: %s, sm_%d%d, %d SMs, %.0f MHz, %.1f GiB (%.1f GiB free), memory %.0f MHz "
           "x %d bit, L2 %.0f MiB, shared memory per block %zu KiB (opt-in %zu KiB), "
           "CUDA runtime %d.%d, driver %d.%d",
           device, p.name, p.major, p.minor, p.multiProcessorCount, clk / 1e3,
           total_b / 1073741824.0, free_b / 1073741824.0, mclk / 1e3, bus,
           p.l2CacheSize / 1048576.0, p.sharedMemPerBlock / 1024, p.sharedMemPerBlockOptin / 1024,
           rt / 1000, rt % 1000 / 10, drv / 1000, drv % 1000 / 10);
  return HP_OK;
}
