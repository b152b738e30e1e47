#!/bin/sh
# Many light cones: every seed of SEEDS for every cosmology of COSMOLOGIES, resumable (a cone
# whose file exists is not redone: halopaint writes it under a temporary name and renames it),
# with a summary table at the end (cosmology, seed, halos, seconds, file).
#   usage: scripts/lightcone-production.sh CONE.param COSMOLOGIES SEEDS OUTDIR
# CONE.param: the light-cone parameter file (e.g. params/lightcone.param). COSMOLOGIES: a text
# file, one cosmology a line: a name, then Key=Value overrides of CONE.param (the cosmology and
# the models trained for it, LightconeModelFiles=...); '#' lines are comments. SEEDS: a seed
# list as the Seeds key takes it ("1-10", "1,4,7-9"). Each cone goes to
# OUTDIR/NAME/NAME_lightcone_seedS.hdf5 with its log beside it; the table to OUTDIR/summary.txt.
set -e
[ $# -eq 4 ] || { echo "usage: scripts/lightcone-production.sh CONE.param COSMOLOGIES SEEDS OUTDIR"; exit 2; }
par=$1
list=$2
seeds=$3
out=$4
bin=${HALOPAINT:-./bin/halopaint}
[ -f "$par" ] || { echo "lightcone-production: $par: no such parameter file"; exit 2; }
[ -f "$list" ] || { echo "lightcone-production: $list: no such cosmology list"; exit 2; }
[ -x "$bin" ] || { echo "lightcone-production: $bin not built (run make)"; exit 2; }
# the seed list, expanded once (the same syntax as the Seeds key)
expand() {
  echo "$1" | tr ',' '\n' | while read -r r; do
    case "$r" in
      *-*) a=${r%-*}; b=${r#*-}; [ "$a" -le "$b" ] || exit 1; seq "$a" "$b" ;;
      *) echo "$r" ;;
    esac
  done
}
all=$(expand "$seeds") || { echo "lightcone-production: SEEDS = $seeds: expected 1-10 or 1,4,7-9"; exit 2; }
mkdir -p "$out"
summary=$out/summary.txt.tmp
printf '%-16s %12s %10s %8s  %s\n' cosmology seed halos seconds file > "$summary"
grep -v '^[[:space:]]*#' "$list" | grep -v '^[[:space:]]*$' | while read -r name overrides; do
  mkdir -p "$out/$name"
  set --
  for o in $overrides; do set -- "$@" -s "$o"; done
  for s in $all; do
    f=$out/$name/${name}_lightcone_seed$s.hdf5
    if [ -f "$f" ]; then
      secs=$(cat "$out/$name/seed$s.seconds" 2> /dev/null || echo "-")
    else
      t0=$(date +%s)
      if ! OMP_WAIT_POLICY=passive "$bin" lightcone "$par" "$@" -s Seeds="$s" \
        -s OutputDir="$out/$name" -s FileBase="$name" -s OutputFormat=HDF5 \
        > "$out/$name/seed$s.log" 2>&1; then
        echo "lightcone-production: $name seed $s failed: $(tail -1 "$out/$name/seed$s.log")"
        printf '%-16s %12s %10s %8s  %s\n' "$name" "$s" failed - "$out/$name/seed$s.log" >> "$summary"
        continue
      fi
      secs=$(($(date +%s) - t0))
      echo "$secs" > "$out/$name/seed$s.seconds"
    fi
    n=$(awk '/^summary:/ {print $7}' "$out/$name/seed$s.log" 2> /dev/null)
    printf '%-16s %12s %10s %8s  %s\n' "$name" "$s" "${n:--}" "$secs" "$f" >> "$summary"
  done
done
mv "$summary" "$out/summary.txt"
cat "$out/summary.txt"
