/* halopaint: cosmological parameters and a seed -> mock halo catalogue. */
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cuda/device.h"
#include "params/params.h"
#include "app/cli.h"
#include "plugin/version.h"
#include "util/atomic_file.h"
#ifdef HP_MPI
#include "mpi/comm.h"
#endif

static void usage(FILE *out) {
  fprintf(
      out,
      "%s — 2LPT initial conditions, CIC and the halo painter\n"
      "usage: halopaint COMMAND [ARGS]\n"
      "  run FILE.param      the main job: 2LPT -> CIC -> painter -> halo catalogue per seed\n"
      "  lightcone FILE.param  halo light cones: shells at their own redshifts, RA, Dec, z\n"
      "  ic FILE.param       2LPT initial conditions at RedshiftIC (Gadget-2 / HDF5 files)\n"
      "  sim FILE.param      particle-mesh N-body (FastPM scheme) + FoF halo catalogues\n"
      "  cosmo FILE.param    linear theory table: T(k), P(k), sigma(R), D1 f1 D2 f2 [--k LIST]\n"
      "  paint MODEL IN OUT  paint a density grid (HDF5) or another code's particles into\n"
      "                      halo count grids (--help)\n"
      "  sample MODEL COUNTS PARTICLES OUT  a halo catalogue from painted counts (--help)\n"
      "  stats SUB INPUT...  pk, cross (T, r_c, s), bispec, hmf, slice, mesh: tables + plots\n"
      "  model init|info     a random model (init OUT.h5 --seed S --bins LIST); a model card\n"
      "  train FILE.param    train the painter on halo catalogues (wgan-gp, poisson or both)\n"
      "  help params         every parameter key with unit, default and help\n"
      "  version             the version\n"
      "Every command that reads FILE.param accepts -s Key=Value (repeatable) to override it.\n",
      HP_SOFTWARE);
}

#ifdef HP_MPI
/* halopaint-mpi: `run`, `ic` and `lightcone` over the ranks of MPI_COMM_WORLD; rank 0 of each
 * realisation alone prints (the ranks of a realisation agree on each error, so its rank 0 speaks
 * for them) */
static int dispatch(int argc, char **argv);
int main(int argc, char **argv) {
  if (hp_mpi_init(&argc, &argv)) return 1;
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  hp_mpi_quiet(rank > 0);
  int rc = 2;
  if (argc >= 2 && strcmp(argv[1], "run") && strcmp(argv[1], "ic") &&
      strcmp(argv[1], "lightcone") && strcmp(argv[1], "version") && strcmp(argv[1], "help") &&
      strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
    fprintf(stderr, "halopaint-mpi: '%s' runs in one process: use halopaint %s\n", argv[1],
            argv[1]);
  else
    rc = dispatch(argc, argv);
  hp_mpi_finalize();
  return rc;
}
static int dispatch(int argc, char **argv) {
#else
int main(int argc, char **argv) {
#endif
  hp_atomic_cleanup_on_signals(); /* a killed run leaves no NAME.tmp.PID behind */
  /* past a file-size limit (ulimit -f) a write fails with EFBIG and is reported, the temporary
   * removed, instead of SIGXFSZ killing the process mid-file */
  signal(SIGXFSZ, SIG_IGN);
  /* every file is closed before exit; a file whose close failed (a full disk) would make HDF5's
   * own cleanup at exit loop or crash: the operating system reclaims it instead */
  H5dont_atexit();
  /* HDF5's own error printing off: its stack is folded into halopaint's one-line messages */
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "--help")) {
    if (argc >= 3 && !strcmp(argv[1], "help") && !strcmp(argv[2], "params")) {
      hp_params_help(stdout);
      return 0;
    }
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    hp_status st;
    int n = 0;
    hp_status_clear(&st);
    printf("%s\nCUDA backend: %s", HP_SOFTWARE, hp_cuda_compiled() ? "built" : "not built");
    if (hp_cuda_device_count(&n, &st))
      printf(" (%s)\n", st.msg);
    else
      printf(", %d device(s)\n", n);
    for (int i = 0; i < n; i++) {
      char name[256];
      if (!hp_cuda_device_name(i, name, sizeof name, &st)) printf("  device %d: %s\n", i, name);
    }
    return 0;
  }
  if (!strcmp(cmd, "cosmo")) return hp_cmd_cosmo(argc - 2, argv + 2);
  if (!strcmp(cmd, "ic")) return hp_cmd_ic(argc - 2, argv + 2);
  if (!strcmp(cmd, "run")) return hp_cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "lightcone")) return hp_cmd_lightcone(argc - 2, argv + 2);
  if (!strcmp(cmd, "sim")) return hp_cmd_sim(argc - 2, argv + 2);
  if (!strcmp(cmd, "stats")) return hp_cmd_stats(argc - 2, argv + 2);
  if (!strcmp(cmd, "paint")) return hp_cmd_paint(argc - 2, argv + 2);
  if (!strcmp(cmd, "sample")) return hp_cmd_sample(argc - 2, argv + 2);
  if (!strcmp(cmd, "model")) return hp_cmd_model(argc - 2, argv + 2);
  if (!strcmp(cmd, "train")) return hp_cmd_train(argc - 2, argv + 2);
  fprintf(stderr, "halopaint: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
