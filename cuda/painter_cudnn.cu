// The halo painter on cuDNN's 3D convolutions: the baseline our own kernels must beat.
//
// What it does, and why:
// - Everything is one box on the device, batch N = 1, NCDHW float, D/H/W = x/y/z of the
//   row-major [x][y][z] grids, so a grid is a 1-channel tensor as it lies in memory.
// - hp_net's kernel[cout][cin][kx][ky][kz] is cuDNN's KCDHW filter layout (CUDNN_TENSOR_NCHW
//   for filters), so weights are copied as they are; each layer's kernel and bias get their own
//   256-byte-aligned slot so no cuDNN kernel ever sees a misaligned filter pointer.
// - The network is the PyTorch model layer by layer: per block three 1x1x1 reductions (each into
//   its own buffer), 5^3 on branch 0 writing straight into channels 0-9 of the block output Y,
//   3^3 on branch 1 into a scratch tensor. Convolutions are cudnnConvolutionForward (legacy API,
//   valid, stride 1, cross-correlation as PyTorch), each followed by cudnnAddTensor for its bias.
// - Crops and the concatenation are cudnnTransformTensor from a strided view (pointer offset,
//   the full tensor's strides) into the channel slice of Y; no extra copies of whole tensors.
// - cuDNN's legacy activations have no leaky ReLU, so the residual (x channel 0, cropped by 2,
//   added to all 30 channels) + leaky ReLU, the head's activations and the periodic padding by
//   the halo are three small kernels of our own.
// - Algorithms are chosen once, at plan time, by timing them on the real buffers
//   (cudnnFindConvolutionForwardAlgorithmEx, as PyTorch's cudnn.benchmark); the largest
//   workspace of the chosen ones is allocated then. tf32 = 0 pins CUDNN_FMA_MATH: since cuDNN 8
//   the default math type may use TF32 tensor cores for float data, which is not strict FP32.
// - One stream of our own; events around the whole execute (total) and around the kernels
//   (compute). Host buffers are the caller's (pageable): total is what a user of this API sees.
// - Every CUDA and cuDNN call is checked; failures are HP_ERR_DEVICE "cudnn: <call>: <why>".
//   cuDNN's legacy descriptors take int dims and strides, hence the 2^31-element limit per tensor.
#include <cuda_runtime.h>
#include <cudnn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/painter_cudnn.h"

#define HALO 4                   /* voxels lost per side: two blocks of 5^3 */
#define NBLK 2                   /* residual Inception blocks */
#define NHEAD 5                  /* head 1x1x1 layers, the last one is the output */
#define NSTEP (5 * NBLK + NHEAD) /* convolutions: per block 3 reductions, 5^3, 3^3 */
#define ALIGN 256                /* bytes: alignment of every device buffer */

/* One convolution with its bias: y = conv(x, w) + b. */
typedef struct conv_step {
  char name[80];
  cudnnTensorDescriptor_t xd, yd, bd;
  cudnnFilterDescriptor_t wd;
  cudnnConvolutionDescriptor_t cd;
  const float *x, *w, *b;
  float *y;
  cudnnConvolutionFwdAlgo_t algo;
  size_t ws; /* workspace bytes the algorithm needs */
} conv_step;

/* A crop into a channel slice: dst = src (strided view). */
typedef struct copy_step {
  cudnnTensorDescriptor_t sd, dd;
  const float *src;
  float *dst;
} copy_step;

struct hp_cudnn_painter {
  hp_cudnn_painter_desc d;
  int k_out, nsm;
  float slope;
  int64_t s[3][3]; /* sides: padded input, block-1 output, block-2 output (= output) */
  cudaStream_t stream;
  cudaEvent_t ev[4]; /* start, compute start, compute end, end */
  int nev;
  cudnnHandle_t h;
  void *arena; /* weights and activations, one allocation */
  size_t arena_bytes;
  void *ws; /* convolution workspace */
  size_t ws_bytes;
  float *raw;     /* periodic: the unpadded box as copied in (NULL otherwise) */
  float *x0;      /* network input, side s[0] */
  float *red[3];  /* the three 1x1x1 reductions, 10 channels each */
  float *tmp;     /* 3^3 branch before its crop, 10 channels */
  float *y[NBLK]; /* block outputs, 30 channels */
  float *out;     /* K channels, side s[2] */
  conv_step conv[NSTEP];
  copy_step copy[2 * NBLK];
  double ms_total, ms_compute;
};

