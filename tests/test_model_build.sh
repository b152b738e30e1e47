#!/bin/sh
# scripts/model-build.sh end to end on a tiny configuration: truth, training, count
# distribution, validation and card; then a second call that finds every stage done.
cd "$(dirname "$0")/.." || exit 1
fails=0
ok() { echo "[       OK ] $1"; }
bad() { echo "[  FAILED  ] $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/model-build.sh tests/tiny-build.param "$tmp/m" 2 1 > "$tmp/out.txt" 2>&1
check "model-build exits 0" '[ $? -eq 0 ] || { tail -5 "$tmp/out.txt"; false; }'
check "truth: 2 training and 1 validation boxes" '[ -f "$tmp/m/truth/tiny_seed1001_halos_z0.hdf5" ] && [ -f "$tmp/m/truth/tiny_seed1002_halos_z0.hdf5" ] && [ -f "$tmp/m/truth/tiny_seed2001_halos_z0.hdf5" ]'
check "the model carries its count distribution" 'bin/halopaint model info "$tmp/m/model.h5" | grep -q "Conway-Maxwell-Poisson"'
check "the card holds the model info and the validation table" 'grep -q "^## Validation of the painter" "$tmp/m/README.md" && grep -q "| bin \[Msun/h\] | abundance" "$tmp/m/README.md"'
check "the means calibrated on the training boxes before the count fit" 'grep -q "painted means calibrated by" "$tmp/m/train.log"'
check "the exclusion runs fitted after it, and on the card" 'grep -q "exclusion runs, bin 0: length" "$tmp/m/train.log" && bin/halopaint model info "$tmp/m/model.h5" | grep -q "exclusion runs .*bin 0 L = "'
check "the training log reached its updates" '[ "$(tail -n 1 "$tmp/m/train_log.csv" | cut -d, -f1)" = 20 ]'
sum1=$(sha256sum "$tmp/m/truth/tiny_seed1001_halos_z0.hdf5")
scripts/model-build.sh tests/tiny-build.param "$tmp/m" 2 1 > "$tmp/out2.txt" 2>&1
check "a second call resumes: no truth box redone, exit 0" '[ $? -eq 0 ] && grep -q "seed 1001: done" "$tmp/m/truth.log" && [ "$(sha256sum "$tmp/m/truth/tiny_seed1001_halos_z0.hdf5")" = "$sum1" ]'
echo "model build: $fails failed"
[ $fails -eq 0 ]
