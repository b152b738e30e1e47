/*
 * Initial-condition writer: Gadget-2 binary (formats 1 and 2) and HDF5 (Gadget-4 layout).
 *
 * Particles are converted from the lattice arrays (displacement, peculiar velocity) chunk by
 * chunk into a scratch buffer of at most 1M particles, so memory stays O(chunk) whatever N.
 * Every file of a snapshot is written under a temporary name and all are renamed together
 * at the end; any failure removes every temporary (and any file already renamed). A writer of
 * a share (hp_ic_part) does the same for its files, renaming them when its caller says that
 * every writer has succeeded.
 */
#define _POSIX_C_SOURCE 200809L
#include "ic_write.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/hdf5_util.h"

/** Particles converted per chunk (12 bytes each in the scratch buffer). */
#define IC_CHUNK ((int64_t)1 << 20)

/** Largest np such that np^3 fits in an int64. */
#define IC_MAX_NP ((int64_t)2097151)

/** Kinds of per-particle blocks. */
enum { BLK_POS, BLK_VEL, BLK_ID };

/** Everything derived from the description, shared by the per-file writers. */
typedef struct ic_plan {
  const hp_ic_desc *d;      /**< the description */
  const hp_ic_particles *p; /**< the particles */
  int64_t n_total;          /**< np^3 */
  int num_files;            /**< files in the snapshot */
  int64_t off;              /**< lattice index n of the arrays' first particle */
  int64_t n_here;           /**< particles in the arrays, split over the files written here */
  int f0, nf;               /**< files [f0, f0 + nf) of the snapshot are written here */
  double len_scale;         /**< file length unit per Mpc/h (3.085678e24 / unit_length_in_cm) */
  double box_file;          /**< BoxSize in the file's length unit */
  double mass;              /**< particle mass, 1e10 Msun/h */
  double time;              /**< scale factor a = 1 / (1 + z) */
  double vel_scale;         /**< 1 / sqrt(a): u = v_pec * vel_scale, km/s */
  int id_bytes;             /**< 4 (uint32) or 8 (uint64) */
  const char *software;     /**< software string recorded in the files */
  void *buf;                /**< scratch buffer of chunk * 12 bytes */
  int64_t chunk;            /**< particles per conversion chunk */
} ic_plan;

/* ------------------------------------------------------------------------------------------ */
/* Splitting and naming                                                                       */
/* ------------------------------------------------------------------------------------------ */

int64_t hp_ic_auto_num_files(int format, int64_t n_total) {
  int64_t max;
  if (n_total < 0) return -1;
  if (format == HP_IC_GADGET1 || format == HP_IC_GADGET2)
    max = HP_IC_MAX_PER_BINARY_FILE;
  else if (format == HP_IC_HDF5)
    max = HP_IC_MAX_PER_HDF5_FILE;
  else
    return -1;
  if (n_total == 0) return 1;
  return (n_total - 1) / max + 1;
}

/* floor(f * n / nf) without overflowing int64 for any n < 2^63, nf < 2^31. */
static int64_t range_start(int64_t n, int64_t nf, int64_t f) {
  int64_t q = n / nf, r = n % nf;
  return q * f + (r * f) / nf;
}

void hp_ic_file_range(int64_t n_total, int num_files, int f, int64_t *first, int64_t *count) {
  *first = range_start(n_total, num_files, f);
  *count = range_start(n_total, num_files, (int64_t)f + 1) - *first;
}

/* Lattice range of the i-th file written here (the snapshot's file f0 + i). */
static void file_span(const ic_plan *pl, int i, int64_t *first, int64_t *count) {
  hp_ic_file_range(pl->n_here, pl->nf, i, first, count);
  *first += pl->off;
}

