/*
 * Exact resumption and thread-count independence of training (train/trainer.h, train/checkpoint.h):
 * N updates in one go, N/2 + checkpoint + reload + N/2, and the same with 1 and 2 threads, give
 * bit-identical generator and critic weights and Adam moments, for the wgan-gp, both and
 * poisson objectives. A checkpoint is a valid model file; resuming with another seed or
 * objective is refused; the patch draws follow the documented counter-based rule. The weights'
 * moving average follows its recurrence (a float64 recomputation from the iterates), resumes
 * bit for bit, and a checkpoint made with another decay is refused.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "train/checkpoint.h"
#include "nn/model_io.h"
#include "train/symmetry.h"
#include "train/trainer.h"

static uint64_t sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double unif(uint64_t *s) { return ((double)(sm64(s) >> 11) + 0.5) * 0x1p-53; }

/* A small periodic box: lognormal-ish density, Poisson counts of a local mean. */
static void add_box(hp_train_data *d, int64_t n, uint64_t seed, int validation) {
  hp_status st;
  const int64_t n3 = n * n * n;
  float *rho = hp_alloc(sizeof(float) * (size_t)n3, "rho", &st),
        *cnt = hp_alloc(sizeof(float) * (size_t)(d->k * n3), "counts", &st);
  uint64_t s = seed;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t l = 0; l < n; l++) {
        const double g = 0.5 * sin(0.7 * (double)i + 0.3 * (double)seed) * cos(0.5 * (double)j) +
                         0.3 * sin(0.9 * (double)l) + 0.2 * (unif(&s) - 0.5);
        rho[(i * n + j) * n + l] = (float)exp(g);
      }
  for (int k = 0; k < d->k; k++)
    for (int64_t v = 0; v < n3; v++) {
      const double mu = 0.5 * (k + 1) * fmax(rho[v] - 0.8, 0), lim = exp(-mu);
      double p = 1;
      int c = -1;
      do p *= unif(&s), c++;
      while (p > lim);
      cnt[k * n3 + v] = (float)c;
    }
  assert_int_equal(hp_train_data_adopt(d, rho, cnt, n, validation, "synthetic", &st), 0);
}

typedef struct run {
  float *gw, *gm, *gv, *cw, *cm, *cv;
  size_t gn, cn;
  int64_t update;
} run;

static void snapshot(hp_trainer *t, run *r) {
  hp_train_state s;
  hp_trainer_state(t, &s);
  r->gn = s.gen_n, r->cn = s.critic_n, r->update = *s.update;
  r->gw = malloc(sizeof(float) * r->gn), r->gm = malloc(sizeof(float) * r->gn);
  r->gv = malloc(sizeof(float) * r->gn);
  memcpy(r->gw, s.gen_w, sizeof(float) * r->gn);
  memcpy(r->gm, s.gen_adam->m, sizeof(float) * r->gn);
  memcpy(r->gv, s.gen_adam->v, sizeof(float) * r->gn);
  r->cw = r->cm = r->cv = NULL;
  if (r->cn) {
    r->cw = malloc(sizeof(float) * r->cn), r->cm = malloc(sizeof(float) * r->cn);
    r->cv = malloc(sizeof(float) * r->cn);
    memcpy(r->cw, s.critic_w, sizeof(float) * r->cn);
    memcpy(r->cm, s.critic_adam->m, sizeof(float) * r->cn);
    memcpy(r->cv, s.critic_adam->v, sizeof(float) * r->cn);
  }
}

static void run_free(run *r) {
  free(r->gw), free(r->gm), free(r->gv), free(r->cw), free(r->cm), free(r->cv);
}

static void assert_same(const run *a, const run *b) {
  assert_int_equal(a->update, b->update);
  assert_int_equal(a->gn, b->gn);
  assert_int_equal(a->cn, b->cn);
  assert_memory_equal(a->gw, b->gw, sizeof(float) * a->gn);
  assert_memory_equal(a->gm, b->gm, sizeof(float) * a->gn);
  assert_memory_equal(a->gv, b->gv, sizeof(float) * a->gn);
  if (a->cn) {
    assert_memory_equal(a->cw, b->cw, sizeof(float) * a->cn);
    assert_memory_equal(a->cm, b->cm, sizeof(float) * a->cn);
    assert_memory_equal(a->cv, b->cv, sizeof(float) * a->cn);
  }
}

