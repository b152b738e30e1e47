#!/bin/sh
# A painter model for any cosmology in one command: truth boxes, training, the count
# distribution, validation over the held-out boxes, and the model card. Every stage resumes: a
# finished truth box is not redone, training continues from its checkpoint, and a stage whose
# output exists is skipped.
#   usage: scripts/model-build.sh BUILD.param OUTDIR [NTRAIN] [NVALID]
# BUILD.param is one parameter file for both `halopaint sim` and `halopaint train`: the
# cosmology, BoxSize, NParticles, the PM and FoF keys, OutputRedshifts (the model's redshift is
# the last; at z >= 0.5 give PMSteps enough for it: 20 linear steps from z = 49 are converged at
# z = 0 but miss 7-24 % of the halos at z = 1-2, docs/validation-nbody.md; models/truth/truth-z.param
# ends 30 steps at z = 0.5), and the Train* keys (TrainMassBins, TrainUpdates, TrainPatch, ...;
# TrainInputNParticles paints from fewer particles than the truth has, as the low-mass model).
# The truth seeds are 1001.. (training) and 2001.. (validation). What made the default model:
# TrainObjective poisson, TrainLearningRate 3e-4, TrainBeta1 0.9, TrainAverageDecay 0.998
# (models/README.md). Writes OUTDIR/model.h5, OUTDIR/README.md (the card: `halopaint model
# info` and the validation report) and OUTDIR/train_log.csv/.svg.
# Wall time on this 2-core machine for models/truth/truth.param with 24 + 8 boxes: truth about
# 4 minutes a box (2 h 10 min), training 3.8 updates/s (TrainUpdates / 3.8 s), validation about
# 1 minute a box. The tiny build of tests/test_model_build.sh takes about 30 s.
set -e
build=$1
out=$2
ntrain=${3:-24}
nvalid=${4:-8}
[ -f "$build" ] && [ -n "$out" ] || { echo "usage: scripts/model-build.sh BUILD.param OUTDIR [NTRAIN] [NVALID]"; exit 2; }
bin=${HALOPAINT:-./bin/halopaint}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/truth"
t0=$(date +%s)
# 1. truth
HALOPAINT=$bin "$here/make-truth.sh" "$build" "$ntrain" "$nvalid" "$out/truth" > "$out/truth.log"
zout=$(awk '$1 == "OutputRedshifts" {print $2}' "$build" | awk -F, '{print $NF}')
z=${zout:-0}
base=$(awk '$1 == "FileBase" {print $2}' "$build")
list() { # first count: comma-separated catalogues of seeds first..first+count-1
  i=0
  while [ $i -lt "$2" ]; do
    printf '%s%s' "$( [ $i -gt 0 ] && echo ,)" "$out/truth/${base}_seed$(($1 + i))_halos_z$z.hdf5"
    i=$((i + 1))
  done
}
t1=$(date +%s)
# 2. training (resumes from its checkpoint) and the count distribution
resume=""
[ -f "$out/checkpoint.h5" ] && resume="-s TrainModelIn=$out/checkpoint.h5"
if [ ! -f "$out/model.h5" ] || [ -n "$resume" ]; then
  OMP_WAIT_POLICY=passive "$bin" train "$build" -s TrainCatalogs="$(list 1001 "$ntrain")" \
    -s TrainValidationCatalogs="$(list 2001 1)" -s TrainValidationFraction=0 \
    -s TrainModelOut="$out/model.h5" -s TrainCheckpoint="$out/checkpoint.h5" \
    -s TrainLog="$out/train_log.csv" $resume > "$out/train.log"
fi
t2=$(date +%s)
# 3. validation over the held-out boxes, and the card
seeds=""
i=1
while [ $i -le "$nvalid" ]; do seeds="$seeds $((2000 + i))"; i=$((i + 1)); done
inp=$(awk '$1 == "TrainInputNParticles" && $2 > 0 {print $2}' "$build")
VALIDATE_TRUTH="$out/truth" VALIDATE_PARAM="$build" VALIDATE_WORK="$out/validate" VALIDATE_NPARTICLES="$inp" \
  VALIDATE_REPORT="$out/validation.md" VALIDATE_BASE="$base" VALIDATE_Z="$z" \
  "$here/validate-model.sh" "$out/model.h5" "$seeds" > "$out/validate.log"
t3=$(date +%s)
{
  echo "# Model card: $out/model.h5"
  echo
  echo "Built by \`scripts/model-build.sh $build $out $ntrain $nvalid\`: truth $((t1 - t0)) s,"
  echo "training $((t2 - t1)) s, validation $((t3 - t2)) s on $(nproc) cores (this invocation;"
  echo "stages found done take no time)."
  echo
  echo '```'
  "$bin" model info "$out/model.h5"
  echo '```'
  echo
  sed 's/^#/##/' "$out/validation.md"
} > "$out/README.md.tmp"
mv "$out/README.md.tmp" "$out/README.md"
echo "model-build: $out/model.h5, card $out/README.md"