int hp_ic_file_path(int format, const char *path_base, int num_files, int f, char *buf, size_t size,
                    hp_status *st) {
  int len;
  if (format == HP_IC_GADGET1 || format == HP_IC_GADGET2) {
    len = num_files == 1 ? snprintf(buf, size, "%s", path_base)
                         : snprintf(buf, size, "%s.%d", path_base, f);
  } else if (format == HP_IC_HDF5) {
    len = num_files == 1 ? snprintf(buf, size, "%s.hdf5", path_base)
                         : snprintf(buf, size, "%s.%d.hdf5", path_base, f);
  } else {
    return hp_fail(st, HP_ERR_INPUT, "IC format %d unknown (1, 2 or 3)", format);
  }
  if (len < 0 || (size_t)len >= size)
    return hp_fail(st, HP_ERR_INPUT, "IC file name too long: %.80s...", path_base);
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Validation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static int has_space(const char *s) {
  for (; *s; s++)
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f') return 1;
  return 0;
}

static int validate(const hp_ic_desc *d, const hp_ic_particles *p, hp_status *st) {
  if (d == NULL || p == NULL) return hp_fail(st, HP_ERR_INPUT, "NULL description or particles");
  if (d->format < HP_IC_GADGET1 || d->format > HP_IC_HDF5)
    return hp_fail(st, HP_ERR_INPUT,
                   "IC format = %d: must be 1 (Gadget-2), 2 (Gadget-2 format 2)"
                   " or 3 (HDF5)",
                   d->format);
  if (d->path_base == NULL || d->path_base[0] == '\0')
    return hp_fail(st, HP_ERR_INPUT, "IC path_base is empty");
  if (p->np < 1 || p->np > IC_MAX_NP)
    return hp_fail(st, HP_ERR_INPUT, "np = %lld: must be in 1..%lld", (long long)p->np,
                   (long long)IC_MAX_NP);
  if (!isfinite(p->box) || p->box <= 0)
    return hp_fail(st, HP_ERR_INPUT, "box = %g Mpc/h: must be positive", p->box);
  for (int c = 0; c < 3; c++)
    if (p->disp[c] == NULL || p->vel[c] == NULL)
      return hp_fail(st, HP_ERR_INPUT, "particle arrays: %s[%d] is NULL",
                     p->disp[c] == NULL ? "disp" : "vel", c);
  if (!isfinite(d->redshift) || d->redshift <= -1)
    return hp_fail(st, HP_ERR_INPUT, "redshift = %g: must be > -1", d->redshift);
  if (!isfinite(d->omega_m) || d->omega_m <= 0)
    return hp_fail(st, HP_ERR_INPUT, "omega_m = %g: must be positive (it sets the mass)",
                   d->omega_m);
  if (!isfinite(d->omega_l)) return hp_fail(st, HP_ERR_INPUT, "omega_l = %g", d->omega_l);
  if (!isfinite(d->h) || d->h <= 0)
    return hp_fail(st, HP_ERR_INPUT, "h = %g: must be positive", d->h);
  if (!isfinite(d->unit_length_in_cm) || d->unit_length_in_cm <= 0)
    return hp_fail(st, HP_ERR_INPUT,
                   "unit_length_in_cm = %g: must be positive (3.085678e24 = Mpc/h, "
                   "3.085678e21 = kpc/h)",
                   d->unit_length_in_cm);
  if (d->num_files < 0)
    return hp_fail(st, HP_ERR_INPUT, "num_files = %d: must be >= 0 (0 = automatic)", d->num_files);
  if (d->params.n < 0 || (d->params.n > 0 && (d->params.key == NULL || d->params.value == NULL)))
    return hp_fail(st, HP_ERR_INPUT, "parameter list: n = %d with NULL arrays", d->params.n);
  for (int i = 0; i < d->params.n; i++) {
    const char *k = d->params.key[i], *v = d->params.value[i];
    if (k == NULL || k[0] == '\0' || has_space(k))
      return hp_fail(st, HP_ERR_INPUT, "parameter %d: key '%s' is empty or contains blanks", i,
                     k ? k : "(null)");
    if (v == NULL || strchr(v, '\n') != NULL || strchr(v, '\r') != NULL)
      return hp_fail(st, HP_ERR_INPUT, "parameter %s: value is NULL or spans lines", k);
    for (int j = 0; j < i; j++)
      if (strcmp(d->params.key[j], k) == 0)
        return hp_fail(st, HP_ERR_INPUT, "parameter %s appears twice", k);
  }
  if (d->software != NULL && strchr(d->software, '\n') != NULL)
    return hp_fail(st, HP_ERR_INPUT, "software string spans lines");
  return HP_OK;
}

static int validate_part(const hp_ic_desc *d, int64_t np, const hp_ic_part *s, hp_status *st) {
  if (s->a0 < 0 || s->a0 > np || s->na < 0 || s->na > np - s->a0)
    return hp_fail(st, HP_ERR_INPUT, "lattice planes %lld + %lld: outside the %lld planes",
                   (long long)s->a0, (long long)s->na, (long long)np);
  if (d->num_files < 1)
    return hp_fail(st, HP_ERR_INPUT,
                   "num_files = %d: a writer's share needs the snapshot's number of files",
                   d->num_files);
  if (s->f0 < 0 || s->nf < 0 || s->f0 > d->num_files - s->nf)
    return hp_fail(st, HP_ERR_INPUT, "files %d + %d: outside the snapshot's %d", s->f0, s->nf,
                   d->num_files);
  if (s->na == 0 ? s->nf != 0 : s->nf < 1 || s->nf > s->na * np * np)
    return hp_fail(st, HP_ERR_INPUT,
                   "%d files for %lld lattice planes: must be 1 to %lld (0 for 0)", s->nf,
                   (long long)s->na, (long long)(s->na * np * np));
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Chunk conversion                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Positions of particles [first, first+count) into out[3*count], file length unit. */
static int fill_pos(const ic_plan *pl, int64_t first, int64_t count, float *out, hp_status *st) {
  const hp_ic_particles *p = pl->p;
  const int64_t np = p->np, np2 = np * np;
  const double box = p->box, cell = box / (double)np, scale = pl->len_scale;
  const float box_f = (float)pl->box_file; /* the box as a float position can show it */
  int64_t nbad = 0;
#pragma omp parallel for schedule(static) reduction(+ : nbad)
  for (int64_t t = 0; t < count; t++) {
    const int64_t n = first + t;
    const int64_t lat[3] = {n / np2, (n / np) % np, n % np};
    for (int c = 0; c < 3; c++) {
      const double dx = p->disp[c][n - pl->off];
      double x = (double)lat[c] * cell + dx;
      float f;
      if (!isfinite(dx)) {
        nbad++;
        x = 0;
      }
      x -= box * floor(x / box);
      if (x < 0 || x >= box) x = 0; /* rounding at the edges: L is the same point as 0 */
      f = (float)(x * scale);
      if (f >= box_f) f = 0.0f; /* rounded up to L: same point as 0 */
      out[3 * t + c] = f;
    }
  }
  if (nbad > 0) {
    for (int64_t t = 0; t < count; t++)
      for (int c = 0; c < 3; c++)
        if (!isfinite(p->disp[c][first + t - pl->off]))
          return hp_fail(st, HP_ERR_INPUT,
                         "displacement %c of particle %lld is %g (%lld "
                         "non-finite values in this chunk)",
                         "xyz"[c], (long long)(first + t),
                         (double)p -> disp[c][first + t - pl->off], (long long)nbad);
  }
  return HP_OK;
}

/* Gadget velocities u = v_pec / sqrt(a) of particles [first, first+count), km/s. */
static int fill_vel(const ic_plan *pl, int64_t first, int64_t count, float *out, hp_status *st) {
  const hp_ic_particles *p = pl->p;
  const double s = pl->vel_scale;
  int64_t nbad = 0;
#pragma omp parallel for schedule(static) reduction(+ : nbad)
  for (int64_t t = 0; t < count; t++) {
    for (int c = 0; c < 3; c++) {
      const double v = p->vel[c][first + t - pl->off];
      if (!isfinite(v)) nbad++;
      out[3 * t + c] = (float)(v * s);
    }
  }
  if (nbad > 0) {
    for (int64_t t = 0; t < count; t++)
      for (int c = 0; c < 3; c++)
        if (!isfinite(p->vel[c][first + t - pl->off]))
          return hp_fail(st, HP_ERR_INPUT, "velocity %c of particle %lld is %g", "xyz"[c],
                         (long long)(first + t), (double)p -> vel[c][first + t - pl->off]);
  }
  return HP_OK;
}

/* IDs n + 1 of particles [first, first+count), uint32 or uint64 per pl->id_bytes. */
static void fill_id(const ic_plan *pl, int64_t first, int64_t count, void *out) {
  if (pl->id_bytes == 4) {
    uint32_t *o = out;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < count; t++) o[t] = (uint32_t)(first + t + 1);
  } else {
    uint64_t *o = out;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < count; t++) o[t] = (uint64_t)(first + t + 1);
  }
}

