/* HDF5 helpers: quiet error handling, attributes, datasets, clear messages naming file/object. */
#define _POSIX_C_SOURCE 200809L
#include "hdf5_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define HP_H5_BAD ((hid_t)-1)
#define HP_H5_DETAIL_LEN 512

/* ------------------------------------------------------------------------------------------ */
/* Error handling                                                                             */
/* ------------------------------------------------------------------------------------------ */

void hp_h5_quiet_begin(hp_h5_quiet *q) {
  unsigned is_v2 = 0;
  q->func = NULL;
  q->data = NULL;
  q->saved = 0;
  if (H5Eauto_is_v2(H5E_DEFAULT, &is_v2) < 0 || !is_v2) return;
  if (H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) < 0) return;
  if (H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0) return;
  q->saved = 1;
}

void hp_h5_quiet_end(hp_h5_quiet *q) {
  if (q->saved) (void)H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
  q->saved = 0;
}

/* H5Ewalk2 callback: keep the innermost (first, walking upward) non-empty description. */
static herr_t detail_cb(unsigned n, const H5E_error2_t *err, void *client) {
  char *buf = client;
  (void)n;
  if (buf[0] == '\0' && err->desc != NULL && err->desc[0] != '\0') {
    snprintf(buf, HP_H5_DETAIL_LEN, "%s", err->desc);
    for (char *c = buf; *c; c++) /* one line: HDF5's text may hold ctime's newline */
      if (*c == '\n' || *c == '\r') *c = ' ';
  }
  return 0;
}

int hp_h5_fail(hp_status *st, int code, hid_t loc, const char *fmt, ...) {
  char detail[HP_H5_DETAIL_LEN] = "", where[2200] = "";
  size_t len = 0;
  va_list ap;
  /* Capture the HDF5 error stack first: any later HDF5 API call (even H5Fget_name) clears it. */
  (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, detail_cb, detail);
  if (loc >= 0) hp_h5_describe(loc, where, sizeof where);
  st->code = code;
  if (where[0] != '\0') len = (size_t)snprintf(st->msg, sizeof st->msg, "%s: ", where);
  if (len >= sizeof st->msg) len = sizeof st->msg - 1;
  va_start(ap, fmt);
  vsnprintf(st->msg + len, sizeof st->msg - len, fmt, ap);
  va_end(ap);
  if (detail[0] != '\0') {
    len = strlen(st->msg);
    snprintf(st->msg + len, sizeof st->msg - len, " [HDF5: %s]", detail);
  }
  return code;
}

const char *hp_h5_describe(hid_t loc, char *buf, size_t size) {
  char fname[1024] = "?", oname[1024] = "?";
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  if (H5Fget_name(loc, fname, sizeof fname) < 0) snprintf(fname, sizeof fname, "?");
  if (H5Iget_name(loc, oname, sizeof oname) <= 0) snprintf(oname, sizeof oname, "?");
  H5Eclear2(H5E_DEFAULT);
  hp_h5_quiet_end(&q);
  snprintf(buf, size, "%s:%s", fname, oname);
  return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Files and groups                                                                           */
/* ------------------------------------------------------------------------------------------ */

hid_t hp_h5_untimed(hid_t cls) {
  const hid_t p = H5Pcreate(cls);
  if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
    H5Pclose(p);
    return -1;
  }
  return p;
}

