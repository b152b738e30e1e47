// The halo painter on an NVIDIA GPU (see cuda/painter_cuda.h).
//
// Each kernel is a thin wrapper over the per-thread bodies of cuda/kernels.h
// (and cuda/kernels_tf32.h for the tensor-core convolutions),
// which the tests replay on the CPU; the order of the launches and the buffers
// they use come from hp_gpu_slab_work_init (cuda/plan.c), shared with those
// tests. Slabs stream along x: the copy stream brings slab i+1 in and takes
// slab i-1 out while the compute stream paints slab i.
#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda/device.h"
#include "cuda/kernels.h"
#include "cuda/kernels_tf32.h"
#include "cuda/painter_cuda.h"
#include "cuda/plan.h"
#include "nn/painter_pack.h"

#define EW_THREADS 256  // elementwise kernels

// ---- kernels ----

__global__ void k_pad(const float *raw, hp_gk_geom graw, float *x, hp_gk_geom gx) {
  const int64_t n = hp_gk_vox(&gx);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    hp_gk_pad_voxel(i, raw, &graw, x, &gx, HP_GPU_HALO);
}

// Weights ([cin][30] then bias[30]) in shared memory: every thread reads them all.
__global__ void k_reduce(const float *in, int cin, const float *w, float *out, int64_t n) {
  __shared__ float sw[31 * 30];
  for (int j = threadIdx.x; j < cin * 30 + 30; j += blockDim.x) sw[j] = w[j];
  __syncthreads();
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    hp_gk_reduce_voxel(i, in, cin, sw, sw + cin * 30, out, n);
}

template <int K>
__global__ void __launch_bounds__(HP_GK_THREADS) k_conv(hp_gk_conv_args a, const float *w) {
  extern __shared__ float smem[];
  float *sw = smem, *tile = smem + HP_GK_CO * K * K * K * HP_GK_CO + HP_GK_CO;
  const int tid = threadIdx.x;
  const int64_t bx = blockIdx.x, by = blockIdx.y, bz = blockIdx.z;
  hp_gk_conv_load_weights(tid, K, w, sw);
  __syncthreads();
  float acc[HP_GK_V][HP_GK_CO];
  hp_gk_conv_init(K, sw, acc);
  for (int ci = 0; ci < HP_GK_CO; ci++) {
    if (ci) __syncthreads();  // every thread is done with the previous channel's tile
    hp_gk_conv_load_tile(tid, K, &a, ci, bx, by, bz, tile);
    __syncthreads();
    hp_gk_conv_accumulate(tid, K, ci, sw, tile, acc);
  }
  hp_gk_conv_store(tid, &a, bx, by, bz, acc);
}

// D = A B + D on the tensor cores, one m16n8k8 tile (fragment layouts in cuda/kernels_tf32.h).
__device__ __forceinline__ void mma_tf32(float c[4], const float a[4], float b0, float b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(__float_as_uint(a[0])), "r"(__float_as_uint(a[1])), "r"(__float_as_uint(a[2])),
        "r"(__float_as_uint(a[3])), "r"(__float_as_uint(b0)), "r"(__float_as_uint(b1)));
}

// Prepared weights (hp_gt_prepare), offsets and bias[16] of one convolution, on the device.
struct tf32_conv {
  const float *wp;
  const int *off;
  const float *bias16;
};

template <int K>
__global__ void __launch_bounds__(HP_GT_THREADS) k_conv_tf32(hp_gk_conv_args a, tf32_conv c) {
  extern __shared__ float smem[];
  float *swp = smem;
  int *soff = (int *)(smem + hp_gt_weight_floats(K));
  float *sb = (float *)(soff + hp_gt_offset_ints(K)), *tile = sb + 16;
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int64_t bx = blockIdx.x, by = blockIdx.y, bz = blockIdx.z;
  hp_gt_copy(tid, c.wp, swp, hp_gt_weight_floats(K));
  for (int j = tid; j < hp_gt_offset_ints(K); j += HP_GT_THREADS) soff[j] = c.off[j];
  if (tid < 16) sb[tid] = c.bias16[tid];
  hp_gt_load_tile(tid, K, &a, bx, by, bz, tile);
  __syncthreads();
  float acc[HP_GT_MT][2][4];
  hp_gt_init(lane, sb, acc);
#pragma unroll 2
  for (int ks = 0; ks < hp_gt_ksteps(K); ks++) {
    float fa[HP_GT_MT][4], fb[4];
    hp_gt_fragments(lane, warp, K, ks, tile, swp, soff, 1, fa, fb);
#pragma unroll
    for (int j = 0; j < HP_GT_MT; j++) {
      mma_tf32(acc[j][0], fa[j], fb[0], fb[1]);
      mma_tf32(acc[j][1], fa[j], fb[2], fb[3]);
    }
  }
  hp_gt_store(lane, warp, K, &a, bx, by, bz, acc);
  hp_gt_store_pointwise(tid, &a, bx, by, bz);
}

