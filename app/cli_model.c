/*
 * `halopaint model init OUT.h5 --seed S --bins e0,e1,...,eK [--voxel-size V] [--redshift Z]`:
 * a randomly initialised painter model (the paper's initialisation), and
 * `halopaint model info FILE.h5`: its model card (architecture, layer table, parameter count,
 * halo, cost per voxel and per box, all metadata with units).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model_io.h"
#include "app/cli.h"
#include "util/hdf5_util.h"

static int usage(FILE *out) {
  fprintf(out,
          "usage: halopaint model init OUT.h5 --seed S --bins e0,e1,...,eK [--voxel-size V] "
          "[--redshift Z]\n"
          "         a randomly initialised model: K mass bins with edges e0 < ... < eK [Msun/h],\n"
          "         weights N(0, 0.1), biases 0.1; voxel V Mpc/h (default 4), redshift Z (0)\n"
          "       halopaint model info FILE.h5\n"
          "         the model card: architecture, layers, parameters, cost, metadata\n");
  return 2;
}

/* A whole-string finite number. */
static int parse_real(const char *s, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* "e0,e1,...": at least 2 and at most HP_NET_MAX_K + 1 numbers; returns the count or -1. */
static int parse_list(const char *s, double *v, int max) {
  int n = 0;
  const char *p = s;
  while (*p) {
    char item[64];
    size_t len = strcspn(p, ",");
    if (len == 0 || len >= sizeof item || n == max) return -1;
    memcpy(item, p, len);
    item[len] = '\0';
    if (!parse_real(item, &v[n++])) return -1;
    p += len;
    if (*p == ',') {
      p++;
      if (*p == '\0') return -1;
    }
  }
  return n;
}

static int cmd_init(int argc, char **argv) {
  const char *out = NULL, *bins = NULL, *seed_s = NULL;
  double voxel = NAN, z = NAN, edges[HP_NET_MAX_K + 1];
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (!strcmp(a, "--seed") && has) {
      seed_s = argv[++i];
    } else if (!strcmp(a, "--bins") && has) {
      bins = argv[++i];
    } else if (!strcmp(a, "--voxel-size") && has) {
      if (!parse_real(argv[++i], &voxel) || voxel <= 0) {
        fprintf(stderr, "halopaint model init: --voxel-size %s: expected a number > 0 (Mpc/h)\n",
                argv[i]);
        return 2;
      }
    } else if (!strcmp(a, "--redshift") && has) {
      if (!parse_real(argv[++i], &z) || z <= -1) {
        fprintf(stderr, "halopaint model init: --redshift %s: expected a number > -1\n", argv[i]);
        return 2;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "halopaint model init: unknown option or missing value: '%s'\n", a);
      return usage(stderr);
    } else if (out == NULL) {
      out = a;
    } else {
      fprintf(stderr, "halopaint model init: unexpected argument '%s'\n", a);
      return usage(stderr);
    }
  }
  if (out == NULL || bins == NULL || seed_s == NULL) {
    fprintf(stderr, "halopaint model init: OUT.h5, --seed and --bins are required\n");
    return usage(stderr);
  }
  char *end;
  errno = 0;
  unsigned long long seed = strtoull(seed_s, &end, 10);
  if (!isdigit((unsigned char)seed_s[0]) || *end != '\0' || errno != 0) {
    fprintf(stderr, "halopaint model init: --seed %s: expected an integer 0..%llu\n", seed_s,
            (unsigned long long)UINT64_MAX);
    return 2;
  }
  int ne = parse_list(bins, edges, HP_NET_MAX_K + 1);
  if (ne < 2) {
    fprintf(stderr,
            "halopaint model init: --bins %s: expected 2 to %d comma-separated masses [Msun/h] "
            "(K + 1 edges for K bins)\n",
            bins, HP_NET_MAX_K + 1);
    return 2;
  }
  hp_model m;
  hp_status st;
  hp_status_clear(&st);
  if (hp_model_init(&m, ne - 1, edges, (uint64_t)seed, &st)) return hp_cli_error("model init", &st);
  if (!isnan(voxel)) m.meta.voxel_size = voxel;
  if (!isnan(z)) m.meta.redshift = z;
  int rc = hp_model_save(&m, out, &st);
  if (rc) {
    hp_model_free(&m);
    return hp_cli_error("model init", &st);
  }
  printf("wrote %s: %s, K = %d mass bin(s), %zu parameters, seed %llu, voxel %g Mpc/h, z = %g\n",
         out, HP_MODEL_ARCH_NAME, m.net.k_out, m.net.nparams, seed, m.meta.voxel_size,
         m.meta.redshift);
  hp_model_free(&m);
  return 0;
}

