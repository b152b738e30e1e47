/*
 * The slice figure and its outputs (stats/fig_slice, draw, png, font) and the grid inputs of
 * `halopaint stats` (grid_io mass edges, field kinds): PNG files written by libpng decode back
 * (libpng) to their pixels; text is drawn across or up the figure; the Fig. 8 figure is at
 * least 900 px wide with its title, panels, colour bar and axes, in PNG and in SVG, and a name
 * with another extension is refused with nothing written; a grid's MassBinEdges are found on
 * the group Model; a mean field (HP_GRID_MEAN) has no shot noise where counts have V/N.
 *
 * `test_stats_slice --write-grids DIR` writes the grids tests/test_stats_cli.sh runs `stats
 * cross` and `slice` on: DIR/truth.h5, Poisson counts (whole numbers) of a lognormal mean
 * field, and DIR/painted.h5, a mean field proportional to it (not whole numbers), both
 * /counts of shape (2, 32, 32, 32) in a 128 Mpc/h box with Model/MassBinEdges, as `paint`
 * writes them.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "stats/draw.h"
#include "stats/field.h"
#include "stats/figures.h"
#include "stats/grid_io.h"
#include "stats/png.h"
#include "util/hdf5_util.h"

static char tmpdir[256];

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/hp_test_slice_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp(const char *name) {
  static char buf[4][512];
  static int k = 0;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

/* A PNG file decoded by libpng into RGB (malloc'd), NULL if it cannot be read. */
static uint8_t *read_png(const char *path, int *w, int *h) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, path)) return NULL;
  im.format = PNG_FORMAT_RGB;
  uint8_t *rgb = malloc(PNG_IMAGE_SIZE(im));
  if (!rgb || !png_image_finish_read(&im, NULL, rgb, 0, NULL)) {
    free(rgb);
    png_image_free(&im);
    return NULL;
  }
  *w = (int)im.width;
  *h = (int)im.height;
  return rgb;
}

/* Palette and RGB images come back from libpng pixel for pixel; a smooth image is compressed
 * (the former stored-block writer made every file larger than its pixels); bad input refused. */
static void test_png_round_trip(void **state) {
  (void)state;
  hp_status st;
  const int w = 300, h = 250;
  uint8_t *pix = malloc((size_t)w * h), pal[256][3], *rgb = malloc((size_t)w * h * 3);
  for (int i = 0; i < w * h; i++) pix[i] = (uint8_t)((i % w) * 255 / (w - 1));
  for (int i = 0; i < w * h * 3; i++) rgb[i] = (uint8_t)(i * 7 + i / (3 * w));
  hp_png_colormap(pal);
  uint8_t *png;
  size_t len;
  assert_int_equal(hp_png_encode(pix, w, h, (const uint8_t(*)[3])pal, 256, &png, &len, &st), 0);
  assert_true(len < (size_t)w * h / 10);
  assert_int_equal(png[25], 3); /* IHDR colour type: a palette image, one byte a pixel */
  free(png);
  assert_int_equal(hp_png_write(tmp("p.png"), pix, w, h, (const uint8_t(*)[3])pal, 256, &st), 0);
  int rw = 0, rh = 0;
  uint8_t *back = read_png(tmp("p.png"), &rw, &rh);
  assert_non_null(back);
  assert_int_equal(rw, w);
  assert_int_equal(rh, h);
  for (int i = 0; i < w * h; i++) assert_memory_equal(back + 3 * i, pal[pix[i]], 3);
  free(back);
  assert_int_equal(hp_png_write_rgb(tmp("c.png"), rgb, w, h, &st), 0);
  back = read_png(tmp("c.png"), &rw, &rh);
  assert_non_null(back);
  assert_memory_equal(back, rgb, (size_t)w * h * 3);
  free(back);
  assert_int_equal(hp_png_encode(pix, 0, 1, (const uint8_t(*)[3])pal, 256, &png, &len, &st),
                   HP_ERR_INPUT);
  pix[17] = 200;
  assert_int_equal(hp_png_encode(pix, w, h, (const uint8_t(*)[3])pal, 100, &png, &len, &st),
                   HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "pixel 17"));
  free(pix);
  free(rgb);
}

/* Bounding box of the pixels darker than 128 (any channel mean). */
static int dark_box(const uint8_t *rgb, int w, int h, int *x0, int *y0, int *x1, int *y1) {
  int n = 0;
  *x0 = w, *y0 = h, *x1 = -1, *y1 = -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const uint8_t *p = rgb + 3 * ((size_t)y * w + x);
      if (p[0] + p[1] + p[2] < 3 * 128) {
        n++;
        if (x < *x0) *x0 = x;
        if (x > *x1) *x1 = x;
        if (y < *y0) *y0 = y;
        if (y > *y1) *y1 = y;
      }
    }
  return n;
}

