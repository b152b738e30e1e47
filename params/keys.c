/* The table of every parameter-file key: type, default, range, unit, help and need mask. This
 * table is the single source of truth: the parser, the help listing, hp_params_kv and the
 * tests all read it. Add a key here (and to params/example.param) and nothing else. */
#include "params.h"

#include <math.h>
#include <string.h>

#define C HP_NEED_COSMO
#define B HP_NEED_BOX
#define LO HP_PF_MIN_OPEN
#define HI HP_PF_MAX_OPEN
#define INF INFINITY

/* key, type, default, need, flags, min, max, choices, unit, help */
static const hp_param_spec table[] = {
    /* Cosmology */
    {"Omega0", HP_P_REAL, NULL, C, LO, 0, 2, NULL, "",
     "Matter density today (cold dark matter + baryons + massive neutrinos), in units of the "
     "critical density."},
    {"OmegaLambda", HP_P_REAL, NULL, 0, HP_PF_DERIVED, -1, 3, NULL, "",
     "Cosmological-constant density today. Default: 1 - Omega0 (a flat universe)."},
    {"OmegaBaryon", HP_P_REAL, NULL, C, HI, 0, 2, NULL, "",
     "Baryon density today; must be smaller than Omega0."},
    {"HubbleParam", HP_P_REAL, NULL, C, LO | HI, 0.2, 2, NULL, "",
     "Dimensionless Hubble constant h = H0 / (100 km/s/Mpc)."},
    {"Sigma8", HP_P_REAL, NULL, C, LO | HI, 0, 3, NULL, "",
     "RMS linear density fluctuation in spheres of radius 8 Mpc/h today; normalises P(k)."},
    {"PrimordialIndex", HP_P_REAL, NULL, C, LO | HI, 0.5, 1.5, NULL, "",
     "Spectral index n_s of the primordial power spectrum (ignored when PowerSpectrum = File "
     "and PowerSpectrumFileType = Pk)."},
    {"CMBTemperature", HP_P_REAL, "2.7255", C, LO | HI, 1, 4, NULL, "K",
     "CMB temperature today, used by the Eisenstein & Hu transfer functions."},
    {"PowerSpectrum", HP_P_CHOICE, "EH98", C, 0, 0, 0, "EH98|EH98NoWiggle|File", "",
     "Linear power spectrum: Eisenstein & Hu (1998) with baryon wiggles, its no-wiggle form, or "
     "a table read from PowerSpectrumFile."},
    {"PowerSpectrumFile", HP_P_STRING, "", C, 0, 0, 0, NULL, "",
     "Table for PowerSpectrum = File (required then): whitespace-separated columns, k in h/Mpc "
     "first; lines starting with # or % are comments."},
    {"PowerSpectrumFileType", HP_P_CHOICE, "Pk", C, 0, 0, 0, "Pk|Tk", "",
     "Pk: the column is P(k) in (Mpc/h)^3, as CAMB matterpower.dat or CLASS pk.dat (its shape is "
     "used, rescaled to Sigma8); Tk: the column is a transfer function T(k), combined with "
     "PrimordialIndex."},
    {"PowerSpectrumFileColumn", HP_P_INT, "2", C, 0, 2, 100, NULL, "",
     "1-based column of P(k) or T(k) in PowerSpectrumFile (column 1 is k)."},

    /* Box and particles */
    {"BoxSize", HP_P_REAL, NULL, B, LO, 0, INF, NULL, "Mpc/h", "Side of the periodic box."},
    {"NParticles", HP_P_INT, NULL, B, HP_PF_EVEN, 2, 4096, NULL, "",
     "Particles per dimension (NParticles^3 in all); must be even."},
    {"Seed", HP_P_INT, NULL, B, 0, 0, 4611686018427387904.0, NULL, "",
     "Random seed of the initial Gaussian field."},

    /* Run */
    {"Redshift", HP_P_REAL, "0", 0, 0, 0, 1100, NULL, "",
     "Redshift at which the particles are made for painting halos."},
    {"RedshiftIC", HP_P_REAL, "49", 0, 0, 0, 1100, NULL, "",
     "Starting redshift of the initial conditions written for an N-body code."},
    {"LPTOrder", HP_P_INT, "2", 0, 0, 1, 2, "1|2", "",
     "Order of Lagrangian perturbation theory: 1 = Zel'dovich, 2 = 2LPT."},
    {"LPTDealias", HP_P_BOOL, "0", 0, 0, 0, 1, NULL, "",
     "Dealias the quadratic 2LPT source with the 3/2 rule (slower, removes aliasing)."},
    {"FixedAmplitude", HP_P_BOOL, "0", 0, 0, 0, 1, NULL, "",
     "Fix the amplitude of every Fourier mode to its rms value (paired-fixed fields)."},
    {"PhaseFlip", HP_P_BOOL, "0", 0, 0, 0, 1, NULL, "",
     "Flip the sign of the initial field (the partner of a paired simulation)."},
    {"Threads", HP_P_INT, "0", 0, 0, 0, 4096, NULL, "", "OpenMP threads; 0 = all cores."},

    /* Painter */
    {"NVoxels", HP_P_INT, "0", 0, 0, 0, 8192, NULL, "",
     "Voxels per dimension of the painter's grid; 0 = the nearest integer to "
     "BoxSize / VoxelSize."},
    {"VoxelSize", HP_P_REAL, "4", 0, LO, 0, INF, NULL, "Mpc/h",
     "Target voxel side of the painter's grid, used when NVoxels = 0."},

    {"ModelFile", HP_P_STRING, "models/default.h5", 0, 0, 0, 0, NULL, "",
     "Painter model (HDF5: architecture, weights, metadata), relative to the working directory."},
    {"Device", HP_P_CHOICE, "auto", 0, 0, 0, 0, "auto|cpu|cuda", "",
     "Where the painter runs: cpu, cuda (an NVIDIA GPU), or auto = cuda when a GPU is present."},

    /* N-body truth (halopaint sim) */
    {"PMGridFactor", HP_P_INT, "2", 0, 0, 1, 3, "1|2|3", "",
     "Particle-mesh force grid per dimension, in units of NParticles (B in FastPM)."},
    {"PMSteps", HP_P_INT, "20", 0, 0, 1, 10000, NULL, "",
     "Number of particle-mesh time steps from RedshiftIC to the last output redshift."},
    {"PMStepSpacing", HP_P_CHOICE, "Linear", 0, 0, 0, 0, "Linear|Log", "",
     "Time steps uniform in the scale factor a (Linear) or in ln a (Log)."},
    {"OutputRedshifts", HP_P_STRING, "0", 0, 0, 0, 0, NULL, "",
     "Comma-separated redshifts at which halos are found and catalogues written by sim."},
    {"FoFLinkingLength", HP_P_REAL, "0.2", 0, LO | HI, 0, 1, NULL, "",
     "Friends-of-friends linking length in units of the mean inter-particle separation."},
    {"FoFMinMembers", HP_P_INT, "20", 0, 0, 2, 1000000, NULL, "",
     "Smallest number of particles in a friends-of-friends halo."},
    {"SimWriteParticles", HP_P_BOOL, "0", 0, 0, 0, 1, NULL, "",
     "Also write the simulation particles at each output redshift (Gadget-4 HDF5 layout)."},

    /* Output */
    {"OutputDir", HP_P_STRING, ".", 0, 0, 0, 0, NULL, "", "Directory for all output files."},
    {"FileBase", HP_P_STRING, "halopaint", 0, 0, 0, 0, NULL, "", "Base name of the output files."},
    {"OutputFormat", HP_P_CHOICE, "HDF5", 0, 0, 0, 0, "HDF5|ASCII", "",
     "Format of the painted fields and catalogues."},
    {"ICFormat", HP_P_INT, "3", 0, 0, 1, 3, "1|2|3", "",
     "Format of initial-condition files, as in Gadget: 1 = Gadget-2 binary format 1, "
     "2 = format 2, 3 = HDF5 with the Gadget-4 layout."},
    {"NumFilesPerSnapshot", HP_P_INT, "0", 0, 0, 0, 65536, NULL, "",
     "Files per initial-condition snapshot; 0 = automatic."},
    {"UnitLength_in_cm", HP_P_REAL, "3.085678e24", 0, LO, 0, INF, NULL, "cm",
     "Length unit of initial-condition files in cm (3.085678e24 = 1 Mpc/h, 3.085678e21 = 1 "
     "kpc/h)."},
};

const hp_param_spec *hp_param_table(int *n) {
  if (n) *n = (int)(sizeof table / sizeof table[0]);
  return table;
}

const hp_param_spec *hp_param_find(const char *key) {
  size_t i;
  if (!key) return NULL;
  for (i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].key, key) == 0) return &table[i];
  return NULL;
}
