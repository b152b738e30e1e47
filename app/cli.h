/**
 * @file cli.h
 * @brief The `halopaint` command-line driver: one function per subcommand.
 *
 * The driver is a thin layer over the library: it parses arguments, loads the
 * parameter file (with -s Key=Value overrides), calls the stages and prints
 * progress. It is the only code that prints to stdout.
 */
#ifndef HP_CLI_H
#define HP_CLI_H

#include "lpt/field_file.h"
#include "lpt/lpt.h"
#include "params/params.h"

/** Arguments common to the subcommands that read a parameter file. */
typedef struct hp_cli_args {
  const char *param_file;     /**< FILE.param */
  const char *overrides[256]; /**< -s Key=Value, in order */
  int n_overrides;
  const char *k_list; /**< --k k1,k2,... (cosmo) */
} hp_cli_args;

/** Parse "FILE.param [-s Key=Value]... [--k LIST]"; prints usage and returns nonzero on error. */
int hp_cli_parse(int argc, char **argv, const char *cmd, hp_cli_args *a);
/** Load the parameter file for a command needing @p need; prints the error and returns NULL. */
hp_params *hp_cli_load(const hp_cli_args *a, unsigned need);
/** Print a failure as "halopaint CMD: <message>" to stderr and return 1. */
int hp_cli_error(const char *cmd, const hp_status *st);
/** "[  1.23 s,  456 MB] what" progress line on stdout. */
void hp_cli_progress(double t0, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** "halopaint CMD ARG..." into @p buf (truncated to @p n), for the files' Command. */
void hp_cli_command_line(const char *cmd, int argc, char **argv, char *buf, size_t n);
/**
 * The resolved parameters with Seed = @p seed, then @p ne extra pairs, into @p out (strings
 * borrowed; @p seedbuf holds the seed's text): free((void *)out->key), free((void *)out->value).
 */
int hp_cli_provenance_kv(const hp_params *p, uint64_t seed, const char *const *ek,
                         const char *const *ev, int ne, char seedbuf[32], hp_kv_list *out,
                         hp_status *st);
/**
 * After a realisation's 2LPT: a progress line saying what a LinearFieldFile or WhiteNoiseFile
 * held (nothing for the seeded noise) and, with WriteLinearField, the linear field @p lpt used
 * written as OutputDir/FileBase_linear<suffix>.hdf5 with the parameters (Seed = @p seed).
 */
int hp_cli_linear_field(double t0, const hp_params *p, hp_lpt *lpt, const hp_field_info *fi,
                        uint64_t seed, const char *suffix, hp_status *st);

int hp_cmd_cosmo(int argc, char **argv);
int hp_cmd_ic(int argc, char **argv);
int hp_cmd_run(int argc, char **argv);
int hp_cmd_lightcone(int argc, char **argv);
int hp_cmd_sim(int argc, char **argv);
int hp_cmd_stats(int argc, char **argv);
int hp_cmd_paint(int argc, char **argv);
int hp_cmd_sample(int argc, char **argv);
int hp_cmd_model(int argc, char **argv);
int hp_cmd_train(int argc, char **argv);

#endif
