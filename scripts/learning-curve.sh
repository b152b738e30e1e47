#!/bin/sh
# Learning curve against data size: trains models/train/learning-curve/n{1,4,16}.param (same
# network, initialisation, seed, schedule and updates; 1, 4 and 16 truth boxes) side by side,
# one thread each, and prints each run's last held-out score (its log: the param's TrainLog).
# A run whose model exists is skipped; the truth boxes must exist (scripts/make-truth.sh).
# About 45 minutes for the three on 2 cores.
set -e
bin=${HALOPAINT:-./bin/halopaint}
mkdir -p data/learning-curve
for n in 1 4 16; do
  p=models/train/learning-curve/n$n.param
  out=$(awk '$1 == "TrainModelOut" {print $2}' "$p")
  if [ -f "$out" ]; then echo "n$n: done ($out)"; continue; fi
  for f in $(awk '$1 == "TrainCatalogs" {print $2}' "$p" | tr ',' ' '); do
    [ -f "$f" ] || { echo "learning-curve: $f missing (scripts/make-truth.sh)"; exit 1; }
  done
  OMP_WAIT_POLICY=passive "$bin" train "$p" > "data/learning-curve/n$n.log" &
done
wait
for n in 1 4 16; do
  echo "n$n: $(tail -n 1 "$(awk '$1 == "TrainLog" {print $2}' models/train/learning-curve/n$n.param)")"
done