static void steps(hp_trainer *t, int n) {
  hp_status st;
  for (int i = 0; i < n; i++)
    if (hp_trainer_step(t, NULL, &st)) fail_msg("%s", st.msg);
}

/* A run interrupted after @p half updates: trained from @p model, checkpointed to @p path
 * (recording @p elapsed) and the checkpoint loaded back as a model into @p out. */
static void checkpoint_half(const hp_train_config *cfg, const hp_model *model,
                            const hp_train_data *d, int half, const char *path, double elapsed,
                            hp_model *out) {
  hp_status st;
  hp_trainer *t;
  assert_int_equal(hp_trainer_create(&t, cfg, &model->net, d, &st), 0);
  steps(t, half);
  if (hp_checkpoint_save(path, model, t, elapsed, &st)) fail_msg("%s", st.msg);
  hp_trainer_destroy(t);
  if (hp_model_load(out, path, &st)) fail_msg("the checkpoint is not a model file: %s", st.msg);
}

static void check_objective(hp_objective obj) {
  hp_status st;
  hp_train_data d;
  hp_model model;
  const double edges[3] = {1e12, 1e13, 1e14};
  const int patch = obj == HP_OBJ_POISSON ? 14 : 27, n = 4;
  assert_int_equal(hp_model_init(&model, 2, edges, 5, &st), 0);
  assert_int_equal(hp_train_data_init(&d, 2, &st), 0);
  add_box(&d, 30, 1, 0);
  add_box(&d, 28, 2, 0);
  add_box(&d, 24, 3, 1);
  assert_int_equal(hp_train_data_prepare(&d, patch, 4, 0, &st), 0);
  hp_train_config cfg;
  hp_train_config_default(&cfg);
  cfg.objective = obj, cfg.patch = patch, cfg.n_critic = 2, cfg.lr = 1e-3, cfg.seed = 17;
  run ref, threads1, resumed;
  hp_trainer *t;
  /* uninterrupted, 2 threads */
  cfg.nthreads = 2;
  assert_int_equal(hp_trainer_create(&t, &cfg, &model.net, &d, &st), 0);
  steps(t, n);
  snapshot(t, &ref);
  hp_trainer_destroy(t);
  /* weights moved */
  assert_true(memcmp(ref.gw, model.net.w, sizeof(float) * ref.gn) != 0);
  /* uninterrupted, 1 thread */
  cfg.nthreads = 1;
  assert_int_equal(hp_trainer_create(&t, &cfg, &model.net, &d, &st), 0);
  steps(t, n);
  snapshot(t, &threads1);
  hp_trainer_destroy(t);
  assert_same(&ref, &threads1);
  /* interrupted after n/2 (2 threads), checkpoint, reload, resume */
  char path[256];
  snprintf(path, sizeof path, "/tmp/hp_test_resume_%ld_%d.h5", (long)getpid(), (int)obj);
  cfg.nthreads = 2;
  hp_model m2;
  checkpoint_half(&cfg, &model, &d, n / 2, path, 12.5, &m2);
  int has = 0;
  assert_int_equal(hp_checkpoint_probe(path, &has, &st), 0);
  assert_int_equal(has, 1);
  assert_int_equal(hp_trainer_create(&t, &cfg, &m2.net, &d, &st), 0);
  double el = 0;
  if (hp_checkpoint_restore(path, t, &el, &st)) fail_msg("%s", st.msg);
  assert_true(el == 12.5);
  assert_int_equal(hp_trainer_updates(t), n / 2);
  steps(t, n - n / 2);
  snapshot(t, &resumed);
  hp_trainer_destroy(t);
  assert_same(&ref, &resumed);
  /* settings that change the run are refused */
  hp_train_config bad = cfg;
  bad.seed = 18;
  assert_int_equal(hp_trainer_create(&t, &bad, &m2.net, &d, &st), 0);
  assert_int_equal(hp_checkpoint_restore(path, t, NULL, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "TrainSeed"));
  hp_trainer_destroy(t);
  bad = cfg;
  bad.lr = 2e-3;
  assert_int_equal(hp_trainer_create(&t, &bad, &m2.net, &d, &st), 0);
  assert_int_equal(hp_checkpoint_restore(path, t, NULL, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "TrainLearningRate"));
  hp_trainer_destroy(t);
  unlink(path);
  run_free(&ref), run_free(&threads1), run_free(&resumed);
  hp_model_free(&m2);
  hp_model_free(&model);
  hp_train_data_free(&d);
}

