#!/bin/sh
# make validate-lightcone: the light cone's own checks, regenerating docs/lightcone-validation.md
# (docs/lightcone.md): the octant to z = 1.5 of params/lightcone.param (time and memory), its
# n(z) against the shells' painted density, the steps of density at shell edges and at the
# models' redshifts, and the clustering of redshift slices against Snapshot cones of the same
# box at the slice's redshift. About 15 minutes on 2 cores. Needs h5py (python3-h5py).
#   usage: scripts/validate-lightcone.sh [CONE.param] [WORKDIR]
set -e
par=${1:-params/lightcone.param}
work=${2:-data/validate-lightcone}
bin=${HALOPAINT:-./bin/halopaint}
py=${PYTHON:-/usr/bin/python3}
$py -c "import h5py, numpy" 2> /dev/null || { echo "validate-lightcone: needs $py with h5py and numpy (apt-get install python3-h5py)"; exit 1; }
mkdir -p "$work"
slices="0.5 1" # the models' redshifts whose slices are checked against a snapshot of their model
# the cones are kept between runs (the checks resume), but only for the same parameter file and
# models: a stamp of both, and a changed stamp starts the work directory afresh
models=$(awk '$1 == "LightconeModelFiles" {print $2}' "$par" | tr , ' ')
snaps=$(for z in $slices; do printf 'models/z%s.h5 ' "$z"; done)
stamp=$({ cat "$par"; sha256sum $models $snaps; } | sha256sum | cut -c1-64)
if [ "$(cat "$work/stamp" 2> /dev/null)" != "$stamp" ]; then
  rm -f "$work"/*.hdf5 "$work"/*.txt "$work"/*.log
  echo "$stamp" > "$work/stamp"
fi
cone=$work/octant_lightcone_seed42.hdf5
if [ ! -f "$cone" ]; then
  $bin lightcone "$par" -s LightconeFootprint=Octant -s LightconeZMax=1.5 -s Seeds=42 \
    -s OutputDir="$work" -s FileBase=octant > "$work/octant.log"
fi
$bin stats nz "$cone" --dz 0.1 -o "$work/nz.txt" > /dev/null
theta=0.2,0.3,0.5,0.8,1.2,2,3
# slices at the models' redshifts: the cone's shells against one box painted at that redshift
for z in $slices; do
  lo=$(awk -v z=$z 'BEGIN { print z - 0.05 }')
  hi=$(awk -v z=$z 'BEGIN { print z + 0.05 }')
  snap=$work/snap${z}_lightcone_seed42.hdf5
  if [ ! -f "$snap" ]; then
    $bin lightcone "$par" -s LightconeFootprint=Octant -s LightconeZMin=$lo -s LightconeZMax=$hi \
      -s LightconeEvolution=Snapshot -s Redshift=$z -s ModelFile=models/z$z.h5 -s Seeds=42 \
      -s OutputDir="$work" -s FileBase=snap$z > "$work/snap$z.log"
  fi
  [ -f "$work/w_cone$z.txt" ] || $bin stats wtheta "$cone" --zmin $lo --zmax $hi --theta $theta \
    -o "$work/w_cone$z.txt" > /dev/null
  [ -f "$work/w_snap$z.txt" ] || $bin stats wtheta "$snap" --zmin $lo --zmax $hi --theta $theta \
    -o "$work/w_snap$z.txt" > /dev/null
done
$py "$(dirname "$0")/lightcone_report.py" "$work" "$par" > docs/lightcone-validation.md.tmp
mv docs/lightcone-validation.md.tmp docs/lightcone-validation.md
echo "validate-lightcone: docs/lightcone-validation.md written"
