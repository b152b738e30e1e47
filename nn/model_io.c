/*
 * Painter model files (HDF5): random initialisation, atomic save and a loader that validates
 * every object against the architecture it names before a single weight is used.
 *
 * Layout (docs/model-format.md):
 *   /                 FormatVersion (int), Software (string)
 *   /Architecture     Name, InputChannels, OutputChannels, LeakySlope, Halo, NumParameters,
 *                     LayerList ("name cin cout k stride" per line)
 *   /Weights/<conv>   kernel (cout, cin, k, k, k) float32, bias (cout) float32 (PyTorch Conv3d)
 *   /Metadata         VoxelSize [Mpc/h], Redshift, LPTOrder, ParticlesPerVoxel,
 *                     MassBinEdges [Msun/h] (K+1), training cosmology, DensityNormalisation,
 *                     Provenance, VoxelSizeUnit, MassBinEdgesUnit
 * The loader rebuilds the generator from (name, channels) and requires the file to agree with
 * it in every respect: a mismatch is an error message naming the file and the object.
 */
#define _POSIX_C_SOURCE 200809L
#include "nn/model_io.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "plugin/version.h"
#include "util/atomic_file.h"
#include "util/hdf5_util.h"

#define VOXEL_UNIT "Mpc/h"
#define MASS_UNIT "Msun/h"
#define WHERE_LEN 4400

/* ------------------------------------------------------------------------------------------ */
/* Checks shared by the in-memory model and the loader                                        */
/* ------------------------------------------------------------------------------------------ */

/* Bin edges: K + 1 finite, positive, strictly increasing masses [Msun/h]. */
static int check_edges(int k, const double *e, const char *where, hp_status *st) {
  for (int i = 0; i <= k; i++) {
    if (!isfinite(e[i]) || e[i] <= 0)
      return hp_fail(st, HP_ERR_FORMAT, "%s: MassBinEdges[%d] = %g Msun/h: must be finite and > 0",
                     where, i, e[i]);
    if (i > 0 && !(e[i] > e[i - 1]))
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: MassBinEdges[%d] = %g <= MassBinEdges[%d] = %g Msun/h: edges must be "
                     "strictly increasing",
                     where, i, e[i], i - 1, e[i - 1]);
  }
  return HP_OK;
}

/* A training-cosmology value: NaN (untrained) or finite and above @p lo (-HUGE_VAL: any). */
static int check_cosmo(const char *name, double v, double lo, int lo_open, const char *where,
                       hp_status *st) {
  if (isnan(v)) return HP_OK;
  if (!isfinite(v))
    return hp_fail(st, HP_ERR_FORMAT, "%s: %s = %g: must be NaN (untrained) or finite", where, name,
                   v);
  if (lo_open ? !(v > lo) : !(v >= lo))
    return hp_fail(st, HP_ERR_FORMAT, "%s: %s = %g: must be NaN (untrained) or %s %g", where, name,
                   v, lo_open ? ">" : ">=", lo);
  return HP_OK;
}

/* Every metadata field in range; @p where prefixes the messages (file:object or "model"). */
static int check_meta(const hp_model_meta *m, int k, const char *where, hp_status *st) {
  if (m->nbins != k)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: %d mass bins in the metadata but the network has %d outputs", where,
                   m->nbins, k);
  if (!isfinite(m->voxel_size) || m->voxel_size <= 0)
    return hp_fail(st, HP_ERR_FORMAT, "%s: VoxelSize = %g Mpc/h: must be finite and > 0", where,
                   m->voxel_size);
  if (!isfinite(m->redshift) || m->redshift <= -1)
    return hp_fail(st, HP_ERR_FORMAT, "%s: Redshift = %g: must be finite and > -1", where,
                   m->redshift);
  if (m->lpt_order != 1 && m->lpt_order != 2)
    return hp_fail(st, HP_ERR_FORMAT, "%s: LPTOrder = %d: must be 1 or 2", where, m->lpt_order);
  if (!isfinite(m->particles_per_voxel) || m->particles_per_voxel <= 0)
    return hp_fail(st, HP_ERR_FORMAT, "%s: ParticlesPerVoxel = %g: must be finite and > 0", where,
                   m->particles_per_voxel);
  int rc = check_edges(k, m->bin_edges, where, st);
  if (!rc) rc = check_cosmo("Omega0", m->omega_m, 0, 1, where, st);
  if (!rc) rc = check_cosmo("OmegaLambda", m->omega_l, -HUGE_VAL, 0, where, st);
  if (!rc) rc = check_cosmo("OmegaBaryon", m->omega_b, 0, 0, where, st);
  if (!rc) rc = check_cosmo("HubbleParam", m->h, 0, 1, where, st);
  if (!rc) rc = check_cosmo("Sigma8", m->sigma8, 0, 1, where, st);
  if (!rc) rc = check_cosmo("PrimordialIndex", m->n_s, 0, 1, where, st);
  if (rc) return rc;
  if (strcmp(m->density_norm, HP_MODEL_DENSITY_NORM) != 0)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: DensityNormalisation = \"%s\": this build paints only \"%s\"", where,
                   m->density_norm, HP_MODEL_DENSITY_NORM);
  return HP_OK;
}