static void test_resume_wgan_gp(void **state) {
  (void)state;
  check_objective(HP_OBJ_WGAN_GP);
}
static void test_resume_both(void **state) {
  (void)state;
  check_objective(HP_OBJ_BOTH);
}
static void test_resume_poisson(void **state) {
  (void)state;
  check_objective(HP_OBJ_POISSON);
}

/* The weight average against its recurrence, recomputed here in float64 from the iterates. */
static void test_weight_average(void **state) {
  (void)state;
  hp_status st;
  hp_train_data d;
  hp_model model;
  const double edges[3] = {1e12, 1e13, 1e14};
  const int n = 6;
  assert_int_equal(hp_model_init(&model, 2, edges, 5, &st), 0);
  assert_int_equal(hp_train_data_init(&d, 2, &st), 0);
  add_box(&d, 30, 1, 0);
  add_box(&d, 24, 3, 1);
  assert_int_equal(hp_train_data_prepare(&d, 14, 4, 0, &st), 0);
  hp_train_config cfg;
  hp_train_config_default(&cfg);
  cfg.objective = HP_OBJ_POISSON, cfg.patch = 14, cfg.lr = 1e-3, cfg.seed = 5, cfg.nthreads = 2;
  /* without averaging the output is the last iterate */
  hp_trainer *t;
  assert_int_equal(hp_trainer_create(&t, &cfg, &model.net, &d, &st), 0);
  steps(t, 2);
  assert_ptr_equal(hp_trainer_output_net(t), hp_trainer_net(t));
  hp_trainer_destroy(t);
  /* with d = 0.7: a_0 = w_0, a_u = d a_(u-1) + (1 - d) w_u */
  cfg.average_decay = 0.7;
  const size_t np = model.net.nparams;
  double *a = malloc(sizeof(double) * np);
  for (size_t i = 0; i < np; i++) a[i] = model.net.w[i];
  assert_int_equal(hp_trainer_create(&t, &cfg, &model.net, &d, &st), 0);
  for (int u = 0; u < n; u++) {
    steps(t, 1);
    const float *w = hp_trainer_net(t)->w;
    for (size_t i = 0; i < np; i++) a[i] = 0.7 * a[i] + 0.3 * (double)w[i];
  }
  const hp_net *out = hp_trainer_output_net(t);
  assert_true(out != hp_trainer_net(t));
  double moved = 0;
  for (size_t i = 0; i < np; i++) {
    assert_true(fabs(out->w[i] - a[i]) <= 1e-6 * fabs(a[i]) + 1e-12);
    moved = fmax(moved, fabs(out->w[i] - hp_trainer_net(t)->w[i]));
  }
  assert_true(moved > 0); /* the average is not the last iterate */
  float *whole = malloc(sizeof(float) * np);
  memcpy(whole, out->w, sizeof(float) * np);
  hp_trainer_destroy(t);
  /* interrupted at n/2, checkpointed, resumed: the same average, bit for bit */
  char path[256];
  snprintf(path, sizeof path, "/tmp/hp_test_average_%ld.h5", (long)getpid());
  hp_model m2;
  checkpoint_half(&cfg, &model, &d, n / 2, path, 1, &m2);
  assert_int_equal(hp_trainer_create(&t, &cfg, &m2.net, &d, &st), 0);
  if (hp_checkpoint_restore(path, t, NULL, &st)) fail_msg("%s", st.msg);
  steps(t, n - n / 2);
  assert_memory_equal(hp_trainer_output_net(t)->w, whole, sizeof(float) * np);
  hp_trainer_destroy(t);
  /* another decay, or none, is refused by name */
  hp_train_config bad = cfg;
  bad.average_decay = 0.9;
  assert_int_equal(hp_trainer_create(&t, &bad, &m2.net, &d, &st), 0);
  assert_int_equal(hp_checkpoint_restore(path, t, NULL, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "TrainAverageDecay"));
  hp_trainer_destroy(t);
  bad.average_decay = 1;
  assert_int_equal(hp_trainer_create(&t, &bad, &m2.net, &d, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "TrainAverageDecay"));
  unlink(path);
  free(a), free(whole);
  hp_model_free(&m2);
  hp_model_free(&model);
  hp_train_data_free(&d);
}

