#!/bin/sh
# make validate: a model against halopaint sim truth on the validation boxes it never saw
# (scripts/make-truth.sh: seeds 2001-2008), mean and error over the boxes per mass bin.
# Regenerates docs/validation.md and docs/img/validation-*.svg. About 1 minute a box on 2 cores
# (the truth boxes themselves: scripts/make-truth.sh, about 4 minutes a box).
#   usage: scripts/validate-model.sh [MODEL] [SEEDS]   (default models/default.h5, 2001-2008)
# scripts/model-build.sh points it elsewhere with VALIDATE_TRUTH (the truth directory),
# VALIDATE_PARAM (the run's parameter file), VALIDATE_WORK, VALIDATE_REPORT, VALIDATE_BASE (the
# truth's FileBase) and VALIDATE_Z (its redshift); VALIDATE_COUNTS=Poisson samples Poisson
# counts instead of the model's count distribution (for comparison); VALIDATE_NPARTICLES sets
# the painter's input particles where the truth's own NParticles differs (TrainInputNParticles).
set -e
model=${1:-models/default.h5}
seeds=${2:-"2001 2002 2003 2004 2005 2006 2007 2008"}
bin=${HALOPAINT:-./bin/halopaint}
truthdir=${VALIDATE_TRUTH:-data/truth}
runpar=${VALIDATE_PARAM:-params/default.param}
inp=${VALIDATE_NPARTICLES:+-s NParticles=$VALIDATE_NPARTICLES}
counts=${VALIDATE_COUNTS:-Model}
suffix=$([ "$counts" = Model ] || echo "-$counts")
work=${VALIDATE_WORK:-data/validate/$(basename "$model" .h5)$suffix}
report=${VALIDATE_REPORT:-docs/validation.md}
base=${VALIDATE_BASE:-truth}
z=${VALIDATE_Z:-0}
img=$(dirname "$report")/img
mkdir -p "$work" "$img"
box=$(awk '$1 == "BoxSize" {print $2}' "$runpar")
vox=$($bin model info "$model" | awk '$1 == "voxel" && $2 == "size" {print $3}')
mesh=$(awk -v b="$box" -v v="$vox" 'BEGIN { printf "%d", b / v + 0.5 }')
edges=$($bin model info "$model" | awk '/edges \[Msun\/h\]:/ {
  for (i = 1; i <= NF; i++) if ($i == "[Msun/h]:") s = i
  for (i = s + 1; i <= NF; i++) printf "%s%s", (i > s + 1 ? "," : ""), $i }')
[ -n "$edges" ] || { echo "validate: cannot read the mass-bin edges of $model"; exit 1; }
nb=$(echo "$edges" | awk -F, '{print NF - 1}')
lo() { echo "$edges" | awk -F, -v k=$1 '{print $(k + 1)}'; }
hi() { echo "$edges" | awk -F, -v k=$1 '{print $(k + 2)}'; }
sha="$(sha256sum "$model" | cut -c1-64)$suffix"
# each bin's truth and painted catalogues against the box's 2LPT matter density (the same
# phases): the bias by cross-power, free of shot noise, and the stochasticity beside it
matter_cross() {
  k=0
  while [ $k -lt "$nb" ]; do
    r="$(lo $k),$(hi $k)"
    for side in truth painted; do
      f=$1/xm_${side}_$k.txt
      [ -f "$f" ] && continue
      c=$truth
      [ $side = painted ] && c=$1/painted_seed$2.hdf5
      $bin stats cross $1/density.h5 "$c" --b-kind counts --mass-range "$r" --mesh $mesh \
        --no-interlace --no-deconvolve --baseline none -o "$f" 2> /dev/null || rm -f "$f"
    done
    k=$((k + 1))
  done
}
# counts in cells of truth and sampled catalogues, and the PDF the model's count distribution
# expects from the painted means (without the one draw's noise)
pdf_table() {
  grep -q 'voxels_2_m0' "$1/pdf.txt" 2> /dev/null && return 0
  $bin stats pdf "$truth" "$1/painted_seed$2.hdf5" "$1/counts.h5" --dataset counts \
    --model "$model" --mass-bins "$edges" --mesh $mesh -o "$1/pdf.txt" 2> /dev/null
}
used=""
for s in $seeds; do
  truth=$truthdir/${base}_seed${s}_halos_z$z.hdf5
  if [ ! -f "$truth" ]; then
    echo "validate: $truth missing (scripts/make-truth.sh makes it); box skipped"
    continue
  fi
  used="$used $s"
  d=$work/seed$s
  mkdir -p "$d"
  # resumable: a box whose tables were made with this very model is not redone
  if [ -f "$d/pdf.txt" ] && [ "$(cat "$d/model.sha" 2> /dev/null)" = "$sha" ]; then
    matter_cross "$d" "$s" # boxes validated before these tables existed
    pdf_table "$d" "$s"
    echo "validate: seed $s done before"
    continue
  fi
  rm -f "$d/pdf.txt" "$d"/xm_*.txt
  # the painted catalogue (the main job on the same phases) and the painted mean field
  $bin run "$runpar" $inp -s Seed=$s -s Redshift=$z -s ModelFile="$model" -s CountSampling=$counts -s OutputDir=$d \
    -s FileBase=painted > $d/run.log
  $bin stats mesh "$runpar" $inp -s Seed=$s -s Redshift=$z --mesh $mesh --no-interlace \
    --no-deconvolve -o $d/density.h5 2> /dev/null
  $bin paint "$model" $d/density.h5 $d/counts.h5 > /dev/null
  k=0
  while [ $k -lt "$nb" ]; do
    r="$(lo $k),$(hi $k)"
    # catalogue: raw spectra both sides (both carry their shot noise)
    # (a bin without truth halos in this box has no spectra: the report says so)
    $bin stats cross "$truth" $d/painted_seed$s.hdf5 --mass-range "$r" --mesh $mesh \
      --baseline none -o $d/cross_cat_$k.txt 2> /dev/null || rm -f $d/cross_cat_$k.txt
    # painted mean field (no shot noise) against the raw truth, beside the linear baseline
    [ -f $d/cross_cat_$k.txt ] && $bin stats cross "$truth" $d/counts.h5 --dataset counts \
      --kind density --component $k --mass-range "$r" --mesh $mesh -o $d/cross_field_$k.txt \
      2> /dev/null
    k=$((k + 1))
  done
  matter_cross "$d" "$s"
  $bin stats hmf "$truth" $d/painted_seed$s.hdf5 --mass-bins "$edges" -o $d/hmf.txt 2> /dev/null
  pdf_table "$d" "$s"
  echo "$sha" > "$d/model.sha"
  echo "validate: seed $s done"
done
[ -n "$used" ] || { echo "validate: no validation box found under $truthdir"; exit 1; }
VALIDATE_COUNTS=$counts python3 "$(dirname "$0")/validation_report.py" "$model" "$work" "$nb" \
  "$edges" "$img" $used \
  > "$report.tmp"
mv "$report.tmp" "$report"
echo "validate: $report and $img/validation-*.svg written"
