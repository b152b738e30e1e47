/*
 * Halo catalogue as HDF5: groups Header (cosmology, provenance, units), Parameters (the
 * resolved parameter set) and Halos (one dataset per column), written atomically through
 * util/atomic_file.h and read back with every shape and value checked. The layout is in
 * catalog/catalog.h and docs/catalog.md (it reads directly into h5py, nbodykit's HDFCatalog
 * and, column by column, halotools' UserSuppliedHaloCatalog).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "util/atomic_file.h"
#include "util/hdf5_util.h"

/* Header attributes stored as float64, in file order, with their place in the header. */
typedef struct real_attr {
  const char *name;
  size_t offset; /* offsetof(hp_catalog_header, field) */
} real_attr;

static const real_attr REAL_ATTRS[] = {
    {"BoxSize", offsetof(hp_catalog_header, box)},
    {"Redshift", offsetof(hp_catalog_header, redshift)},
    {"Omega0", offsetof(hp_catalog_header, omega_m)},
    {"OmegaLambda", offsetof(hp_catalog_header, omega_l)},
    {"OmegaBaryon", offsetof(hp_catalog_header, omega_b)},
    {"HubbleParam", offsetof(hp_catalog_header, h)},
    {"Sigma8", offsetof(hp_catalog_header, sigma8)},
    {"PrimordialIndex", offsetof(hp_catalog_header, n_s)},
};
#define N_REAL_ATTRS (sizeof REAL_ATTRS / sizeof REAL_ATTRS[0])

/* A NUL-terminated copy of a fixed header string (in case the caller filled the array). */
static const char *header_string(const char *field, size_t size, char *buf) {
  memcpy(buf, field, size);
  buf[size] = '\0';
  return buf;
}

static int write_header(hid_t file, const hp_catalog *c, hp_status *st) {
  const hp_catalog_header *h = &c->hdr;
  hid_t g;
  char buf[600];
  const int version = HP_CATALOG_FORMAT_VERSION;
  const int64_t nhalos = c->n;
  int rc = hp_h5_create_group(file, "Header", &g, st);
  if (rc) return rc;
  for (size_t i = 0; i < N_REAL_ATTRS && !rc; i++) {
    const double *v = (const double *)((const char *)h + REAL_ATTRS[i].offset);
    rc = hp_h5_write_attr_double(g, REAL_ATTRS[i].name, v, 0, st);
  }
  if (!rc) rc = hp_h5_write_attr_double(g, "ParticleMass", &h->particle_mass, 0, st);
  if (!rc) rc = hp_h5_write_attr(g, "Seed", H5T_STD_I64LE, H5T_NATIVE_INT64, &h->seed, 0, st);
  if (!rc) rc = hp_h5_write_attr(g, "NumHalos", H5T_STD_I64LE, H5T_NATIVE_INT64, &nhalos, 0, st);
  if (!rc) rc = hp_h5_write_attr_int(g, "FormatVersion", &version, 0, st);
  if (!rc)
    rc = hp_h5_write_attr_string(g, "MassDefinition",
                                 header_string(h->mass_def, sizeof h->mass_def, buf), st);
  if (!rc)
    rc = hp_h5_write_attr_string(g, "Command", header_string(h->command, sizeof h->command, buf),
                                 st);
  if (!rc)
    rc = hp_h5_write_attr_string(g, "Software", header_string(h->software, sizeof h->software, buf),
                                 st);
  if (!rc) rc = hp_h5_write_attr_string(g, "UnitLength", HP_CAT_UNIT_LENGTH, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "UnitVelocity", HP_CAT_UNIT_VELOCITY, st);
  if (!rc) rc = hp_h5_write_attr_string(g, "UnitMass", HP_CAT_UNIT_MASS, st);
  H5Gclose(g);
  return rc;
}

