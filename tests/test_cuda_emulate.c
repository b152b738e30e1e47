/*
 * The GPU painter's plan and per-thread arithmetic, on the CPU: the launches of
 * hp_gpu_slab_work_init are replayed with the bodies of cuda/kernels.h (each
 * phase between two __syncthreads() run for every thread of a block in turn)
 * and compared with the CPU engine, for periodic and non-periodic grids, odd
 * and non-cubic shapes, one slab and many. Also the slab planner on its own.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fields.h"
#include "cuda/device.h"
#include "cuda/kernels.h"
#include "cuda/kernels_tf32.h"
#include "cuda/painter_cuda.h"
#include "cuda/plan.h"
#include "nn/network.h"
#include "nn/painter.h"
#include "nn/painter_pack.h"

/* ---- replay of the device launches ---- */

/* Arithmetic of the k^3 convolutions: FP32 CUDA-core kernel, tensor-core kernel with exact
 * products (checks its indexing and fragment layouts), tensor-core kernel with TF32 inputs. */
enum { MODE_FP32, MODE_MMA_EXACT, MODE_MMA_TF32, ALL = 7 };

static void run_conv(int k, const hp_gk_conv_args *a, const float *w) {
  float *sw = malloc(sizeof(float) * (size_t)hp_gk_conv_smem_floats(k));
  float *tile = sw + HP_GK_CO * k * k * k * HP_GK_CO + HP_GK_CO;
  float(*acc)[HP_GK_V][HP_GK_CO] = malloc(sizeof *acc * HP_GK_THREADS);
  int64_t nb[3];
  hp_gk_conv_grid(&a->gout, nb);
  for (int64_t bx = 0; bx < nb[0]; bx++)
    for (int64_t by = 0; by < nb[1]; by++)
      for (int64_t bz = 0; bz < nb[2]; bz++) {
        for (int t = 0; t < HP_GK_THREADS; t++) hp_gk_conv_load_weights(t, k, w, sw);
        for (int t = 0; t < HP_GK_THREADS; t++) hp_gk_conv_init(k, sw, acc[t]);
        for (int ci = 0; ci < HP_GK_CO; ci++) {
          for (int t = 0; t < HP_GK_THREADS; t++)
            hp_gk_conv_load_tile(t, k, a, ci, bx, by, bz, tile);
          for (int t = 0; t < HP_GK_THREADS; t++) hp_gk_conv_accumulate(t, k, ci, sw, tile, acc[t]);
        }
        for (int t = 0; t < HP_GK_THREADS; t++) hp_gk_conv_store(t, a, bx, by, bz, acc[t]);
      }
  free(acc);
  free(sw);
}

/* One warp's mma.m16n8k8 from its lanes' fragments, with the layouts of cuda/kernels_tf32.h. */
static void warp_mma(float acc[32][4], float a[32][4], float b[32][2]) {
  float A[16][8], B[8][8];
  for (int lane = 0; lane < 32; lane++) {
    const int g = lane / 4, t = lane % 4;
    A[g][t] = a[lane][0], A[g + 8][t] = a[lane][1];
    A[g][t + 4] = a[lane][2], A[g + 8][t + 4] = a[lane][3];
    B[t][g] = b[lane][0], B[t + 4][g] = b[lane][1];
  }
  for (int lane = 0; lane < 32; lane++) {
    const int g = lane / 4, t = lane % 4;
    for (int r = 0; r < 4; r++) {
      const int m = g + 8 * (r / 2), n = 2 * t + (r % 2);
      float sum = 0;
      for (int q = 0; q < 8; q++) sum += A[m][q] * B[q][n];
      acc[lane][r] += sum;
    }
  }
}