/* ---- error helpers: "cudnn: <call>[ <layer>]: <message>" ---- */

static int fail_cuda(hp_status *st, const char *call, const char *what, cudaError_t e) {
  return hp_fail(st, HP_ERR_DEVICE, "cudnn: %.*s%s%s%s: %s", (int)strcspn(call, "("), call,
                 what ? " [" : "", what ? what : "", what ? "]" : "", cudaGetErrorString(e));
}

static int fail_cudnn(hp_status *st, const char *call, const char *what, cudnnStatus_t s) {
  return hp_fail(st, HP_ERR_DEVICE, "cudnn: %.*s%s%s%s: %s", (int)strcspn(call, "("), call,
                 what ? " [" : "", what ? what : "", what ? "]" : "", cudnnGetErrorString(s));
}

#define CU_AT(call, what)                                         \
  do {                                                            \
    cudaError_t e_ = (call);                                      \
    if (e_ != cudaSuccess) return fail_cuda(st, #call, what, e_); \
  } while (0)
#define DN_AT(call, what)                                                   \
  do {                                                                      \
    cudnnStatus_t s_ = (call);                                              \
    if (s_ != CUDNN_STATUS_SUCCESS) return fail_cudnn(st, #call, what, s_); \
  } while (0)
#define CU(call) CU_AT(call, NULL)
#define DN(call) DN_AT(call, NULL)

static int64_t vol(const int64_t s[3]) { return s[0] * s[1] * s[2]; }
static size_t align_up(size_t a) { return (a + ALIGN - 1) / ALIGN * ALIGN; }

/* ---- our kernels: grid-stride loops, 64-bit indices ---- */

__device__ static int64_t wrap(int64_t a, int64_t n) {
  a %= n;
  return a < 0 ? a + n : a;
}

/* out (side n + 2h) = in (side n) extended periodically by h on every side. */
__global__ static void pad_periodic(const float *__restrict__ in, float *__restrict__ out,
                                    int64_t n0, int64_t n1, int64_t n2, int h) {
  const int64_t s1 = n1 + 2 * h, s2 = n2 + 2 * h, total = (n0 + 2 * h) * s1 * s2;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t z = i % s2, t = i / s2, y = t % s1, x = t / s1;
    out[i] = in[(wrap(x - h, n0) * n1 + wrap(y - h, n1)) * n2 + wrap(z - h, n2)];
  }
}

/* y[c] = lrelu(y[c] + x[channel 0] cropped by crop), c < nc; y side m, x side s (only s1, s2). */
__global__ static void residual_lrelu(float *__restrict__ y, int nc, int64_t m0, int64_t m1,
                                      int64_t m2, const float *__restrict__ x, int64_t s1,
                                      int64_t s2, int crop, float slope) {
  const int64_t total = m0 * m1 * m2;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t z = i % m2, t = i / m2, yy = t % m1, xx = t / m1;
    const float r = x[((xx + crop) * s1 + yy + crop) * s2 + z + crop];
    for (int c = 0; c < nc; c++) {
      const float v = y[c * total + i] + r;
      y[c * total + i] = v > 0.0f ? v : slope * v;
    }
  }
}

/* In place: leaky ReLU of slope @p slope, or ReLU when @p relu. */
__global__ static void activate(float *__restrict__ y, int64_t n, float slope, int relu) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float v = y[i];
    y[i] = relu ? fmaxf(v, 0.0f) : (v > 0.0f ? v : slope * v);
  }
}

static unsigned grid_for(const hp_cudnn_painter *p, int64_t n) {
  int64_t b = (n + 255) / 256, cap = (int64_t)p->nsm * 16;
  if (b > cap) b = cap;
  return (unsigned)(b < 1 ? 1 : b);
}

/* ---- plan ---- */

