/*
 * The `halopaint stats` command's own parts, shared by its files: the parsed options, the
 * inputs (catalogue, grid or parameter file) on a mesh, the tables, and one function per
 * subcommand (app/stats_pk.c, stats_cross.c, stats_bispec.c, stats_hmf.c, stats_pdf.c,
 * stats_slice.c, and for light cones stats_nz.c, stats_wtheta.c).
 */
#ifndef HP_APP_STATS_CLI_H
#define HP_APP_STATS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "lightcone/cone.h"
#include "lpt/cosmology.h"
#include "params/resolve.h"
#include "plugin/pipeline.h"
#include "stats/bispec.h"
#include "stats/cross.h"
#include "stats/figures.h"
#include "stats/grid_io.h"
#include "stats/hmf.h"
#include "stats/mesh.h"
#include "stats/multipoles.h"
#include "stats/power.h"
#include "stats/sample.h"
#include "stats/table.h"

#define MAX_INPUTS 8
#define MAX_OVERRIDES 64
#define MAX_MASS_BINS 64
#define MAX_THETA 256

/* ---------------------------------------------------------------------------------------- */
/* Options. */

/* Roles of inputs: A (the first), B (the second), the baseline of cross, any other input. */
enum { ROLE_A = 0, ROLE_B = 1, ROLE_BASELINE = 2, ROLE_ANY = 3, NROLES = 4 };

typedef struct opts {
  const char *sub, *out, *plot, *dataset, *baseline, *ref;
  /* per role: grid dataset and kind (--a-dataset, --b-kind, ...; NULL, -1: --dataset, --kind) */
  const char *rdataset[NROLES];
  int rkind[NROLES];
  const char *inputs[MAX_INPUTS];
  int ninputs;
  const char *ov[MAX_OVERRIDES];
  int nov;
  int64_t mesh;
  int mesh_set, window, interlace, deconvolve, grid_window, kind, component, nthreads;
  double box;
  int bins_log, nbins;
  double kmin, kmax;
  double medges[MAX_MASS_BINS + 1];
  int nmass;
  double mlo, mhi;
  int subtract_shot, rsd;
  double k_bias, k_quad, k1, k2, dk;
  double theta[MAX_THETA];
  int ntheta;
  double mmin, mmax;
  int nmass_log;
  int axis;
  double position, thickness;
  int ntheta_n;      /* --ntheta given (bispec angles; wtheta refuses it) */
  double dz;         /* nz: redshift bin width */
  int zobs;          /* nz, wtheta: observed redshifts ZObs instead of ZCos */
  double zmin, zmax; /* wtheta: redshift slice [zmin, zmax) (NaN: the whole cone) */
  int mass_bin;      /* wtheta: one painter mass bin (-1: all) */
  const char *model; /* pdf: the model of a painted mean field's count distribution */
  char cmdline[1024];
} opts;

/* ---------------------------------------------------------------------------------------- */
/* Inputs: catalogue, grid or parameter file (app/stats_source.c). */

enum { SRC_CAT = 1, SRC_GRID = 2, SRC_PARAM = 3 };

typedef struct source {
  int kind;
  const char *path;
  double box;
  hp_catalog cat; /* SRC_CAT */
  float *grid;    /* SRC_GRID */
  int64_t n;
  int ncomp, gkind, component;      /* SRC_GRID: components in the file, HP_GRID_* kind, -1: sum */
  const char *dataset;              /* SRC_GRID: the dataset read */
  double medges[MAX_MASS_BINS + 1]; /* SRC_GRID: mass-bin edges recorded with it [Msun/h] */
  int nmedges;
  const char *medges_at; /* where they were found */
  hp_params *par;        /* SRC_PARAM (also a catalogue's regenerated 2LPT) */
  int regenerated;       /* 1: par are a catalogue's stored parameters */
  hp_cosmology *cosmo;
  hp_lpt *lpt;
  double z;
} source;

