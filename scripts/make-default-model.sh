#!/bin/sh
# Rebuild models/default.h5 from scratch (about 50 minutes on 2 cores): four halopaint sim
# boxes (seeds 101-103 to train on, 201 to monitor), then halopaint train (models/train/).
set -e
mkdir -p models/train/data
for s in 101 102 103 201; do
  f=models/train/data/truth_seed${s}_halos_z0.hdf5
  [ -f "$f" ] || ./bin/halopaint sim models/train/truth-v1.param -s Seed=$s -s FileBase=truth_seed$s
done
OMP_WAIT_POLICY=passive ./bin/halopaint train models/train/train-v1.param
# the shipped model was then resumed from its checkpoint to 9500 updates (models/README.md)
OMP_WAIT_POLICY=passive ./bin/halopaint train models/train/train-v1.param \
  -s TrainModelIn=models/train/data/checkpoint.h5 -s TrainUpdates=9500
