/*
 * Initial-condition reader: Gadget-2 binary formats 1 and 2 and HDF5 (Gadget layout), one
 * file or a whole multi-file snapshot. Every size in a file is checked against the header
 * and the file size before it is trusted; failures are reported, never crashed on.
 */
#define _POSIX_C_SOURCE 200809L
#include "ic_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lpt/ic_write.h"
#include "util/hdf5_util.h"

/** Doubles converted per step when a binary file stores positions in double precision. */
#define RD_CHUNK 65536

/** An open IC file of any format. */
typedef struct ic_in {
  const char *path; /**< file name, for messages */
  int format;       /**< 1, 2 or 3 */
  FILE *fp;         /**< binary formats: the stream */
  int64_t size;     /**< binary formats: file size, bytes */
  int64_t off;      /**< binary formats: current offset, bytes */
  hid_t file;       /**< HDF5: the file handle (negative when closed) */
} ic_in;

static const char *const type_names[6] = {"gas", "halo/DM", "disk", "bulge", "stars", "bndry"};

/* ------------------------------------------------------------------------------------------ */
/* Binary primitives                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* Read exactly `bytes`, or fail naming the file, the offset and what was being read. */
static int get(ic_in *in, void *buf, size_t bytes, const char *what, hp_status *st) {
  size_t got = bytes ? fread(buf, 1, bytes, in->fp) : 0;
  if (got != bytes) {
    if (ferror(in->fp))
      return hp_fail(st, HP_ERR_IO, "%s: read error in %s at byte %lld: %s", in->path, what,
                     (long long)in->off, strerror(errno));
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: truncated: file ends at byte %lld inside %s "
                   "(%zu bytes needed from byte %lld)",
                   in->path, (long long)(in->off + (int64_t)got), what, bytes, (long long)in->off);
  }
  in->off += (int64_t)bytes;
  return HP_OK;
}

static int get_i32(ic_in *in, int32_t *v, const char *what, hp_status *st) {
  return get(in, v, 4, what, st);
}

/* A record marker that must equal `expect`. */
static int expect_marker(ic_in *in, int64_t expect, const char *what, hp_status *st) {
  int32_t m;
  int64_t at = in->off;
  int rc = get_i32(in, &m, what, st);
  if (rc) return rc;
  if (m != expect)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: record marker mismatch in %s at byte %lld: "
                   "found %d, expected %lld",
                   in->path, what, (long long)at, (int)m, (long long)expect);
  return HP_OK;
}

/* Check that `bytes` more (plus a trailing marker) are in the file before reading them. */
static int check_room(const ic_in *in, int64_t bytes, const char *what, hp_status *st) {
  if (in->off + bytes + 4 > in->size)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: truncated: %s needs %lld bytes from byte %lld but "
                   "the file has %lld bytes",
                   in->path, what, (long long)(bytes + 4), (long long)in->off, (long long)in->size);
  return HP_OK;
}

/* Format 2 label record: marker 8, 4 chars, int32 size, marker 8. *eof = 1 at clean EOF. */
static int get_label(ic_in *in, char label[5], int32_t *size, int *eof, hp_status *st) {
  unsigned char rec[16];
  int32_t m1, m2;
  *eof = 0;
  if (in->off == in->size) {
    *eof = 1;
    return HP_OK;
  }
  int rc = get(in, rec, sizeof rec, "format-2 label record", st);
  if (rc) return rc;
  memcpy(&m1, rec, 4);
  memcpy(label, rec + 4, 4);
  label[4] = '\0';
  memcpy(size, rec + 8, 4);
  memcpy(&m2, rec + 12, 4);
  if (m1 != 8 || m2 != 8)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: record marker mismatch in format-2 label record at "
                   "byte %lld: markers %d and %d, expected 8 and 8",
                   in->path, (long long)(in->off - 16), (int)m1, (int)m2);
  for (int i = 0; i < 4; i++)
    if (label[i] < 32 || label[i] > 126) label[i] = '?';
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Header                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Types other than 1 are not supported; negative counts are corrupt. */
static int check_types(const char *path, const hp_ic_header *h, hp_status *st) {
  for (int t = 0; t < 6; t++) {
    if (h->npart[t] < 0)
      return hp_fail(st, HP_ERR_FORMAT, "%s: corrupt header: npart[%d] = %lld", path, t,
                     (long long)h->npart[t]);
    if (t != 1 && (h->npart[t] != 0 || h->npart_total[t] != 0))
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: holds particles of type %d (%s): only "
                     "dark-matter-only (type 1) files are supported",
                     path, t, type_names[t]);
  }
  if (h->num_files < 1)
    return hp_fail(st, HP_ERR_FORMAT, "%s: corrupt header: num_files = %d", path, h->num_files);
  if (!isfinite(h->box) || h->box <= 0)
    return hp_fail(st, HP_ERR_FORMAT, "%s: corrupt header: BoxSize = %g", path, h->box);
  if ((uint64_t)h->npart[1] > h->npart_total[1])
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: corrupt header: %lld particles in the file but "
                   "%llu in the snapshot",
                   path, (long long)h->npart[1], (unsigned long long)h->npart_total[1]);
  return HP_OK;
}

