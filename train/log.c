/* The training loss log: CSV table and SVG plot (train/log.h). */
#define _POSIX_C_SOURCE 200809L
#include "train/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"

#define NCOL 9 /* the fixed columns */
#define HEADER_MAX (256 + HP_NET_MAX_K * HP_TRAIN_LOG_BIN_COLS * 24)

static const char *const bin_names[HP_TRAIN_LOG_BIN_COLS] = {"loss", "corr", "mean", "bias"};

void hp_train_log_header(int nbins, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "%s",
                              "update,critic_loss,generator_loss,wasserstein,validation_loss,"
                              "time_s,gradient_penalty,poisson_loss,validation_corr");
  for (int k = 0; k < nbins && n < size; k++)
    for (int q = 0; q < HP_TRAIN_LOG_BIN_COLS && n < size; q++)
      n += (size_t)snprintf(buf + n, size - n, ",validation_%s_%d", bin_names[q], k);
}

/* Column c >= 1 of a row: the fixed ones, then the per-bin sets. */
static double *field(hp_train_log_row *r, int c) {
  double *f[NCOL - 1] = {&r->critic_loss,     &r->generator_loss, &r->wasserstein,
                         &r->validation_loss, &r->time_s,         &r->gradient_penalty,
                         &r->poisson_loss,    &r->validation_corr};
  if (c < NCOL) return f[c - 1];
  return &r->bin[(c - NCOL) / HP_TRAIN_LOG_BIN_COLS][(c - NCOL) % HP_TRAIN_LOG_BIN_COLS];
}

/* Column c of a row as written: nan for a per-bin set the row does not have. */
static double value(const hp_train_log_row *r, int c) {
  if (c >= NCOL && (c - NCOL) / HP_TRAIN_LOG_BIN_COLS >= r->nbins) return NAN;
  return *field((hp_train_log_row *)r, c);
}

/* Per-bin column sets named by a header line, or -1 if it is not a log header of this layout. */
static int header_bins(const char *line) {
  char want[HEADER_MAX];
  int commas = 0;
  for (const char *c = line; *c; c++) commas += *c == ',';
  const int extra = commas + 1 - NCOL;
  if (extra < 0 || extra % HP_TRAIN_LOG_BIN_COLS || extra / HP_TRAIN_LOG_BIN_COLS > HP_NET_MAX_K)
    return -1;
  hp_train_log_header(extra / HP_TRAIN_LOG_BIN_COLS, want, sizeof want);
  return strcmp(line, want) ? -1 : extra / HP_TRAIN_LOG_BIN_COLS;
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
  int rc = HP_OK, nbins = 0;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    if (lineno == 1) {
      if ((nbins = header_bins(line)) < 0)
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
    memset(r, 0, sizeof *r);
    r->nbins = nbins;
    const int ncol = NCOL + HP_TRAIN_LOG_BIN_COLS * nbins;
    char *s = line, *end;
    r->update = strtoll(s, &end, 10);
    int c = 1;
    for (; c < ncol && end != s && *end == ','; c++) {
      s = end + 1;
      *field(r, c) = strtod(s, &end);
    }
    if (c != ncol || end == s || *end) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %lld: expected %d comma-separated numbers", path,
                   (long long)lineno, ncol);
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
  int nbins = 0;
  for (int64_t i = 0; i < n; i++) nbins = rows[i].nbins > nbins ? rows[i].nbins : nbins;
  char head[HEADER_MAX];
  hp_train_log_header(nbins, head, sizeof head);
  fprintf(f, "%s\n", head);
  for (int64_t i = 0; i < n; i++) {
    fprintf(f, "%lld", (long long)rows[i].update);
    for (int c = 1; c < NCOL + HP_TRAIN_LOG_BIN_COLS * nbins; c++) put(f, value(&rows[i], c));
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
  int col;    /* field index */
  int dashed; /* 1: a dashed line */
} series;

static void panel(FILE *f, const hp_train_log_row *rows, int64_t n, int top, const char *title,
                  const series *s, int ns) {
  const int x0 = ML, x1 = W - MR, y0 = top, y1 = top + PH - 30;
  double lo = INFINITY, hi = -INFINITY;
  const double u0 = n ? (double)rows[0].update : 0, u1 = n ? (double)rows[n - 1].update : 1;
  for (int k = 0; k < ns; k++)
    for (int64_t i = 0; i < n; i++) {
      const double v = value(&rows[i], s[k].col);
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
      const double v = value(&rows[i], s[k].col);
      if (!isfinite(v)) {
        if (open) fputs("\"/>\n", f);
        open = 0;
        continue;
      }
      const double x = x0 + (x1 - x0) * ((double)rows[i].update - u0) / du;
      const double y = y1 - (y1 - y0) * (v - lo) / (hi - lo);
      if (!open)
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\"%s points=\"",
                s[k].colour, s[k].dashed ? " stroke-dasharray=\"5,3\"" : "");
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
  const int h = MT + 5 * (PH + GAP);
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
  const series s1[2] = {{"generator loss", "#1f77b4", 2, 0}, {"critic loss", "#d62728", 1, 0}};
  const series s2[2] = {{"Wasserstein estimate", "#2ca02c", 3, 0},
                        {"gradient penalty", "#9467bd", 6, 0}};
  const series s3[2] = {{"validation Poisson NLL", "#ff7f0e", 4, 0},
                        {"validation correlation", "#17becf", 8, 0}};
  panel(f, rows, n, MT + 10, "training losses (mean per log interval)", s1, 2);
  panel(f, rows, n, MT + 10 + PH + GAP, "critic", s2, 2);
  panel(f, rows, n, MT + 10 + 2 * (PH + GAP), "validation: Poisson NLL per voxel and bin", s3, 1);
  panel(f, rows, n, MT + 10 + 3 * (PH + GAP), "validation: correlation of painted and true counts",
        s3 + 1, 1);
  /* the first bins' bias and abundance ratios (the legend holds eight lines) */
  static const char *const colour[4] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  char names[8][48];
  series s4[8];
  int nb = 0, ns = 0;
  for (int64_t i = 0; i < n; i++) nb = rows[i].nbins > nb ? rows[i].nbins : nb;
  for (int k = 0; k < nb && k < 4; k++)
    for (int q = 2; q < 4; q++) {
      snprintf(names[ns], sizeof names[ns], "bin %d %s", k, q == 3 ? "bias" : "abundance");
      s4[ns] = (series){names[ns], colour[k], NCOL + k * HP_TRAIN_LOG_BIN_COLS + q, q == 2};
      ns++;
    }
  panel(f, rows, n, MT + 10 + 4 * (PH + GAP),
        "validation per bin: large-scale bias and abundance, painted / true", s4, ns);
  fprintf(f,
          "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">generator "
          "update</text>\n</svg>\n",
          (ML + W - MR) / 2, h - 8);
  return finish(f, &af, st);
}
