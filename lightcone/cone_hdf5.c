/*
 * The light-cone catalogue as HDF5 (layout in lightcone/cone.h and docs/lightcone.md): written
 * atomically, read back with every shape checked. h5py reads it without glue.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "lightcone/cone.h"
#include "lightcone/cone_io.h"
#include "util/atomic_file.h"
#include "util/hdf5_util.h"

typedef struct real_attr {
  const char *name;
  size_t offset, n; /* n = 0: scalar; else 1-D of n */
} real_attr;

#define R(name, field) \
  { name, offsetof(hp_cone_header, field), 0 }
static const real_attr REALS[] = {
    R("BoxSize", box),         R("ZMin", zmin),           R("ZMax", zmax),
    R("DistanceMin", dmin),    R("DistanceMax", dmax),    R("Omega0", omega_m),
    R("OmegaLambda", omega_l), R("OmegaBaryon", omega_b), R("HubbleParam", h),
    R("Sigma8", sigma8),       R("PrimordialIndex", n_s), R("SkyFraction", sky_fraction),
};
#undef R
#define NREALS (sizeof REALS / sizeof REALS[0])

typedef struct string_attr {
  const char *name;
  size_t offset, size;
} string_attr;

#define S(name, field) \
  { name, offsetof(hp_cone_header, field), sizeof((hp_cone_header *)0)->field }
static const string_attr STRINGS[] = {S("Footprint", footprint), S("Evolution", evolution),
                                      S("MassDefinition", mass_def), S("Command", command),
                                      S("Software", software)};
#undef S
#define NSTRINGS (sizeof STRINGS / sizeof STRINGS[0])

static int write_header(hid_t file, const hp_cone *c, hp_status *st) {
  const hp_cone_header *h = &c->hdr;
  const int version = HP_CONE_FORMAT_VERSION;
  hid_t g;
  int rc = hp_h5_create_group(file, "Header", &g, st);
  if (rc) return rc;
  for (size_t i = 0; i < NREALS && !rc; i++)
    rc = hp_h5_write_attr_double(g, REALS[i].name,
                                 (const double *)((const char *)h + REALS[i].offset), 0, st);
  for (size_t i = 0; i < NSTRINGS && !rc; i++)
    rc = hp_h5_write_attr_string(g, STRINGS[i].name, (const char *)h + STRINGS[i].offset, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "Observer", h->observer, 3, st);
  if (!rc) rc = hp_h5_write_attr(g, "Seed", H5T_STD_I64LE, H5T_NATIVE_INT64, &h->seed, 0, st);
  if (!rc) rc = hp_h5_write_attr(g, "NumHalos", H5T_STD_I64LE, H5T_NATIVE_INT64, &c->n, 0, st);
  if (!rc) rc = hp_h5_write_attr_int(g, "FormatVersion", &version, 0, st);
  if (!rc) rc = hp_h5_write_attr_int(g, "ReplicasPerAxis", &h->replicas, 0, st);
  if (!rc) rc = hp_h5_write_attr_int(g, "NumShells", &h->nshells, 0, st);
  if (!rc)
    rc = hp_h5_write_attr_double(g, "ShellEdges", h->shell_edges, (size_t)h->nshells + 1, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "ShellRedshift", h->shell_z, (size_t)h->nshells, st);
  if (!rc) rc = hp_h5_write_attr_double(g, "MassBinEdges", h->bin_edges, (size_t)h->nbins + 1, st);
  if (!rc)
    rc = hp_h5_write_attr_double(g, "ShellMeanDensity", h->shell_density,
                                 (size_t)h->nshells * (size_t)h->nbins, st);
  if (!rc)
    rc = hp_h5_write_attr_double(g, "ShellMeanDensityFar", h->shell_density_far,
                                 (size_t)h->nshells * (size_t)h->nbins, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "UnitLength", HP_CAT_UNIT_LENGTH, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "UnitVelocity", HP_CAT_UNIT_VELOCITY, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "UnitMass", HP_CAT_UNIT_MASS, st);
  H5Gclose(g);
  return rc;
}

/* The columns: name, width, type (0 double, 1 float, 2 int32, 3 int64), units, description. */
typedef struct column {
  const char *name;
  int width, type;
  const char *units, *desc;
} column;

static const column COLS[HP_CONE_NCOLS] = {
    {"RA", 1, 0, "degree", "right ascension, [0, 360): the box's x axis at 0"},
    {"Dec", 1, 0, "degree", "declination, [-90, 90]: the box's z axis at +90"},
    {"ZCos", 1, 0, "", "cosmological redshift at the comoving distance"},
    {"ZObs", 1, 0, "", "observed redshift: (1 + ZCos)(1 + v_los / c) - 1"},
    {"Distance", 1, 1, HP_CAT_UNIT_LENGTH, "comoving distance from the observer"},
    {"Position", 3, 1, HP_CAT_UNIT_LENGTH, "halo centre relative to the observer (the box's axes)"},
    {"Velocity", 3, 1, HP_CAT_UNIT_VELOCITY, "mean peculiar velocity"},
    {"Mass", 1, 0, HP_CAT_UNIT_MASS, "mass (see Header/MassDefinition)"},
    {"MassBin", 1, 2, "", "index of the painter's mass bin"},
    {"Shell", 1, 2, "", "index of the shell (Header/ShellEdges) the halo was painted in"},
    {"ID", 1, 3, "", "halo ID, unique in the cone"},
};

