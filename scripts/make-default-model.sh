#!/bin/sh
# Rebuild the first stage of models/default.h5 from scratch (v1, about 50 minutes on 2 cores):
# four halopaint sim boxes (seeds 101-103 to train on, 201 to monitor), then halopaint train.
# The later stages run on the truth set of scripts/make-truth.sh: v2 from
# models/train/v2/stage1.param (then calibrated), and v4, the shipped default, from
# models/train/v4/v4.param (`halopaint train models/train/v4/v4.param`, about 25 minutes on one
# thread); models/README.md, "How it was made", gives every step.
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