static int write_halos(hid_t file, const hp_catalog *c, hp_status *st) {
  hid_t g;
  int rc = hp_h5_create_group(file, "Halos", &g, st);
  if (rc) return rc;
  rc = hp_h5_write_column(g, "Position", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->n, 3, c->pos,
                          HP_CAT_UNIT_LENGTH, "halo centre, in [0, BoxSize)", st);
  if (!rc)
    rc = hp_h5_write_column(g, "Velocity", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->n, 3, c->vel,
                            HP_CAT_UNIT_VELOCITY, "mean peculiar velocity", st);
  if (!rc)
    rc = hp_h5_write_column(g, "Mass", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c->n, 1, c->mass,
                            HP_CAT_UNIT_MASS, "mass (see Header/MassDefinition)", st);
  if (!rc)
    rc = hp_h5_write_column(g, "ID", H5T_STD_I64LE, H5T_NATIVE_INT64, c->n, 1, c->id, "",
                            "halo ID, unique in the catalogue", st);
  if (!rc && (c->columns & HP_CAT_NPART))
    rc = hp_h5_write_column(g, "NumParticles", H5T_STD_I32LE, H5T_NATIVE_INT32, c->n, 1, c->npart,
                            "", "number of member particles", st);
  if (!rc && (c->columns & HP_CAT_LAGRANGE))
    rc = hp_h5_write_column(g, "LagrangianPosition", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->n, 3,
                            c->lagr_pos, HP_CAT_UNIT_LENGTH,
                            "centre of the members' initial (lattice) positions", st);
  if (!rc && (c->columns & HP_CAT_MASSBIN))
    rc = hp_h5_write_column(g, "MassBin", H5T_STD_I32LE, H5T_NATIVE_INT32, c->n, 1, c->mass_bin, "",
                            "index of the painter's mass bin", st);
  H5Gclose(g);
  return rc;
}

int hp_catalog_write_hdf5(const hp_catalog *c, const char *path, hp_status *st) {
  hp_atomic_file af;
  hid_t file = -1;
  int rc = hp_catalog_validate(c, path, st);
  if (rc) return hp_error_context(st, "not writing %s", path);
  rc = hp_atomic_begin(&af, path, st);
  if (rc) return rc;
  rc = hp_h5_create(af.tmp_path, &file, st);
  if (rc) {
    hp_atomic_abort(&af);
    return hp_error_context(st, "writing halo catalogue %s", path);
  }
  rc = write_header(file, c, st);
  if (!rc)
    rc = hp_h5_write_kv_group(file, "Parameters", c->nparams, c->param_key, c->param_value, st);
  if (!rc) rc = write_halos(file, c, st);
  if (H5Fclose(file) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, -1, "cannot close (flush) %s", af.tmp_path);
  if (!rc) rc = hp_atomic_commit(&af, st);
  if (rc) {
    hp_atomic_abort(&af);
    return hp_error_context(st, "writing halo catalogue %s", path);
  }
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static int read_header(hid_t file, hp_catalog_header *h, int64_t *nhalos, hp_status *st) {
  hid_t g;
  char where[2200];
  int rc = hp_h5_open_group(file, "Header", &g, st);
  if (rc) return rc;
  for (size_t i = 0; i < N_REAL_ATTRS && !rc; i++) {
    double *v = (double *)((char *)h + REAL_ATTRS[i].offset);
    rc = hp_h5_read_attr(g, REAL_ATTRS[i].name, H5T_NATIVE_DOUBLE, v, 1, st);
  }
  if (!rc && hp_h5_attr_exists(g, "ParticleMass"))
    rc = hp_h5_read_attr(g, "ParticleMass", H5T_NATIVE_DOUBLE, &h->particle_mass, 1, st);
  if (!rc) rc = hp_h5_read_attr(g, "Seed", H5T_NATIVE_INT64, &h->seed, 1, st);
  if (!rc) rc = hp_h5_read_attr(g, "NumHalos", H5T_NATIVE_INT64, nhalos, 1, st);
  if (!rc && *nhalos < 0)
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: NumHalos = %lld < 0",
                 hp_h5_describe(g, where, sizeof where), (long long)*nhalos);
  if (!rc && hp_h5_attr_exists(g, "FormatVersion")) {
    int version = 0;
    rc = hp_h5_read_attr(g, "FormatVersion", H5T_NATIVE_INT, &version, 1, st);
    if (!rc && (version < 1 || version > HP_CATALOG_FORMAT_VERSION))
      rc = hp_fail(st, HP_ERR_FORMAT,
                   "%s: FormatVersion = %d: this halopaint reads versions 1 to %d (newer file?)",
                   hp_h5_describe(g, where, sizeof where), version, HP_CATALOG_FORMAT_VERSION);
  }
  if (!rc) rc = hp_h5_read_string_into(g, "MassDefinition", h->mass_def, sizeof h->mass_def, st);
  if (!rc) rc = hp_h5_read_string_into(g, "Command", h->command, sizeof h->command, st);
  if (!rc) rc = hp_h5_read_string_into(g, "Software", h->software, sizeof h->software, st);
  H5Gclose(g);
  return rc;
}

