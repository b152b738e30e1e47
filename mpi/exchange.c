/* Particle exchange by voxel plane, and ghost planes (see exchange.h). */
#include "exchange.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/comm.h"

typedef struct packed {
  int64_t id;
  float disp[3], vel[3];
} packed;

void hp_mpi_particles_free(hp_mpi_particles *p) {
  free(p->id_before), free(p->id_after);
  if (p->copied)
    for (int a = 0; a < 3; a++) free(p->disp[a]), free(p->vel[a]);
  memset(p, 0, sizeof *p);
}

/* The voxel plane of x, as the sampler computes it (floor, then periodic). */
static int64_t ngp_plane(double x, double inv_dx, int64_t nv) {
  int64_t i = (int64_t)floor(x * inv_dx) % nv;
  return i < 0 ? i + nv : i;
}

/* The distinct ranks that own planes i - 1, i, i + 1, increasing (@p owner: plane -> rank). */
static int destinations(int64_t i, int64_t nv, const int *owner, int dest[3]) {
  const int lo = owner[(i + nv - 1) % nv], mid = owner[i], hi = owner[(i + 1) % nv];
  int r[3] = {lo, mid, hi}, n = 0;
  /* blocks are contiguous, so only the periodic wrap (plane nv - 1 next to plane 0) breaks the
   * order lo <= mid <= hi */
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++)
      if (r[b] < r[a]) {
        const int t = r[a];
        r[a] = r[b], r[b] = t;
      }
  for (int a = 0; a < 3; a++)
    if (n == 0 || r[a] != dest[n - 1]) dest[n++] = r[a];
  return n;
}

/* Particle j of the output arrays from a packed one. */
static void unpack(hp_mpi_particles *out, int64_t j, const packed *pk) {
  if (j < out->ids.n_before)
    out->id_before[j] = pk->id;
  else
    out->id_after[j - out->ids.n_before - out->ids.n_run] = pk->id;
  for (int a = 0; a < 3; a++) out->disp[a][j] = pk->disp[a], out->vel[a][j] = pk->vel[a];
}

/* The output arrays: @p lower + own + @p upper particles, in the lattice's rooms when they fit,
 * else copies. */
static int place(const hp_mpi_lattice *in, int64_t lower, int64_t upper, hp_mpi_particles *out,
                 hp_status *st) {
  const int64_t own = in->na * in->np * in->np, n = lower + own + upper;
  const size_t m = (size_t)(n > 0 ? n : 1);
  out->n = n;
  if (!(out->id_before = malloc(sizeof(int64_t) * (size_t)(lower + 1))) ||
      !(out->id_after = malloc(sizeof(int64_t) * (size_t)(upper + 1))))
    return hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB of ids",
                   8.0 * (double)(lower + upper) / 1e6);
  out->ids = (hp_lattice_ids){out->id_before, lower, in->a0 * in->np * in->np, own, out->id_after};
  out->copied = lower > in->room_before || upper > in->room_after;
  for (int a = 0; a < 3; a++) {
    if (!out->copied) {
      out->disp[a] = in->disp[a] - lower, out->vel[a] = in->vel[a] - lower;
      continue;
    }
    if (!(out->disp[a] = malloc(sizeof(float) * m)) || !(out->vel[a] = malloc(sizeof(float) * m)))
      return hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB of particles",
                     24.0 * n / 1e6);
    memcpy(out->disp[a] + lower, in->disp[a], sizeof(float) * (size_t)own);
    memcpy(out->vel[a] + lower, in->vel[a], sizeof(float) * (size_t)own);
  }
  return HP_OK;
}

/*
 * Two passes over the lattice: count the particles for each other rank, then pack them; the
 * packed ones are exchanged (a few boundary planes: particles move little across a slab) and
 * put around this rank's own.
 */
int hp_mpi_exchange(const hp_mpi_lattice *in, int64_t nv, MPI_Comm comm, hp_mpi_particles *out,
                    double *bytes_sent, hp_status *st) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  memset(out, 0, sizeof *out);
  *bytes_sent = 0;
  const int64_t np = in->np, np2 = np * np, n = in->na * np2;
  const double dq = in->box / (double)np, inv_dx = (double)nv / in->box;
  /* counts and offsets: int, as MPI takes them; [size] holds the total */
  int *scount = calloc((size_t)size, sizeof *scount),
      *rcount = calloc((size_t)size, sizeof *rcount);
  int *sdisp = calloc((size_t)size + 1, sizeof *sdisp),
      *rdisp = calloc((size_t)size + 1, sizeof *rdisp);
  int64_t *count64 = calloc((size_t)size, sizeof *count64), *at = calloc((size_t)size, sizeof *at);
  int *owner = malloc(sizeof *owner * (size_t)nv);
  packed *sbuf = NULL, *rbuf = NULL;
  if (!scount || !rcount || !sdisp || !rdisp || !count64 || !at || !owner) {
    hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate the counts");
    goto agree;
  }
  for (int64_t i = 0; i < nv; i++) owner[i] = hp_mpi_block_owner(nv, size, i);
  for (int64_t i = 0; i < n && size > 1; i++) { /* pass 1: a particle for 2 ranks counts twice */
    const double x = (double)(in->a0 + i / np2) * dq + in->disp[0][i];
    int dest[3];
    const int nd = destinations(ngp_plane(x, inv_dx, nv), nv, owner, dest);
    for (int d = 0; d < nd; d++) count64[dest[d]]++;
  }
  count64[rank] = 0; /* the rank keeps all of its own */
  for (int r = 0; r < size; r++) {
    if (count64[r] > INT32_MAX) {
      hp_fail(st, HP_ERR_INPUT,
              "particle exchange: %lld particles for rank %d, more than one MPI message holds: "
              "use more ranks",
              (long long)count64[r], r);
      goto agree;
    }
    scount[r] = (int)count64[r];
    sdisp[r + 1] = sdisp[r] + scount[r];
  }
  if (!(sbuf = malloc(sizeof *sbuf * (size_t)(sdisp[size] + 1))))
    hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB to send",
            (double)sdisp[size] * sizeof *sbuf / 1e6);
