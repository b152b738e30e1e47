/*
 * Distributed 2LPT against the serial plan: every rank also runs hp_lpt on the whole lattice
 * and compares its slab of displacements and velocities (same seed, cosmology and factors).
 * The linear field's modes are bit-identical by construction; the outputs may differ by the
 * FFTs' rounding, which rank 0 reports. Lattices: 32^3 (3 ranks split it 11, 11, 10), 22^3
 * (8, 8, 6 on 3 ranks, 6, 6, 6, 4 on 4) and 6^3 (2, 2, 2, 0 on 4 ranks: a rank without
 * planes). Every assertion is on a value reduced over the ranks, so that all ranks pass or
 * fail it together and none waits in a collective.
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

#include "lpt/cosmology.h"
#include "lpt/lpt.h"
#include "lpt/lpt_linear.h"
#include "mpi/comm.h"
#include "mpi/lpt_mpi.h"

static int all_true(int ok) {
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  return ok;
}

static double max_over_ranks(double v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return v;
}

static int rank0(void) {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r == 0;
}

/* max |mine - serial slab| over the three components, relative to the serial field's rms
 * (all components, whole lattice); *same says whether the slab is bit-identical. */
static double compare(float *const mine[3], float *const ref[3], int64_t np, int64_t x0, int64_t nx,
                      int *same, double *rms_out) {
  const int64_t n3 = np * np * np, nloc = nx * np * np, off = x0 * np * np;
  double sum2 = 0.0, dmax = 0.0;
  *same = 1;
  for (int a = 0; a < 3; a++) {
    for (int64_t n = 0; n < n3; n++) sum2 += (double)ref[a][n] * ref[a][n];
    for (int64_t n = 0; n < nloc; n++)
      dmax = fmax(dmax, fabs((double)mine[a][n] - (double)ref[a][off + n]));
    if (nloc && memcmp(mine[a], ref[a] + off, (size_t)nloc * sizeof(float))) *same = 0;
  }
  *rms_out = sqrt(sum2 / (3.0 * (double)n3));
  return dmax / *rms_out;
}

