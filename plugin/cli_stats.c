/*
 * `halopaint stats SUB INPUT... [options]`: the statistics that judge halo fields and
 * catalogues (Kodi Ramanah, Charnock & Lavaux 2019, section 4): power spectra (per mass bin,
 * redshift-space multipoles), cross statistics T(k), r_c(k), s(k) with the linear-bias 2LPT
 * baseline, bispectrum, mass function, projected slices, and meshes written as HDF5 grids.
 * Tables go to -o FILE (or stdout), figures to --plot FILE; progress and errors to stderr.
 * A thin driver over stats/ (see docs/stats.md).
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "lpt/cosmology.h"
#include "params/resolve.h"
#include "plugin/cli.h"
#include "plugin/pipeline.h"
#include "plugin/version.h"
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

static const char *USAGE =
    "usage: halopaint stats SUBCOMMAND INPUT... [options]\n"
    "subcommands:\n"
    "  pk INPUT           power spectrum (per mass bin with --mass-bins; multipoles with --rsd)\n"
    "  cross A B          P_aa, P_bb, P_ab, T = sqrt(P_bb/P_aa), r_c, s = P_aa (1 - r_c^2), and\n"
    "                     the baseline b * 2LPT density (--baseline); A = reference, B = model\n"
    "  bispec INPUT       bispectrum B and reduced Q for --k1 --k2 and angles --theta/--ntheta\n"
    "  hmf CAT [CAT...]   mass function dn/dlog10M with Poisson errors\n"
    "  slice INPUT        projected density slab (--axis --position --thickness) as PNG/SVG\n"
    "  mesh INPUT         write the density rho/rho_mean on the mesh as an HDF5 grid (-o)\n"
    "INPUT: a halo catalogue (HDF5 or ASCII), an HDF5 grid (dataset --dataset, shape (n,n,n)\n"
    "       or (K,n,n,n), attribute BoxSize), or FILE.param (2LPT particles at its Redshift)\n"
    "options:\n"
    "  -o FILE              table (default: stdout); for mesh: the HDF5 grid\n"
    "  --plot FILE          figure: .svg (slice: .svg or .png)\n"
    "  --mesh N             mesh side for catalogues and particles (default 128; grids: theirs)\n"
    "  --window W           ngp|cic|tsc assignment (default cic)\n"
    "  --no-interlace       one mesh instead of two interlaced ones\n"
    "  --no-deconvolve      keep the assignment window in the modes\n"
    "  --dataset NAME       grid dataset (default density)\n"
    "  --kind K             grid values: density|contrast|counts (default: counts for a dataset\n"
    "                       named counts, else density)\n"
    "  --component K        one component of a (K,n,n,n) grid (default: their sum)\n"
    "  --grid-window W      window a grid was assigned with, divided out (default none)\n"
    "  --box L              box side [Mpc/h] for a grid without BoxSize\n"
    "  --bins lin|log --kmin K --kmax K --nbins N   k bins [h/Mpc] (default: linear, width\n"
    "                       2 pi/L, centred on multiples of 2 pi/L, up to k_Nyquist)\n"
    "  --mass-bins M0,M1,.. per-mass-bin statistics of catalogues [Msun/h]\n"
    "  --mass-range LO,HI   keep halos with LO <= M < HI [Msun/h]\n"
    "  --subtract-shot      T, r_c, s (and Q) from shot-subtracted spectra\n"
    "  --rsd x|y|z          pk: redshift space along the axis; monopole, quadrupole, hexadecapole\n"
    "  --baseline SRC       cross: 2LPT density for the baseline: FILE (grid or .param), auto\n"
    "                       (regenerate from A's stored parameters; default) or none\n"
    "  --k-bias K           largest k of the linear-bias fit [h/Mpc] (default 0.1)\n"
    "  --ref FILE           pk: reference curve, first and last columns (k, P) of a text table\n"
    "  --k1 K --k2 K --dk W bispec shells [h/Mpc] (k2 default k1, dk default 3 * 2 pi/L)\n"
    "  --theta LIST | --ntheta N   bispec angles theta/pi (default 10 angles in (0, 1))\n"
    "  --mmin M --mmax M --nmass N   hmf log bins when --mass-bins is not given\n"
    "  --axis x|y|z --position X --thickness T   slice: slab [X, X + T) Mpc/h along the axis\n"
    "  --threads N          threads (default: all); results do not depend on it\n"
    "  -s Key=Value         override a parameter of FILE.param inputs and of regenerated 2LPT\n";

/* ---------------------------------------------------------------------------------------- */
/* Options. */

typedef struct opts {
  const char *sub, *out, *plot, *dataset, *baseline, *ref;
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
  double k_bias, k1, k2, dk;
  double theta[MAX_THETA];
  int ntheta;
  double mmin, mmax;
  int nmass_log;
  int axis;
  double position, thickness;
  char cmdline[1024];
} opts;

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "halopaint stats: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see `halopaint stats --help`)\n");
  return 2;
}

static int num(const char *opt, const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(*v)) return bad("%s %s: expected a number", opt, s);
  return 0;
}

static int integer(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *v) {
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (end == s || *end || errno || x < lo || x > hi)
    return bad("%s %s: expected an integer in [%lld, %lld]", opt, s, (long long)lo, (long long)hi);
  *v = x;
  return 0;
}

static int list(const char *opt, const char *s, double *v, int max, int *n) {
  *n = 0;
  const char *c = s;
  while (*c) {
    char *end;
    errno = 0;
    const double x = strtod(c, &end);
    if (end == c || errno || !isfinite(x) || (*end && *end != ','))
      return bad("%s %s: expected numbers separated by commas, at '%s'", opt, s, c);
    if (*n == max) return bad("%s: more than %d values", opt, max);
    v[(*n)++] = x;
    c = *end ? end + 1 : end;
  }
  if (*n == 0) return bad("%s: empty list", opt);
  return 0;
}

static int axis_of(const char *opt, const char *s, int *a) {
  if (!strcmp(s, "x") || !strcmp(s, "0"))
    *a = 0;
  else if (!strcmp(s, "y") || !strcmp(s, "1"))
    *a = 1;
  else if (!strcmp(s, "z") || !strcmp(s, "2"))
    *a = 2;
  else
    return bad("%s %s: expected x, y or z", opt, s);
  return 0;
}

/* How an option's value is read into opts (the option table below). */
typedef enum {
  ARG_FLAG,   /* no value: the int field is set to lo */
  ARG_STR,    /* the value as is */
  ARG_REAL,   /* a finite number */
  ARG_POS,    /* a number > 0 */
  ARG_INT,    /* an integer in [lo, hi] into an int */
  ARG_CHOICE, /* one of the '|'-separated words in choices: its index into an int */
  ARG_LIST,   /* up to hi numbers separated by commas; their count into the int at count */
  ARG_AXIS,   /* x, y or z (0, 1, 2) */
  ARG_OTHER   /* read by parse_other() */
} arg_kind;

typedef struct opt_spec {
  const char *name;
  arg_kind kind;
  size_t off; /* the field in opts */
  int64_t lo, hi;
  const char *choices; /* ARG_CHOICE */
  size_t count;        /* ARG_LIST: the int field holding how many were read */
} opt_spec;