static void parse_gadget_header(const unsigned char *b, hp_ic_header *h) {
  for (int t = 0; t < 6; t++) {
    int32_t np;
    uint32_t lo, hi;
    memcpy(&np, b + HP_GH_NPART + 4 * t, 4);
    memcpy(&lo, b + HP_GH_NPART_TOTAL + 4 * t, 4);
    memcpy(&hi, b + HP_GH_NPART_HIGH + 4 * t, 4);
    memcpy(&h->mass[t], b + HP_GH_MASS + 8 * t, 8);
    h->npart[t] = np;
    h->npart_total[t] = (uint64_t)lo | ((uint64_t)hi << 32);
  }
  memcpy(&h->time, b + HP_GH_TIME, 8);
  memcpy(&h->redshift, b + HP_GH_REDSHIFT, 8);
  memcpy(&h->num_files, b + HP_GH_NUM_FILES, 4);
  memcpy(&h->box, b + HP_GH_BOXSIZE, 8);
  memcpy(&h->omega_m, b + HP_GH_OMEGA0, 8);
  memcpy(&h->omega_l, b + HP_GH_OMEGA_LAMBDA, 8);
  memcpy(&h->h, b + HP_GH_HUBBLE_PARAM, 8);
}

static int bin_header(ic_in *in, hp_ic_header *h, hp_status *st) {
  unsigned char b[HP_GH_SIZE];
  int32_t m;
  int rc;
  if (in->format == HP_IC_GADGET2) {
    char label[5];
    int32_t size;
    int eof;
    if ((rc = get_label(in, label, &size, &eof, st))) return rc;
    if (eof) return hp_fail(st, HP_ERR_FORMAT, "%s: empty file", in->path);
    if (strcmp(label, "HEAD") != 0)
      return hp_fail(st, HP_ERR_FORMAT, "%s: first block is labelled '%s', expected 'HEAD'",
                     in->path, label);
    if (size != HP_GH_SIZE + 8)
      return hp_fail(st, HP_ERR_FORMAT, "%s: HEAD label gives size %d, expected %d", in->path,
                     (int)size, HP_GH_SIZE + 8);
  }
  if ((rc = get_i32(in, &m, "header record marker", st))) return rc;
  if (m != HP_GH_SIZE) {
    if (m == 0x00010000 || m == 0x08000000)
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: byte-swapped (big-endian) Gadget file: not "
                     "supported",
                     in->path);
    if (m == 8 && in->format == HP_IC_GADGET1)
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: record marker mismatch in header: found 8, "
                     "expected 256 (is this a format-2 file?)",
                     in->path);
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: record marker mismatch in header at byte %lld: "
                   "found %d, expected 256",
                   in->path, (long long)(in->off - 4), (int)m);
  }
  if ((rc = get(in, b, sizeof b, "header", st))) return rc;
  if ((rc = expect_marker(in, HP_GH_SIZE, "header (end marker)", st))) return rc;
  parse_gadget_header(b, h);
  h->format = in->format;
  h->unit_length_in_cm = 0;
  rc = check_types(in->path, h, st);
  if (rc) return rc;
  /* Refuse a truncated file before allocating anything for it. */
  {
    const int64_t n = h->npart[1];
    const int64_t need =
        in->off + 2 * (12 * n + 8) + (4 * n + 8) + (in->format == HP_IC_GADGET2 ? 3 * 16 : 0);
    if (n > 0 && need > in->size)
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: truncated: the header announces %lld particles, "
                     "which need at least %lld bytes, but the file has %lld bytes",
                     in->path, (long long)n, (long long)need, (long long)in->size);
  }
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Binary blocks                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* POS or VEL payload of `bytes` (marker already read) into out[3n] floats. */
static int bin_vec3(ic_in *in, int64_t n, int64_t bytes, const char *what, float *out, int *width,
                    hp_status *st) {
  int rc;
  if (bytes != 12 * n && bytes != 24 * n)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: %s block has %lld bytes, but %lld particles need "
                   "%lld (float) or %lld (double)",
                   in->path, what, (long long)bytes, (long long)n, (long long)(12 * n),
                   (long long)(24 * n));
  if ((rc = check_room(in, bytes, what, st))) return rc;
  if (n == 0) {
    *width = 4;
    return HP_OK;
  }
  if (bytes == 12 * n) {
    *width = 4;
    return get(in, out, (size_t)bytes, what, st);
  }
  *width = 8;
  {
    double *tmp = malloc(RD_CHUNK * sizeof *tmp);
    if (tmp == NULL) return hp_fail(st, HP_ERR_NOMEM, "cannot allocate a read buffer");
    for (int64_t s = 0; s < 3 * n; s += RD_CHUNK) {
      const int64_t c = 3 * n - s < RD_CHUNK ? 3 * n - s : RD_CHUNK;
      rc = get(in, tmp, (size_t)c * 8, what, st);
      if (rc) break;
      for (int64_t i = 0; i < c; i++) out[s + i] = (float)tmp[i];
    }
    free(tmp);
  }
  return rc;
}

