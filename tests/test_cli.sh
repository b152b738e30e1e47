#!/bin/sh
# End-to-end tests of the halopaint command line (run from the repository root).
. tests/lib.sh

cat > "$tmp/min.param" <<'P'
% the minimum: cosmology (the default model's), box, particles, seed
Omega0          0.3089
OmegaBaryon     0.0486
HubbleParam     0.6774
Sigma8          0.8159
PrimordialIndex 0.9667
BoxSize         64     % Mpc/h
NParticles      64     % 64 per 4 Mpc/h voxel, as the default model
Seed            3
P
cat > "$tmp/cosmo.param" <<'P'
Omega0 0.315
OmegaBaryon 0.049
HubbleParam 0.68
Sigma8 0.81
PrimordialIndex 0.97
P

# cosmo: needs only the cosmology keys; exact header line; sigma8 and D2 < 0
$bin cosmo "$tmp/cosmo.param" --k 0.01,0.1 > "$tmp/c.txt" 2> "$tmp/c.err"
check "cosmo runs on a cosmology-only file" '[ $? -eq 0 ]'
check "cosmo header line" '[ "$(head -1 "$tmp/c.txt")" = "# k[h/Mpc] T(k) P(k,z=0)[(Mpc/h)^3] P(k,Redshift)[(Mpc/h)^3]" ]'
check "cosmo rows for --k" '[ "$(grep -vc "^#" "$tmp/c.txt")" -eq 2 ]'
check "cosmo sigma(R=8) = Sigma8" 'grep -q "^# sigma(R=8) = 0.81000" "$tmp/c.txt"'
check "cosmo D2 negative at z = 0" 'grep -q "^# D2 = -0.432" "$tmp/c.txt"'
n=$($bin cosmo "$tmp/cosmo.param" | grep -vc '^#')
check "cosmo default k grid (101 rows)" '[ "$n" -eq 101 ]'
$bin cosmo "$tmp/cosmo.param" -s Redshift=1 > "$tmp/c1.txt"
check "-s Redshift=1 overrides: D1(z=1) = 0.60675" 'grep -q "^# D1 = 0.60675" "$tmp/c1.txt"'

# parameter-file errors: clear, with file, line and suggestion, never a crash
printf 'Omega_0 0.3\n' > "$tmp/typo.param"
$bin cosmo "$tmp/typo.param" > /dev/null 2> "$tmp/e.txt"
rc=$?
check "unknown key fails with exit 1" '[ $rc -eq 1 ]'
check "unknown key names file, line and nearest key" 'grep -q "typo.param line 1" "$tmp/e.txt" && grep -q "Omega0" "$tmp/e.txt"'
$bin ic "$tmp/cosmo.param" > /dev/null 2> "$tmp/e.txt"
check "ic without BoxSize names the missing key" 'grep -q "BoxSize" "$tmp/e.txt"'
$bin cosmo "$tmp/cosmo.param" -s Sed=3 > /dev/null 2> "$tmp/e.txt"
check "unknown override suggests Seed" 'grep -q "Seed" "$tmp/e.txt"'
head -c 2000 /dev/urandom > "$tmp/bin.param"
$bin cosmo "$tmp/bin.param" > /dev/null 2> "$tmp/e.txt"
rc=$?
check "binary file refused without a crash" '[ $rc -eq 1 ] && grep -q "bin.param" "$tmp/e.txt"'
printf '0.1 \001\377\033[2J\n' > "$tmp/pk.bin"
$bin cosmo "$tmp/cosmo.param" -s PowerSpectrum=File -s PowerSpectrumFile="$tmp/pk.bin" > /dev/null 2> "$tmp/e.txt"
check "a binary PowerSpectrumFile: refused, no control bytes echoed" '[ -s "$tmp/e.txt" ] && ! LC_ALL=C grep -q "$(printf "\033")" "$tmp/e.txt" && grep -q "pk.bin" "$tmp/e.txt"'
$bin cosmo "$tmp/missing.param" > /dev/null 2> "$tmp/e.txt"
check "missing file named" 'grep -q "missing.param" "$tmp/e.txt"'

# help params: every key of the example file appears
$bin help params > "$tmp/help.txt"
missing=0
for k in $(grep -E '^%? *[A-Za-z_0-9]+ ' params/example.param | sed 's/^% *//' | awk '{print $1}'); do
  grep -q "$k" "$tmp/help.txt" || missing=$((missing+1))
done
check "help params lists every key" '[ $missing -eq 0 ]'

# docs/parameters.md is generated from the table: it must be current
$bin help params > "$tmp/h.txt"
awk '/^```$/ { inside = !inside; next } inside' docs/parameters.md > "$tmp/doc.txt"
check "docs/parameters.md matches help params (run scripts/gen-param-docs.sh)" 'cmp -s "$tmp/doc.txt" "$tmp/h.txt"'

# ic in every format; nothing temporary left behind
for f in 1 2 3; do
  $bin ic "$tmp/min.param" -s ICFormat=$f -s OutputDir="$tmp" -s FileBase=f$f > /dev/null 2>&1
  check "ic ICFormat $f writes its files" '[ $? -eq 0 ] && ls "$tmp"/f${f}_ic* > /dev/null 2>&1'
done
check "ic leaves no temporary files" '! ls "$tmp"/*.tmp.* > /dev/null 2>&1'
$bin ic "$tmp/min.param" -s OutputDir="$tmp/nodir" > /dev/null 2> "$tmp/e.txt"
rc=$?
check "ic into a missing directory fails, names it, leaves nothing" '[ $rc -ne 0 ] && grep -q "nodir" "$tmp/e.txt" && [ ! -e "$tmp/nodir" ]'

# run: the in-process pipeline on the minimal file
# run: the whole pipeline on the minimal file with the shipped model, into a catalogue
$bin run "$tmp/min.param" -s OutputDir="$tmp" > "$tmp/run.txt" 2>&1
check "run on the minimal parameter file writes a catalogue" '[ $? -eq 0 ] && [ -s "$tmp/halopaint_seed3.hdf5" ]'
$bin stats hmf "$tmp/halopaint_seed3.hdf5" > "$tmp/hmf.txt" 2> /dev/null
check "the catalogue reads back (stats hmf)" '[ $? -eq 0 ] && grep -q "^# columns" "$tmp/hmf.txt"'
$bin run "$tmp/min.param" -s OutputDir="$tmp" -s Seeds=4-5 -s OutputFormat=ASCII > /dev/null 2>&1
check "run over a seed range, ASCII" '[ -s "$tmp/halopaint_seed4.txt" ] && [ -s "$tmp/halopaint_seed5.txt" ]'
$bin run "$tmp/min.param" -s NParticles=32 > /dev/null 2> "$tmp/e.txt"
check "run refuses parameters the model was not trained for, saying what differs" \
  'grep -q "particles per voxel" "$tmp/e.txt" && grep -q "AllowModelMismatch" "$tmp/e.txt"'
# every command plans its memory before allocating
$bin sim "$tmp/min.param" -s MemoryLimit=1 -s OutputDir="$tmp" > /dev/null 2> "$tmp/e.txt"
check "sim refuses a plan beyond MemoryLimit, before allocating" 'grep -q "sim: 64^3 particles.*needs about .* MB; MemoryLimit is 1 MB" "$tmp/e.txt"'
$bin ic "$tmp/min.param" -s MemoryLimit=1 -s OutputDir="$tmp" > /dev/null 2> "$tmp/e.txt"
check "ic refuses a plan beyond MemoryLimit" 'grep -q "ic: 64^3 particles needs about" "$tmp/e.txt"'
$bin run "$tmp/min.param" -s Omega0=0.315 > /dev/null 2> "$tmp/e.txt"
check "run refuses a universe the model was not trained in, naming the parameter" \
  'grep -q "Omega0 = 0.315, the model was trained at 0.3089" "$tmp/e.txt"'
$bin run "$tmp/min.param" -s ModelFile="$tmp/none.h5" > /dev/null 2> "$tmp/e.txt"
check "run names a missing model file" 'grep -q "none.h5" "$tmp/e.txt"'

# every shipped job runs with its shipped model on a small box of its particles per voxel
for job in "ppv8 32" "lowmass 64"; do
  set -- $job
  name=$1
  $bin run params/$name.param -s BoxSize=64 -s NParticles=$2 -s OutputDir="$tmp" -s FileBase=$name \
    -s Seed=5 > "$tmp/$name.out" 2>&1
  rc=$?
  check "params/$name.param runs with models/$name.h5 (exit $rc)" \
    '[ $rc -eq 0 ] && [ -s "$tmp/${name}_seed5.hdf5" ] && grep -q "models/$name.h5" "$tmp/$name.out"'
done

echo "cli: $fails failed"
[ $fails -eq 0 ]
