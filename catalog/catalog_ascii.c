/*
 * Halo catalogue as text: a '#' header (`# [Header]` and `# [Parameters]` sections of
 * `# Key = Value` lines, then `# columns:` naming every column with its unit), then one halo
 * per line. Numbers are written with the fewest digits that read back to the identical binary
 * value (%.7g for floats and %.10g for masses where that is exact, up to 9 and 17 digits
 * otherwise), so an ASCII round trip is lossless. The reader checks every line and names the
 * file and line of the first problem. Layout: catalog/catalog.h and docs/catalog.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "util/atomic_file.h"

/* ------------------------------------------------------------------------------------------ */
/* Number formatting                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* Fewest digits (>= 7) of %g that read back to the same float. */
static void fmt_float(char *buf, size_t size, float v) {
  for (int p = 7; p <= 9; p++) {
    snprintf(buf, size, "%.*g", p, (double)v);
    if (p == 9 || strtof(buf, NULL) == v) return;
  }
}

/* Fewest digits (>= @p min_digits) of %g that read back to the same double. */
static void fmt_double(char *buf, size_t size, double v, int min_digits) {
  for (int p = min_digits; p <= 17; p++) {
    snprintf(buf, size, "%.*g", p, v);
    if (p == 17 || strtod(buf, NULL) == v) return;
  }
}

/* Write @p s with backslash, newline and carriage return escaped. */
static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\\\", f);
    else if (*s == '\n')
      fputs("\\n", f);
    else if (*s == '\r')
      fputs("\\r", f);
    else
      fputc(*s, f);
  }
}