/* ID payload of `bytes` into out[n] uint64 (uint32 IDs widened in place). */
static int bin_ids(ic_in *in, int64_t n, int64_t bytes, uint64_t *out, int *width, hp_status *st) {
  int rc;
  if (bytes != 4 * n && bytes != 8 * n)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: ID block has %lld bytes, but %lld particles need "
                   "%lld (uint32) or %lld (uint64)",
                   in->path, (long long)bytes, (long long)n, (long long)(4 * n),
                   (long long)(8 * n));
  if ((rc = check_room(in, bytes, "ID block", st))) return rc;
  if (n == 0) {
    *width = 0;
    return HP_OK;
  }
  if (bytes == 8 * n) {
    *width = 8;
    return get(in, out, (size_t)bytes, "ID block", st);
  }
  *width = 4;
  if ((rc = get(in, out, (size_t)bytes, "ID block", st))) return rc;
  /* Widen backwards: id[i] (bytes 8i..8i+7) only overwrites uint32 slots >= i. */
  for (int64_t i = n - 1; i >= 0; i--) {
    uint32_t v;
    memcpy(&v, (unsigned char *)out + 4 * i, 4);
    out[i] = v;
  }
  return HP_OK;
}

/* Read one block (kind 0 POS, 1 VEL, 2 ID) with its two markers. */
static int bin_block(ic_in *in, int kind, int64_t n, float *pos, float *vel, uint64_t *id,
                     hp_ic_header *h, hp_status *st) {
  static const char *const what[3] = {"POS block", "VEL block", "ID block"};
  int32_t m;
  int width = 0, rc;
  if ((rc = get_i32(in, &m, what[kind], st))) return rc;
  if (m < 0)
    return hp_fail(st, HP_ERR_FORMAT, "%s: corrupt record marker %d for %s at byte %lld", in->path,
                   (int)m, what[kind], (long long)(in->off - 4));
  if (kind == 2)
    rc = bin_ids(in, n, m, id, &width, st);
  else
    rc = bin_vec3(in, n, m, what[kind], kind == 0 ? pos : vel, &width, st);
  if (rc) return rc;
  if (kind == 2) h->id_bytes = width;
  if (kind == 0) h->pos_bytes = width;
  return expect_marker(in, m, what[kind], st);
}