/* Text runs along the figure or up it, from its anchor; its width is the glyphs' advances. */
static void test_text(void **state) {
  (void)state;
  hp_status st;
  const char *s = "Mpc/h 0.5";
  const int tw = hp_draw_text_width(s);
  assert_true(tw > 40 && tw < 100);
  for (int up = 0; up < 2; up++) {
    hp_draw *d;
    assert_int_equal(hp_draw_begin(&d, HP_DRAW_PNG, 200, 200, &st), 0);
    hp_draw_text(d, 100, 100, HP_ANCHOR_START, up, s);
    assert_int_equal(hp_draw_write(d, tmp("t.png"), &st), 0);
    hp_draw_free(d);
    int w, h, x0, y0, x1, y1;
    uint8_t *rgb = read_png(tmp("t.png"), &w, &h);
    assert_non_null(rgb);
    assert_true(dark_box(rgb, w, h, &x0, &y0, &x1, &y1) > 40);
    if (!up) { /* right of x = 100, around the baseline y = 100 */
      assert_true(x0 >= 100 && x1 - x0 > tw - 6 && x1 < 100 + tw && y1 - y0 < 16);
      assert_true(y0 >= 100 - 14 && y1 <= 100 + 4);
    } else { /* above y = 100, around x = 100 */
      assert_true(y1 <= 100 && y1 - y0 > tw - 6 && y0 > 100 - tw && x1 - x0 < 16);
    }
    free(rgb);
  }
}

static int count_str(const char *s, const char *sub) {
  int n = 0;
  for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) n++;
  return n;
}

/* Fig. 8: two panels, one colour bar, title, axes in Mpc/h; PNG and SVG; other names refused. */
static void test_slice_figure(void **state) {
  (void)state;
  hp_status st;
  const int64_t n = 32;
  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
  for (int64_t i = 0; i < n * n; i++) {
    a[i] = exp(sin(0.2 * (double)(i % n)) + cos(0.3 * (double)(i / n)));
    b[i] = 0.8 * a[i] + 0.1;
  }
  const double *slabs[2] = {a, b};
  const char *labels[2] = {"A: truth", "B: painted"};
  const char *title = "1e+13 <= M < 1e+14 Msun/h; slab z in [0, 16) Mpc/h, 16 Mpc/h thick";
  for (int with_title = 0; with_title < 2; with_title++) {
    assert_int_equal(
        hp_fig_slice(tmp("f.png"), with_title ? title : NULL, slabs, labels, 2, n, 2, 128.0, &st),
        0);
    int w, h, x0, y0, x1, y1;
    uint8_t *rgb = read_png(tmp("f.png"), &w, &h);
    assert_non_null(rgb);
    assert_true(w >= 900 && h >= 500);
    /* the title is the only thing in the top 40 rows */
    const int top = dark_box(rgb, w, 40, &x0, &y0, &x1, &y1);
    assert_true(with_title ? top > 100 : top == 0);
    /* both ends of the palette appear (the colour bar and the panels) */
    uint8_t pal[256][3];
    hp_png_colormap(pal);
    int lo = 0, hi = 0;
    for (int i = 0; i < w * h; i++) {
      lo += !memcmp(rgb + 3 * i, pal[0], 3);
      hi += !memcmp(rgb + 3 * i, pal[255], 3);
    }
    assert_true(lo > 100 && hi > 100);
    free(rgb);
  }
  assert_int_equal(hp_fig_slice(tmp("f.svg"), title, slabs, labels, 2, n, 2, 128.0, &st), 0);
  FILE *f = fopen(tmp("f.svg"), "r");
  assert_non_null(f);
  static char svg[1 << 20];
  const size_t len = fread(svg, 1, sizeof svg - 1, f);
  fclose(f);
  svg[len] = '\0';
  assert_int_equal(count_str(svg, "<image "), 3); /* two panels and the colour bar */
  assert_int_equal(count_str(svg, "<text"), count_str(svg, "</text>"));
  assert_true(count_str(svg, "[Mpc/h]</text>") >= 3); /* x axes of both panels, y axis */
  assert_non_null(strstr(svg, "B: painted"));
  assert_non_null(strstr(svg, "log10(rho/rho_mean)"));
  assert_non_null(strstr(svg, "16 Mpc/h thick"));
  assert_non_null(strstr(svg, "</svg>"));
  /* a .jpg is neither: refused, named, nothing written */
  assert_int_equal(hp_fig_slice(tmp("f.jpg"), title, slabs, labels, 2, n, 2, 128.0, &st),
                   HP_ERR_INPUT);
  assert_non_null(strstr(st.msg, "f.jpg"));
  assert_non_null(strstr(st.msg, ".png or .svg"));
  assert_int_equal(access(tmp("f.jpg"), F_OK), -1);
  assert_int_equal(hp_fig_slice(tmp("g.png"), title, slabs, labels, 0, n, 2, 128.0, &st),
                   HP_ERR_INPUT);
  free(a);
  free(b);
}

/* A (K, n, n, n) grid as `paint` writes it: /counts, BoxSize on the root, and (if edges)
 * Model/MassBinEdges. */
