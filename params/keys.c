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
    {"WhiteNoiseFile", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "HDF5 file whose dataset white_noise (NParticles^3 real-space unit white noise) replaces "
     "the seeded noise; scaled by the cosmology's P(k) like the built-in one "
     "(docs/linear-field.md)."},
    {"LinearFieldFile", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "HDF5 file holding the linear density contrast at z = 0 itself (dataset delta_k or delta, "
     "attribute BoxSize; a grid up to NParticles^3, coarser ones zero-padded in Fourier space): "
     "used instead of noise x P(k), e.g. a constrained realisation (docs/linear-field.md)."},
    {"WriteLinearField", HP_P_BOOL, "0", 0, 0, 0, 1, NULL, "",
     "Also write the linear field a run, lightcone, ic or sim used, as "
     "OutputDir/FileBase_linear[_seedS].hdf5 in LinearFieldFile's format (read back, it gives "
     "the same particles bit for bit)."},
    {"Threads", HP_P_INT, "0", 0, 0, 0, 4096, NULL, "", "OpenMP threads; 0 = all cores."},
    {"RanksPerRealisation", HP_P_INT, "0", 0, 0, 0, 1048576, NULL, "",
     "halopaint-mpi run: MPI ranks that share one realisation; the ranks form groups of this "
     "many (it must divide their number) and the groups share the seeds. 0 = all ranks in one "
     "group (docs/mpi.md)."},

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
    {"GPUPrecision", HP_P_CHOICE, "FP32", 0, 0, 0, 0, "FP32|TF32", "",
     "Arithmetic of the GPU painter's convolutions: FP32 (matches the CPU to ~1e-6), or TF32 "
     "inputs with FP32 sums on the tensor cores (faster; error in docs/gpu.md)."},
    {"Seeds", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "Seeds for many realisations in one run (model loaded and FFTs planned once): a list and "
     "ranges such as 1-100 or 1,4,7-9; empty = the single Seed."},
    {"CountSampling", HP_P_CHOICE, "Model", 0, 0, 0, 0, "Model|Poisson|Rounding", "",
     "Integer halo counts from the painted mean: drawn from the model's count distribution "
     "(Conway-Maxwell-Poisson with its learned dispersion, or Poisson), Poisson draws, or "
     "stochastic rounding."},
    {"HaloPositions", HP_P_CHOICE, "Particles", 0, 0, 0, 0, "Particles|Uniform", "",
     "Halo positions inside a voxel: on 2LPT particles that fell in it, or uniform."},
    {"RedshiftSpaceAxis", HP_P_CHOICE, "none", 0, 0, 0, 0, "none|x|y|z", "",
     "Move halos to redshift space along this axis (plane-parallel), or keep real space."},
    {"AllowModelMismatch", HP_P_BOOL, "0", 0, 0, 0, 1, NULL, "",
     "Experts only: run even when the parameters differ from what the model was trained for "
     "(voxel size, redshift, LPT order, particles per voxel, and the cosmology beyond 1 % (2 % "
     "for OmegaBaryon))."},
    {"MemoryLimit", HP_P_REAL, "0", 0, 0, 0, INF, NULL, "MB",
     "Memory a run, sim or ic may use; 0 = the memory available (the smaller of the machine's "
     "and its control group's). Checked before anything is allocated."},

    /* Light cone (halopaint lightcone) */
    {"LightconeZMin", HP_P_REAL, "0", 0, 0, 0, 20, NULL, "", "Nearest redshift of the light cone."},
    {"LightconeZMax", HP_P_REAL, "0.5", 0, LO, 0, 20, NULL, "",
     "Farthest redshift of the light cone (the box is replicated as far as it needs)."},
    {"LightconeFootprint", HP_P_STRING, "FullSky", 0, 0, 0, 0, NULL, "",
     "Sky covered: FullSky, Octant (x, y, z > 0 from the observer), or a HEALPix mask in FITS "
     "(pixels > 0.5 inside)."},
    {"LightconeObserver", HP_P_STRING, "0,0,0", 0, 0, 0, 0, NULL, "Mpc/h",
     "Observer's position in the box, x,y,z in [0, BoxSize)."},
    {"LightconeShellWidth", HP_P_REAL, "50", 0, LO, 0, INF, NULL, "Mpc/h",
     "Comoving thickness of the shells; each shell's particles are made at its own redshift."},
    {"LightconeModelFiles", HP_P_STRING,
     "models/default.h5,models/z0.5.h5,models/z1.h5,models/z1.5.h5,models/z2.h5", 0, 0, 0, 0, NULL,
     "",
     "Painter models at several redshifts, comma-separated; a shell between two of them is "
     "painted by both, the means interpolated linearly in the growth factor D1."},
    {"LightconeEvolution", HP_P_CHOICE, "Shells", 0, 0, 0, 0, "Shells|Snapshot", "",
     "Shells: each shell at its own redshift (a real light cone); Snapshot: the box painted "
     "once at Redshift with ModelFile and every shell cut from it."},

    /* N-body truth (halopaint sim) */
    {"PMGridFactor", HP_P_INT, "2", 0, 0, 1, 3, "1|2|3", "",
     "Particle-mesh force grid per dimension, in units of NParticles (B in FastPM)."},
    {"PMSteps", HP_P_INT, "20", 0, 0, 1, 10000, NULL, "",
     "Number of particle-mesh time steps from RedshiftIC to the last output redshift (20 linear "
     "steps converge the halo counts at z = 0 but not at z >= 0.5: docs/nbody.md)."},
    {"PMForceKernel", HP_P_CHOICE, "3_4", 0, 0, 0, 0, "1_4|3_4|Spectral", "",
     "Force kernel (FastPM's names): 3_4 = discrete Laplacian and 4-point gradient (finds "
     "10-15% more small halos than 1_4 at B = 2; docs/nbody.md), 1_4 = exact 1/k^2 and 4-point "
     "gradient, Spectral = exact -ik/k^2."},
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

    /* Training (halopaint train) */
    {"TrainCatalogs", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "Comma-separated halo catalogues, the truth of the training boxes (several boxes per run); "
     "the density of each is regenerated from the parameters that made it. Required by train."},
    {"TrainValidationCatalogs", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "Comma-separated catalogues used whole for validation only (instead of, or besides, the "
     "TrainValidationFraction slab)."},
    {"TrainCatalogFormat", HP_P_CHOICE, "halopaint", 0, 0, 0, 0, "halopaint|hdf5|ascii", "",
     "halopaint: catalogues written by halopaint (sim), which carry their parameters; hdf5 or "
     "ascii: your own halo finder's output, read with TrainHDF5Position/Mass or "
     "TrainASCIIColumns, the density made from TrainCatalogParams."},
    {"TrainInputNParticles", HP_P_INT, "0", 0, 0, 0, 4096, NULL, "",
     "halopaint catalogues: the 2LPT input density is made from this many particles per side "
     "instead of the catalogue's own NParticles (0), e.g. twice the voxels per side for a model "
     "of 8 particles per voxel (docs/training.md)."},
    {"TrainCatalogParams", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "For hdf5/ascii catalogues: the parameter file(s) of their initial conditions (the file "
     "given to halopaint ic), one for all or one per catalogue (training, then validation); "
     "their Redshift is the catalogues' redshift. Empty: this file."},
    {"TrainHDF5Position", HP_P_STRING, "Halos/Position", 0, 0, 0, 0, NULL, "",
     "HDF5 dataset of the halo positions (N x 3) in a catalogue of format hdf5."},
    {"TrainHDF5Mass", HP_P_STRING, "Halos/Mass", 0, 0, 0, 0, NULL, "",
     "HDF5 dataset of the halo masses (N) in a catalogue of format hdf5."},
    {"TrainASCIIColumns", HP_P_STRING, "1 2 3 4", 0, 0, 0, 0, NULL, "",
     "1-based columns of x, y, z and mass in a catalogue of format ascii (lines starting with "
     "# or % are skipped)."},
    {"TrainPositionUnit", HP_P_REAL, "1", 0, LO, 0, INF, NULL, "Mpc/h",
     "Comoving Mpc/h per position unit of a hdf5/ascii catalogue (0.001 for kpc/h)."},
    {"TrainMassUnit", HP_P_REAL, "1", 0, LO, 0, INF, NULL, "Msun/h",
     "Msun/h per mass unit of a hdf5/ascii catalogue (1e10 for Gadget's 1e10 Msun/h)."},
    {"TrainModelIn", HP_P_STRING, "", 0, 0, 0, 0, NULL, "",
     "Model to train: a file from halopaint model init, a trained model, or a checkpoint (which "
     "resumes its run when TrainResume = 1). Empty: a new model with TrainMassBins, VoxelSize "
     "and the paper's initialisation from TrainSeed."},
    {"TrainModelOut", HP_P_STRING, "trained.h5", 0, 0, 0, 0, NULL, "",
     "The trained model, written at the end (also after an interruption)."},
    {"TrainCheckpoint", HP_P_STRING, "train_checkpoint.h5", 0, 0, 0, 0, NULL, "",
     "Checkpoint (a model file with the optimiser state), written every TrainCheckpointEvery "
     "updates, at the end and on Ctrl-C; resume with TrainModelIn = this file."},
    {"TrainCheckpointEvery", HP_P_INT, "500", 0, 0, 1, 1e12, NULL, "",
     "Generator updates between checkpoints."},
    {"TrainResume", HP_P_BOOL, "1", 0, 0, 0, 1, NULL, "",
     "When TrainModelIn is a checkpoint: 1 continues its run exactly (optimiser, critic, update "
     "count); 0 starts a new run from its weights."},
    {"TrainMassBins", HP_P_STRING, "1e13,1e16", 0, 0, 0, 0, NULL, "Msun/h",
     "Comma-separated mass-bin edges of a new model (K + 1 values, one output channel per bin); "
     "a loaded model keeps its own."},
    {"TrainObjective", HP_P_CHOICE, "wgan-gp", 0, 0, 0, 0, "wgan-gp|poisson|both", "",
     "wgan-gp: the paper's Wasserstein GAN with gradient penalty; poisson: Poisson likelihood of "
     "the true counts given the painted mean (supervised, fast); both: the GAN loss plus the "
     "Poisson term (see docs/training.md)."},
    {"TrainCountModel", HP_P_CHOICE, "cmp-step", 0, 0, 0, 0, "cmp-step|cmp|poisson", "",
     "Count distribution stored with the model, fitted to the trained means on the training "
     "boxes (docs/training.md): cmp-step, a Conway-Maxwell-Poisson dispersion per mass bin with a "
     "group step (a third parameter per bin weighing voxels of two or more halos against those "
     "of one); cmp, the dispersion alone (models before 2026-12-08); poisson keeps Poisson "
     "counts."},
    {"TrainCalibrate", HP_P_BOOL, "1", 0, 0, 0, 1, NULL, "",
     "With TrainCountModel = cmp or cmp-step: 1 scales each bin's painted means by sum(n) / "
     "sum(mu) over the "
     "training boxes before the fit (written into the output layer); 0 keeps the network's "
     "weights as they are (a refit of the count distribution alone)."},
    {"TrainPoissonWeight", HP_P_REAL, "1", 0, 0, 0, INF, NULL, "",
     "Weight of the Poisson term in TrainObjective = both, in units of sqrt(voxels of a patch) "
     "(1: gradients of the two terms of the same order)."},
    {"TrainUpdates", HP_P_INT, "10000", 0, 0, 0, 1e12, NULL, "",
     "Generator updates of the run in total (a resumed run continues to this count); 0 with a "
     "trained model only fits its count distribution (TrainCountModel)."},
    {"TrainLearningRate", HP_P_REAL, "1e-4", 0, LO, 0, 1, NULL, "",
     "Adam learning rate, generator and critic (the paper: 1e-4)."},
    {"TrainBeta1", HP_P_REAL, "0.5", 0, HI, 0, 1, NULL, "",
     "Adam first-moment decay (the paper: 0.5)."},
    {"TrainBeta2", HP_P_REAL, "0.999", 0, HI, 0, 1, NULL, "",
     "Adam second-moment decay (the paper: 0.999)."},
    {"TrainAverageDecay", HP_P_REAL, "0", 0, HI, 0, 1, NULL, "",
     "Decay d of the moving average of the generator's weights (Polyak averaging): the model "
     "written (TrainModelOut) and the logged validation use the average, which removes the "
     "scatter of Adam's last iterate; the checkpoint keeps both. 0 = the last iterate; 0.999 "
     "remembers ~1000 updates."},
    {"TrainCriticSteps", HP_P_INT, "5", 0, 0, 1, 1000, NULL, "",
     "Critic updates per generator update, n_critic (the paper: 5)."},
    {"TrainGPLambda", HP_P_REAL, "10", 0, 0, 0, INF, NULL, "",
     "Gradient-penalty weight lambda (the paper: 10)."},
    {"TrainPatch", HP_P_INT, "58", 0, 0, 9, 1024, NULL, "",
     "Side of the density patch of one training sample, in voxels; the halo patch is 8 smaller "
     "(the paper: 58 -> 50). wgan-gp and both need at least 27 (the critic reads 19)."},
    {"TrainValidationFraction", HP_P_REAL, "0.25", 0, 0, 0, 0.9, NULL, "",
     "Fraction of each training box's x-planes kept for validation (a disjoint slab); 0: none "
     "(use TrainValidationCatalogs)."},
    {"TrainSeed", HP_P_INT, "1", 0, 0, 0, 4611686018427387904.0, NULL, "",
     "Seed of the training run: patch positions, symmetries, the penalty's interpolation, the "
     "critic's initial weights and a new model's."},
    {"TrainLog", HP_P_STRING, "train_log.csv", 0, 0, 0, 0, NULL, "",
     "CSV loss log (update, losses, validation, time); its plot is written beside it as .svg."},
    {"TrainLogEvery", HP_P_INT, "10", 0, 0, 1, 1e12, NULL, "",
     "Generator updates between log rows, validations and progress lines."},

    /* Output */
    {"OutputDir", HP_P_STRING, ".", 0, 0, 0, 0, NULL, "", "Directory for all output files."},
    {"FileBase", HP_P_STRING, "halopaint", 0, 0, 0, 0, NULL, "", "Base name of the output files."},
    {"OutputFormat", HP_P_CHOICE, "HDF5", 0, 0, 0, 0, "HDF5|ASCII", "",
     "Format of the painted fields and catalogues."},
    {"ICFormat", HP_P_INT, "3", 0, 0, 1, 3, "1|2|3", "",
     "Format of initial-condition files, as in Gadget: 1 = Gadget-2 binary format 1, "
     "2 = format 2, 3 = HDF5 with the Gadget-4 layout."},
    {"NumFilesPerSnapshot", HP_P_INT, "0", 0, 0, 0, 65536, NULL, "",
     "Files per initial-condition snapshot; 0 = automatic. halopaint-mpi ic: 0 or a multiple "
     "of the ranks holding lattice planes (each writes its own)."},
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