int hp_h5_create(const char *path, hid_t *file, hp_status *st) {
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  const hid_t fcpl = hp_h5_untimed(H5P_FILE_CREATE);
  *file = fcpl < 0 ? fcpl : H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  if (fcpl >= 0) H5Pclose(fcpl);
  if (*file < 0) {
    struct stat sb;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    /* Name the missing directory when that is the reason (HDF5's text is less direct). */
    if (slash != NULL && (size_t)(slash - path) < sizeof dir) {
      memcpy(dir, path, (size_t)(slash - path));
      dir[slash - path] = '\0';
      if (dir[0] != '\0' && stat(dir, &sb) != 0) {
        hp_h5_fail(st, HP_ERR_IO, -1, "cannot create HDF5 file %s: directory %s: %s", path, dir,
                   strerror(errno));
        hp_h5_quiet_end(&q);
        return HP_ERR_IO;
      }
    }
    hp_h5_fail(st, HP_ERR_IO, -1, "cannot create HDF5 file %s", path);
    hp_h5_quiet_end(&q);
    unlink(path); /* what HDF5 managed to write of it (a full disk) */
    return HP_ERR_IO;
  }
  hp_h5_quiet_end(&q);
  return HP_OK;
}

int hp_h5_open_ro(const char *path, hid_t *file, hp_status *st) {
  struct stat sb;
  hp_h5_quiet q;
  htri_t is;
  *file = HP_H5_BAD;
  if (stat(path, &sb) != 0)
    return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  if (S_ISDIR(sb.st_mode)) return hp_fail(st, HP_ERR_IO, "cannot open %s: is a directory", path);
  hp_h5_quiet_begin(&q);
  is = H5Fis_hdf5(path);
  if (is == 0) {
    hp_h5_quiet_end(&q);
    return hp_fail(st, HP_ERR_FORMAT, "%s is not an HDF5 file (no HDF5 signature)", path);
  }
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (*file < 0) {
    hp_h5_fail(st, HP_ERR_FORMAT, -1, "cannot open HDF5 file %s (corrupt or truncated?)", path);
    hp_h5_quiet_end(&q);
    return HP_ERR_FORMAT;
  }
  hp_h5_quiet_end(&q);
  return HP_OK;
}

int hp_h5_create_group(hid_t loc, const char *name, hid_t *group, hp_status *st) {
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  const hid_t gcpl = hp_h5_untimed(H5P_GROUP_CREATE);
  *group = gcpl < 0 ? gcpl : H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  if (gcpl >= 0) H5Pclose(gcpl);
  if (*group < 0) {
    hp_h5_fail(st, HP_ERR_IO, loc, "cannot create group '%s'", name);
    hp_h5_quiet_end(&q);
    return HP_ERR_IO;
  }
  hp_h5_quiet_end(&q);
  return HP_OK;
}

int hp_h5_exists(hid_t loc, const char *name) {
  char path[1024];
  size_t len = strlen(name);
  hp_h5_quiet q;
  int ok = 1;
  if (len == 0 || len >= sizeof path) return 0;
  memcpy(path, name, len + 1);
  hp_h5_quiet_begin(&q);
  /* Check each component in turn: H5Lexists fails (rather than saying 0) on a missing parent. */
  for (size_t i = 1; i <= len && ok; i++) {
    if (path[i] == '/' || path[i] == '\0') {
      char save = path[i];
      path[i] = '\0';
      if (H5Lexists(loc, path, H5P_DEFAULT) <= 0) ok = 0;
      path[i] = save;
    }
  }
  H5Eclear2(H5E_DEFAULT);
  hp_h5_quiet_end(&q);
  return ok;
}

int hp_h5_open_group(hid_t loc, const char *name, hid_t *group, hp_status *st) {
  hp_h5_quiet q;
  char where[2200];
  *group = HP_H5_BAD;
  if (!hp_h5_exists(loc, name))
    return hp_fail(st, HP_ERR_FORMAT, "%s: group '%s' not found",
                   hp_h5_describe(loc, where, sizeof where), name);
  hp_h5_quiet_begin(&q);
  *group = H5Gopen2(loc, name, H5P_DEFAULT);
  if (*group < 0) {
    hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot open group '%s'", name);
    hp_h5_quiet_end(&q);
    return HP_ERR_FORMAT;
  }
  hp_h5_quiet_end(&q);
  return HP_OK;
}

