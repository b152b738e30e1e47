/* Argument parsing, parameter loading and progress lines shared by the subcommands. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "app/cli.h"
#include "params/resolve.h"
#include "util/memory.h"

int hp_cli_parse(int argc, char **argv, const char *cmd, hp_cli_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-s")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "halopaint %s: -s needs Key=Value\n", cmd);
        return 1;
      }
      if (a->n_overrides == 256) {
        fprintf(stderr, "halopaint %s: more than 256 -s overrides\n", cmd);
        return 1;
      }
      a->overrides[a->n_overrides++] = argv[++i];
    } else if (!strncmp(argv[i], "-s", 2) && strchr(argv[i], '=')) {
      if (a->n_overrides < 256) a->overrides[a->n_overrides++] = argv[i] + 2;
    } else if (!strcmp(argv[i], "--k") && i + 1 < argc && !strcmp(cmd, "cosmo")) {
      a->k_list = argv[++i];
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "halopaint %s: unknown option '%s' (see `halopaint help`)\n", cmd, argv[i]);
      return 1;
    } else if (!a->param_file) {
      a->param_file = argv[i];
    } else {
      fprintf(stderr, "halopaint %s: unexpected argument '%s' after %s\n", cmd, argv[i],
              a->param_file);
      return 1;
    }
  }
  if (!a->param_file) {
    fprintf(stderr, "usage: halopaint %s FILE.param [-s Key=Value]...%s\n", cmd,
            strcmp(cmd, "cosmo") ? "" : " [--k k1,k2,...]");
    return 1;
  }
  return 0;
}

hp_params *hp_cli_load(const hp_cli_args *a, unsigned need) {
  hp_params *p = NULL;
  hp_status st;
  hp_status_clear(&st);
  if (hp_params_load(&p, a->param_file, a->overrides, a->n_overrides, need, &st)) {
    fprintf(stderr, "halopaint: %s\n", st.msg);
    return NULL;
  }
  return p;
}

int hp_cli_error(const char *cmd, const hp_status *st) {
  fprintf(stderr, "halopaint %s: %s\n", cmd, st->msg);
  return 1;
}

void hp_cli_progress(double t0, const char *fmt, ...) {
  va_list ap;
  printf("[%8.2f s %7.0f MB] ", omp_get_wtime() - t0, hp_memory_rss() / 1e6);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

void hp_cli_command_line(const char *cmd, int argc, char **argv, char *buf, size_t n) {
  snprintf(buf, n, "halopaint %s", cmd);
  for (int i = 0; i < argc; i++) {
    const size_t l = strlen(buf);
    snprintf(buf + l, n - l, " %s", argv[i]);
  }
}

int hp_cli_provenance_kv(const hp_params *p, uint64_t seed, const char *const *ek,
                         const char *const *ev, int ne, char seedbuf[32], hp_kv_list *out,
                         hp_status *st) {
  const hp_kv_list kv = hp_params_kv(p);
  const char **keys = malloc(sizeof *keys * (size_t)(kv.n + ne));
  const char **vals = malloc(sizeof *vals * (size_t)(kv.n + ne));
  if (!keys || !vals) {
    free(keys), free(vals);
    return hp_fail(st, HP_ERR_NOMEM, "the output file's parameters");
  }
  snprintf(seedbuf, 32, "%llu", (unsigned long long)seed);
  for (int i = 0; i < kv.n; i++) {
    keys[i] = kv.key[i];
    vals[i] = strcmp(kv.key[i], "Seed") ? kv.value[i] : seedbuf;
  }
  for (int i = 0; i < ne; i++) keys[kv.n + i] = ek[i], vals[kv.n + i] = ev[i];
  out->n = kv.n + ne, out->key = keys, out->value = vals;
  return HP_OK;
}

int hp_cli_linear_field(double t0, const hp_params *p, hp_lpt *lpt, const hp_field_info *fi,
                        uint64_t seed, const char *suffix, hp_status *st) {
  const int64_t np = hp_params_int(p, "NParticles");
  if (*hp_params_string(p, "LinearFieldFile")) {
    if (fi->n < np)
      hp_cli_progress(t0,
                      "linear field from %s: a %lld^3 grid zero-padded in Fourier space to "
                      "%lld^3 (no power above its Nyquist k = %.3g h/Mpc)",
                      hp_params_string(p, "LinearFieldFile"), (long long)fi->n, (long long)np,
                      M_PI * fi->n / hp_params_real(p, "BoxSize"));
    else
      hp_cli_progress(t0, "linear field from %s (%s, %lld^3)",
                      hp_params_string(p, "LinearFieldFile"), fi->fourier ? "delta_k" : "delta",
                      (long long)fi->n);
    hp_cli_progress(t0,
                    "  its power at k < %.3g h/Mpc is %.3f times the cosmology's P(k) at z = 0 "
                    "(1 expected; Sigma8 does not rescale a field file)",
                    fi->power_kmax, fi->power_ratio);
  } else if (*hp_params_string(p, "WhiteNoiseFile")) {
    hp_cli_progress(t0, "white noise from %s (variance %.4f)",
                    hp_params_string(p, "WhiteNoiseFile"), fi->var);
  }
  if (!hp_params_bool(p, "WriteLinearField")) return HP_OK;
  char name[128], path[4200], seedbuf[32];
  snprintf(name, sizeof name, "_linear%s.hdf5", suffix);
  hp_kv_list kv;
  if (hp_resolve_output_path(p, name, path, sizeof path, st) ||
      hp_cli_provenance_kv(p, seed, NULL, NULL, 0, seedbuf, &kv, st))
    return st->code;
  const int rc =
      hp_field_write_linear(path, (const float(*)[2])hp_lpt_delta_k(lpt), np,
                            hp_params_real(p, "BoxSize"), &kv, hp_resolve_threads(p), st);
  free((void *)kv.key), free((void *)kv.value);
  if (!rc) hp_cli_progress(t0, "wrote the linear field %s", path);
  return rc;
}
