#!/bin/sh
# Painter models at every redshift of the truth set, for the light cone: the z = 0 network
# continued on each redshift's catalogues of the same truth boxes. The defaults make the shipped
# models/z*.h5 (models/train/zc24/stage.param: 3,000 updates on the 24 boxes of the converged
# high-z truth data/truth-z, scripts/make-truth.sh models/truth/truth-z.param). Earlier sets:
# the third, TRUTH=data/truth STAGE=models/train/z24/stage-s.param ... 3000 models/train/z24
# (the 20-step truth, not converged at z >= 0.5); the first, STAGE=models/train/z/stage.param
# with 1500 models/train/z "0.5 1 1.5 2" 5.
# Resumable: a finished model is not redone, a started one continues from its checkpoint.
#   usage: [STAGE=FILE.param] [TRUTH=DIR] [WATCH="SEEDS"] scripts/train-redshifts.sh [UPDATES]
#          [OUTDIR] [REDSHIFTS] [NTRAIN]
#   TRUTH: the truth boxes (data/truth-z); WATCH: the boxes scored during training, per mass
#   bin (2008 for the shipped models; the selection boxes "3001 3002 3003 3004" of
#   scripts/make-truth.sh keep the validation boxes out of the choice)
#   UPDATES 0 makes calibration-only models (the z = 0 network, rescaled per bin, its count
#   distribution refitted at z): the baseline the continued training is measured against.
set -e
updates=${1:-3000}
out=${2:-models/train/zc24}
zs=${3:-0.5 1 1.5 2}
ntrain=${4:-24}
truth=${TRUTH:-data/truth-z}
bin=${HALOPAINT:-./bin/halopaint}
stage=${STAGE:-models/train/zc24/stage.param}
watch=${WATCH:-2008}
list() { # z: training catalogues 1001..1000+NTRAIN at z
  i=1
  while [ $i -le "$ntrain" ]; do
    printf '%s%s' "$( [ $i -gt 1 ] && echo ,)" "$truth/truth_seed$((1000 + i))_halos_z$1.hdf5"
    i=$((i + 1))
  done
}
watched() { # z: the watched catalogues at z
  w=""
  for s in $watch; do w="$w${w:+,}$truth/truth_seed${s}_halos_z$1.hdf5"; done
  echo "$w"
}
mkdir -p "$out"
for z in $zs; do
  m="$out/z$z-u$updates.h5"
  ck="$out/z$z-u$updates-checkpoint.h5"
  # the model is written after the last checkpoint: a model newer than its checkpoint is done
  [ -f "$m" ] && { [ ! -f "$ck" ] || [ "$m" -nt "$ck" ]; } && { echo "z = $z: done ($m)"; continue; }
  resume=""
  [ -f "$ck" ] && resume="-s TrainModelIn=$ck"
  t0=$(date +%s)
  OMP_WAIT_POLICY=passive "$bin" train "$stage" -s TrainUpdates="$updates" \
    -s TrainCatalogs="$(list "$z")" -s TrainValidationCatalogs="$(watched "$z")" \
    -s TrainModelOut="$m" -s TrainCheckpoint="$ck" \
    -s TrainLog="$out/z$z-u${updates}_log.csv" $resume > "$out/z$z-u$updates.log"
  echo "z = $z: $(($(date +%s) - t0)) s ($m)"
done
