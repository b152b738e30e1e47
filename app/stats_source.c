/* `halopaint stats`: the inputs (catalogue, grid or parameter file) and their modes on a mesh. */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats_cli.h"
#include "plugin/pipeline.h"

void stats_source_free(source *s) {
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

void stats_note(const char *fmt, ...) {
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
  stats_note("2LPT: %lld^3 particles, BoxSize %g Mpc/h, Seed %lld, z = %g",
             (long long)hp_params_int(s->par, "NParticles"), s->box,
             (long long)hp_params_int(s->par, "Seed"), s->z);
  return hp_pipeline_particles(s->par, s->z, &s->cosmo, &s->lpt, NULL, st);
}

int stats_source_load(source *s, const char *path, int role, const opts *o, hp_status *st) {
  memset(s, 0, sizeof *s);
  s->path = path;
  if (ends_with(path, ".param")) {
    s->kind = SRC_PARAM;
    if (hp_params_load(&s->par, path, o->ov, o->nov, HP_NEED_ALL, st)) return st->code;
    return particles_from_params(s, -1.0, st) ? hp_error_context(st, "%s", path) : HP_OK;
  }
  const char *dataset = stats_grid_dataset(path, role, o);
  if (hp_stats_grid_probe(path, dataset)) return stats_grid_load(s, path, dataset, role, o, st);
  s->kind = SRC_CAT;
  if (hp_catalog_read(&s->cat, path, st))
    return hp_error_context(st, "%s is neither a grid with dataset '%s' nor a readable catalogue",
                            path, dataset);
  s->box = s->cat.hdr.box;
  s->z = s->cat.hdr.redshift;
  stats_note("%s: %lld halos, BoxSize %g Mpc/h, z = %g", path, (long long)s->cat.n, s->box, s->z);
  return HP_OK;
}

/* The 2LPT particles a catalogue was made from: its stored parameters, -s overrides. */
int stats_source_regenerate(source *m, const source *c, const opts *o, hp_status *st) {
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
int stats_source_cosmology(source *s, hp_cosmology **c, double *z, hp_status *st) {
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
int stats_source_geometry(source *const *s, int ns, const opts *o, int64_t *n, double *box,
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
int stats_source_load_one(source *s, const opts *o, int64_t *n, double *box, hp_status *st) {
  source *sp = s;
  const int rc = stats_source_load(s, o->inputs[0], ROLE_A, o, st);
  return rc ? rc : stats_source_geometry(&sp, 1, o, n, box, st);
}

int stats_make_bins(const opts *o, int64_t n, double box, hp_stats_bins *b, hp_status *st) {
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

/* The 2LPT particles of a parameter-file source, as displacements of their lattice. */
static hp_cic_particles lattice_particles(const source *s) {
  const int64_t np = hp_params_int(s->par, "NParticles");
  hp_cic_particles p;
  memset(&p, 0, sizeof p);
  p.n = np * np * np;
  p.x = hp_lpt_displacement(s->lpt, 0);
  p.y = hp_lpt_displacement(s->lpt, 1);
  p.z = hp_lpt_displacement(s->lpt, 2);
  p.stride = 1;
  p.lattice_np = np;
  return p;
}

/* Modes of a source on the mesh: catalogue halos in [mlo, mhi) (redshift space along rsd if
 * >= 0), the grid, or the 2LPT particles. */
int stats_source_field(source *s, const opts *o, double mlo, double mhi, int rsd,
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
    hp_cic_particles p = lattice_particles(s);
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
int stats_source_density(source *s, const opts *o, hp_stats_mesh *mesh, float *g, hp_status *st) {
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
  hp_cic_particles p = lattice_particles(s);
  return hp_stats_mesh_density(mesh, &p, g, st);
}

int stats_mesh_for(const opts *o, int64_t n, double box, hp_stats_mesh **m, hp_status *st) {
  hp_stats_mesh_desc d = {n, box, o->window, o->interlace, o->deconvolve, o->nthreads};
  return hp_stats_mesh_create(m, &d, st);
}

int stats_open_one(source *s, const opts *o, int64_t *n, double *box, hp_stats_mesh **m,
                   hp_status *st) {
  *m = NULL;
  const int rc = stats_source_load_one(s, o, n, box, st);
  return rc ? rc : stats_mesh_for(o, *n, *box, m, st);
}
