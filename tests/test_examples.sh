#!/bin/sh
# Tests of the example host program (examples/host_paint.c) and of `make install`: the example
# paints particles through the public API and prints sane totals; an installed prefix holds the
# libraries, headers, program and a pkg-config file from which a tiny host program compiles,
# links and runs. Run from the repository root (make test does).
set -u
ex=./build/examples/host_paint
. tests/lib.sh

# --- the example host program --------------------------------------------------------------
if [ ! -x "$ex" ]; then
  bad "example built ($ex missing: make $ex)"
else
  ntmp=$(ls -d /tmp/host_paint.* 2>/dev/null | wc -l)
  "$ex" > "$tmp/ex.txt" 2> "$tmp/ex.err"
  rc=$?
  check "host_paint exits 0" '[ $rc -eq 0 ]'
  check "host_paint prints nothing on stderr" '[ ! -s "$tmp/ex.err" ]'
  check "host_paint: 16^3 voxels of 4 Mpc/h" 'grep -q "20000 particles in a 64 Mpc/h box, 16^3 voxels of 4 Mpc/h" "$tmp/ex.txt"'
  check "host_paint: CPU device, K = 2" 'grep -q "model K = 2 (random initialisation, seed 1), device cpu" "$tmp/ex.txt"'
  check "host_paint: density is rho/rho_mean (mean 1)" 'grep -q "density mean 1.0000" "$tmp/ex.txt"'
  check "host_paint: one line per mass bin" '[ "$(grep -c "Msun/h: total painted counts" "$tmp/ex.txt")" -eq 2 ]'
  # totals: positive and finite, and the per-bin totals add up to the total
  awk '/Msun\/h: total painted counts/ { s += $NF; nb++; if (!($NF + 0 > 0) || $NF ~ /inf|nan/) badv = 1 }
       /^host_paint: total painted counts/ { t = $NF }
       END { exit !(nb == 2 && !badv && t > 0 && (s - t) * (s - t) < 1e-6 * t * t) }' "$tmp/ex.txt"
  check "host_paint: totals positive, finite and consistent" '[ $? -eq 0 ]'
  # deterministic: a second run prints the same numbers (any thread count)
  OMP_NUM_THREADS=1 "$ex" > "$tmp/ex1.txt" 2>&1
  check "host_paint: same output with 1 thread" 'cmp -s "$tmp/ex.txt" "$tmp/ex1.txt"'
  # more particles, same box: still mean 1, a different total
  "$ex" 50000 > "$tmp/ex5.txt" 2>&1
  check "host_paint 50000: runs, mean 1" 'grep -q "50000 particles" "$tmp/ex5.txt" && grep -q "density mean 1.0000" "$tmp/ex5.txt"'
  "$ex" 0 > /dev/null 2>&1
  check "host_paint 0: refused with exit 2" '[ $? -eq 2 ]'
  check "host_paint leaves no temporary files" '[ "$(ls -d /tmp/host_paint.* 2>/dev/null | wc -l)" -eq "$ntmp" ]'
fi

