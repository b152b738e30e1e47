#!/bin/sh
# End-to-end tests of `halopaint lightcone` and scripts/lightcone-production.sh (run from the
# repository root): HDF5 and ASCII cones, refusals naming the key or file, and a production
# loop that resumes without redoing a finished cone.
. tests/lib.sh

min_param "$tmp/cone.param"
printf 'LightconeZMax 0.02\nLightconeFootprint Octant\nLightconeModelFiles models/default.h5\n' \
  >> "$tmp/cone.param"

$bin lightcone "$tmp/cone.param" -s OutputDir="$tmp" > "$tmp/o.txt" 2> "$tmp/e.txt"
check "lightcone writes an HDF5 cone" '[ $? -eq 0 ] && [ -s "$tmp/halopaint_lightcone_seed3.hdf5" ]'
check "lightcone leaves no temporary files" '! ls "$tmp"/*.tmp.* > /dev/null 2>&1'
n=$(awk '/^summary:/ {print $7}' "$tmp/o.txt")
$bin lightcone "$tmp/cone.param" -s OutputDir="$tmp" -s OutputFormat=ASCII > /dev/null 2>&1
check "ASCII cone: header, columns, one row a halo" 'grep -q "^# Footprint = Octant" "$tmp/halopaint_lightcone_seed3.txt" && grep -q "^# columns: ra\[deg\] dec\[deg\] z_cos z_obs" "$tmp/halopaint_lightcone_seed3.txt" && [ "$(grep -vc "^#" "$tmp/halopaint_lightcone_seed3.txt")" -eq "$n" ]'
$bin stats nz "$tmp/halopaint_lightcone_seed3.hdf5" --dz 0.01 -o "$tmp/nz.txt" > /dev/null 2>&1
check "stats nz reads the cone" '[ $? -eq 0 ] && [ "$(grep -vc "^#" "$tmp/nz.txt")" -eq 2 ]'

$bin lightcone "$tmp/cone.param" -s LightconeZMax=0.5 > /dev/null 2> "$tmp/e.txt"
check "a cone beyond its models is refused, naming them" '[ $? -eq 1 ] && grep -q "models/default.h5" "$tmp/e.txt" && grep -q "cover z = 0 to 0" "$tmp/e.txt"'
$bin lightcone "$tmp/cone.param" -s LightconeFootprint="$tmp/nomask.fits" > /dev/null 2> "$tmp/e.txt"
check "a missing HEALPix mask is named" '[ $? -eq 1 ] && grep -q "nomask.fits" "$tmp/e.txt"'
$bin lightcone "$tmp/cone.param" -s LightconeObserver=1,2,99 > /dev/null 2> "$tmp/e.txt"
check "an observer outside the box is refused" '[ $? -eq 1 ] && grep -q "LightconeObserver = 1,2,99" "$tmp/e.txt"'
$bin lightcone "$tmp/cone.param" -s MemoryLimit=10 > /dev/null 2> "$tmp/e.txt"
check "a cone that cannot fit is refused before it runs" '[ $? -eq 1 ] && grep -q "MemoryLimit is 10 MB" "$tmp/e.txt"'

printf '# two cosmologies within the model'"'"'s 1 %%\nplanck\nplanck-s8 Sigma8=0.82\n' > "$tmp/cosmos.txt"
scripts/lightcone-production.sh "$tmp/cone.param" "$tmp/cosmos.txt" 1-2 "$tmp/prod" > "$tmp/p1.txt" 2>&1
check "production: four cones and a summary" '[ "$(ls "$tmp"/prod/*/*_lightcone_seed*.hdf5 | wc -l)" -eq 4 ] && [ "$(grep -c "_lightcone_seed" "$tmp/prod/summary.txt")" -eq 4 ]'
touch -d "2000-01-01" "$tmp"/prod/planck/planck_lightcone_seed1.hdf5
scripts/lightcone-production.sh "$tmp/cone.param" "$tmp/cosmos.txt" 1-2 "$tmp/prod" > "$tmp/p2.txt" 2>&1
check "production resumes: a finished cone is not redone" '[ "$(stat -c %Y "$tmp"/prod/planck/planck_lightcone_seed1.hdf5)" -lt 1000000000 ] && cmp -s "$tmp/p1.txt" "$tmp/p2.txt"'

[ $fails -eq 0 ] && echo "lightcone cli: all passed" || echo "lightcone cli: $fails failed"
[ $fails -eq 0 ]