static int read_halos(hid_t file, hp_catalog *c, int64_t n, hp_status *st) {
  hid_t g;
  unsigned cols = 0;
  const hsize_t d1[1] = {(hsize_t)n}, d3[2] = {(hsize_t)n, 3};
  int rc = hp_h5_open_group(file, "Halos", &g, st);
  if (rc) return rc;
  if (hp_h5_exists(g, "NumParticles")) cols |= HP_CAT_NPART;
  if (hp_h5_exists(g, "LagrangianPosition")) cols |= HP_CAT_LAGRANGE;
  if (hp_h5_exists(g, "MassBin")) cols |= HP_CAT_MASSBIN;
  rc = hp_catalog_alloc(c, n, cols, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Position", H5T_NATIVE_FLOAT, 2, d3, c->pos, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Velocity", H5T_NATIVE_FLOAT, 2, d3, c->vel, st);
  if (!rc) rc = hp_h5_read_dataset(g, "Mass", H5T_NATIVE_DOUBLE, 1, d1, c->mass, st);
  if (!rc) rc = hp_h5_read_dataset(g, "ID", H5T_NATIVE_INT64, 1, d1, c->id, st);
  if (!rc && (cols & HP_CAT_NPART))
    rc = hp_h5_read_dataset(g, "NumParticles", H5T_NATIVE_INT32, 1, d1, c->npart, st);
  if (!rc && (cols & HP_CAT_LAGRANGE))
    rc = hp_h5_read_dataset(g, "LagrangianPosition", H5T_NATIVE_FLOAT, 2, d3, c->lagr_pos, st);
  if (!rc && (cols & HP_CAT_MASSBIN))
    rc = hp_h5_read_dataset(g, "MassBin", H5T_NATIVE_INT32, 1, d1, c->mass_bin, st);
  H5Gclose(g);
  return rc;
}

int hp_catalog_read_hdf5(hp_catalog *c, const char *path, hp_status *st) {
  hid_t file;
  hp_catalog_header hdr;
  int64_t n = 0;
  int rc;
  memset(c, 0, sizeof *c);
  memset(&hdr, 0, sizeof hdr);
  rc = hp_h5_open_ro(path, &file, st);
  if (rc) return hp_error_context(st, "reading halo catalogue");
  rc = read_header(file, &hdr, &n, st);
  if (!rc) rc = read_halos(file, c, n, st);
  if (!rc) c->hdr = hdr;
  if (!rc)
    rc = hp_h5_read_kv_group(file, "Parameters", &c->nparams, &c->param_key, &c->param_value, st);
  H5Fclose(file);
  if (!rc) rc = hp_catalog_validate(c, path, st);
  if (rc) {
    hp_catalog_free(c);
    return hp_error_context(st, "reading halo catalogue");
  }
  return HP_OK;
}

int hp_catalog_read(hp_catalog *c, const char *path, hp_status *st) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8] = {0};
  size_t got;
  FILE *f = fopen(path, "rb");
  memset(c, 0, sizeof *c);
  if (f == NULL)
    return hp_fail(st, HP_ERR_IO, "reading halo catalogue: cannot open %s: %s", path,
                   strerror(errno));
  got = fread(head, 1, sizeof head, f);
  fclose(f);
  if (got == sizeof head && memcmp(head, sig, sizeof sig) == 0)
    return hp_catalog_read_hdf5(c, path, st);
  if (got >= 4 && memcmp(head, sig, 4) == 0)
    return hp_fail(st, HP_ERR_FORMAT, "reading halo catalogue %s: truncated HDF5 signature", path);
  return hp_catalog_read_ascii(c, path, st);
}
