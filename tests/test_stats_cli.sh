#!/bin/sh
# End-to-end tests of `halopaint stats` (run from the repository root): every subcommand on a
# parameter file, an HDF5 grid and (when `halopaint sim` can make one) a halo catalogue; tables
# have their header and rows, figures are well-formed SVG or PNG, errors are clear.
. tests/lib.sh
svg_ok() { [ -s "$1" ] && grep -q '<svg' "$1" && tail -1 "$1" | grep -q '</svg>'; }
png_ok() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
# width in pixels of PNG $1 (IHDR)
png_w() { od -An -tu1 -j16 -N4 "$1" | awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }'; }
# no nan in the columns named $2 (prefix) of table $1, over all rows
nonan() { awk -v name="$2" '/^# columns:/ { for (i = 3; i <= NF; i++) if (index($i, name) == 1) c[i - 2] = 1 }
  !/^#/ { n++; for (i in c) if ($i == "nan" || $i == "-nan") bad++ } END { exit !(n > 0 && !bad) }' "$1"; }
rows() { grep -vc '^#' "$1"; }
# value of column named $2 (prefix) in data row $3 of table $1
col() { awk -v name="$2" -v row="$3" '/^# columns:/ { for (i = 3; i <= NF; i++) if (index($i, name) == 1 && !c) c = i - 2 }
  !/^#/ { r++; if (r == row) print $c }' "$1"; }
# sum of column $2 (prefix) of table $1
colsum() { awk -v name="$2" '/^# columns:/ { for (i = 3; i <= NF; i++) if (index($i, name) == 1 && !c) c = i - 2 }
  !/^#/ { s += $c } END { print s }' "$1"; }
# every row of table $1 has |column $2 - $4| < $5 x column $3 (columns by prefix)
within() { awk -v a="$2" -v e="$3" -v x0="$4" -v k="$5" '/^# columns:/ { for (i = 3; i <= NF; i++) {
    if (index($i, a) == 1 && !ca) ca = i - 2; if (index($i, e) == 1 && !ce) ce = i - 2 } }
  !/^#/ { n++; d = $ca - x0; if (d < 0) d = -d; if (!(d < k * $ce)) bad++ } END { exit !(n > 0 && !bad) }' "$1"; }

cat > "$tmp/p.param" <<'P'
Omega0 0.315
OmegaBaryon 0.049
HubbleParam 0.68
Sigma8 0.81
PrimordialIndex 0.97
BoxSize 128
NParticles 32
Seed 5
P

$bin stats --help > "$tmp/h.txt"
check "stats --help" '[ $? -eq 0 ] && grep -q "cross A B" "$tmp/h.txt"'

# pk of the 2LPT particles of a parameter file: table and figure
$bin stats pk "$tmp/p.param" --mesh 32 -o "$tmp/pk.txt" --plot "$tmp/pk.svg" 2> "$tmp/e.txt"
check "pk on a parameter file" '[ $? -eq 0 ] && [ "$(rows "$tmp/pk.txt")" -eq 16 ]'
check "pk table header names columns with units" 'grep -q "^# columns: k_lo\[h/Mpc\] k_hi\[h/Mpc\] k_mean\[h/Mpc\] nmodes\[1\] P\[(Mpc/h)^3\]" "$tmp/pk.txt"'
check "pk figure is SVG" 'svg_ok "$tmp/pk.svg"'
$bin stats pk "$tmp/p.param" --mesh 32 --bins log --nbins 5 > "$tmp/pkl.txt" 2>/dev/null
check "pk to stdout with log bins" '[ "$(rows "$tmp/pkl.txt")" -eq 5 ]'
$bin stats pk "$tmp/p.param" --mesh 32 --rsd z -o "$tmp/rsd.txt" --plot "$tmp/rsd.svg" 2>/dev/null
check "pk --rsd: multipole columns and figure" 'grep -q "P0\[" "$tmp/rsd.txt" && grep -q "P2\[" "$tmp/rsd.txt" && svg_ok "$tmp/rsd.svg"'

# mesh -> HDF5 grid -> pk and cross against the particles
$bin stats mesh "$tmp/p.param" --mesh 32 -o "$tmp/g.h5" 2>/dev/null
check "mesh writes an HDF5 grid" '[ $? -eq 0 ] && [ -s "$tmp/g.h5" ]'
$bin stats pk "$tmp/g.h5" --grid-window cic -o "$tmp/pkg.txt" 2>/dev/null
p1=$(col "$tmp/pk.txt" P 2); p2=$(col "$tmp/pkg.txt" P 2)
check "grid and particle P(k) agree on large scales (2%)" 'awk -v a="$p1" -v b="$p2" "BEGIN { exit !(a / b > 0.98 && a / b < 1.02) }"'
$bin stats cross "$tmp/g.h5" "$tmp/p.param" --baseline none -o "$tmp/c.txt" --plot "$tmp/c.svg" 2>/dev/null
r=$(col "$tmp/c.txt" r_c 3)
check "cross grid vs particles: r_c > 0.99 on large scales" 'awk -v r="$r" "BEGIN { exit !(r > 0.99) }"'
check "cross figure is SVG" 'svg_ok "$tmp/c.svg"'
$bin stats cross "$tmp/g.h5" "$tmp/g.h5" --baseline "$tmp/p.param" -o "$tmp/c2.txt" 2>/dev/null
check "cross with a baseline from a parameter file" '[ $? -eq 0 ] && grep -q "T_base" "$tmp/c2.txt" && [ "$(col "$tmp/c2.txt" T\[ 4)" = 1 ]'

# bispectrum with the tree-level Q
$bin stats bispec "$tmp/p.param" --mesh 32 --k1 0.3 --k2 0.4 --ntheta 4 -o "$tmp/b.txt" --plot "$tmp/b.svg" 2>/dev/null
check "bispec: 4 configurations, tree-level Q, figure" '[ "$(rows "$tmp/b.txt")" -eq 4 ] && grep -q "Q_tree" "$tmp/b.txt" && svg_ok "$tmp/b.svg"'

# slices
$bin stats slice "$tmp/p.param" --mesh 32 --axis x --thickness 16 --plot "$tmp/s.png" 2>/dev/null
check "slice as PNG" 'png_ok "$tmp/s.png"'
$bin stats slice "$tmp/g.h5" --plot "$tmp/s.svg" -o "$tmp/s.txt" 2>/dev/null
check "slice as SVG with an embedded PNG, and its table" 'svg_ok "$tmp/s.svg" && grep -q "data:image/png;base64" "$tmp/s.svg" && [ "$(rows "$tmp/s.txt")" -eq 1024 ]'
check "slice PNG: the figure (axes, colour bar, title) at least 900 px wide, not the bare 32 px map" '[ "$(png_w "$tmp/s.png")" -ge 900 ]'
$bin stats slice "$tmp/g.h5" "$tmp/p.param" --mesh 32 --plot "$tmp/s2.svg" -o "$tmp/s2.txt" 2>/dev/null
check "slice A B: two maps and a colour bar side by side, a table with both" '[ $? -eq 0 ] && svg_ok "$tmp/s2.svg" && [ "$(grep -c "<image " "$tmp/s2.svg")" -eq 3 ] && grep -q "rho_b/rho_mean" "$tmp/s2.txt"'
$bin stats slice "$tmp/g.h5" --plot "$tmp/s.jpg" > /dev/null 2> "$tmp/e.txt"
check "slice --plot .jpg refused, the supported .png and .svg listed, nothing written" '[ $? -eq 2 ] && grep -q "s.jpg" "$tmp/e.txt" && grep -q "\.png, \.svg" "$tmp/e.txt" && [ ! -e "$tmp/s.jpg" ]'

# count grids as `paint` writes them (/counts (2, n, n, n), Model/MassBinEdges): the truth as
# Poisson counts (whole numbers: a point set), the painted mean field (not whole numbers)
gridbin=build/tests/test_stats_slice
if [ -x "$gridbin" ] && "$gridbin" --write-grids "$tmp" > /dev/null 2>&1; then
  $bin stats cross "$tmp/truth.h5" "$tmp/painted.h5" --dataset counts --baseline none --subtract-shot -o "$tmp/x.txt" 2>/dev/null
  check "cross --subtract-shot: shot noise from the counts only, none from the mean field, no nan" '[ $? -eq 0 ] && [ "$(colsum "$tmp/x.txt" shot_bb)" = 0 ] && [ "$(col "$tmp/x.txt" shot_aa 2)" != 0 ] && nonan "$tmp/x.txt" T\[ && nonan "$tmp/x.txt" r_c\[ && nonan "$tmp/x.txt" s\['
  check "cross: kinds told apart by whole numbers and named in the header" 'grep -q "kind counts: objects per voxel, a point set" "$tmp/x.txt" && grep -q "kind mean: expected counts, a mean field" "$tmp/x.txt"'
  $bin stats cross "$tmp/truth.h5" "$tmp/painted.h5" --dataset counts --component 1 --baseline none -o "$tmp/x1.txt" 2>/dev/null
  check "cross header: a grid component with its mass bin from the file, not a catalogue range" 'grep -q "^# sample 0: A: grid /counts, grid component 1 of 2: 1e+13 <= M < 1e+15 Msun/h (Model/MassBinEdges); B: grid /counts, grid component 1 of 2" "$tmp/x1.txt" && ! grep -q "(catalogues)" "$tmp/x1.txt"'
  $bin stats cross "$tmp/truth.h5" "$tmp/painted.h5" --dataset counts --baseline "$tmp/g.h5" -o "$tmp/xb.txt" 2>/dev/null
  check "cross: a baseline density in paint's layout (/density) beside /counts inputs" '[ $? -eq 0 ] && grep -q "T_base" "$tmp/xb.txt" && grep -q "^#   dataset /density, 32^3; kind density" "$tmp/xb.txt"'
  $bin stats cross "$tmp/truth.h5" "$tmp/g.h5" --a-dataset counts --b-dataset density --b-kind contrast --baseline none -o "$tmp/xk.txt" 2>/dev/null
  check "cross --a-dataset --b-dataset --b-kind: each input its own dataset and kind" '[ $? -eq 0 ] && grep -q "kind contrast" "$tmp/xk.txt" && grep -q "kind counts" "$tmp/xk.txt"'
  $bin stats cross "$tmp/truth.h5" "$tmp/painted.h5" --dataset counts --b-kind counts --baseline none > /dev/null 2> "$tmp/e.txt"
  check "--b-kind counts on a mean field refused: not whole numbers, use --b-kind mean" '[ $? -eq 1 ] && grep -q "whole numbers" "$tmp/e.txt" && grep -q "b-kind mean" "$tmp/e.txt"'
  $bin stats cross "$tmp/truth.h5" "$tmp/painted.h5" --dataset counts --baseline "$tmp/g.h5" --baseline-dataset nosuch > /dev/null 2> "$tmp/e.txt"
  check "--baseline-dataset missing from the file: named" '[ $? -eq 1 ] && grep -q "nosuch" "$tmp/e.txt"'
  $bin stats cross "$tmp/truth.h5" "$tmp/painted.h5" --a-kind bogus > /dev/null 2> "$tmp/e.txt"
  check "--a-kind bogus: the kinds listed" '[ $? -eq 2 ] && grep -q "density, contrast, counts or mean" "$tmp/e.txt"'
  $bin stats slice "$tmp/truth.h5" "$tmp/painted.h5" --dataset counts --component 1 --thickness 12 --plot "$tmp/f8.png" -o "$tmp/f8.txt" 2>/dev/null
  check "slice truth painted (Fig. 8): a wide PNG, the mass bin and slab in its title" '[ $? -eq 0 ] && png_ok "$tmp/f8.png" && [ "$(png_w "$tmp/f8.png")" -ge 900 ] && grep -q "^# grid /counts, grid component 1 of 2: 1e+13 <= M < 1e+15 Msun/h (Model/MassBinEdges); slab z in \[0, 12) Mpc/h, 12 Mpc/h thick" "$tmp/f8.txt"'
else
  echo "SKIP: $gridbin --write-grids could not make the grids; count-grid tests skipped"
fi

# a halo catalogue from the particle-mesh truth
if $bin sim "$tmp/p.param" -s PMSteps=5 -s FoFMinMembers=10 -s OutputDir="$tmp" -s FileBase=sim > /dev/null 2>&1 && [ -f "$tmp/sim_halos_z0.hdf5" ]; then
  cat="$tmp/sim_halos_z0.hdf5"
  $bin stats hmf "$cat" -o "$tmp/hmf.txt" --plot "$tmp/hmf.svg" 2>/dev/null
  nh=$(awk '!/^#/ { s += $4 } END { print s }' "$tmp/hmf.txt")
  check "hmf counts every halo" 'grep -q "^#   $nh halos" "$tmp/hmf.txt" && svg_ok "$tmp/hmf.svg"'
  $bin stats pk "$cat" --mesh 16 --plot "$tmp/p.jpg" > /dev/null 2> "$tmp/e.txt"
  check "a figure named .jpg refused (never SVG bytes in a .jpg), nothing written" '[ $? -eq 2 ] && grep -q "p.jpg" "$tmp/e.txt" && [ ! -e "$tmp/p.jpg" ]'
  $bin stats pdf "$cat" --mesh 16 -o "$tmp/pdf.txt" 2>/dev/null
  check "pdf: every voxel counted once, every halo once" '[ "$(awk "!/^#/ { v += \$2; h += \$1 * \$2 } END { print v, h }" "$tmp/pdf.txt")" = "4096 $nh" ]'
  $bin stats pk "$cat" --mesh 32 --mass-bins 1e13,1e14,1e16 -o "$tmp/pkm.txt" --plot "$tmp/pkm.svg" 2>/dev/null
  check "pk per mass bin" 'grep -q "P_m1\[" "$tmp/pkm.txt" && svg_ok "$tmp/pkm_m0.svg" && svg_ok "$tmp/pkm_m1.svg"'
  $bin stats cross "$cat" "$cat" --mesh 32 -o "$tmp/cc.txt" --plot "$tmp/cc.svg" 2>/dev/null
  check "cross of a catalogue with itself: r_c = 1, baseline regenerated" '[ "$(col "$tmp/cc.txt" r_c 2)" = 1 ] && grep -q "^# baseline 0: b \* m" "$tmp/cc.txt"'
else
  echo "SKIP: halopaint sim could not make a catalogue; catalogue tests skipped"
fi

# a painted catalogue from the main job: its stored parameters also carry the model's identity
$bin run params/default.param -s NParticles=64 -s BoxSize=64 -s OutputDir="$tmp" -s FileBase=run > /dev/null 2>&1
$bin stats cross "$tmp/run_seed42.hdf5" "$tmp/run_seed42.hdf5" --mesh 16 -o "$tmp/rr.txt" 2> "$tmp/e.txt"
check "cross of a run catalogue: baseline regenerated from its stored parameters" '[ $? -eq 0 ] && grep -q "^# baseline 0: b \* m" "$tmp/rr.txt"'

# the PDF a model expects from painted means: a mean field of `halopaint paint` on the same box
$bin stats mesh params/default.param -s NParticles=64 -s BoxSize=64 --mesh 16 --no-interlace \
  --no-deconvolve -o "$tmp/dens.h5" 2> /dev/null
$bin paint models/default.h5 "$tmp/dens.h5" "$tmp/means.h5" > /dev/null 2>&1
edges=$($bin model info models/default.h5 | awk '/edges \[Msun\/h\]:/ { for (i = 1; i <= NF; i++) if ($i == "[Msun/h]:") s = i
  for (i = s + 1; i <= NF; i++) printf "%s%s", (i > s + 1 ? "," : ""), $i }')
$bin stats pdf "$tmp/run_seed42.hdf5" "$tmp/means.h5" --dataset counts --model models/default.h5 \
  --mass-bins "$edges" -o "$tmp/epdf.txt" 2> /dev/null
# sum over N of N x voxels (N >= 16 rows hold nothing at these means) against the painted means
meansum=$(/usr/bin/python3 -c "import h5py, sys; print(h5py.File(sys.argv[1])['counts'][0].sum())" "$tmp/means.h5" 2> /dev/null)
check "pdf of painted means under the model: every voxel counted once, the means' sum" '[ $? -eq 0 ] && [ "$(colsum "$tmp/epdf.txt" voxels_1_m0)" = 4096 ] && awk -v m="$meansum" "!/^#/ { s += \$1 * \$8 } END { d = s - m; if (d < 0) d = -d; exit !(m != \"\" && d < 1e-4 * m + 1e-6) }" "$tmp/epdf.txt"'
$bin stats pdf "$tmp/means.h5" --dataset counts --mass-bins "$edges" > /dev/null 2> "$tmp/e.txt"
check "pdf of painted means without --model: refused, --model named" '[ $? -ne 0 ] && grep -q -- "--model" "$tmp/e.txt"'
$bin stats pdf "$tmp/means.h5" --dataset counts --model models/lowmass.h5 > /dev/null 2> "$tmp/e.txt"
check "pdf of painted means under a model with other mass bins: refused, both named" '[ $? -ne 0 ] && grep -q "means.h5" "$tmp/e.txt" && grep -q "lowmass.h5" "$tmp/e.txt"'
cp "$tmp/means.h5" "$tmp/badmeans.h5"
/usr/bin/python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); f['counts'][1, 2, 3, 4] = -0.5" "$tmp/badmeans.h5"
$bin stats pdf "$tmp/badmeans.h5" --dataset counts --model models/default.h5 --mass-bins "$edges" > /dev/null 2> "$tmp/e.txt"
check "pdf of a mean field with a negative voxel: refused, file and value named" '[ $? -ne 0 ] && grep -q "badmeans.h5" "$tmp/e.txt" && grep -q "holds -0.5" "$tmp/e.txt"'

# light cones: n(z) and w(theta) of the synthetic Poisson cone (full sky, 0.05 <= z <= 0.3, two
# painter mass bins) that tests/test_stats_cone.c writes, so that no light-cone run is needed
conebin=build/tests/test_stats_cone
if [ -x "$conebin" ] && "$conebin" --write-cone "$tmp/cone.h5" > /dev/null 2>&1; then
  $bin stats nz "$tmp/cone.h5" --dz 0.05 -o "$tmp/nz.txt" --plot "$tmp/nz.svg" 2>/dev/null
  check "nz: 5 redshift bins, figure" '[ $? -eq 0 ] && [ "$(rows "$tmp/nz.txt")" -eq 5 ] && svg_ok "$tmp/nz.svg"'
  nh=$(sed -n 's/^# light cone: .*, \([0-9]*\) halos, .*/\1/p' "$tmp/nz.txt")
  check "nz: every halo in one bin, the mass bins add up" '[ -n "$nh" ] && [ "$(colsum "$tmp/nz.txt" N_all)" = "$nh" ] && [ $(( $(colsum "$tmp/nz.txt" N_m0) + $(colsum "$tmp/nz.txt" N_m1) )) = "$nh" ]'
  check "nz: n/n_exp = 1 within 4 sigma in every bin (a Poisson cone)" 'within "$tmp/nz.txt" "ratio_all[" "err_all[" 1 4'
  $bin stats nz "$tmp/cone.h5" --zobs > "$tmp/nzo.txt" 2>/dev/null
  check "nz --zobs: the header says the expectation is for real space" 'grep -q "ZObs: n_exp is the real-space expectation" "$tmp/nzo.txt"'
  $bin stats wtheta "$tmp/cone.h5" --zmin 0.1 --zmax 0.3 --threads 1 -o "$tmp/w1.txt" --plot "$tmp/w.svg" 2>/dev/null
  check "wtheta: 12 bins from 0.1 to 10 degrees, figure" '[ $? -eq 0 ] && [ "$(rows "$tmp/w1.txt")" -eq 12 ] && [ "$(col "$tmp/w1.txt" theta_hi 12)" = 10 ] && svg_ok "$tmp/w.svg"'
  check "wtheta of a Poisson cone: w = 0 within 4 sigma" 'within "$tmp/w1.txt" "w[" "err[" 0 4'
  $bin stats wtheta "$tmp/cone.h5" --zmin 0.1 --zmax 0.3 --threads 2 -o "$tmp/w2.txt" 2>/dev/null
  check "wtheta: the same pair counts with 1 and 2 threads" '[ "$(grep -v "^# halopaint stats" "$tmp/w1.txt")" = "$(grep -v "^# halopaint stats" "$tmp/w2.txt")" ]'
  $bin stats wtheta "$tmp/cone.h5" --theta 1,2,4 --mass-bins 1e12,1e13,1e14 --mass-bin 0 -o "$tmp/w3.txt" --plot "$tmp/w3.svg" 2>/dev/null
  check "wtheta --theta --mass-bins --mass-bin: columns per sample, a figure per sample with halos" '[ "$(rows "$tmp/w3.txt")" -eq 2 ] && grep -q "w_m1\[" "$tmp/w3.txt" && svg_ok "$tmp/w3_m0.svg" && [ ! -e "$tmp/w3_m1.svg" ]'
  $bin stats wtheta "$tmp/cone.h5" --mass-bin 2 > /dev/null 2> "$tmp/e.txt"
  check "wtheta --mass-bin beyond the cone's bins: exit 1, named" '[ $? -eq 1 ] && grep -q "mass bins 0 to 1" "$tmp/e.txt"'
  $bin stats wtheta "$tmp/cone.h5" --ntheta 4 > /dev/null 2> "$tmp/e.txt"
  check "wtheta --ntheta refused (angles in degrees come with --theta)" '[ $? -eq 1 ] && grep -q "theta T0,T1" "$tmp/e.txt"'
  $bin stats nz "$tmp/pk.txt" > /dev/null 2> "$tmp/e.txt"
  check "nz on a table, not a cone: exit 1, the file named" '[ $? -eq 1 ] && grep -q "light-cone catalogue" "$tmp/e.txt" && grep -q "pk.txt" "$tmp/e.txt"'
else
  echo "SKIP: $conebin --write-cone could not make a cone; nz and wtheta tests skipped"
fi

# errors: clear, with the right exit status, nothing left behind
$bin stats nosuch x > /dev/null 2> "$tmp/e.txt"
check "unknown subcommand: exit 2" '[ $? -eq 2 ] && grep -q "nosuch" "$tmp/e.txt"'
$bin stats pk "$tmp/p.param" --bogus > /dev/null 2> "$tmp/e.txt"
check "unknown option named" '[ $? -eq 2 ] && grep -q "bogus" "$tmp/e.txt"'
$bin stats pk "$tmp/missing.h5" > /dev/null 2> "$tmp/e.txt"
check "missing input named, exit 1" '[ $? -eq 1 ] && grep -q "missing.h5" "$tmp/e.txt"'
$bin stats pk "$tmp/g.h5" --rsd z > /dev/null 2> "$tmp/e.txt"
check "--rsd on a grid refused" '[ $? -eq 1 ] && grep -q "rsd" "$tmp/e.txt"'
$bin stats pk "$tmp/g.h5" --mesh 64 > /dev/null 2> "$tmp/e.txt"
check "--mesh different from the grid refused" '[ $? -eq 1 ] && grep -q "fixes the mesh" "$tmp/e.txt"'
$bin stats bispec "$tmp/p.param" --mesh 32 --k1 3 > /dev/null 2> "$tmp/e.txt"
check "bispec shell beyond the mesh: the message names it" '[ $? -eq 1 ] && grep -q "shell k1 = 3" "$tmp/e.txt"'
check "no temporary files left" '! ls "$tmp"/*.tmp.* > /dev/null 2>&1'

echo "stats cli: $fails failed"
[ $fails -eq 0 ]
