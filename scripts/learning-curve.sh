#!/bin/sh
# Learning curve against data size: trains models/train/learning-curve/n{1,4,16}.param (same
# network, seed, schedule and updates; 1, 4 and 16 truth boxes) and prints each run's last
# held-out score. A run whose model exists is skipped; a run waits for the truth boxes it needs
# (scripts/make-truth.sh may still be making them). About 30-40 minutes a run on one core.
set -e
bin=${HALOPAINT:-./bin/halopaint}
mkdir -p data/learning-curve
for n in 1 4 16; do
  p=models/train/learning-curve/n$n.param
  out=$(awk '$1 == "TrainModelOut" {print $2}' "$p")
  if [ -f "$out" ]; then echo "n$n: done ($out)"; continue; fi
  for f in $(awk '$1 == "TrainCatalogs" {print $2}' "$p" | tr ',' ' '); do
    while [ ! -f "$f" ]; do sleep 30; done
  done
  OMP_WAIT_POLICY=passive "$bin" train "$p" > "data/learning-curve/n$n.log"
  echo "n$n: $(tail -n 1 "$(awk '$1 == "TrainLog" {print $2}' "$p")")"
done
