#!/bin/sh
# The truth's own systematic per mass bin of the default model: halopaint sim on one validation
# seed with one setting made finer at a time (steps, force mesh, start redshift), halo counts
# per bin divided by those of the truth set-up on the same seed (the same phases: cosmic
# variance cancels, what remains is the setting), at every output redshift. Prints a Markdown
# table; about 40 minutes on 2 cores. docs/validation-nbody.md quotes it.
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
ref=data/truth/truth_seed${seed}_halos_z0.hdf5 # the truth set-up's run of the seed
[ -f "$ref" ] || { echo "truth-systematics: $ref missing (scripts/make-truth.sh)"; exit 1; }
run() { # name param overrides...: a sim of the seed with the overrides, once
  name=$1
  p=$2
  shift 2
  # the catalogue written last: that of the smallest output redshift (as make-truth.sh)
  last=$(awk '$1 == "OutputRedshifts" { n = split($2, z, ","); m = 1
    for (i = 2; i <= n; i++) if (z[i] + 0 < z[m] + 0) m = i; print z[m] }' "$p")
  f=$work/${name}_seed${seed}_halos_z$last.hdf5
  [ -f "$f" ] || OMP_WAIT_POLICY=passive $bin sim "$p" -s Seed=$seed \
    -s OutputDir=$work -s FileBase=${name}_seed$seed "$@" > "$work/$name.log"
}
run steps40 $par -s PMSteps=40
run steps80 $par -s PMSteps=80
run mesh3 $par -s PMGridFactor=3
run zi99 $par -s RedshiftIC=99
# the redshift models' truth (models/truth/truth-z.param): its seed against the 80-step run,
# and its own force-mesh twin (B = 3)
parz=models/truth/truth-z.param
refz=data/truth-z/truth_seed${seed}_halos_z0.5.hdf5
[ -f "$refz" ] || { echo "truth-systematics: $refz missing (scripts/make-truth.sh $parz)"; exit 1; }
run z30mesh3 $parz -s PMGridFactor=3
row() { # label z A B: counts of B / A per bin, one table row
  $bin stats hmf "$3" "$4" --mass-bins "$edges" -o "$work/hmf.txt" 2> /dev/null
  awk -v v="$1" -v z=$2 '!/^#/ { r = $8 / $4; e = r * sqrt(1 / $4 + 1 / $8); row = row sprintf(" %.3f +- %.3f (%d) |", r, e, $4) }
    END { printf "| %s | %s |%s\n", v, z, row }' "$work/hmf.txt"
}
# every output redshift of the truth set-up, each against the truth catalogue at that z
zs=$(awk '$1 == "OutputRedshifts" {gsub(",", " ", $2); print $2}' "$par")
echo "| setting (seed $seed) | z | bin 0 | bin 1 | bin 2 |"
echo "|---|---|---|---|---|"
for v in steps40 steps80 mesh3 zi99; do
  for z in $zs; do
    row "$v / truth" $z "data/truth/truth_seed${seed}_halos_z$z.hdf5" "$work/${v}_seed${seed}_halos_z$z.hdf5"
  done
done
for z in $(awk '$1 == "OutputRedshifts" {gsub(",", " ", $2); print $2}' "$parz"); do
  fz=data/truth-z/truth_seed${seed}_halos_z$z.hdf5
  row "truth-z / steps80" $z "$work/steps80_seed${seed}_halos_z$z.hdf5" "$fz"
  row "truth-z B = 3 / truth-z" $z "$fz" "$work/z30mesh3_seed${seed}_halos_z$z.hdf5"
done
