/* Parameters -> 2LPT particles at a redshift. */
#include "pipeline.h"

#include "lpt/lpt_linear.h"
#include "params/resolve.h"

int hp_pipeline_particles(const hp_params *p, double z, hp_cosmology **cosmo, hp_lpt **lpt,
                          hp_status *st) {
  hp_cosmo_desc cd;
  hp_lpt_desc ld;
  hp_noise_desc nd;
  hp_lpt_factors f;
  hp_resolve_cosmology(p, &cd);
  hp_resolve_lpt(p, &ld);
  hp_resolve_noise(p, &nd);
  *cosmo = NULL;
  *lpt = NULL;
  if (hp_cosmology_create(cosmo, &cd, st)) goto fail;
  if (hp_lpt_factors_at(*cosmo, 1.0 / (1.0 + z), &f, st)) goto fail;
  if (hp_lpt_create(lpt, &ld, st)) goto fail;
  if (hp_lpt_set_linear(*lpt, *cosmo, &nd, st)) goto fail;
  if (hp_lpt_execute(*lpt, &f, st)) goto fail;
  return HP_OK;
fail:
  hp_lpt_destroy(*lpt);
  hp_cosmology_free(*cosmo);
  *lpt = NULL;
  *cosmo = NULL;
  return st->code;
}
