#!/bin/sh
# The painter's truth set: halopaint sim boxes (PM + FoF) for training and validation.
# Resumable: a box whose last catalogue exists is not redone (sim writes each file under a
# temporary name and renames it, so an existing file is complete).
#   usage: scripts/make-truth.sh [TRUTH.param] [NTRAIN] [NVALID] [OUTDIR] [NSELECT]
#   seeds: training 1001..1000+NTRAIN, validation 2001..2000+NVALID, selection
#   3001..3000+NSELECT (never overlapping): the selection boxes are watched during training
#   (TrainValidationCatalogs: the per-bin stopping rule, docs/training.md), so that the
#   validation boxes of the report stay out of every choice
# About 2 minutes a box on 2 cores; 24 + 8 boxes take about an hour.
set -e
par=${1:-models/truth/truth.param}
ntrain=${2:-24}
nvalid=${3:-8}
outdir=${4:-}
nselect=${5:-0}
bin=${HALOPAINT:-./bin/halopaint}
[ -x "$bin" ] || { echo "make-truth: $bin not built (run make)"; exit 1; }
[ "$ntrain" -le 999 ] && [ "$nvalid" -le 999 ] && [ "$nselect" -le 999 ] ||
  { echo "make-truth: at most 999 boxes a set"; exit 1; }
dir=${outdir:-$(awk '$1 == "OutputDir" {print $2}' "$par")}
base=$(awk '$1 == "FileBase" {print $2}' "$par")
[ -n "$dir" ] && [ -n "$base" ] || { echo "make-truth: $par needs OutputDir and FileBase"; exit 1; }
mkdir -p "$dir"
# the catalogue written last: that of the smallest output redshift (as spelled in the file)
zlast=$(awk '$1 == "OutputRedshifts" { n = split($2, z, ","); m = 1
  for (i = 2; i <= n; i++) if (z[i] + 0 < z[m] + 0) m = i; print z[m] }' "$par")
[ -n "$zlast" ] || { echo "make-truth: $par needs OutputRedshifts"; exit 1; }
box() { # seed: run sim unless its last catalogue is there
  f="$dir/${base}_seed$1_halos_z$zlast.hdf5"
  if [ -f "$f" ]; then echo "seed $1: done ($f)"; return; fi
  t0=$(date +%s)
  OMP_WAIT_POLICY=passive "$bin" sim "$par" -s Seed=$1 -s FileBase=${base}_seed$1 -s OutputDir="$dir" \
    > "$dir/${base}_seed$1.log"
  echo "seed $1: $(($(date +%s) - t0)) s"
}
i=1
while [ $i -le "$nvalid" ]; do box $((2000 + i)); i=$((i + 1)); done
i=1
while [ $i -le "$ntrain" ]; do box $((1000 + i)); i=$((i + 1)); done
i=1
while [ $i -le "$nselect" ]; do box $((3000 + i)); i=$((i + 1)); done
