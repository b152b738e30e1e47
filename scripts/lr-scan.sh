#!/bin/sh
# The learning-rate scan of the Poisson objective (models/train/lr-scan/*.param): each run
# continues the v1 default model for 600 updates on truth boxes 1001-1002 and is scored on the
# held-out box 2008; prints the validation loss and correlation of each. About 4 minutes a run.
set -e
mkdir -p data/lr-scan
for p in models/train/lr-scan/lr*.param; do
  OMP_WAIT_POLICY=passive ./bin/halopaint train "$p" > "data/lr-scan/$(basename "$p" .param).log"
  csv=$(awk '$1 == "TrainLog" {print $2}' "$p")
  echo "$(basename "$p" .param): $(tail -n 1 "$csv")"
done
