#!/bin/sh
# make validate: a model against halopaint sim truth on the validation boxes it never saw
# (scripts/make-truth.sh: seeds 2001-2008), mean and error over the boxes per mass bin.
# Regenerates docs/validation.md and docs/img/validation-*.svg. About 1 minute a box on 2 cores
# (the truth boxes themselves: scripts/make-truth.sh, about 4 minutes a box).
#   usage: scripts/validate-model.sh [MODEL] [SEEDS]   (default models/default.h5, 2001-2008)
set -e
model=${1:-models/default.h5}
seeds=${2:-"2001 2002 2003 2004 2005 2006 2007 2008"}
bin=./bin/halopaint
truthdir=data/truth
work=data/validate
img=docs/img
mkdir -p "$work" "$img"
edges=$($bin model info "$model" | awk '/edges \[Msun\/h\]:/ {
  for (i = 1; i <= NF; i++) if ($i == "[Msun/h]:") s = i
  for (i = s + 1; i <= NF; i++) printf "%s%s", (i > s + 1 ? "," : ""), $i }')
[ -n "$edges" ] || { echo "validate: cannot read the mass-bin edges of $model"; exit 1; }
nb=$(echo "$edges" | awk -F, '{print NF - 1}')
lo() { echo "$edges" | awk -F, -v k=$1 '{print $(k + 1)}'; }
hi() { echo "$edges" | awk -F, -v k=$1 '{print $(k + 2)}'; }
used=""
for s in $seeds; do
  truth=$truthdir/truth_seed${s}_halos_z0.hdf5
  if [ ! -f "$truth" ]; then
    echo "validate: $truth missing (scripts/make-truth.sh makes it); box skipped"
    continue
  fi
  used="$used $s"
  d=$work/seed$s
  mkdir -p "$d"
  # the painted catalogue (the main job on the same phases) and the painted mean field
  $bin run params/default.param -s Seed=$s -s ModelFile="$model" -s OutputDir=$d \
    -s FileBase=painted > $d/run.log
  $bin stats mesh params/default.param -s Seed=$s --mesh 64 --no-interlace --no-deconvolve \
    -o $d/density.h5 2> /dev/null
  $bin paint "$model" $d/density.h5 $d/counts.h5 > /dev/null
  k=0
  while [ $k -lt "$nb" ]; do
    r="$(lo $k),$(hi $k)"
    # catalogue: raw spectra both sides (both carry their shot noise)
    $bin stats cross "$truth" $d/painted_seed$s.hdf5 --mass-range "$r" --mesh 64 \
      --baseline none -o $d/cross_cat_$k.txt 2> /dev/null
    # painted mean field (no shot noise) against the raw truth, beside the linear baseline
    $bin stats cross "$truth" $d/counts.h5 --dataset counts --kind density --component $k \
      --mass-range "$r" --mesh 64 -o $d/cross_field_$k.txt 2> /dev/null
    k=$((k + 1))
  done
  $bin stats hmf "$truth" $d/painted_seed$s.hdf5 --mass-bins "$edges" -o $d/hmf.txt 2> /dev/null
  $bin stats pdf "$truth" $d/painted_seed$s.hdf5 --mass-bins "$edges" --mesh 64 \
    -o $d/pdf.txt 2> /dev/null
  echo "validate: seed $s done"
done
[ -n "$used" ] || { echo "validate: no validation box found under $truthdir"; exit 1; }
python3 scripts/validation_report.py "$model" "$work" "$nb" "$edges" $used > docs/validation.md.tmp
mv docs/validation.md.tmp docs/validation.md
echo "validate: docs/validation.md and $img/validation-*.svg written"