/* The layer list must be the paper's generator (as check_arch in nn/painter.c). */
static int check_arch(const hp_net *net, hp_status *st) {
  int ok = net->w && net->cin == 1 && net->nblocks == NBLK && net->head_len == NHEAD &&
           net->nconv <= HP_NET_MAX_CONV && net->head_first >= 0 &&
           net->head_first + NHEAD <= net->nconv;
  for (int bi = 0; ok && bi < NBLK; bi++) {
    const hp_block *b = &net->block[bi];
    ok = b->nbranch == 3 && b->residual && b->len[0] == 2 && b->len[1] == 2 && b->len[2] == 1;
    const int cin = bi == 0 ? 1 : 30;
    for (int br = 0; ok && br < 3; br++) {
      ok = b->first[br] >= 0 && b->first[br] + b->len[br] <= net->nconv;
      const hp_conv *r = ok ? &net->conv[b->first[br]] : NULL;
      ok = ok && r->cin == cin && r->cout == 10 && r->k == 1 && r->stride == 1;
      if (ok && b->len[br] == 2) {
        const hp_conv *c = &net->conv[b->first[br] + 1];
        ok = c->cin == 10 && c->cout == 10 && c->k == (br == 0 ? 5 : 3) && c->stride == 1;
      }
    }
  }
  static const int hin[NHEAD] = {30, 10, 10, 10, 10};
  for (int i = 0; ok && i < NHEAD; i++) {
    const hp_conv *c = &net->conv[net->head_first + i];
    ok = c->cin == hin[i] && c->k == 1 && c->stride == 1 &&
         (i == NHEAD - 1 ? c->cout == net->k_out && c->cout >= 1 : c->cout == 10);
  }
  if (!ok)
    return hp_fail(st, HP_ERR_INPUT,
                   "cudnn painter: the model's layer list is not the Kodi Ramanah et al. (2019) "
                   "generator that this engine implements");
  return HP_OK;
}

/* A 5D NCDHW view of c channels of extent e[3] inside a tensor of spatial extent full[3]. */
static int set_view(cudnnTensorDescriptor_t td, int c, const int64_t e[3], const int64_t full[3],
                    hp_status *st) {
  const int64_t cs = vol(full);
  const int64_t d64[5] = {1, c, e[0], e[1], e[2]};
  const int64_t s64[5] = {c * cs, cs, full[1] * full[2], full[2], 1};
  int dims[5], strides[5];
  for (int i = 0; i < 5; i++) {
    if (d64[i] > INT_MAX || s64[i] > INT_MAX)
      return hp_fail(st, HP_ERR_INPUT,
                     "cudnn painter: a tensor of %d x %lld x %lld x %lld floats exceeds cuDNN's "
                     "32-bit tensor indexing (2^31 - 1 elements); use a smaller box",
                     c, (long long)full[0], (long long)full[1], (long long)full[2]);
    dims[i] = (int)d64[i], strides[i] = (int)s64[i];
  }
  DN(cudnnSetTensorNdDescriptor(td, CUDNN_DATA_FLOAT, 5, dims, strides));
  return HP_OK;
}