static void run_conv_mma(int k, const hp_gk_conv_args *a, const float *w, int round) {
  const int nks = hp_gt_ksteps(k);
  float *wp = malloc(sizeof(float) * (size_t)hp_gt_weight_floats(k));
  int *off = malloc(sizeof(int) * (size_t)hp_gt_offset_ints(k));
  float *tile = malloc(sizeof(float) * HP_GK_CO * (size_t)hp_gt_tile_floats(k));
  float bias16[16] = {0};
  memcpy(bias16, w + HP_GK_CO * k * k * k * HP_GK_CO, HP_GK_CO * sizeof(float));
  hp_gt_prepare(k, w, round, wp, off);
  static float acc[HP_GT_WARPS][32][HP_GT_MT][2][4];
  static float fa[32][HP_GT_MT][4], fb[32][4];
  int64_t nb[3];
  hp_gt_grid(&a->gout, nb);
  for (int64_t bx = 0; bx < nb[0]; bx++)
    for (int64_t by = 0; by < nb[1]; by++)
      for (int64_t bz = 0; bz < nb[2]; bz++) {
        for (int t = 0; t < HP_GT_THREADS; t++) hp_gt_load_tile(t, k, a, bx, by, bz, tile);
        for (int wi = 0; wi < HP_GT_WARPS; wi++) {
          for (int lane = 0; lane < 32; lane++) hp_gt_init(lane, bias16, acc[wi][lane]);
          for (int ks = 0; ks < nks; ks++) {
            for (int lane = 0; lane < 32; lane++)
              hp_gt_fragments(lane, wi, k, ks, tile, wp, off, round, fa[lane], fb[lane]);
            for (int j = 0; j < HP_GT_MT; j++)
              for (int nt = 0; nt < 2; nt++) {
                float ca[32][4], cb[32][2], cc[32][4];
                for (int lane = 0; lane < 32; lane++) {
                  memcpy(ca[lane], fa[lane][j], sizeof ca[lane]);
                  cb[lane][0] = fb[lane][2 * nt], cb[lane][1] = fb[lane][2 * nt + 1];
                  memcpy(cc[lane], acc[wi][lane][j][nt], sizeof cc[lane]);
                }
                warp_mma(cc, ca, cb);
                for (int lane = 0; lane < 32; lane++)
                  memcpy(acc[wi][lane][j][nt], cc[lane], sizeof cc[lane]);
              }
          }
          for (int lane = 0; lane < 32; lane++)
            hp_gt_store(lane, wi, k, a, bx, by, bz, acc[wi][lane]);
        }
        for (int t = 0; t < HP_GT_THREADS; t++) hp_gt_store_pointwise(t, a, bx, by, bz);
      }
  free(wp), free(off), free(tile);
}

static void conv(int mode, int k, const hp_gk_conv_args *a, const float *w) {
  if (mode == MODE_FP32)
    run_conv(k, a, w);
  else
    run_conv_mma(k, a, w, mode == MODE_MMA_TF32);
}

/* Paint the whole grid slab by slab as the CUDA host code does. */
static void emulate(const hp_net *net, const float *rho, const int64_t n[3], int periodic,
                    size_t budget, int mode, float **out, int *nslabs) {
  hp_status st = {0};
  hp_gpu_slabs sl;
  assert_int_equal(hp_gpu_slab_plan(&sl, n, periodic, net->k_out, budget, &st), HP_OK);
  assert_true(sl.bytes <= budget);
  *nslabs = sl.nslabs;
  hp_painter_pack pk;
  assert_int_equal(hp_painter_pack_create(&pk, net, "GPU", &st), HP_OK);
  const int64_t ey = sl.out_n[1], ez = sl.out_n[2], h = HP_GPU_HALO;
  const size_t g0 = (size_t)(sl.thick + 2 * h) * (ey + 2 * h) * (ez + 2 * h);
  hp_gpu_slab_bufs b = {0};
  b.raw = calloc(g0 + (size_t)(sl.thick + 2 * h) * n[1] * n[2], sizeof(float));
  b.x = periodic ? calloc(g0, sizeof(float)) : NULL;
  b.r = calloc(30 * g0, sizeof(float));
  b.y1 = calloc(30 * g0, sizeof(float));
  b.y2 = calloc(30 * g0, sizeof(float));
  b.out = calloc((size_t)net->k_out * g0, sizeof(float));
  int wo[5], bo[5];
  for (int l = 0; l < 5; l++)
    wo[l] = (int)(pk.head_w[l] - pk.head_w[0]), bo[l] = (int)(pk.head_b[l] - pk.head_w[0]);
  for (int s = 0; s < sl.nslabs; s++) {
    int64_t x0, nx, src[HP_GPU_MAX_RUNS], len[HP_GPU_MAX_RUNS];
    hp_gpu_slab_range(&sl, s, &x0, &nx);
    const int runs = hp_gpu_slab_runs(&sl, s, src, len);
    const size_t plane = (size_t)n[1] * n[2];
    int64_t put = 0;
    for (int r = 0; r < runs; r++, put += len[r - 1])
      memcpy(b.raw + put * plane, rho + src[r] * plane, (size_t)len[r] * plane * sizeof(float));
    assert_int_equal(put, nx + 2 * h);
    hp_gpu_slab_work w;
    hp_gpu_slab_work_init(&w, &sl, nx, &b, pk.slope);
    if (periodic)
      for (int64_t i = 0; i < hp_gk_vox(&w.g0); i++)
        hp_gk_pad_voxel(i, b.raw, &w.graw, b.x, &w.g0, 4);
    const hp_pack_block *b1 = &pk.blk[0], *b2 = &pk.blk[1];
    for (int64_t i = 0; i < hp_gk_vox(&w.g0); i++)
      hp_gk_reduce_voxel(i, w.x0, 1, pk.w + b1->red_w, pk.w + b1->red_b, b.r, hp_gk_vox(&w.g0));
    conv(mode, 5, &w.conv[0], pk.w + b1->c5_w);
    conv(mode, 3, &w.conv[1], pk.w + b1->c3_w);
    for (int64_t i = 0; i < hp_gk_vox(&w.g1); i++)
      hp_gk_reduce_voxel(i, b.y1, 30, pk.w + b2->red_w, pk.w + b2->red_b, b.r, hp_gk_vox(&w.g1));
    conv(mode, 5, &w.conv[2], pk.w + b2->c5_w);
    conv(mode, 3, &w.conv[3], pk.w + b2->c3_w);
    for (int64_t i = 0; i < hp_gk_vox(&w.g2); i++)
      hp_gk_head_voxel(i, b.y2, hp_gk_vox(&w.g2), pk.w + pk.head_w[0], wo, bo, pk.k_out, pk.slope,
                       b.out);
    for (int k = 0; k < net->k_out; k++)
      memcpy(out[k] + x0 * ey * ez, b.out + k * hp_gk_vox(&w.g2),
             sizeof(float) * (size_t)hp_gk_vox(&w.g2));
  }
  free(b.raw), free(b.x), free(b.r), free(b.y1), free(b.y2), free(b.out);
  hp_painter_pack_free(&pk);
}

