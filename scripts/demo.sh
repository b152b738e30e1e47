#!/bin/sh
# make demo: the main job on params/default.param with the shipped model, then plots of the
# catalogue (mass function, power spectrum, a projected slice). Everything goes to demo/.
set -e
mkdir -p demo
./bin/halopaint run params/default.param -s OutputDir=demo -s FileBase=halopaint
cat=demo/halopaint_seed42.hdf5
./bin/halopaint stats hmf "$cat" -o demo/hmf.txt --plot demo/hmf.svg
./bin/halopaint stats pk "$cat" --mesh 128 -o demo/pk.txt --plot demo/pk.svg
./bin/halopaint stats slice "$cat" --axis z --position 0 --thickness 16 --plot demo/slice.png
echo "catalogue: $cat"
echo "plots:     demo/hmf.svg (mass function), demo/pk.svg (power spectrum), demo/slice.png"
echo "tables:    demo/hmf.txt, demo/pk.txt"