int hp_h5_attr_exists(hid_t loc, const char *name) {
  hp_h5_quiet q;
  htri_t r;
  hp_h5_quiet_begin(&q);
  r = H5Aexists(loc, name);
  H5Eclear2(H5E_DEFAULT);
  hp_h5_quiet_end(&q);
  return r > 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing attributes                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Create and write one attribute with an explicit on-disk type and dataspace (quiet held). */
static int write_attr(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                      const void *data, size_t n, hp_status *st) {
  hid_t space = HP_H5_BAD, attr = HP_H5_BAD;
  int rc = HP_OK;
  if (n == 0) {
    space = H5Screate(H5S_SCALAR);
  } else {
    hsize_t dim = n;
    space = H5Screate_simple(1, &dim, NULL);
  }
  if (space < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, loc, "attribute '%s': cannot create dataspace", name);
    goto done;
  }
  attr = H5Acreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (attr < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, loc, "cannot create attribute '%s'", name);
    goto done;
  }
  if (H5Awrite(attr, mem_type, data) < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, loc, "cannot write attribute '%s'", name);
    goto done;
  }
done:
  if (attr >= 0 && H5Aclose(attr) < 0 && rc == HP_OK)
    rc = hp_h5_fail(st, HP_ERR_IO, loc, "cannot close attribute '%s'", name);
  if (space >= 0) H5Sclose(space);
  return rc;
}

int hp_h5_write_attr(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, const void *data,
                     size_t n, hp_status *st) {
  hp_h5_quiet q;
  int rc;
  hp_h5_quiet_begin(&q);
  rc = write_attr(loc, name, file_type, mem_type, data, n, st);
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_write_attr_double(hid_t loc, const char *name, const double *v, size_t n, hp_status *st) {
  return hp_h5_write_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, n, st);
}

int hp_h5_write_attr_int(hid_t loc, const char *name, const int *v, size_t n, hp_status *st) {
  return hp_h5_write_attr(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, v, n, st);
}

int hp_h5_write_attr_string(hid_t loc, const char *name, const char *value, hp_status *st) {
  hp_h5_quiet q;
  hid_t type;
  size_t len = strlen(value);
  int rc = HP_OK;
  hp_h5_quiet_begin(&q);
  type = H5Tcopy(H5T_C_S1);
  if (type < 0 || H5Tset_size(type, len > 0 ? len : 1) < 0 ||
      H5Tset_strpad(type, H5T_STR_NULLPAD) < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, loc, "attribute '%s': cannot make a string type", name);
  } else {
    rc = write_attr(loc, name, type, type, value, 0, st);
  }
  if (type >= 0) H5Tclose(type);
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_write_kv(hid_t group, const hp_kv_list *kv, hp_status *st) {
  char where[2200];
  for (int i = 0; i < kv->n; i++) {
    const char *k = kv->key[i], *v = kv->value[i];
    if (k == NULL || k[0] == '\0')
      return hp_fail(st, HP_ERR_INPUT, "%s: parameter %d has an empty key",
                     hp_h5_describe(group, where, sizeof where), i);
    if (hp_h5_attr_exists(group, k))
      return hp_fail(st, HP_ERR_INPUT, "%s: duplicate parameter key '%s'",
                     hp_h5_describe(group, where, sizeof where), k);
    int rc = hp_h5_write_attr_string(group, k, v != NULL ? v : "", st);
    if (rc) return rc;
  }
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading attributes                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Open an attribute that must exist (quiet held). */
static int open_attr(hid_t loc, const char *name, hid_t *attr, hp_status *st) {
  char where[2200];
  htri_t ex = H5Aexists(loc, name);
  *attr = HP_H5_BAD;
  if (ex <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' not found",
                   hp_h5_describe(loc, where, sizeof where), name);
  }
  *attr = H5Aopen(loc, name, H5P_DEFAULT);
  if (*attr < 0) return hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot open attribute '%s'", name);
  return HP_OK;
}