#define F(field) offsetof(opts, field)
static const opt_spec options[] = {
    {"-o", ARG_STR, F(out), 0, 0, NULL, 0},
    {"--plot", ARG_STR, F(plot), 0, 0, NULL, 0},
    {"--mesh", ARG_OTHER, 0, 0, 0, NULL, 0},
    {"--window", ARG_OTHER, 0, 0, 0, NULL, 0},
    {"--grid-window", ARG_OTHER, 0, 0, 0, NULL, 0},
    {"--no-interlace", ARG_FLAG, F(interlace), 0, 0, NULL, 0},
    {"--interlace", ARG_FLAG, F(interlace), 1, 0, NULL, 0},
    {"--no-deconvolve", ARG_FLAG, F(deconvolve), 0, 0, NULL, 0},
    {"--dataset", ARG_STR, F(dataset), 0, 0, NULL, 0},
    {"--kind", ARG_CHOICE, F(kind), 0, 0, "density|contrast|counts", 0}, /* = HP_GRID_* */
    {"--component", ARG_INT, F(component), 0, 1 << 20, NULL, 0},
    {"--box", ARG_POS, F(box), 0, 0, NULL, 0},
    {"--bins", ARG_CHOICE, F(bins_log), 0, 0, "lin|log", 0},
    {"--kmin", ARG_REAL, F(kmin), 0, 0, NULL, 0},
    {"--kmax", ARG_REAL, F(kmax), 0, 0, NULL, 0},
    {"--nbins", ARG_INT, F(nbins), 1, 100000, NULL, 0},
    {"--mass-bins", ARG_OTHER, 0, 0, 0, NULL, 0},
    {"--mass-range", ARG_OTHER, 0, 0, 0, NULL, 0},
    {"--subtract-shot", ARG_FLAG, F(subtract_shot), 1, 0, NULL, 0},
    {"--rsd", ARG_AXIS, F(rsd), 0, 0, NULL, 0},
    {"--baseline", ARG_STR, F(baseline), 0, 0, NULL, 0},
    {"--k-bias", ARG_REAL, F(k_bias), 0, 0, NULL, 0},
    {"--ref", ARG_STR, F(ref), 0, 0, NULL, 0},
    {"--k1", ARG_REAL, F(k1), 0, 0, NULL, 0},
    {"--k2", ARG_REAL, F(k2), 0, 0, NULL, 0},
    {"--dk", ARG_REAL, F(dk), 0, 0, NULL, 0},
    {"--theta", ARG_LIST, F(theta), 0, MAX_THETA, NULL, F(ntheta)},
    {"--ntheta", ARG_OTHER, 0, 0, 0, NULL, 0},
    {"--mmin", ARG_REAL, F(mmin), 0, 0, NULL, 0},
    {"--mmax", ARG_REAL, F(mmax), 0, 0, NULL, 0},
    {"--nmass", ARG_INT, F(nmass_log), 1, 10000, NULL, 0},
    {"--axis", ARG_AXIS, F(axis), 0, 0, NULL, 0},
    {"--position", ARG_REAL, F(position), 0, 0, NULL, 0},
    {"--thickness", ARG_POS, F(thickness), 0, 0, NULL, 0},
    {"--threads", ARG_INT, F(nthreads), 0, 100000, NULL, 0},
    {"-s", ARG_OTHER, 0, 0, 0, NULL, 0},
};
#undef F

/* "--kind v: expected density, contrast or counts" from the choice list. */
static int choice(const opt_spec *sp, const char *v, int *out) {
  char expect[256] = "";
  const char *w = sp->choices;
  for (int idx = 0; *w; idx++) {
    const size_t len = strcspn(w, "|");
    if (strlen(v) == len && !strncmp(v, w, len)) {
      *out = idx;
      return 0;
    }
    const char *next = w + len + (w[len] == '|');
    const size_t at = strlen(expect);
    snprintf(expect + at, sizeof expect - at, "%s%.*s", at ? (*next ? ", " : " or ") : "", (int)len,
             w);
    w = next;
  }
  return bad("%s %s: expected %s", sp->name, v, expect);
}

/* The options whose reading does more than store one value. */
static int parse_other(const char *a, const char *v, opts *o) {
  int64_t iv = 0;
  int rc = 0;
  if (!strcmp(a, "--mesh")) {
    rc = integer(a, v, 2, 4096, &o->mesh);
    o->mesh_set = 1;
  } else if (!strcmp(a, "--window") || !strcmp(a, "--grid-window")) {
    const int w = hp_stats_window_parse(v);
    if (w < 0 || (w == HP_WIN_NONE && !strcmp(a, "--window")))
      return bad("%s %s: expected ngp, cic or tsc%s", a, v,
                 strcmp(a, "--window") ? " (or none)" : "");
    if (!strcmp(a, "--window"))
      o->window = w;
    else
      o->grid_window = w;
  } else if (!strcmp(a, "--mass-bins")) {
    int ne;
    rc = list(a, v, o->medges, MAX_MASS_BINS + 1, &ne);
    if (!rc && ne < 2) return bad("--mass-bins %s: need at least two edges", v);
    o->nmass = ne - 1;
  } else if (!strcmp(a, "--mass-range")) {
    double r[2];
    int nr;
    rc = list(a, v, r, 2, &nr);
    if (!rc && (nr != 2 || !(r[1] > r[0])))
      return bad("--mass-range %s: expected LO,HI with LO < HI", v);
    o->mlo = r[0];
    o->mhi = r[1];
  } else if (!strcmp(a, "--ntheta")) {
    rc = integer(a, v, 1, MAX_THETA, &iv);
    o->ntheta = (int)iv;
    for (int t = 0; t < o->ntheta; t++) o->theta[t] = (t + 0.5) / o->ntheta;
  } else if (!strcmp(a, "-s")) {
    if (o->nov == MAX_OVERRIDES) return bad("more than %d -s overrides", MAX_OVERRIDES);
    o->ov[o->nov++] = v;
  }
  return rc;
}

/* One option with its value (NULL when the command line ends): 0, or the exit status. */
static int parse_option(const opt_spec *sp, const char *v, opts *o) {
  char *field = (char *)o + sp->off;
  int64_t iv = 0;
  int rc = 0;
  if (sp->kind == ARG_FLAG) {
    *(int *)field = (int)sp->lo;
    return 0;
  }
  if (!v) return bad("%s needs a value", sp->name);
  switch (sp->kind) {
    case ARG_STR:
      *(const char **)field = v;
      break;
    case ARG_REAL:
    case ARG_POS:
      rc = num(sp->name, v, (double *)field);
      if (!rc && sp->kind == ARG_POS && !(*(double *)field > 0))
        return bad("%s %s: must be > 0", sp->name, v);
      break;
    case ARG_INT:
      rc = integer(sp->name, v, sp->lo, sp->hi, &iv);
      if (!rc) *(int *)field = (int)iv;
      break;
    case ARG_CHOICE:
      rc = choice(sp, v, (int *)field);
      break;
    case ARG_LIST:
      rc = list(sp->name, v, (double *)field, (int)sp->hi, (int *)((char *)o + sp->count));
      break;
    case ARG_AXIS:
      rc = axis_of(sp->name, v, (int *)field);
      break;
    default:
      rc = parse_other(sp->name, v, o);
  }
  return rc;
}

static int parse(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  o->dataset = "density";
  o->baseline = "auto";
  o->mesh = 128;
  o->window = HP_WIN_CIC;
  o->interlace = o->deconvolve = 1;
  o->kind = -1;
  o->component = -1;
  o->kmin = o->kmax = NAN;
  o->mlo = 0.0;
  o->mhi = INFINITY;
  o->rsd = -1;
  o->k_bias = 0.1;
  o->k1 = o->k2 = o->dk = NAN;
  o->mmin = o->mmax = NAN;
  o->nmass_log = 12;
  o->axis = 2;
  o->thickness = NAN;
  size_t len = (size_t)snprintf(o->cmdline, sizeof o->cmdline, "halopaint stats");
  for (int i = 0; i < argc && len < sizeof o->cmdline; i++)
    len += (size_t)snprintf(o->cmdline + len, sizeof o->cmdline - len, " %s", argv[i]);
  if (argc < 1) return bad("missing subcommand");
  o->sub = argv[0];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const opt_spec *sp = NULL;
    for (size_t k = 0; k < sizeof options / sizeof options[0] && !sp; k++)
      if (!strcmp(a, options[k].name)) sp = &options[k];
    if (sp) {
      const int rc = parse_option(sp, v, o);
      if (rc) return rc;
      if (sp->kind != ARG_FLAG) i++;
    } else if (a[0] == '-' && a[1]) {
      return bad("unknown option '%s'", a);
    } else {
      if (o->ninputs == MAX_INPUTS) return bad("more than %d inputs", MAX_INPUTS);
      o->inputs[o->ninputs++] = a;
    }
  }
  if (o->nthreads <= 0) o->nthreads = omp_get_max_threads();
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Inputs: catalogue, grid or parameter file. */

enum { SRC_CAT = 1, SRC_GRID = 2, SRC_PARAM = 3 };

typedef struct source {
  int kind;
  const char *path;
  double box;
  hp_catalog cat; /* SRC_CAT */
  float *grid;    /* SRC_GRID */
  int64_t n;
  int ncomp, gkind;
  hp_params *par;  /* SRC_PARAM (also a catalogue's regenerated 2LPT) */
  int regenerated; /* 1: par are a catalogue's stored parameters */
  hp_cosmology *cosmo;
  hp_lpt *lpt;
  double z;
} source;

static void source_free(source *s) {
  hp_catalog_free(&s->cat);
  hp_free(s->grid);
  hp_lpt_destroy(s->lpt);
  hp_cosmology_free(s->cosmo);
  hp_params_free(s->par);
  memset(s, 0, sizeof *s);
}