struct head_offs {
  int wo[5], bo[5];
};

__global__ void k_head(const float *y2, int64_t n, const float *w, int nw, head_offs o, int k_out,
                       float slope, float *out) {
  extern __shared__ float sw[];
  for (int j = threadIdx.x; j < nw; j += blockDim.x) sw[j] = w[j];
  __syncthreads();
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    hp_gk_head_voxel(i, y2, n, sw, o.wo, o.bo, k_out, slope, out);
}

// ---- the plan ----

struct hp_cuda_painter {
  hp_cuda_painter_desc d;
  hp_gpu_slabs sl;
  hp_painter_pack pk;
  int dev;
  int nsm;
  float *dw;                // packed weights on the device
  float *dtf;               // TF32 path: prepared weights, offsets and biases of the 4 convolutions
  tf32_conv tc[4];          // their parts (block 1: 5^3, 3^3; block 2: 5^3, 3^3)
  float *big[4];            // x, r, y1, y2 (shared by both slab buffers)
  hp_gpu_slab_bufs buf[2];  // slab buffers: raw input and painted grids, one or two of each
  float *pin_in[2], *pin_out[2];  // pinned host staging, when the box streams in slabs
  cudaStream_t cs, xin, xout;     // compute (the host's or ours), copies in, copies out
  int own_cs;
  cudaEvent_t ev_in[2], ev_out[2];  // last copy into / out of each buffer done
  cudaEvent_t *ev_c;                // per slab: kernels start, end
  head_offs ho;
  int head_n;  // floats of the packed head
  size_t bytes;
  double last_total, last_compute;
};

