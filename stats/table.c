/*
 * Text tables of statistics (table.h): commented header, named columns with units, rows of
 * "%.17g" numbers (exact round trip), atomic writes.
 */
#define _POSIX_C_SOURCE 200809L
#include "stats/table.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"

static char *dup_str(const char *s) {
  const size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int hp_stats_table_init(hp_stats_table *t, int ncols, const char *const *names, int64_t nrows,
                        hp_status *st) {
  memset(t, 0, sizeof *t);
  if (ncols < 1 || nrows < 0)
    return hp_fail(st, HP_ERR_INPUT, "table: %d columns, %lld rows", ncols, (long long)nrows);
  t->names = calloc((size_t)ncols, sizeof *t->names);
  t->data = calloc((size_t)(nrows * ncols > 0 ? nrows * ncols : 1), sizeof *t->data);
  if (!t->names || !t->data) {
    hp_stats_table_free(t);
    return hp_fail(st, HP_ERR_NOMEM, "table of %lld x %d", (long long)nrows, ncols);
  }
  t->ncols = ncols;
  t->nrows = nrows;
  for (int c = 0; c < ncols; c++) {
    if (!names[c] || !names[c][0] || strpbrk(names[c], " \t\r\n")) {
      hp_stats_table_free(t);
      return hp_fail(st, HP_ERR_INPUT, "table: column %d name '%s' is empty or has spaces", c,
                     names[c] ? names[c] : "(null)");
    }
    if (!(t->names[c] = dup_str(names[c]))) {
      hp_stats_table_free(t);
      return hp_fail(st, HP_ERR_NOMEM, "table column names");
    }
  }
  return HP_OK;
}

void hp_stats_table_free(hp_stats_table *t) {
  if (!t) return;
  for (int c = 0; t->names && c < t->ncols; c++) free(t->names[c]);
  for (int c = 0; c < t->ncomments; c++) free(t->comments[c]);
  free(t->names);
  free(t->comments);
  free(t->data);
  memset(t, 0, sizeof *t);
}

static int add_comment(hp_stats_table *t, const char *line, hp_status *st) {
  char **c = realloc(t->comments, (size_t)(t->ncomments + 1) * sizeof *c);
  if (!c) return hp_fail(st, HP_ERR_NOMEM, "table comment");
  t->comments = c;
  if (!(c[t->ncomments] = dup_str(line))) return hp_fail(st, HP_ERR_NOMEM, "table comment");
  /* line breaks would break the format */
  for (char *p = c[t->ncomments]; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  t->ncomments++;
  return HP_OK;
}

int hp_stats_table_comment(hp_stats_table *t, hp_status *st, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return add_comment(t, buf, st);
}

int hp_stats_table_column(const hp_stats_table *t, const char *prefix) {
  const size_t n = strlen(prefix);
  for (int c = 0; c < t->ncols; c++)
    if (!strncmp(t->names[c], prefix, n)) return c;
  return -1;
}

int hp_stats_table_print(const hp_stats_table *t, FILE *out, hp_status *st) {
  for (int c = 0; c < t->ncomments; c++) fprintf(out, "# %s\n", t->comments[c]);
  fprintf(out, "# columns:");
  for (int c = 0; c < t->ncols; c++) fprintf(out, " %s", t->names[c]);
  fputc('\n', out);
  for (int64_t r = 0; r < t->nrows; r++) {
    for (int c = 0; c < t->ncols; c++) {
      const double v = HP_TABLE_AT(t, r, c);
      if (isnan(v))
        fprintf(out, "%snan", c ? " " : "");
      else
        fprintf(out, "%s%.17g", c ? " " : "", v);
    }
    fputc('\n', out);
  }
  if (ferror(out)) return hp_fail(st, HP_ERR_IO, "table: write error");
  return HP_OK;
}

int hp_stats_table_write(const hp_stats_table *t, const char *path, hp_status *st) {
  hp_atomic_file af;
  if (hp_atomic_begin(&af, path, st)) return st->code;
  FILE *f = fopen(af.tmp_path, "w");
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot write %s: %s", af.tmp_path, strerror(errno));
  int rc = hp_stats_table_print(t, f, st);
  errno = 0;
  if (fclose(f) != 0 && !rc)
    rc = hp_fail(st, HP_ERR_IO, "%s: close failed: %s", path,
                 errno ? strerror(errno) : "write error");
  if (rc) {
    hp_atomic_abort(&af);
    return hp_error_context(st, "%s", path);
  }
  return hp_atomic_commit(&af, st);
}

int hp_stats_table_read(hp_stats_table *t, const char *path, hp_status *st) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "r");
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int64_t lineno = 0, rcap = 0;
  int rc = HP_OK;
  char **comments = NULL;
  int ncom = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (line[0] == '#') {
      const char *s = line + 1;
      if (*s == ' ') s++;
      if (!strncmp(s, "columns:", 8) && t->ncols == 0) {
        const char *names[4096];
        int nc = 0;
        for (char *tok = strtok(line + (s - line) + 8, " \t"); tok && nc < 4096;
             tok = strtok(NULL, " \t"))
          names[nc++] = tok;
        if ((rc = hp_stats_table_init(t, nc, names, 0, st))) break;
      } else {
        char **cc = realloc(comments, (size_t)(ncom + 1) * sizeof *cc);
        if (!cc || !(cc[ncom] = dup_str(s))) {
          if (cc) comments = cc;
          rc = hp_fail(st, HP_ERR_NOMEM, "table comments");
          break;
        }
        comments = cc;
        ncom++;
      }
      continue;
    }
    if (strspn(line, " \t") == (size_t)len) continue; /* blank */
    if (t->ncols == 0) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %lld: data before the '# columns:' line", path,
                   (long long)lineno);
      break;
    }
    if (t->nrows == rcap) {
      rcap = rcap ? 2 * rcap : 64;
      double *d = realloc(t->data, (size_t)(rcap * t->ncols) * sizeof *d);
      if (!d) {
        rc = hp_fail(st, HP_ERR_NOMEM, "table rows");
        break;
      }
      t->data = d;
    }
    char *p = line, *end;
    int c;
    for (c = 0; c < t->ncols; c++) {
      errno = 0;
      const double v = strtod(p, &end);
      if (end == p) break;
      HP_TABLE_AT(t, t->nrows, c) = v;
      p = end;
    }
    if (c < t->ncols || strspn(p, " \t") != strlen(p)) {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s line %lld: expected %d numbers", path, (long long)lineno,
                   t->ncols);
      break;
    }
    t->nrows++;
  }
  free(line);
  fclose(f);
  if (!rc && t->ncols == 0) rc = hp_fail(st, HP_ERR_FORMAT, "%s: no '# columns:' line", path);
  if (!rc) {
    t->comments = comments;
    t->ncomments = ncom;
  } else {
    for (int i = 0; i < ncom; i++) free(comments[i]);
    free(comments);
    hp_stats_table_free(t);
  }
  return rc;
}