/* Descriptors of y = conv(x; cin -> cout, k^3) + b, x packed of side xs, y packed. */
static int setup_conv(hp_cudnn_painter *p, conv_step *c, const char *name, int cin, int cout, int k,
                      const float *x, const int64_t xs[3], const float *w, const float *b, float *y,
                      hp_status *st) {
  snprintf(c->name, sizeof c->name, "%s", name);
  c->x = x, c->w = w, c->b = b, c->y = y;
  const int64_t ys[3] = {xs[0] - (k - 1), xs[1] - (k - 1), xs[2] - (k - 1)}, one[3] = {1, 1, 1};
  DN(cudnnCreateTensorDescriptor(&c->xd));
  DN(cudnnCreateTensorDescriptor(&c->yd));
  DN(cudnnCreateTensorDescriptor(&c->bd));
  DN(cudnnCreateFilterDescriptor(&c->wd));
  DN(cudnnCreateConvolutionDescriptor(&c->cd));
  if (set_view(c->xd, cin, xs, xs, st) || set_view(c->yd, cout, ys, ys, st) ||
      set_view(c->bd, cout, one, one, st))
    return st->code;
  const int fdim[5] = {cout, cin, k, k, k};
  DN(cudnnSetFilterNdDescriptor(c->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 5, fdim));
  const int pad[3] = {0, 0, 0}, stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
  DN(cudnnSetConvolutionNdDescriptor(c->cd, 3, pad, stride, dil, CUDNN_CROSS_CORRELATION,
                                     CUDNN_DATA_FLOAT));
  DN(cudnnSetConvolutionMathType(c->cd, p->d.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  int od[5];
  DN(cudnnGetConvolutionNdForwardOutputDim(c->cd, c->xd, c->wd, 5, od));
  if (od[0] != 1 || od[1] != cout || od[2] != ys[0] || od[3] != ys[1] || od[4] != ys[2])
    return hp_fail(st, HP_ERR_INTERNAL,
                   "cudnn painter: %s: cuDNN's output %d x %d x %d x %d x %d, expected 1 x %d x "
                   "%lld x %lld x %lld",
                   name, od[0], od[1], od[2], od[3], od[4], cout, (long long)ys[0],
                   (long long)ys[1], (long long)ys[2]);
  return HP_OK;
}

/* Descriptors of dst (packed, nc channels of side m) = src cropped by crop (src side s). */
static int setup_copy(copy_step *c, int nc, const float *src, const int64_t s[3], int crop,
                      float *dst, const int64_t m[3], hp_status *st) {
  c->src = src + ((crop * s[1] + crop) * s[2] + crop);
  c->dst = dst;
  DN(cudnnCreateTensorDescriptor(&c->sd));
  DN(cudnnCreateTensorDescriptor(&c->dd));
  if (set_view(c->sd, nc, m, s, st) || set_view(c->dd, nc, m, m, st)) return st->code;
  return HP_OK;
}

/* Time every algorithm on the real buffers; keep the fastest that ran within the workspace. */
static int find_algo(hp_cudnn_painter *p, conv_step *c, void *ws, size_t ws_size, hp_status *st) {
  cudnnConvolutionFwdAlgoPerf_t perf[4 * CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int maxn = 0, got = 0;
  DN_AT(cudnnGetConvolutionForwardAlgorithmMaxCount(p->h, &maxn), c->name);
  if (maxn > (int)(sizeof perf / sizeof *perf)) maxn = (int)(sizeof perf / sizeof *perf);
  if (maxn < 1) maxn = 1;
  DN_AT(cudnnFindConvolutionForwardAlgorithmEx(p->h, c->xd, c->x, c->wd, c->w, c->cd, c->yd, c->y,
                                               maxn, &got, perf, ws, ws_size),
        c->name);
  int pick = -1;
  for (int i = 0; i < got && pick < 0; i++) { /* sorted fastest first */
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > ws_size) continue;
    if (!p->d.tf32 && (perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
                       perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
      continue;
    pick = i;
  }
  if (pick < 0)
    return hp_fail(st, HP_ERR_DEVICE,
                   "cudnn: cudnnFindConvolutionForwardAlgorithmEx [%s]: none of %d algorithms "
                   "ran within a workspace of %zu bytes",
                   c->name, got, ws_size);
  c->algo = perf[pick].algo;
  /* strict FP32 keeps CUDNN_FMA_MATH; with TF32 the math type the timing was made with */
  if (p->d.tf32) DN_AT(cudnnSetConvolutionMathType(c->cd, perf[pick].mathType), c->name);
  size_t need = 0;
  DN_AT(cudnnGetConvolutionForwardWorkspaceSize(p->h, c->xd, c->wd, c->cd, c->yd, c->algo, &need),
        c->name);
  c->ws = need > perf[pick].memory ? need : perf[pick].memory;
  return HP_OK;
}

/* Weights: each layer's kernel and bias copied as they are, each in an aligned slot. */
static int upload_weights(hp_cudnn_painter *p, const hp_net *net, const int idx[NSTEP], float *wdev,
                          size_t wbytes, size_t off[NSTEP][2], hp_status *st) {
  float *host = (float *)calloc(1, wbytes);
  if (!host) return hp_fail(st, HP_ERR_NOMEM, "cudnn painter: cannot stage %zu bytes", wbytes);
  for (int i = 0; i < NSTEP; i++) {
    const hp_conv *c = &net->conv[idx[i]];
    const size_t nk = (size_t)c->cout * c->cin * c->k * c->k * c->k;
    if (c->w_off + nk > net->nparams || c->b_off + (size_t)c->cout > net->nparams) {
      free(host);
      return hp_fail(st, HP_ERR_INPUT, "cudnn painter: %s: weights beyond the %zu parameters",
                     c->name, net->nparams);
    }
    memcpy(host + off[i][0], net->w + c->w_off, nk * sizeof(float));
    memcpy(host + off[i][1], net->w + c->b_off, (size_t)c->cout * sizeof(float));
  }
  const cudaError_t e = cudaMemcpyAsync(wdev, host, wbytes, cudaMemcpyHostToDevice, p->stream);
  const cudaError_t e2 = e == cudaSuccess ? cudaStreamSynchronize(p->stream) : e;
  free(host);
  if (e != cudaSuccess) return fail_cuda(st, "cudaMemcpyAsync", "weights", e);
  if (e2 != cudaSuccess) return fail_cuda(st, "cudaStreamSynchronize", "weights", e2);
  return HP_OK;
}

static int plan(hp_cudnn_painter *p, const hp_net *net, hp_status *st) {
  const int dev = p->d.device_id;
  CU(cudaSetDevice(dev));
  CU(cudaDeviceGetAttribute(&p->nsm, cudaDevAttrMultiProcessorCount, dev));
  CU(cudaStreamCreateWithFlags(&p->stream, cudaStreamNonBlocking));
  for (; p->nev < 4; p->nev++) CU(cudaEventCreate(&p->ev[p->nev]));
  DN(cudnnCreate(&p->h));
  DN(cudnnSetStream(p->h, p->stream));

  /* layers in step order: per block reductions 0, 1, 2, then 5^3, 3^3; then the head */
  int idx[NSTEP], n = 0;
  for (int bi = 0; bi < NBLK; bi++) {
    const hp_block *b = &net->block[bi];
    for (int br = 0; br < 3; br++) idx[n++] = b->first[br];
    idx[n++] = b->first[0] + 1;
    idx[n++] = b->first[1] + 1;
  }
  for (int i = 0; i < NHEAD; i++) idx[n++] = net->head_first + i;

  /* arena layout, in bytes */
  size_t off[NSTEP][2], at = 0;
  for (int i = 0; i < NSTEP; i++) {
    const hp_conv *c = &net->conv[idx[i]];
    off[i][0] = at / sizeof(float);
    at += align_up(sizeof(float) * (size_t)c->cout * c->cin * c->k * c->k * c->k);
    off[i][1] = at / sizeof(float);
    at += align_up(sizeof(float) * (size_t)c->cout);
  }
  const size_t wbytes = at;
  const int64_t *s0 = p->s[0], *s1 = p->s[1], *s2 = p->s[2];
  const int64_t st3[3] = {s0[0] - 2, s0[1] - 2, s0[2] - 2}; /* 3^3 output in block 1 */
  const size_t f = sizeof(float), v0 = (size_t)vol(s0), v1 = (size_t)vol(s1), v2 = (size_t)vol(s2);
  const size_t o_raw = at;
  if (p->d.periodic) at += align_up(f * (size_t)vol(p->d.n));
  const size_t o_x0 = at;
  at += align_up(f * v0);
  size_t o_red[3];
  for (int r = 0; r < 3; r++) o_red[r] = at, at += align_up(f * 10 * v0);
  const size_t o_tmp = at;
  at += align_up(f * 10 * (size_t)vol(st3));
  const size_t o_y0 = at;
  at += align_up(f * 30 * v1);
  const size_t o_y1 = at;
  at += align_up(f * 30 * v2);
  const size_t o_out = at;
  at += align_up(f * (size_t)p->k_out * v2);

  cudaError_t e = cudaMalloc(&p->arena, at);
  if (e != cudaSuccess) {
    p->arena = NULL;
    cudaGetLastError(); /* not sticky; clear it */
    size_t fr = 0, tot = 0;
    cudaMemGetInfo(&fr, &tot);
    cudaGetLastError();
    if (e == cudaErrorMemoryAllocation)
      return hp_fail(st, HP_ERR_NOMEM,
                     "cudnn: cudaMalloc: the whole box needs %zu bytes (%.2f GiB) of device "
                     "memory, device %d has %.2f GiB free of %.2f GiB (this baseline has no "
                     "slabs: use a smaller box)",
                     at, at / 1073741824.0, dev, fr / 1073741824.0, tot / 1073741824.0);
    return fail_cuda(st, "cudaMalloc", "arena", e);
  }
  p->arena_bytes = at;
  char *a = (char *)p->arena;
  float *wdev = (float *)a;
  p->raw = p->d.periodic ? (float *)(a + o_raw) : NULL;
  p->x0 = (float *)(a + o_x0);
  for (int r = 0; r < 3; r++) p->red[r] = (float *)(a + o_red[r]);
  p->tmp = (float *)(a + o_tmp);
  p->y[0] = (float *)(a + o_y0);
  p->y[1] = (float *)(a + o_y1);
  p->out = (float *)(a + o_out);
  /* zeros: the algorithm search runs on these buffers before any real data */
  CU(cudaMemsetAsync(p->arena, 0, at, p->stream));
  if (upload_weights(p, net, idx, wdev, wbytes, off, st)) return st->code;

  /* descriptors */
  n = 0;
  for (int bi = 0; bi < NBLK; bi++) {
    const int cin = bi == 0 ? 1 : 30;
    const float *x = bi == 0 ? p->x0 : p->y[0];
    const int64_t *xs = p->s[bi], *ms = p->s[bi + 1];
    const int64_t ts[3] = {xs[0] - 2, xs[1] - 2, xs[2] - 2};
    for (int br = 0; br < 3; br++, n++)
      if (setup_conv(p, &p->conv[n], net->conv[idx[n]].name, cin, 10, 1, x, xs, wdev + off[n][0],
                     wdev + off[n][1], p->red[br], st))
        return st->code;
    if (setup_conv(p, &p->conv[n], net->conv[idx[n]].name, 10, 10, 5, p->red[0], xs,
                   wdev + off[n][0], wdev + off[n][1], p->y[bi], st))
      return st->code;
    n++;
    if (setup_conv(p, &p->conv[n], net->conv[idx[n]].name, 10, 10, 3, p->red[1], xs,
                   wdev + off[n][0], wdev + off[n][1], p->tmp, st))
      return st->code;
    n++;
    const size_t mv = (size_t)vol(ms);
    if (setup_copy(&p->copy[2 * bi], 10, p->tmp, ts, 1, p->y[bi] + 10 * mv, ms, st) ||
        setup_copy(&p->copy[2 * bi + 1], 10, p->red[2], xs, 2, p->y[bi] + 20 * mv, ms, st))
      return st->code;
  }
  /* head: y[1] -> red[0] -> red[1] -> red[0] -> red[1] -> out, all of side s2 */
  for (int i = 0; i < NHEAD; i++, n++) {
    const hp_conv *c = &net->conv[idx[n]];
    const float *x = i == 0 ? p->y[1] : p->red[(i + 1) % 2];
    float *y = i == NHEAD - 1 ? p->out : p->red[i % 2];
    if (setup_conv(p, &p->conv[n], c->name, c->cin, c->cout, 1, x, s2, wdev + off[n][0],
                   wdev + off[n][1], y, st))
      return st->code;
  }

  /* algorithm search with a temporary workspace (at most half the free memory, 4 GiB) */
  size_t fr = 0, tot = 0;
  CU(cudaMemGetInfo(&fr, &tot));
  size_t budget = fr / 2 < ((size_t)4 << 30) ? fr / 2 : ((size_t)4 << 30);
  void *tws = NULL;
  while (budget >= ((size_t)1 << 20) && cudaMalloc(&tws, budget) != cudaSuccess) {
    cudaGetLastError();
    tws = NULL;
    budget /= 2;
  }
  if (!tws) budget = 0;
  size_t need = 0;
  for (int i = 0; i < NSTEP; i++) {
    if (find_algo(p, &p->conv[i], tws, budget, st)) {
      cudaFree(tws);
      return st->code;
    }
    if (p->conv[i].ws > need) need = p->conv[i].ws;
  }
  e = cudaStreamSynchronize(p->stream);
  cudaFree(tws);
  if (e != cudaSuccess) return fail_cuda(st, "cudaStreamSynchronize", "algorithm search", e);
  if (need > 0) {
    e = cudaMalloc(&p->ws, need);
    if (e != cudaSuccess) {
      p->ws = NULL;
      cudaGetLastError();
      if (e == cudaErrorMemoryAllocation)
        return hp_fail(st, HP_ERR_NOMEM,
                       "cudnn: cudaMalloc: the convolution workspace needs %zu bytes (%.2f GiB) "
                       "more than the %zu bytes of buffers",
                       need, need / 1073741824.0, at);
      return fail_cuda(st, "cudaMalloc", "workspace", e);
    }
    p->ws_bytes = need;
  }
  return HP_OK;
}

extern "C" int hp_cudnn_painter_create(hp_cudnn_painter **out, const hp_net *net,
                                       const hp_cudnn_painter_desc *d, hp_status *st) {
  *out = NULL;
  if (!net || !d) return hp_fail(st, HP_ERR_INPUT, "cudnn painter: NULL network or description");
  if (check_arch(net, st)) return st->code;
  int64_t s[3][3];
  for (int a = 0; a < 3; a++) {
    s[0][a] = d->periodic ? d->n[a] + 2 * HALO : d->n[a];
    s[1][a] = s[0][a] - HALO;
    s[2][a] = s[0][a] - 2 * HALO;
    if (d->n[a] < 1 || s[2][a] < 1)
      return hp_fail(st, HP_ERR_INPUT,
                     "cudnn painter: grid %lld x %lld x %lld is too small (%s input needs more "
                     "than %d voxels per side)",
                     (long long)d->n[0], (long long)d->n[1], (long long)d->n[2],
                     d->periodic ? "periodic" : "non-periodic", d->periodic ? 0 : 2 * HALO);
  }
  /* cuDNN's legacy descriptors: int strides, at most 2^31 - 1 elements per tensor */
  const double big[3] = {30.0 * s[1][0] * s[1][1] * s[1][2], 10.0 * s[0][0] * s[0][1] * s[0][2],
                         (double)net->k_out * s[2][0] * s[2][1] * s[2][2]};
  for (int i = 0; i < 3; i++)
    if (big[i] > INT_MAX)
      return hp_fail(st, HP_ERR_INPUT,
                     "cudnn painter: grid %lld x %lld x %lld: a %.3g-element activation exceeds "
                     "cuDNN's 32-bit tensor indexing (2^31 - 1 elements); use a box of at most "
                     "~400 voxels per side",
                     (long long)d->n[0], (long long)d->n[1], (long long)d->n[2], big[i]);
  hp_cudnn_painter *p = (hp_cudnn_painter *)calloc(1, sizeof *p);
  if (!p) return hp_fail(st, HP_ERR_NOMEM, "cudnn painter: cannot allocate the plan");
  p->d = *d;
  p->k_out = net->k_out;
  p->slope = net->slope;
  memcpy(p->s, s, sizeof s);
  int prev = -1;
  cudaError_t e = cudaGetDevice(&prev);
  if (e != cudaSuccess) {
    free(p);
    return fail_cuda(st, "cudaGetDevice", NULL, e);
  }
  const int rc = plan(p, net, st);
  cudaSetDevice(prev);
  if (rc) {
    hp_cudnn_painter_destroy(p);
    return rc;
  }
  *out = p;
  return HP_OK;
}

/* ---- execute ---- */

static int run(hp_cudnn_painter *p, const float *density, float *const *out, hp_status *st) {
  const float one = 1.0f, zero = 0.0f;
  const int64_t *n = p->d.n;
  const size_t vin = (size_t)vol(n), vout = (size_t)vol(p->s[2]);
  CU(cudaEventRecord(p->ev[0], p->stream));
  CU(cudaMemcpyAsync(p->d.periodic ? p->raw : p->x0, density, vin * sizeof(float),
                     cudaMemcpyHostToDevice, p->stream));
  CU(cudaEventRecord(p->ev[1], p->stream));
  if (p->d.periodic) {
    pad_periodic<<<grid_for(p, vol(p->s[0])), 256, 0, p->stream>>>(p->raw, p->x0, n[0], n[1], n[2],
                                                                   HALO);
    CU_AT(cudaGetLastError(), "periodic padding");
  }
  int k = 0;
  for (int bi = 0; bi < NBLK; bi++) {
    for (int j = 0; j < 5; j++, k++) { /* 3 reductions, 5^3, 3^3, each + bias */
      const conv_step *c = &p->conv[k];
      DN_AT(cudnnConvolutionForward(p->h, &one, c->xd, c->x, c->wd, c->w, c->cd, c->algo, p->ws,
                                    p->ws_bytes, &zero, c->yd, c->y),
            c->name);
      DN_AT(cudnnAddTensor(p->h, &one, c->bd, c->b, &one, c->yd, c->y), c->name);
    }
    for (int j = 0; j < 2; j++) { /* 3^3 cropped by 1, 1x1x1 cropped by 2, into Y's slices */
      const copy_step *c = &p->copy[2 * bi + j];
      DN_AT(cudnnTransformTensor(p->h, &one, c->sd, c->src, &zero, c->dd, c->dst),
            j ? "crop of the 1x1x1 branch" : "crop of the 3x3x3 branch");
    }
    const int64_t *m = p->s[bi + 1], *xs = p->s[bi];
    residual_lrelu<<<grid_for(p, vol(m)), 256, 0, p->stream>>>(
        p->y[bi], 30, m[0], m[1], m[2], bi == 0 ? p->x0 : p->y[0], xs[1], xs[2], 2, p->slope);
    CU_AT(cudaGetLastError(), "residual and leaky ReLU");
  }
  for (int i = 0; i < NHEAD; i++, k++) {
    const conv_step *c = &p->conv[k];
    const int last = i == NHEAD - 1;
    DN_AT(cudnnConvolutionForward(p->h, &one, c->xd, c->x, c->wd, c->w, c->cd, c->algo, p->ws,
                                  p->ws_bytes, &zero, c->yd, c->y),
          c->name);
    DN_AT(cudnnAddTensor(p->h, &one, c->bd, c->b, &one, c->yd, c->y), c->name);
    const int64_t ny = (int64_t)(last ? p->k_out : 10) * (int64_t)vout;
    activate<<<grid_for(p, ny), 256, 0, p->stream>>>(c->y, ny, p->slope, last);
    CU_AT(cudaGetLastError(), last ? "ReLU" : "leaky ReLU");
  }
  CU(cudaEventRecord(p->ev[2], p->stream));
  for (int j = 0; j < p->k_out; j++)
    CU(cudaMemcpyAsync(out[j], p->out + (size_t)j * vout, vout * sizeof(float),
                       cudaMemcpyDeviceToHost, p->stream));
  CU(cudaEventRecord(p->ev[3], p->stream));
  CU(cudaEventSynchronize(p->ev[3]));
  float t = 0.0f, c = 0.0f;
  CU(cudaEventElapsedTime(&t, p->ev[0], p->ev[3]));
  CU(cudaEventElapsedTime(&c, p->ev[1], p->ev[2]));
  p->ms_total = t, p->ms_compute = c;
  return HP_OK;
}

extern "C" int hp_cudnn_painter_execute(hp_cudnn_painter *p, const float *density,
                                        float *const *out, hp_status *st) {
  if (!p) return hp_fail(st, HP_ERR_INPUT, "cudnn painter: NULL plan");
  if (!density || !out) return hp_fail(st, HP_ERR_INPUT, "cudnn painter: NULL density or output");
  for (int k = 0; k < p->k_out; k++)
    if (!out[k]) return hp_fail(st, HP_ERR_INPUT, "cudnn painter: output grid %d is NULL", k);
  int prev = -1;
  CU(cudaGetDevice(&prev));
  CU(cudaSetDevice(p->d.device_id));
  const int rc = run(p, density, out, st);
  if (rc) cudaStreamSynchronize(p->stream); /* leave no work queued on the caller's buffers */
  cudaSetDevice(prev);
  return rc;
}

extern "C" void hp_cudnn_painter_destroy(hp_cudnn_painter *p) {
  if (!p) return;
  int prev = -1;
  const int have_prev = cudaGetDevice(&prev) == cudaSuccess;
  cudaSetDevice(p->d.device_id);
  if (p->stream) cudaStreamSynchronize(p->stream);
  for (int i = 0; i < NSTEP; i++) {
    conv_step *c = &p->conv[i];
    if (c->xd) cudnnDestroyTensorDescriptor(c->xd);
    if (c->yd) cudnnDestroyTensorDescriptor(c->yd);
    if (c->bd) cudnnDestroyTensorDescriptor(c->bd);
    if (c->wd) cudnnDestroyFilterDescriptor(c->wd);
    if (c->cd) cudnnDestroyConvolutionDescriptor(c->cd);
  }
  for (int i = 0; i < 2 * NBLK; i++) {
    if (p->copy[i].sd) cudnnDestroyTensorDescriptor(p->copy[i].sd);
    if (p->copy[i].dd) cudnnDestroyTensorDescriptor(p->copy[i].dd);
  }
  if (p->h) cudnnDestroy(p->h);
  cudaFree(p->ws);
  cudaFree(p->arena);
  for (int i = 0; i < p->nev; i++) cudaEventDestroy(p->ev[i]);
  if (p->stream) cudaStreamDestroy(p->stream);
  cudaGetLastError(); /* nothing to report from a destructor */
  if (have_prev) cudaSetDevice(prev);
  free(p);
}

extern "C" void hp_cudnn_painter_out_shape(const hp_cudnn_painter *p, int64_t out[3]) {
  for (int a = 0; a < 3; a++) out[a] = p ? p->s[2][a] : 0;
}

extern "C" void hp_cudnn_painter_last_ms(const hp_cudnn_painter *p, double *total,
                                         double *compute) {
  if (total) *total = p ? p->ms_total : 0.0;
  if (compute) *compute = p ? p->ms_compute : 0.0;
}

extern "C" size_t hp_cudnn_painter_device_bytes(const hp_cudnn_painter *p) {
  return p ? p->arena_bytes + p->ws_bytes : 0;
}