/* Number of elements of an open attribute (quiet held). */
static int attr_npoints(hid_t loc, hid_t attr, const char *name, size_t *n, hp_status *st) {
  hid_t space = H5Aget_space(attr);
  hssize_t np;
  if (space < 0)
    return hp_h5_fail(st, HP_ERR_FORMAT, loc, "attribute '%s': cannot get its dataspace", name);
  np = H5Sget_simple_extent_npoints(space);
  H5Sclose(space);
  if (np < 0) return hp_h5_fail(st, HP_ERR_FORMAT, loc, "attribute '%s': bad dataspace", name);
  *n = (size_t)np;
  return HP_OK;
}

int hp_h5_attr_npoints(hid_t loc, const char *name, size_t *n, hp_status *st) {
  hp_h5_quiet q;
  hid_t attr;
  int rc;
  hp_h5_quiet_begin(&q);
  rc = open_attr(loc, name, &attr, st);
  if (!rc) rc = attr_npoints(loc, attr, name, n, st);
  if (attr >= 0) H5Aclose(attr);
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_read_attr(hid_t loc, const char *name, hid_t mem_type, void *out, size_t n,
                    hp_status *st) {
  char where[2200];
  hp_h5_quiet q;
  hid_t attr;
  size_t have = 0;
  int rc;
  hp_h5_quiet_begin(&q);
  rc = open_attr(loc, name, &attr, st);
  if (!rc) rc = attr_npoints(loc, attr, name, &have, st);
  if (!rc && have != n)
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' has %zu elements, expected %zu",
                 hp_h5_describe(loc, where, sizeof where), name, have, n);
  if (!rc && H5Aread(attr, mem_type, out) < 0)
    rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot read attribute '%s' (wrong type?)", name);
  if (attr >= 0) H5Aclose(attr);
  hp_h5_quiet_end(&q);
  return rc;
}

/* Read an open string attribute into a malloc'd string (quiet held). */
static int read_string(hid_t loc, hid_t attr, const char *name, char **out, hp_status *st) {
  char where[2200];
  hid_t type = H5Aget_type(attr), mtype = HP_H5_BAD;
  size_t n = 0;
  int rc = HP_OK;
  *out = NULL;
  if (type < 0) {
    rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "attribute '%s': cannot get its type", name);
    goto done;
  }
  if (H5Tget_class(type) != H5T_STRING) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' is not a string",
                 hp_h5_describe(loc, where, sizeof where), name);
    goto done;
  }
  rc = attr_npoints(loc, attr, name, &n, st);
  if (rc) goto done;
  if (n != 1) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' holds %zu strings, expected one",
                 hp_h5_describe(loc, where, sizeof where), name, n);
    goto done;
  }
  if (H5Tis_variable_str(type) > 0) {
    char *p = NULL;
    mtype = H5Tcopy(H5T_C_S1);
    if (mtype < 0 || H5Tset_size(mtype, H5T_VARIABLE) < 0 || H5Aread(attr, mtype, &p) < 0) {
      rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot read string attribute '%s'", name);
      goto done;
    }
    *out = strdup(p != NULL ? p : "");
    if (p != NULL) H5free_memory(p);
  } else {
    size_t size = H5Tget_size(type);
    char *buf = malloc(size + 1);
    if (buf == NULL) {
      rc =
          hp_fail(st, HP_ERR_NOMEM, "cannot allocate %zu bytes for attribute '%s'", size + 1, name);
      goto done;
    }
    if (H5Aread(attr, type, buf) < 0) {
      free(buf);
      rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot read string attribute '%s'", name);
      goto done;
    }
    buf[size] = '\0';
    *out = buf;
  }
  if (*out == NULL) rc = hp_fail(st, HP_ERR_NOMEM, "cannot copy attribute '%s'", name);