/* Fill the scratch buffer with one chunk of a block; *bytes = its size in bytes. */
static int fill_chunk(const ic_plan *pl, int kind, int64_t first, int64_t count, size_t *bytes,
                      hp_status *st) {
  switch (kind) {
    case BLK_POS:
      *bytes = (size_t)count * 12;
      return fill_pos(pl, first, count, pl->buf, st);
    case BLK_VEL:
      *bytes = (size_t)count * 12;
      return fill_vel(pl, first, count, pl->buf, st);
    default:
      *bytes = (size_t)count * (size_t)pl->id_bytes;
      fill_id(pl, first, count, pl->buf);
      return HP_OK;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Gadget binary (formats 1 and 2)                                                            */
/* ------------------------------------------------------------------------------------------ */

static void put_i32(unsigned char *h, int off, int32_t v) { memcpy(h + off, &v, 4); }
static void put_u32(unsigned char *h, int off, uint32_t v) { memcpy(h + off, &v, 4); }
static void put_f64(unsigned char *h, int off, double v) { memcpy(h + off, &v, 8); }

/* Serialise the 256-byte Gadget-2 header of file f holding `count` particles. */
static void gadget_header(const ic_plan *pl, int64_t count, unsigned char h[HP_GH_SIZE]) {
  const uint64_t ntot = (uint64_t)pl->n_total;
  memset(h, 0, HP_GH_SIZE);
  put_i32(h, HP_GH_NPART + 4 * 1, (int32_t)count);
  put_f64(h, HP_GH_MASS + 8 * 1, pl->mass);
  put_f64(h, HP_GH_TIME, pl->time);
  put_f64(h, HP_GH_REDSHIFT, pl->d->redshift);
  put_u32(h, HP_GH_NPART_TOTAL + 4 * 1, (uint32_t)(ntot & 0xffffffffu));
  put_i32(h, HP_GH_NUM_FILES, pl->num_files);
  put_f64(h, HP_GH_BOXSIZE, pl->box_file);
  put_f64(h, HP_GH_OMEGA0, pl->d->omega_m);
  put_f64(h, HP_GH_OMEGA_LAMBDA, pl->d->omega_l);
  put_f64(h, HP_GH_HUBBLE_PARAM, pl->d->h);
  put_u32(h, HP_GH_NPART_HIGH + 4 * 1, (uint32_t)(ntot >> 32));
  /* flags (sfr, feedback, cooling, stellarage, metals, entropy) stay 0 */
}

/* fwrite that records an error naming the file and what was being written. */
static int put(FILE *fp, const void *data, size_t bytes, const char *path, const char *what,
               hp_status *st) {
  if (bytes > 0 && fwrite(data, 1, bytes, fp) != bytes)
    return hp_fail(st, HP_ERR_IO, "writing %s (%s): %s", path, what, strerror(errno));
  return HP_OK;
}

/* A Fortran record marker (int32 byte count). */
static int put_marker(FILE *fp, int64_t bytes, const char *path, const char *what, hp_status *st) {
  int32_t m = (int32_t)bytes;
  return put(fp, &m, 4, path, what, st);
}

/* Format-2 label record: marker 8, 4-char label, int32 size of the next record incl. its
 * two markers, marker 8. */
static int put_label(FILE *fp, const char *label, int64_t record_bytes, const char *path,
                     hp_status *st) {
  unsigned char rec[16];
  int32_t eight = 8, size = (int32_t)(record_bytes + 8);
  memcpy(rec, &eight, 4);
  memcpy(rec + 4, label, 4);
  memcpy(rec + 8, &size, 4);
  memcpy(rec + 12, &eight, 4);
  return put(fp, rec, sizeof rec, path, "label record", st);
}

/* One particle block (POS/VEL/ID) of the particles [first, first+count). */
static int put_block(FILE *fp, const ic_plan *pl, int kind, int64_t first, int64_t count,
                     const char *path, hp_status *st) {
  static const char *const labels[3] = {"POS ", "VEL ", "ID  "};
  const int64_t per = kind == BLK_ID ? pl->id_bytes : 12;
  const int64_t bytes = per * count;
  int rc;
  if (pl->d->format == HP_IC_GADGET2 && (rc = put_label(fp, labels[kind], bytes, path, st)))
    return rc;
  if ((rc = put_marker(fp, bytes, path, labels[kind], st))) return rc;
  for (int64_t s = 0; s < count; s += pl->chunk) {
    const int64_t c = count - s < pl->chunk ? count - s : pl->chunk;
    size_t nb;
    if ((rc = fill_chunk(pl, kind, first + s, c, &nb, st))) return rc;
    if ((rc = put(fp, pl->buf, nb, path, labels[kind], st))) return rc;
  }
  return put_marker(fp, bytes, path, labels[kind], st);
}

/* Flush a file's data to stable storage before it is renamed into place. */
static int sync_path(const char *path, hp_status *st) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return hp_fail(st, HP_ERR_IO, "cannot reopen %s to sync it: %s", path, strerror(errno));
  if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    int e = errno;
    close(fd);
    return hp_fail(st, HP_ERR_IO, "cannot sync %s: %s", path, strerror(e));
  }
  close(fd);
  return HP_OK;
}

