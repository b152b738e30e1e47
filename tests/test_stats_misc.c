/*
 * Mass function, tables, PNG, plots, grid files, catalogue selection and redshift space
 * (stats/hmf, table, plot, figures, grid_io, sample, multipoles): the mass function of a
 * constructed catalogue is exact; tables round-trip bit for bit; every figure is written,
 * non-empty and well-formed (SVG: <svg ... </svg>, balanced text elements; PNG files and the
 * slice figure: tests/test_stats_slice.c); HDF5 grids round-trip, rank-4 components are read
 * one by one or summed;
 * redshift-space shifts are exact on a constructed catalogue; and the 2LPT field's monopole and
 * quadrupole in redshift space follow Kaiser's 1 + 2f/3 + f^2/5 and 4f/3 + 4f^2/7 on large
 * scales.
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
#include <fftw3.h>
#include <hdf5.h>

#include "catalog/catalog.h"
#include "fields.h"
#include "lpt/cosmology.h"
#include "plugin/pipeline.h"
#include "stats/bias_model.h"
#include "stats/figures.h"
#include "stats/grid_io.h"
#include "stats/hmf.h"
#include "stats/mesh.h"
#include "stats/multipoles.h"
#include "stats/plot.h"
#include "stats/sample.h"
#include "stats/table.h"

static char tmpdir[256];

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/hp_test_stats_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp(const char *name) {
  static char buf[8][512];
  static int k = 0;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  *len = fread(b, 1, (size_t)n, f);
  b[*len] = '\0';
  fclose(f);
  return b;
}

static int count_str(const char *s, const char *sub) {
  int n = 0;
  for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) n++;
  return n;
}

/* An SVG file exists, is non-empty, opens with <svg and closes with </svg>, and its text,
 * g and clipPath elements are balanced. */
static void check_svg(const char *path) {
  size_t len = 0;
  char *b = slurp(path, &len);
  assert_non_null(b);
  assert_true(len > 200);
  assert_non_null(strstr(b, "<svg"));
  assert_non_null(strstr(b, "</svg>"));
  assert_true(strstr(b, "</svg>") > strstr(b, "<svg"));
  assert_int_equal(count_str(b, "<text"), count_str(b, "</text>"));
  assert_int_equal(count_str(b, "<g "), count_str(b, "</g>"));
  assert_int_equal(count_str(b, "<clipPath"), count_str(b, "</clipPath>"));
  /* no non-finite coordinates */
  const char *badnum[] = {"\"nan", "\"-nan", "nan,", "nan ", "\"inf", "\"-inf", "inf,"};
  for (int i = 0; i < 7; i++) assert_null(strstr(b, badnum[i]));
  free(b);
}

/* Masses placed in known bins: counts, dn/dlog10M, errors, means, below/above are exact; a
 * mass on an edge belongs to the bin above it. */
static void test_hmf_exact(void **state) {
  (void)state;
  const double m[] = {5e11, 1e12, 2e12, 9.99e12, 1e13, 3e13, 3e13, 5e13, 7e13, 1e14, 2e15};
  const double edges[] = {1e12, 1e13, 1e14};
  hp_stats_hmf h;
  hp_status st;
  assert_int_equal(hp_stats_hmf_compute(m, 11, edges, 2, 100.0, &h, &st), 0);
  assert_int_equal(h.count[0], 3);
  assert_int_equal(h.count[1], 5);
  assert_int_equal(h.below, 1);
  assert_int_equal(h.above, 2);
  assert_true(h.volume == 1e6);
  assert_true(fabs(h.dndlog10m[0] - 3e-6) < 1e-20);
  assert_true(fabs(h.dndlog10m[1] - 5e-6) < 1e-20);
  assert_true(fabs(h.err[1] - sqrt(5.0) * 1e-6) < 1e-20);
  assert_true(fabs(h.m_mean[0] - (1e12 + 2e12 + 9.99e12) / 3) < 1e-3);
  assert_true(fabs(h.m_mean[1] - (1e13 + 3e13 + 3e13 + 5e13 + 7e13) / 5) < 1e-2);
  hp_stats_hmf_free(&h);
  /* log edges and checks */
  double e[4];
  assert_int_equal(hp_stats_mass_edges_log(1e12, 1e15, 3, e, &st), 0);
  assert_true(fabs(e[1] / 1e13 - 1) < 1e-12 && fabs(e[2] / 1e14 - 1) < 1e-12);
  const double bad[] = {1e12, 1e12};
  assert_int_equal(hp_stats_hmf_compute(m, 11, bad, 1, 100.0, &h, &st), HP_ERR_INPUT);
  const double nm[] = {1.0, NAN};
  assert_int_equal(hp_stats_hmf_compute(nm, 2, edges, 2, 100.0, &h, &st), HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "halo 1"));
  assert_int_equal(hp_stats_mass_bin(edges, 2, 1e13), 1);
  assert_int_equal(hp_stats_mass_bin(edges, 2, 1e14), -1);
}

