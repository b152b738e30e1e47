#!/bin/sh
# Another code's particles through `paint` and `sample` (docs/paint.md): the particles of
# `halopaint ic` at the run's redshift, written as Gadget-4 HDF5, Gadget-2 format 1 in two files
# and format 2 in kpc/h, painted and sampled, give `run`'s catalogue (same counts, masses and
# positions); particles the model was not trained for are refused with what differs.
. tests/lib.sh

min_param "$tmp/min.param"
echo "RedshiftIC 0" >> "$tmp/min.param"
model=models/default.h5
# x y z mass id bin of a catalogue's rows (velocities differ in the last bits: v/sqrt(a) on
# disk); for a file in kpc/h, mass id bin only (float kpc/h rounds positions by ~1e-3 Mpc/h, and
# a particle on a voxel face may then fall in the neighbour, where another is picked)
rows() { grep -v '^#' "$1" | awk -v u="$2" '{print (u > 1e22 ? $1 " " $2 " " $3 : ""), $7, $8, $9}'; }

$bin run "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=ref -s OutputFormat=ASCII > /dev/null 2>&1
rows "$tmp/ref_seed3.txt" 3.085678e24 > "$tmp/ref.rows"
rows "$tmp/ref_seed3.txt" 3.085678e21 > "$tmp/ref.kpc.rows"
check "run makes a reference catalogue" '[ -s "$tmp/ref.rows" ]'

for f in "3 1 3.085678e24" "1 2 3.085678e24" "2 1 3.085678e21"; do
  set -- $f
  fmt=$1 nf=$2 unit=$3
  $bin ic "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=f$fmt -s ICFormat=$fmt \
    -s NumFilesPerSnapshot=$nf -s UnitLength_in_cm=$unit > /dev/null 2>&1
  in="$tmp/f${fmt}_ic"; [ "$fmt" = 3 ] && in="$in.hdf5"; [ "$nf" = 2 ] && in="$in.0"
  $bin paint $model "$in" "$tmp/c$fmt.h5" > "$tmp/paint$fmt.txt" 2>&1
  check "paint reads ICFormat $fmt ($nf file(s), unit $unit cm)" '[ $? -eq 0 ] && grep -q "262144 particles, BoxSize 64 Mpc/h" "$tmp/paint$fmt.txt"'
  $bin sample $model "$tmp/c$fmt.h5" "$in" "$tmp/s$fmt.txt" --seed 3 > /dev/null 2>&1
  rows "$tmp/s$fmt.txt" $unit > "$tmp/s$fmt.rows"
  ref="$tmp/ref.rows"; [ "$unit" = 3.085678e21 ] && ref="$tmp/ref.kpc.rows"
  check "paint + sample of ICFormat $fmt = run's catalogue" 'cmp -s "$ref" "$tmp/s$fmt.rows"'
done
check "a kpc/h file without units is recognised" 'grep -q "kpc/h (the file has no units" "$tmp/paint2.txt"'

# the counts file holds the particles' CIC density: painting it as a grid gives the same counts
grep "halos painted" "$tmp/paint3.txt" | sed 's/.*\] //' > "$tmp/a.txt"
$bin paint $model "$tmp/c3.h5" "$tmp/g3.h5" 2>&1 | grep "halos painted" | sed 's/.*\] //' > "$tmp/b.txt"
check "the density written beside the counts repaints to the same counts" '[ -s "$tmp/a.txt" ] && cmp -s "$tmp/a.txt" "$tmp/b.txt"'

# refusals: particles of another redshift or resolution, counts of another grid, bad options
$bin ic "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=z1 -s ICFormat=3 -s RedshiftIC=1 > /dev/null 2>&1
$bin paint $model "$tmp/z1_ic.hdf5" "$tmp/x.h5" > /dev/null 2> "$tmp/e.txt"
check "particles at another redshift are refused" '[ $? -ne 0 ] && grep -q "redshift: the file.s is 1, the model.s is 0" "$tmp/e.txt" && [ ! -e "$tmp/x.h5" ]'
$bin paint $model "$tmp/z1_ic.hdf5" "$tmp/x.h5" --allow-mismatch > /dev/null 2>&1
check "--allow-mismatch paints them anyway" '[ -s "$tmp/x.h5" ]'
$bin ic "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=n32 -s ICFormat=3 -s NParticles=32 > /dev/null 2>&1
$bin paint $model "$tmp/n32_ic.hdf5" "$tmp/y.h5" > /dev/null 2> "$tmp/e.txt"
check "particles of another resolution are refused" '[ $? -ne 0 ] && grep -q "particles per voxel: 32768 particles on 16^3 voxels = 8, the model.s is 64" "$tmp/e.txt"'
$bin sample $model "$tmp/x.h5" "$tmp/f3_ic.hdf5" "$tmp/s.txt" --seed x > /dev/null 2> "$tmp/e.txt"
check "a bad --seed is refused" '[ $? -eq 2 ] && grep -q "\-\-seed x" "$tmp/e.txt"'
$bin sample $model "$tmp/nothere.h5" "$tmp/f3_ic.hdf5" "$tmp/s.txt" > /dev/null 2> "$tmp/e.txt"
check "a missing counts file is refused naming it" '[ $? -ne 0 ] && grep -q "nothere.h5" "$tmp/e.txt" && [ ! -e "$tmp/s.txt" ]'
$bin paint $model "$tmp/nothere_snap" "$tmp/y.h5" > /dev/null 2> "$tmp/e.txt"
check "missing particles are refused naming them" '[ $? -ne 0 ] && grep -q "nothere_snap" "$tmp/e.txt"'

finish "particles cli"
