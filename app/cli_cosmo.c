/* `halopaint cosmo FILE.param [--k LIST]`: the linear-theory table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpt/cosmology.h"
#include "params/resolve.h"
#include "app/cli.h"

/* Parse "k1,k2,..." into a malloc'd array; NULL and a message on bad input. */
static double *parse_k_list(const char *s, int *n) {
  int cap = 1;
  for (const char *c = s; *c; c++) cap += *c == ',';
  double *k = malloc((size_t)cap * sizeof *k);
  if (!k) return NULL;
  *n = 0;
  const char *c = s;
  while (*c) {
    char *end;
    errno = 0;
    double v = strtod(c, &end);
    if (end == c || errno || !(v > 0) || !isfinite(v) || (*end && *end != ',')) {
      fprintf(stderr,
              "halopaint cosmo: --k %s: expected positive numbers k [h/Mpc] "
              "separated by commas, at '%s'\n",
              s, c);
      free(k);
      return NULL;
    }
    k[(*n)++] = v;
    c = *end ? end + 1 : end;
  }
  return k;
}

int hp_cmd_cosmo(int argc, char **argv) {
  hp_cli_args a;
  if (hp_cli_parse(argc, argv, "cosmo", &a)) return 2;
  hp_params *p = hp_cli_load(&a, HP_NEED_COSMO);
  if (!p) return 1;
  hp_status st;
  hp_status_clear(&st);
  hp_cosmo_desc cd;
  hp_resolve_cosmology(p, &cd);
  hp_cosmology *c = NULL;
  int nk = 101, rc = 1;
  double *k = NULL;
  if (a.k_list) {
    if (!(k = parse_k_list(a.k_list, &nk))) goto done;
  } else {
    if (!(k = malloc((size_t)nk * sizeof *k))) goto done;
    for (int i = 0; i < nk; i++) k[i] = pow(10.0, -4.0 + 5.0 * i / (nk - 1));
  }
  const double z = hp_params_real(p, "Redshift");
  hp_growth g;
  if (hp_cosmology_create(&c, &cd, &st) || hp_cosmo_growth(c, 1.0 / (1.0 + z), &g, &st)) {
    hp_error_context(&st, "%s", a.param_file);
    rc = hp_cli_error("cosmo", &st);
    goto done;
  }
  printf("# k[h/Mpc] T(k) P(k,z=0)[(Mpc/h)^3] P(k,Redshift)[(Mpc/h)^3]\n");
  for (int i = 0; i < nk; i++) {
    const double pk = hp_cosmo_power(c, k[i]);
    printf("%.10e %.10e %.10e %.10e\n", k[i], hp_cosmo_transfer(c, k[i]), pk, g.D1 * g.D1 * pk);
  }
  const double radii[] = {1, 4, 8, 16};
  for (int i = 0; i < 4; i++)
    printf("# sigma(R=%g) = %.10f\n", radii[i], hp_cosmo_sigma(c, radii[i]));
  printf("# D1 = %.10f\n# f1 = %.10f\n# D2 = %.10f\n# f2 = %.10f\n", g.D1, g.f1, g.D2, g.f2);
  printf("# Redshift = %g, P(k) = A k^n_s T^2 with A = %.10e (Mpc/h)^(3+n_s)\n", z,
         hp_cosmo_amplitude(c));
  hp_kv_list kv = hp_params_kv(p);
  printf("# resolved parameters:\n");
  for (int i = 0; i < kv.n; i++) printf("#   %-24s %s\n", kv.key[i], kv.value[i]);
  rc = 0;
done:
  free(k);
  hp_cosmology_free(c);
  hp_params_free(p);
  return rc;
}