static void compare_with_serial(hp_cosmology *c, int64_t np, double box, int order, int64_t room) {
  const hp_lpt_desc d = {np, box, order, 0, 1};
  const hp_noise_desc nd = {20240611, 0, 0};
  hp_status st;
  hp_lpt *ser = NULL;
  hp_mlpt *par = NULL;
  int ok = hp_lpt_create(&ser, &d, &st) == HP_OK && hp_lpt_set_linear(ser, c, &nd, &st) == HP_OK;
  int rc = hp_mlpt_create(&par, &d, room, 2 * room, MPI_COMM_WORLD, &st);
  if (!rc) rc = hp_mlpt_set_linear(par, c, &nd, &st);
  if (rc && rank0()) printf("%s\n", st.msg);
  assert_true(all_true(ok && rc == HP_OK));

  /* the slabs tile the lattice in rank order; a rank holds at most the serial plan's bytes
   * per plane times FFTW-MPI's block, ceil(np / ranks) planes */
  int64_t x0, nx, before = 0, total = 0;
  hp_mlpt_slab(par, &x0, &nx);
  MPI_Exscan(&nx, &before, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  if (rank0()) before = 0; /* MPI_Exscan leaves rank 0's undefined */
  MPI_Allreduce(&nx, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  assert_true(all_true(x0 == before && nx >= 0 && total == np));
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const double block = (double)((np + size - 1) / size);
  const double bytes = max_over_ranks((double)hp_mlpt_bytes(par));
  assert_true(bytes <=
              (double)hp_lpt_get_counters(ser).bytes * block / (double)np + 72.0 * (double)room);
  int64_t room_before, room_after;
  hp_mlpt_rooms(par, &room_before, &room_after);
  assert_true(all_true(room_before == room && room_after == 2 * room));

  /* z = 10 then z = 0: a second execute must start again from the kept linear field */
  double rel_d = 0.0, rel_v = 0.0, rms = 0.0;
  int same_d = 1, same_v = 1;
  const double scale[2] = {1.0 / 11.0, 1.0};
  for (int t = 0; t < 2; t++) {
    hp_lpt_factors f;
    ok = hp_lpt_factors_at(c, scale[t], &f, &st) == HP_OK && hp_lpt_execute(ser, &f, &st) == HP_OK;
    rc = hp_mlpt_execute(par, &f, &st);
    assert_true(all_true(ok && rc == HP_OK));
    float *md[3], *mv[3], *sd[3], *sv[3];
    for (int a = 0; a < 3; a++) {
      md[a] = hp_mlpt_displacement(par, a), mv[a] = hp_mlpt_velocity(par, a);
      sd[a] = hp_lpt_displacement(ser, a), sv[a] = hp_lpt_velocity(ser, a);
    }
    int same;
    rel_d = fmax(rel_d, compare(md, sd, np, x0, nx, &same, &rms));
    same_d &= same;
    assert_true(all_true(rms > 0.0)); /* a field to compare */
    rel_v = fmax(rel_v, compare(mv, sv, np, x0, nx, &same, &rms));
    same_v &= same;
  }
  rel_d = max_over_ranks(rel_d), rel_v = max_over_ranks(rel_v);
  same_d = all_true(same_d), same_v = all_true(same_v);
  if (rank0())
    printf(
        "np = %lld, LPTOrder = %d, %d ranks: max |MPI - serial| / rms = %.3g (displacement, "
        "%s), %.3g (velocity, %s)\n",
        (long long)np, order, size, rel_d, same_d ? "bit-identical" : "not bit-identical", rel_v,
        same_v ? "bit-identical" : "not bit-identical");
  assert_true(rel_d <= 1e-5);
  assert_true(rel_v <= 1e-5);
  hp_mlpt_destroy(par);
  hp_lpt_destroy(ser);
}

static void test_order1(void **state) {
  compare_with_serial(*state, 32, 100.0, 1, 0);
  compare_with_serial(*state, 22, 70.0, 1, 3 * 22 * 22 + 5);
}

static void test_order2(void **state) {
  compare_with_serial(*state, 32, 100.0, 2, 0);
  compare_with_serial(*state, 22, 70.0, 2, 3 * 22 * 22 + 5);
  compare_with_serial(*state, 6, 20.0, 2, 0);
}

/* create refuses @p d with HP_ERR_INPUT on every rank, saying @p what, and returns no plan. */
static void expect_refused(const hp_lpt_desc *d, const char *what) {
  hp_mlpt *l = NULL;
  hp_status st;
  int lo = hp_mlpt_create(&l, d, 0, 0, MPI_COMM_WORLD, &st), hi = lo;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  assert_int_equal(lo, HP_ERR_INPUT);
  assert_int_equal(hi, HP_ERR_INPUT);
  assert_true(all_true(l == NULL && strstr(st.msg, what) != NULL));
}

static void test_refusals(void **state) {
  (void)state;
  const hp_lpt_desc dealias = {32, 100.0, 2, 1, 1}, odd = {33, 100.0, 2, 0, 1};
  expect_refused(&dealias, "LPTDealias is not available with MPI yet");
  expect_refused(&odd, "NParticles = 33 must be even");
  /* a request bad on the last rank only: every rank fails with its message */
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const hp_lpt_desc one = {32, rank == size - 1 ? -1.0 : 100.0, 2, 0, 1};
  expect_refused(&one, "BoxSize = -1 must be > 0");
}

static int setup(void **state) {
  hp_cosmo_desc d = {0};
  d.omega_m = 0.315, d.omega_l = 0.685, d.omega_b = 0.049, d.h = 0.68, d.sigma8 = 0.81;
  d.n_s = 0.97, d.t_cmb = 2.7255, d.power = HP_POWER_EH98;
  hp_cosmology *c = NULL;
  hp_status st;
  if (hp_cosmology_create(&c, &d, &st)) return -1;
  *state = c;
  return 0;
}

static int teardown(void **state) {
  hp_cosmology_free(*state);
  return 0;
}

int main(int argc, char **argv) {
  if (hp_mpi_init(&argc, &argv)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order1),
      cmocka_unit_test(test_order2),
      cmocka_unit_test(test_refusals),
  };
  const int failed = cmocka_run_group_tests(tests, setup, teardown);
  hp_mpi_finalize();
  return failed;
}
