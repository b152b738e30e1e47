#!/bin/sh
# Bring your own initial field (docs/linear-field.md) through the command line: WriteLinearField
# then LinearFieldFile gives the same catalogue; a coarser field is zero-padded and said so; bad
# files are refused naming the file and what is wrong. (Run from the repository root.)
. tests/lib.sh

min_param "$tmp/min.param"
echo "OutputFormat ASCII" >> "$tmp/min.param"

# run writes the field it used; the field read back gives the same halos (any thread count)
$bin run "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=a -s WriteLinearField=1 > "$tmp/a.txt" 2>&1
check "run with WriteLinearField succeeds" '[ $? -eq 0 ]'
check "run writes FileBase_linear_seed3.hdf5" '[ -s "$tmp/a_linear_seed3.hdf5" ]'
$bin run "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=b -s Threads=1 \
  -s LinearFieldFile="$tmp/a_linear_seed3.hdf5" > "$tmp/b.txt" 2>&1
check "run with LinearFieldFile succeeds" '[ $? -eq 0 ]'
check "run says where the field came from" 'grep -q "linear field from .*a_linear_seed3.hdf5 (delta_k, 64^3)" "$tmp/b.txt"'
check "its power is about the cosmology's" 'grep -Eq "is (0\.9|1\.0)[0-9]* times the cosmology" "$tmp/b.txt"'
check "the catalogue is the same halo for halo" 'same_rows "$tmp/a_seed3.txt" "$tmp/b_seed3.txt"'

# lightcone: the same field gives the same cone; WriteLinearField writes the one it used
cone="-s LightconeZMax=0.02 -s LightconeFootprint=Octant -s LightconeModelFiles=models/default.h5"
$bin lightcone "$tmp/min.param" $cone -s OutputDir="$tmp" -s FileBase=la -s WriteLinearField=1 \
  > /dev/null 2>&1
check "lightcone writes FileBase_linear_seed3.hdf5" '[ -s "$tmp/la_linear_seed3.hdf5" ]'
$bin lightcone "$tmp/min.param" $cone -s OutputDir="$tmp" -s FileBase=lb \
  -s LinearFieldFile="$tmp/a_linear_seed3.hdf5" > "$tmp/lb.txt" 2>&1
check "run's field file gives the seeded cone, halo for halo" \
  'same_rows "$tmp/la_lightcone_seed3.txt" "$tmp/lb_lightcone_seed3.txt" && grep -q "linear field from" "$tmp/lb.txt"'

# ic: a 32^3 field zero-padded onto 64^3 particles, and said so
$bin ic "$tmp/min.param" -s NParticles=32 -s OutputDir="$tmp" -s FileBase=c -s WriteLinearField=1 \
  > /dev/null 2>&1
check "ic writes FileBase_linear.hdf5" '[ -s "$tmp/c_linear.hdf5" ]'
$bin ic "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=d -s LinearFieldFile="$tmp/c_linear.hdf5" \
  > "$tmp/d.txt" 2>&1
check "ic with a coarser field succeeds" '[ $? -eq 0 ]'
check "ic says the field was zero-padded" 'grep -q "a 32^3 grid zero-padded in Fourier space to 64^3" "$tmp/d.txt"'

# refusals name the file and what is wrong, and leave no output behind
$bin run "$tmp/min.param" -s OutputDir="$tmp" -s FileBase=e -s BoxSize=128 -s NParticles=128 \
  -s LinearFieldFile="$tmp/a_linear_seed3.hdf5" > /dev/null 2> "$tmp/e.txt"
check "a field of another box is refused" '[ $? -ne 0 ] && grep -q "a_linear_seed3.hdf5: BoxSize 64 Mpc/h, but the run.s BoxSize is 128" "$tmp/e.txt"'
check "and no catalogue is written" '! ls "$tmp"/e_seed3* > /dev/null 2>&1'
$bin run "$tmp/min.param" -s OutputDir="$tmp" -s LinearFieldFile="$tmp/none.h5" > /dev/null 2> "$tmp/e.txt"
check "a missing field file is refused naming it" '[ $? -ne 0 ] && grep -q "none.h5" "$tmp/e.txt"'
$bin run "$tmp/min.param" -s OutputDir="$tmp" -s WhiteNoiseFile="$tmp/c_linear.hdf5" > /dev/null 2> "$tmp/e.txt"
check "a white-noise file without white_noise is refused" '[ $? -ne 0 ] && grep -q "white_noise" "$tmp/e.txt"'
$bin ic "$tmp/min.param" -s OutputDir="$tmp" -s LinearFieldFile="$tmp/c_linear.hdf5" \
  -s WhiteNoiseFile="$tmp/c_linear.hdf5" > /dev/null 2> "$tmp/e.txt"
check "both files at once are refused" '[ $? -ne 0 ] && grep -q "both set" "$tmp/e.txt"'

finish "linear field cli"
