#!/bin/sh
# The truth's own systematic per mass bin of the default model: halopaint sim on one validation
# seed with one setting made finer at a time (steps, force mesh, start redshift), halo counts
# per bin divided by those of the truth set-up on the same seed (the same phases: cosmic
# variance cancels, what remains is the setting). Prints a Markdown table; about 25 minutes on
# 2 cores. docs/validation-nbody.md quotes it.
#   usage: scripts/truth-systematics.sh [SEED]   (default 2001)
set -e
seed=${1:-2001}
bin=${HALOPAINT:-./bin/halopaint}
par=models/truth/truth.param
work=data/systematics
mkdir -p "$work"
edges=$($bin model info models/default.h5 | awk '/edges \[Msun\/h\]:/ {
  for (i = 1; i <= NF; i++) if ($i == "[Msun/h]:") s = i
  for (i = s + 1; i <= NF; i++) printf "%s%s", (i > s + 1 ? "," : ""), $i }')
ref=data/truth/truth_seed${seed}_halos_z0.hdf5
[ -f "$ref" ] || { echo "truth-systematics: $ref missing (scripts/make-truth.sh)"; exit 1; }
run() { # name overrides...: a sim of the seed with the overrides, once
  name=$1
  shift
  f=$work/${name}_seed${seed}_halos_z0.hdf5
  [ -f "$f" ] || OMP_WAIT_POLICY=passive $bin sim "$par" -s Seed=$seed \
    -s OutputDir=$work -s FileBase=${name}_seed$seed "$@" > "$work/$name.log"
}
run steps40 -s PMSteps=40
run mesh3 -s PMGridFactor=3
run zi99 -s RedshiftIC=99
echo "| setting (seed $seed) | bin 0 | bin 1 | bin 2 |"
echo "|---|---|---|---|"
for v in steps40 mesh3 zi99; do
  $bin stats hmf "$ref" "$work/${v}_seed${seed}_halos_z0.hdf5" --mass-bins "$edges" \
    -o "$work/hmf_$v.txt" 2> /dev/null
  awk -v v=$v '!/^#/ { r = $8 / $4; e = r * sqrt(1 / $4 + 1 / $8); row = row sprintf(" %.3f +- %.3f |", r, e) }
    END { printf "| %s / truth |%s\n", v, row }' "$work/hmf_$v.txt"
done