/* "[a][b][c]..." of flat index @p j in an array of shape dims[0..rank). */
static void format_index(size_t j, int rank, const size_t *dims, char *buf, size_t size) {
  size_t idx[8], len = 0;
  for (int d = rank - 1; d >= 0; d--) {
    idx[d] = j % dims[d];
    j /= dims[d];
  }
  buf[0] = '\0';
  for (int d = 0; d < rank && len < size; d++)
    len += (size_t)snprintf(buf + len, size - len, "[%zu]", idx[d]);
}

/* First non-finite value of a kernel or bias, reported with the layer and its index. */
static int check_finite(const hp_conv *c, const float *w, int is_bias, const char *where,
                        hp_status *st) {
  const size_t kdims[5] = {(size_t)c->cout, (size_t)c->cin, (size_t)c->k, (size_t)c->k,
                           (size_t)c->k};
  const size_t bdims[1] = {(size_t)c->cout};
  const size_t n = is_bias ? bdims[0] : kdims[0] * kdims[1] * kdims[2] * kdims[3] * kdims[4];
  for (size_t j = 0; j < n; j++) {
    if (isfinite(w[j])) continue;
    char idx[128];
    format_index(j, is_bias ? 1 : 5, is_bias ? bdims : kdims, idx, sizeof idx);
    return hp_fail(st, HP_ERR_FORMAT, "%s/Weights/%s/%s: element %s (flat index %zu) is %s", where,
                   c->name, is_bias ? "bias" : "kernel", idx, j, isnan(w[j]) ? "NaN" : "infinite");
  }
  return HP_OK;
}

size_t hp_model_layer_list(const hp_net *net, char *buf, size_t size) {
  size_t len = 0;
  if (size > 0) buf[0] = '\0';
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    char line[160];
    int n =
        snprintf(line, sizeof line, "%s %d %d %d %d\n", c->name, c->cin, c->cout, c->k, c->stride);
    if (n < 0) continue;
    if (len + (size_t)n < size)
      memcpy(buf + len, line, (size_t)n + 1);
    else if (len < size)
      buf[len] = '\0';
    len += (size_t)n;
  }
  return len;
}

int hp_model_check(const hp_model *m, hp_status *st) {
  hp_net ref;
  int rc;
  if (m == NULL) return hp_fail(st, HP_ERR_INPUT, "model: NULL pointer");
  const hp_net *net = &m->net;
  if (net->w == NULL) return hp_fail(st, HP_ERR_INPUT, "model: no weights (not initialised?)");
  if (net->cin != 1)
    return hp_fail(st, HP_ERR_INPUT, "model: %d input channels, the painter reads 1 (density)",
                   net->cin);
  if (net->k_out < 1 || net->k_out > HP_NET_MAX_K)
    return hp_fail(st, HP_ERR_INPUT, "model: %d output channels, expected 1..%d", net->k_out,
                   HP_NET_MAX_K);
  rc = hp_net_generator(&ref, 1, net->k_out, st);
  if (rc) return rc;
  int same = net->nconv == ref.nconv && net->nblocks == ref.nblocks &&
             net->head_first == ref.head_first && net->head_len == ref.head_len &&
             net->nparams == ref.nparams && net->slope == ref.slope &&
             memcmp(net->block, ref.block, sizeof ref.block) == 0;
  for (int i = 0; same && i < ref.nconv; i++) {
    const hp_conv *a = &net->conv[i], *b = &ref.conv[i];
    same = !strcmp(a->name, b->name) && a->cin == b->cin && a->cout == b->cout && a->k == b->k &&
           a->stride == b->stride && a->w_off == b->w_off && a->b_off == b->b_off;
  }
  hp_net_free(&ref);
  if (!same)
    return hp_fail(st, HP_ERR_INPUT,
                   "model: the network is not the %s with %d outputs (layer list, slope or "
                   "sizes differ)",
                   HP_MODEL_ARCH_NAME, net->k_out);
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    rc = check_finite(c, net->w + c->w_off, 0, "model", st);
    if (!rc) rc = check_finite(c, net->w + c->b_off, 1, "model", st);
    if (rc) return st->code = HP_ERR_INPUT;
  }
  rc = check_meta(&m->meta, net->k_out, "model metadata", st);
  if (rc) return st->code = HP_ERR_INPUT;
  return HP_OK;
}