/* Tables: write, read back bit for bit (NaN as NaN), comments and names kept; malformed
 * files refused with the line named. */
static void test_table_round_trip(void **state) {
  (void)state;
  const char *names[] = {"k[h/Mpc]", "P[(Mpc/h)^3]", "n[1]"};
  hp_stats_table t, r;
  hp_status st;
  assert_int_equal(hp_stats_table_init(&t, 3, names, 5, &st), 0);
  const double v[15] = {1.0 / 3, M_PI,     1e-300,
                        -0.0,    1e300,    7,
                        NAN,     0.1,      12345678901234567.0,
                        -2.5e-7, 4.9e-324, 1.7976931348623157e308,
                        2.0 / 3, -1e-10,   42};
  for (int i = 0; i < 15; i++) HP_TABLE_AT(&t, i / 3, i % 3) = v[i];
  assert_int_equal(hp_stats_table_comment(&t, &st, "made by %s", "a test"), 0);
  assert_int_equal(hp_stats_table_comment(&t, &st, "second line"), 0);
  assert_int_equal(hp_stats_table_write(&t, tmp("t.txt"), &st), 0);
  assert_int_equal(hp_stats_table_read(&r, tmp("t.txt"), &st), 0);
  assert_int_equal(r.ncols, 3);
  assert_int_equal(r.nrows, 5);
  for (int c = 0; c < 3; c++) assert_string_equal(r.names[c], names[c]);
  assert_int_equal(r.ncomments, 2);
  assert_string_equal(r.comments[0], "made by a test");
  for (int i = 0; i < 15; i++) {
    const double a = HP_TABLE_AT(&t, i / 3, i % 3), b = HP_TABLE_AT(&r, i / 3, i % 3);
    if (isnan(a))
      assert_true(isnan(b));
    else
      assert_memory_equal(&a, &b, sizeof a);
  }
  assert_int_equal(hp_stats_table_column(&r, "P"), 1);
  assert_int_equal(hp_stats_table_column(&r, "zz"), -1);
  hp_stats_table_free(&r);
  hp_stats_table_free(&t);
  /* no temporary file left */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", tmpdir);
  assert_int_not_equal(system(cmd), 0);
  FILE *f = fopen(tmp("bad.txt"), "w");
  fprintf(f, "# columns: a[1] b[1]\n1 2\n3\n");
  fclose(f);
  assert_int_equal(hp_stats_table_read(&r, tmp("bad.txt"), &st), HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "line 3"));
  f = fopen(tmp("bad2.txt"), "w");
  fprintf(f, "1 2\n");
  fclose(f);
  assert_int_equal(hp_stats_table_read(&r, tmp("bad2.txt"), &st), HP_ERR_FORMAT);
  const char *sp[] = {"with space"};
  assert_int_equal(hp_stats_table_init(&t, 1, sp, 1, &st), HP_ERR_INPUT);
}