# --- the documented commands on the example's files (docs/model-format.md, docs/paint.md) ----
bin=./bin/halopaint
if [ -x "$bin" ] && [ -x "$ex" ]; then
  $bin model init "$tmp/m.h5" --seed 3 --bins 1e13,1e14 > "$tmp/init.txt" 2>&1
  check "model init writes a K = 1 model" '[ $? -eq 0 ] && grep -q "K = 1 mass bin(s), 32081 parameters, seed 3" "$tmp/init.txt"'
  $bin model info "$tmp/m.h5" > "$tmp/card.txt" 2>&1
  check "model info exits 0" '[ $? -eq 0 ]'
  check "model card: 32,081 parameters" 'grep -q "total parameters  *32,081" "$tmp/card.txt"'
  check "model card: halo 4" 'grep -q "halo  *4 voxels per side" "$tmp/card.txt"'
  check "model card: multiply-adds and GFLOP" 'grep -q "multiply-adds per voxel  *31,940" "$tmp/card.txt" && grep -q "128^3: 134.0 GFLOP, 256^3: 1071.7 GFLOP" "$tmp/card.txt"'
  check "model card: 15 layers, metadata with units" '[ "$(grep -c "^  [a-z0-9]*/[a-z0-9_]*  " "$tmp/card.txt")" -eq 15 ] && grep -q "voxel size  *4 Mpc/h" "$tmp/card.txt" && grep -q "\[1e+13, 1e+14) Msun/h" "$tmp/card.txt" && grep -q "untrained (NaN)" "$tmp/card.txt"'
  $bin model init "$tmp/m2.h5" --seed 3 --bins 1e14,1e13 --voxel-size 2 > /dev/null 2> "$tmp/e.txt"
  check "model init: decreasing bins refused (exit 1, named)" '[ $? -eq 1 ] && grep -q "MassBinEdges\[1\]" "$tmp/e.txt" && [ ! -e "$tmp/m2.h5" ]'
  $bin model init "$tmp/m2.h5" --bins 1e13,1e14 > /dev/null 2>&1
  check "model init: --seed required (exit 2)" '[ $? -eq 2 ] && [ ! -e "$tmp/m2.h5" ]'
  $bin model info "$tmp/init.txt" > /dev/null 2> "$tmp/e.txt"
  check "model info: a non-model is refused, named" '[ $? -eq 1 ] && grep -q "init.txt" "$tmp/e.txt"'
  mkdir -p "$tmp/ex"
  "$ex" 20000 "$tmp/ex" > "$tmp/exk.txt" 2>&1
  check "host_paint OUTDIR keeps model.h5, writes density.h5" '[ -f "$tmp/ex/model.h5" ] && [ -f "$tmp/ex/density.h5" ]'
  $bin paint "$tmp/ex/model.h5" "$tmp/ex/density.h5" "$tmp/ex/counts.h5" --threads 1 > "$tmp/paint.txt" 2> "$tmp/paint.err"
  check "paint exits 0, no warning on a periodic rho/rho_mean grid" '[ $? -eq 0 ] && [ ! -s "$tmp/paint.err" ] && [ -f "$tmp/ex/counts.h5" ]'
  # the command line paints what the API painted in the host program
  for k in 0 1; do
    a=$(sed -n "s/^host_paint: bin $k .*total painted counts //p" "$tmp/exk.txt")
    b=$(sed -n "s/.*bin $k .*Msun\/h: \([^ ]*\) halos painted/\1/p" "$tmp/paint.txt")
    check "paint bin $k total = host_paint's ($a vs $b)" "awk -v a='$a' -v b='$b' 'BEGIN { exit !(a > 0 && (a - b) * (a - b) <= 1e-8 * a * a) }'"
  done
  $bin paint "$tmp/ex/model.h5" "$tmp/ex/density.h5" "$tmp/ex/np.h5" --periodic 0 > "$tmp/np.txt" 2>&1
  check "paint --periodic 0: output n - 8" '[ $? -eq 0 ] && grep -q "painted 2 grid(s) of 8 x 8 x 8 (non-periodic)" "$tmp/np.txt"'
  $bin paint "$tmp/ex/model.h5" "$tmp/ex/density.h5" "$tmp/ex/c2.h5" --dataset rho > /dev/null 2> "$tmp/e.txt"
  check "paint: missing dataset named, nothing written" '[ $? -eq 1 ] && grep -q "rho" "$tmp/e.txt" && [ ! -e "$tmp/ex/c2.h5" ]'
  $bin paint "$tmp/ex/model.h5" "$tmp/ex/density.h5" "$tmp/no/dir/c.h5" > /dev/null 2> "$tmp/e.txt"
  check "paint: unwritable output refused" '[ $? -eq 1 ] && grep -q "no/dir" "$tmp/e.txt"'
  # --device cuda paints where a GPU is present; elsewhere it is refused and says why
  $bin paint "$tmp/ex/model.h5" "$tmp/ex/density.h5" "$tmp/gpu.h5" --device cuda > /dev/null 2> "$tmp/e.txt"
  rc=$?
  $bin paint "$tmp/ex/model.h5" "$tmp/ex/density.h5" "$tmp/fp16.h5" --precision fp16 > /dev/null 2> "$tmp/e16.txt"
  check "paint --precision fp16: refused naming the value" '[ $? -eq 1 ] && grep -q "precision \"fp16\"" "$tmp/e16.txt" && [ ! -e "$tmp/fp16.h5" ]'
  check "paint --device cuda: painted on a GPU, or refused naming the device" \
    '{ [ $rc -eq 0 ] && [ -s "$tmp/gpu.h5" ]; } || { [ $rc -eq 1 ] && grep -q "device \"cuda\"" "$tmp/e.txt" && [ ! -e "$tmp/gpu.h5" ]; }'
  check "paint: failed runs leave only their inputs and good outputs" '[ "$(ls "$tmp/ex" | tr "\n" " ")" = "counts.h5 density.h5 model.h5 np.h5 " ]'