#define CUDA_TRY(call)                                                                  \
  do {                                                                                  \
    cudaError_t e_ = (call);                                                            \
    if (e_ != cudaSuccess) {                                                            \
      hp_fail(st, HP_ERR_DEVICE, "GPU painter: %s: %s", #call, cudaGetErrorString(e_)); \
      goto fail;                                                                        \
    }                                                                                   \
  } while (0)

// Run on the plan's device; give the caller's current device back afterwards.
struct device_guard {
  int prev;
  int ok;
};
static int enter_device(device_guard *g, int dev, hp_status *st) {
  g->ok = 0;
  cudaError_t e = cudaGetDevice(&g->prev);
  if (e == cudaSuccess) e = cudaSetDevice(dev);
  if (e != cudaSuccess)
    return hp_fail(st, HP_ERR_DEVICE, "GPU painter: device %d: %s", dev, cudaGetErrorString(e));
  g->ok = 1;
  return HP_OK;
}
static void leave_device(device_guard *g) {
  if (g->ok) cudaSetDevice(g->prev);
}

extern "C" void hp_cuda_painter_destroy(hp_cuda_painter *p) {
  if (!p) return;
  device_guard g;
  hp_status st = {};
  if (enter_device(&g, p->dev, &st) == HP_OK) {
    for (int i = 0; i < 4; i++) cudaFree(p->big[i]);
    for (int b = 0; b < 2; b++) {
      cudaFree(p->buf[b].raw), cudaFree(p->buf[b].out);
      cudaFreeHost(p->pin_in[b]), cudaFreeHost(p->pin_out[b]);
      if (p->ev_in[b]) cudaEventDestroy(p->ev_in[b]);
      if (p->ev_out[b]) cudaEventDestroy(p->ev_out[b]);
    }
    cudaFree(p->dw);
    cudaFree(p->dtf);
    if (p->ev_c)
      for (int i = 0; i < 2 * p->sl.nslabs; i++)
        if (p->ev_c[i]) cudaEventDestroy(p->ev_c[i]);
    if (p->xin) cudaStreamDestroy(p->xin);
    if (p->xout) cudaStreamDestroy(p->xout);
    if (p->own_cs && p->cs) cudaStreamDestroy(p->cs);
    leave_device(&g);
  }
  free(p->ev_c);
  hp_painter_pack_free(&p->pk);
  free(p);
}

static int dalloc(float **ptr, size_t floats, size_t *total, hp_status *st) {
  cudaError_t e = cudaMalloc((void **)ptr, floats * sizeof(float));
  if (e != cudaSuccess) {
    *ptr = NULL;
    return hp_fail(st, HP_ERR_NOMEM, "GPU painter: cudaMalloc of %.3f GB: %s",
                   floats * sizeof(float) / 1e9, cudaGetErrorString(e));
  }
  *total += floats * sizeof(float);
  return HP_OK;
}

// The tensor-core path's weights: each convolution's lane fragments, rounded to TF32 once
// here, its offset table and its bias padded to 16, in one device buffer.
static size_t tf32_floats(size_t at[4]) {
  size_t n = 0;
  for (int c = 0; c < 4; c++) {
    const int k = c % 2 ? 3 : 5;
    if (at) at[c] = n;
    n += (size_t)hp_gt_weight_floats(k) + hp_gt_offset_ints(k) + 16;
  }
  return n;
}

static int prepare_tf32(hp_cuda_painter *p, hp_status *st) {
  size_t at[4];
  const size_t n = tf32_floats(at);
  float *h = (float *)calloc(n, sizeof(float));
  int *off = (int *)calloc((size_t)hp_gt_offset_ints(5), sizeof(int));
  if (!h || !off) {
    free(h), free(off);
    return hp_fail(st, HP_ERR_NOMEM, "GPU painter: cannot allocate the TF32 weights");
  }
  for (int c = 0; c < 4; c++) {
    const int k = c % 2 ? 3 : 5;
    const hp_pack_block *b = &p->pk.blk[c / 2];
    float *wp = h + at[c], *bias = wp + hp_gt_weight_floats(k) + hp_gt_offset_ints(k);
    hp_gt_prepare(k, p->pk.w + (k == 5 ? b->c5_w : b->c3_w), 1, wp, off);
    memcpy(wp + hp_gt_weight_floats(k), off, sizeof(int) * hp_gt_offset_ints(k));
    memcpy(bias, p->pk.w + (k == 5 ? b->c5_b : b->c3_b), HP_GK_CO * sizeof(float));
  }
  int rc = dalloc(&p->dtf, n, &p->bytes, st);
  if (!rc) {
    cudaError_t e = cudaMemcpy(p->dtf, h, n * sizeof(float), cudaMemcpyHostToDevice);
    if (e != cudaSuccess)
      rc = hp_fail(st, HP_ERR_DEVICE, "GPU painter: cudaMemcpy of the TF32 weights: %s",
                   cudaGetErrorString(e));
  }
  for (int c = 0; !rc && c < 4; c++) {
    const int k = c % 2 ? 3 : 5;
    p->tc[c].wp = p->dtf + at[c];
    p->tc[c].off = (const int *)(p->dtf + at[c] + hp_gt_weight_floats(k));
    p->tc[c].bias16 = p->dtf + at[c] + hp_gt_weight_floats(k) + hp_gt_offset_ints(k);
  }
  free(h), free(off);
  return rc;
}

extern "C" int hp_cuda_painter_create(hp_cuda_painter **out, const hp_net *net,
                                      const hp_cuda_painter_desc *d, hp_status *st) {
  *out = NULL;
  if (d->precision != HP_GPU_FP32 && d->precision != HP_GPU_TF32)
    return hp_fail(st, HP_ERR_INPUT, "GPU painter: precision %d (expected 0 = FP32, 1 = TF32)",
                   d->precision);
  if (d->device_id < 0)
    return hp_fail(st, HP_ERR_DEVICE, "GPU painter: device id %d: must be >= 0", d->device_id);
  hp_cuda_painter *p = (hp_cuda_painter *)calloc(1, sizeof *p);
  if (!p) return hp_fail(st, HP_ERR_NOMEM, "GPU painter: cannot allocate the plan");
  p->d = *d;
  p->dev = d->device_id;
  device_guard g = {0, 0};
  int ndev = 0;
  cudaDeviceProp prop;
  size_t free_b = 0, total_b = 0, budget, weights, smem5;
  if (hp_painter_pack_create(&p->pk, net, "GPU", st)) goto fail;
  if (hp_cuda_device_count(&ndev, st)) goto fail;  // no driver or no GPU: 0 devices
  if (d->device_id >= ndev) {
    hp_fail(st, HP_ERR_DEVICE, "GPU painter: device id %d, but %d CUDA device(s) are present",
            d->device_id, ndev);
    goto fail;
  }
  if (enter_device(&g, p->dev, st)) goto fail;
  CUDA_TRY(cudaGetDeviceProperties(&prop, p->dev));
  p->nsm = prop.multiProcessorCount;
  smem5 = sizeof(float) * (size_t)hp_gk_conv_smem_floats(5);
  if (prop.sharedMemPerBlockOptin < smem5) {
    hp_fail(st, HP_ERR_DEVICE,
            "GPU painter: %s has %zu bytes of shared memory per block; the 5^3 kernel needs %zu",
            prop.name, (size_t)prop.sharedMemPerBlockOptin, smem5);
    goto fail;
  }
  if (d->precision == HP_GPU_TF32) {
    smem5 = (size_t)hp_gt_smem_bytes(5);
    if (prop.sharedMemPerBlockOptin < smem5) {
      hp_fail(st, HP_ERR_DEVICE,
              "GPU painter: %s has %zu bytes of shared memory per block; the TF32 5^3 kernel "
              "needs %zu (use FP32)",
              prop.name, (size_t)prop.sharedMemPerBlockOptin, smem5);
      goto fail;
    }
    CUDA_TRY(cudaFuncSetAttribute(k_conv_tf32<5>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  hp_gt_smem_bytes(5)));
    CUDA_TRY(cudaFuncSetAttribute(k_conv_tf32<3>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  hp_gt_smem_bytes(3)));
  } else {
    CUDA_TRY(
        cudaFuncSetAttribute(k_conv<5>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem5));
  }
  CUDA_TRY(cudaMemGetInfo(&free_b, &total_b));
  budget = d->max_bytes ? d->max_bytes : free_b / 10 * 8;
  weights = sizeof(float) * (p->pk.nfloats + (d->precision == HP_GPU_TF32 ? tf32_floats(NULL) : 0));
  if (budget <= weights) {
    hp_fail(st, HP_ERR_NOMEM,
            "GPU painter: a device-memory budget of %zu bytes does not hold the weights (%zu)",
            budget, weights);
    goto fail;
  }
  if (hp_gpu_slab_plan(&p->sl, d->n, d->periodic, net->k_out, budget - weights, st)) goto fail;
  {
    int64_t nb[3];
    const hp_gk_geom g1 = {{p->sl.thick + 4, p->sl.out_n[1] + 4, p->sl.out_n[2] + 4}};
    hp_gk_conv_grid(&g1, nb);
    if (nb[1] > 65535 || nb[2] > 65535) {
      hp_fail(st, HP_ERR_INPUT, "GPU painter: y or z side too large for the launch grid");
      goto fail;
    }
  }
  // buffers
  {
    const hp_gpu_slabs *s = &p->sl;
    const int64_t h = HP_GPU_HALO, t = s->thick, ey = s->out_n[1], ez = s->out_n[2];
    const size_t g0 = (size_t)(t + 2 * h) * (ey + 2 * h) * (ez + 2 * h);
    const size_t g1 = (size_t)(t + h) * (ey + h) * (ez + h), g2 = (size_t)t * ey * ez;
    const size_t raw = d->periodic ? (size_t)(t + 2 * h) * s->in_n[1] * s->in_n[2] : g0;
    for (int b = 0; b < s->nbuf; b++) {
      if (dalloc(&p->buf[b].raw, raw, &p->bytes, st)) goto fail;
      if (dalloc(&p->buf[b].out, (size_t)s->k_out * g2, &p->bytes, st)) goto fail;
    }
    if (d->periodic && dalloc(&p->big[0], g0, &p->bytes, st)) goto fail;
    if (dalloc(&p->big[1], 30 * g0, &p->bytes, st)) goto fail;
    if (dalloc(&p->big[2], 30 * g1, &p->bytes, st)) goto fail;
    if (dalloc(&p->big[3], 30 * g2, &p->bytes, st)) goto fail;
    for (int b = 0; b < 2; b++) {
      if (b >= s->nbuf) p->buf[b] = p->buf[0];
      p->buf[b].x = p->big[0], p->buf[b].r = p->big[1];
      p->buf[b].y1 = p->big[2], p->buf[b].y2 = p->big[3];
    }
    if (s->nbuf == 1) p->buf[1].raw = p->buf[1].out = NULL;  // freed through buf[0] only
  }
  if (dalloc(&p->dw, p->pk.nfloats, &p->bytes, st)) goto fail;
  CUDA_TRY(cudaMemcpy(p->dw, p->pk.w, p->pk.nfloats * sizeof(float), cudaMemcpyHostToDevice));
  if (d->precision == HP_GPU_TF32 && prepare_tf32(p, st)) goto fail;
  for (int l = 0; l < 5; l++) {
    p->ho.wo[l] = (int)(p->pk.head_w[l] - p->pk.head_w[0]);
    p->ho.bo[l] = (int)(p->pk.head_b[l] - p->pk.head_w[0]);
  }
  p->head_n = (int)(p->pk.nfloats - p->pk.head_w[0]);
  // streams and events
  if (d->stream) {
    p->cs = (cudaStream_t)d->stream;
  } else {
    CUDA_TRY(cudaStreamCreateWithFlags(&p->cs, cudaStreamNonBlocking));
    p->own_cs = 1;
  }
  CUDA_TRY(cudaStreamCreateWithFlags(&p->xin, cudaStreamNonBlocking));
  CUDA_TRY(cudaStreamCreateWithFlags(&p->xout, cudaStreamNonBlocking));
  for (int i = 0; i < 2; i++) {
    CUDA_TRY(cudaEventCreateWithFlags(&p->ev_in[i], cudaEventDisableTiming));
    CUDA_TRY(cudaEventCreateWithFlags(&p->ev_out[i], cudaEventDisableTiming));
  }
  if (p->sl.nslabs > 1) {  // pinned staging: truly asynchronous copies beside the compute
    const size_t oplane = (size_t)p->sl.out_n[1] * p->sl.out_n[2];
    const size_t in_f = (size_t)(p->sl.thick + 2 * HP_GPU_HALO) * p->sl.in_n[1] * p->sl.in_n[2];
    const size_t out_f = (size_t)p->sl.k_out * p->sl.thick * oplane;
    for (int b = 0; b < 2; b++) {
      CUDA_TRY(cudaMallocHost((void **)&p->pin_in[b], in_f * sizeof(float)));
      CUDA_TRY(cudaMallocHost((void **)&p->pin_out[b], out_f * sizeof(float)));
    }
  }
  p->ev_c = (cudaEvent_t *)calloc(2 * (size_t)p->sl.nslabs, sizeof(cudaEvent_t));
  if (!p->ev_c) {
    hp_fail(st, HP_ERR_NOMEM, "GPU painter: cannot allocate the plan");
    goto fail;
  }
  for (int i = 0; i < 2 * p->sl.nslabs; i++) CUDA_TRY(cudaEventCreate(&p->ev_c[i]));
  leave_device(&g);
  *out = p;
  return HP_OK;
fail:
  leave_device(&g);
  hp_cuda_painter_destroy(p);
  return st->code;
}

static int ew_blocks(const hp_cuda_painter *p, int64_t n) {
  const int64_t want = (n + EW_THREADS - 1) / EW_THREADS, cap = (int64_t)p->nsm * 16;
  return (int)(want < cap ? (want > 0 ? want : 1) : cap);
}

// The kernels of one slab of nx output planes, on the compute stream.
static void launch_slab(hp_cuda_painter *p, int64_t nx, const hp_gpu_slab_bufs *b) {
  hp_gpu_slab_work w;
  hp_gpu_slab_work_init(&w, &p->sl, nx, b, p->pk.slope);
  const float *dw = p->dw;
  const hp_pack_block *b1 = &p->pk.blk[0], *b2 = &p->pk.blk[1];
  const int64_t n0 = hp_gk_vox(&w.g0), n1 = hp_gk_vox(&w.g1), n2 = hp_gk_vox(&w.g2);
  const size_t smem5 = sizeof(float) * hp_gk_conv_smem_floats(5);
  const size_t smem3 = sizeof(float) * hp_gk_conv_smem_floats(3);
  if (p->sl.periodic) k_pad<<<ew_blocks(p, n0), EW_THREADS, 0, p->cs>>>(b->raw, w.graw, b->x, w.g0);
  k_reduce<<<ew_blocks(p, n0), EW_THREADS, 0, p->cs>>>(w.x0, 1, dw + b1->red_w, b->r, n0);
  for (int bi = 0; bi < 2; bi++) {
    const hp_pack_block *pb = bi ? b2 : b1;
    if (bi)
      k_reduce<<<ew_blocks(p, n1), EW_THREADS, 0, p->cs>>>(b->y1, 30, dw + b2->red_w, b->r, n1);
    int64_t nb[3];
    if (p->d.precision == HP_GPU_TF32) {
      hp_gt_grid(&w.conv[2 * bi].gout, nb);
      const dim3 grid((unsigned)nb[0], (unsigned)nb[1], (unsigned)nb[2]);
      k_conv_tf32<5>
          <<<grid, HP_GT_THREADS, hp_gt_smem_bytes(5), p->cs>>>(w.conv[2 * bi], p->tc[2 * bi]);
      k_conv_tf32<3><<<grid, HP_GT_THREADS, hp_gt_smem_bytes(3), p->cs>>>(w.conv[2 * bi + 1],
                                                                          p->tc[2 * bi + 1]);
    } else {
      hp_gk_conv_grid(&w.conv[2 * bi].gout, nb);
      const dim3 grid((unsigned)nb[0], (unsigned)nb[1], (unsigned)nb[2]);
      k_conv<5><<<grid, HP_GK_THREADS, smem5, p->cs>>>(w.conv[2 * bi], dw + pb->c5_w);
      k_conv<3><<<grid, HP_GK_THREADS, smem3, p->cs>>>(w.conv[2 * bi + 1], dw + pb->c3_w);
    }
  }
  k_head<<<ew_blocks(p, n2), EW_THREADS, sizeof(float) * p->head_n, p->cs>>>(
      b->y2, n2, dw + p->pk.head_w[0], p->head_n, p->ho, p->pk.k_out, p->pk.slope, b->out);
}

static double wall_ms(void) {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

// Bring the input planes of slab i into its raw buffer (copy stream xin). One slab: straight
// from the caller's memory. Several: through pinned staging, so that the copy overlaps the
// kernels; the host fills the staging buffer while the GPU paints the previous slab.
static int stage_in(hp_cuda_painter *p, const float *density, int i, hp_status *st) {
  const hp_gpu_slabs *s = &p->sl;
  const int b = i % s->nbuf;
  const size_t plane = (size_t)s->in_n[1] * s->in_n[2];
  int64_t src[HP_GPU_MAX_RUNS], len[HP_GPU_MAX_RUNS], put = 0;
  const int runs = hp_gpu_slab_runs(s, i, src, len);
  if (s->nslabs == 1) {
    for (int r = 0; r < runs; put += len[r], r++)
      CUDA_TRY(cudaMemcpyAsync(p->buf[b].raw + put * plane, density + src[r] * plane,
                               len[r] * plane * sizeof(float), cudaMemcpyHostToDevice, p->xin));
  } else {
    CUDA_TRY(cudaEventSynchronize(p->ev_in[b]));  // slab i-2's copy has left the staging
    for (int r = 0; r < runs; put += len[r], r++)
      memcpy(p->pin_in[b] + put * plane, density + src[r] * plane, len[r] * plane * sizeof(float));
    if (i >= 2) CUDA_TRY(cudaStreamWaitEvent(p->xin, p->ev_c[2 * (i - 2) + 1], 0));
    CUDA_TRY(cudaMemcpyAsync(p->buf[b].raw, p->pin_in[b], put * plane * sizeof(float),
                             cudaMemcpyHostToDevice, p->xin));
  }
  CUDA_TRY(cudaEventRecord(p->ev_in[b], p->xin));
  return HP_OK;
fail:
  return st->code;
}

// Copy the painted grids of slab i out once its kernels are done (copy stream xout): to the
// caller's grids (one slab) or to the pinned staging (several; finish_out copies on).
static int take_out(hp_cuda_painter *p, float *const *out, int i, hp_status *st) {
  const hp_gpu_slabs *s = &p->sl;
  const int b = i % s->nbuf;
  const size_t oplane = (size_t)s->out_n[1] * s->out_n[2];
  int64_t x0, nx;
  hp_gpu_slab_range(s, i, &x0, &nx);
  CUDA_TRY(cudaStreamWaitEvent(p->xout, p->ev_c[2 * i + 1], 0));
  for (int k = 0; k < s->k_out; k++) {
    float *dst = s->nslabs == 1 ? out[k] + x0 * oplane : p->pin_out[b] + (size_t)k * nx * oplane;
    CUDA_TRY(cudaMemcpyAsync(dst, p->buf[b].out + (size_t)k * nx * oplane,
                             nx * oplane * sizeof(float), cudaMemcpyDeviceToHost, p->xout));
  }
  CUDA_TRY(cudaEventRecord(p->ev_out[b], p->xout));
  return HP_OK;
fail:
  return st->code;
}

// Wait for slab i's grids to arrive and, when staged, copy them into the caller's grids.
static int finish_out(hp_cuda_painter *p, float *const *out, int i, hp_status *st) {
  const hp_gpu_slabs *s = &p->sl;
  const int b = i % s->nbuf;
  const size_t oplane = (size_t)s->out_n[1] * s->out_n[2];
  int64_t x0, nx;
  hp_gpu_slab_range(s, i, &x0, &nx);
  CUDA_TRY(cudaEventSynchronize(p->ev_out[b]));
  if (s->nslabs > 1)
    for (int k = 0; k < s->k_out; k++)
      memcpy(out[k] + x0 * oplane, p->pin_out[b] + (size_t)k * nx * oplane,
             nx * oplane * sizeof(float));
  return HP_OK;
fail:
  return st->code;
}

extern "C" int hp_cuda_painter_execute(hp_cuda_painter *p, const float *density, float *const *out,
                                       hp_status *st) {
  if (!density || !out) return hp_fail(st, HP_ERR_INPUT, "GPU painter: NULL density or output");
  for (int k = 0; k < p->pk.k_out; k++)
    if (!out[k]) return hp_fail(st, HP_ERR_INPUT, "GPU painter: output grid %d is NULL", k);
  device_guard g = {0, 0};
  if (enter_device(&g, p->dev, st)) return st->code;
  const hp_gpu_slabs *s = &p->sl;
  const int ns = s->nslabs;
  const double t0 = wall_ms();
  double compute = 0;
  float part = 0;
  if (stage_in(p, density, 0, st)) goto fail;
  for (int i = 0; i < ns; i++) {
    const int b = i % s->nbuf;
    int64_t x0, nx;
    hp_gpu_slab_range(s, i, &x0, &nx);
    CUDA_TRY(cudaStreamWaitEvent(p->cs, p->ev_in[b], 0));
    if (i >= 2) CUDA_TRY(cudaStreamWaitEvent(p->cs, p->ev_out[b], 0));  // slab i-2 is out
    CUDA_TRY(cudaEventRecord(p->ev_c[2 * i], p->cs));
    launch_slab(p, nx, &p->buf[b]);
    CUDA_TRY(cudaGetLastError());
    CUDA_TRY(cudaEventRecord(p->ev_c[2 * i + 1], p->cs));
    if (take_out(p, out, i, st)) goto fail;
    // while slab i paints: stage slab i+1 in, and hand slab i-1 over to the caller
    if (i + 1 < ns && stage_in(p, density, i + 1, st)) goto fail;
    if (i >= 1 && finish_out(p, out, i - 1, st)) goto fail;
  }
  if (finish_out(p, out, ns - 1, st)) goto fail;
  for (int i = 0; i < ns; i++) {
    CUDA_TRY(cudaEventElapsedTime(&part, p->ev_c[2 * i], p->ev_c[2 * i + 1]));
    compute += part;
  }
  p->last_total = wall_ms() - t0;
  p->last_compute = compute;
  leave_device(&g);
  return HP_OK;
fail:
  cudaStreamSynchronize(p->xin);  // leave no copy in flight into the caller's buffers
  cudaStreamSynchronize(p->xout);
  cudaStreamSynchronize(p->cs);
  leave_device(&g);
  return st->code;
}

extern "C" void hp_cuda_painter_out_shape(const hp_cuda_painter *p, int64_t out[3]) {
  for (int a = 0; a < 3; a++) out[a] = p->sl.out_n[a];
}
extern "C" size_t hp_cuda_painter_device_bytes(const hp_cuda_painter *p) { return p->bytes; }
extern "C" int hp_cuda_painter_nslabs(const hp_cuda_painter *p) { return p->sl.nslabs; }
extern "C" void hp_cuda_painter_last_ms(const hp_cuda_painter *p, double *total, double *compute) {
  if (total) *total = p->last_total;
  if (compute) *compute = p->last_compute;
}