void hp_model_free(hp_model *m) {
  if (m == NULL) return;
  hp_net_free(&m->net);
  memset(m, 0, sizeof *m);
}

int hp_model_init(hp_model *m, int k_out, const double *bin_edges, uint64_t seed, hp_status *st) {
  if (m == NULL) return hp_fail(st, HP_ERR_INPUT, "model init: NULL model");
  memset(m, 0, sizeof *m);
  if (k_out < 1 || k_out > HP_NET_MAX_K)
    return hp_fail(st, HP_ERR_INPUT, "model init: %d mass bins, expected 1..%d", k_out,
                   HP_NET_MAX_K);
  if (bin_edges == NULL) return hp_fail(st, HP_ERR_INPUT, "model init: NULL bin edges");
  if (check_edges(k_out, bin_edges, "model init", st)) return st->code = HP_ERR_INPUT;
  int rc = hp_net_generator(&m->net, 1, k_out, st);
  if (rc) return rc;
  hp_net_init_random(&m->net, seed, 0.1, 0.1);
  hp_model_meta *meta = &m->meta;
  meta->format_version = HP_MODEL_FORMAT_VERSION;
  meta->voxel_size = 4.0;
  meta->redshift = 0.0;
  meta->lpt_order = 2;
  meta->particles_per_voxel = 8.0;
  meta->nbins = k_out;
  memcpy(meta->bin_edges, bin_edges, (size_t)(k_out + 1) * sizeof *bin_edges);
  meta->omega_m = meta->omega_l = meta->omega_b = NAN;
  meta->h = meta->sigma8 = meta->n_s = NAN;
  snprintf(meta->density_norm, sizeof meta->density_norm, "%s", HP_MODEL_DENSITY_NORM);
  snprintf(meta->provenance, sizeof meta->provenance, "random initialisation, seed %llu",
           (unsigned long long)seed);
  hp_count_dist_poisson(&meta->count, k_out);
  return HP_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Saving                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* A float32 dataset written whole (kernels are rank 5). */
static int write_floats(hid_t file, const char *name, int rank, const hsize_t *dims,
                        const float *data, hp_status *st) {
  hid_t dset;
  int rc = hp_h5_create_dataset(file, name, H5T_IEEE_F32LE, rank, dims, &dset, st);
  if (rc) return rc;
  hp_h5_quiet q;
  hp_h5_quiet_begin(&q);
  if (H5Dwrite(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot write dataset '%s'", name);
  if (H5Dclose(dset) < 0 && !rc)
    rc = hp_h5_fail(st, HP_ERR_IO, file, "cannot close dataset '%s'", name);
  hp_h5_quiet_end(&q);
  return rc;
}

/* Create every missing group on the way to (and including) @p path. */
static int make_groups(hid_t file, const char *path, hp_status *st) {
  char buf[256];
  size_t len = strlen(path);
  if (len >= sizeof buf) return hp_fail(st, HP_ERR_INTERNAL, "group path too long: %s", path);
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char save = buf[i];
    buf[i] = '\0';
    if (!hp_h5_exists(file, buf)) {
      hid_t g;
      int rc = hp_h5_create_group(file, buf, &g, st);
      if (rc) return rc;
      H5Gclose(g);
    }
    buf[i] = save;
  }
  return HP_OK;
}

static int write_architecture(hid_t file, const hp_net *net, hp_status *st) {
  hid_t g;
  char layers[4096];
  const int cin = net->cin, cout = net->k_out, halo = hp_net_halo(net);
  const double slope = net->slope;
  const uint64_t np = net->nparams;
  int rc = hp_h5_create_group(file, "Architecture", &g, st);
  if (rc) return rc;
  if (hp_model_layer_list(net, layers, sizeof layers) >= sizeof layers) {
    rc = hp_fail(st, HP_ERR_INTERNAL, "layer list longer than %zu bytes", sizeof layers);
    goto done;
  }
  if ((rc = hp_h5_write_attr_string(g, "Name", HP_MODEL_ARCH_NAME, st))) goto done;
  if ((rc = hp_h5_write_attr_int(g, "InputChannels", &cin, 0, st))) goto done;
  if ((rc = hp_h5_write_attr_int(g, "OutputChannels", &cout, 0, st))) goto done;
  if ((rc = hp_h5_write_attr_double(g, "LeakySlope", &slope, 0, st))) goto done;
  if ((rc = hp_h5_write_attr_int(g, "Halo", &halo, 0, st))) goto done;
  if ((rc = hp_h5_write_attr(g, "NumParameters", H5T_STD_U64LE, H5T_NATIVE_UINT64, &np, 0, st)))
    goto done;
  rc = hp_h5_write_attr_string(g, "LayerList", layers, st);
done:
  H5Gclose(g);
  return rc;
}

static int write_weights(hid_t file, const hp_net *net, hp_status *st) {
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    char group[200], name[220];
    const hsize_t kd[5] = {(hsize_t)c->cout, (hsize_t)c->cin, (hsize_t)c->k, (hsize_t)c->k,
                           (hsize_t)c->k};
    const hsize_t bd[1] = {(hsize_t)c->cout};
    snprintf(group, sizeof group, "Weights/%s", c->name);
    int rc = make_groups(file, group, st);
    if (rc) return rc;
    snprintf(name, sizeof name, "%s/kernel", group);
    if ((rc = write_floats(file, name, 5, kd, net->w + c->w_off, st))) return rc;
    snprintf(name, sizeof name, "%s/bias", group);
    if ((rc = write_floats(file, name, 1, bd, net->w + c->b_off, st))) return rc;
  }
  return HP_OK;
}

/* The real-valued metadata attributes and where they live in hp_model_meta. */
static const struct {
  const char *name;
  size_t off;
} meta_reals[] = {{"VoxelSize", offsetof(hp_model_meta, voxel_size)},
                  {"Redshift", offsetof(hp_model_meta, redshift)},
                  {"ParticlesPerVoxel", offsetof(hp_model_meta, particles_per_voxel)},
                  {"Omega0", offsetof(hp_model_meta, omega_m)},
                  {"OmegaLambda", offsetof(hp_model_meta, omega_l)},
                  {"OmegaBaryon", offsetof(hp_model_meta, omega_b)},
                  {"HubbleParam", offsetof(hp_model_meta, h)},
                  {"Sigma8", offsetof(hp_model_meta, sigma8)},
                  {"PrimordialIndex", offsetof(hp_model_meta, n_s)}};

static double *meta_real(const hp_model_meta *m, size_t i) {
  return (double *)((char *)m + meta_reals[i].off);
}

static int write_metadata(hid_t file, const hp_model_meta *m, hp_status *st) {
  hid_t g;
  int rc = hp_h5_create_group(file, "Metadata", &g, st);
  if (rc) return rc;
  for (size_t i = 0; i < sizeof meta_reals / sizeof meta_reals[0]; i++)
    if ((rc = hp_h5_write_attr_double(g, meta_reals[i].name, meta_real(m, i), 0, st))) goto done;
  if ((rc = hp_h5_write_attr_int(g, "LPTOrder", &m->lpt_order, 0, st))) goto done;
  if ((rc = hp_h5_write_attr_double(g, "MassBinEdges", m->bin_edges, (size_t)m->nbins + 1, st)))
    goto done;
  if ((rc = hp_h5_write_attr_string(g, "DensityNormalisation", m->density_norm, st))) goto done;
  if ((rc = hp_h5_write_attr_string(g, "Provenance", m->provenance, st))) goto done;
  if ((rc = hp_h5_write_attr_string(g, "CountDistribution", hp_count_kind_name(m->count.kind), st)))
    goto done;
  if ((rc = hp_h5_write_attr_double(g, "DispersionA", m->count.a, (size_t)m->nbins, st))) goto done;
  if ((rc = hp_h5_write_attr_double(g, "DispersionB", m->count.b, (size_t)m->nbins, st))) goto done;
  if ((rc = hp_h5_write_attr_double(g, "GroupStep", m->count.step, (size_t)m->nbins, st)))
    goto done;
  if ((rc = hp_h5_write_attr_double(g, "ExclusionRun", m->count.run, (size_t)m->nbins, st)))
    goto done;
  if ((rc = hp_h5_write_attr_string(g, "VoxelSizeUnit", VOXEL_UNIT, st))) goto done;
  rc = hp_h5_write_attr_string(g, "MassBinEdgesUnit", MASS_UNIT, st);
done:
  H5Gclose(g);
  return rc;
}

int hp_model_save(const hp_model *m, const char *path, hp_status *st) {
  hp_atomic_file af;
  hid_t file = -1;
  int rc;
  const int version = HP_MODEL_FORMAT_VERSION;
  if (path == NULL || path[0] == '\0')
    return hp_fail(st, HP_ERR_INPUT, "saving a model: no output path");
  rc = hp_model_check(m, st);
  if (rc) return hp_error_context(st, "not saving %s", path);
  rc = hp_atomic_begin(&af, path, st);
  if (rc) return rc;
  rc = hp_h5_create(af.tmp_path, &file, st);
  if (rc) goto fail;
  if ((rc = hp_h5_write_attr_int(file, "FormatVersion", &version, 0, st))) goto fail;
  if ((rc = hp_h5_write_attr_string(file, "Software", HP_SOFTWARE, st))) goto fail;
  if ((rc = write_architecture(file, &m->net, st))) goto fail;
  if ((rc = write_weights(file, &m->net, st))) goto fail;
  if ((rc = write_metadata(file, &m->meta, st))) goto fail;
  {
    hp_h5_quiet q;
    hp_h5_quiet_begin(&q);
    herr_t e = H5Fclose(file);
    file = -1;
    if (e < 0) rc = hp_h5_fail(st, HP_ERR_IO, -1, "cannot close (flush) %s", af.tmp_path);
    hp_h5_quiet_end(&q);
    if (rc) goto fail;
  }
  rc = hp_atomic_commit(&af, st);
  if (rc) return hp_error_context(st, "writing model %s", path);
  return HP_OK;
fail:
  if (file >= 0) {
    hp_h5_quiet q;
    hp_h5_quiet_begin(&q);
    H5Fclose(file);
    hp_h5_quiet_end(&q);
  }
  hp_atomic_abort(&af);
  return hp_error_context(st, "writing model %s", path);
}

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* HDF5 class of an attribute (is_dataset = 0) or of a dataset's elements (1); H5T_NO_CLASS if
 * HDF5 cannot tell. */
static H5T_class_t object_class(hid_t loc, const char *name, int is_dataset) {
  hp_h5_quiet q;
  H5T_class_t cls = H5T_NO_CLASS;
  hp_h5_quiet_begin(&q);
  hid_t o = is_dataset ? H5Dopen2(loc, name, H5P_DEFAULT) : H5Aopen(loc, name, H5P_DEFAULT);
  if (o >= 0) {
    hid_t t = is_dataset ? H5Dget_type(o) : H5Aget_type(o);
    if (t >= 0) {
      cls = H5Tget_class(t);
      H5Tclose(t);
    }
    if (is_dataset)
      H5Dclose(o);
    else
      H5Aclose(o);
  }
  H5Eclear2(H5E_DEFAULT);
  hp_h5_quiet_end(&q);
  return cls;
}

static H5T_class_t attr_class(hid_t loc, const char *name) { return object_class(loc, name, 0); }
static H5T_class_t dataset_class(hid_t loc, const char *name) { return object_class(loc, name, 1); }

/* A scalar integer attribute (an integer type on disk: 1.5 is not an LPT order). */
static int read_int(hid_t loc, const char *name, int *v, hp_status *st) {
  char where[WHERE_LEN];
  long long x = 0;
  int rc = hp_h5_read_attr(loc, name, H5T_NATIVE_LLONG, &x, 1, st);
  if (rc) return rc;
  if (attr_class(loc, name) != H5T_INTEGER)
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' must be an integer",
                   hp_h5_describe(loc, where, sizeof where), name);
  if (x < -2147483647LL || x > 2147483647LL)
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' = %lld is out of range",
                   hp_h5_describe(loc, where, sizeof where), name, x);
  *v = (int)x;
  return HP_OK;
}