/* 32081 -> "32,081". */
static const char *thousands(double v, char *buf, size_t size) {
  char digits[64];
  snprintf(digits, sizeof digits, "%.0f", v);
  size_t n = strlen(digits), j = 0;
  for (size_t i = 0; i < n && j + 2 < size; i++) {
    buf[j++] = digits[i];
    if (i + 1 < n && (n - i - 1) % 3 == 0 && digits[i] != '-') buf[j++] = ',';
  }
  buf[j] = '\0';
  return buf;
}

static void print_cosmo(const char *name, double v, const char *unit) {
  if (isnan(v))
    printf("  %-22s untrained (NaN)\n", name);
  else
    printf("  %-22s %.6g%s%s\n", name, v, unit[0] ? " " : "", unit);
}

static int cmd_info(int argc, char **argv) {
  if (argc != 1 || argv[0][0] == '-') return usage(stderr);
  const char *path = argv[0];
  hp_model m;
  hp_status st;
  char buf[64], *software = NULL;
  hp_status_clear(&st);
  if (hp_model_load(&m, path, &st)) return hp_cli_error("model info", &st);
  {
    hid_t f;
    if (!hp_h5_open_ro(path, &f, &st)) {
      if (hp_h5_read_attr_string(f, "Software", &software, &st)) software = NULL;
      H5Fclose(f);
    }
  }
  const hp_net *net = &m.net;
  const hp_model_meta *meta = &m.meta;
  const int halo = hp_net_halo(net);
  const double macs = hp_net_macs_per_voxel(net);
  printf("# Model card: %s\n\n", path);
  printf("format version %d, written by %s\n\n", meta->format_version,
         software ? software : "(unknown)");
  free(software);
  printf("## Architecture\n");
  printf(
      "  %s (Kodi Ramanah, Charnock & Lavaux 2019): %d input channel (%s), K = %d output%s "
      "(mass bins)\n",
      HP_MODEL_ARCH_NAME, net->cin, meta->density_norm, net->k_out, net->k_out > 1 ? "s" : "");
  printf(
      "  3D convolutions, valid padding, stride 1, with bias; leaky ReLU slope %g; ReLU "
      "output\n",
      (double)net->slope);
  printf("  %d residual Inception blocks, head of %d 1x1x1 layers\n\n", net->nblocks,
         net->head_len);
  printf("  %-28s %4s %5s %3s %6s %10s %11s %11s\n", "layer", "cin", "cout", "k", "stride",
         "parameters", "weight mean", "weight std");
  for (int i = 0; i < net->nconv; i++) {
    const hp_conv *c = &net->conv[i];
    const size_t nw = (size_t)c->cout * c->cin * c->k * c->k * c->k;
    double s = 0, s2 = 0;
    for (size_t j = 0; j < nw; j++) {
      s += net->w[c->w_off + j];
      s2 += (double)net->w[c->w_off + j] * net->w[c->w_off + j];
    }
    const double mean = s / (double)nw, var = s2 / (double)nw - mean * mean;
    printf("  %-28s %4d %5d %3d %6d %10s %11.4g %11.4g\n", c->name, c->cin, c->cout, c->k,
           c->stride, thousands((double)(nw + (size_t)c->cout), buf, sizeof buf), mean,
           sqrt(var > 0 ? var : 0));
  }
  printf("\n  total parameters            %s\n", thousands((double)net->nparams, buf, sizeof buf));
  printf(
      "  halo                        %d voxels per side (input side n paints side n - %d; a "
      "periodic box is padded by %d)\n",
      halo, 2 * halo, halo);
  printf("  multiply-adds per voxel     %s\n", thousands(macs, buf, sizeof buf));
  printf(
      "  cost of a periodic box      128^3: %.1f GFLOP, 256^3: %.1f GFLOP (2 FLOP per "
      "multiply-add)\n\n",
      2.0 * macs * 128.0 * 128 * 128 / 1e9, 2.0 * macs * 256.0 * 256 * 256 / 1e9);
  printf("## Metadata\n");
  printf("  %-22s %g Mpc/h\n", "voxel size", meta->voxel_size);
  printf("  %-22s %g\n", "redshift", meta->redshift);
  printf("  %-22s %d\n", "LPT order", meta->lpt_order);
  printf("  %-22s %g (%.4g^3)\n", "particles per voxel", meta->particles_per_voxel,
         cbrt(meta->particles_per_voxel));
  printf("  %-22s %s\n", "density input", meta->density_norm);
  printf("  %-22s %d, edges [Msun/h]:", "mass bins", meta->nbins);
  for (int i = 0; i <= meta->nbins; i++) printf(" %.6g", meta->bin_edges[i]);
  printf("\n");
  for (int i = 0; i < meta->nbins; i++)
    printf("    bin %-16d [%.4g, %.4g) Msun/h\n", i, meta->bin_edges[i], meta->bin_edges[i + 1]);
  printf("  training cosmology:\n");
  print_cosmo("  Omega0", meta->omega_m, "");
  print_cosmo("  OmegaLambda", meta->omega_l, "");
  print_cosmo("  OmegaBaryon", meta->omega_b, "");
  print_cosmo("  HubbleParam", meta->h, "(H0 / 100 km/s/Mpc)");
  print_cosmo("  Sigma8", meta->sigma8, "(at 8 Mpc/h)");
  print_cosmo("  PrimordialIndex", meta->n_s, "");
  if (hp_count_is_cmp(meta->count.kind)) {
    const int step = meta->count.kind == HP_COUNT_CMP_STEP;
    printf("  %-22s Conway-Maxwell-Poisson of the painted mean, ln nu = a + b ln(1 + mu)%s\n",
           "count distribution", step ? ", group step kappa (cmp-step)" : "");
    for (int i = 0; i < meta->nbins; i++) {
      printf("    bin %-16d a = %+.4f, b = %+.4f (nu = %.3f at mu = 0.1, %.3f at mu = 1)", i,
             meta->count.a[i], meta->count.b[i], exp(hp_count_lognu(&meta->count, i, 0.1)),
             exp(hp_count_lognu(&meta->count, i, 1.0)));
      if (step) printf(", kappa = %+.4f", meta->count.step[i]);
      printf("\n");
    }
  } else {
    printf("  %-22s Poisson of the painted mean\n", "count distribution");
  }
  printf("  %-22s", "exclusion runs");
  for (int i = 0; i < meta->nbins; i++)
    printf("%s bin %d L = %.3f", i ? "," : "", i, meta->count.run[i]);
  printf(" (0: independent draws; docs/run.md)\n");
  /* the provenance is free text from a file: no control characters reach the terminal */
  char prov[sizeof meta->provenance];
  size_t j = 0;
  for (const unsigned char *c = (const unsigned char *)meta->provenance; *c && j + 1 < sizeof prov;
       c++)
    prov[j++] = (*c < 0x20 || *c == 0x7f) ? '?' : (char)*c;
  prov[j] = '\0';
  printf("  %-22s %s\n", "provenance", prov);
  hp_model_free(&m);
  return 0;
}

int hp_cmd_model(int argc, char **argv) {
  if (argc < 1) return usage(stderr);
  if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[0], "init")) return cmd_init(argc - 1, argv + 1);
  if (!strcmp(argv[0], "info")) return cmd_info(argc - 1, argv + 1);
  fprintf(stderr, "halopaint model: unknown subcommand '%s'\n", argv[0]);
  return usage(stderr);
}