/* Close a stdio file, turning a delayed write error (e.g. disk full) into a failure. */
static int close_file(FILE *fp, const char *path, int rc, hp_status *st) {
  int bad = ferror(fp);
  if (fclose(fp) != 0 && rc == HP_OK)
    return hp_fail(st, HP_ERR_IO, "writing %s: %s", path, strerror(errno));
  if (bad && rc == HP_OK) return hp_fail(st, HP_ERR_IO, "writing %s: stream error", path);
  return rc;
}

static int write_binary_file(const ic_plan *pl, int i, const hp_atomic_file *af, hp_status *st) {
  unsigned char h[HP_GH_SIZE];
  int64_t first, count;
  int rc = HP_OK;
  FILE *fp;
  file_span(pl, i, &first, &count);
  fp = fopen(af->tmp_path, "wb");
  if (fp == NULL)
    return hp_fail(st, HP_ERR_IO, "cannot create %s (temporary %s): %s", af->final_path,
                   af->tmp_path, strerror(errno));
  gadget_header(pl, count, h);
  if (pl->d->format == HP_IC_GADGET2) rc = put_label(fp, "HEAD", HP_GH_SIZE, af->tmp_path, st);
  if (!rc) rc = put_marker(fp, HP_GH_SIZE, af->tmp_path, "header", st);
  if (!rc) rc = put(fp, h, HP_GH_SIZE, af->tmp_path, "header", st);
  if (!rc) rc = put_marker(fp, HP_GH_SIZE, af->tmp_path, "header", st);
  if (!rc) rc = put_block(fp, pl, BLK_POS, first, count, af->tmp_path, st);
  if (!rc) rc = put_block(fp, pl, BLK_VEL, first, count, af->tmp_path, st);
  if (!rc) rc = put_block(fp, pl, BLK_ID, first, count, af->tmp_path, st);
  if (!rc && fflush(fp) != 0)
    rc = hp_fail(st, HP_ERR_IO, "writing %s: %s", af->tmp_path, strerror(errno));
  rc = close_file(fp, af->tmp_path, rc, st);
  if (!rc) rc = sync_path(af->tmp_path, st);
  return rc;
}