/* @p n real values (integer or floating type on disk). */
static int read_reals(hid_t loc, const char *name, double *v, size_t n, hp_status *st) {
  char where[WHERE_LEN];
  int rc = hp_h5_read_attr(loc, name, H5T_NATIVE_DOUBLE, v, n, st);
  if (rc) return rc;
  H5T_class_t cls = attr_class(loc, name);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' must be a number",
                   hp_h5_describe(loc, where, sizeof where), name);
  return HP_OK;
}

/* A string attribute into a fixed buffer; @p truncate: cut a long one, otherwise refuse it. */
static int read_text(hid_t loc, const char *name, char *buf, size_t size, int truncate,
                     hp_status *st) {
  char where[WHERE_LEN];
  char *s = NULL;
  int rc = hp_h5_read_attr_string(loc, name, &s, st);
  if (rc) return rc;
  if (strlen(s) >= size && !truncate) {
    free(s);
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' is longer than %zu characters",
                   hp_h5_describe(loc, where, sizeof where), name, size - 1);
  }
  snprintf(buf, size, "%s", s);
  free(s);
  return HP_OK;
}

/* A unit string that must be exactly @p unit. */
static int read_unit(hid_t loc, const char *name, const char *unit, hp_status *st) {
  char where[WHERE_LEN], buf[64];
  int rc = read_text(loc, name, buf, sizeof buf, 0, st);
  if (rc) return rc;
  if (strcmp(buf, unit) != 0)
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute '%s' = \"%s\", expected \"%s\"",
                   hp_h5_describe(loc, where, sizeof where), name, buf, unit);
  return HP_OK;
}

