/* MPI start-up, agreed errors and the block decomposition (see comm.h). */
#include "comm.h"

#include <fftw3-mpi.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/fftw_threads.h"
#include "util/memory.h"

int hp_mpi_init(int *argc, char ***argv) {
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "halopaint: MPI_Init_thread failed\n");
    return 1;
  }
  /* FFTW's threads before its MPI interface, as FFTW's manual asks */
  hp_fftw_threads(omp_get_max_threads());
  fftwf_mpi_init();
  return 0;
}

void hp_mpi_finalize(void) {
  fftwf_mpi_cleanup();
  MPI_Finalize();
}

int hp_mpi_agree(hp_status *st, MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int mine = st->code ? rank : size;
  int first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return HP_OK;
  int code = st->code;
  char msg[HP_MSG_LEN];
  memcpy(msg, st->msg, sizeof msg);
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, comm);
  msg[sizeof msg - 1] = '\0';
  if (size > 1)
    hp_fail(st, code, "rank %d: %s", first, msg);
  else
    hp_fail(st, code, "%s", msg);
  return code;
}

void hp_mpi_block(int64_t n, int rank, int size, int64_t *x0, int64_t *nx) {
  *x0 = n * rank / size;
  *nx = n * (rank + 1) / size - *x0;
}

int hp_mpi_block_owner(int64_t n, int size, int64_t i) {
  /* the largest r with n r / size <= i: estimate, then correct by one either way */
  int r = (int)((i * size + size - 1) / n);
  if (r >= size) r = size - 1;
  while (r > 0 && n * r / size > i) r--;
  while (r + 1 < size && n * (r + 1) / size <= i) r++;
  return r;
}

void hp_mpi_quiet(int quiet) {
  static int saved[2] = {-1, -1}; /* the original stdout and stderr */
  fflush(stdout), fflush(stderr);
  if (saved[0] < 0) saved[0] = dup(1), saved[1] = dup(2);
  if (quiet) {
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1), dup2(null, 2), close(null);
  } else if (saved[0] >= 0 && saved[1] >= 0) {
    dup2(saved[0], 1), dup2(saved[1], 2);
  }
}

int hp_mpi_group_open(hp_mpi_group *g, int64_t per, hp_status *st) {
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  g->comm = MPI_COMM_NULL;
  g->index = g->rank = 0, g->count = 1;
  if (per <= 0) per = size;
  if (per > size || size % per)
    return hp_fail(st, HP_ERR_INPUT,
                   "RanksPerRealisation = %lld must divide the %d MPI ranks (or be 0: all ranks)",
                   (long long)per, size);
  g->index = rank / (int)per;
  g->count = size / (int)per;
  MPI_Comm_split(MPI_COMM_WORLD, g->index, rank, &g->comm);
  MPI_Comm_rank(g->comm, &g->rank);
  hp_mpi_quiet(g->rank > 0);
  return HP_OK;
}

void hp_mpi_group_close(hp_mpi_group *g) {
  if (g->comm != MPI_COMM_NULL) MPI_Comm_free(&g->comm);
}

int hp_mpi_group_runs_seed(const hp_mpi_group *g, int64_t i) { return i % g->count == g->index; }

const char *hp_mpi_group_label(const hp_mpi_group *g, char *buf, size_t n) {
  if (g->count < 2) return "";
  snprintf(buf, n, " (group %d of %d)", g->index + 1, g->count);
  return buf;
}

int hp_mpi_refuse_unsupported(const hp_params *p, const char *command, hp_status *st) {
  static const char *files[] = {"LinearFieldFile", "WhiteNoiseFile"};
  for (int i = 0; i < 2; i++)
    if (hp_params_string(p, files[i])[0])
      return hp_fail(st, HP_ERR_INPUT, "%s = %s: not available with MPI yet (use halopaint %s)",
                     files[i], hp_params_string(p, files[i]), command);
  if (hp_params_bool(p, "WriteLinearField"))
    return hp_fail(st, HP_ERR_INPUT,
                   "WriteLinearField = 1: not available with MPI yet (use halopaint %s)", command);
  return HP_OK;
}

int hp_mpi_check_memory(MPI_Comm comm, double need, double limit_mb, const char *what,
                        hp_status *st) {
  int rank, size, on_node = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  double node_need = 0, all_need = 0;
  MPI_Allreduce(&need, &node_need, 1, MPI_DOUBLE, MPI_SUM, node);
  MPI_Allreduce(&need, &all_need, 1, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  const double avail = limit_mb > 0 ? limit_mb * 1e6 : hp_memory_available();
  char full[512];
  snprintf(full, sizeof full,
           "%s over %d MPI ranks (%d on this node, %.0f MB per rank; %.0f MB in all, about %.0f "
           "nodes like this one)",
           what, size, on_node, need / 1e6, all_need / 1e6,
           avail > 0 ? ceil(all_need / avail) : 1.0);
  return hp_memory_check(node_need, limit_mb, full, st);
}
