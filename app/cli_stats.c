/*
 * `halopaint stats SUB INPUT... [options]`: the statistics that judge halo fields and
 * catalogues (Kodi Ramanah, Charnock & Lavaux 2019, section 4): power spectra (per mass bin,
 * redshift-space multipoles), cross statistics T(k), r_c(k), s(k) with the linear-bias 2LPT
 * baseline, bispectrum, mass function, projected slices, and meshes written as HDF5 grids;
 * of light cones, n(z) against the painted density and the angular correlation w(theta).
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

#include "app/cli.h"
#include "app/stats_cli.h"
#include "plugin/version.h"
#include "stats/draw.h"

/* Two strings: one would pass the 4095 characters C guarantees a literal. */
static const char *USAGE[2] = {
    "usage: halopaint stats SUBCOMMAND INPUT... [options]\n"
    "subcommands:\n"
    "  pk INPUT           power spectrum (per mass bin with --mass-bins; multipoles with --rsd)\n"
    "  cross A B          P_aa, P_bb, P_ab, T = sqrt(P_bb/P_aa), r_c, s = P_aa (1 - r_c^2), and\n"
    "                     the baseline b * 2LPT density (--baseline); A = reference, B = model\n"
    "  bispec INPUT       bispectrum B and reduced Q for --k1 --k2 and angles --theta/--ntheta\n"
    "  hmf CAT [CAT...]   mass function dn/dlog10M with Poisson errors\n"
    "  pdf CAT [CAT...]   counts in cells: P(N halos in a voxel of the mesh), per mass bin;\n"
    "                     an input that is a painted mean field (as `halopaint paint` writes,\n"
    "                     --dataset counts) with --model: the PDF expected from its means\n"
    "  slice A [B]        projected density slab (--axis --position --thickness) as PNG/SVG;\n"
    "                     B (e.g. painted) beside A (e.g. truth) on one colour scale\n"
    "  mesh INPUT         write the density rho/rho_mean on the mesh as an HDF5 grid (-o)\n"
    "  nz CONE            light cone: n(z) per painter mass bin against the shells' painted\n"
    "                     density (--dz, --zobs)\n"
    "  wtheta CONE        light cone: angular correlation w(theta), Landy-Szalay with randoms\n"
    "                     in the footprint (--zmin --zmax --theta --mass-bin --mass-bins)\n"
    "CONE: a light-cone catalogue (HDF5, docs/lightcone.md)\n"
    "INPUT: a halo catalogue (HDF5 or ASCII), an HDF5 grid (dataset --dataset, shape (n,n,n)\n"
    "       or (K,n,n,n), attribute BoxSize), or FILE.param (2LPT particles at its Redshift)\n"
    "options:\n",
    "  -o FILE              table (default: stdout); for mesh: the HDF5 grid\n"
    "  --plot FILE          figure: .svg (slice: .png or .svg); other extensions are refused\n"
    "  --mesh N             mesh side for catalogues and particles (default 128; grids: theirs)\n"
    "  --window W           ngp|cic|tsc assignment (default cic)\n"
    "  --no-interlace       one mesh instead of two interlaced ones\n"
    "  --no-deconvolve      keep the assignment window in the modes\n"
    "  --dataset NAME       grid dataset (default density)\n"
    "  --kind K             grid values: density|contrast|counts|mean; counts: objects per voxel,\n"
    "                       whole numbers (a point set: shot noise V/N); mean: expected counts\n"
    "                       (a painted mean field: no shot noise). Default: for a dataset named\n"
    "                       counts, counts when every value is a whole number, else mean;\n"
    "                       density for any other dataset\n"
    "  --a-dataset NAME, --b-dataset NAME, --baseline-dataset NAME   the dataset of input A\n"
    "                       (the first), input B (the second), the baseline (default --dataset;\n"
    "                       the baseline's: density when its file lacks that one)\n"
    "  --a-kind K, --b-kind K, --baseline-kind K   the kind of A, B, the baseline (default "
    "--kind)\n"
    "  --component K        one component of a (K,n,n,n) grid (default: their sum)\n"
    "  --grid-window W      window a grid was assigned with, divided out (default none)\n"
    "  --box L              box side [Mpc/h] for a grid without BoxSize\n"
    "  --bins lin|log --kmin K --kmax K --nbins N   k bins [h/Mpc] (default: linear, width\n"
    "                       2 pi/L, centred on multiples of 2 pi/L, up to k_Nyquist)\n"
    "  --mass-bins M0,M1,.. per-mass-bin statistics of catalogues [Msun/h]\n"
    "  --mass-range LO,HI   keep halos with LO <= M < HI [Msun/h]\n"
    "  --subtract-shot      T, r_c, s (and Q) from shot-subtracted spectra; only point sets\n"
    "                       (catalogues, counts grids) have shot noise\n"
    "  --rsd x|y|z          pk: redshift space along the axis; monopole, quadrupole, hexadecapole\n"
    "  --baseline SRC       cross: 2LPT density for the baseline: FILE (grid or .param), auto\n"
    "                       (regenerate from A's stored parameters; default) or none\n"
    "  --k-bias K           largest k of the linear-bias fit [h/Mpc] (default 0.1)\n"
    "  --k-quad K           largest k of the quadratic-bias fit [h/Mpc] (default 0.3)\n"
    "  --ref FILE           pk: reference curve, first and last columns (k, P) of a text table\n"
    "  --k1 K --k2 K --dk W bispec shells [h/Mpc] (k2 default k1, dk default 3 * 2 pi/L)\n"
    "  --theta LIST | --ntheta N   bispec angles theta/pi (default 10 angles in (0, 1))\n"
    "  --mmin M --mmax M --nmass N   hmf log bins when --mass-bins is not given\n"
    "  --axis x|y|z --position X --thickness T   slice: slab [X, X + T) Mpc/h along the axis\n"
    "  --dz DZ              nz: redshift bin width (default 0.1)\n"
    "  --zobs               nz, wtheta: observed redshifts ZObs (default: cosmological ZCos)\n"
    "  --zmin Z --zmax Z    wtheta: the slice ZMin <= z < ZMax (default: the whole cone)\n"
    "  --theta T0,T1,...    wtheta: angular bin edges [degrees] (default 12 log bins 0.1 to 10)\n"
    "  --mass-bin K         wtheta: halos of painter mass bin K only\n"
    "  --model FILE.h5      pdf: the model whose count distribution the painted means follow\n"
    "  --threads N          threads (default: all); results do not depend on it\n"
    "  -s Key=Value         override a parameter of FILE.param inputs and of regenerated 2LPT\n"};

