/* Parameter files: read a Gadget-style `Key Value` file, apply -s overrides, check every value
 * against the key table (keys.c), fill defaults and derived values, and answer typed queries.
 * Lines of any length are handled (the whole file is read into memory, up to MAX_FILE_BYTES);
 * keys and values quoted in messages are clipped, so a message never overflows. */
#define _POSIX_C_SOURCE 200809L
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES ((size_t)64 << 20) /* a parameter file is a few kB; refuse more */
#define CLIP 60                           /* bytes of a key or value quoted in a message */
#define SUGGEST_MAX_LEN 64                /* no suggestion for longer unknown keys */
#define HELP_HINT "see `halopaint help params`"

/* Where the value of a key came from. */
enum src { SRC_NONE, SRC_DEFAULT, SRC_DERIVED, SRC_FILE, SRC_OVERRIDE };

/* Value of one key of the table. */
typedef struct entry {
  char *raw;   /* text as given in the file or override (owned); NULL if not given */
  int src;     /* enum src */
  int line;    /* line in the file, for SRC_FILE */
  int ovr;     /* index among the overrides, for SRC_OVERRIDE */
  int64_t i;   /* INT and BOOL */
  double r;    /* REAL; INT as double; NaN when unset */
  char *value; /* canonical text (owned); "" when unset */
} entry;

struct hp_params {
  int n;              /* number of keys (table length) */
  entry *e;           /* e[k] is the value of table key k */
  const char **keys;  /* kv view: table key names */
  const char **value; /* kv view: e[k].value */
};

/* State of one load, for messages. */
typedef struct ctx {
  const char *name;       /* file name as shown in messages */
  const char *const *ovr; /* the overrides */
  const hp_param_spec *t; /* the table */
  int n;                  /* its length */
  hp_params *p;           /* the set being built */
  int *order;             /* keys in the order they were given (file, then overrides) */
  int n_order;
} ctx;

/* A clipped, printable copy of a key or value for a message. */
typedef struct clipped {
  char s[CLIP + 8];
} clipped;

/* ---------------------------------------------------------------------------------------------
 * Small string helpers
 * ------------------------------------------------------------------------------------------- */

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

static int is_ctrl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

/* Clip s[0..n) to CLIP bytes (at a UTF-8 boundary, "..." appended) with controls shown as '?'. */
static const char *clip(clipped *c, const char *s, size_t n) {
  size_t i, m = n;
  if (m > CLIP) {
    m = CLIP;
    while (m > 0 && ((unsigned char)s[m] & 0xC0) == 0x80) m--;
  }
  for (i = 0; i < m; i++) c->s[i] = is_ctrl((unsigned char)s[i]) ? '?' : s[i];
  if (m < n)
    memcpy(c->s + m, "...", 4);
  else
    c->s[m] = '\0';
  return c->s;
}

static const char *clips(clipped *c, const char *s) { return clip(c, s, strlen(s)); }

static int lower(int c) { return tolower((unsigned char)c); }

/* Case-insensitive comparison of s[0..n) with the NUL-terminated t. */
static int ci_eqn(const char *s, size_t n, const char *t) {
  size_t i;
  for (i = 0; i < n; i++)
    if (t[i] == '\0' || lower(s[i]) != lower(t[i])) return 0;
  return t[n] == '\0';
}

/* Shortest "%.*g" text that reads back to exactly x, without an exponent for |x| in [1e-4, 1e17)
 * ("100", not "1e+02"). */