/* The companion "<base>.params" text record (Gadget binary has no room for it). */
static int write_params_file(const ic_plan *pl, const hp_atomic_file *af, hp_status *st) {
  const hp_ic_desc *d = pl->d;
  int rc = HP_OK;
  FILE *fp = fopen(af->tmp_path, "w");
  if (fp == NULL)
    return hp_fail(st, HP_ERR_IO, "cannot create %s (temporary %s): %s", af->final_path,
                   af->tmp_path, strerror(errno));
  if (fprintf(fp, "%% software %s\n", pl->software) < 0 ||
      fprintf(fp,
              "%% halopaint initial conditions: Gadget format %d, %d file(s) \"%s%s\", "
              "%lld type-1 particles, redshift %.17g\n",
              d->format, pl->num_files, d->path_base, pl->num_files > 1 ? ".<i>" : "",
              (long long)pl->n_total, d->redshift) < 0 ||
      fprintf(fp,
              "%% units: positions UnitLength_in_cm = %.17g; velocities km/s * a^-1/2 "
              "(Gadget convention); masses 1e10 Msun/h; IDs uint%d, 1-based Lagrangian\n",
              d->unit_length_in_cm, 8 * pl->id_bytes) < 0)
    rc = hp_fail(st, HP_ERR_IO, "writing %s: %s", af->tmp_path, strerror(errno));
  for (int i = 0; i < d->params.n && rc == HP_OK; i++)
    if (fprintf(fp, "%s %s\n", d->params.key[i], d->params.value[i]) < 0)
      rc = hp_fail(st, HP_ERR_IO, "writing %s: %s", af->tmp_path, strerror(errno));
  if (!rc && fflush(fp) != 0)
    rc = hp_fail(st, HP_ERR_IO, "writing %s: %s", af->tmp_path, strerror(errno));
  rc = close_file(fp, af->tmp_path, rc, st);
  if (!rc) rc = sync_path(af->tmp_path, st);
  return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* HDF5 (Gadget-4 layout)                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Header group attributes (Gadget-2/3/4 and SWIFT names). */
static int h5_header(hid_t file, const ic_plan *pl, int64_t count, hp_status *st) {
  const uint64_t ntot = (uint64_t)pl->n_total;
  uint32_t this_file[6] = {0}, total[6] = {0}, high[6] = {0};
  double mass[6] = {0};
  const int zero = 0, nfiles = pl->num_files;
  hid_t g;
  int rc = hp_h5_create_group(file, "Header", &g, st);
  if (rc) return rc;
  this_file[1] = (uint32_t)count;
  total[1] = (uint32_t)(ntot & 0xffffffffu);
  high[1] = (uint32_t)(ntot >> 32);
  mass[1] = pl->mass;
  if (!rc)
    rc =
        hp_h5_write_attr(g, "NumPart_ThisFile", H5T_STD_U32LE, H5T_NATIVE_UINT32, this_file, 6, st);
  if (!rc)
    rc = hp_h5_write_attr(g, "NumPart_Total", H5T_STD_U32LE, H5T_NATIVE_UINT32, total, 6, st);
  if (!rc)
    rc = hp_h5_write_attr(g, "NumPart_Total_HighWord", H5T_STD_U32LE, H5T_NATIVE_UINT32, high, 6,
                          st);
  if (!rc) rc = hp_h5_write_attr_double(g, "MassTable", mass, 6, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Time", &pl->time, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Redshift", &pl->d->redshift, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "BoxSize", &pl->box_file, 0, st);
  if (!rc) rc = hp_h5_write_attr_int(g, "NumFilesPerSnapshot", &nfiles, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Omega0", &pl->d->omega_m, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "OmegaLambda", &pl->d->omega_l, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "HubbleParam", &pl->d->h, 0, st);
  static const char *const flags[] = {
      "Flag_Sfr",    "Flag_Cooling",     "Flag_Feedback",       "Flag_StellarAge",
      "Flag_Metals", "Flag_Entropy_ICs", "Flag_DoublePrecision"};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0] && !rc; i++)
    rc = hp_h5_write_attr_int(g, flags[i], &zero, 0, st);
  if (H5Gclose(g) < 0 && !rc) rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot close /Header");
  return rc;
}

