#!/bin/sh
# halopaint-mpi ic on 1, 2, 3 and 4 ranks writes `halopaint ic`'s particles (positions,
# velocities, IDs, bit for bit; the same headers and parameters), as one file or k files per
# rank holding lattice planes, with FFTW-MPI's unequal blocks and a rank holding none; bad
# NumFilesPerSnapshot values and what MPI cannot do are refused; a failure on one rank (a
# directory in the way, a full disk) leaves no file of any rank. Reads the files with PYTHON
# (numpy, h5py). (Run from the repository root, by scripts/run-mpi-tests.sh, which sets Open
# MPI's environment.)
PYTHON=${PYTHON:-/usr/bin/python3}
. tests/lib.sh
mbin=./bin/halopaint-mpi

if ! "$PYTHON" -c 'import numpy, h5py' 2>/dev/null; then
  echo "SKIP: $PYTHON lacks numpy or h5py (scripts/install-deps.sh installs them)"
  exit 0
fi

# same.py FMT SERIAL MPI NP RANKS K: the MPI snapshot (files in order) is the serial one's
# particles; each file holds part i of k of its rank's planes (FFTW-MPI's blocks of ceil(NP /
# RANKS)); headers and parameters agree, but for the names and the number of files.
cat > "$tmp/same.py" <<'PY'
import os, sys
import h5py, numpy as np

fmt, ser, mpi, n, ranks, k = int(sys.argv[1]), sys.argv[2], sys.argv[3], *map(int, sys.argv[4:])
mine = ("FileBase", "NumFilesPerSnapshot")  # the parameters that differ

def binary(fn):
    with open(fn, "rb") as f:
        def record():
            if fmt == 2:
                f.read(16)
            size = int(np.fromfile(f, np.int32, 1)[0])
            a = np.fromfile(f, np.uint8, size)
            assert int(np.fromfile(f, np.int32, 1)[0]) == size, fn + ": bad record"
            return a.tobytes()
        h = record()
        g = lambda t, off, c=1: np.frombuffer(h, t, c, off)
        npart = int(g(np.int32, 4)[0])
        hdr = dict(total=int(g(np.uint32, 100)[0]) + (int(g(np.uint32, 172)[0]) << 32),
                   mass=g(np.float64, 24, 6).tolist(), time=g(np.float64, 72)[0],
                   z=g(np.float64, 80)[0], files=int(g(np.int32, 124)[0]),
                   cosmo=g(np.float64, 128, 4).tolist())
        pos, vel, ids = record(), record(), record()
        ids = np.frombuffer(ids, np.uint32 if len(ids) == 4 * npart else np.uint64)
        return hdr, npart, np.frombuffer(pos, np.uint32), np.frombuffer(vel, np.uint32), ids

def hdf5(fn):
    with h5py.File(fn, "r") as f:
        a = f["Header"].attrs
        hdr = dict(total=int(a["NumPart_Total"][1]) + (int(a["NumPart_Total_HighWord"][1]) << 32),
                   mass=a["MassTable"].tolist(), time=a["Time"], z=a["Redshift"],
                   files=int(a["NumFilesPerSnapshot"]),
                   cosmo=[a[x] for x in ("BoxSize", "Omega0", "OmegaLambda", "HubbleParam")],
                   units=f["Units"].attrs["Unit length in cgs (U_L)"],
                   params={x: v for x, v in f["Parameters"].attrs.items() if x not in mine})
        p = f["PartType1"]
        return (hdr, int(a["NumPart_ThisFile"][1]), p["Coordinates"][:].view(np.uint32).ravel(),
                p["Velocities"][:].view(np.uint32).ravel(), p["ParticleIDs"][:])

def snapshot(base):
    ext, read = (".hdf5", hdf5) if fmt == 3 else ("", binary)
    if os.path.exists(base + ext):
        return [read(base + ext)]
    first = read(base + ".0" + ext)
    return [first] + [read("%s.%d%s" % (base, i, ext)) for i in range(1, first[0]["files"])]

def fail(why):
    print("same.py:", why)
    sys.exit(1)