/* Undo put_escaped in place; returns 0, or 1 on an unknown escape. */
static int unescape(char *s) {
  char *w = s;
  for (const char *r = s; *r; r++) {
    if (*r != '\\') {
      *w++ = *r;
      continue;
    }
    r++;
    if (*r == '\\')
      *w++ = '\\';
    else if (*r == 'n')
      *w++ = '\n';
    else if (*r == 'r')
      *w++ = '\r';
    else
      return 1;
  }
  *w = '\0';
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Columns                                                                                    */
/* ------------------------------------------------------------------------------------------ */

enum { MAX_COLS = 13 };

/* Column names and units in file order, for the optional columns present. */
static int column_list(unsigned cols, const char *name[MAX_COLS], const char *unit[MAX_COLS]) {
  int k = 0;
  static const char *const pos[3] = {"x", "y", "z"}, *const vel[3] = {"vx", "vy", "vz"},
                           *const lag[3] = {"lagr_x", "lagr_y", "lagr_z"};
  for (int a = 0; a < 3; a++) name[k] = pos[a], unit[k++] = "Mpc/h";
  for (int a = 0; a < 3; a++) name[k] = vel[a], unit[k++] = "km/s";
  name[k] = "mass", unit[k++] = "Msun/h";
  name[k] = "id", unit[k++] = "";
  if (cols & HP_CAT_NPART) name[k] = "npart", unit[k++] = "";
  if (cols & HP_CAT_LAGRANGE)
    for (int a = 0; a < 3; a++) name[k] = lag[a], unit[k++] = "Mpc/h";
  if (cols & HP_CAT_MASSBIN) name[k] = "mass_bin", unit[k++] = "";
  return k;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void put_kv_double(FILE *f, const char *key, double v) {
  char b[64];
  fmt_double(b, sizeof b, v, 1);
  fprintf(f, "# %s = %s\n", key, b);
}

static void put_kv_string(FILE *f, const char *key, const char *field, size_t size) {
  char buf[600];
  memcpy(buf, field, size);
  buf[size] = '\0';
  fprintf(f, "# %s = ", key);
  put_escaped(f, buf);
  fputc('\n', f);
}

static void write_text(FILE *f, const hp_catalog *c) {
  const hp_catalog_header *h = &c->hdr;
  const char *name[MAX_COLS], *unit[MAX_COLS];
  const int ncol = column_list(c->columns, name, unit);
  char b[64];
  fputs("# halopaint halo catalogue, ASCII form (docs/catalog.md)\n# [Header]\n", f);
  fprintf(f, "# FormatVersion = %d\n", HP_CATALOG_FORMAT_VERSION);
  put_kv_double(f, "BoxSize", h->box);
  put_kv_double(f, "Redshift", h->redshift);
  put_kv_double(f, "Omega0", h->omega_m);
  put_kv_double(f, "OmegaLambda", h->omega_l);
  put_kv_double(f, "OmegaBaryon", h->omega_b);
  put_kv_double(f, "HubbleParam", h->h);
  put_kv_double(f, "Sigma8", h->sigma8);
  put_kv_double(f, "PrimordialIndex", h->n_s);
  put_kv_double(f, "ParticleMass", h->particle_mass);
  fprintf(f, "# Seed = %lld\n", (long long)h->seed);
  put_kv_string(f, "MassDefinition", h->mass_def, sizeof h->mass_def);
  put_kv_string(f, "Command", h->command, sizeof h->command);
  put_kv_string(f, "Software", h->software, sizeof h->software);
  fprintf(f, "# NumHalos = %lld\n", (long long)c->n);
  fprintf(f, "# UnitLength = %s\n# UnitVelocity = %s\n# UnitMass = %s\n", HP_CAT_UNIT_LENGTH,
          HP_CAT_UNIT_VELOCITY, HP_CAT_UNIT_MASS);
  fputs("# [Parameters]\n", f);
  for (int i = 0; i < c->nparams; i++) {
    fprintf(f, "# %s = ", c->param_key[i]);
    put_escaped(f, c->param_value[i] != NULL ? c->param_value[i] : "");
    fputc('\n', f);
  }
  fputs("# columns:", f);
  for (int k = 0; k < ncol; k++) fprintf(f, unit[k][0] ? " %s[%s]" : " %s", name[k], unit[k]);
  fputc('\n', f);
  for (int64_t i = 0; i < c->n; i++) {
    for (int a = 0; a < 3; a++) fmt_float(b, sizeof b, c->pos[3 * i + a]), fprintf(f, "%s ", b);
    for (int a = 0; a < 3; a++) fmt_float(b, sizeof b, c->vel[3 * i + a]), fprintf(f, "%s ", b);
    fmt_double(b, sizeof b, c->mass[i], 10);
    fprintf(f, "%s %lld", b, (long long)c->id[i]);
    if (c->columns & HP_CAT_NPART) fprintf(f, " %d", (int)c->npart[i]);
    if (c->columns & HP_CAT_LAGRANGE)
      for (int a = 0; a < 3; a++)
        fmt_float(b, sizeof b, c->lagr_pos[3 * i + a]), fprintf(f, " %s", b);
    if (c->columns & HP_CAT_MASSBIN) fprintf(f, " %d", (int)c->mass_bin[i]);
    fputc('\n', f);
  }
}

int hp_catalog_write_ascii(const hp_catalog *c, const char *path, hp_status *st) {
  hp_atomic_file af;
  FILE *f;
  int rc = hp_catalog_validate(c, path, st);
  if (rc) return hp_error_context(st, "not writing %s", path);
  for (int i = 0; i < c->nparams; i++) {
    const char *k = c->param_key[i];
    if (k == NULL || k[0] == '\0' || strpbrk(k, " \t\r\n=") != NULL)
      return hp_fail(st, HP_ERR_INPUT,
                     "not writing %s: parameter %d has an empty or unwritable key", path, i);
    for (int j = 0; j < i; j++)
      if (strcmp(k, c->param_key[j]) == 0)
        return hp_fail(st, HP_ERR_INPUT, "not writing %s: duplicate parameter key '%s'", path, k);
  }
  rc = hp_atomic_begin(&af, path, st);
  if (rc) return rc;
  f = fopen(af.tmp_path, "w");
  if (f == NULL)
    return hp_fail(st, HP_ERR_IO, "writing halo catalogue %s: cannot create %s: %s", path,
                   af.tmp_path, strerror(errno));
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  write_text(f, c);
  rc = ferror(f);
  if (fclose(f) != 0 || rc) {
    int e = errno;
    hp_atomic_abort(&af);
    return hp_fail(st, HP_ERR_IO, "writing halo catalogue %s: write error: %s", path, strerror(e));
  }
  rc = hp_atomic_commit(&af, st);
  if (rc) return hp_error_context(st, "writing halo catalogue %s", path);
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Header keys, in the order of the `have` bits of the reader. */
enum {
  H_BOX,
  H_Z,
  H_OM,
  H_OL,
  H_OB,
  H_H,
  H_S8,
  H_NS,
  H_PMASS,
  H_SEED,
  H_MASSDEF,
  H_COMMAND,
  H_SOFTWARE,
  H_NUMHALOS,
  H_VERSION,
  H_NKEYS
};
static const char *const HEADER_KEYS[H_NKEYS] = {
    "BoxSize",        "Redshift", "Omega0",          "OmegaLambda",  "OmegaBaryon",
    "HubbleParam",    "Sigma8",   "PrimordialIndex", "ParticleMass", "Seed",
    "MassDefinition", "Command",  "Software",        "NumHalos",     "FormatVersion"};

/* State of one ASCII read. */
typedef struct reader {
  const char *path; /* for messages */
  long line;        /* current line number (1-based) */
  hp_status *st;
  hp_catalog_header hdr;
  int64_t nhalos;
  unsigned have; /* bit k: header key k seen */
  int nparams, cap;
  char **pkey, **pval;
} reader;

/* Fail naming the file and the current line. */
static int rfail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rfail(reader *r, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return hp_fail(r->st, HP_ERR_FORMAT, "%s line %ld: %s", r->path, r->line, msg);
}

static int parse_double(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return end == s || *end != '\0' || errno == ERANGE;
}

static int parse_int64(const char *s, int64_t *v) {
  char *end;
  long long x;
  errno = 0;
  x = strtoll(s, &end, 10);
  *v = (int64_t)x;
  return end == s || *end != '\0' || errno == ERANGE;
}

static int header_line(reader *r, const char *key, char *value) {
  int k = 0;
  while (k < H_NKEYS && strcmp(key, HEADER_KEYS[k]) != 0) k++;
  if (k == H_NKEYS) return HP_OK; /* unknown keys are ignored (forward compatibility) */
  if (r->have & (1u << k)) return rfail(r, "header key %s given twice", key);
  r->have |= 1u << k;
  if (unescape(value)) return rfail(r, "%s: bad escape sequence in '%s'", key, value);
  if (k <= H_PMASS) {
    double *dst[] = {&r->hdr.box,     &r->hdr.redshift, &r->hdr.omega_m,
                     &r->hdr.omega_l, &r->hdr.omega_b,  &r->hdr.h,
                     &r->hdr.sigma8,  &r->hdr.n_s,      &r->hdr.particle_mass};
    if (parse_double(value, dst[k])) return rfail(r, "%s = '%s' is not a number", key, value);
  } else if (k == H_SEED || k == H_NUMHALOS || k == H_VERSION) {
    int64_t v;
    if (parse_int64(value, &v)) return rfail(r, "%s = '%s' is not an integer", key, value);
    if (k == H_SEED) r->hdr.seed = v;
    if (k == H_NUMHALOS) {
      if (v < 0) return rfail(r, "%s = %s is negative", key, value);
      r->nhalos = v;
    }
    if (k == H_VERSION && (v < 1 || v > HP_CATALOG_FORMAT_VERSION))
      return rfail(r, "%s = %s: this halopaint reads version 1 (newer file?)", key, value);
  } else {
    char *dst =
        k == H_MASSDEF ? r->hdr.mass_def : (k == H_COMMAND ? r->hdr.command : r->hdr.software);
    size_t size = k == H_MASSDEF
                      ? sizeof r->hdr.mass_def
                      : (k == H_COMMAND ? sizeof r->hdr.command : sizeof r->hdr.software);
    if (strlen(value) >= size)
      return rfail(r, "%s is too long (at most %zu characters)", key, size - 1);
    memcpy(dst, value, strlen(value) + 1);
  }
  return HP_OK;
}

static int param_line(reader *r, const char *key, char *value) {
  if (unescape(value)) return rfail(r, "parameter %s: bad escape sequence in '%s'", key, value);
  for (int i = 0; i < r->nparams; i++)
    if (strcmp(r->pkey[i], key) == 0) return rfail(r, "parameter %s given twice", key);
  if (r->nparams == r->cap) {
    int cap = r->cap ? 2 * r->cap : 64;
    char **k = realloc(r->pkey, (size_t)cap * sizeof *k);
    if (k != NULL) r->pkey = k;
    char **v = k != NULL ? realloc(r->pval, (size_t)cap * sizeof *v) : NULL;
    if (v == NULL) return hp_fail(r->st, HP_ERR_NOMEM, "%s: cannot store parameters", r->path);
    r->pval = v;
    r->cap = cap;
  }
  r->pkey[r->nparams] = strdup(key);
  r->pval[r->nparams] = strdup(value);
  if (r->pkey[r->nparams] == NULL || r->pval[r->nparams] == NULL) {
    free(r->pkey[r->nparams]);
    free(r->pval[r->nparams]);
    return hp_fail(r->st, HP_ERR_NOMEM, "%s: cannot store parameters", r->path);
  }
  r->nparams++;
  return HP_OK;
}

/* Parse the `# columns:` line (text after "columns:"); allocates the catalogue. */
static int columns_line(reader *r, char *text, hp_catalog *c) {
  const char *name[MAX_COLS], *unit[MAX_COLS];
  unsigned cols = 0;
  char *tok[MAX_COLS + 1], *save = NULL;
  int ntok = 0;
  for (char *t = strtok_r(text, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
    if (ntok == MAX_COLS)
      return rfail(r, "more than %d columns in the '# columns:' line", MAX_COLS);
    tok[ntok++] = t;
  }
  for (int k = 0; k < ntok; k++) { /* which optional columns are named */
    size_t len = strcspn(tok[k], "[");
    if (strncmp(tok[k], "npart", len) == 0 && len == 5) cols |= HP_CAT_NPART;
    if (strncmp(tok[k], "lagr_x", len) == 0 && len == 6) cols |= HP_CAT_LAGRANGE;
    if (strncmp(tok[k], "mass_bin", len) == 0 && len == 8) cols |= HP_CAT_MASSBIN;
  }
  const int ncol = column_list(cols, name, unit);
  for (int k = 0; k < ncol; k++) {
    char want[64];
    snprintf(want, sizeof want, unit[k][0] ? "%s[%s]" : "%s", name[k], unit[k]);
    if (k >= ntok) return rfail(r, "'# columns:' line: column '%s' missing", want);
    if (strcmp(tok[k], want) != 0 && strcmp(tok[k], name[k]) != 0)
      return rfail(r, "'# columns:' line: found '%s' where '%s' was expected", tok[k], want);
  }
  if (ntok > ncol) return rfail(r, "'# columns:' line: unknown column '%s'", tok[ncol]);
  for (int k = 0; k < H_NKEYS; k++)
    if (k != H_VERSION && k != H_PMASS && !(r->have & (1u << k)))
      return rfail(r, "header key '%s' missing before the '# columns:' line", HEADER_KEYS[k]);
  if (!(isfinite(r->hdr.box) && r->hdr.box > 0))
    return rfail(r, "BoxSize = %g must be finite and > 0", r->hdr.box);
  int rc = hp_catalog_alloc(c, r->nhalos, cols, r->st);
  if (rc) return hp_error_context(r->st, "%s", r->path);
  return HP_OK;
}

/* Parse one halo line into row @p i. */
static int data_line(reader *r, char *s, hp_catalog *c, int64_t i) {
  const char *name[MAX_COLS], *unit[MAX_COLS];
  const int ncol = column_list(c->columns, name, unit);
  char *p = s;
  for (int k = 0; k < ncol; k++) {
    char *end;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\0') {
      return rfail(r, "halo %lld: only %d values, column '%s' missing", (long long)i, k, name[k]);
    }
    const int tl = (int)(strcspn(p, " \t") < 40 ? strcspn(p, " \t") : 40); /* token, for messages */
    errno = 0;
    const int is_int =
        !strcmp(name[k], "id") || !strcmp(name[k], "npart") || !strcmp(name[k], "mass_bin");
    if (is_int) {
      long long v = strtoll(p, &end, 10);
      if (end == p || (*end && *end != ' ' && *end != '\t') || errno == ERANGE)
        return rfail(r, "halo %lld, column '%s': '%.*s' is not an integer", (long long)i, name[k],
                     tl, p);
      if (strcmp(name[k], "id") == 0) {
        c->id[i] = (int64_t)v;
      } else {
        if (v < INT32_MIN || v > INT32_MAX)
          return rfail(r, "halo %lld, column '%s': %.*s out of range", (long long)i, name[k], tl,
                       p);
        (strcmp(name[k], "npart") == 0 ? c->npart : c->mass_bin)[i] = (int32_t)v;
      }
    } else if (strcmp(name[k], "mass") == 0) {
      double v = strtod(p, &end);
      if (end == p || (*end && *end != ' ' && *end != '\t'))
        return rfail(r, "halo %lld, column '%s': '%.*s' is not a number", (long long)i, name[k], tl,
                     p);
      if (!(isfinite(v) && v >= 0))
        return rfail(r, "halo %lld, column 'mass': %.*s is not finite and >= 0", (long long)i, tl,
                     p);
      c->mass[i] = v;
    } else {
      float v = strtof(p, &end);
      if (end == p || (*end && *end != ' ' && *end != '\t'))
        return rfail(r, "halo %lld, column '%s': '%.*s' is not a number", (long long)i, name[k], tl,
                     p);
      if (!isfinite(v))
        return rfail(r, "halo %lld, column '%s': %.*s is not finite", (long long)i, name[k], tl, p);
      if ((k < 3 || name[k][0] == 'l') && !(v >= 0.0f && (double)v < r->hdr.box))
        return rfail(r, "halo %lld, column '%s' = %.9g is outside [0, BoxSize = %g)", (long long)i,
                     name[k], (double)v, r->hdr.box);
      if (k < 3)
        c->pos[3 * i + k] = v;
      else if (k < 6)
        c->vel[3 * i + k - 3] = v;
      else
        c->lagr_pos[3 * i + (name[k][5] - 'x')] = v;
    }
    p = end;
  }
  while (*p == ' ' || *p == '\t') p++;
  if (*p != '\0')
    return rfail(r, "halo %lld: more than %d values (extra '%.40s')", (long long)i, ncol, p);
  return HP_OK;
}

int hp_catalog_read_ascii(hp_catalog *c, const char *path, hp_status *st) {
  reader r;
  FILE *f;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int section = 0, rc = HP_OK, started = 0; /* 0 preamble, 1 Header, 2 Parameters, 3 data */
  int64_t row = 0;
  memset(c, 0, sizeof *c);
  memset(&r, 0, sizeof r);
  r.path = path;
  r.st = st;
  f = fopen(path, "r");
  if (f == NULL)
    return hp_fail(st, HP_ERR_IO, "reading halo catalogue: cannot open %s: %s", path,
                   strerror(errno));
  while (!rc && (len = getline(&line, &cap, f)) >= 0) {
    r.line++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if ((size_t)len != strlen(line)) {
      rc = rfail(&r, "NUL byte in the line (not a text catalogue?)");
      break;
    }
    if (section < 3) {
      if (line[0] != '#') {
        rc = started ? rfail(&r, "expected '#' header lines up to '# columns:'")
                     : hp_fail(st, HP_ERR_FORMAT,
                               "%s is neither an HDF5 nor an ASCII halo catalogue (first line "
                               "does not start with '#')",
                               path);
        break;
      }
      started = 1;
      char *body = line + 1;
      if (*body == ' ') body++;
      if (strcmp(body, "[Header]") == 0) {
        section = 1;
      } else if (strcmp(body, "[Parameters]") == 0) {
        section = 2;
      } else if (strncmp(body, "columns:", 8) == 0) {
        rc = columns_line(&r, body + 8, c);
        section = 3;
      } else if (section > 0) {
        char *eq = strstr(body, " = "), *value;
        const size_t blen = strlen(body);
        if (eq != NULL) {
          *eq = '\0';
          value = eq + 3;
        } else if (blen >= 2 && strcmp(body + blen - 2, " =") == 0) {
          body[blen - 2] = '\0'; /* "Key =" (a trailing blank trimmed): empty value */
          value = body + blen;
        } else {
          rc = rfail(&r, "expected '# Key = Value', found '%.60s'", line);
          break;
        }
        rc = section == 1 ? header_line(&r, body, value) : param_line(&r, body, value);
      }
      continue;
    }
    const char *q = line;
    while (isspace((unsigned char)*q)) q++;
    if (*q == '\0' || *q == '#') continue; /* blank or comment line */
    if (row >= r.nhalos) {
      rc = rfail(&r, "more halo lines than NumHalos = %lld", (long long)r.nhalos);
      break;
    }
    rc = data_line(&r, line, c, row);
    row++;
  }
  if (!rc && ferror(f))
    rc = hp_fail(st, HP_ERR_IO, "reading halo catalogue %s: read error: %s", path, strerror(errno));
  fclose(f);
  free(line);
  if (!rc && section < 3)
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "%s: no '# columns:' line after %ld lines (truncated or not a halo catalogue)",
                 path, r.line);
  if (!rc && row < r.nhalos)
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: truncated: NumHalos = %lld but %lld halo lines", path,
                 (long long)r.nhalos, (long long)row);
  if (!rc) {
    c->hdr = r.hdr;
    c->nparams = r.nparams;
    c->param_key = r.pkey;
    c->param_value = r.pval;
    r.nparams = 0;
    r.pkey = r.pval = NULL;
    rc = hp_catalog_validate(c, path, st);
  }
  for (int i = 0; i < r.nparams; i++) free(r.pkey[i]), free(r.pval[i]);
  free(r.pkey);
  free(r.pval);
  if (rc) {
    hp_catalog_free(c);
    return hp_error_context(st, "reading halo catalogue");
  }
  return HP_OK;
}