static void check_shape(const int64_t n[3], int periodic, int K, size_t budget, int want_slabs,
                        int modes) {
  hp_status st = {0};
  hp_net net = hp_test_random_net(K, 7 + (uint64_t)n[0] * 3 + (uint64_t)K);
  const size_t nin = (size_t)(n[0] * n[1] * n[2]);
  uint64_t seed = 12345 + nin;
  float *rho = hp_test_random_density(&seed, n[0], n[1], n[2]);
  hp_painter *p;
  hp_painter_desc d = {{n[0], n[1], n[2]}, periodic, 1, 0, 0, 0};
  assert_int_equal(hp_painter_create(&p, &net, &d, &st), HP_OK);
  int64_t on[3];
  hp_painter_out_shape(p, on);
  const size_t nout = (size_t)(on[0] * on[1] * on[2]);
  float **ref = hp_test_alloc_grids(K, (int64_t)nout),
        **gpu = hp_test_alloc_grids(K, (int64_t)nout);
  assert_int_equal(hp_painter_execute(p, rho, ref, &st), HP_OK);
  static const char *mode_name[] = {"FP32 kernels", "mma, exact products", "mma, TF32 inputs"};
  for (int mode = MODE_FP32; mode <= MODE_MMA_TF32; mode++) {
    if (!(modes & (1 << mode))) continue;
    int nslabs;
    emulate(&net, rho, n, periodic, budget, mode, gpu, &nslabs);
    if (want_slabs > 0) assert_int_equal(nslabs, want_slabs);
    if (want_slabs < 0) assert_true(nslabs > 1);
    double emax = 0, amax = 0;
    for (int k = 0; k < K; k++)
      for (size_t i = 0; i < nout; i++) {
        amax = fmax(amax, fabs(ref[k][i]));
        emax = fmax(emax, fabs(ref[k][i] - gpu[k][i]));
      }
    printf("  %lld x %lld x %lld %s K=%d, %s: %d slab(s), max |emulated - CPU| / max|CPU| = %.2e\n",
           (long long)n[0], (long long)n[1], (long long)n[2], periodic ? "periodic" : "open", K,
           mode_name[mode], nslabs, emax / amax);
    assert_true(amax > 0);
    if (mode == MODE_MMA_TF32) /* 10-bit mantissas: visible, and bounded */
      assert_true(emax > 1e-6 * amax && emax <= 1e-2 * amax);
    else
      assert_true(emax <= 1e-5 * amax);
  }
  hp_test_free_grids(ref, K), hp_test_free_grids(gpu, K);
  free(rho);
  hp_painter_destroy(p);
  hp_net_free(&net);
}

static void test_whole_box(void **state) {
  (void)state;
  const size_t big = (size_t)1 << 40;
  check_shape((int64_t[]){16, 16, 16}, 1, 1, big, 1, ALL);
  check_shape((int64_t[]){13, 20, 37}, 1, 3, big, 1, ALL);
  check_shape((int64_t[]){29, 26, 41}, 0, 2, big, 1, ALL);
  check_shape((int64_t[]){5, 3, 2}, 1, 1, big, 1, ALL); /* sides below the halo */
}

