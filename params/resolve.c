/* Resolved parameters -> typed stage descriptors. */
#include "resolve.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

void hp_resolve_cosmology(const hp_params *p, hp_cosmo_desc *d) {
  memset(d, 0, sizeof *d);
  d->omega_m = hp_params_real(p, "Omega0");
  d->omega_l = hp_params_real(p, "OmegaLambda");
  d->omega_b = hp_params_real(p, "OmegaBaryon");
  d->h = hp_params_real(p, "HubbleParam");
  d->sigma8 = hp_params_real(p, "Sigma8");
  d->n_s = hp_params_real(p, "PrimordialIndex");
  d->t_cmb = hp_params_real(p, "CMBTemperature");
  const char *ps = hp_params_string(p, "PowerSpectrum");
  d->power = !strcmp(ps, "EH98NoWiggle") ? HP_POWER_EH98_NOWIGGLE
             : !strcmp(ps, "File")       ? HP_POWER_FILE
                                         : HP_POWER_EH98;
  d->power_file = hp_params_string(p, "PowerSpectrumFile");
  d->power_file_type =
      strcmp(hp_params_string(p, "PowerSpectrumFileType"), "Tk") ? HP_PFILE_PK : HP_PFILE_TK;
  d->power_file_column = (int)hp_params_int(p, "PowerSpectrumFileColumn");
}

int hp_resolve_threads(const hp_params *p) {
  int t = (int)hp_params_int(p, "Threads");
  return t > 0 ? t : omp_get_max_threads();
}

void hp_resolve_lpt(const hp_params *p, hp_lpt_desc *d) {
  d->np = hp_params_int(p, "NParticles");
  d->box = hp_params_real(p, "BoxSize");
  d->order = (int)hp_params_int(p, "LPTOrder");
  d->dealias = hp_params_bool(p, "LPTDealias");
  d->nthreads = hp_resolve_threads(p);
}

void hp_resolve_noise(const hp_params *p, hp_noise_desc *d) {
  d->seed = (uint64_t)hp_params_int(p, "Seed");
  d->fixed_amplitude = hp_params_bool(p, "FixedAmplitude");
  d->phase_flip = hp_params_bool(p, "PhaseFlip");
}

void hp_resolve_initial(const hp_params *p, hp_initial_desc *d) {
  hp_resolve_noise(p, &d->noise);
  d->white_noise_file = hp_params_string(p, "WhiteNoiseFile");
  d->linear_field_file = hp_params_string(p, "LinearFieldFile");
}

int64_t hp_resolve_nvoxels(const hp_params *p) {
  int64_t nv = hp_params_int(p, "NVoxels");
  if (nv > 0) return nv;
  nv = llround(hp_params_real(p, "BoxSize") / hp_params_real(p, "VoxelSize"));
  return nv < 1 ? 1 : nv;
}

int hp_resolve_output_path(const hp_params *p, const char *suffix, char *out, size_t n,
                           hp_status *st) {
  int len = snprintf(out, n, "%s/%s%s", hp_params_string(p, "OutputDir"),
                     hp_params_string(p, "FileBase"), suffix);
  if (len < 0 || (size_t)len >= n)
    return hp_fail(st, HP_ERR_INPUT, "OutputDir/FileBase too long (%d characters)", len);
  return HP_OK;
}
