/**
 * @file model_io.h
 * @brief Painter model files (HDF5): random initialisation, atomic save, fully validated load.
 *
 * A model file holds the architecture (name, channels, slope, halo, parameter count and the
 * layer list), every convolution's kernel and bias in PyTorch's Conv3d layout, and the metadata
 * that make a model safe to apply (voxel size, redshift, LPT order and resolution, mass-bin
 * edges, training cosmology, provenance). The schema is in docs/model-format.md.
 *
 * Loading trusts nothing in the file: every group, dataset and attribute is checked for
 * presence, type, shape and range against the architecture the file names, and a refusal
 * names the file, the object and what was expected. No file, however broken, crashes the
 * reader.
 */
#ifndef HP_MODEL_IO_H
#define HP_MODEL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "nn/model.h"
#include "util/status.h"

/** Architecture name written to and required in the file (attribute Architecture/Name). */
#define HP_MODEL_ARCH_NAME "KodiRamanah2019Generator"
/** The only input normalisation this build paints (attribute Metadata/DensityNormalisation). */
#define HP_MODEL_DENSITY_NORM "rho/rho_mean"

/**
 * A randomly initialised model, as the paper starts training: the generator with one input
 * channel and @p k_out outputs, weights ~ N(0, 0.1), biases 0.1 (hp_net_init_random), and the
 * default metadata: voxel 4 Mpc/h, redshift 0, LPT order 2, 8 particles per voxel, density
 * normalisation "rho/rho_mean", provenance "random initialisation, seed S", training cosmology
 * NaN (untrained).
 * @param m          out: the model (free with hp_model_free); zeroed on failure
 * @param k_out      mass bins K, 1..HP_NET_MAX_K
 * @param bin_edges  K + 1 mass-bin edges [Msun/h], finite, positive, strictly increasing
 * @param seed       seed of the weights (same seed, same weights on every machine)
 * @param st         status
 * @return 0, HP_ERR_INPUT or HP_ERR_NOMEM
 */
int hp_model_init(hp_model *m, int k_out, const double *bin_edges, uint64_t seed, hp_status *st);

/**
 * Check a model in memory as the loader checks a file: metadata ranges, bin edges, the
 * network equal to the paper's generator for K outputs, every weight finite.
 * @param m   model
 * @param st  status (message names the field, or the layer and index of a bad weight)
 * @return 0 or HP_ERR_INPUT
 */
int hp_model_check(const hp_model *m, hp_status *st);

/**
 * Write a model file atomically (temporary name, then rename): a failure leaves neither the
 * file nor a temporary behind. The model is checked first (hp_model_check), so a file that
 * the loader would refuse is never written.
 * @param m     model
 * @param path  output file (.h5)
 * @param st    status
 * @return 0, HP_ERR_INPUT (invalid model) or HP_ERR_IO
 */
int hp_model_save(const hp_model *m, const char *path, hp_status *st);

/**
 * Read and validate a model file. Refuses, naming the file and the object: a missing or
 * unreadable file, a non-HDF5 or truncated file, a missing group, dataset or attribute, a
 * FormatVersion newer than HP_MODEL_FORMAT_VERSION, an unknown architecture, InputChannels
 * != 1, OutputChannels out of 1..HP_NET_MAX_K or != number of bin edges - 1, a layer list,
 * halo, slope or parameter count that differs from the architecture, a kernel or bias of the
 * wrong shape (expected vs found), a non-floating-point or non-finite weight (layer and
 * index), bin edges not positive and increasing, VoxelSize <= 0, LPTOrder not 1 or 2, wrong
 * unit strings, an infinite cosmological parameter, and so on.
 * @param m     out: the model (free with hp_model_free); zeroed on failure
 * @param path  model file
 * @param st    status
 * @return 0, HP_ERR_IO (missing/unreadable), HP_ERR_FORMAT (contents) or HP_ERR_NOMEM
 */
int hp_model_load(hp_model *m, const char *path, hp_status *st);

/** Free a model's weights and zero it (a zeroed or already freed model is fine). */
void hp_model_free(hp_model *m);

/**
 * The layer list text stored in Architecture/LayerList: one line "name cin cout k stride"
 * per convolution, in evaluation order, each ending in '\n'.
 * @param net   network
 * @param buf   output buffer
 * @param size  its size in bytes (4096 is enough for the generator)
 * @return the length of the full text (as snprintf: >= size means it was truncated)
 */
size_t hp_model_layer_list(const hp_net *net, char *buf, size_t size);

#endif
