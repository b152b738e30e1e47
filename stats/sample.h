/**
 * @file sample.h
 * @brief A halo catalogue (catalog/catalog.h) -> the positions of the halos of one mass bin,
 *        optionally in redshift space, as particles for stats/mesh.h.
 *
 * Selection: mlo <= M < mhi (Msun/h; mhi = INFINITY for no upper limit, mlo = 0 for none).
 * Redshift space: positions moved along @p rsd_axis by v_los (1 + z) / (100 E(z)) with z and
 * the cosmology (Omega0, OmegaLambda) of the catalogue's header (multipoles.h).
 */
#ifndef HP_STATS_SAMPLE_H
#define HP_STATS_SAMPLE_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "cic/cic.h"
#include "util/status.h"

/** Positions of a selection of halos. Arrays owned (hp_stats_sample_free). */
typedef struct hp_stats_sample {
  int64_t n;    /**< halos selected */
  float *pos;   /**< n x 3, interleaved xyz [Mpc/h], in [0, box) */
  double *mass; /**< n masses [Msun/h] */
  double box;   /**< box side [Mpc/h] */
} hp_stats_sample;

/**
 * Select the halos with mlo <= M < mhi, copying their positions (moved into redshift space
 * along rsd_axis when rsd_axis is 0, 1 or 2; -1 for real space).
 * @param c         catalogue
 * @param mlo, mhi  mass range [Msun/h]
 * @param rsd_axis  -1, 0, 1 or 2
 * @param nthreads  threads (<= 0: all)
 * @param out       filled (n may be 0)
 * @param st        status
 * @return 0, HP_ERR_INPUT (bad box or cosmology for RSD) or HP_ERR_NOMEM
 */
int hp_stats_sample_select(const hp_catalog *c, double mlo, double mhi, int rsd_axis, int nthreads,
                           hp_stats_sample *out, hp_status *st);

/** Free a sample (safe to call twice). */
void hp_stats_sample_free(hp_stats_sample *s);

/** The sample as particles for hp_stats_mesh_execute (borrowed pointers, no weights). */
hp_cic_particles hp_stats_sample_particles(const hp_stats_sample *s);

#endif