/* Compare the file's LayerList with the generator's, line by line. */
static int check_layer_list(hid_t arch, const char *have, const hp_net *net, hp_status *st) {
  char want[4096], where[WHERE_LEN];
  hp_model_layer_list(net, want, sizeof want);
  const char *a = have, *b = want;
  for (int line = 1;; line++) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    size_t ta = la;
    while (ta > 0 && (a[ta - 1] == ' ' || a[ta - 1] == '\r' || a[ta - 1] == '\t')) ta--;
    if (*b == '\0' && *a == '\0') return HP_OK;
    if (*b == '\0' || *a == '\0' || ta != lb || strncmp(a, b, lb) != 0) {
      if (*b == '\0')
        return hp_fail(st, HP_ERR_FORMAT,
                       "%s: attribute 'LayerList' has more than the %d layers of %s with K = %d "
                       "(line %d: \"%.*s\")",
                       hp_h5_describe(arch, where, sizeof where), net->nconv, HP_MODEL_ARCH_NAME,
                       net->k_out, line, (int)(ta < 120 ? ta : 120), a);
      return hp_fail(st, HP_ERR_FORMAT,
                     "%s: attribute 'LayerList' line %d is \"%.*s\", expected \"%.*s\" (%s with "
                     "K = %d)",
                     hp_h5_describe(arch, where, sizeof where), line, (int)(ta < 120 ? ta : 120), a,
                     (int)lb, b, HP_MODEL_ARCH_NAME, net->k_out);
    }
    a += la + (a[la] == '\n');
    b += lb + (b[lb] == '\n');
    /* tolerate trailing blank lines in the file */
    while (*b == '\0' && (*a == '\n' || *a == '\r' || *a == ' ')) a++;
  }
}

