#!/bin/sh
# How the painted counts depend on the input's sub-voxel content (issue "A painter people can
# trust", item 5): the same phases gridded from 64, 27 and 8 2LPT particles per 4 Mpc/h voxel
# (NParticles 256, 192, 128 in 256 Mpc/h: halopaint's white noise is the same for the modes
# they share), painted by MODEL; the total painted count per mass bin relative to 64 per voxel,
# mean over SEEDS. About 10 s a seed.
#   usage: scripts/input-robustness.sh [MODEL] [SEEDS]
set -e
model=${1:-models/default.h5}
seeds=${2:-"2001 2002 2003 2004"}
bin=${HALOPAINT:-./bin/halopaint}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for s in $seeds; do
  for np in 256 192 128; do
    $bin stats mesh params/default.param -s Seed=$s -s NParticles=$np --mesh 64 --no-interlace \
      --no-deconvolve -o "$work/d.h5" 2> /dev/null
    $bin paint "$model" "$work/d.h5" "$work/c.h5" 2>&1 |
      awk -v s=$s -v np=$np '/halos painted/ {print s, np, $7, $(NF - 2)}'
  done
done | awk '{ t[$2 " " $3] += $4; if ($2 == 256) base[$3] += $4; k[$3] = 1 }
  END { for (b in k) printf "bin %s: 27/64 per voxel %.4f, 8/64 per voxel %.4f\n", b,
        t["192 " b] / base[b], t["128 " b] / base[b] }' | sort
