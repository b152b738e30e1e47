/* The training loss log: CSV table and SVG plot (train/log.h). */
#define _POSIX_C_SOURCE 200809L
#include "train/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"

#define NCOL 9

const char *hp_train_log_header(void) {
  return "update,critic_loss,generator_loss,wasserstein,validation_loss,time_s,"
         "gradient_penalty,poisson_loss,validation_corr";
}

static double *field(hp_train_log_row *r, int c) {
  double *f[NCOL - 1] = {&r->critic_loss,     &r->generator_loss, &r->wasserstein,
                         &r->validation_loss, &r->time_s,         &r->gradient_penalty,
                         &r->poisson_loss,    &r->validation_corr};
  return f[c - 1];
}

int hp_train_log_read(const char *path, hp_train_log_row **rows, int64_t *n, hp_status *st) {
  *rows = NULL, *n = 0;
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) return HP_OK;
    return hp_fail(st, HP_ERR_IO, "cannot read the log %s: %s", path, strerror(errno));
  }
  char *line = NULL;
  size_t cap = 0;
  int64_t lineno = 0, nalloc = 0;
  int rc = HP_OK;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (lineno == 1) {
      if (strcmp(line, hp_train_log_header()))
        rc = hp_fail(st, HP_ERR_FORMAT,
                     "%s line 1: not a training log of this version (header \"%.80s\"): move it "
                     "away or choose another TrainLog",
                     path, line);
      if (rc) break;
      continue;
    }
    if (!line[0]) continue;
    if (*n == nalloc) {
      nalloc = nalloc ? 2 * nalloc : 256;
      hp_train_log_row *nr = realloc(*rows, sizeof *nr * (size_t)nalloc);
      if (!nr) {
        rc = hp_fail(st, HP_ERR_NOMEM, "reading %s: out of memory", path);
        break;
      }
      *rows = nr;
    }
    hp_train_log_row *r = &(*rows)[*n];
    char *s = line, *end;
    r->update = strtoll(s, &end, 10);
    int c = 1;
    for (; c < NCOL && end != s && *end == ','; c++) {
      s = end + 1;
      *field(r, c) = strtod(s, &end);
    }
    if (c != NCOL || end == s || *end) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %lld: expected %d comma-separated numbers", path,
                   (long long)lineno, NCOL);
      break;
    }
    (*n)++;
  }
  free(line);
  fclose(f);
  if (rc) {
    free(*rows);
    *rows = NULL, *n = 0;
  }
  return rc;
}

static void put(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, ",%.9g", v);
  else
    fputs(",nan", f);
}

/* Open the temporary file of an atomic write. */
static FILE *begin(hp_atomic_file *af, const char *path, hp_status *st) {
  if (hp_atomic_begin(af, path, st)) return NULL;
  FILE *f = fopen(af->tmp_path, "w");
  if (!f) hp_fail(st, HP_ERR_IO, "cannot write %s: %s", af->tmp_path, strerror(errno));
  return f;
}

static int finish(FILE *f, hp_atomic_file *af, hp_status *st) {
  const int bad = ferror(f);
  errno = 0;
  if (fclose(f) != 0 || bad) {
    const int e = errno;
    hp_atomic_abort(af);
    return hp_fail(st, HP_ERR_IO, "cannot write %s: %s", af->final_path,
                   e ? strerror(e) : "write error");
  }
  return hp_atomic_commit(af, st);
}

int hp_train_log_write(const char *path, const hp_train_log_row *rows, int64_t n, hp_status *st) {
  hp_atomic_file af;
  FILE *f = begin(&af, path, st);
  if (!f) return st->code;
  fprintf(f, "%s\n", hp_train_log_header());
  for (int64_t i = 0; i < n; i++) {
    hp_train_log_row r = rows[i];
    fprintf(f, "%lld", (long long)r.update);
    for (int c = 1; c < NCOL; c++) put(f, *field(&r, c));
    fputc('\n', f);
  }
  return finish(f, &af, st);
}

/* ---- SVG ------------------------------------------------------------------------------------ */

#define W 820
#define PH 230 /* panel height */
#define ML 80  /* left margin */
#define MR 20
#define MT 40 /* top margin of the first panel */
#define GAP 40