/* SWIFT's /Units group (cgs), so that SWIFT converts the ICs instead of assuming internal
 * units; and our own /halopaint group with the software and a plain-words unit statement. */
static int h5_units(hid_t file, const ic_plan *pl, hp_status *st) {
  const double ul = pl->d->unit_length_in_cm, um = HP_IC_UNIT_MASS_CGS;
  const double ut = ul / HP_IC_UNIT_VELOCITY_CGS, one = 1.0;
  char units[512];
  hid_t g;
  int rc = hp_h5_create_group(file, "Units", &g, st);
  if (rc) return rc;
  if (!rc) rc = hp_h5_write_attr_double(g, "Unit length in cgs (U_L)", &ul, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Unit mass in cgs (U_M)", &um, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Unit time in cgs (U_t)", &ut, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Unit current in cgs (U_I)", &one, 0, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Unit temperature in cgs (U_T)", &one, 0, st);
  if (H5Gclose(g) < 0 && !rc) rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot close /Units");
  if (rc) return rc;

  snprintf(units, sizeof units,
           "Coordinates, BoxSize: UnitLength_in_cm=%.7g (h^-1); Velocities: km/s * a^-1/2 "
           "(Gadget convention, u = v_pec/sqrt(a)); masses (MassTable): 1e10 Msun/h; "
           "ParticleIDs: uint%d, 1-based Lagrangian index",
           ul, 8 * pl->id_bytes);
  rc = hp_h5_create_group(file, "halopaint", &g, st);
  if (rc) return rc;
  if (!rc) rc = hp_h5_write_attr_string(g, "Software", pl->software, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "Units", units, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "UnitLength_in_cm", &ul, 0, st);
  if (H5Gclose(g) < 0 && !rc) rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot close /halopaint");
  return rc;
}

/* PartType1/Masses: a dataset that is never written, whose fill value is the particle mass
 * (no storage used; every reader sees the mass). SWIFT requires this dataset. */
static int h5_masses(hid_t grp, const ic_plan *pl, int64_t count, hp_status *st) {
  const float m = (float)pl->mass;
  hsize_t dim = (hsize_t)count;
  hid_t dcpl = -1, space = -1, dset = -1;
  int rc = HP_OK;
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  dcpl = hp_h5_untimed(H5P_DATASET_CREATE);
  space = H5Screate_simple(1, &dim, NULL);
  if (dcpl < 0 || space < 0 || H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &m) < 0 ||
      H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_LATE) < 0 ||
      H5Pset_fill_time(dcpl, H5D_FILL_TIME_IFSET) < 0) {
    rc = hp_h5_fail(st, HP_ERR_IO, grp, "dataset 'Masses': cannot set its fill value");
  } else {
    dset = H5Dcreate2(grp, "Masses", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0) rc = hp_h5_fail(st, HP_ERR_IO, grp, "cannot create dataset 'Masses'");
  }
  if (dset >= 0 && H5Dclose(dset) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, grp, "cannot close dataset 'Masses'");
  if (space >= 0) H5Sclose(space);
  if (dcpl >= 0) H5Pclose(dcpl);
  hp_h5_quiet_end(&q);
  return rc;
}

/* One particle dataset written chunk by chunk. */
static int h5_block(hid_t grp, const ic_plan *pl, int kind, int64_t first, int64_t count,
                    hp_status *st) {
  static const char *const names[3] = {"Coordinates", "Velocities", "ParticleIDs"};
  const int rank = kind == BLK_ID ? 1 : 2;
  const hsize_t dims[2] = {(hsize_t)count, 3};
  hid_t ftype, mtype, dset;
  int rc;
  if (kind == BLK_ID) {
    ftype = pl->id_bytes == 4 ? H5T_STD_U32LE : H5T_STD_U64LE;
    mtype = pl->id_bytes == 4 ? H5T_NATIVE_UINT32 : H5T_NATIVE_UINT64;
  } else {
    ftype = H5T_IEEE_F32LE;
    mtype = H5T_NATIVE_FLOAT;
  }
  rc = hp_h5_create_dataset(grp, names[kind], ftype, rank, dims, &dset, st);
  if (rc) return rc;
  for (int64_t s = 0; s < count && !rc; s += pl->chunk) {
    const int64_t c = count - s < pl->chunk ? count - s : pl->chunk;
    const hsize_t start[2] = {(hsize_t)s, 0}, cnt[2] = {(hsize_t)c, 3};
    size_t nb;
    rc = fill_chunk(pl, kind, first + s, c, &nb, st);
    if (!rc) rc = hp_h5_write_slab(dset, mtype, start, cnt, pl->buf, st);
  }
  if (H5Dclose(dset) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, grp, "cannot close dataset '%s'", names[kind]);
  return rc;
}