/* Every figure is produced from small inputs and is well-formed. */
static void test_figures(void **state) {
  (void)state;
  hp_status st;
  const int nb = 12;
  hp_stats_bins b = {1, 0.01, 1.0, nb};
  hp_stats_pk pa, pb, pm;
  assert_int_equal(hp_stats_pk_alloc(&pa, &b, &st), 0);
  assert_int_equal(hp_stats_pk_alloc(&pb, &b, &st), 0);
  assert_int_equal(hp_stats_pk_alloc(&pm, &b, &st), 0);
  for (int i = 0; i < nb; i++) {
    const double k = sqrt(pa.k_lo[i] * pa.k_hi[i]);
    pa.k_mean[i] = pb.k_mean[i] = pm.k_mean[i] = k;
    pa.p[i] = 1e4 * pow(k / 0.1, -1.5) + 500;
    pb.p[i] = 0.95 * pa.p[i];
    pm.p[i] = 0.3 * pa.p[i];
    pa.shot[i] = pb.shot[i] = 500;
    pa.err[i] = pb.err[i] = 0.1 * pa.p[i];
    pa.nmodes[i] = pb.nmodes[i] = pm.nmodes[i] = 100 * (i + 1);
  }
  pa.p[3] = NAN; /* an empty bin must not break a figure */
  hp_stats_pk pab = pb;
  hp_stats_cross c, base;
  assert_int_equal(hp_stats_cross_from_pk(&pa, &pb, &pab, 0, &c, &st), 0);
  assert_int_equal(hp_stats_cross_from_pk(&pa, &pm, &pm, 0, &base, &st), 0);
  const double rk[3] = {0.01, 0.1, 1.0}, rp[3] = {3e4, 1e4, 100};
  hp_fig_curve ref = {3, rk, rp, "reference"};
  const hp_stats_pk *one[2] = {&pa, &pb};
  const char *labels[2] = {"a", "b <&> c"};
  assert_int_equal(hp_fig_power(tmp("pk.svg"), "P(k)", one, labels, 2, 0, &ref, &st), 0);
  check_svg(tmp("pk.svg"));
  assert_int_equal(hp_fig_power(tmp("pk2.svg"), NULL, one, NULL, 1, 1, NULL, &st), 0);
  check_svg(tmp("pk2.svg"));
  assert_int_equal(
      hp_fig_cross(tmp("cross.svg"), "cross", &pa, &pb, &pm, 1.8, &c, &base, 500.0, "A", "B", &st),
      0);
  check_svg(tmp("cross.svg"));
  assert_int_equal(hp_fig_multipoles(tmp("mp.svg"), "multipoles", &pa, &pb, NULL, &pm, &st), 0);
  check_svg(tmp("mp.svg"));
  const double m[] = {1e12, 2e12, 3e12, 2e13, 5e13, 1e14};
  const double edges[] = {1e12, 1e13, 1e14, 1e15};
  hp_stats_hmf h;
  assert_int_equal(hp_stats_hmf_compute(m, 6, edges, 3, 100, &h, &st), 0);
  const hp_stats_hmf *hh[1] = {&h};
  assert_int_equal(hp_fig_hmf(tmp("hmf.svg"), "hmf", hh, labels, 1, &st), 0);
  check_svg(tmp("hmf.svg"));
  hp_stats_bispec_result r[4];
  double qt[4];
  for (int i = 0; i < 4; i++) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].theta = M_PI * (i + 0.5) / 4;
    r[i].b = 1e6 * (i + 1);
    r[i].q = 0.5 + 0.1 * i;
    r[i].b_err = 1e5;
    qt[i] = 0.55 + 0.1 * i;
  }
  assert_int_equal(hp_fig_bispec(tmp("b.svg"), "bispectrum", r, 4, qt, &st), 0);
  check_svg(tmp("b.svg"));
  const int64_t n = 16;
  float *g = malloc(sizeof(float) * n * n * n);
  for (int64_t i = 0; i < n * n * n; i++) g[i] = (float)(1.0 + 0.5 * sin(0.3 * i));
  double slab[16 * 16];
  assert_int_equal(hp_fig_project(g, n, 2, 3, 4, slab, &st), 0);
  /* the projection is the mean of planes 3..6 */
  assert_true(fabs(slab[5 * n + 7] - (g[(5 * n + 7) * n + 3] + g[(5 * n + 7) * n + 4] +
                                      g[(5 * n + 7) * n + 5] + g[(5 * n + 7) * n + 6]) /
                                         4) < 1e-6);
  const double *slabs[1] = {slab};
  const char *slabel[1] = {"panel"};
  assert_int_equal(hp_fig_slice(tmp("s.svg"), "slice", slabs, slabel, 1, n, 2, 100.0, &st), 0);
  check_svg(tmp("s.svg")); /* the PNG figure: tests/test_stats_slice.c */
  /* an empty panel is refused, not drawn */
  hp_plot_panel p;
  hp_plot_panel_init(&p, "empty", "x", "y", 1, 1);
  const double neg[2] = {-1, -2};
  assert_int_equal(hp_plot_add_xy(&p, "neg", HP_PLOT_LINE, 2, neg, neg, NULL, NULL, NULL, &st), 0);
  assert_int_equal(hp_plot_svg(&p, 1, 1, NULL, tmp("e.svg"), &st), HP_ERR_INPUT);
  assert_int_not_equal(access(tmp("e.svg"), F_OK), 0);
  free(g);
  hp_stats_hmf_free(&h);
  hp_stats_cross_free(&c);
  hp_stats_cross_free(&base);
  hp_stats_pk_free(&pa);
  hp_stats_pk_free(&pb);
  hp_stats_pk_free(&pm);
}

