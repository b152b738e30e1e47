#!/bin/sh
# halopaint-mpi run on 1, 2, 3 and 4 ranks gives `halopaint run`'s catalogues halo for halo
# (positions, velocities in redshift space, masses, bins, ids), with slabs of unequal widths;
# what it cannot do is refused on every rank with one message. (Run from the repository root,
# by scripts/run-mpi-tests.sh, which sets Open MPI's environment.)
. tests/lib.sh
mbin=./bin/halopaint-mpi

# 88 Mpc/h: 22 voxel planes, split 11/11, 7/7/8 and 5/5/6/6
min_param "$tmp/base.param"
grep -v "^BoxSize\|^NParticles" "$tmp/base.param" > "$tmp/m.param"
cat >> "$tmp/m.param" <<'P'
BoxSize 88
NParticles 88
Seeds 3-4
RedshiftSpaceAxis z
OutputFormat ASCII
AllowModelMismatch 1
P
$bin run "$tmp/m.param" -s OutputDir="$tmp" -s FileBase=serial -s Threads=2 > "$tmp/serial.txt" 2>&1
check "halopaint run (the reference) succeeds" '[ $? -eq 0 ]'
for n in 1 2 3 4; do
  mpirun -np $n $mbin run "$tmp/m.param" -s OutputDir="$tmp" -s FileBase=np$n -s Threads=1 \
    > "$tmp/np$n.txt" 2>&1
  check "mpirun -np $n halopaint-mpi run succeeds" '[ $? -eq 0 ]'
  for s in 3 4; do
    check "$n ranks, seed $s: the catalogue is run's, halo for halo" \
      'same_rows "$tmp/serial_seed$s.txt" "$tmp/np${n}_seed$s.txt"'
  done
done
# 4 ranks in 2 groups of 2: one seed each, the same catalogues
mpirun -np 4 $mbin run "$tmp/m.param" -s OutputDir="$tmp" -s FileBase=g -s Threads=1 \
  -s RanksPerRealisation=2 > "$tmp/g.txt" 2>&1
check "RanksPerRealisation 2 on 4 ranks succeeds, one summary per group" \
  '[ $? -eq 0 ] && grep -q "summary (group 1 of 2): 1 of 1" "$tmp/g.txt" && grep -q "summary (group 2 of 2): 1 of 1" "$tmp/g.txt"'
for s in 3 4; do
  check "groups, seed $s: the catalogue is run's" 'same_rows "$tmp/serial_seed$s.txt" "$tmp/g_seed$s.txt"'
done
mpirun -np 4 $mbin run "$tmp/m.param" -s OutputDir="$tmp" -s RanksPerRealisation=3 > "$tmp/g3.txt" 2>&1
check "RanksPerRealisation that does not divide the ranks: refused" \
  '[ $? -ne 0 ] && grep -q "RanksPerRealisation = 3 must divide the 4 MPI ranks" "$tmp/g3.txt"'
check "the run prints each stage's communication time" \
  'grep -q "communicating: FFTs .* exchange .* ghosts .* gather" "$tmp/np2.txt"'
check "only rank 0 prints" '[ "$(grep -c "^summary" "$tmp/np4.txt")" -eq 1 ]'

# 48 Mpc/h: 12 voxel planes; 4 ranks would hold 3, fewer than the painter's halo
grep -v "^BoxSize\|^NParticles" "$tmp/base.param" > "$tmp/small.param"
printf 'BoxSize 48\nNParticles 48\nAllowModelMismatch 1\n' >> "$tmp/small.param"
mpirun -np 4 $mbin run "$tmp/small.param" -s OutputDir="$tmp" > "$tmp/many.txt" 2>&1
check "too many ranks for the planes: refused, saying how many fit" \
  '[ $? -ne 0 ] && grep -q "use at most 3 ranks" "$tmp/many.txt" && [ "$(grep -c "use at most" "$tmp/many.txt")" -eq 1 ]'
# 6 ranks on 22 planes: 3/4/4/3/4/4, so only some ranks are short (they must not leave the others
# waiting in a collective)
mpirun -np 6 $mbin run "$tmp/m.param" -s OutputDir="$tmp" -s FileBase=six > "$tmp/six.txt" 2>&1
check "too many ranks for some ranks only: refused cleanly" \
  '[ $? -ne 0 ] && grep -q "use at most 5 ranks" "$tmp/six.txt" && ! grep -q "MPI_ERR" "$tmp/six.txt"'
mpirun -np 2 $mbin run "$tmp/m.param" -s OutputDir="$tmp" -s FileBase=mem -s MemoryLimit=20 \
  > "$tmp/mem.txt" 2>&1
check "a run the node cannot hold: refused before it starts, per rank and in nodes" \
  '[ $? -ne 0 ] && grep -q "MB per rank; .* MB in all, about .* nodes like this one" "$tmp/mem.txt" && ! ls "$tmp"/mem_* > /dev/null 2>&1'
mpirun -np 2 $mbin run "$tmp/m.param" -s OutputDir="$tmp" -s WriteLinearField=1 > "$tmp/wlf.txt" 2>&1
check "WriteLinearField: refused by name" '[ $? -ne 0 ] && grep -q "WriteLinearField = 1: not available with MPI" "$tmp/wlf.txt"'
mpirun -np 2 $mbin sim "$tmp/m.param" > "$tmp/sim.txt" 2>&1
check "a one-process command: refused, naming halopaint" '[ $? -ne 0 ] && grep -q "use halopaint sim" "$tmp/sim.txt"'
finish test_run_mpi