static const void *column_data(const hp_cone *c, int i) {
  const void *d[HP_CONE_NCOLS] = {c->ra,  c->dec,  c->zcos,     c->zobs,  c->dist, c->pos,
                                  c->vel, c->mass, c->mass_bin, c->shell, c->id};
  return d[i];
}

int hp_cone_h5_open(hp_cone_writer *w, hp_status *st) {
  const hid_t ftype[4] = {H5T_IEEE_F64LE, H5T_IEEE_F32LE, H5T_STD_I32LE, H5T_STD_I64LE};
  int rc = hp_h5_create(w->af.tmp_path, &w->file, st);
  if (!rc) rc = hp_h5_create_group(w->file, "Halos", &w->halos, st);
  for (int i = 0; i < HP_CONE_NCOLS && !rc; i++)
    rc = hp_h5_create_growing(w->halos, COLS[i].name, ftype[COLS[i].type], COLS[i].width,
                              COLS[i].units, COLS[i].desc, &w->col[i], st);
  return rc;
}

int hp_cone_h5_append(hp_cone_writer *w, const hp_cone *c, hp_status *st) {
  const hid_t mtype[4] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_FLOAT, H5T_NATIVE_INT32, H5T_NATIVE_INT64};
  int rc = HP_OK;
  for (int i = 0; i < HP_CONE_NCOLS && !rc; i++)
    rc = hp_h5_append_rows(w->col[i], mtype[COLS[i].type], w->written, c->n, COLS[i].width,
                           column_data(c, i), st);
  return rc;
}

/* Close the columns and their group (handles set to -1). */
static void close_columns(hp_cone_writer *w) {
  for (int i = 0; i < HP_CONE_NCOLS; i++)
    if (w->col[i] >= 0) H5Dclose(w->col[i]), w->col[i] = -1;
  if (w->halos >= 0) H5Gclose(w->halos), w->halos = -1;
}

int hp_cone_h5_close(hp_cone_writer *w, const hp_cone *c, hp_status *st) {
  hp_cone whole = *c; /* the header's NumHalos is what was written */
  whole.n = w->written;
  close_columns(w);
  int rc = write_header(w->file, &whole, st);
  if (!rc)
    rc = hp_h5_write_kv_group(w->file, "Parameters", c->nparams, c->param_key, c->param_value, st);
  if (H5Fclose(w->file) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, -1, "cannot close (flush) %s", w->af.tmp_path);
  w->file = -1;
  return rc;
}

void hp_cone_h5_abort(hp_cone_writer *w) {
  close_columns(w);
  if (w->file >= 0) H5Fclose(w->file), w->file = -1;
}

static int read_header(hid_t file, hp_cone *c, hp_status *st) {
  hp_cone_header *h = &c->hdr;
  hid_t g;
  int nshells = 0, nbins = 0, version = 0;
  size_t nedges = 0;
  int rc = hp_h5_open_group(file, "Header", &g, st);
  if (rc) return rc;
  rc = hp_h5_read_attr(g, "FormatVersion", H5T_NATIVE_INT, &version, 1, st);
  if (!rc && (version < 1 || version > HP_CONE_FORMAT_VERSION))
    rc = hp_fail(st, HP_ERR_FORMAT, "Header/FormatVersion = %d: this halopaint reads 1 to %d",
                 version, HP_CONE_FORMAT_VERSION);
  if (!rc) rc = hp_h5_read_attr(g, "NumShells", H5T_NATIVE_INT, &nshells, 1, st);
  if (!rc) rc = hp_h5_attr_npoints(g, "MassBinEdges", &nedges, st);
  if (!rc && (nshells < 1 || nshells > 10000000 || nedges < 2 || nedges > 1000))
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "Header: NumShells = %d, %zu MassBinEdges: expected >= 1 and >= 2", nshells,
                 nedges);
  nbins = (int)nedges - 1;
  if (!rc) rc = hp_cone_init(c, nshells, nbins, st);
  for (size_t i = 0; i < NREALS && !rc; i++)
    rc = hp_h5_read_attr(g, REALS[i].name, H5T_NATIVE_DOUBLE, (char *)h + REALS[i].offset, 1, st);
  for (size_t i = 0; i < NSTRINGS && !rc; i++)
    rc = hp_h5_read_string_into(g, STRINGS[i].name, (char *)h + STRINGS[i].offset, STRINGS[i].size,
                                st);
  if (!rc) rc = hp_h5_read_attr(g, "Observer", H5T_NATIVE_DOUBLE, h->observer, 3, st);
  if (!rc) rc = hp_h5_read_attr(g, "Seed", H5T_NATIVE_INT64, &h->seed, 1, st);
  if (!rc) rc = hp_h5_read_attr(g, "NumHalos", H5T_NATIVE_INT64, &c->n, 1, st);
  if (!rc && c->n < 0)
    rc = hp_fail(st, HP_ERR_FORMAT, "Header/NumHalos = %lld < 0", (long long)c->n);
  if (!rc) rc = hp_h5_read_attr(g, "ReplicasPerAxis", H5T_NATIVE_INT, &h->replicas, 1, st);
  if (!rc)
    rc = hp_h5_read_attr(g, "ShellEdges", H5T_NATIVE_DOUBLE, h->shell_edges, (size_t)nshells + 1,
                         st);
  if (!rc)
    rc = hp_h5_read_attr(g, "ShellRedshift", H5T_NATIVE_DOUBLE, h->shell_z, (size_t)nshells, st);
  if (!rc) rc = hp_h5_read_attr(g, "MassBinEdges", H5T_NATIVE_DOUBLE, h->bin_edges, nedges, st);
  if (!rc)
    rc = hp_h5_read_attr(g, "ShellMeanDensity", H5T_NATIVE_DOUBLE, h->shell_density,
                         (size_t)nshells * (size_t)nbins, st);
  /* optional: absent, the density is flat across each shell */
  if (!rc && hp_h5_attr_exists(g, "ShellMeanDensityFar"))
    rc = hp_h5_read_attr(g, "ShellMeanDensityFar", H5T_NATIVE_DOUBLE, h->shell_density_far,
                         (size_t)nshells * (size_t)nbins, st);
  else if (!rc)
    memcpy(h->shell_density_far, h->shell_density,
           sizeof(double) * (size_t)nshells * (size_t)nbins);
  H5Gclose(g);
  return rc;
}