static int bin_data(ic_in *in, hp_ic_header *h, float *pos, float *vel, uint64_t *id,
                    hp_status *st) {
  const int64_t n = h->npart[1];
  int rc;
  if (in->format == HP_IC_GADGET1) {
    for (int kind = 0; kind < 3; kind++)
      if ((rc = bin_block(in, kind, n, pos, vel, id, h, st))) return rc;
    return HP_OK;
  }
  /* Format 2: find the labelled blocks, skipping any others. */
  int found[3] = {0, 0, 0};
  while (!(found[0] && found[1] && found[2])) {
    char label[5];
    int32_t size, m;
    int eof, kind = -1;
    if ((rc = get_label(in, label, &size, &eof, st))) return rc;
    if (eof) {
      const char *miss = !found[0] ? "POS " : !found[1] ? "VEL " : "ID  ";
      return hp_fail(st, HP_ERR_FORMAT, "%s: truncated or incomplete: no '%s' block", in->path,
                     miss);
    }
    if (strcmp(label, "POS ") == 0) kind = 0;
    if (strcmp(label, "VEL ") == 0) kind = 1;
    if (strcmp(label, "ID  ") == 0) kind = 2;
    if (kind >= 0 && found[kind])
      return hp_fail(st, HP_ERR_FORMAT, "%s: block '%s' appears twice", in->path, label);
    if (kind >= 0) {
      const int64_t at = in->off;
      if ((rc = bin_block(in, kind, n, pos, vel, id, h, st))) return rc;
      if ((int64_t)size != in->off - at)
        return hp_fail(st, HP_ERR_FORMAT,
                       "%s: label '%s' gives size %d but the block has %lld "
                       "bytes",
                       in->path, label, (int)size, (long long)(in->off - at));
      found[kind] = 1;
      continue;
    }
    /* Unknown block: skip it, checking its markers. */
    if ((rc = get_i32(in, &m, label, st))) return rc;
    if (m < 0 || (rc = check_room(in, m, label, st)))
      return rc ? rc
                : hp_fail(st, HP_ERR_FORMAT, "%s: corrupt marker in block '%s'", in->path, label);
    if (fseeko(in->fp, (off_t)m, SEEK_CUR) != 0)
      return hp_fail(st, HP_ERR_IO, "%s: cannot skip block '%s': %s", in->path, label,
                     strerror(errno));
    in->off += m;
    if ((rc = expect_marker(in, m, label, st))) return rc;
  }
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* HDF5                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Read an optional double attribute (NaN when absent). */
static int opt_double(hid_t g, const char *name, double *v, hp_status *st) {
  *v = NAN;
  if (!hp_h5_attr_exists(g, name)) return HP_OK;
  return hp_h5_read_attr(g, name, H5T_NATIVE_DOUBLE, v, 1, st);
}

static int h5_header(ic_in *in, hp_ic_header *h, hp_status *st) {
  int64_t np[6];
  uint64_t tot[6], high[6] = {0};
  size_t nbox = 0;
  hid_t g;
  int rc = hp_h5_open_group(in->file, "Header", &g, st);
  if (rc) return rc;
  rc = hp_h5_read_attr(g, "NumPart_ThisFile", H5T_NATIVE_INT64, np, 6, st);
  if (!rc) rc = hp_h5_read_attr(g, "NumPart_Total", H5T_NATIVE_UINT64, tot, 6, st);
  if (!rc && hp_h5_attr_exists(g, "NumPart_Total_HighWord"))
    rc = hp_h5_read_attr(g, "NumPart_Total_HighWord", H5T_NATIVE_UINT64, high, 6, st);
  if (!rc) rc = hp_h5_read_attr(g, "MassTable", H5T_NATIVE_DOUBLE, h->mass, 6, st);
  if (!rc) rc = hp_h5_read_attr(g, "Time", H5T_NATIVE_DOUBLE, &h->time, 1, st);
  if (!rc) rc = hp_h5_read_attr(g, "Redshift", H5T_NATIVE_DOUBLE, &h->redshift, 1, st);
  if (!rc) rc = hp_h5_read_attr(g, "NumFilesPerSnapshot", H5T_NATIVE_INT, &h->num_files, 1, st);
  if (!rc) rc = hp_h5_attr_npoints(g, "BoxSize", &nbox, st);
  if (!rc) {
    double box[3];
    if (nbox != 1 && nbox != 3)
      rc = hp_fail(st, HP_ERR_FORMAT, "%s: /Header BoxSize has %zu elements", in->path, nbox);
    else
      rc = hp_h5_read_attr(g, "BoxSize", H5T_NATIVE_DOUBLE, box, nbox, st);
    if (!rc) h->box = box[0];
  }
  if (!rc) rc = opt_double(g, "Omega0", &h->omega_m, st);
  if (!rc) rc = opt_double(g, "OmegaLambda", &h->omega_l, st);
  if (!rc) rc = opt_double(g, "HubbleParam", &h->h, st);
  H5Gclose(g);
  if (rc) return rc;
  for (int t = 0; t < 6; t++) {
    h->npart[t] = np[t];
    /* A 64-bit NumPart_Total (Gadget-4) already holds the high word. */
    h->npart_total[t] = tot[t] >> 32 ? tot[t] : tot[t] | (high[t] << 32);
  }
  h->format = HP_IC_HDF5;
  h->unit_length_in_cm = 0;
  if (hp_h5_exists(in->file, "Units")) {
    hid_t u;
    if ((rc = hp_h5_open_group(in->file, "Units", &u, st))) return rc;
    if (hp_h5_attr_exists(u, "Unit length in cgs (U_L)"))
      rc = hp_h5_read_attr(u, "Unit length in cgs (U_L)", H5T_NATIVE_DOUBLE, &h->unit_length_in_cm,
                           1, st);
    H5Gclose(u);
    if (rc) return rc;
  }
  return check_types(in->path, h, st);
}

static int h5_data(ic_in *in, hp_ic_header *h, float *pos, float *vel, uint64_t *id,
                   hp_status *st) {
  const int64_t n = h->npart[1];
  const hsize_t d2[2] = {(hsize_t)n, 3}, d1[1] = {(hsize_t)n};
  hsize_t dims[2];
  size_t isz = 0, psz = 0;
  int rank, rc;
  hid_t g;
  if (n == 0) return HP_OK;
  rc = hp_h5_open_group(in->file, "PartType1", &g, st);
  if (rc) return rc;
  rc = hp_h5_dataset_shape(g, "ParticleIDs", &rank, dims, 2, &isz, st);
  if (!rc) rc = hp_h5_dataset_shape(g, "Coordinates", &rank, dims, 2, &psz, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Coordinates", H5T_NATIVE_FLOAT, 2, d2, pos, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Velocities", H5T_NATIVE_FLOAT, 2, d2, vel, st);
  if (!rc) rc = hp_h5_read_dataset(g, "ParticleIDs", H5T_NATIVE_UINT64, 1, d1, id, st);
  H5Gclose(g);
  h->id_bytes = (int)isz;
  h->pos_bytes = (int)psz;
  return rc;
}

/* /Parameters (as text) and /halopaint Software of an open HDF5 file. */
static int h5_meta(ic_in *in, hp_ic_data *out, hp_status *st) {
  int rc = HP_OK;
  hid_t g;
  if (hp_h5_exists(in->file, "Parameters")) {
    if ((rc = hp_h5_open_group(in->file, "Parameters", &g, st))) return rc;
    rc = hp_h5_read_attrs_text(g, &out->nparams, &out->param_key, &out->param_value, st);
    H5Gclose(g);
    if (rc) return rc;
  }
  if (hp_h5_exists(in->file, "halopaint")) {
    if ((rc = hp_h5_open_group(in->file, "halopaint", &g, st))) return rc;
    if (hp_h5_attr_exists(g, "Software"))
      rc = hp_h5_read_attr_string(g, "Software", &out->software, st);
    if (!rc && out->hdr.unit_length_in_cm == 0 && hp_h5_attr_exists(g, "UnitLength_in_cm"))
      rc = hp_h5_read_attr(g, "UnitLength_in_cm", H5T_NATIVE_DOUBLE, &out->hdr.unit_length_in_cm, 1,
                           st);
    H5Gclose(g);
  }
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Open / read / close any format                                                             */
/* ------------------------------------------------------------------------------------------ */

static int detect(const char *path, int *format, hp_status *st) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char b[8];
  size_t got;
  int32_t m;
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  got = fread(b, 1, sizeof b, fp);
  fclose(fp);
  if (got >= 8 && memcmp(b, sig, 8) == 0) {
    *format = HP_IC_HDF5;
    return HP_OK;
  }
  if (got >= 4) {
    memcpy(&m, b, 4);
    if (m == HP_GH_SIZE) {
      *format = HP_IC_GADGET1;
      return HP_OK;
    }
    if (m == 8) {
      *format = HP_IC_GADGET2;
      return HP_OK;
    }
  }
  {
    hp_h5_quiet q;
    htri_t is;
    hp_h5_quiet_begin(&q);
    is = H5Fis_hdf5(path); /* HDF5 with a user block */
    hp_h5_quiet_end(&q);
    if (is > 0) {
      *format = HP_IC_HDF5;
      return HP_OK;
    }
  }
  if (got < 4)
    return hp_fail(st, HP_ERR_FORMAT, "%s: too short (%zu bytes) for an IC file", path, got);
  return hp_fail(st, HP_ERR_FORMAT,
                 "%s: not a Gadget or HDF5 IC file (first record marker "
                 "%d, expected 256, 8 or the HDF5 signature)",
                 path, (int)m);
}

static void in_close(ic_in *in) {
  if (in->fp != NULL) fclose(in->fp);
  in->fp = NULL;
  if (in->file >= 0) {
    hp_h5_quiet q;
    hp_h5_quiet_begin(&q);
    H5Fclose(in->file);
    hp_h5_quiet_end(&q);
  }
  in->file = -1;
}

/* Open a file and read its header. format 0 = detect. Closes on failure. */
static int in_open(ic_in *in, const char *path, int format, hp_ic_header *h, hp_status *st) {
  int rc;
  memset(in, 0, sizeof *in);
  memset(h, 0, sizeof *h);
  in->path = path;
  in->file = -1;
  if (format == 0 && (rc = detect(path, &format, st))) return rc;
  if (format < HP_IC_GADGET1 || format > HP_IC_HDF5)
    return hp_fail(st, HP_ERR_INPUT, "reading %s: IC format %d unknown (0, 1, 2 or 3)", path,
                   format);
  in->format = format;
  if (format == HP_IC_HDF5) {
    rc = hp_h5_open_ro(path, &in->file, st);
    if (!rc) rc = h5_header(in, h, st);
  } else {
    struct stat sb;
    in->fp = fopen(path, "rb");
    if (in->fp == NULL) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fileno(in->fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
      in_close(in);
      return hp_fail(st, HP_ERR_IO, "cannot read %s: not a regular file", path);
    }
    in->size = (int64_t)sb.st_size;
    rc = bin_header(in, h, st);
  }
  if (rc) in_close(in);
  return rc;
}

static int in_data(ic_in *in, hp_ic_header *h, float *pos, float *vel, uint64_t *id,
                   hp_status *st) {
  if (in->format == HP_IC_HDF5) return h5_data(in, h, pos, vel, id, st);
  return bin_data(in, h, pos, vel, id, st);
}

/* Allocate the three particle arrays for n particles. */
static int alloc_particles(hp_ic_data *out, int64_t n, const char *path, hp_status *st) {
  const size_t m = n > 0 ? (size_t)n : 1;
  if (n < 0 || (uint64_t)n > SIZE_MAX / 12 / 2)
    return hp_fail(st, HP_ERR_FORMAT, "%s: %lld particles: too many", path, (long long)n);
  out->pos = malloc(m * 3 * sizeof(float));
  out->vel = malloc(m * 3 * sizeof(float));
  out->id = malloc(m * sizeof(uint64_t));
  if (out->pos == NULL || out->vel == NULL || out->id == NULL)
    return hp_fail(st, HP_ERR_NOMEM, "%s: cannot allocate %.3f MB for %lld particles", path,
                   (double)m * 32 / 1e6, (long long)n);
  out->n = n;
  return HP_OK;
}

void hp_ic_data_free(hp_ic_data *d) {
  if (d == NULL) return;
  free(d->pos);
  free(d->vel);
  free(d->id);
  hp_h5_free_text_list(d->nparams, d->param_key, d->param_value);
  free(d->software);
  memset(d, 0, sizeof *d);
}

int hp_ic_read_file(const char *path, int format, hp_ic_data *out, hp_status *st) {
  ic_in in;
  int rc;
  memset(out, 0, sizeof *out);
  rc = in_open(&in, path, format, &out->hdr, st);
  if (rc) return rc;
  rc = alloc_particles(out, out->hdr.npart[1], path, st);
  if (!rc) rc = in_data(&in, &out->hdr, out->pos, out->vel, out->id, st);
  if (!rc && in.format == HP_IC_HDF5) rc = h5_meta(&in, out, st);
  in_close(&in);
  if (rc) hp_ic_data_free(out);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Snapshot                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Parse "<base>.params": "% software ..." and "Key Value" lines; other '%' lines skipped. */
static int read_params_text(const char *path, hp_ic_data *out, hp_status *st) {
  char line[8192];
  int cap = 0, lineno = 0, rc = HP_OK;
  FILE *fp = fopen(path, "r");
  if (fp == NULL) return hp_fail(st, HP_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  while (fgets(line, sizeof line, fp) != NULL) {
    size_t len = strlen(line);
    char *k = line, *v;
    lineno++;
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      rc = hp_fail(st, HP_ERR_FORMAT, "%s:%d: line too long", path, lineno);
      break;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
      line[--len] = '\0';
    while (*k == ' ' || *k == '\t') k++;
    if (*k == '\0') continue;
    if (*k == '%') {
      if (strncmp(k, "% software ", 11) == 0 && out->software == NULL) {
        out->software = strdup(k + 11);
        if (out->software == NULL) {
          rc = hp_fail(st, HP_ERR_NOMEM, "reading %s: out of memory", path);
          break;
        }
      }
      continue;
    }
    v = k + strcspn(k, " \t");
    if (*v != '\0') *v++ = '\0';
    while (*v == ' ' || *v == '\t') v++;
    if (out->nparams == cap) {
      int nc = cap ? 2 * cap : 32;
      char **nk = realloc(out->param_key, (size_t)nc * sizeof *nk);
      if (nk != NULL) out->param_key = nk;
      char **nv = nk ? realloc(out->param_value, (size_t)nc * sizeof *nv) : NULL;
      if (nv != NULL) out->param_value = nv;
      if (nk == NULL || nv == NULL) {
        rc = hp_fail(st, HP_ERR_NOMEM, "reading %s: out of memory", path);
        break;
      }
      cap = nc;
    }
    out->param_key[out->nparams] = strdup(k);
    out->param_value[out->nparams] = strdup(v);
    out->nparams++;
    if (out->param_key[out->nparams - 1] == NULL || out->param_value[out->nparams - 1] == NULL) {
      rc = hp_fail(st, HP_ERR_NOMEM, "reading %s: out of memory", path);
      break;
    }
  }
  if (!rc && ferror(fp)) rc = hp_fail(st, HP_ERR_IO, "reading %s: %s", path, strerror(errno));
  fclose(fp);
  return rc;
}

static int is_file(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Headers of two files of one snapshot must agree. */
static int same_snapshot(const char *path, const hp_ic_header *a, const hp_ic_header *b,
                         hp_status *st) {
  const char *what = NULL;
  if (a->num_files != b->num_files)
    what = "num_files";
  else if (a->npart_total[1] != b->npart_total[1])
    what = "total particle count";
  else if (a->box != b->box)
    what = "BoxSize";
  else if (a->time != b->time)
    what = "time";
  else if (a->mass[1] != b->mass[1])
    what = "particle mass";
  if (what != NULL)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: its %s differs from the first file's: not the same "
                   "snapshot",
                   path, what);
  return HP_OK;
}

int hp_ic_read(const char *path_base, int format, hp_ic_data *out, hp_status *st) {
  char first[4200], path[4200], tried[8800] = "";
  int fmt_file = 0, multi = 0, rc = HP_OK, found = 0;
  int64_t off = 0;
  ic_in in;
  memset(out, 0, sizeof *out);
  if (format < 0 || format > HP_IC_HDF5)
    return hp_fail(st, HP_ERR_INPUT, "reading %s: IC format %d unknown (0, 1, 2 or 3)", path_base,
                   format);
  /* Candidate first files: [single, multi] for binary then HDF5. */
  for (int c = 0; c < 4 && !found; c++) {
    const int fam = c < 2 ? HP_IC_GADGET1 : HP_IC_HDF5;
    if (format != 0 && (format == HP_IC_HDF5) != (fam == HP_IC_HDF5)) continue;
    if ((rc = hp_ic_file_path(fam, path_base, c % 2 ? 2 : 1, 0, first, sizeof first, st)))
      return rc;
    if (is_file(first)) {
      found = 1;
      multi = c % 2;
      fmt_file = format != 0 ? format : 0;
    } else {
      size_t len = strlen(tried);
      snprintf(tried + len, sizeof tried - len, "%s%s", len ? ", " : "", first);
    }
  }
  if (!found)
    return hp_fail(st, HP_ERR_IO, "no IC files found for '%s' (tried %s)", path_base, tried);

  rc = in_open(&in, first, fmt_file, &out->hdr, st);
  if (rc) return rc;
  fmt_file = in.format;
  {
    const int nf = out->hdr.num_files;
    const hp_ic_header h0 = out->hdr;
    if (!multi && nf != 1) {
      in_close(&in);
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: header says num_files = %d, but the file has the "
                     "single-file name",
                     first, nf);
    }
    if (h0.npart_total[1] > (uint64_t)INT64_MAX) {
      in_close(&in);
      return hp_fail(st, HP_ERR_FORMAT, "%s: corrupt total particle count", first);
    }
    rc = alloc_particles(out, (int64_t)h0.npart_total[1], first, st);
    for (int f = 0; f < nf && !rc; f++) {
      hp_ic_header h;
      if (f > 0) {
        rc = hp_ic_file_path(fmt_file, path_base, nf, f, path, sizeof path, st);
        if (!rc) rc = in_open(&in, path, fmt_file, &h, st);
        if (rc) break;
        rc = same_snapshot(path, &h0, &h, st);
      } else {
        snprintf(path, sizeof path, "%s", first);
        h = h0;
      }
      if (!rc && (uint64_t)(off + h.npart[1]) > h0.npart_total[1])
        rc = hp_fail(st, HP_ERR_FORMAT,
                     "%s: files 0..%d hold more particles than the total "
                     "%llu",
                     path, f, (unsigned long long)h0.npart_total[1]);
      if (!rc) rc = in_data(&in, &h, out->pos + 3 * off, out->vel + 3 * off, out->id + off, st);
      if (!rc && f == 0) out->hdr = h; /* with the on-disk widths */
      if (!rc && f == 0 && fmt_file == HP_IC_HDF5) rc = h5_meta(&in, out, st);
      if (!rc && h.npart[1] > 0 && out->hdr.id_bytes == 0) out->hdr.id_bytes = h.id_bytes;
      off += h.npart[1];
      in_close(&in);
    }
    in_close(&in);
    if (!rc && (uint64_t)off != h0.npart_total[1])
      rc = hp_fail(st, HP_ERR_FORMAT,
                   "%s: the %d files hold %lld particles, but the header "
                   "total is %llu",
                   path_base, nf, (long long)off, (unsigned long long)h0.npart_total[1]);
  }
  if (!rc && fmt_file != HP_IC_HDF5) {
    snprintf(path, sizeof path, "%s.params", path_base);
    if (is_file(path)) rc = read_params_text(path, out, st);
  }
  if (rc) hp_ic_data_free(out);
  return rc;
}
