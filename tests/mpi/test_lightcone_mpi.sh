#!/bin/sh
# halopaint-mpi lightcone on 1, 2, 3 and 4 ranks gives `halopaint lightcone`'s cones halo for
# halo, in the same order, with the same header (shells, painted densities), for shells painted
# by two models interpolated in D1 (slabs of unequal widths), for Snapshot with LPTOrder 1, and
# for RanksPerRealisation groups; what the ranks cannot do is refused by name, and only rank 0
# prints. (Run from the repository root, by scripts/run-mpi-tests.sh, which sets Open MPI's
# environment.)
. tests/lib.sh
mbin=./bin/halopaint-mpi

# 88 Mpc/h: 22 voxel planes, split 11/11, 7/7/8 and 5/5/6/6; z = 0.2-0.25 between the models
# of z = 0 and 0.5, seen from off the box's corner: 3 shells, ~30,000 halos
min_param "$tmp/base.param"
grep -v "^BoxSize\|^NParticles" "$tmp/base.param" > "$tmp/c.param"
cat >> "$tmp/c.param" <<'P'
BoxSize 88
NParticles 88
Seeds 3-4
OutputFormat ASCII
AllowModelMismatch 1
LightconeZMin 0.2
LightconeZMax 0.25
LightconeFootprint Octant
LightconeObserver 10,20,30
LightconeModelFiles models/default.h5,models/z0.5.h5
P
# the cone without the command line and the parameters that name the run
cone() { sed -e '/^# Command = /d' -e '/^# \[Parameters\]/,/^# columns/{/^# columns/!d;}' "$1"; }
same() { cone "$1" > "$tmp/a.cone" && cone "$2" > "$tmp/b.cone" 2>/dev/null && [ -s "$tmp/a.cone" ] &&
  grep -qv '^#' "$tmp/a.cone" && cmp -s "$tmp/a.cone" "$tmp/b.cone"; }
$bin lightcone "$tmp/c.param" -s OutputDir="$tmp" -s FileBase=serial -s Threads=2 \
  > "$tmp/serial.txt" 2>&1
check "halopaint lightcone (the reference) succeeds" '[ $? -eq 0 ]'
for n in 1 2 3 4; do
  mpirun -np $n $mbin lightcone "$tmp/c.param" -s OutputDir="$tmp" -s FileBase=np$n -s Threads=1 \
    > "$tmp/np$n.txt" 2>&1
  check "mpirun -np $n halopaint-mpi lightcone succeeds" '[ $? -eq 0 ]'
  for s in 3 4; do
    check "$n ranks, seed $s: the cone is lightcone's, halo for halo" \
      'same "$tmp/serial_lightcone_seed$s.txt" "$tmp/np${n}_lightcone_seed$s.txt"'
  done
done
check "only rank 0 prints" \
  '[ "$(grep -c "^summary" "$tmp/np4.txt")" -eq 1 ] && [ "$(grep -c "seed 3: " "$tmp/np4.txt")" -eq 1 ]'
check "the cone prints each stage's communication time" \
  'grep -q "communicating: FFTs .* exchange .* ghosts .* gather" "$tmp/np2.txt"'

# one box at Redshift for every shell, first-order displacements, 3 ranks
grep -v "^Seeds\|^LightconeZM\|^LightconeModelFiles" "$tmp/c.param" > "$tmp/snap.param"
printf 'LightconeZMax 0.04\nLightconeEvolution Snapshot\nModelFile models/default.h5\nLPTOrder 1\n' \
  >> "$tmp/snap.param"
$bin lightcone "$tmp/snap.param" -s OutputDir="$tmp" -s FileBase=snap1 > /dev/null 2>&1
mpirun -np 3 $mbin lightcone "$tmp/snap.param" -s OutputDir="$tmp" -s FileBase=snap3 -s Threads=1 \
  > /dev/null 2>&1
check "Snapshot, LPTOrder 1, 3 ranks: the cone is lightcone's" \
  'same "$tmp/snap1_lightcone_seed3.txt" "$tmp/snap3_lightcone_seed3.txt"'

# 4 ranks in 2 groups of 2: one seed each, the same cones
mpirun -np 4 $mbin lightcone "$tmp/c.param" -s OutputDir="$tmp" -s FileBase=g -s Threads=1 \
  -s RanksPerRealisation=2 > "$tmp/g.txt" 2>&1
check "RanksPerRealisation 2 on 4 ranks succeeds, one summary per group" \
  '[ $? -eq 0 ] && grep -q "summary (group 1 of 2): 1 of 1" "$tmp/g.txt" && grep -q "summary (group 2 of 2): 1 of 1" "$tmp/g.txt"'
for s in 3 4; do
  check "groups, seed $s: the cone is lightcone's" \
    'same "$tmp/serial_lightcone_seed$s.txt" "$tmp/g_lightcone_seed$s.txt"'
done

# refusals: on every rank with one message, before any file
for kv in WriteLinearField=1 LinearFieldFile="$tmp/f.h5" LPTDealias=1; do
  mpirun -np 2 $mbin lightcone "$tmp/c.param" -s OutputDir="$tmp" -s FileBase=no -s "$kv" \
    > "$tmp/no.txt" 2>&1
  check "${kv%%=*}: refused by name, once" \
    '[ $? -ne 0 ] && [ "$(grep -c "${kv%%=*} .*not available with MPI" "$tmp/no.txt")" -eq 1 ]'
done
mpirun -np 6 $mbin lightcone "$tmp/c.param" -s OutputDir="$tmp" -s FileBase=no > "$tmp/many.txt" 2>&1
check "too many ranks for the planes (3 or 4 each): refused, saying how many fit" \
  '[ $? -ne 0 ] && [ "$(grep -c "use at most 5 ranks" "$tmp/many.txt")" -eq 1 ]'
mpirun -np 2 $mbin lightcone "$tmp/c.param" -s OutputDir="$tmp" -s FileBase=no -s MemoryLimit=20 \
  > "$tmp/mem.txt" 2>&1
check "a cone the node cannot hold: refused before it starts, per rank and in nodes" \
  '[ $? -ne 0 ] && grep -q "MB per rank; .* MB in all, about .* nodes like this one" "$tmp/mem.txt"'
check "no refused cone left a file" '! ls "$tmp"/no_* > /dev/null 2>&1'
finish test_lightcone_mpi