static void usage(FILE *f) {
  fputs(USAGE[0], f);
  fputs(USAGE[1], f);
}

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
#define KINDS "density|contrast|counts|mean" /* the order of HP_GRID_* */
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
    {"--kind", ARG_CHOICE, F(kind), 0, 0, KINDS, 0}, /* = HP_GRID_* */
    {"--a-dataset", ARG_STR, F(rdataset[ROLE_A]), 0, 0, NULL, 0},
    {"--b-dataset", ARG_STR, F(rdataset[ROLE_B]), 0, 0, NULL, 0},
    {"--baseline-dataset", ARG_STR, F(rdataset[ROLE_BASELINE]), 0, 0, NULL, 0},
    {"--a-kind", ARG_CHOICE, F(rkind[ROLE_A]), 0, 0, KINDS, 0},
    {"--b-kind", ARG_CHOICE, F(rkind[ROLE_B]), 0, 0, KINDS, 0},
    {"--baseline-kind", ARG_CHOICE, F(rkind[ROLE_BASELINE]), 0, 0, KINDS, 0},
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
    {"--k-quad", ARG_REAL, F(k_quad), 0, 0, NULL, 0},
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
    {"--dz", ARG_POS, F(dz), 0, 0, NULL, 0},
    {"--zobs", ARG_FLAG, F(zobs), 1, 0, NULL, 0},
    {"--zmin", ARG_REAL, F(zmin), 0, 0, NULL, 0},
    {"--zmax", ARG_REAL, F(zmax), 0, 0, NULL, 0},
    {"--mass-bin", ARG_INT, F(mass_bin), 0, 1000000, NULL, 0},
    {"--model", ARG_STR, F(model), 0, 0, NULL, 0},
    {"--threads", ARG_INT, F(nthreads), 0, 100000, NULL, 0},
    {"-s", ARG_OTHER, 0, 0, 0, NULL, 0},
};
#undef F
#undef KINDS

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
    o->ntheta = o->ntheta_n = (int)iv;
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
  for (int r = 0; r < NROLES; r++) o->rkind[r] = -1;
  o->component = -1;
  o->kmin = o->kmax = NAN;
  o->mlo = 0.0;
  o->mhi = INFINITY;
  o->rsd = -1;
  o->k_bias = 0.1;
  o->k_quad = 0.3;
  o->k1 = o->k2 = o->dk = NAN;
  o->mmin = o->mmax = NAN;
  o->nmass_log = 12;
  o->axis = 2;
  o->thickness = NAN;
  o->dz = 0.1;
  o->zmin = o->zmax = NAN;
  o->mass_bin = -1;
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

int hp_cmd_stats(int argc, char **argv) {
  if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") ||
      !strcmp(argv[0], "help")) {
    usage(argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    }
  opts o;
  const int prc = parse(argc, argv, &o);
  if (prc) return prc;
  if (o.plot) { /* the format follows the name: never SVG bytes in a .jpg */
    const int slice = !strcmp(o.sub, "slice"), f = hp_draw_format_of(o.plot);
    if (f < 0 || (f == HP_DRAW_PNG && !slice))
      return bad("--plot %s: unknown figure format; supported: %s", o.plot,
                 slice ? ".png, .svg" : ".svg (and, for slice, .png)");
  }
  hp_status st;
  hp_status_clear(&st);
  int rc;
  if (!strcmp(o.sub, "pk"))
    rc = stats_cmd_pk(&o, &st);
  else if (!strcmp(o.sub, "cross"))
    rc = stats_cmd_cross(&o, &st);
  else if (!strcmp(o.sub, "bispec"))
    rc = stats_cmd_bispec(&o, &st);
  else if (!strcmp(o.sub, "hmf"))
    rc = stats_cmd_hmf(&o, &st);
  else if (!strcmp(o.sub, "pdf"))
    rc = stats_cmd_pdf(&o, &st);
  else if (!strcmp(o.sub, "slice"))
    rc = stats_cmd_slice_mesh(&o, 1, &st);
  else if (!strcmp(o.sub, "mesh"))
    rc = stats_cmd_slice_mesh(&o, 0, &st);
  else if (!strcmp(o.sub, "nz"))
    rc = stats_cmd_nz(&o, &st);
  else if (!strcmp(o.sub, "wtheta"))
    rc = stats_cmd_wtheta(&o, &st);
  else
    return bad("unknown subcommand '%s'", o.sub);
  if (rc) {
    hp_cli_error("stats", &st);
    return 1;
  }
  return 0;
}
