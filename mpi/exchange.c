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
  free(p->id);
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
  out->id[j] = pk->id;
  for (int a = 0; a < 3; a++) out->disp[a][j] = pk->disp[a], out->vel[a][j] = pk->vel[a];
}

static int alloc_particles(hp_mpi_particles *out, int64_t n, hp_status *st) {
  const size_t m = (size_t)(n > 0 ? n : 1);
  out->n = n;
  int ok = (out->id = malloc(sizeof *out->id * m)) != NULL;
  for (int a = 0; a < 3; a++)
    ok = ok && (out->disp[a] = malloc(sizeof(float) * m)) &&
         (out->vel[a] = malloc(sizeof(float) * m));
  if (!ok)
    return hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB of particles",
                   (double)n * sizeof(packed) / 1e6);
  return HP_OK;
}

/*
 * Two passes over the lattice: count the particles for each rank, then place them. Those that
 * stay are written straight into the output arrays (most of them: a slab's particles move less
 * than a voxel plane), only those for other ranks go through the packed send and receive
 * buffers; so the memory is the output's 32 bytes a particle plus the boundary's.
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
  for (int64_t i = 0; i < n; i++) { /* pass 1: a particle for 2 ranks counts for both */
    const double x = (double)(in->a0 + i / np2) * dq + in->disp[0][i];
    int dest[3];
    const int nd = destinations(ngp_plane(x, inv_dx, nv), nv, owner, dest);
    for (int d = 0; d < nd; d++) count64[dest[d]]++;
  }
  for (int r = 0; r < size; r++) {
    if (count64[r] > INT32_MAX) {
      hp_fail(st, HP_ERR_INPUT,
              "particle exchange: %lld particles for rank %d, more than one MPI message holds: "
              "use more ranks",
              (long long)count64[r], r);
      goto agree;
    }
    scount[r] = r == rank ? 0 : (int)count64[r]; /* the rank's own stay out of MPI */
    sdisp[r + 1] = sdisp[r] + scount[r];
  }
  if (!(sbuf = malloc(sizeof *sbuf * (size_t)(sdisp[size] + 1))))
    hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB to send",
            (double)sdisp[size] * sizeof *sbuf / 1e6);
agree:
  if (hp_mpi_agree(st, comm)) goto done;
  MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, comm);
  rcount[rank] = (int)count64[rank]; /* where the staying particles go in the output */
  int64_t nrecv = 0;
  for (int r = 0; r < size; r++) nrecv += rcount[r];
  if (nrecv > INT32_MAX)
    hp_fail(st, HP_ERR_INPUT, "particle exchange: %lld particles for one rank: use more ranks",
            (long long)nrecv);
  else if (!alloc_particles(out, nrecv, st)) {
    for (int r = 0; r < size; r++) rdisp[r + 1] = rdisp[r] + rcount[r];
    if (!(rbuf = malloc(sizeof *rbuf * (size_t)(nrecv - rcount[rank] + 1))))
      hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate %.0f MB to receive",
              (double)(nrecv - rcount[rank]) * sizeof *rbuf / 1e6);
  }
  if (hp_mpi_agree(st, comm)) goto done;
  /* pass 2: each destination's particles in lattice order */
  for (int r = 0; r < size; r++) at[r] = r == rank ? rdisp[rank] : sdisp[r];
  for (int64_t i = 0; i < n; i++) {
    const double x = (double)(in->a0 + i / np2) * dq + in->disp[0][i];
    int dest[3];
    const int nd = destinations(ngp_plane(x, inv_dx, nv), nv, owner, dest);
    const packed pk = {in->a0 * np2 + i,
                       {in->disp[0][i], in->disp[1][i], in->disp[2][i]},
                       {in->vel[0][i], in->vel[1][i], in->vel[2][i]}};
    for (int d = 0; d < nd; d++)
      if (dest[d] == rank)
        unpack(out, at[rank]++, &pk);
      else
        sbuf[at[dest[d]]++] = pk;
  }
  /* the others' particles: received compactly, then put before and after the rank's own */
  int *roff = malloc(sizeof *roff * (size_t)size);
  if (!roff) hp_fail(st, HP_ERR_NOMEM, "particle exchange: cannot allocate the offsets");
  if (hp_mpi_agree(st, comm)) {
    free(roff);
    goto done;
  }
  rcount[rank] = 0;
  for (int r = 0, o = 0; r < size; r++) roff[r] = o, o += rcount[r];
  MPI_Datatype type;
  MPI_Type_contiguous((int)sizeof(packed), MPI_BYTE, &type);
  MPI_Type_commit(&type);
  MPI_Alltoallv(sbuf, scount, sdisp, type, rbuf, rcount, roff, type, comm);
  MPI_Type_free(&type);
  for (int r = 0; r < size; r++)
    for (int k = 0; k < rcount[r]; k++) unpack(out, rdisp[r] + k, rbuf + roff[r] + k);
  free(roff);
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