static int write_hdf5_file(const ic_plan *pl, int i, const hp_atomic_file *af, hp_status *st) {
  int64_t first, count;
  hid_t file = -1, g = -1;
  int rc;
  hp_h5_quiet q;
  file_span(pl, i, &first, &count);
  hp_h5_quiet_begin(&q);
  rc = hp_h5_create(af->tmp_path, &file, st);
  if (rc) {
    hp_h5_quiet_end(&q);
    return rc;
  }
  rc = h5_header(file, pl, count, st);
  if (!rc) rc = h5_units(file, pl, st);
  if (!rc) rc = hp_h5_create_group(file, "Parameters", &g, st);
  if (!rc) rc = hp_h5_write_kv(g, &pl->d->params, st);
  if (g >= 0 && H5Gclose(g) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot close /Parameters");
  g = -1;
  if (!rc) rc = hp_h5_create_group(file, "PartType1", &g, st);
  if (!rc) rc = h5_block(g, pl, BLK_POS, first, count, st);
  if (!rc) rc = h5_block(g, pl, BLK_VEL, first, count, st);
  if (!rc) rc = h5_block(g, pl, BLK_ID, first, count, st);
  if (!rc) rc = h5_masses(g, pl, count, st);
  if (g >= 0 && H5Gclose(g) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot close /PartType1");
  if (H5Fclose(file) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, -1, "cannot close (flush) %s", af->tmp_path);
  hp_h5_quiet_end(&q);
  if (rc) return hp_error_context(st, "writing %s", af->final_path);
  return sync_path(af->tmp_path, st);
}

/* ------------------------------------------------------------------------------------------ */
/* Driver                                                                                     */
/* ------------------------------------------------------------------------------------------ */

struct hp_ic_pending {
  int n;              /* files: the snapshot's files written here, then the .params record */
  int committed;      /* files [0, committed) are under their final names */
  char context[4400]; /* "writing initial conditions BASE (format F, N files)" */
  hp_atomic_file af[];
};

/* What rename would refuse half-way, refused before any rename: a directory of a final name. */
static int no_directory_names(const hp_ic_pending *w, hp_status *st) {
  struct stat sb;
  for (int i = 0; i < w->n; i++)
    if (stat(w->af[i].final_path, &sb) == 0 && S_ISDIR(sb.st_mode))
      return hp_fail(st, HP_ERR_IO, "cannot write %s: a directory of that name exists",
                     w->af[i].final_path);
  return HP_OK;
}

int hp_ic_write_begin(const hp_ic_desc *d, const hp_ic_particles *p, const hp_ic_part *part,
                      hp_ic_pending **out, hp_status *st) {
  ic_plan pl;
  hp_ic_pending *w = NULL;
  int nout, begun = 0, rc;
  int64_t max_per, max_count = 0;
  const int binary = d != NULL && d->format != HP_IC_HDF5;

  *out = NULL;
  rc = validate(d, p, st);
  if (!rc && part) rc = validate_part(d, p->np, part, st);
  if (rc) return hp_error_context(st, "writing initial conditions");
  memset(&pl, 0, sizeof pl);
  pl.d = d;
  pl.p = p;
  pl.n_total = p->np * p->np * p->np;
  {
    /* Snap the ratio to 12 significant digits, so that kpc/h gives exactly 1000 (not
     * 1000.0000000000001) and BoxSize reads 100000, not 100000.00000000001. */
    char txt[64];
    snprintf(txt, sizeof txt, "%.12g", HP_IC_MPC_IN_CM / d->unit_length_in_cm);
    pl.len_scale = strtod(txt, NULL);
  }
  pl.box_file = p->box * pl.len_scale;
  pl.mass = HP_IC_RHO_CRIT_GADGET * d->omega_m * pow(p->box / (double)p->np, 3);
  pl.time = 1.0 / (1.0 + d->redshift);
  pl.vel_scale = sqrt(1.0 + d->redshift);
  pl.id_bytes = pl.n_total < ((int64_t)1 << 32) ? 4 : 8;
  pl.software = d->software != NULL ? d->software : "halopaint";

  if (binary) {
    const uint16_t one = 1;
    unsigned char lo;
    memcpy(&lo, &one, 1);
    if (lo != 1)
      return hp_fail(st, HP_ERR_INTERNAL,
                     "writing %s: Gadget binary output is written "
                     "little-endian only; this host is big-endian",
                     d->path_base);
  }
  max_per = binary ? HP_IC_MAX_PER_BINARY_FILE : HP_IC_MAX_PER_HDF5_FILE;
  if (part) {
    pl.num_files = d->num_files;
    pl.off = part->a0 * p->np * p->np;
    pl.n_here = part->na * p->np * p->np;
    pl.f0 = part->f0;
    pl.nf = part->nf;
  } else if (d->num_files == 0) {
    const int64_t nf = hp_ic_auto_num_files(d->format, pl.n_total);
    if (nf > INT32_MAX)
      return hp_fail(st, HP_ERR_INPUT, "writing %s: %lld particles need %lld files, too many",
                     d->path_base, (long long)pl.n_total, (long long)nf);
    pl.num_files = (int)nf;
  } else {
    pl.num_files = d->num_files;
    if (pl.num_files > pl.n_total)
      return hp_fail(st, HP_ERR_INPUT,
                     "writing %s: num_files = %d is more than the %lld "
                     "particles",
                     d->path_base, pl.num_files, (long long)pl.n_total);
  }
  if (!part) pl.n_here = pl.n_total, pl.nf = pl.num_files;
  for (int i = 0; i < pl.nf; i++) {
    int64_t first, count;
    file_span(&pl, i, &first, &count);
    if (count > max_count) max_count = count;
  }
  if (max_count > max_per && part)
    return hp_fail(st, HP_ERR_INPUT,
                   "writing %s: %d files for lattice planes %lld-%lld put %lld particles in one "
                   "file, more than the %lld a %s file can hold: use more files",
                   d->path_base, pl.nf, (long long)part->a0, (long long)(part->a0 + part->na - 1),
                   (long long)max_count, (long long)max_per, binary ? "Gadget binary" : "HDF5");
  if (max_count > max_per)
    return hp_fail(st, HP_ERR_INPUT,
                   "writing %s: num_files = %d puts %lld particles in one "
                   "file, more than the %lld a %s file can hold; use num_files >= %lld or 0 "
                   "(automatic)",
                   d->path_base, pl.num_files, (long long)max_count, (long long)max_per,
                   binary ? "Gadget binary" : "HDF5",
                   (long long)hp_ic_auto_num_files(d->format, pl.n_total));

  nout = pl.nf + (binary && (!part || part->params_file) ? 1 : 0);
  pl.chunk = max_count < IC_CHUNK ? max_count : IC_CHUNK;
  if (pl.chunk < 1) pl.chunk = 1;
  pl.buf = hp_alloc((size_t)pl.chunk * 12, "IC conversion buffer", st);
  if (pl.buf == NULL) return hp_error_context(st, "writing %s", d->path_base);
  w = calloc(1, sizeof *w + (size_t)nout * sizeof w->af[0]);
  if (w == NULL) {
    hp_free(pl.buf);
    return hp_fail(st, HP_ERR_NOMEM, "writing %s: cannot allocate %d file records", d->path_base,
                   nout);
  }
  w->n = nout;
  snprintf(w->context, sizeof w->context, "writing initial conditions %s (format %d, %d file%s)",
           d->path_base, d->format, pl.num_files, pl.num_files > 1 ? "s" : "");
  for (int i = 0; i < pl.nf && !rc; i++) {
    char path[sizeof w->af[0].final_path];
    rc = hp_ic_file_path(d->format, d->path_base, pl.num_files, pl.f0 + i, path, sizeof path, st);
    if (!rc) rc = hp_atomic_begin(&w->af[i], path, st);
    if (!rc) begun++;
  }
  if (!rc && nout > pl.nf) {
    char path[sizeof w->af[0].final_path];
    if (snprintf(path, sizeof path, "%s.params", d->path_base) >= (int)sizeof path)
      rc = hp_fail(st, HP_ERR_INPUT, "IC file name too long: %.80s...", d->path_base);
    if (!rc) rc = hp_atomic_begin(&w->af[pl.nf], path, st);
    if (!rc) begun++;
  }

  for (int i = 0; i < nout && !rc; i++) {
    if (i == pl.nf)
      rc = write_params_file(&pl, &w->af[i], st);
    else if (binary)
      rc = write_binary_file(&pl, i, &w->af[i], st);
    else
      rc = write_hdf5_file(&pl, i, &w->af[i], st);
  }
  if (!rc) rc = no_directory_names(w, st);
  hp_free(pl.buf);
  if (rc) {
    for (int i = 0; i < begun; i++) hp_atomic_abort(&w->af[i]); /* unlink temporaries */
    hp_error_context(st, "%s", w->context);
    free(w);
    return rc;
  }
  *out = w;
  return HP_OK;
}

int hp_ic_write_commit(hp_ic_pending *w, hp_status *st) {
  for (; w != NULL && w->committed < w->n; w->committed++)
    if (hp_atomic_commit(&w->af[w->committed], st)) return hp_error_context(st, "%s", w->context);
  return HP_OK;
}

void hp_ic_write_end(hp_ic_pending *w, int keep) {
  if (w == NULL) return;
  for (int i = 0; i < w->n; i++)
    if (i >= w->committed)
      hp_atomic_abort(&w->af[i]);
    else if (!keep)
      unlink(w->af[i].final_path); /* the snapshot would be partial */
  free(w);
}

int hp_ic_write(const hp_ic_desc *d, const hp_ic_particles *p, hp_status *st) {
  hp_ic_pending *w;
  if (hp_ic_write_begin(d, p, NULL, &w, st)) return st->code;
  const int rc = hp_ic_write_commit(w, st);
  hp_ic_write_end(w, rc == HP_OK);
  return rc;
}