/* The draws depend on (seed, update, step) only; patches fit the training region and wrap
 * periodically; the 48 symmetries all occur; counts follow their density under the symmetry. */
static void test_draws(void **state) {
  (void)state;
  hp_status st;
  hp_train_data d;
  assert_int_equal(hp_train_data_init(&d, 1, &st), 0);
  add_box(&d, 40, 4, 0);
  assert_int_equal(hp_train_data_prepare(&d, 16, 4, 0.3, &st), 0);
  assert_int_equal(d.box[0].train_nx, 28);
  int seen[HP_SYM_COUNT] = {0};
  for (int u = 0; u < 2000; u++) {
    hp_train_draw a, b;
    hp_train_data_draw(&d, 9, u, u % 3, &a);
    hp_train_data_draw(&d, 9, u, u % 3, &b);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.origin[0] >= 0 && a.origin[0] + 16 <= 28);
    assert_true(a.eps >= 0 && a.eps < 1);
    seen[a.sym]++;
  }
  for (int s = 0; s < HP_SYM_COUNT; s++) assert_true(seen[s] > 0);
  /* the counts patch is the symmetric image of the counts under the density's inner cube:
   * set counts = density, then the inner cube of the density patch equals the counts patch */
  memcpy(d.box[0].counts, d.box[0].rho, sizeof(float) * 40 * 40 * 40);
  float rp[16 * 16 * 16], cp[8 * 8 * 8];
  for (int u = 0; u < 100; u++) {
    hp_train_draw a;
    hp_train_data_draw(&d, 3, u, 0, &a);
    hp_train_data_patch(&d, &a, rp, cp, 1);
    for (int i = 0; i < 8; i++)
      for (int j = 0; j < 8; j++)
        for (int l = 0; l < 8; l++)
          assert_true(rp[((i + 4) * 16 + j + 4) * 16 + l + 4] == cp[(i * 8 + j) * 8 + l]);
  }
  /* a patch that does not fit is refused with advice */
  assert_int_equal(hp_train_data_prepare(&d, 30, 4, 0.3, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "TrainPatch"));
  hp_train_data_free(&d);
}

/* The 48 symmetries: distinct, 24 rotations, closed under composition, maps of the cube. */
static void test_symmetries(void **state) {
  (void)state;
  const int64_t n = 7; /* q = (0, 1, 2): its 48 images are distinct */
  int rot = 0;
  int64_t img[HP_SYM_COUNT][3];
  for (int s = 0; s < HP_SYM_COUNT; s++) {
    const int64_t q[3] = {0, 1, 2};
    hp_sym_map(s, n, q, img[s]);
    for (int t = 0; t < s; t++) assert_false(memcmp(img[s], img[t], sizeof img[s]) == 0);
    rot += hp_sym_is_rotation(s);
    /* determinant from the images of the unit vectors about the centre */
    int64_t e[3][3];
    for (int a = 0; a < 3; a++) {
      int64_t qa[3] = {3, 3, 3}, ta[3], c[3];
      const int64_t q0[3] = {3, 3, 3};
      qa[a] = 4;
      hp_sym_map(s, n, qa, ta);
      hp_sym_map(s, n, q0, c);
      for (int b = 0; b < 3; b++) e[a][b] = ta[b] - c[b];
    }
    const int64_t det = e[0][0] * (e[1][1] * e[2][2] - e[1][2] * e[2][1]) -
                        e[0][1] * (e[1][0] * e[2][2] - e[1][2] * e[2][0]) +
                        e[0][2] * (e[1][0] * e[2][1] - e[1][1] * e[2][0]);
    assert_int_equal(det, hp_sym_is_rotation(s) ? 1 : -1);
  }
  assert_int_equal(rot, 24);
  assert_true(hp_sym_is_rotation(0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_symmetries),     cmocka_unit_test(test_draws),
      cmocka_unit_test(test_resume_poisson), cmocka_unit_test(test_resume_both),
      cmocka_unit_test(test_resume_wgan_gp), cmocka_unit_test(test_weight_average),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