fi

# --- make install and pkg-config -----------------------------------------------------------
if ! command -v pkg-config > /dev/null 2>&1; then
  echo "SKIP: pkg-config not installed (make install test)"
else
  prefix="$tmp/prefix"
  make --no-print-directory install PREFIX="$prefix" > "$tmp/install.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || tail -20 "$tmp/install.log"
  check "make install PREFIX=... succeeds" '[ $rc -eq 0 ]'
  check "installed libraries" '[ -f "$prefix/lib/libhalopaint.a" ] && [ -f "$prefix/lib/libhalopaint.so" ]'
  check "installed program" '[ -x "$prefix/bin/halopaint" ]'
  check "installed public headers" '[ -f "$prefix/include/halopaint/halopaint.h" ] && [ -f "$prefix/include/halopaint/util/status.h" ] && [ -f "$prefix/include/halopaint/nn/model_io.h" ]'
  check "installed pkg-config file" '[ -f "$prefix/lib/pkgconfig/halopaint.pc" ]'
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  check "pkg-config knows halopaint and its version" '[ "$(pkg-config --modversion halopaint)" = "$(sed -n "s/.*HP_VERSION \"\(.*\)\".*/\1/p" plugin/version.h)" ]'
  check "pkg-config --static lists the private libraries" 'pkg-config --static --libs halopaint | grep -q -- "-lfftw3f_omp" && pkg-config --static --libs halopaint | grep -q -- "-lhdf5"'
  cat > "$tmp/tiny.c" <<'C'
/* A tiny host program built only from the installed prefix. */
#include <stdio.h>
#include <halopaint.h>
#include <halopaint/halopaint.h> /* both spellings work */
int main(void) {
  hp_options o;
  hp_options_default(&o);
  o.device = "gpu";
  struct hp_context *ctx = hp_init(&o);
  if (ctx == NULL || hp_last_code(ctx) != HP_ERR_INPUT) return 1;
  hp_finalize(ctx);
  o.device = "cpu";
  ctx = hp_init(&o);
  hp_model_handle *m = NULL;
  int rc = hp_model_open(ctx, "/nonexistent/model.h5", &m);
  printf("device %s, API %d, open: %d (%s)\n", hp_device(ctx), HP_API_VERSION, rc,
         hp_code_name(rc));
  hp_finalize(ctx);
  return rc == HP_ERR_IO ? 0 : 1;
}
C
  # shellcheck disable=SC2046
  ${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror -o "$tmp/tiny" "$tmp/tiny.c" $(pkg-config --cflags --libs halopaint) > "$tmp/cc.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || cat "$tmp/cc.log"
  check "tiny host compiles with pkg-config --cflags --libs halopaint" '[ $rc -eq 0 ]'
  LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/tiny" > "$tmp/tiny.txt" 2>&1
  rc=$?
  check "tiny host runs against the installed library" '[ $rc -eq 0 ] && grep -q "device cpu, API 1, open: 2" "$tmp/tiny.txt"'
  check "installed halopaint runs" '"$prefix/bin/halopaint" version | grep -q halopaint'
fi

echo "== test_examples.sh: $fails failed"
[ "$fails" -eq 0 ]
