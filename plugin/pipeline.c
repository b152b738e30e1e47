/* Parameters -> 2LPT particles at a redshift. */
#include "pipeline.h"

#include "lpt/lpt_linear.h"
#include "params/resolve.h"

int hp_pipeline_particles(const hp_params *p, double z, hp_cosmology **cosmo, hp_lpt **lpt,
                          hp_field_info *info, hp_status *st) {
  hp_cosmo_desc cd;
  hp_lpt_desc ld;
  hp_initial_desc id;
  hp_lpt_factors f;
  double extra;
  hp_resolve_cosmology(p, &cd);
  hp_resolve_lpt(p, &ld);
  hp_resolve_initial(p, &id);
  *cosmo = NULL;
  *lpt = NULL;
  if (hp_lpt_initial_check(&id, ld.np, &extra, st)) goto fail;
  if (hp_cosmology_create(cosmo, &cd, st)) goto fail;
  if (hp_lpt_factors_at(*cosmo, 1.0 / (1.0 + z), &f, st)) goto fail;
  if (hp_lpt_create(lpt, &ld, st)) goto fail;
  if (hp_lpt_set_initial(*lpt, *cosmo, &id, info, st)) goto fail;
  if (hp_lpt_execute(*lpt, &f, st)) goto fail;
  return HP_OK;
fail:
  hp_lpt_destroy(*lpt);
  hp_cosmology_free(*cosmo);
  *lpt = NULL;
  *cosmo = NULL;
  return st->code;
}