static int read_halos(hid_t file, hp_cone *c, hp_status *st) {
  const int64_t n = c->n;
  const hsize_t d1[1] = {(hsize_t)n}, d3[2] = {(hsize_t)n, 3};
  hid_t g;
  c->n = 0;
  int rank;
  hsize_t have[2];
  int rc = hp_h5_open_group(file, "Halos", &g, st);
  if (rc) return rc;
  /* the header's count must be the columns' length before anything is sized by it */
  rc = hp_h5_dataset_shape(g, "RA", &rank, have, 2, NULL, st);
  if (!rc && (rank != 1 || have[0] != (hsize_t)n))
    rc = hp_fail(st, HP_ERR_FORMAT, "Halos/RA holds %llu values, Header/NumHalos says %lld",
                 rank == 1 ? (unsigned long long)have[0] : 0ULL, (long long)n);
  if (!rc) rc = hp_cone_reserve(c, n > 0 ? n : 1, st);
  if (rc) {
    H5Gclose(g);
    return rc;
  }
  const hid_t D = H5T_NATIVE_DOUBLE, F = H5T_NATIVE_FLOAT, I = H5T_NATIVE_INT32;
  rc = hp_h5_read_dataset(g, "RA", D, 1, d1, c->ra, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Dec", D, 1, d1, c->dec, st);
  if (!rc) rc = hp_h5_read_dataset(g, "ZCos", D, 1, d1, c->zcos, st);
  if (!rc) rc = hp_h5_read_dataset(g, "ZObs", D, 1, d1, c->zobs, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Distance", F, 1, d1, c->dist, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Position", F, 2, d3, c->pos, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Velocity", F, 2, d3, c->vel, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Mass", D, 1, d1, c->mass, st);
  if (!rc) rc = hp_h5_read_dataset(g, "MassBin", I, 1, d1, c->mass_bin, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Shell", I, 1, d1, c->shell, st);
  if (!rc) rc = hp_h5_read_dataset(g, "ID", H5T_NATIVE_INT64, 1, d1, c->id, st);
  H5Gclose(g);
  if (!rc) c->n = n;
  for (int64_t i = 0; i < c->n && !rc; i++)
    if (c->shell[i] < 0 || c->shell[i] >= c->hdr.nshells || c->mass_bin[i] < 0 ||
        c->mass_bin[i] >= c->hdr.nbins)
      rc = hp_fail(st, HP_ERR_FORMAT, "Halos: halo %lld has Shell %d, MassBin %d (out of range)",
                   (long long)i, c->shell[i], c->mass_bin[i]);
  return rc;
}

int hp_cone_read(hp_cone *c, const char *path, hp_status *st) {
  hid_t file;
  memset(c, 0, sizeof *c);
  int rc = hp_h5_open_ro(path, &file, st);
  if (rc) return hp_error_context(st, "reading light cone");
  rc = read_header(file, c, st);
  if (!rc) rc = read_halos(file, c, st);
  if (!rc)
    rc = hp_h5_read_kv_group(file, "Parameters", &c->nparams, &c->param_key, &c->param_value, st);
  H5Fclose(file);
  if (rc) {
    hp_cone_free(c);
    return hp_error_context(st, "reading light cone %s", path);
  }
  return HP_OK;
}