typedef struct series {
  const char *name, *colour;
  int col; /* field index */
} series;

static void panel(FILE *f, const hp_train_log_row *rows, int64_t n, int top, const char *title,
                  const series *s, int ns) {
  const int x0 = ML, x1 = W - MR, y0 = top, y1 = top + PH - 30;
  double lo = INFINITY, hi = -INFINITY;
  const double u0 = n ? (double)rows[0].update : 0, u1 = n ? (double)rows[n - 1].update : 1;
  for (int k = 0; k < ns; k++)
    for (int64_t i = 0; i < n; i++) {
      hp_train_log_row r = rows[i];
      const double v = *field(&r, s[k].col);
      if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
    }
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>\n", x0,
          y0 - 6, title);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n",
          x0, y0, x1 - x0, y1 - y0);
  if (!(lo <= hi)) {
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#888\">no data for this "
            "objective</text>\n",
            (x0 + x1) / 2 - 70, (y0 + y1) / 2);
    return;
  }
  if (hi == lo) hi = lo + (lo == 0 ? 1 : fabs(lo) * 1e-3), lo -= (hi - lo);
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  const double du = u1 > u0 ? u1 - u0 : 1;
  for (int t = 0; t <= 4; t++) { /* ticks */
    const double v = lo + (hi - lo) * t / 4, y = y1 - (y1 - y0) * (double)t / 4;
    const double u = u0 + du * t / 4, x = x0 + (x1 - x0) * (double)t / 4;
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
            "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4g</text>\n",
            x0, y, x1, y, x0 - 4, y + 4, v);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f</text>\n", x,
            y1 + 14, u);
  }
  for (int k = 0; k < ns; k++) {
    int open = 0;
    for (int64_t i = 0; i < n; i++) {
      hp_train_log_row r = rows[i];
      const double v = *field(&r, s[k].col);
      if (!isfinite(v)) {
        if (open) fputs("\"/>\n", f);
        open = 0;
        continue;
      }
      const double x = x0 + (x1 - x0) * ((double)r.update - u0) / du;
      const double y = y1 - (y1 - y0) * (v - lo) / (hi - lo);
      if (!open)
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" points=\"",
                s[k].colour);
      fprintf(f, "%.1f,%.1f ", x, y);
      open = 1;
    }
    if (open) fputs("\"/>\n", f);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>\n", x1 - 170,
            y0 + 14 + 13 * k, s[k].colour, s[k].name);
  }
}

int hp_train_log_svg(const char *path, const hp_train_log_row *rows, int64_t n, const char *title,
                     hp_status *st) {
  hp_atomic_file af;
  FILE *f = begin(&af, path, st);
  if (!f) return st->code;
  const int h = MT + 4 * (PH + GAP);
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
          "<text x=\"%d\" y=\"20\" font-size=\"14\">",
          W, h, ML);
  for (const char *c = title; *c; c++) { /* escape the title */
    if (*c == '<')
      fputs("&lt;", f);
    else if (*c == '>')
      fputs("&gt;", f);
    else if (*c == '&')
      fputs("&amp;", f);
    else
      fputc(*c, f);
  }
  fputs("</text>\n", f);
  const series s1[2] = {{"generator loss", "#1f77b4", 2}, {"critic loss", "#d62728", 1}};
  const series s2[2] = {{"Wasserstein estimate", "#2ca02c", 3}, {"gradient penalty", "#9467bd", 6}};
  const series s3[2] = {{"validation Poisson NLL", "#ff7f0e", 4},
                        {"validation correlation", "#17becf", 8}};
  panel(f, rows, n, MT + 10, "training losses (mean per log interval)", s1, 2);
  panel(f, rows, n, MT + 10 + PH + GAP, "critic", s2, 2);
  panel(f, rows, n, MT + 10 + 2 * (PH + GAP), "validation: Poisson NLL per voxel and bin", s3, 1);
  panel(f, rows, n, MT + 10 + 3 * (PH + GAP), "validation: correlation of painted and true counts",
        s3 + 1, 1);
  fprintf(f,
          "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">generator "
          "update</text>\n</svg>\n",
          (ML + W - MR) / 2, h - 8);
  return finish(f, &af, st);
}