static int ends_with(const char *s, const char *suf) {
  const size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
  static double t0 = -1;
  if (t0 < 0) t0 = omp_get_wtime();
  va_list ap;
  fprintf(stderr, "[%7.2f s] ", omp_get_wtime() - t0);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* 2LPT particles of a parameter set at its Redshift (or at z_force if >= 0). */
static int particles_from_params(source *s, double z_force, hp_status *st) {
  s->z = z_force >= 0 ? z_force : hp_params_real(s->par, "Redshift");
  s->box = hp_params_real(s->par, "BoxSize");
  note("2LPT: %lld^3 particles, BoxSize %g Mpc/h, Seed %lld, z = %g",
       (long long)hp_params_int(s->par, "NParticles"), s->box,
       (long long)hp_params_int(s->par, "Seed"), s->z);
  return hp_pipeline_particles(s->par, s->z, &s->cosmo, &s->lpt, st);
}

static int source_load(source *s, const char *path, const opts *o, hp_status *st) {
  memset(s, 0, sizeof *s);
  s->path = path;
  if (ends_with(path, ".param")) {
    s->kind = SRC_PARAM;
    if (hp_params_load(&s->par, path, o->ov, o->nov, HP_NEED_ALL, st)) return st->code;
    return particles_from_params(s, -1.0, st) ? hp_error_context(st, "%s", path) : HP_OK;
  }
  if (hp_stats_grid_probe(path, o->dataset)) {
    s->kind = SRC_GRID;
    s->box = o->box;
    if (hp_stats_grid_read(path, o->dataset, o->component, &s->grid, &s->n, &s->box, &s->ncomp, st))
      return st->code;
    s->gkind = o->kind >= 0                    ? o->kind
               : !strcmp(o->dataset, "counts") ? HP_GRID_COUNTS
                                               : HP_GRID_DENSITY;
    note("%s:/%s: %lld^3 grid, BoxSize %g Mpc/h%s", path, o->dataset, (long long)s->n, s->box,
         s->ncomp > 1 ? (o->component < 0 ? ", sum of the components" : ", one component") : "");
    return HP_OK;
  }
  s->kind = SRC_CAT;
  if (hp_catalog_read(&s->cat, path, st))
    return hp_error_context(st, "%s is neither a grid with dataset '%s' nor a readable catalogue",
                            path, o->dataset);
  s->box = s->cat.hdr.box;
  s->z = s->cat.hdr.redshift;
  note("%s: %lld halos, BoxSize %g Mpc/h, z = %g", path, (long long)s->cat.n, s->box, s->z);
  return HP_OK;
}

/* The 2LPT particles a catalogue was made from: its stored parameters, -s overrides. */
static int source_regenerate(source *m, const source *c, const opts *o, hp_status *st) {
  memset(m, 0, sizeof *m);
  m->kind = SRC_PARAM;
  m->path = c->path;
  m->regenerated = 1;
  if (c->cat.nparams == 0)
    return hp_fail(st, HP_ERR_INPUT,
                   "%s stores no parameters: cannot regenerate its 2LPT density (give "
                   "--baseline FILE or --baseline none)",
                   c->path);
  size_t len = 1;
  for (int i = 0; i < c->cat.nparams; i++)
    len += strlen(c->cat.param_key[i]) + strlen(c->cat.param_value[i]) + 3;
  char *text = malloc(len), *p = text;
  if (!text) return hp_fail(st, HP_ERR_NOMEM, "parameter text");
  /* parameter keys only: `run` also stores the model's identity (ModelSHA256, ...) */
  for (int i = 0; i < c->cat.nparams; i++)
    if (c->cat.param_value[i][0] && hp_param_find(c->cat.param_key[i]))
      p += sprintf(p, "%s %s\n", c->cat.param_key[i], c->cat.param_value[i]);
  *p = '\0';
  char name[600];
  snprintf(name, sizeof name, "%s (stored parameters)", c->path);
  const int rc = hp_params_parse_string(&m->par, name, text, o->ov, o->nov, HP_NEED_ALL, st);
  free(text);
  if (rc) return hp_error_context(st, "regenerating the 2LPT density (--baseline none to skip)");
  return particles_from_params(m, c->z, st);
}

/* Cosmology and redshift of a source, for reference curves (0 if unknown). */
static int source_cosmology(source *s, hp_cosmology **c, double *z, hp_status *st) {
  *c = NULL;
  if (s->cosmo) {
    *c = s->cosmo;
    *z = s->z;
    return 1;
  }
  if (s->kind != SRC_CAT || !(s->cat.hdr.omega_m > 0)) return 0;
  hp_cosmo_desc d;
  memset(&d, 0, sizeof d);
  d.omega_m = s->cat.hdr.omega_m;
  d.omega_l = s->cat.hdr.omega_l;
  d.omega_b = s->cat.hdr.omega_b;
  d.h = s->cat.hdr.h;
  d.sigma8 = s->cat.hdr.sigma8;
  d.n_s = s->cat.hdr.n_s;
  d.t_cmb = 2.7255;
  d.power = HP_POWER_EH98;
  if (hp_cosmology_create(&s->cosmo, &d, st)) {
    fprintf(stderr, "halopaint stats: note: no reference curve (%s)\n", st->msg);
    hp_status_clear(st);
    return 0;
  }
  *c = s->cosmo;
  *z = s->z;
  return 1;
}

/* Geometry shared by all sources: mesh side and box. */
static int geometry(source *const *s, int ns, const opts *o, int64_t *n, double *box,
                    hp_status *st) {
  *n = 0;
  *box = s[0]->box;
  for (int i = 0; i < ns; i++) {
    if (fabs(s[i]->box - *box) > 1e-6 * *box)
      return hp_fail(st, HP_ERR_INPUT, "%s has BoxSize %g Mpc/h but %s has %g", s[i]->path,
                     s[i]->box, s[0]->path, *box);
    if (s[i]->kind == SRC_GRID) {
      if (*n && s[i]->n != *n)
        return hp_fail(st, HP_ERR_INPUT, "grids of different sides (%lld, %lld)", (long long)*n,
                       (long long)s[i]->n);
      *n = s[i]->n;
    }
  }
  if (*n && o->mesh_set && o->mesh != *n)
    return hp_fail(st, HP_ERR_INPUT, "--mesh %lld: the grid input fixes the mesh to %lld",
                   (long long)o->mesh, (long long)*n);
  if (!*n) *n = o->mesh;
  return HP_OK;
}

/* The one input of a subcommand, loaded, with its mesh side and box. */
static int source_load_one(source *s, const opts *o, int64_t *n, double *box, hp_status *st) {
  source *sp = s;
  const int rc = source_load(s, o->inputs[0], o, st);
  return rc ? rc : geometry(&sp, 1, o, n, box, st);
}

static int make_bins(const opts *o, int64_t n, double box, hp_stats_bins *b, hp_status *st) {
  const double kf = 2 * M_PI / box, kny = M_PI * (double)n / box;
  hp_stats_bins_default(b, n, box);
  if (o->bins_log) {
    b->log = 1;
    b->kmin = kf;
    b->kmax = kny;
    b->nbins = 20;
  }
  if (isfinite(o->kmin)) b->kmin = o->kmin;
  if (isfinite(o->kmax)) b->kmax = o->kmax;
  if (o->nbins > 0)
    b->nbins = o->nbins;
  else if (!o->bins_log && (isfinite(o->kmin) || isfinite(o->kmax)))
    b->nbins = (int)fmax(1.0, floor((b->kmax - b->kmin) / kf + 0.5));
  return hp_stats_bins_check(b, st);
}

/* Modes of a source on the mesh: catalogue halos in [mlo, mhi) (redshift space along rsd if
 * >= 0), the grid, or the 2LPT particles. */
static int source_field(source *s, const opts *o, double mlo, double mhi, int rsd,
                        hp_stats_mesh *mesh, hp_stats_field *f, hp_status *st) {
  const hp_stats_mesh_desc *d = hp_stats_mesh_get_desc(mesh);
  if (hp_stats_field_alloc(f, d->n, d->box, st)) return st->code;
  int rc = HP_OK;
  if (s->kind == SRC_GRID) {
    if (rsd >= 0)
      rc = hp_fail(st, HP_ERR_INPUT,
                   "--rsd needs positions and velocities (a catalogue or a parameter file), "
                   "not a grid");
    else
      rc = hp_stats_field_from_grid(hp_stats_mesh_fft(mesh), s->grid, s->gkind, o->grid_window,
                                    o->deconvolve, f, st);
  } else if (s->kind == SRC_CAT) {
    hp_stats_sample smp;
    rc = hp_stats_sample_select(&s->cat, mlo, mhi, rsd, o->nthreads, &smp, st);
    if (!rc && smp.n == 0)
      rc = hp_fail(st, HP_ERR_INPUT, "no halos with %g <= M < %g Msun/h", mlo, mhi);
    if (!rc) {
      hp_cic_particles p = hp_stats_sample_particles(&smp);
      rc = hp_stats_mesh_execute(mesh, &p, f, st);
    }
    hp_stats_sample_free(&smp);
  } else {
    const int64_t np = hp_params_int(s->par, "NParticles");
    hp_cic_particles p;
    memset(&p, 0, sizeof p);
    p.n = np * np * np;
    p.x = hp_lpt_displacement(s->lpt, 0);
    p.y = hp_lpt_displacement(s->lpt, 1);
    p.z = hp_lpt_displacement(s->lpt, 2);
    p.stride = 1;
    p.lattice_np = np;
    float *pos = NULL;
    if (rsd >= 0) {
      const double fac = hp_stats_rsd_factor(hp_params_real(s->par, "Omega0"),
                                             hp_params_real(s->par, "OmegaLambda"), s->z);
      pos = hp_alloc((size_t)(3 * p.n) * sizeof *pos, "redshift-space positions", st);
      rc = !pos ? st->code
                : hp_stats_rsd_positions(&p, hp_lpt_velocity(s->lpt, rsd), 1, rsd, fac, s->box, pos,
                                         o->nthreads, st);
      p.x = pos, p.y = pos + 1, p.z = pos + 2, p.stride = 3, p.lattice_np = 0;
    }
    if (!rc) rc = hp_stats_mesh_execute(mesh, &p, f, st);
    hp_free(pos);
    f->shot = f->shot3 = 0.0; /* a displaced lattice is not a Poisson sample */
  }
  if (rc) {
    hp_stats_field_free(f);
    return hp_error_context(st, "%s", s->path);
  }
  return HP_OK;
}

/* rho/rho_mean of a source on the n^3 mesh (grid: converted from its kind). */
static int source_density(source *s, const opts *o, hp_stats_mesh *mesh, float *g, hp_status *st) {
  const hp_stats_mesh_desc *d = hp_stats_mesh_get_desc(mesh);
  const int64_t n3 = d->n * d->n * d->n;
  if (s->kind == SRC_GRID) {
    double sum = 0;
    for (int64_t i = 0; i < n3; i++) sum += s->grid[i];
    if (s->gkind == HP_GRID_CONTRAST) {
      for (int64_t i = 0; i < n3; i++) g[i] = 1.0f + s->grid[i];
    } else {
      if (!(sum > 0))
        return hp_fail(st, HP_ERR_INPUT, "%s: the grid's mean is not positive", s->path);
      const float f = (float)((double)n3 / sum);
      for (int64_t i = 0; i < n3; i++) g[i] = s->grid[i] * f;
    }
    return HP_OK;
  }
  if (s->kind == SRC_CAT) {
    hp_stats_sample smp;
    int rc = hp_stats_sample_select(&s->cat, o->mlo, o->mhi, -1, o->nthreads, &smp, st);
    if (!rc && smp.n == 0) rc = hp_fail(st, HP_ERR_INPUT, "%s: no halos selected", s->path);
    if (!rc) {
      hp_cic_particles p = hp_stats_sample_particles(&smp);
      rc = hp_stats_mesh_density(mesh, &p, g, st);
    }
    hp_stats_sample_free(&smp);
    return rc ? hp_error_context(st, "%s", s->path) : HP_OK;
  }
  const int64_t np = hp_params_int(s->par, "NParticles");
  hp_cic_particles p;
  memset(&p, 0, sizeof p);
  p.n = np * np * np;
  p.x = hp_lpt_displacement(s->lpt, 0);
  p.y = hp_lpt_displacement(s->lpt, 1);
  p.z = hp_lpt_displacement(s->lpt, 2);
  p.stride = 1;
  p.lattice_np = np;
  return hp_stats_mesh_density(mesh, &p, g, st);
}

static int mesh_for(const opts *o, int64_t n, double box, hp_stats_mesh **m, hp_status *st) {
  hp_stats_mesh_desc d = {n, box, o->window, o->interlace, o->deconvolve, o->nthreads};
  return hp_stats_mesh_create(m, &d, st);
}

/* ---------------------------------------------------------------------------------------- */
/* Tables. */

typedef struct cols {
  char name[512][64];
  const char *ptr[512];
  int n;
} cols;

static void col(cols *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void col(cols *c, const char *fmt, ...) {
  if (c->n >= 512) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->name[c->n], sizeof c->name[c->n], fmt, ap);
  va_end(ap);
  c->ptr[c->n] = c->name[c->n];
  c->n++;
}

static void describe_source(hp_stats_table *t, const source *s, const char *role, hp_status *st) {
  const char *kinds[] = {"", "halo catalogue", "grid", "2LPT particles of a parameter file"};
  hp_stats_table_comment(
      t, st, "%s: %s (%s), BoxSize %.10g Mpc/h", role, s->path,
      s->regenerated ? "2LPT particles regenerated from its stored parameters" : kinds[s->kind],
      s->box);
  if (s->kind == SRC_CAT)
    hp_stats_table_comment(t, st, "  %lld halos, z = %g, mass definition: %s", (long long)s->cat.n,
                           s->cat.hdr.redshift, s->cat.hdr.mass_def);
  if (s->kind == SRC_PARAM)
    hp_stats_table_comment(t, st, "  z = %g, Seed %lld, NParticles %lld (no shot noise: a lattice)",
                           s->z, (long long)hp_params_int(s->par, "Seed"),
                           (long long)hp_params_int(s->par, "NParticles"));
}

static void describe_mesh(hp_stats_table *t, const opts *o, int64_t n, double box,
                          const hp_stats_bins *b, hp_status *st) {
  hp_stats_table_comment(t, st, "%s", o->cmdline);
  hp_stats_table_comment(t, st, "%s", HP_SOFTWARE);
  hp_stats_table_comment(t, st,
                         "mesh %lld^3, box %.10g Mpc/h, k_f = %.6g h/Mpc, k_Nyquist = %.6g h/Mpc; "
                         "catalogues/particles: %s assignment, %s, %s",
                         (long long)n, box, 2 * M_PI / box, M_PI * n / box,
                         hp_stats_window_name(o->window),
                         o->interlace ? "interlaced" : "not interlaced",
                         o->deconvolve ? "window deconvolved" : "window kept");
  if (b)
    hp_stats_table_comment(t, st, "k bins: %s, %d bins in [%.6g, %.6g) h/Mpc (by |k| of modes)",
                           b->log ? "logarithmic" : "linear", b->nbins, b->kmin, b->kmax);
  hp_stats_table_comment(t, st,
                         "conventions: delta(k) = int d^3x delta(x) exp(-ik.x), P = <|delta|^2>/V "
                         "[(Mpc/h)^3]; shot = aliased Poisson shot noise of the bin (0 if none); "
                         "err = Gaussian standard error");
}

static int emit(const hp_stats_table *t, const opts *o, hp_status *st) {
  if (o->out) {
    if (hp_stats_table_write(t, o->out, st)) return st->code;
    note("wrote %s", o->out);
    return HP_OK;
  }
  return hp_stats_table_print(t, stdout, st);
}

/* "out.svg" -> "out_m3.svg" */
static void suffixed(char *buf, size_t n, const char *path, int j) {
  const char *dot = strrchr(path, '.');
  if (!dot || strchr(dot, '/')) dot = path + strlen(path);
  snprintf(buf, n, "%.*s_m%d%s", (int)(dot - path), path, j, dot);
}

/* Samples of a command: mass bins of a catalogue, or one selection. */
static int nsamples(const opts *o, int any_cat) { return any_cat && o->nmass > 0 ? o->nmass : 1; }
static void sample_range(const opts *o, int j, double *lo, double *hi) {
  if (o->nmass > 0) {
    *lo = o->medges[j];
    *hi = o->medges[j + 1];
  } else {
    *lo = o->mlo;
    *hi = o->mhi;
  }
}

/* Reference P(k): first and last columns of a text table. */
static int read_ref(const char *path, double **k, double **p, int64_t *n, hp_status *st) {
  FILE *f = fopen(path, "r");
  if (!f) return hp_fail(st, HP_ERR_IO, "--ref %s: %s", path, strerror(errno));
  int64_t cap = 256, m = 0;
  double *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
  char line[8192];
  while (a && b && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    double v[64];
    int nv = 0;
    char *c = line, *end;
    while (nv < 64) {
      const double x = strtod(c, &end);
      if (end == c) break;
      v[nv++] = x;
      c = end;
    }
    if (nv < 2) continue;
    if (m == cap) {
      cap *= 2;
      double *a2 = realloc(a, cap * sizeof *a), *b2 = realloc(b, cap * sizeof *b);
      if (a2) a = a2;
      if (b2) b = b2;
      if (!a2 || !b2) break;
    }
    a[m] = v[0];
    b[m] = v[nv - 1];
    m++;
  }
  fclose(f);
  if (!a || !b || m == 0) {
    free(a);
    free(b);
    return hp_fail(st, HP_ERR_FORMAT, "--ref %s: no rows of numbers", path);
  }
  *k = a;
  *p = b;
  *n = m;
  return HP_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* pk */

static int cmd_pk(const opts *o, hp_status *st) {
  if (o->ninputs != 1) return hp_fail(st, HP_ERR_INPUT, "pk takes one INPUT");
  source s;
  hp_stats_mesh *mesh = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  hp_stats_bins bins;
  int rc = source_load_one(&s, o, &n, &box, st);
  if (!rc) rc = make_bins(o, n, box, &bins, st);
  if (!rc) rc = mesh_for(o, n, box, &mesh, st);
  const int ns = nsamples(o, s.kind == SRC_CAT), nl = o->rsd >= 0 ? 4 : 1;
  hp_stats_pk *pk = calloc((size_t)(ns * nl), sizeof *pk);
  double *nbar = calloc((size_t)ns, sizeof *nbar);
  int64_t *count = calloc((size_t)ns, sizeof *count);
  if (!rc && (!pk || !nbar || !count)) rc = hp_fail(st, HP_ERR_NOMEM, "spectra");
  for (int j = 0; j < ns && !rc; j++) {
    double lo, hi;
    sample_range(o, j, &lo, &hi);
    hp_stats_field f;
    if ((rc = source_field(&s, o, lo, hi, o->rsd, mesh, &f, st))) break;
    nbar[j] = f.nbar;
    count[j] = f.count;
    if (o->rsd >= 0) {
      /* multipoles in redshift space, and P(k) of the same sample in real space */
      rc = hp_stats_power_multipoles(&f, &bins, o->rsd, o->nthreads, &pk[4 * j], &pk[4 * j + 1],
                                     &pk[4 * j + 2], st);
      hp_stats_field_free(&f);
      if (!rc) rc = source_field(&s, o, lo, hi, -1, mesh, &f, st);
      if (!rc) rc = hp_stats_power(&f, NULL, &bins, o->nthreads, &pk[4 * j + 3], st);
    } else {
      rc = hp_stats_power(&f, NULL, &bins, o->nthreads, &pk[j], st);
    }
    hp_stats_field_free(&f);
    note("sample %d: P(k) in %d bins", j, bins.nbins);
  }
  if (!rc) {
    cols c = {.n = 0};
    col(&c, "k_lo[h/Mpc]");
    col(&c, "k_hi[h/Mpc]");
    col(&c, "k_mean[h/Mpc]");
    col(&c, "nmodes[1]");
    for (int j = 0; j < ns; j++) {
      char sfx[16] = "";
      if (ns > 1) snprintf(sfx, sizeof sfx, "_m%d", j);
      for (int l = 0; l < nl; l++) {
        const char *ln = nl == 1 ? "" : l == 0 ? "0" : l == 1 ? "2" : l == 2 ? "4" : "_real";
        col(&c, "P%s%s[(Mpc/h)^3]", ln, sfx);
        col(&c, "shot%s%s[(Mpc/h)^3]", ln, sfx);
        col(&c, "err%s%s[(Mpc/h)^3]", ln, sfx);
      }
    }
    rc = hp_stats_table_init(&t, c.n, c.ptr, bins.nbins, st);
    describe_mesh(&t, o, n, box, &bins, st);
    describe_source(&t, &s, "input", st);
    if (o->rsd >= 0)
      hp_stats_table_comment(&t, st,
                             "redshift space along %c (plane parallel, shift v (1+z)/(100 E(z))); "
                             "P0, P2, P4 = Legendre multipoles; shot_l = multipole of the aliased "
                             "shot noise; P_real = the same sample in real space",
                             "xyz"[o->rsd]);
    for (int j = 0; s.kind == SRC_CAT && j < ns; j++) {
      double lo, hi;
      sample_range(o, j, &lo, &hi);
      hp_stats_table_comment(&t, st,
                             "sample%s%d: %g <= M < %g Msun/h: %lld halos, nbar = %.6g (h/Mpc)^3, "
                             "1/nbar = %.6g (Mpc/h)^3",
                             ns > 1 ? " m" : " ", j, lo, hi, (long long)count[j], nbar[j],
                             nbar[j] > 0 ? 1 / nbar[j] : 0.0);
    }
    for (int i = 0; !rc && i < bins.nbins; i++) {
      int k = 0;
      HP_TABLE_AT(&t, i, k++) = pk[0].k_lo[i];
      HP_TABLE_AT(&t, i, k++) = pk[0].k_hi[i];
      HP_TABLE_AT(&t, i, k++) = pk[0].k_mean[i];
      HP_TABLE_AT(&t, i, k++) = (double)pk[0].nmodes[i];
      for (int j = 0; j < ns * nl; j++) {
        HP_TABLE_AT(&t, i, k++) = pk[j].p[i];
        HP_TABLE_AT(&t, i, k++) = pk[j].shot[i];
        HP_TABLE_AT(&t, i, k++) = pk[j].err[i];
      }
    }
    if (!rc) rc = emit(&t, o, st);
  }
  if (!rc && o->plot) {
    for (int j = 0; j < ns && !rc; j++) {
      char path[4200];
      if (ns > 1)
        suffixed(path, sizeof path, o->plot, j);
      else
        snprintf(path, sizeof path, "%s", o->plot);
      char title[600];
      double lo, hi;
      sample_range(o, j, &lo, &hi);
      if (s.kind == SRC_CAT && (lo > 0 || isfinite(hi)))
        snprintf(title, sizeof title, "%s: %.3g <= M < %.3g Msun/h", s.path, lo, hi);
      else
        snprintf(title, sizeof title, "%s", s.path);
      if (o->rsd >= 0) {
        rc = hp_fig_multipoles(path, title, &pk[4 * j], &pk[4 * j + 1], NULL, &pk[4 * j + 3], st);
      } else {
        hp_fig_curve ref = {0, NULL, NULL, NULL};
        double *rk = NULL, *rp = NULL;
        int64_t nr = 0;
        hp_cosmology *cosmo;
        double z;
        char lab[128] = "";
        if (o->ref) {
          rc = read_ref(o->ref, &rk, &rp, &nr, st);
          snprintf(lab, sizeof lab, "reference (%s)", o->ref);
        } else if (source_cosmology(&s, &cosmo, &z, st)) {
          hp_growth g;
          if (!hp_cosmo_growth(cosmo, 1.0 / (1.0 + z), &g, st)) {
            nr = 200;
            rk = malloc(nr * sizeof *rk);
            rp = malloc(nr * sizeof *rp);
            double b2 = 1.0, num = 0, den = 0;
            for (int i = 0; i < bins.nbins; i++) /* b^2 at k < k_bias for tracers */
              if (pk[j].nmodes[i] > 0 && pk[j].k_mean[i] < o->k_bias) {
                num += pk[j].nmodes[i] * (pk[j].p[i] - pk[j].shot[i]) /
                       (g.D1 * g.D1 * hp_cosmo_power(cosmo, pk[j].k_mean[i]));
                den += pk[j].nmodes[i];
              }
            if (s.kind == SRC_CAT && den > 0 && num > 0) b2 = num / den;
            for (int64_t i = 0; rk && rp && i < nr; i++) {
              rk[i] = bins.kmin > 0 ? bins.kmin * pow(bins.kmax / bins.kmin, i / (nr - 1.0))
                                    : bins.kmax * pow(10.0, -2.0 + 2.0 * i / (nr - 1.0));
              rp[i] = b2 * g.D1 * g.D1 * hp_cosmo_power(cosmo, rk[i]);
            }
            if (s.kind == SRC_CAT)
              snprintf(lab, sizeof lab, "b^2 P_lin(k, z=%g), b = %.3f", z, sqrt(b2));
            else
              snprintf(lab, sizeof lab, "P_lin(k, z=%g)", z);
          } else {
            hp_status_clear(st);
          }
        }
        if (!rc && rk && rp) ref = (hp_fig_curve){nr, rk, rp, lab};
        const hp_stats_pk *one[1] = {&pk[j]};
        const char *labels[1] = {s.kind == SRC_CAT ? "halos" : "measured"};
        if (!rc) rc = hp_fig_power(path, title, one, labels, 1, 0, &ref, st);
        free(rk);
        free(rp);
      }
      if (!rc) note("wrote %s", path);
    }
  }
  for (int j = 0; pk && j < ns * nl; j++) hp_stats_pk_free(&pk[j]);
  free(pk);
  free(nbar);
  free(count);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  source_free(&s);
  return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* cross */

static int cmd_cross(const opts *o, hp_status *st) {
  if (o->ninputs != 2) return hp_fail(st, HP_ERR_INPUT, "cross takes two inputs: A B");
  source a, b, m;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&m, 0, sizeof m);
  hp_stats_mesh *mesh = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  hp_stats_bins bins;
  int have_m = 0, rc = source_load(&a, o->inputs[0], o, st);
  if (!rc) rc = source_load(&b, o->inputs[1], o, st);
  if (!rc && strcmp(o->baseline, "none")) {
    if (strcmp(o->baseline, "auto")) {
      rc = source_load(&m, o->baseline, o, st);
      have_m = !rc;
    } else if (a.kind == SRC_CAT && a.cat.nparams > 0) {
      rc = source_regenerate(&m, &a, o, st);
      have_m = !rc;
    } else if (a.kind == SRC_PARAM) {
      note("baseline: A is itself the 2LPT density; no baseline");
    } else {
      note("baseline: %s stores no parameters; none (give --baseline FILE)", a.path);
    }
  }
  source *all[3] = {&a, &b, &m};
  if (!rc) rc = geometry(all, have_m ? 3 : 2, o, &n, &box, st);
  if (!rc) rc = make_bins(o, n, box, &bins, st);
  if (!rc) rc = mesh_for(o, n, box, &mesh, st);
  const int ns = nsamples(o, a.kind == SRC_CAT || b.kind == SRC_CAT);
  /* per sample: paa pbb pab [pmm pam] */
  hp_stats_pk *pk = calloc((size_t)(5 * ns), sizeof *pk);
  hp_stats_cross *cr = calloc((size_t)(2 * ns), sizeof *cr);
  double *bias = calloc((size_t)ns, sizeof *bias), *kb = calloc((size_t)ns, sizeof *kb);
  double *poisson = calloc((size_t)ns, sizeof *poisson);
  if (!rc && (!pk || !cr || !bias || !kb || !poisson)) rc = hp_fail(st, HP_ERR_NOMEM, "spectra");
  hp_stats_field fm;
  memset(&fm, 0, sizeof fm);
  if (!rc && have_m) rc = source_field(&m, o, 0, INFINITY, -1, mesh, &fm, st);
  for (int j = 0; j < ns && !rc; j++) {
    double lo, hi;
    sample_range(o, j, &lo, &hi);
    hp_stats_field fa, fb;
    if ((rc = source_field(&a, o, lo, hi, -1, mesh, &fa, st))) break;
    if ((rc = source_field(&b, o, lo, hi, -1, mesh, &fb, st))) {
      hp_stats_field_free(&fa);
      break;
    }
    poisson[j] = fa.shot;
    rc = hp_stats_power_pair(&fa, &fb, &bins, o->nthreads, &pk[5 * j], &pk[5 * j + 1],
                             &pk[5 * j + 2], st);
    if (!rc)
      rc = hp_stats_cross_from_pk(&pk[5 * j], &pk[5 * j + 1], &pk[5 * j + 2], o->subtract_shot,
                                  &cr[2 * j], st);
    if (!rc && have_m) {
      hp_stats_pk tmp;
      rc = hp_stats_power_pair(&fa, &fm, &bins, o->nthreads, &tmp, &pk[5 * j + 3], &pk[5 * j + 4],
                               st);
      hp_stats_pk_free(&tmp);
      if (!rc)
        rc = hp_stats_linear_bias(&pk[5 * j], &pk[5 * j + 3], o->k_bias, o->subtract_shot, &bias[j],
                                  &kb[j], st);
      if (!rc)
        rc = hp_stats_cross_baseline(&pk[5 * j], &pk[5 * j + 3], &pk[5 * j + 4], bias[j],
                                     o->subtract_shot, &cr[2 * j + 1], st);
    }
    hp_stats_field_free(&fa);
    hp_stats_field_free(&fb);
    note("sample %d: cross statistics in %d bins%s", j, bins.nbins, have_m ? " + baseline" : "");
  }
  hp_stats_field_free(&fm);
  if (!rc) {
    cols c = {.n = 0};
    col(&c, "k_lo[h/Mpc]");
    col(&c, "k_hi[h/Mpc]");
    col(&c, "k_mean[h/Mpc]");
    col(&c, "nmodes[1]");
    for (int j = 0; j < ns; j++) {
      char s[16] = "";
      if (ns > 1) snprintf(s, sizeof s, "_m%d", j);
      col(&c, "P_aa%s[(Mpc/h)^3]", s);
      col(&c, "shot_aa%s[(Mpc/h)^3]", s);
      col(&c, "err_aa%s[(Mpc/h)^3]", s);
      col(&c, "P_bb%s[(Mpc/h)^3]", s);
      col(&c, "shot_bb%s[(Mpc/h)^3]", s);
      col(&c, "err_bb%s[(Mpc/h)^3]", s);
      col(&c, "P_ab%s[(Mpc/h)^3]", s);
      col(&c, "err_ab%s[(Mpc/h)^3]", s);
      col(&c, "T%s[1]", s);
      col(&c, "r_c%s[1]", s);
      col(&c, "err_r_c%s[1]", s);
      col(&c, "s%s[(Mpc/h)^3]", s);
      if (have_m) {
        col(&c, "P_mm%s[(Mpc/h)^3]", s);
        col(&c, "P_am%s[(Mpc/h)^3]", s);
        col(&c, "T_base%s[1]", s);
        col(&c, "r_c_base%s[1]", s);
        col(&c, "s_base%s[(Mpc/h)^3]", s);
      }
    }
    rc = hp_stats_table_init(&t, c.n, c.ptr, bins.nbins, st);
    describe_mesh(&t, o, n, box, &bins, st);
    describe_source(&t, &a, "A (reference)", st);
    describe_source(&t, &b, "B (model)", st);
    hp_stats_table_comment(&t, st,
                           "T = sqrt(P_bb/P_aa), r_c = P_ab/sqrt(P_aa P_bb), s = P_aa (1 - r_c^2), "
                           "auto spectra %s",
                           o->subtract_shot ? "shot-subtracted" : "raw (shot noise included)");
    if (have_m) {
      describe_source(&t, &m, "baseline 2LPT density m", st);
      for (int j = 0; j < ns; j++)
        hp_stats_table_comment(&t, st,
                               "baseline%s%d: b * m with b = %.6f from <P_aa/P_mm> over k_mean < "
                               "%.4g h/Mpc (requested %g)",
                               ns > 1 ? " m" : " ", j, bias[j], kb[j], o->k_bias);
    }
    for (int j = 0; j < ns; j++) {
      double lo, hi;
      sample_range(o, j, &lo, &hi);
      hp_stats_table_comment(&t, st,
                             "sample%s%d: %g <= M < %g Msun/h (catalogues); Poisson level "
                             "1/nbar_a = %.6g (Mpc/h)^3",
                             ns > 1 ? " m" : " ", j, lo, hi, poisson[j]);
    }
    for (int i = 0; !rc && i < bins.nbins; i++) {
      int k = 0;
      HP_TABLE_AT(&t, i, k++) = pk[0].k_lo[i];
      HP_TABLE_AT(&t, i, k++) = pk[0].k_hi[i];
      HP_TABLE_AT(&t, i, k++) = pk[0].k_mean[i];
      HP_TABLE_AT(&t, i, k++) = (double)pk[0].nmodes[i];
      for (int j = 0; j < ns; j++) {
        const hp_stats_pk *q = &pk[5 * j];
        const hp_stats_cross *x = &cr[2 * j], *y = &cr[2 * j + 1];
        HP_TABLE_AT(&t, i, k++) = q[0].p[i];
        HP_TABLE_AT(&t, i, k++) = q[0].shot[i];
        HP_TABLE_AT(&t, i, k++) = q[0].err[i];
        HP_TABLE_AT(&t, i, k++) = q[1].p[i];
        HP_TABLE_AT(&t, i, k++) = q[1].shot[i];
        HP_TABLE_AT(&t, i, k++) = q[1].err[i];
        HP_TABLE_AT(&t, i, k++) = q[2].p[i];
        HP_TABLE_AT(&t, i, k++) = q[2].err[i];
        HP_TABLE_AT(&t, i, k++) = x->t[i];
        HP_TABLE_AT(&t, i, k++) = x->r[i];
        HP_TABLE_AT(&t, i, k++) = x->r_err[i];
        HP_TABLE_AT(&t, i, k++) = x->s[i];
        if (have_m) {
          HP_TABLE_AT(&t, i, k++) = q[3].p[i];
          HP_TABLE_AT(&t, i, k++) = q[4].p[i];
          HP_TABLE_AT(&t, i, k++) = y->t[i];
          HP_TABLE_AT(&t, i, k++) = y->r[i];
          HP_TABLE_AT(&t, i, k++) = y->s[i];
        }
      }
    }
    if (!rc) rc = emit(&t, o, st);
  }
  for (int j = 0; !rc && o->plot && j < ns; j++) {
    char path[4200];
    if (ns > 1)
      suffixed(path, sizeof path, o->plot, j);
    else
      snprintf(path, sizeof path, "%s", o->plot);
    char title[600];
    snprintf(title, sizeof title, "A = %s, B = %s", a.path, b.path);
    rc =
        hp_fig_cross(path, title, &pk[5 * j], &pk[5 * j + 1], have_m ? &pk[5 * j + 3] : NULL,
                     bias[j], &cr[2 * j], have_m ? &cr[2 * j + 1] : NULL, poisson[j], "A", "B", st);
    if (!rc) note("wrote %s", path);
  }
  for (int j = 0; pk && j < 5 * ns; j++) hp_stats_pk_free(&pk[j]);
  for (int j = 0; cr && j < 2 * ns; j++) hp_stats_cross_free(&cr[j]);
  free(pk);
  free(cr);
  free(bias);
  free(kb);
  free(poisson);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  source_free(&a);
  source_free(&b);
  source_free(&m);
  return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* bispec */

static int cmd_bispec(const opts *o, hp_status *st) {
  if (o->ninputs != 1) return hp_fail(st, HP_ERR_INPUT, "bispec takes one INPUT");
  if (!isfinite(o->k1)) return hp_fail(st, HP_ERR_INPUT, "bispec needs --k1 K [h/Mpc]");
  source s;
  hp_stats_mesh *mesh = NULL;
  hp_stats_bispec *bp = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = source_load_one(&s, o, &n, &box, st);
  if (!rc) rc = mesh_for(o, n, box, &mesh, st);
  if (!rc) rc = hp_stats_bispec_create(&bp, n, box, o->nthreads, st);
  const double kf = 2 * M_PI / box, dk = isfinite(o->dk) ? o->dk : 3 * kf;
  const double k1 = o->k1, k2 = isfinite(o->k2) ? o->k2 : o->k1;
  double th[MAX_THETA];
  int nt = o->ntheta;
  if (nt == 0) {
    nt = 10;
    for (int i = 0; i < nt; i++) th[i] = (i + 0.5) / nt;
  } else {
    memcpy(th, o->theta, sizeof(double) * nt);
  }
  /* configurations whose third shell fits above zero */
  hp_stats_bispec_config cfg[MAX_THETA];
  int nc = 0, skipped = 0;
  for (int i = 0; i < nt; i++) {
    cfg[nc] = hp_stats_bispec_config_theta(k1, k2, th[i] * M_PI);
    if (cfg[nc].k3 - 0.5 * dk < 0.5 * kf)
      skipped++;
    else
      nc++;
  }
  if (!rc && nc == 0)
    rc = hp_fail(st, HP_ERR_INPUT, "bispec: no angle gives k3 >= dk/2 (k1 %g, k2 %g, dk %g)", k1,
                 k2, dk);
  const int ns = nsamples(o, s.kind == SRC_CAT);
  hp_stats_bispec_result *r = calloc((size_t)(ns * (nc > 0 ? nc : 1)), sizeof *r);
  double *qt = calloc((size_t)(ns * (nc > 0 ? nc : 1)), sizeof *qt);
  if (!rc && (!r || !qt)) rc = hp_fail(st, HP_ERR_NOMEM, "bispectrum results");
  for (int j = 0; j < ns && !rc; j++) {
    double lo, hi;
    sample_range(o, j, &lo, &hi);
    hp_stats_field f;
    if ((rc = source_field(&s, o, lo, hi, -1, mesh, &f, st))) break;
    rc = hp_stats_bispec_execute(bp, &f, cfg, nc, dk, o->subtract_shot, r + j * nc, st);
    hp_stats_field_free(&f);
    note("sample %d: bispectrum of %d configurations", j, nc);
  }
  hp_cosmology *cosmo = NULL;
  double z = 0;
  hp_growth g = {0, 0, 0, 0};
  int tree = !rc && source_cosmology(&s, &cosmo, &z, st) &&
             !hp_cosmo_growth(cosmo, 1.0 / (1.0 + z), &g, st);
  if (!tree && !rc) hp_status_clear(st);
  for (int i = 0; tree && i < ns * nc; i++) {
    const double p1 = g.D1 * g.D1 * hp_cosmo_power(cosmo, r[i].km1);
    const double p2 = g.D1 * g.D1 * hp_cosmo_power(cosmo, r[i].km2);
    const double p3 = g.D1 * g.D1 * hp_cosmo_power(cosmo, r[i].km3);
    qt[i] = hp_stats_bispec_tree(r[i].km1, r[i].km2, r[i].km3, p1, p2, p3) /
            (p1 * p2 + p2 * p3 + p3 * p1);
  }
  if (!rc) {
    cols c = {.n = 0};
    const char *names[] = {"mass_bin[1]",       "k1[h/Mpc]",        "k2[h/Mpc]",
                           "k3[h/Mpc]",         "theta/pi[1]",      "k1_mean[h/Mpc]",
                           "k2_mean[h/Mpc]",    "k3_mean[h/Mpc]",   "P1[(Mpc/h)^3]",
                           "P2[(Mpc/h)^3]",     "P3[(Mpc/h)^3]",    "B[(Mpc/h)^6]",
                           "B_shot[(Mpc/h)^6]", "err_B[(Mpc/h)^6]", "Q[1]",
                           "N_tri[1]",          "Q_tree[1]"};
    for (int i = 0; i < 16 + tree; i++) col(&c, "%s", names[i]);
    rc = hp_stats_table_init(&t, c.n, c.ptr, (int64_t)ns * nc, st);
    describe_mesh(&t, o, n, box, NULL, st);
    describe_source(&t, &s, "input", st);
    hp_stats_table_comment(&t, st,
                           "shells of width dk = %.6g h/Mpc; theta = angle between k1 and k2; B = "
                           "sum I1 I2 I3 / (V sum N1 N2 N3); Q = %sB / (P1 P2 + P2 P3 + P3 P1)",
                           dk, o->subtract_shot ? "shot-subtracted " : "");
    if (skipped) hp_stats_table_comment(&t, st, "%d angle(s) skipped: k3 below dk/2", skipped);
    if (tree)
      hp_stats_table_comment(&t, st,
                             "Q_tree: tree-level matter Q with P_lin(k, z=%g) D1^2 at the shell "
                             "means (D1 = %.6f)",
                             z, g.D1);
    for (int j = 0; j < ns; j++)
      for (int i = 0; i < nc; i++) {
        const hp_stats_bispec_result *q = &r[j * nc + i];
        const int64_t row = (int64_t)j * nc + i;
        const double v[17] = {ns > 1 ? j : -1, q->k1,    q->k2, q->k3,    q->theta / M_PI, q->km1,
                              q->km2,          q->km3,   q->p1, q->p2,    q->p3,           q->b,
                              q->b_shot,       q->b_err, q->q,  q->n_tri, qt[row]};
        for (int k = 0; k < c.n; k++) HP_TABLE_AT(&t, row, k) = v[k];
      }
    if (!rc) rc = emit(&t, o, st);
  }
  for (int j = 0; !rc && o->plot && j < ns; j++) {
    char path[4200];
    if (ns > 1)
      suffixed(path, sizeof path, o->plot, j);
    else
      snprintf(path, sizeof path, "%s", o->plot);
    char title[600];
    snprintf(title, sizeof title, "%s: k1 = %.3g, k2 = %.3g h/Mpc", s.path, k1, k2);
    rc = hp_fig_bispec(path, title, r + j * nc, nc, tree ? qt + j * nc : NULL, st);
    if (!rc) note("wrote %s", path);
  }
  free(r);
  free(qt);
  hp_stats_table_free(&t);
  hp_stats_bispec_destroy(bp);
  hp_stats_mesh_destroy(mesh);
  source_free(&s);
  return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* hmf */

static int cmd_hmf(const opts *o, hp_status *st) {
  if (o->ninputs < 1) return hp_fail(st, HP_ERR_INPUT, "hmf takes one or more catalogues");
  source s[MAX_INPUTS];
  hp_stats_hmf h[MAX_INPUTS];
  memset(s, 0, sizeof s);
  memset(h, 0, sizeof h);
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int rc = HP_OK, nb = o->nmass;
  double edges[10001];
  for (int i = 0; i < o->ninputs && !rc; i++) {
    rc = source_load(&s[i], o->inputs[i], o, st);
    if (!rc && s[i].kind != SRC_CAT)
      rc = hp_fail(st, HP_ERR_INPUT, "hmf: %s is not a halo catalogue", s[i].path);
  }
  if (!rc && nb > 0) {
    memcpy(edges, o->medges, sizeof(double) * (nb + 1));
  } else if (!rc) {
    double lo = o->mmin, hi = o->mmax;
    if (!isfinite(lo) || !isfinite(hi)) {
      double a = INFINITY, b = 0;
      for (int64_t i = 0; i < s[0].cat.n; i++)
        if (s[0].cat.mass[i] > 0) a = fmin(a, s[0].cat.mass[i]), b = fmax(b, s[0].cat.mass[i]);
      if (!isfinite(lo)) lo = a;
      if (!isfinite(hi)) hi = b * 1.000001;
    }
    nb = o->nmass_log;
    rc = hp_stats_mass_edges_log(lo, hi, nb, edges, st);
    if (rc) hp_error_context(st, "hmf: mass range (give --mass-bins or --mmin/--mmax)");
  }
  for (int i = 0; i < o->ninputs && !rc; i++)
    rc = hp_stats_hmf_compute(s[i].cat.mass, s[i].cat.n, edges, nb, s[i].box, &h[i], st);
  if (!rc) {
    cols c = {.n = 0};
    col(&c, "M_lo[Msun/h]");
    col(&c, "M_hi[Msun/h]");
    for (int i = 0; i < o->ninputs; i++) {
      char sf[16] = "";
      if (o->ninputs > 1) snprintf(sf, sizeof sf, "_%d", i);
      col(&c, "M_mean%s[Msun/h]", sf);
      col(&c, "N%s[1]", sf);
      col(&c, "dndlog10M%s[(h/Mpc)^3]", sf);
      col(&c, "err%s[(h/Mpc)^3]", sf);
    }
    rc = hp_stats_table_init(&t, c.n, c.ptr, nb, st);
    hp_stats_table_comment(&t, st, "%s", o->cmdline);
    hp_stats_table_comment(&t, st, "%s", HP_SOFTWARE);
    hp_stats_table_comment(&t, st,
                           "dn/dlog10M = N / (V dlog10M), err = sqrt(N) / (V dlog10M); "
                           "bins M_lo <= M < M_hi");
    for (int i = 0; i < o->ninputs; i++) {
      char role[32];
      snprintf(role, sizeof role, "catalogue %d", i);
      describe_source(&t, &s[i], role, st);
      hp_stats_table_comment(&t, st, "  %lld halos below the first edge, %lld at or above the last",
                             (long long)h[i].below, (long long)h[i].above);
    }
    for (int b = 0; b < nb; b++) {
      int k = 0;
      HP_TABLE_AT(&t, b, k++) = edges[b];
      HP_TABLE_AT(&t, b, k++) = edges[b + 1];
      for (int i = 0; i < o->ninputs; i++) {
        HP_TABLE_AT(&t, b, k++) = h[i].m_mean[b];
        HP_TABLE_AT(&t, b, k++) = (double)h[i].count[b];
        HP_TABLE_AT(&t, b, k++) = h[i].dndlog10m[b];
        HP_TABLE_AT(&t, b, k++) = h[i].err[b];
      }
    }
    if (!rc) rc = emit(&t, o, st);
  }
  if (!rc && o->plot) {
    const hp_stats_hmf *hp[MAX_INPUTS];
    for (int i = 0; i < o->ninputs; i++) hp[i] = &h[i];
    rc = hp_fig_hmf(o->plot, "halo mass function", hp, o->inputs, o->ninputs, st);
    if (!rc) note("wrote %s", o->plot);
  }
  for (int i = 0; i < o->ninputs; i++) {
    hp_stats_hmf_free(&h[i]);
    source_free(&s[i]);
  }
  hp_stats_table_free(&t);
  return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* slice and mesh */

static int cmd_slice_mesh(const opts *o, int is_slice, hp_status *st) {
  if (o->ninputs != 1) return hp_fail(st, HP_ERR_INPUT, "%s takes one INPUT", o->sub);
  if (!is_slice && !o->out) return hp_fail(st, HP_ERR_INPUT, "mesh needs -o OUT.h5");
  if (is_slice && !o->out && !o->plot)
    return hp_fail(st, HP_ERR_INPUT, "slice needs --plot FILE (.png or .svg) and/or -o TABLE");
  source s;
  hp_stats_mesh *mesh = NULL;
  float *g = NULL;
  double *slab = NULL;
  hp_stats_table t;
  memset(&t, 0, sizeof t);
  int64_t n = 0;
  double box = 0;
  int rc = source_load_one(&s, o, &n, &box, st);
  if (!rc) rc = mesh_for(o, n, box, &mesh, st);
  if (!rc && !(g = hp_alloc((size_t)(n * n * n) * sizeof *g, "the density mesh", st)))
    rc = st->code;
  if (!rc) rc = source_density(&s, o, mesh, g, st);
  if (!rc && !is_slice) {
    hp_kv_list kv = s.par ? hp_params_kv(s.par) : (hp_kv_list){0, NULL, NULL};
    rc = hp_stats_grid_write(o->out, "density", g, n, box, "density", s.par ? &kv : NULL, st);
    if (!rc) note("wrote %s:/density (%lld^3, rho/rho_mean)", o->out, (long long)n);
  }
  if (!rc && is_slice) {
    const double h = box / n;
    const double thick = isfinite(o->thickness) ? o->thickness : fmax(h, 0.05 * box);
    const int64_t c0 = (int64_t)floor(o->position / h),
                  nc = (int64_t)fmax(1, floor(thick / h + 0.5));
    if (!(slab = malloc(sizeof(double) * (size_t)(n * n)))) rc = hp_fail(st, HP_ERR_NOMEM, "slice");
    if (!rc) rc = hp_fig_project(g, n, o->axis, c0, nc, slab, st);
    char title[600];
    snprintf(title, sizeof title, "%s: %c in [%.4g, %.4g) Mpc/h", s.path, "xyz"[o->axis], c0 * h,
             (c0 + nc) * h);
    if (!rc && o->plot) {
      rc = hp_fig_slice(o->plot, title, slab, n, o->axis, box, st);
      if (!rc) note("wrote %s", o->plot);
    }
    if (!rc && o->out) {
      const char *an[3] = {"x[Mpc/h]", "y[Mpc/h]", "z[Mpc/h]"};
      const char *names[3] = {an[o->axis == 0 ? 1 : 0], an[o->axis == 2 ? 1 : 2],
                              "rho/rho_mean[1]"};
      rc = hp_stats_table_init(&t, 3, names, n * n, st);
      hp_stats_table_comment(&t, st, "%s", o->cmdline);
      hp_stats_table_comment(&t, st, "%s", title);
      hp_stats_table_comment(&t, st, "mean rho/rho_mean over %lld planes; voxel centres",
                             (long long)nc);
      for (int64_t a = 0; !rc && a < n; a++)
        for (int64_t b = 0; b < n; b++) {
          HP_TABLE_AT(&t, a * n + b, 0) = (a + 0.5) * h;
          HP_TABLE_AT(&t, a * n + b, 1) = (b + 0.5) * h;
          HP_TABLE_AT(&t, a * n + b, 2) = slab[a * n + b];
        }
      if (!rc) rc = emit(&t, o, st);
    }
  }
  free(slab);
  hp_free(g);
  hp_stats_table_free(&t);
  hp_stats_mesh_destroy(mesh);
  source_free(&s);
  return rc;
}

int hp_cmd_stats(int argc, char **argv) {
  if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") ||
      !strcmp(argv[0], "help")) {
    fputs(USAGE, argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(USAGE, stdout);
      return 0;
    }
  opts o;
  const int prc = parse(argc, argv, &o);
  if (prc) return prc;
  hp_status st;
  hp_status_clear(&st);
  int rc;
  if (!strcmp(o.sub, "pk"))
    rc = cmd_pk(&o, &st);
  else if (!strcmp(o.sub, "cross"))
    rc = cmd_cross(&o, &st);
  else if (!strcmp(o.sub, "bispec"))
    rc = cmd_bispec(&o, &st);
  else if (!strcmp(o.sub, "hmf"))
    rc = cmd_hmf(&o, &st);
  else if (!strcmp(o.sub, "slice"))
    rc = cmd_slice_mesh(&o, 1, &st);
  else if (!strcmp(o.sub, "mesh"))
    rc = cmd_slice_mesh(&o, 0, &st);
  else
    return bad("unknown subcommand '%s'", o.sub);
  if (rc) {
    hp_cli_error("stats", &st);
    return 1;
  }
  return 0;
}