/* Architecture group: name, channels, slope, halo, parameter count, layer list -> *k_out. */
static int read_architecture(hid_t file, int *k_out, hid_t *arch, hp_status *st) {
  char name[128], where[WHERE_LEN];
  int cin = 0, rc;
  *arch = -1;
  if ((rc = hp_h5_open_group(file, "Architecture", arch, st))) return rc;
  hp_h5_describe(*arch, where, sizeof where);
  if ((rc = read_text(*arch, "Name", name, sizeof name, 1, st))) return rc;
  if (strcmp(name, HP_MODEL_ARCH_NAME) != 0)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: unknown architecture Name = \"%s\" (this build knows \"%s\")", where, name,
                   HP_MODEL_ARCH_NAME);
  if ((rc = read_int(*arch, "InputChannels", &cin, st))) return rc;
  if (cin != 1)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: InputChannels = %d, the painter reads 1 channel (the density)", where, cin);
  if ((rc = read_int(*arch, "OutputChannels", k_out, st))) return rc;
  if (*k_out < 1 || *k_out > HP_NET_MAX_K)
    return hp_fail(st, HP_ERR_FORMAT, "%s: OutputChannels = %d, expected 1..%d", where, *k_out,
                   HP_NET_MAX_K);
  return HP_OK;
}

/* With the generator built: slope, halo, parameter count and layer list must agree. */
static int check_architecture(hid_t arch, const hp_net *net, hp_status *st) {
  char where[WHERE_LEN], *layers = NULL;
  double slope = 0;
  int halo = 0, rc;
  uint64_t np = 0;
  hp_h5_describe(arch, where, sizeof where);
  if ((rc = read_reals(arch, "LeakySlope", &slope, 1, st))) return rc;
  if (!((float)slope == net->slope))
    return hp_fail(st, HP_ERR_FORMAT, "%s: LeakySlope = %g, %s uses %g", where, slope,
                   HP_MODEL_ARCH_NAME, (double)net->slope);
  if ((rc = read_int(arch, "Halo", &halo, st))) return rc;
  if (halo != hp_net_halo(net))
    return hp_fail(st, HP_ERR_FORMAT, "%s: Halo = %d, the layer list gives %d", where, halo,
                   hp_net_halo(net));
  if ((rc = hp_h5_read_attr(arch, "NumParameters", H5T_NATIVE_UINT64, &np, 1, st))) return rc;
  if (attr_class(arch, "NumParameters") != H5T_INTEGER)
    return hp_fail(st, HP_ERR_FORMAT, "%s: attribute 'NumParameters' must be an integer", where);
  if (np != (uint64_t)net->nparams)
    return hp_fail(st, HP_ERR_FORMAT, "%s: NumParameters = %llu, %s with K = %d has %zu", where,
                   (unsigned long long)np, HP_MODEL_ARCH_NAME, net->k_out, net->nparams);
  if ((rc = hp_h5_read_attr_string(arch, "LayerList", &layers, st))) return rc;
  rc = check_layer_list(arch, layers, net, st);
  free(layers);
  return rc;
}