done:
  if (mtype >= 0) H5Tclose(mtype);
  if (type >= 0) H5Tclose(type);
  return rc;
}

int hp_h5_read_attr_string(hid_t loc, const char *name, char **out, hp_status *st) {
  hp_h5_quiet q;
  hid_t attr;
  int rc;
  *out = NULL;
  hp_h5_quiet_begin(&q);
  rc = open_attr(loc, name, &attr, st);
  if (!rc) rc = read_string(loc, attr, name, out, st);
  if (attr >= 0) H5Aclose(attr);
  hp_h5_quiet_end(&q);
  return rc;
}

/* Growing list of attribute names, filled by H5Aiterate2. */
typedef struct name_list {
  int n, cap; /* count, capacity */
  char **name;
  int nomem; /* set when an allocation failed */
} name_list;

static herr_t collect_name(hid_t loc, const char *name, const H5A_info_t *info, void *client) {
  name_list *l = client;
  (void)loc;
  (void)info;
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    char **p = realloc(l->name, (size_t)cap * sizeof *p);
    if (p == NULL) {
      l->nomem = 1;
      return -1;
    }
    l->name = p;
    l->cap = cap;
  }
  l->name[l->n] = strdup(name);
  if (l->name[l->n] == NULL) {
    l->nomem = 1;
    return -1;
  }
  l->n++;
  return 0;
}

/* Format a numeric attribute as text (quiet held); *out NULL when the type is unsupported. */
static int numeric_text(hid_t loc, hid_t attr, const char *name, char **out, hp_status *st) {
  hid_t type = H5Aget_type(attr);
  H5T_class_t cls;
  size_t n = 0;
  int rc = HP_OK;
  void *vals = NULL;
  *out = NULL;
  if (type < 0)
    return hp_h5_fail(st, HP_ERR_FORMAT, loc, "attribute '%s': cannot get its type", name);
  cls = H5Tget_class(type);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) goto done;
  rc = attr_npoints(loc, attr, name, &n, st);
  if (rc || n == 0) goto done;
  {
    int is_unsigned = cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE;
    hid_t mtype =
        cls == H5T_FLOAT ? H5T_NATIVE_DOUBLE : (is_unsigned ? H5T_NATIVE_ULLONG : H5T_NATIVE_LLONG);
    size_t cap = n * 32 + 1, len = 0;
    char *text;
    vals = malloc(n * 8);
    text = malloc(cap);
    if (vals == NULL || text == NULL) {
      free(text);
      rc = hp_fail(st, HP_ERR_NOMEM, "cannot allocate text for attribute '%s'", name);
      goto done;
    }
    if (H5Aread(attr, mtype, vals) < 0) {
      free(text);
      rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot read attribute '%s'", name);
      goto done;
    }
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
      const char *sep = i ? " " : "";
      if (cls == H5T_FLOAT)
        len += (size_t)snprintf(text + len, cap - len, "%s%.17g", sep, ((double *)vals)[i]);
      else if (is_unsigned)
        len +=
            (size_t)snprintf(text + len, cap - len, "%s%llu", sep, ((unsigned long long *)vals)[i]);
      else
        len += (size_t)snprintf(text + len, cap - len, "%s%lld", sep, ((long long *)vals)[i]);
    }
    *out = text;
  }
done:
  free(vals);
  H5Tclose(type);
  return rc;
}

void hp_h5_free_text_list(int n, char **keys, char **values) {
  for (int i = 0; i < n; i++) {
    if (keys) free(keys[i]);
    if (values) free(values[i]);
  }
  free(keys);
  free(values);
}