agree:
  if (hp_mpi_agree(st, comm)) goto done;
  MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, comm);
  for (int r = 0; r < size; r++) rdisp[r + 1] = rdisp[r] + rcount[r];
  const int64_t lower = rdisp[rank], upper = rdisp[size] - rdisp[rank];
  if (!place(in, lower, upper, out, st) &&
      !(rbuf = malloc(sizeof *rbuf * (size_t)(rdisp[size] + 1))))
    hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB to receive",
            (double)rdisp[size] * sizeof *rbuf / 1e6);
  if (hp_mpi_agree(st, comm)) goto done;
  /* pass 2: each destination's particles in lattice order */
  for (int r = 0; r < size; r++) at[r] = sdisp[r];
  for (int64_t i = 0; i < n && sdisp[size] > 0; i++) {
    const double x = (double)(in->a0 + i / np2) * dq + in->disp[0][i];
    int dest[3];
    const int nd = destinations(ngp_plane(x, inv_dx, nv), nv, owner, dest);
    for (int d = 0; d < nd; d++)
      if (dest[d] != rank)
        sbuf[at[dest[d]]++] = (packed){in->a0 * np2 + i,
                                       {in->disp[0][i], in->disp[1][i], in->disp[2][i]},
                                       {in->vel[0][i], in->vel[1][i], in->vel[2][i]}};
  }
  MPI_Datatype type;
  MPI_Type_contiguous((int)sizeof(packed), MPI_BYTE, &type);
  MPI_Type_commit(&type);
  MPI_Alltoallv(sbuf, scount, sdisp, type, rbuf, rcount, rdisp, type, comm);
  MPI_Type_free(&type);
  /* lower ranks' particles before the own ones, higher ranks' after */
  for (int64_t k = 0; k < rdisp[size]; k++) unpack(out, k < lower ? k : k + n, rbuf + k);
  *bytes_sent = (double)sdisp[size] * sizeof(packed);
done:
  free(sbuf), free(rbuf), free(owner), free(count64), free(at);
  free(scount), free(rcount), free(sdisp), free(rdisp);
  if (st->code) hp_mpi_particles_free(out);
  return st->code;
}

int hp_mpi_ghost_planes(const float *slab, int64_t nx, int64_t plane, int h, float *out,
                        MPI_Comm comm, hp_status *st) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int64_t least = nx;
  MPI_Allreduce(&nx, &least, 1, MPI_INT64_T, MPI_MIN, comm);
  if (least < h)
    return hp_fail(st, HP_ERR_INPUT,
                   "ghost planes: a rank holds %lld voxel planes, fewer than the painter's halo "
                   "of %d: use fewer ranks",
                   (long long)least, h);
  const int64_t count = (int64_t)h * plane;
  if (count > INT32_MAX)
    return hp_fail(st, HP_ERR_INPUT, "ghost planes: %lld floats in one message: too many",
                   (long long)count);
  const int left = (rank + size - 1) % size, right = (rank + 1) % size;
  memcpy(out + count, slab, sizeof(float) * (size_t)(nx * plane));
  /* my first h planes are my left neighbour's right ghosts, and the other way round */
  MPI_Sendrecv(slab, (int)count, MPI_FLOAT, left, 1, out + count + nx * plane, (int)count,
               MPI_FLOAT, right, 1, comm, MPI_STATUS_IGNORE);
  MPI_Sendrecv(slab + (nx - h) * plane, (int)count, MPI_FLOAT, right, 2, out, (int)count, MPI_FLOAT,
               left, 2, comm, MPI_STATUS_IGNORE);
  return HP_OK;
}

void hp_mpi_exchange_rooms(int64_t np, int64_t nv, int rank, int size, int64_t *before,
                           int64_t *after) {
  const int64_t boundary = (2 * ((np + nv - 1) / nv) + 2) * np * np;
  *before = size == 1 ? 0 : rank == 0 ? 0 : rank == size - 1 ? 2 * boundary : boundary;
  *after = size == 1 ? 0 : rank == 0 ? 2 * boundary : rank == size - 1 ? 0 : boundary;
}

void hp_mpi_pad_yz(const float *ghost, int64_t nx, int64_t nv, int h, float *out, int threads) {
  const int64_t w = nv + 2 * h, g = nx + 2 * h;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < g; i++)
    for (int64_t j = 0; j < w; j++) {
      const float *src = ghost + (i * nv + (j - h + nv) % nv) * nv;
      float *dst = out + (i * w + j) * w;
      for (int64_t k = 0; k < w; k++) dst[k] = src[(k - h + nv) % nv];
    }
}