/* One kernel or bias: present, floating point, the architecture's shape, finite. */
static int read_param(hid_t file, const char *path, const hp_net *net, const hp_conv *c,
                      int is_bias, float *dst, hp_status *st) {
  char name[200], shape_want[96], shape_have[160];
  hsize_t want[5] = {(hsize_t)c->cout, (hsize_t)c->cin, (hsize_t)c->k, (hsize_t)c->k,
                     (hsize_t)c->k};
  hsize_t have[8];
  int rank = 0, want_rank = is_bias ? 1 : 5, rc;
  snprintf(name, sizeof name, "Weights/%s/%s", c->name, is_bias ? "bias" : "kernel");
  if (!hp_h5_exists(file, name))
    return hp_fail(st, HP_ERR_FORMAT, "%s:/%s: dataset not found (layer %s of %s)", path, name,
                   c->name, HP_MODEL_ARCH_NAME);
  rc = hp_h5_dataset_shape(file, name, &rank, have, 8, NULL, st);
  if (rc) return rc;
  int same = rank == want_rank;
  for (int d = 0; same && d < rank; d++) same = have[d] == want[d];
  if (!same) {
    size_t la = 0, lb = 0;
    shape_want[0] = shape_have[0] = '\0';
    for (int d = 0; d < want_rank; d++)
      la += (size_t)snprintf(shape_want + la, sizeof shape_want - la, "%s%llu", d ? ", " : "",
                             (unsigned long long)want[d]);
    for (int d = 0; d < rank && lb < sizeof shape_have; d++)
      lb += (size_t)snprintf(shape_have + lb, sizeof shape_have - lb, "%s%llu", d ? ", " : "",
                             (unsigned long long)have[d]);
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s:/%s: shape (%s), expected (%s) for layer %s (cin %d, cout %d, k %d) of %s "
                   "with K = %d",
                   path, name, shape_have, shape_want, c->name, c->cin, c->cout, c->k,
                   HP_MODEL_ARCH_NAME, net->k_out);
  }
  if (dataset_class(file, name) != H5T_FLOAT)
    return hp_fail(st, HP_ERR_FORMAT, "%s:/%s: must be floating point (float32)", path, name);
  rc = hp_h5_read_dataset(file, name, H5T_NATIVE_FLOAT, want_rank, want, dst, st);
  if (rc) return rc;
  char where[WHERE_LEN];
  snprintf(where, sizeof where, "%s:", path);
  return check_finite(c, dst, is_bias, where, st);
}

/* OutputChannels K must match the K + 1 mass-bin edges (checked before any weight is read). */
static int check_edge_count(hid_t file, int k, hp_status *st) {
  char where[WHERE_LEN];
  hid_t g;
  size_t ne = 0;
  int rc = hp_h5_open_group(file, "Metadata", &g, st);
  if (rc) return rc;
  rc = hp_h5_attr_npoints(g, "MassBinEdges", &ne, st);
  if (!rc && ne != (size_t)k + 1)
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "%s: attribute 'MassBinEdges' has %zu values, but Architecture/OutputChannels = "
                 "%d needs K + 1 = %d",
                 hp_h5_describe(g, where, sizeof where), ne, k, k + 1);
  H5Gclose(g);
  return rc;
}

/* The count distribution: required from format 2 on; a version-1 file paints Poisson counts. */
static int read_count_dist(hid_t g, int version, int k, hp_count_dist *d, const char *where,
                           hp_status *st) {
  hp_count_dist_poisson(d, k);
  if (version < 2) return HP_OK;
  char kind[32];
  int rc = read_text(g, "CountDistribution", kind, sizeof kind, 0, st);
  if (rc) return rc;
  if ((d->kind = hp_count_kind_parse(kind)) < 0)
    return hp_fail(st, HP_ERR_FORMAT,
                   "%s: attribute 'CountDistribution' = \"%s\", expected \"poisson\", \"cmp\" "
                   "or \"cmp-step\"",
                   where, kind);
  if ((rc = read_reals(g, "DispersionA", d->a, (size_t)k, st))) return rc;
  if ((rc = read_reals(g, "DispersionB", d->b, (size_t)k, st))) return rc;
  /* the group step: required by cmp-step (models before 2026-12-08 have none: 0) */
  if ((d->kind == HP_COUNT_CMP_STEP || hp_h5_attr_exists(g, "GroupStep")) &&
      (rc = read_reals(g, "GroupStep", d->step, (size_t)k, st)))
    return rc;
  if (d->kind != HP_COUNT_CMP_STEP)
    for (int i = 0; i < k; i++)
      if (d->step[i] != 0)
        return hp_fail(st, HP_ERR_FORMAT,
                       "%s: group step %g of bin %d in a \"%s\" count distribution (only "
                       "\"cmp-step\" has one)",
                       where, d->step[i], i, kind);
  /* optional (models before 2026-12-07 draw counts independently) */
  if (hp_h5_attr_exists(g, "ExclusionRun") &&
      (rc = read_reals(g, "ExclusionRun", d->run, (size_t)k, st)))
    return rc;
  return hp_count_dist_check(d, where, st);
}