int hp_h5_read_attrs_text(hid_t loc, int *n, char ***keys, char ***values, hp_status *st) {
  hp_h5_quiet q;
  name_list l = {0, 0, NULL, 0};
  char **vals = NULL;
  int rc = HP_OK, kept = 0;
  *n = 0;
  *keys = NULL;
  *values = NULL;
  hp_h5_quiet_begin(&q);
  if (H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &l) < 0) {
    if (l.nomem)
      rc = hp_fail(st, HP_ERR_NOMEM, "cannot allocate the list of attribute names");
    else
      rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot list attributes");
    goto done;
  }
  if (l.n > 0) {
    vals = calloc((size_t)l.n, sizeof *vals);
    if (vals == NULL) {
      rc = hp_fail(st, HP_ERR_NOMEM, "cannot allocate %d attribute values", l.n);
      goto done;
    }
  }
  for (int i = 0; i < l.n; i++) {
    hid_t attr, type;
    char *text = NULL;
    rc = open_attr(loc, l.name[i], &attr, st);
    if (rc) goto done;
    type = H5Aget_type(attr);
    if (type >= 0 && H5Tget_class(type) == H5T_STRING)
      rc = read_string(loc, attr, l.name[i], &text, st);
    else
      rc = numeric_text(loc, attr, l.name[i], &text, st);
    if (type >= 0) H5Tclose(type);
    H5Aclose(attr);
    if (rc) goto done;
    if (text == NULL) { /* unsupported type: drop this attribute */
      free(l.name[i]);
      l.name[i] = NULL;
      continue;
    }
    l.name[kept] = l.name[i];
    if (kept != i) l.name[i] = NULL;
    vals[kept++] = text;
  }
done:
  if (rc) {
    for (int i = 0; i < l.n; i++) free(l.name[i]);
    free(l.name);
    if (vals)
      for (int i = 0; i < l.n; i++) free(vals[i]);
    free(vals);
  } else {
    *n = kept;
    *keys = l.name;
    *values = vals;
  }
  hp_h5_quiet_end(&q);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Datasets                                                                                   */
/* ------------------------------------------------------------------------------------------ */

int hp_h5_create_dataset(hid_t loc, const char *name, hid_t file_type, int rank,
                         const hsize_t *dims, hid_t *dset, hp_status *st) {
  hp_h5_quiet q;
  hid_t space;
  int rc = HP_OK;
  *dset = HP_H5_BAD;
  if (rank < 1 || rank > H5S_MAX_RANK)
    return hp_fail(st, HP_ERR_INTERNAL, "dataset '%s': rank %d not in 1..%d", name, rank,
                   H5S_MAX_RANK);
  hp_h5_quiet_begin(&q);
  space = H5Screate_simple(rank, dims, NULL);
  if (space < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, loc, "dataset '%s': cannot create dataspace", name);
  } else {
    const hid_t dcpl = hp_h5_untimed(H5P_DATASET_CREATE);
    *dset =
        dcpl < 0 ? dcpl : H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (*dset < 0) rc = hp_h5_fail(st, HP_ERR_IO, loc, "cannot create dataset '%s'", name);
    if (dcpl >= 0) H5Pclose(dcpl);
    H5Sclose(space);
  }
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_write_slab(hid_t dset, hid_t mem_type, const hsize_t *start, const hsize_t *count,
                     const void *buf, hp_status *st) {
  hp_h5_quiet q;
  hid_t fspace = HP_H5_BAD, mspace = HP_H5_BAD;
  int rank, rc = HP_OK;
  hp_h5_quiet_begin(&q);
  fspace = H5Dget_space(dset);
  rank = fspace < 0 ? -1 : H5Sget_simple_extent_ndims(fspace);
  if (rank < 1) {
    rc = hp_h5_fail(st, HP_ERR_IO, dset, "cannot get the dataspace");
    goto done;
  }
  for (int d = 0; d < rank; d++)
    if (count[d] == 0) goto done; /* nothing to write */
  mspace = H5Screate_simple(rank, count, NULL);
  if (mspace < 0 || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, dset, "cannot select rows %llu..%llu",
                    (unsigned long long)start[0], (unsigned long long)(start[0] + count[0]));
    goto done;
  }
  if (H5Dwrite(dset, mem_type, mspace, fspace, H5P_DEFAULT, buf) < 0)
    rc = hp_h5_fail(st, HP_ERR_IO, dset, "cannot write rows %llu..%llu",
                    (unsigned long long)start[0], (unsigned long long)(start[0] + count[0]));