void stats_source_free(source *s);
void stats_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Load one input in its role (ROLE_*: which --X-dataset and --X-kind apply to a grid). */
int stats_source_load(source *s, const char *path, int role, const opts *o, hp_status *st);
int stats_source_regenerate(source *m, const source *c, const opts *o, hp_status *st);
int stats_source_cosmology(source *s, hp_cosmology **c, double *z, hp_status *st);
int stats_source_geometry(source *const *s, int ns, const opts *o, int64_t *n, double *box,
                          hp_status *st);
int stats_source_load_one(source *s, const opts *o, int64_t *n, double *box, hp_status *st);
int stats_make_bins(const opts *o, int64_t n, double box, hp_stats_bins *b, hp_status *st);
int stats_source_field(source *s, const opts *o, double mlo, double mhi, int rsd,
                       hp_stats_mesh *mesh, hp_stats_field *f, hp_status *st);
int stats_source_density(source *s, const opts *o, hp_stats_mesh *mesh, float *g, hp_status *st);
int stats_mesh_for(const opts *o, int64_t n, double box, hp_stats_mesh **m, hp_status *st);
/* The one input of a subcommand with its mesh side, box and a mesh for it (*m NULL on failure). */
int stats_open_one(source *s, const opts *o, int64_t *n, double *box, hp_stats_mesh **m,
                   hp_status *st);

/* Grid inputs (app/stats_grid.c). The dataset an input in its role reads: the role's
   --X-dataset, else --dataset (the baseline: else density when the file lacks that one). */
const char *stats_grid_dataset(const char *path, int role, const opts *o);
int stats_grid_load(source *s, const char *path, const char *dataset, int role, const opts *o,
                    hp_status *st);
const char *stats_grid_kind_name(int kind);
/* The grid's component (or sum) and its mass bin when the file records the edges; "" for an
   (n, n, n) grid. */
void stats_grid_selection(const source *s, char *buf, size_t n);

/* Tables (app/stats_table.c). */

typedef struct cols {
  char name[512][64];
  const char *ptr[512];
  int n;
} cols;

void stats_col(cols *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void stats_describe_source(hp_stats_table *t, const source *s, const char *role, hp_status *st);
/* What a source contributes to a sample: a catalogue's halos in [lo, hi), a grid's dataset and
   component (with its mass bin when the file records the edges), 2LPT particles. */
void stats_sample_text(const source *s, double lo, double hi, char *buf, size_t n);
void stats_describe_mesh(hp_stats_table *t, const opts *o, int64_t n, double box,
                         const hp_stats_bins *b, hp_status *st);
int stats_emit(const hp_stats_table *t, const opts *o, hp_status *st);
/* The figure of sample j of ns: --plot FILE, or FILE_mJ.EXT when there are several samples. */
void stats_plot_path(char *buf, size_t n, const opts *o, int ns, int j);
/* The k columns every binned table starts with, and their values in row i. */
void stats_k_columns(cols *c);
void stats_k_row(hp_stats_table *t, const hp_stats_pk *pk, int64_t i, int *k);
int stats_nsamples(const opts *o, int any_cat);
void stats_sample_range(const opts *o, int j, double *lo, double *hi);
int stats_read_ref(const char *path, double **k, double **p, int64_t *n, hp_status *st);
int stats_cmd_pk(const opts *o, hp_status *st);
int stats_cmd_cross(const opts *o, hp_status *st);
int stats_cmd_bispec(const opts *o, hp_status *st);
int stats_cmd_hmf(const opts *o, hp_status *st);
int stats_cmd_pdf(const opts *o, hp_status *st);
int stats_cmd_slice_mesh(const opts *o, int is_slice, hp_status *st);

/* Light cones (app/stats_nz.c): the one input of a subcommand read as a cone, and its header
   described in a table. */
int stats_cone_open(const opts *o, hp_cone *c, hp_status *st);
void stats_describe_cone(hp_stats_table *t, const char *path, const hp_cone *c, hp_status *st);
int stats_cmd_nz(const opts *o, hp_status *st);
int stats_cmd_wtheta(const opts *o, hp_status *st);

#endif
