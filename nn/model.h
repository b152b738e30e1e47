/**
 * @file model.h
 * @brief A painter model: the network and the metadata that make it safe to apply.
 *
 * Stored as one HDF5 file (nn/model_io.c, schema in docs/model-format.md).
 */
#ifndef HP_MODEL_H
#define HP_MODEL_H

#include "nn/count_dist.h"
#include "nn/network.h"

/* 2: the count distribution (CountDistribution, DispersionA/B); a version-1 file is Poisson */
#define HP_MODEL_FORMAT_VERSION 2

/** What a model was trained on and for; checked against a run's parameters. */
typedef struct hp_model_meta {
  int format_version;         /**< HP_MODEL_FORMAT_VERSION of the file */
  double voxel_size;          /**< painter voxel side [Mpc/h] */
  double redshift;            /**< redshift of the density it reads and the halos it paints */
  int lpt_order;              /**< LPT order of the training density (1 or 2) */
  double particles_per_voxel; /**< (NParticles/NVoxels)^3 of the training density */
  int nbins;                  /**< mass bins = output channels K */
  double bin_edges[HP_NET_MAX_K + 1]; /**< bin edges [Msun/h], increasing, nbins + 1 of them */
  double omega_m, omega_l, omega_b, h, sigma8, n_s; /**< training cosmology */
  char density_norm[64];                            /**< input normalisation: "rho/rho_mean" */
  char provenance[2048]; /**< how it was made: data, objective, updates, command */
  hp_count_dist count;   /**< the distribution of a voxel's count given the painted mean */
} hp_model_meta;

/** Network + metadata. */
typedef struct hp_model {
  hp_net net;
  hp_model_meta meta;
} hp_model;

#endif