done:
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_dataset_shape(hid_t loc, const char *name, int *rank, hsize_t *dims, int max_rank,
                        size_t *type_size, hp_status *st) {
  char where[2200];
  hp_h5_quiet q;
  hid_t dset = HP_H5_BAD, space = HP_H5_BAD, type = HP_H5_BAD;
  int rc = HP_OK;
  if (!hp_h5_exists(loc, name))
    return hp_fail(st, HP_ERR_FORMAT, "%s: dataset '%s' not found",
                   hp_h5_describe(loc, where, sizeof where), name);
  hp_h5_quiet_begin(&q);
  dset = H5Dopen2(loc, name, H5P_DEFAULT);
  if (dset < 0) {
    rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot open dataset '%s'", name);
    goto done;
  }
  space = H5Dget_space(dset);
  *rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  if (*rank < 0 || *rank > max_rank) {
    rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "dataset '%s' has rank %d, at most %d expected", name,
                    *rank, max_rank);
    goto done;
  }
  if (H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
    rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "dataset '%s': cannot get its dimensions", name);
    goto done;
  }
  if (type_size != NULL) {
    type = H5Dget_type(dset);
    *type_size = type < 0 ? 0 : H5Tget_size(type);
    if (*type_size == 0)
      rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "dataset '%s': cannot get its type", name);
  }
done:
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (dset >= 0) H5Dclose(dset);
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_read_dataset(hid_t loc, const char *name, hid_t mem_type, int rank, const hsize_t *dims,
                       void *buf, hp_status *st) {
  char where[2200];
  hsize_t have[8];
  int have_rank = 0, rc;
  hp_h5_quiet q;
  hid_t dset;
  hsize_t total = 1;
  rc = hp_h5_dataset_shape(loc, name, &have_rank, have, 8, NULL, st);
  if (rc) return rc;
  if (have_rank != rank)
    return hp_fail(st, HP_ERR_FORMAT, "%s: dataset '%s' has rank %d, expected %d",
                   hp_h5_describe(loc, where, sizeof where), name, have_rank, rank);
  for (int d = 0; d < rank; d++) {
    if (have[d] != dims[d])
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: dataset '%s' has %llu elements along axis %d, expected %llu",
                     hp_h5_describe(loc, where, sizeof where), name, (unsigned long long)have[d], d,
                     (unsigned long long)dims[d]);
    total *= dims[d];
  }
  if (total == 0) return HP_OK;
  hp_h5_quiet_begin(&q);
  dset = H5Dopen2(loc, name, H5P_DEFAULT);
  if (dset < 0) {
    rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot open dataset '%s'", name);
  } else {
    if (H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
      rc = hp_h5_fail(st, HP_ERR_FORMAT, loc, "cannot read dataset '%s' (corrupt or truncated?)",
                      name);
    H5Dclose(dset);
  }
  hp_h5_quiet_end(&q);
  return rc;
}

int hp_h5_write_column(hid_t g, const char *name, hid_t ftype, hid_t mtype, int64_t n, int width,
                       const void *buf, const char *units, const char *desc, hp_status *st) {
  hsize_t dims[2] = {(hsize_t)n, (hsize_t)width}, start[2] = {0, 0};
  const int rank = width > 1 ? 2 : 1;
  hid_t d;
  int rc = hp_h5_create_dataset(g, name, ftype, rank, dims, &d, st);
  if (rc) return rc;
  rc = hp_h5_write_slab(d, mtype, start, dims, buf, st);
  if (!rc) rc = hp_h5_write_attr_string(d, "Units", units, st);
  if (!rc) rc = hp_h5_write_attr_string(d, "Description", desc, st);
  H5Dclose(d);
  return rc;
}