s, m = snapshot(ser), snapshot(mpi)
block = -(-n // ranks)
planes = [min(block, n - r * block) for r in range(ranks) if n - r * block > 0]
want = [(i + 1) * p * n * n // k - i * p * n * n // k for p in planes for i in range(k)]
if [f[1] for f in m] != want:
    fail("files hold %s particles, expected %s" % ([f[1] for f in m], want))
for f in m:
    a, b = dict(s[0][0], files=len(m)), f[0]
    if a != b:
        fail("headers differ in %s" % [x for x in a if a[x] != b[x]])
for i, what in ((2, "positions"), (3, "velocities"), (4, "IDs")):
    a, b = np.concatenate([f[i] for f in s]), np.concatenate([f[i] for f in m])
    if a.shape != b.shape or not np.array_equal(a, b):
        fail("%s differ: %d of %d" % (what, (a != b).sum() if a.shape == b.shape else -1, a.size))
if fmt != 3:
    keep = lambda fn: [x for x in open(fn) if not x.startswith(mine + ("% halopaint initial",))]
    if keep(ser + ".params") != keep(mpi + ".params"):
        fail("the .params records differ")
PY

min_param "$tmp/base.param"
grep -v "^NParticles" "$tmp/base.param" > "$tmp/ic.param"
# 50^3: blocks of 25, 17/17/16 and 13/13/13/11 planes
printf 'NParticles 50\nThreads 1\n' >> "$tmp/ic.param"
# format 1: 2 files per rank; format 2 in kpc/h at z = 9, one each; format 3: 0 (automatic)
for f in "1 2 3.085678e24 49" "2 1 3.085678e21 9" "3 0 3.085678e24 49"; do
  set -- $f
  fmt=$1 k=$2 s="-s ICFormat=$1 -s UnitLength_in_cm=$3 -s RedshiftIC=$4 -s OutputDir=$tmp"
  $bin ic "$tmp/ic.param" $s -s FileBase=s$fmt > "$tmp/s$fmt.txt" 2>&1
  check "ICFormat $fmt: halopaint ic (the reference) succeeds" '[ $? -eq 0 ]'
  for n in 1 2 3 4; do
    mpirun -np $n $mbin ic "$tmp/ic.param" $s -s FileBase=m$fmt$n \
      -s NumFilesPerSnapshot=$((k * n)) > "$tmp/m$fmt$n.txt" 2>&1
    check "ICFormat $fmt, $n ranks, NumFilesPerSnapshot $((k * n)): halopaint-mpi ic succeeds" \
      '[ $? -eq 0 ]'
    "$PYTHON" "$tmp/same.py" $fmt "$tmp/s${fmt}_ic" "$tmp/m$fmt${n}_ic" 50 $n $((k ? k : 1))
    check "ICFormat $fmt, $n ranks: ic's particles, headers and parameters" '[ $? -eq 0 ]'
  done
done
check "one rank, one file: ic's file byte for byte" 'cmp -s "$tmp/s2_ic" "$tmp/m21_ic"'
check "only rank 0 prints" '[ "$(grep -c "wrote" "$tmp/m34.txt")" -eq 1 ]'
$bin paint models/default.h5 "$tmp/m33_ic.0.hdf5" "$tmp/p.h5" --allow-mismatch > "$tmp/p.txt" 2>&1
check "paint (hp_ic_read) reads the snapshot of 3 ranks" \
  '[ $? -eq 0 ] && grep -q "125000 particles, BoxSize 64 Mpc/h" "$tmp/p.txt"'

# 6^3 on 4 ranks: blocks of 2 planes, the last rank holds none: 3 writers
grep -v "^NParticles" "$tmp/ic.param" > "$tmp/six.param"
echo "NParticles 6" >> "$tmp/six.param"
$bin ic "$tmp/six.param" -s OutputDir="$tmp" -s FileBase=six > /dev/null 2>&1
mpirun -np 4 $mbin ic "$tmp/six.param" -s OutputDir="$tmp" -s FileBase=six4 > "$tmp/six4.txt" 2>&1
check "6^3 on 4 ranks: 3 files, from the 3 ranks holding planes" \
  '[ $? -eq 0 ] && grep -q "3 files: 1 from each of the 3 MPI ranks" "$tmp/six4.txt"'
"$PYTHON" "$tmp/same.py" 3 "$tmp/six_ic" "$tmp/six4_ic" 6 4 1
check "6^3 on 4 ranks: ic's particles" '[ $? -eq 0 ]'
msg="NumFilesPerSnapshot = 4: the 3 MPI ranks holding lattice planes (of 4).*multiple of 3 (3, 6,"
mpirun -np 4 $mbin ic "$tmp/six.param" -s OutputDir="$tmp" -s FileBase=bad \
  -s NumFilesPerSnapshot=4 > "$tmp/bad.txt" 2>&1
check "NumFilesPerSnapshot not a multiple of the writers: refused once, saying which work" \
  '[ $? -ne 0 ] && grep -q "$msg" "$tmp/bad.txt" && [ "$(grep -c "NumFiles" "$tmp/bad.txt")" -eq 1 ]'
check "... and writes nothing" '[ -z "$(ls "$tmp" | grep "^bad_")" ]'
mpirun -np 4 $mbin ic "$tmp/six.param" -s OutputDir="$tmp" -s FileBase=bad \
  -s NumFilesPerSnapshot=219 > "$tmp/bad.txt" 2>&1
check "more files than a rank's particles (73 for 72): refused" \
  '[ $? -ne 0 ] && grep -q "73 files for a rank.s 72 particles" "$tmp/bad.txt"'

# a failure on one rank: rank 2's file's final name is a directory; no rank leaves a file
mkdir -p "$tmp/half/d_ic.2.hdf5"
mpirun -np 3 $mbin ic "$tmp/ic.param" -s OutputDir="$tmp/half" -s FileBase=d > "$tmp/half.txt" 2>&1
check "a failure on rank 2: refused, naming it" \
  '[ $? -ne 0 ] && grep -q "rank 2: .*d_ic.2.hdf5: a directory of that name exists" "$tmp/half.txt"'
check "... and no rank leaves a file or a temporary" '[ "$(ls "$tmp/half")" = d_ic.2.hdf5 ]'
mkdir "$tmp/full"
if mount -t tmpfs -o size=2500k tmpfs "$tmp/full" 2> /dev/null; then
  # 4 files of 0.8-0.9 MB on a 2.5 MB disk: some ranks fail part-way, the others had written
  mpirun -np 4 $mbin ic "$tmp/ic.param" -s OutputDir="$tmp/full" > "$tmp/full.txt" 2>&1
  check "a full disk: refused, with the reason" \
    '[ $? -ne 0 ] && grep -q "rank .*No space left on device" "$tmp/full.txt"'
  check "... and no rank leaves a file or a temporary" '[ -z "$(ls "$tmp/full")" ]'
  umount "$tmp/full"
else
  echo "SKIP: cannot mount a tmpfs here (needs root); the full-disk test skipped"
fi
touch "$tmp/file"
mpirun -np 2 $mbin ic "$tmp/ic.param" -s OutputDir="$tmp/file" -s ICFormat=1 > "$tmp/nd.txt" 2>&1
check "OutputDir under a regular file: refused on every rank, once" \
  '[ $? -ne 0 ] && grep -q "Not a directory" "$tmp/nd.txt" && [ "$(grep -c "halopaint ic:" "$tmp/nd.txt")" -eq 1 ]'

for kv in LinearFieldFile=x.h5 WhiteNoiseFile=x.h5 WriteLinearField=1; do
  mpirun -np 2 $mbin ic "$tmp/ic.param" -s OutputDir="$tmp" -s $kv > "$tmp/r.txt" 2>&1
  check "${kv%%=*}: refused by name" \
    '[ $? -ne 0 ] && grep -q "${kv%%=*} = .*: not available with MPI yet (use halopaint ic)" "$tmp/r.txt"'
done
mpirun -np 2 $mbin ic "$tmp/ic.param" -s OutputDir="$tmp" -s LPTDealias=1 > "$tmp/r.txt" 2>&1
check "LPTDealias with LPTOrder 2: refused" '[ $? -ne 0 ] && grep -q "LPTDealias is not available with MPI" "$tmp/r.txt"'
finish test_ic_mpi