static int read_metadata(hid_t file, int version, int k, hp_model_meta *m, hp_status *st) {
  char where[WHERE_LEN];
  hid_t g;
  int rc = hp_h5_open_group(file, "Metadata", &g, st);
  if (rc) return rc;
  hp_h5_describe(g, where, sizeof where);
  for (size_t i = 0; i < sizeof meta_reals / sizeof meta_reals[0]; i++)
    if ((rc = read_reals(g, meta_reals[i].name, meta_real(m, i), 1, st))) goto done;
  if ((rc = read_int(g, "LPTOrder", &m->lpt_order, st))) goto done;
  m->nbins = k;
  if ((rc = read_reals(g, "MassBinEdges", m->bin_edges, (size_t)k + 1, st))) goto done;
  if ((rc = read_text(g, "DensityNormalisation", m->density_norm, sizeof m->density_norm, 0, st)))
    goto done;
  if ((rc = read_text(g, "Provenance", m->provenance, sizeof m->provenance, 1, st))) goto done;
  if ((rc = read_count_dist(g, version, k, &m->count, where, st))) goto done;
  if ((rc = read_unit(g, "VoxelSizeUnit", VOXEL_UNIT, st))) goto done;
  if ((rc = read_unit(g, "MassBinEdgesUnit", MASS_UNIT, st))) goto done;
  rc = check_meta(m, k, where, st);
done:
  H5Gclose(g);
  return rc;
}

int hp_model_load(hp_model *out, const char *path, hp_status *st) {
  hp_model m;
  hid_t file = -1, arch = -1;
  char where[WHERE_LEN], sw[256];
  int version = 0, k = 0, rc;
  memset(&m, 0, sizeof m);
  if (out == NULL) return hp_fail(st, HP_ERR_INPUT, "loading a model: NULL output");
  memset(out, 0, sizeof *out);
  if (path == NULL || path[0] == '\0')
    return hp_fail(st, HP_ERR_INPUT, "loading a model: no file name");
  rc = hp_h5_open_ro(path, &file, st);
  if (rc) return hp_error_context(st, "model file");
  hp_h5_describe(file, where, sizeof where);
  if ((rc = read_int(file, "FormatVersion", &version, st))) goto done;
  if (version > HP_MODEL_FORMAT_VERSION) {
    rc = hp_fail(st, HP_ERR_FORMAT,
                 "%s: FormatVersion = %d is newer than this build reads (%d): update halopaint",
                 where, version, HP_MODEL_FORMAT_VERSION);
    goto done;
  }
  if (version < 1) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: FormatVersion = %d, expected 1..%d", where, version,
                 HP_MODEL_FORMAT_VERSION);
    goto done;
  }
  if ((rc = read_text(file, "Software", sw, sizeof sw, 1, st))) goto done;
  if ((rc = read_architecture(file, &k, &arch, st))) goto done;
  if ((rc = check_edge_count(file, k, st))) goto done;
  if ((rc = hp_net_generator(&m.net, 1, k, st))) goto done;
  if ((rc = check_architecture(arch, &m.net, st))) goto done;
  if (!hp_h5_exists(file, "Weights")) {
    rc = hp_fail(st, HP_ERR_FORMAT, "%s: group 'Weights' not found", where);
    goto done;
  }
  for (int i = 0; i < m.net.nconv && !rc; i++) {
    const hp_conv *c = &m.net.conv[i];
    rc = read_param(file, path, &m.net, c, 0, m.net.w + c->w_off, st);
    if (!rc) rc = read_param(file, path, &m.net, c, 1, m.net.w + c->b_off, st);
  }
  if (rc) goto done;
  if ((rc = read_metadata(file, version, k, &m.meta, st))) goto done;
  m.meta.format_version = version;
done:
  if (arch >= 0) H5Gclose(arch);
  if (file >= 0) {
    hp_h5_quiet q;
    hp_h5_quiet_begin(&q);
    H5Fclose(file);
    hp_h5_quiet_end(&q);
  }
  if (rc) {
    hp_model_free(&m);
    return rc;
  }
  *out = m;
  return HP_OK;
}