/* Grids: write/read round trip, BoxSize from the file or --box, rank-4 components. */
static void test_grid_io(void **state) {
  (void)state;
  const int64_t n = 8;
  float g[512], *r = NULL;
  for (int i = 0; i < 512; i++) g[i] = (float)(i * 0.25 - 3);
  hp_status st;
  assert_int_equal(hp_stats_grid_write(tmp("g.h5"), "density", g, n, 75.0, "density", NULL, &st),
                   0);
  assert_true(hp_stats_grid_probe(tmp("g.h5"), "density"));
  assert_false(hp_stats_grid_probe(tmp("g.h5"), "counts"));
  assert_false(hp_stats_grid_probe(tmp("nofile.h5"), "density"));
  int64_t side;
  double box = 0;
  int nc;
  assert_int_equal(hp_stats_grid_read(tmp("g.h5"), "density", -1, &r, &side, &box, &nc, &st), 0);
  assert_int_equal(side, 8);
  assert_true(box == 75.0);
  assert_int_equal(nc, 1);
  assert_memory_equal(r, g, sizeof g);
  hp_free(r);
  /* rank 4 without BoxSize: K = 2 components */
  hid_t f = H5Fcreate(tmp("c.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[4] = {2, 8, 8, 8};
  hid_t sp = H5Screate_simple(4, dims, NULL);
  hid_t d = H5Dcreate2(f, "counts", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  float c[1024];
  for (int i = 0; i < 1024; i++) c[i] = (float)(i % 512 + (i >= 512 ? 1000 : 0));
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, c);
  H5Dclose(d);
  H5Sclose(sp);
  H5Fclose(f);
  box = 0;
  assert_int_equal(hp_stats_grid_read(tmp("c.h5"), "counts", 1, &r, &side, &box, &nc, &st),
                   HP_ERR_FORMAT);
  assert_non_null(strstr(st.msg, "--box"));
  box = 50;
  assert_int_equal(hp_stats_grid_read(tmp("c.h5"), "counts", 1, &r, &side, &box, &nc, &st), 0);
  assert_int_equal(nc, 2);
  assert_true(box == 50);
  for (int i = 0; i < 512; i++) assert_true(r[i] == c[512 + i]);
  hp_free(r);
  assert_int_equal(hp_stats_grid_read(tmp("c.h5"), "counts", -1, &r, &side, &box, &nc, &st), 0);
  for (int i = 0; i < 512; i++) assert_true(r[i] == c[i] + c[512 + i]);
  hp_free(r);
  assert_int_equal(hp_stats_grid_read(tmp("c.h5"), "counts", 2, &r, &side, &box, &nc, &st),
                   HP_ERR_INPUT);
  assert_int_equal(hp_stats_grid_read(tmp("c.h5"), "nothere", 0, &r, &side, &box, &nc, &st),
                   HP_ERR_FORMAT);
}

/* Halo selection by mass and the redshift-space shift, exactly: z = 0, flat Omega_m = 0.3:
 * E = 1, shift = v / 100 Mpc/h per km/s; wrapped into the box. */
static void test_sample_select(void **state) {
  (void)state;
  hp_catalog c;
  hp_status st;
  assert_int_equal(hp_catalog_alloc(&c, 4, 0, &st), 0);
  c.hdr.box = 100;
  c.hdr.redshift = 0;
  c.hdr.omega_m = 0.3;
  c.hdr.omega_l = 0.7;
  const float pos[12] = {10, 20, 30, 50, 50, 99, 1, 2, 3, 40, 40, 40};
  const float vel[12] = {0, 0, 250, 0, 0, 300, 0, 0, -500, 0, 0, 0};
  const double mass[4] = {1e12, 5e12, 2e13, 1e14};
  memcpy(c.pos, pos, sizeof pos);
  memcpy(c.vel, vel, sizeof vel);
  memcpy(c.mass, mass, sizeof mass);
  for (int i = 0; i < 4; i++) c.id[i] = i + 1;
  hp_stats_sample s;
  assert_int_equal(hp_stats_sample_select(&c, 2e12, 1e14, -1, 2, &s, &st), 0);
  assert_int_equal(s.n, 2);
  assert_true(s.pos[0] == 50 && s.pos[3] == 1);
  hp_stats_sample_free(&s);
  assert_int_equal(hp_stats_sample_select(&c, 0, INFINITY, 2, 2, &s, &st), 0);
  assert_int_equal(s.n, 4);
  assert_true(fabs(s.pos[2] - 32.5) < 1e-5);
  assert_true(fabs(s.pos[5] - 2.0) < 1e-4);  /* 99 + 3 wraps to 2 */
  assert_true(fabs(s.pos[8] - 98.0) < 1e-4); /* 3 - 5 wraps to 98 */
  assert_true(s.pos[0] == 10 && s.pos[1] == 20);
  hp_stats_sample_free(&s);
  assert_true(fabs(hp_stats_rsd_factor(0.3, 0.7, 0.0) - 0.01) < 1e-15);
  assert_true(fabs(hp_stats_rsd_factor(1.0, 0.0, 3.0) - 4.0 / (100.0 * 8.0)) < 1e-15);
  hp_catalog_free(&c);
}

/* Kaiser (1987): the 2LPT field at z = 2 in redshift space has, on large scales,
 * P0 / P = 1 + 2f/3 + f^2/5 and P2 / P = 4f/3 + 4f^2/7 (the same realisation in real space, so
 * cosmic variance largely cancels); in real space P2 is zero within its errors. */
static void test_kaiser(void **state) {
  (void)state;
  const char *text =
      "Omega0 0.315\nOmegaBaryon 0.049\nHubbleParam 0.68\nSigma8 0.81\nPrimordialIndex 0.97\n"
      "BoxSize 1500\nNParticles 64\nSeed 99\nFixedAmplitude 1\n";
  const double z = 2.0, L = 1500;
  const int64_t np = 64;
  hp_params *p = NULL;
  hp_status st;
  assert_int_equal(hp_params_parse_string(&p, "t", text, NULL, 0, HP_NEED_ALL, &st), 0);
  hp_cosmology *c = NULL;
  hp_lpt *l = NULL;
  assert_int_equal(hp_pipeline_particles(p, z, &c, &l, NULL, &st), 0);
  hp_growth g;
  assert_int_equal(hp_cosmo_growth(c, 1 / (1 + z), &g, &st), 0);
  const double f = g.f1;
  hp_cic_particles s = {0};
  s.n = np * np * np;
  s.x = hp_lpt_displacement(l, 0), s.y = hp_lpt_displacement(l, 1);
  s.z = hp_lpt_displacement(l, 2);
  s.stride = 1, s.lattice_np = np;
  float *pos = malloc(sizeof(float) * 3 * s.n);
  assert_int_equal(hp_stats_rsd_positions(&s, hp_lpt_velocity(l, 1), 1, 1,
                                          hp_stats_rsd_factor(0.315, 0.685, z), L, pos, 2, &st),
                   0);
  hp_cic_particles rs = {0};
  rs.n = s.n;
  rs.x = pos, rs.y = pos + 1, rs.z = pos + 2, rs.stride = 3;
  hp_stats_mesh *m = NULL;
  hp_stats_mesh_desc d = {np, L, HP_WIN_CIC, 1, 1, 2};
  assert_int_equal(hp_stats_mesh_create(&m, &d, &st), 0);
  hp_stats_field fr, fs;
  assert_int_equal(hp_stats_field_alloc(&fr, np, L, &st), 0);
  assert_int_equal(hp_stats_field_alloc(&fs, np, L, &st), 0);
  assert_int_equal(hp_stats_mesh_execute(m, &s, &fr, &st), 0);
  assert_int_equal(hp_stats_mesh_execute(m, &rs, &fs, &st), 0);
  fr.shot = fs.shot = 0;
  const double kf = 2 * M_PI / L;
  hp_stats_bins b = {0, 8.5 * kf, 20.5 * kf, 4};
  hp_stats_pk r0, r2, s0, s2;
  assert_int_equal(hp_stats_power_multipoles(&fr, &b, 1, 2, &r0, &r2, NULL, &st), 0);
  assert_int_equal(hp_stats_power_multipoles(&fs, &b, 1, 2, &s0, &s2, NULL, &st), 0);
  const double k0 = 1 + 2 * f / 3 + f * f / 5, k2 = 4 * f / 3 + 4 * f * f / 7;
  for (int i = 0; i < b.nbins; i++) {
    const double a0 = s0.p[i] / r0.p[i], a2 = s2.p[i] / r0.p[i];
    if (getenv("HP_VERBOSE"))
      fprintf(stderr, "k %.4f: P0s/P %.4f (Kaiser %.4f), P2s/P %.4f (Kaiser %.4f), P2r/P %+.4f\n",
              r0.k_mean[i], a0, k0, a2, k2, r2.p[i] / r0.p[i]);
    assert_true(fabs(a0 / k0 - 1) < 0.03);
    assert_true(fabs(a2 / k2 - 1) < 0.06);
    assert_true(fabs(r2.p[i]) < 4 * r2.err[i]);
  }
  hp_stats_pk_free(&r0);
  hp_stats_pk_free(&r2);
  hp_stats_pk_free(&s0);
  hp_stats_pk_free(&s2);
  hp_stats_field_free(&fr);
  hp_stats_field_free(&fs);
  hp_stats_mesh_destroy(m);
  free(pos);
  hp_lpt_destroy(l);
  hp_cosmology_free(c);
  hp_params_free(p);
}

static double pk_red(double k) {
  return k < 0.6 ? 1e4 * pow(k + 0.05, -1.5) : 0.0;
} /* no Nyquist */

/* The quadratic bias operators: delta^2 against the square taken on the grid, s^2 = (2/3)
 * delta^2 for a plane wave in any lattice direction, and known coefficients fitted back. */
static void test_bias_model(void **state) {
  (void)state;
  const int64_t n = 32, n3 = n * n * n;
  const double L = 128;
  hp_status st;
  hp_status_clear(&st);
  hp_stats_fft *fft;
  assert_int_equal(hp_stats_fft_create(&fft, n, 2, &st), 0);
  uint64_t rs = 5;
  float *g = hp_test_gaussian_field(n, L, pk_red, &rs);
  float *sq = malloc(sizeof(float) * n3);
  for (int64_t i = 0; i < n3; i++) sq[i] = g[i] * g[i];
  hp_stats_field m, ref, op[HP_BIAS_NOPS], q;
  assert_int_equal(hp_stats_field_alloc(&m, n, L, &st), 0);
  assert_int_equal(hp_stats_field_alloc(&ref, n, L, &st), 0);
  assert_int_equal(hp_stats_field_from_grid(fft, g, HP_GRID_CONTRAST, HP_WIN_NONE, 0, &m, &st), 0);
  assert_int_equal(hp_stats_field_from_grid(fft, sq, HP_GRID_CONTRAST, HP_WIN_NONE, 0, &ref, &st),
                   0);
  assert_int_equal(hp_stats_bias_operators(fft, &m, op, &st), 0);
  const int64_t nc = n * n * (n / 2 + 1);
  double d = 0, r = 0;
  for (int64_t c = 0; c < nc; c++)
    for (int k = 0; k < 2; k++) {
      d += pow(op[1].dk[c][k] - ref.dk[c][k], 2);
      r += pow(ref.dk[c][k], 2);
    }
  assert_true(sqrt(d / r) < 1e-5);
  /* known coefficients come back */
  const double want[3] = {1.3, 0.4, -0.7};
  hp_stats_field a;
  assert_int_equal(hp_stats_field_alloc(&a, n, L, &st), 0);
  for (int64_t c = 0; c < nc; c++)
    for (int k = 0; k < 2; k++)
      a.dk[c][k] =
          (float)(want[0] * op[0].dk[c][k] + want[1] * op[1].dk[c][k] + want[2] * op[2].dk[c][k]);
  double b[3];
  assert_int_equal(hp_stats_bias_fit(&a, op, 0.5, b, &q, &st), 0);
  for (int i = 0; i < 3; i++) assert_true(fabs(b[i] - want[i]) < 1e-4);
  hp_stats_field_free(&q);
  for (int i = 0; i < HP_BIAS_NOPS; i++) hp_stats_field_free(&op[i]);
  /* plane waves along x, along (1,1,0) and along (1,2,3): s^2 = (2/3) delta^2 */
  const int dirs[3][3] = {{3, 0, 0}, {2, 2, 0}, {1, 2, 3}};
  for (int t = 0; t < 3; t++) {
    for (int64_t i = 0; i < n3; i++) {
      const int64_t x = i / (n * n), y = (i / n) % n, z = i % n;
      g[i] = (float)(0.3 * cos(2 * M_PI * (dirs[t][0] * x + dirs[t][1] * y + dirs[t][2] * z) / n));
    }
    assert_int_equal(hp_stats_field_from_grid(fft, g, HP_GRID_CONTRAST, HP_WIN_NONE, 0, &m, &st),
                     0);
    assert_int_equal(hp_stats_bias_operators(fft, &m, op, &st), 0);
    d = r = 0;
    for (int64_t c = 0; c < nc; c++)
      for (int k = 0; k < 2; k++) {
        d += pow(op[2].dk[c][k] - 2.0 / 3.0 * op[1].dk[c][k], 2);
        r += pow(op[1].dk[c][k], 2);
      }
    assert_true(r > 0 && sqrt(d / r) < 1e-5);
    for (int i = 0; i < HP_BIAS_NOPS; i++) hp_stats_field_free(&op[i]);
  }
  hp_stats_field_free(&a);
  hp_stats_field_free(&m);
  hp_stats_field_free(&ref);
  free(sq);
  fftwf_free(g);
  hp_stats_fft_destroy(fft);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hmf_exact),     cmocka_unit_test(test_table_round_trip),
      cmocka_unit_test(test_figures),       cmocka_unit_test(test_grid_io),
      cmocka_unit_test(test_sample_select), cmocka_unit_test(test_kaiser),
      cmocka_unit_test(test_bias_model),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