static void fmt_real(char *buf, size_t sz, double x) {
  int prec, e;
  const char *ep;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(buf, sz, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  ep = strchr(buf, 'e');
  if (ep && (e = atoi(ep + 1)) >= prec && e < 17) snprintf(buf, sz, "%.*g", e + 1, x);
}

static void fmt_num(char *buf, size_t sz, double x, int is_int) {
  if (isinf(x))
    snprintf(buf, sz, "%s", x > 0 ? "inf" : "-inf");
  else if (is_int)
    snprintf(buf, sz, "%" PRId64, (int64_t)x);
  else
    fmt_real(buf, sz, x);
}

/* "in (0, 2]", "> 0" or "one of 1, 2"; with " <unit>" appended when the key has a unit. */
static void fmt_range(char *buf, size_t sz, const hp_param_spec *s) {
  char lo[40], hi[40], list[256];
  size_t i, k = 0;
  int is_int = s->type == HP_P_INT;
  if (s->choices) {
    for (i = 0; s->choices[i] && k + 3 < sizeof list; i++) {
      if (s->choices[i] == '|') {
        list[k++] = ',';
        list[k++] = ' ';
      } else {
        list[k++] = s->choices[i];
      }
    }
    list[k] = '\0';
    snprintf(buf, sz, "one of %s", list);
    return;
  }
  fmt_num(lo, sizeof lo, s->min, is_int);
  fmt_num(hi, sizeof hi, s->max, is_int);
  if (isinf(s->max))
    snprintf(buf, sz, "%s %s%s%s", (s->flags & HP_PF_MIN_OPEN) ? ">" : ">=", lo,
             s->unit[0] ? " " : "", s->unit);
  else
    snprintf(buf, sz, "in %c%s, %s%c%s%s", (s->flags & HP_PF_MIN_OPEN) ? '(' : '[', lo, hi,
             (s->flags & HP_PF_MAX_OPEN) ? ')' : ']', s->unit[0] ? " " : "", s->unit);
}

static const char *type_name(hp_ptype t) {
  switch (t) {
    case HP_P_INT:
      return "integer";
    case HP_P_REAL:
      return "real";
    case HP_P_BOOL:
      return "bool";
    case HP_P_STRING:
      return "string";
    case HP_P_CHOICE:
      return "choice";
  }
  return "?";
}

/* What a value of key s should look like, for "expected ..." messages. */
static void fmt_expected(char *buf, size_t sz, const hp_param_spec *s) {
  char range[320];
  switch (s->type) {
    case HP_P_INT:
    case HP_P_REAL:
      fmt_range(range, sizeof range, s);
      snprintf(buf, sz, "%s %s%s", s->type == HP_P_INT ? "an integer" : "a real number",
               s->choices ? "(" : "", range);
      if (s->choices) strncat(buf, ")", sz - strlen(buf) - 1);
      break;
    case HP_P_BOOL:
      snprintf(buf, sz, "0/1, yes/no or true/false");
      break;
    case HP_P_STRING:
      snprintf(buf, sz, "a string");
      break;
    case HP_P_CHOICE:
      fmt_range(range, sizeof range, s);
      snprintf(buf, sz, "%s", range);
      break;
  }
}

/* Index of the key s[0..n) in the table, or -1. */
static int find_key(const ctx *c, const char *s, size_t n) {
  int k;
  for (k = 0; k < c->n; k++)
    if (strlen(c->t[k].key) == n && memcmp(c->t[k].key, s, n) == 0) return k;
  return -1;
}

/* Case-insensitive Levenshtein distance between s[0..n) and t (n <= SUGGEST_MAX_LEN). */
static size_t lev(const char *s, size_t n, const char *t) {
  size_t m = strlen(t), i, j, prev[SUGGEST_MAX_LEN + 2], cur[SUGGEST_MAX_LEN + 2];
  if (m > SUGGEST_MAX_LEN) return (size_t)-1;
  for (j = 0; j <= m; j++) prev[j] = j;
  for (i = 1; i <= n; i++) {
    cur[0] = i;
    for (j = 1; j <= m; j++) {
      size_t sub = prev[j - 1] + (lower(s[i - 1]) != lower(t[j - 1]));
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, (m + 1) * sizeof prev[0]);
  }
  return prev[m];
}

/* The known key nearest to the unknown s[0..n), or NULL if none is close. */
static const char *suggest(const ctx *c, const char *s, size_t n) {
  int k, best = -1;
  size_t d, bestd = (size_t)-1;
  if (n == 0 || n > SUGGEST_MAX_LEN) return NULL;
  for (k = 0; k < c->n; k++) {
    d = lev(s, n, c->t[k].key);
    if (d < bestd) bestd = d, best = k;
  }
  if (best >= 0 && (bestd <= 2 || bestd <= n / 3)) return c->t[best].key;
  /* a case-insensitive prefix of a key ("Box" -> BoxSize) */
  if (n >= 3)
    for (k = 0; k < c->n; k++) {
      size_t i;
      for (i = 0; i < n && c->t[k].key[i] && lower(s[i]) == lower(c->t[k].key[i]); i++) continue;
      if (i == n) return c->t[k].key;
    }
  return NULL;
}

/* ", did you mean X?" or the help hint, for unknown-key messages. */
static void fmt_suggestion(char *buf, size_t sz, const ctx *c, const char *s, size_t n) {
  const char *near = suggest(c, s, n);
  if (near)
    snprintf(buf, sz, ", did you mean %s?", near);
  else
    snprintf(buf, sz, " (%s for the list of keys)", HELP_HINT);
}

/* Where a given or defaulted value came from: "run.param line 4", "-s Seed=3", "default". */
static void fmt_origin(char *buf, size_t sz, const ctx *c, int k) {
  const entry *e = &c->p->e[k];
  clipped a;
  switch (e->src) {
    case SRC_FILE:
      snprintf(buf, sz, "%s line %d", c->name, e->line);
      break;
    case SRC_OVERRIDE:
      snprintf(buf, sz, "-s %s", clips(&a, c->ovr[e->ovr]));
      break;
    case SRC_DERIVED:
      snprintf(buf, sz, "derived");
      break;
    default:
      snprintf(buf, sz, "default");
      break;
  }
}

/* Message prefix for key k: "run.param line 4: NParticles = 12.5" or "-s NParticles=12.5". */
static void fmt_where(char *buf, size_t sz, const ctx *c, int k) {
  const entry *e = &c->p->e[k];
  clipped a;
  const char *v = e->raw ? e->raw : (e->src == SRC_DEFAULT && c->t[k].def) ? c->t[k].def : e->value;
  if (e->src == SRC_OVERRIDE) {
    fmt_origin(buf, sz, c, k);
  } else if (e->src == SRC_FILE) {
    char o[1024];
    fmt_origin(o, sizeof o, c, k);
    snprintf(buf, sz, "%s: %s = %s", o, c->t[k].key, clips(&a, v));
  } else {
    snprintf(buf, sz, "%s: %s = %s (%s)", c->name, c->t[k].key, clips(&a, v),
             e->src == SRC_DERIVED ? "derived" : "default");
  }
}

/* ---------------------------------------------------------------------------------------------
 * Value conversion and checks
 * ------------------------------------------------------------------------------------------- */

/* Parse a decimal integer; 0 on success, -1 if not an integer, -2 if out of int64 range. */
static int parse_int(const char *s, int64_t *out) {
  char *end;
  long long v;
  if (!*s || is_ws((unsigned char)*s)) return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (end == s || *end) return -1;
  if (errno == ERANGE) return -2;
  *out = (int64_t)v;
  return 0;
}

/* Parse a finite real number; 0 on success, -1 otherwise. */
static int parse_real(const char *s, double *out) {
  char *end;
  double v;
  if (!*s || is_ws((unsigned char)*s)) return -1;
  v = strtod(s, &end);
  if (end == s || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

static int parse_bool(const char *s, int64_t *out) {
  static const char *const yes[] = {"1", "yes", "true"}, *const no[] = {"0", "no", "false"};
  size_t i, n = strlen(s);
  for (i = 0; i < 3; i++) {
    if (ci_eqn(s, n, yes[i])) return *out = 1, 0;
    if (ci_eqn(s, n, no[i])) return *out = 0, 0;
  }
  return -1;
}

/* The table spelling of the choice matching s (case-insensitive) as [*start, *start+*len). */
static int match_choice(const char *choices, const char *s, const char **start, size_t *len) {
  const char *a = choices;
  size_t n = strlen(s);
  while (*a) {
    const char *b = strchr(a, '|');
    size_t m = b ? (size_t)(b - a) : strlen(a);
    if (m == n) {
      size_t i;
      for (i = 0; i < n && lower(a[i]) == lower(s[i]); i++) continue;
      if (i == n) return *start = a, *len = m, 0;
    }
    if (!b) break;
    a = b + 1;
  }
  return -1;
}

static int has_ws(const char *s) {
  for (; *s; s++)
    if (is_ws((unsigned char)*s)) return 1;
  return 0;
}

static int set_value(const ctx *c, int k, const char *text, hp_status *st) {
  entry *e = &c->p->e[k];
  free(e->value);
  e->value = dupn(text, strlen(text));
  if (!e->value)
    return hp_fail(st, HP_ERR_NOMEM, "%s: out of memory storing %s", c->name, c->t[k].key);
  return HP_OK;
}

/* Convert and check the text of key k (given or default): type, choices, range, evenness. */
static int check_value(const ctx *c, int k, hp_status *st) {
  const hp_param_spec *s = &c->t[k];
  entry *e = &c->p->e[k];
  const char *v = e->raw ? e->raw : s->def;
  int code = (e->src == SRC_DEFAULT) ? HP_ERR_INTERNAL : HP_ERR_INPUT;
  char where[1400], exp[400], buf[64];
  int64_t iv = 0;
  double rv = 0;
  size_t i;

  fmt_where(where, sizeof where, c, k);
  fmt_expected(exp, sizeof exp, s);
  if (s->type != HP_P_STRING && has_ws(v))
    return hp_fail(st, code,
                   "%s: expected a single value, %s (values other than strings may "
                   "not contain spaces)",
                   where, exp);
  switch (s->type) {
    case HP_P_INT: {
      int r = parse_int(v, &iv);
      if (r == -2) return hp_fail(st, code, "%s: integer too large, expected %s", where, exp);
      if (r) return hp_fail(st, code, "%s: expected %s", where, exp);
      if (s->choices) {
        const char *a;
        size_t m;
        snprintf(buf, sizeof buf, "%" PRId64, iv);
        if (match_choice(s->choices, buf, &a, &m))
          return hp_fail(st, code, "%s: expected %s", where, exp);
      } else {
        /* compare as integers: the double bounds of INT keys are exact integers */
        int64_t lo = isinf(s->min) ? INT64_MIN : (int64_t)s->min;
        int64_t hi = isinf(s->max) ? INT64_MAX : (int64_t)s->max;
        if (iv < lo || iv > hi || ((s->flags & HP_PF_MIN_OPEN) && iv == lo) ||
            ((s->flags & HP_PF_MAX_OPEN) && iv == hi)) {
          fmt_range(exp, sizeof exp, s);
          return hp_fail(st, code, "%s: out of range, must be %s", where, exp);
        }
      }
      if ((s->flags & HP_PF_EVEN) && iv % 2 != 0)
        return hp_fail(st, code, "%s: must be even (e.g. %" PRId64 " or %" PRId64 ")", where,
                       iv - 1, iv + 1);
      e->i = iv;
      e->r = (double)iv;
      snprintf(buf, sizeof buf, "%" PRId64, iv);
      return set_value(c, k, buf, st);
    }
    case HP_P_REAL:
      if (parse_real(v, &rv)) return hp_fail(st, code, "%s: expected %s", where, exp);
      if (rv < s->min || rv > s->max || ((s->flags & HP_PF_MIN_OPEN) && rv == s->min) ||
          ((s->flags & HP_PF_MAX_OPEN) && rv == s->max)) {
        fmt_range(exp, sizeof exp, s);
        return hp_fail(st, code, "%s: out of range, must be %s", where, exp);
      }
      e->r = rv;
      fmt_real(buf, sizeof buf, rv);
      return set_value(c, k, buf, st);
    case HP_P_BOOL:
      if (parse_bool(v, &iv)) return hp_fail(st, code, "%s: expected %s", where, exp);
      e->i = iv;
      e->r = (double)iv;
      return set_value(c, k, iv ? "1" : "0", st);
    case HP_P_STRING:
      for (i = 0; v[i]; i++)
        if (is_ctrl((unsigned char)v[i]))
          return hp_fail(st, code,
                         "%s: contains a control character (byte %zu), expected "
                         "printable text",
                         where, i + 1);
      return set_value(c, k, v, st);
    case HP_P_CHOICE: {
      const char *a;
      size_t m;
      char *d;
      if (match_choice(s->choices, v, &a, &m))
        return hp_fail(st, code, "%s: expected %s", where, exp);
      if (!(d = dupn(a, m))) return hp_fail(st, HP_ERR_NOMEM, "%s: out of memory", c->name);
      free(e->value);
      e->value = d;
      return HP_OK;
    }
  }
  return hp_fail(st, HP_ERR_INTERNAL, "%s: key %s has an unknown type", c->name, s->key);
}

/* ---------------------------------------------------------------------------------------------
 * Reading the file, lines and overrides
 * ------------------------------------------------------------------------------------------- */

static int read_file(const char *path, char **out, size_t *len, hp_status *st) {
  FILE *f = fopen(path, "rb");
  char *b = NULL;
  size_t n = 0, cap = 0;
  int err;
  if (!f) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  for (;;) {
    size_t got;
    if (n > MAX_FILE_BYTES) {
      free(b);
      fclose(f);
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s is larger than %zu MiB: not a parameter file of Key "
                     "Value lines",
                     path, MAX_FILE_BYTES >> 20);
    }
    if (cap - n < 2) {
      size_t ncap = cap ? 2 * cap : 65536;
      char *nb = realloc(b, ncap);
      if (!nb) {
        free(b);
        fclose(f);
        return hp_fail(st, HP_ERR_NOMEM, "cannot allocate %zu bytes to read %s", ncap, path);
      }
      b = nb;
      cap = ncap;
    }
    errno = 0;
    got = fread(b + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  err = errno;
  if (ferror(f)) {
    free(b);
    fclose(f);
    return hp_fail(st, HP_ERR_IO, "cannot read %s: %s", path, strerror(err ? err : EIO));
  }
  fclose(f);
  b[n] = '\0';
  *out = b;
  *len = n;
  return HP_OK;
}

/* Reject empty and binary contents (NUL bytes, or more than 25% non-text bytes). */
static int check_text(const char *name, const char *s, size_t n, hp_status *st) {
  size_t i, bad = 0, printable = 0;
  const void *nul = memchr(s, '\0', n);
  if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
    i = 3; /* UTF-8 byte-order mark */
  else
    i = 0;
  if (nul)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s looks like a binary file (it contains NUL bytes, the "
                   "first at byte %zu), not a text file of Key Value lines",
                   name, (size_t)((const char *)nul - s) + 1);
  while (i < n) {
    unsigned char ch = (unsigned char)s[i];
    size_t len = 0, j;
    if (ch < 0x80) {
      if (is_ctrl(ch) && ch != '\n' && ch != '\r' && ch != '\f' && ch != '\v')
        bad++;
      else if (!isspace(ch))
        printable++;
      i++;
      continue;
    }
    /* a valid UTF-8 sequence counts as text */
    if (ch >= 0xC2 && ch <= 0xDF)
      len = 2;
    else if (ch >= 0xE0 && ch <= 0xEF)
      len = 3;
    else if (ch >= 0xF0 && ch <= 0xF4)
      len = 4;
    for (j = 1; j < len && i + j < n && ((unsigned char)s[i + j] & 0xC0) == 0x80; j++) continue;
    if (len && j == len) {
      printable++;
      i += len;
    } else {
      bad++;
      i++;
    }
  }
  if (bad * 4 > printable + bad)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s looks like a binary file (%zu%% of its bytes are not "
                   "printable text), not a text file of Key Value lines",
                   name, (size_t)(100.0 * bad / (double)(printable + bad)));
  if (printable == 0)
    return hp_fail(st, HP_ERR_FORMAT, "%s is empty: expected Key Value lines, %s", name, HELP_HINT);
  return HP_OK;
}

/* Record that key k was given (moves k to the end of the given-order list). */
static void note_order(ctx *c, int k) {
  int i, j = 0;
  for (i = 0; i < c->n_order; i++)
    if (c->order[i] != k) c->order[j++] = c->order[i];
  c->order[j++] = k;
  c->n_order = j;
}

/* Parse the lines of text[0..n): syntax, unknown keys, duplicates, missing values. */
static int parse_lines(ctx *c, const char *text, size_t n, hp_status *st) {
  size_t pos = 0;
  int line = 0;
  clipped a, b;
  char hint[200];
  if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3; /* UTF-8 byte-order mark */
  while (pos < n) {
    const char *s = text + pos, *nl = memchr(s, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - s) : n - pos, i, j, klen, vstart;
    int k;
    entry *e;
    pos += len + 1;
    line++;
    /* cut the comment, trim */
    for (i = 0; i < len; i++)
      if (s[i] == '%' || s[i] == '#') break;
    len = i;
    while (len > 0 && is_ws((unsigned char)s[len - 1])) len--;
    for (i = 0; i < len && is_ws((unsigned char)s[i]); i++) continue;
    if (i == len) continue;
    s += i;
    len -= i;
    /* key: up to whitespace or '='; then whitespace, an optional '=', whitespace */
    for (klen = 0; klen < len && !is_ws((unsigned char)s[klen]) && s[klen] != '='; klen++) continue;
    j = klen;
    while (j < len && is_ws((unsigned char)s[j])) j++;
    if (j < len && s[j] == '=') {
      j++;
      while (j < len && is_ws((unsigned char)s[j])) j++;
    }
    vstart = j;
    if (klen == 0)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s line %d: %s: expected `Key Value`, the key is "
                     "missing",
                     c->name, line, clip(&a, s, len));
    k = find_key(c, s, klen);
    if (k < 0) {
      fmt_suggestion(hint, sizeof hint, c, s, klen);
      return hp_fail(st, HP_ERR_INPUT, "%s line %d: %s = %s: unknown key%s", c->name, line,
                     clip(&a, s, klen), clip(&b, s + vstart, len - vstart), hint);
    }
    e = &c->p->e[k];
    if (e->src == SRC_FILE)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s line %d: %s = %s: duplicate key, %s is already set "
                     "at line %d (give each key once)",
                     c->name, line, c->t[k].key, clip(&b, s + vstart, len - vstart), c->t[k].key,
                     e->line);
    if (vstart == len) {
      fmt_expected(hint, sizeof hint, &c->t[k]);
      return hp_fail(st, HP_ERR_INPUT, "%s line %d: %s = (nothing): missing value, expected %s",
                     c->name, line, c->t[k].key, hint);
    }
    if (!(e->raw = dupn(s + vstart, len - vstart)))
      return hp_fail(st, HP_ERR_NOMEM, "%s line %d: out of memory", c->name, line);
    e->src = SRC_FILE;
    e->line = line;
    note_order(c, k);
  }
  return HP_OK;
}

/* Apply the overrides "Key=Value" after the file. */
static int apply_overrides(ctx *c, int n_ovr, hp_status *st) {
  int i, k;
  clipped a, b;
  char hint[400];
  for (i = 0; i < n_ovr; i++) {
    const char *o = c->ovr[i], *eq, *v;
    size_t kb, ke, vb, ve, j;
    entry *e;
    if (!o) return hp_fail(st, HP_ERR_INPUT, "override %d is NULL", i + 1);
    eq = strchr(o, '=');
    if (!eq) {
      k = find_key(c, o, strlen(o));
      return hp_fail(st, HP_ERR_INPUT, "-s %s: expected Key=Value, e.g. -s %s=%s", clips(&a, o),
                     k >= 0 ? c->t[k].key : "Seed",
                     k >= 0 && c->t[k].def && c->t[k].def[0] ? c->t[k].def : "42");
    }
    for (kb = 0; is_ws((unsigned char)o[kb]); kb++) continue;
    for (ke = (size_t)(eq - o); ke > kb && is_ws((unsigned char)o[ke - 1]); ke--) continue;
    for (vb = (size_t)(eq - o) + 1; is_ws((unsigned char)o[vb]); vb++) continue;
    for (ve = strlen(o); ve > vb && is_ws((unsigned char)o[ve - 1]); ve--) continue;
    if (ke == kb)
      return hp_fail(st, HP_ERR_INPUT, "-s %s: expected Key=Value, the key is missing",
                     clips(&a, o));
    k = find_key(c, o + kb, ke - kb);
    if (k < 0) {
      fmt_suggestion(hint, sizeof hint, c, o + kb, ke - kb);
      return hp_fail(st, HP_ERR_INPUT, "-s %s: unknown key%s", clips(&a, o), hint);
    }
    e = &c->p->e[k];
    if (vb == ve) {
      fmt_expected(hint, sizeof hint, &c->t[k]);
      return hp_fail(st, HP_ERR_INPUT, "-s %s: missing value, expected %s", clips(&a, o), hint);
    }
    v = o + vb;
    for (j = 0; j < ve - vb; j++)
      if (v[j] == '%' || v[j] == '#' || is_ctrl((unsigned char)v[j]))
        return hp_fail(st, HP_ERR_INPUT,
                       "-s %s: values may not contain %%, # (they start "
                       "comments in parameter files) or control characters",
                       clips(&a, o));
    if (e->src == SRC_OVERRIDE)
      return hp_fail(st, HP_ERR_INPUT,
                     "-s %s: %s is already given by -s %s (give each key "
                     "once)",
                     clips(&a, o), c->t[k].key, clips(&b, c->ovr[e->ovr]));
    free(e->raw);
    if (!(e->raw = dupn(v, ve - vb)))
      return hp_fail(st, HP_ERR_NOMEM, "-s %s: out of memory", clips(&a, o));
    e->src = SRC_OVERRIDE;
    e->ovr = i;
    note_order(c, k);
  }
  return HP_OK;
}

/* Every key required by `need` must be given; list all that are missing. */
static int check_required(const ctx *c, unsigned need, hp_status *st) {
  char list[1024] = "", hint[640] = "";
  int k, missing = 0, first = -1;
  for (k = 0; k < c->n; k++) {
    const hp_param_spec *s = &c->t[k];
    if (s->def || (s->flags & HP_PF_DERIVED) || !(s->need & need) || c->p->e[k].src != SRC_NONE)
      continue;
    if (missing++)
      strncat(list, ", ", sizeof list - strlen(list) - 1);
    else
      first = k;
    strncat(list, s->key, sizeof list - strlen(list) - 1);
  }
  if (!missing) return HP_OK;
  if (missing == 1) {
    char exp[400];
    fmt_expected(exp, sizeof exp, &c->t[first]);
    snprintf(hint, sizeof hint, "add a line `%s <value>` with %s", c->t[first].key, exp);
  } else {
    snprintf(hint, sizeof hint, "add a `Key Value` line for each, %s", HELP_HINT);
  }
  return hp_fail(st, HP_ERR_INPUT, "%s: missing required key%s %s: %s", c->name,
                 missing > 1 ? "s" : "", list, hint);
}

/* ---------------------------------------------------------------------------------------------
 * Cross-key checks and derived values
 * ------------------------------------------------------------------------------------------- */

static int key_index(const ctx *c, const char *key) { return find_key(c, key, strlen(key)); }

static int has_value(const ctx *c, int k) { return k >= 0 && c->p->e[k].value[0] != '\0'; }

static int resolve(ctx *c, unsigned need, hp_status *st) {
  char where[1400], other[1100], buf[64];
  int om = key_index(c, "Omega0"), ob = key_index(c, "OmegaBaryon");
  int ol = key_index(c, "OmegaLambda"), ps = key_index(c, "PowerSpectrum");
  int psf = key_index(c, "PowerSpectrumFile"), box = key_index(c, "BoxSize");
  int nv = key_index(c, "NVoxels"), vs = key_index(c, "VoxelSize");
  entry *e = c->p->e;
  clipped a;

  if (om < 0 || ob < 0 || ol < 0 || ps < 0 || psf < 0 || box < 0 || nv < 0 || vs < 0)
    return hp_fail(st, HP_ERR_INTERNAL,
                   "params: a key used in cross-checks is missing from "
                   "the table");

  if (has_value(c, om) && has_value(c, ob) && e[ob].r >= e[om].r) {
    fmt_where(where, sizeof where, c, ob);
    fmt_origin(other, sizeof other, c, om);
    return hp_fail(st, HP_ERR_INPUT,
                   "%s: must be smaller than Omega0 = %s (%s), since "
                   "Omega0 includes the baryons",
                   where, e[om].value, other);
  }
  if ((need & HP_NEED_COSMO) && strcmp(e[ps].value, "File") == 0 && !has_value(c, psf)) {
    fmt_where(where, sizeof where, c, ps);
    return hp_fail(st, HP_ERR_INPUT,
                   "%s: needs PowerSpectrumFile, a table with k [h/Mpc] in "
                   "column 1 and P(k) or T(k) in PowerSpectrumFileColumn, which is not given",
                   where);
  }

  /* OmegaLambda = 1 - Omega0 (flat) when absent */
  if (e[ol].src == SRC_NONE && has_value(c, om)) {
    e[ol].r = 1.0 - e[om].r;
    e[ol].src = SRC_DERIVED;
    fmt_real(buf, sizeof buf, e[ol].r);
    if (set_value(c, ol, buf, st)) return st->code;
  }

  /* NVoxels = nearest integer to BoxSize / VoxelSize when 0 and the box is known */
  if (e[nv].i == 0 && has_value(c, box)) {
    const hp_param_spec *s = &c->t[nv];
    double x = e[box].r / e[vs].r;
    fmt_where(where, sizeof where, c, vs);
    if (x < 0.5)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s: larger than twice BoxSize = %s (%s), so the "
                     "painter's grid would have no voxel; make VoxelSize smaller or set NVoxels",
                     where, e[box].value, (fmt_origin(other, sizeof other, c, box), other));
    if (x >= s->max + 0.5)
      return hp_fail(st, HP_ERR_INPUT,
                     "%s: BoxSize / VoxelSize = %s / %s = %.0f voxels per "
                     "dimension, more than NVoxels allows (%.0f); make VoxelSize larger or set "
                     "NVoxels",
                     where, e[box].value, clips(&a, e[vs].value), x, s->max);
    e[nv].i = (int64_t)floor(x + 0.5);
    e[nv].r = (double)e[nv].i;
    snprintf(buf, sizeof buf, "%" PRId64, e[nv].i);
    if (set_value(c, nv, buf, st)) return st->code;
  }
  return HP_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Public functions
 * ------------------------------------------------------------------------------------------- */

void hp_params_free(hp_params *p) {
  int k;
  if (!p) return;
  if (p->e)
    for (k = 0; k < p->n; k++) {
      free(p->e[k].raw);
      free(p->e[k].value);
    }
  free(p->e);
  free(p->keys);
  free(p->value);
  free(p);
}

/* Shared body of hp_params_load and hp_params_parse_string (text may be NULL: no file). */
static int parse_text(hp_params **out, const char *name, const char *text, size_t len,
                      const char *const *overrides, int n_overrides, unsigned need, hp_status *st) {
  ctx c;
  hp_params *p;
  int k, i, rc = HP_OK;

  *out = NULL;
  if (n_overrides < 0 || (n_overrides > 0 && !overrides))
    return hp_fail(st, HP_ERR_INPUT, "%s: bad override list (%d overrides)", name, n_overrides);
  memset(&c, 0, sizeof c);
  c.name = name;
  c.ovr = overrides;
  c.t = hp_param_table(&c.n);
  if (!(p = calloc(1, sizeof *p)))
    return hp_fail(st, HP_ERR_NOMEM, "%s: out of memory for the parameter set", name);
  p->n = c.n;
  p->e = calloc((size_t)c.n, sizeof *p->e);
  p->keys = calloc((size_t)c.n, sizeof *p->keys);
  p->value = calloc((size_t)c.n, sizeof *p->value);
  c.order = calloc((size_t)c.n, sizeof *c.order);
  c.p = p;
  if (!p->e || !p->keys || !p->value || !c.order) {
    rc = hp_fail(st, HP_ERR_NOMEM, "%s: out of memory for the parameter set", name);
    goto done;
  }
  for (k = 0; k < c.n; k++) {
    p->e[k].r = NAN;
    if (!(p->e[k].value = dupn("", 0))) {
      rc = hp_fail(st, HP_ERR_NOMEM, "%s: out of memory for the parameter set", name);
      goto done;
    }
  }

  if (text && ((rc = check_text(name, text, len, st)) || (rc = parse_lines(&c, text, len, st))))
    goto done;
  if ((rc = apply_overrides(&c, n_overrides, st))) goto done;
  /* given values, in the order given */
  for (i = 0; i < c.n_order; i++)
    if ((rc = check_value(&c, c.order[i], st))) goto done;
  if ((rc = check_required(&c, need, st))) goto done;
  for (k = 0; k < c.n; k++)
    if (p->e[k].src == SRC_NONE && c.t[k].def) {
      p->e[k].src = SRC_DEFAULT;
      if ((rc = check_value(&c, k, st))) goto done;
    }
  if ((rc = resolve(&c, need, st))) goto done;

  for (k = 0; k < c.n; k++) {
    p->keys[k] = c.t[k].key;
    p->value[k] = p->e[k].value;
  }
done:
  free(c.order);
  if (rc)
    hp_params_free(p);
  else
    *out = p;
  return rc;
}

int hp_params_parse_string(hp_params **out, const char *name, const char *text,
                           const char *const *overrides, int n_overrides, unsigned need,
                           hp_status *st) {
  if (!name) name = "(parameter text)";
  if (!text) {
    *out = NULL;
    return hp_fail(st, HP_ERR_INPUT, "%s: no parameter text (NULL)", name);
  }
  return parse_text(out, name, text, strlen(text), overrides, n_overrides, need, st);
}

int hp_params_load(hp_params **out, const char *path, const char *const *overrides, int n_overrides,
                   unsigned need, hp_status *st) {
  char *text = NULL;
  size_t len = 0;
  int rc;
  if (!path) return parse_text(out, "command line", NULL, 0, overrides, n_overrides, need, st);
  *out = NULL;
  if ((rc = read_file(path, &text, &len, st))) return rc;
  rc = parse_text(out, path, text, len, overrides, n_overrides, need, st);
  free(text);
  return rc;
}

/* Table index of key, or -1. */
static int index_of(const hp_params *p, const char *key) {
  const hp_param_spec *s = hp_param_find(key), *t = hp_param_table(NULL);
  if (!p || !s) return -1;
  return (int)(s - t);
}

double hp_params_real(const hp_params *p, const char *key) {
  int k = index_of(p, key);
  const hp_param_spec *t = hp_param_table(NULL);
  if (k < 0 || (t[k].type != HP_P_REAL && t[k].type != HP_P_INT)) return NAN;
  return p->e[k].r;
}

int64_t hp_params_int(const hp_params *p, const char *key) {
  int k = index_of(p, key);
  const hp_param_spec *t = hp_param_table(NULL);
  if (k < 0 || (t[k].type != HP_P_INT && t[k].type != HP_P_BOOL)) return 0;
  return p->e[k].i;
}

int hp_params_bool(const hp_params *p, const char *key) {
  int k = index_of(p, key);
  const hp_param_spec *t = hp_param_table(NULL);
  if (k < 0 || t[k].type != HP_P_BOOL) return -1;
  return p->e[k].i != 0;
}

const char *hp_params_string(const hp_params *p, const char *key) {
  int k = index_of(p, key);
  return k < 0 ? NULL : p->e[k].value;
}

int hp_params_is_set(const hp_params *p, const char *key) {
  int k = index_of(p, key);
  return k >= 0 && (p->e[k].src == SRC_FILE || p->e[k].src == SRC_OVERRIDE);
}

hp_kv_list hp_params_kv(const hp_params *p) {
  hp_kv_list kv = {0, NULL, NULL};
  if (!p) return kv;
  kv.n = p->n;
  kv.key = p->keys;
  kv.value = p->value;
  return kv;
}

int hp_params_write(const hp_params *p, FILE *out, hp_status *st) {
  int k;
  if (!p || !out) return hp_fail(st, HP_ERR_INPUT, "hp_params_write: NULL set or stream");
  fprintf(out, "%% halopaint parameters, resolved (defaults and derived values included)\n");
  for (k = 0; k < p->n; k++)
    if (p->value[k][0]) fprintf(out, "%-24s %s\n", p->keys[k], p->value[k]);
  if (fflush(out) != 0 || ferror(out))
    return hp_fail(st, HP_ERR_IO, "cannot write the parameters: %s", strerror(errno));
  return HP_OK;
}

/* Write text wrapped at `width` columns, each line indented by `indent` spaces. */
static void wrap(FILE *out, const char *text, int indent, int width) {
  const char *s = text;
  while (*s) {
    int avail = width - indent, n = 0, last = -1;
    while (*s == ' ') s++;
    if (!*s) break;
    while (s[n] && n < avail) {
      if (s[n] == ' ') last = n;
      n++;
    }
    if (s[n] && last > 0) n = last; /* break at the last space that fits */
    fprintf(out, "%*s%.*s\n", indent, "", n, s);
    s += n;
  }
}

void hp_params_help(FILE *out) {
  int n, k;
  const hp_param_spec *t = hp_param_table(&n);
  fprintf(out,
          "Parameter file keys. A parameter file has one `Key  Value` per line; %% or # starts a\n"
          "comment; keys are case-sensitive. `-s Key=Value` on the command line replaces or adds\n"
          "a value. Required keys depend on the command: `cosmo` needs the cosmology keys, the\n"
          "commands that make particles also need the box keys.\n\n");
  for (k = 0; k < n; k++) {
    const hp_param_spec *s = &t[k];
    char def[200], range[400] = "";
    if (s->def)
      snprintf(def, sizeof def, "default %s", s->def[0] ? s->def : "empty");
    else if (s->flags & HP_PF_DERIVED)
      snprintf(def, sizeof def, "derived when absent");
    else
      snprintf(def, sizeof def, "required%s%s", (s->need & HP_NEED_COSMO) ? " for cosmo" : "",
               (s->need & HP_NEED_BOX) ? " for box" : "");
    if (s->type == HP_P_INT || s->type == HP_P_REAL || s->type == HP_P_CHOICE) {
      char r[360];
      fmt_range(r, sizeof r, s);
      snprintf(range, sizeof range, "; %s", r);
    } else if (s->type == HP_P_BOOL) {
      snprintf(range, sizeof range, "; 0/1, yes/no or true/false");
    }
    if (s->flags & HP_PF_EVEN) strncat(range, ", even", sizeof range - strlen(range) - 1);
    fprintf(out, "%s  (%s%s%s; %s%s)\n", s->key, type_name(s->type), s->unit[0] ? ", " : "",
            s->unit, def, range);
    wrap(out, s->help, 4, 100);
    fputc('\n', out);
  }
}