int hp_h5_read_string_into(hid_t g, const char *name, char *field, size_t size, hp_status *st) {
  char *s = NULL, where[2200];
  int rc = hp_h5_read_attr_string(g, name, &s, st);
  if (rc) return rc;
  if (strlen(s) >= size) {
    rc =
        hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' is %zu characters long, at most %zu allowed",
                hp_h5_describe(g, where, sizeof where), name, strlen(s), size - 1);
  } else {
    memcpy(field, s, strlen(s) + 1);
  }
  free(s);
  return rc;
}

int hp_h5_create_growing(hid_t g, const char *name, hid_t ftype, int width, const char *units,
                         const char *desc, hid_t *dset, hp_status *st) {
  const int rank = width > 1 ? 2 : 1;
  const hsize_t dims[2] = {0, (hsize_t)width}, max[2] = {H5S_UNLIMITED, (hsize_t)width},
                chunk[2] = {1024, (hsize_t)width};
  hp_h5_quiet q;
  int rc = HP_OK;
  *dset = HP_H5_BAD;
  hp_h5_quiet_begin(&q);
  const hid_t space = H5Screate_simple(rank, dims, max), plist = hp_h5_untimed(H5P_DATASET_CREATE);
  if (space < 0 || plist < 0 || H5Pset_chunk(plist, rank, chunk) < 0)
    rc = hp_h5_fail(st, HP_ERR_IO, g, "dataset '%s': cannot plan a growing column", name);
  else if ((*dset = H5Dcreate2(g, name, ftype, space, H5P_DEFAULT, plist, H5P_DEFAULT)) < 0)
    rc = hp_h5_fail(st, HP_ERR_IO, g, "cannot create dataset '%s'", name);
  if (space >= 0) H5Sclose(space);
  if (plist >= 0) H5Pclose(plist);
  hp_h5_quiet_end(&q);
  if (!rc) rc = hp_h5_write_attr_string(*dset, "Units", units, st);
  if (!rc) rc = hp_h5_write_attr_string(*dset, "Description", desc, st);
  return rc;
}

int hp_h5_append_rows(hid_t dset, hid_t mtype, int64_t at, int64_t n, int width, const void *buf,
                      hp_status *st) {
  if (n <= 0) return HP_OK;
  const hsize_t dims[2] = {(hsize_t)(at + n), (hsize_t)width}, start[2] = {(hsize_t)at, 0},
                count[2] = {(hsize_t)n, (hsize_t)width};
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  const herr_t e = H5Dset_extent(dset, dims);
  hp_h5_quiet_end(&q);
  if (e < 0)
    return hp_h5_fail(st, HP_ERR_IO, dset, "cannot grow to %lld rows", (long long)(at + n));
  return hp_h5_write_slab(dset, mtype, start, count, buf, st);
}

int hp_h5_write_kv_group(hid_t loc, const char *name, int n, char *const *keys, char *const *values,
                         hp_status *st) {
  hid_t g;
  const hp_kv_list kv = {n, (const char *const *)keys, (const char *const *)values};
  int rc = hp_h5_create_group(loc, name, &g, st);
  if (rc) return rc;
  rc = hp_h5_write_kv(g, &kv, st);
  H5Gclose(g);
  return rc;
}

int hp_h5_read_kv_group(hid_t loc, const char *name, int *n, char ***keys, char ***values,
                        hp_status *st) {
  hid_t g;
  *n = 0, *keys = *values = NULL;
  if (!hp_h5_exists(loc, name)) return HP_OK;
  int rc = hp_h5_open_group(loc, name, &g, st);
  if (rc) return rc;
  rc = hp_h5_read_attrs_text(g, n, keys, values, st);
  H5Gclose(g);
  return rc;
}