static void test_slabs(void **state) {
  (void)state;
  const int64_t n[3] = {24, 20, 18};
  /* a budget for slabs of about 5 planes: the box streams in several slabs */
  const int64_t out[3] = {24, 20, 18};
  const size_t budget = hp_gpu_slab_bytes(n, out, 1, 3, 5, 2);
  check_shape(n, 1, 3, budget, 5, ALL);
  const int64_t m[3] = {30, 17, 22}, mo[3] = {22, 9, 14};
  check_shape(m, 0, 1, hp_gpu_slab_bytes(m, mo, 0, 1, 3, 2) + 100, -1, 1 << MODE_FP32);
}

static void test_planner(void **state) {
  (void)state;
  hp_status st = {0};
  hp_gpu_slabs sl;
  const int64_t n[3] = {100, 64, 64};
  for (size_t budget = (size_t)1 << 22; budget < (size_t)1 << 32; budget = budget * 3 / 2) {
    if (hp_gpu_slab_plan(&sl, n, 1, 2, budget, &st)) {
      assert_int_equal(st.code, HP_ERR_NOMEM);
      assert_non_null(strstr(st.msg, "budget"));
      continue;
    }
    assert_true(sl.bytes <= budget);
    int64_t covered = 0;
    for (int i = 0; i < sl.nslabs; i++) { /* slabs tile the box in order, no gaps */
      int64_t x0, nx, src[HP_GPU_MAX_RUNS], len[HP_GPU_MAX_RUNS];
      hp_gpu_slab_range(&sl, i, &x0, &nx);
      assert_int_equal(x0, covered);
      assert_true(nx >= 1 && nx <= sl.thick);
      covered += nx;
      const int runs = hp_gpu_slab_runs(&sl, i, src, len);
      int64_t tot = 0, p = ((x0 - 4) % 100 + 100) % 100;
      for (int r = 0; r < runs; r++) { /* the runs are the wrapped planes x0-4 .. x0+nx+3 */
        assert_int_equal(src[r], p);
        tot += len[r], p = (p + len[r]) % 100;
      }
      assert_int_equal(tot, nx + 8);
    }
    assert_int_equal(covered, 100);
    if (sl.nslabs == 1) {
      assert_int_equal(sl.nbuf, 1);
    } else { /* the thickest double-buffered slab: one plane more would not fit */
      assert_int_equal(sl.nbuf, 2);
      const int64_t thickest = (100 + sl.nslabs - 2) / (sl.nslabs - 1);
      assert_true(hp_gpu_slab_bytes(n, n, 1, 2, thickest, 2) > budget ||
                  (100 + thickest - 1) / thickest == sl.nslabs);
    }
  }
  assert_int_equal(hp_gpu_slab_plan(&sl, (int64_t[]){8, 8, 8}, 0, 1, 1 << 30, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "too small"));
  /* a periodic box of side 1 wraps the most */
  assert_int_equal(hp_gpu_slab_plan(&sl, (int64_t[]){1, 1, 1}, 1, 1, 1 << 30, &st), HP_OK);
  int64_t src[HP_GPU_MAX_RUNS], len[HP_GPU_MAX_RUNS];
  assert_int_equal(hp_gpu_slab_runs(&sl, 0, src, len), 9);
}

/* The GPU plan's refusals that need no GPU: a bad precision, a layer list that is not the
 * paper's generator; and, on a machine without a device (or a build without CUDA), a clear
 * device error rather than a crash. */
static void test_plan_refusals(void **state) {
  (void)state;
  int ndev = 0;
  hp_status st = {0};
  assert_int_equal(hp_cuda_device_count(&ndev, &st), HP_OK);
  hp_net net = hp_test_random_net(1, 3);
  hp_cuda_painter *p = NULL;
  hp_cuda_painter_desc d = {{16, 16, 16}, 1, 0, NULL, 7, 0};
  if (!hp_cuda_compiled()) {
    assert_int_equal(hp_cuda_painter_create(&p, &net, &d, &st), HP_ERR_DEVICE);
    assert_non_null(strstr(st.msg, "no CUDA backend"));
  } else {
    assert_int_equal(hp_cuda_painter_create(&p, &net, &d, &st), HP_ERR_INPUT);
    assert_non_null(strstr(st.msg, "precision 7"));
    d.precision = HP_GPU_FP32;
    net.conv[1].k = 3;
    assert_int_equal(hp_cuda_painter_create(&p, &net, &d, &st), HP_ERR_INPUT);
    assert_non_null(strstr(st.msg, "Kodi Ramanah"));
    net.conv[1].k = 5;
    if (ndev == 0) {
      assert_int_equal(hp_cuda_painter_create(&p, &net, &d, &st), HP_ERR_DEVICE);
      assert_non_null(strstr(st.msg, "0 CUDA device(s)"));
    }
  }
  assert_null(p);
  hp_net_free(&net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_planner),
      cmocka_unit_test(test_plan_refusals),
      cmocka_unit_test(test_whole_box),
      cmocka_unit_test(test_slabs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