static int write_counts(const char *path, const float *g, int k, int64_t n, double box,
                        const double *edges, hp_status *st) {
  hid_t f, d, m;
  const hsize_t dims[4] = {(hsize_t)k, (hsize_t)n, (hsize_t)n, (hsize_t)n}, start[4] = {0};
  if (hp_h5_create(path, &f, st)) return st->code;
  int rc = hp_h5_create_dataset(f, "counts", H5T_IEEE_F32LE, 4, dims, &d, st);
  if (!rc) {
    rc = hp_h5_write_slab(d, H5T_NATIVE_FLOAT, start, dims, g, st);
    H5Dclose(d);
  }
  if (!rc) rc = hp_h5_write_attr_double(f, "BoxSize", &box, 0, st);
  if (!rc && edges && !(rc = hp_h5_create_group(f, "Model", &m, st))) {
    rc = hp_h5_write_attr_double(m, "MassBinEdges", edges, (size_t)k + 1, st);
    H5Gclose(m);
  }
  H5Fclose(f);
  return rc;
}

/* truth.h5 (Poisson counts) and painted.h5 (means) of the shell test; see the top. */
static int write_grids(const char *dir) {
  const int64_t n = 32, n3 = n * n * n;
  const double box = 128.0, edges[3] = {1e12, 1e13, 1e15};
  const double truth_mean[2] = {50.0, 10.0}, painted_mean[2] = {0.2, 0.05};
  float *t = malloc(sizeof(float) * 2 * n3), *p = malloc(sizeof(float) * 2 * n3);
  double *m = malloc(sizeof(double) * n3);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!t || !p || !m || !r) return 1;
  gsl_rng_set(r, 1234);
  for (int64_t i = 0; i < n3; i++) m[i] = exp(gsl_ran_gaussian(r, 0.6) - 0.18); /* lognormal */
  for (int k = 0; k < 2; k++)
    for (int64_t i = 0; i < n3; i++) {
      t[k * n3 + i] = (float)gsl_ran_poisson(r, truth_mean[k] * m[i]);
      p[k * n3 + i] = (float)(painted_mean[k] * m[i]);
    }
  hp_status st;
  char path[600];
  snprintf(path, sizeof path, "%s/truth.h5", dir);
  int rc = write_counts(path, t, 2, n, box, edges, &st);
  snprintf(path, sizeof path, "%s/painted.h5", dir);
  if (!rc) rc = write_counts(path, p, 2, n, box, edges, &st);
  if (rc) fprintf(stderr, "test_stats_slice: %s\n", st.msg);
  gsl_rng_free(r);
  free(t);
  free(p);
  free(m);
  return rc;
}

/* MassBinEdges are found on the group Model (none: 0); a mean field has no shot noise, counts
 * have V / N; an unknown kind is refused. */
static void test_grid_kinds(void **state) {
  (void)state;
  hp_status st;
  const int64_t n = 8, n3 = n * n * n;
  float *g = malloc(sizeof(float) * 2 * n3);
  for (int64_t i = 0; i < 2 * n3; i++) g[i] = (float)(1 + i % 3);
  const double edges[3] = {1e12, 1e13, 1e15};
  assert_int_equal(write_counts(tmp("e.h5"), g, 2, n, 64.0, edges, &st), 0);
  assert_int_equal(write_counts(tmp("ne.h5"), g, 2, n, 64.0, NULL, &st), 0);
  double e[8];
  const char *where;
  assert_int_equal(hp_stats_grid_mass_edges(tmp("e.h5"), "counts", e, 8, &where), 3);
  assert_true(e[0] == 1e12 && e[1] == 1e13 && e[2] == 1e15);
  assert_string_equal(where, "Model/MassBinEdges");
  assert_int_equal(hp_stats_grid_mass_edges(tmp("e.h5"), "counts", e, 2, &where), 0);
  assert_int_equal(hp_stats_grid_mass_edges(tmp("ne.h5"), "counts", e, 8, &where), 0);
  assert_int_equal(hp_stats_grid_mass_edges(tmp("missing.h5"), "counts", e, 8, NULL), 0);
  hp_stats_fft *fft;
  assert_int_equal(hp_stats_fft_create(&fft, n, 1, &st), 0);
  double sum = 0;
  for (int64_t i = 0; i < n3; i++) sum += g[i];
  for (int kind = HP_GRID_COUNTS; kind <= HP_GRID_MEAN + 1; kind++) {
    hp_stats_field f;
    assert_int_equal(hp_stats_field_alloc(&f, n, 64.0, &st), 0);
    const int rc = hp_stats_field_from_grid(fft, g, kind, HP_WIN_NONE, 0, &f, &st);
    if (kind == HP_GRID_COUNTS) assert_true(rc == 0 && fabs(f.shot - 64.0 * 64 * 64 / sum) < 1e-9);
    if (kind == HP_GRID_MEAN) assert_true(rc == 0 && f.shot == 0 && f.shot3 == 0 && f.nbar == 0);
    if (kind > HP_GRID_MEAN) assert_int_equal(rc, HP_ERR_INPUT);
    hp_stats_field_free(&f);
  }
  hp_stats_fft_destroy(fft);
  free(g);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--write-grids")) return write_grids(argv[2]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_png_round_trip),
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_slice_figure),
      cmocka_unit_test(test_grid_kinds),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
