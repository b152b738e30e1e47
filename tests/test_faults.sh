#!/bin/sh
# A file-size limit, and a full disk (a 64 kB tmpfs, when this user may mount one): every
# output fails with the reason, on one line, exits non-zero, leaves no temporary file and no
# HDF5 noise at exit.
cd "$(dirname "$0")/.." || exit 1
fails=0
ok() { echo "[       OK ] $1"; }
bad() { echo "[  FAILED  ] $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
bin=bin/halopaint
# a file-size limit (ulimit -f): the write fails with EFBIG, reported; SIGXFSZ does not kill
small=$(mktemp -d)
(ulimit -f 64 && exec $bin ic params/default.param -s NParticles=32 -s BoxSize=32 \
  -s OutputDir="$small" -s ICFormat=3) > "$small.out" 2>&1
rc=$?
check "ic past ulimit -f: exit 1 with 'File too large', not killed by SIGXFSZ" \
  '[ $rc -eq 1 ] && grep -q "File too large" "$small.out"'
check "ic past ulimit -f: nothing left behind" '[ -z "$(ls "$small")" ]'
rm -rf "$small" "$small.out"
full=$(mktemp -d)
if ! mount -t tmpfs -o size=64k tmpfs "$full" 2> /dev/null; then
  rmdir "$full"
  echo "SKIP: cannot mount a tmpfs here (needs root); full-disk tests skipped"
  exit 0
fi
trap 'umount "$full"; rmdir "$full"' EXIT
# nearly full: HDF5 creates the file, then fails in the middle of the datasets
head -c 60000 /dev/zero > "$full/fill" 2> /dev/null
$bin run params/default.param -s NParticles=64 -s BoxSize=64 -s OutputDir="$full" > "$full.out" 2>&1
rc=$?
check "run on a full disk: exit 1, the reason named" '[ $rc -eq 1 ] && grep -q "No space left on device" "$full.out"'
check "run on a full disk: HDF5 says nothing of its own (no error stack, no exit-time noise)" \
  '! grep -q "HDF5-DIAG\|T_top\|infinite loop" "$full.out" && [ "$(grep -c "No space" "$full.out")" -eq 1 ]'
head -c 100000 /dev/zero > "$full/fill2" 2> /dev/null # now completely full
$bin stats pk params/default.param -s NParticles=32 -s BoxSize=32 --mesh 16 -o "$full/pk.txt" \
  > "$full.out" 2>&1
check "stats on a full disk: the reason named" 'grep -q "No space left on device" "$full.out"'
check "nothing temporary left on the full disk" '! ls "$full" | grep -q "\.tmp\."'
rm -f "$full.out"
echo "faults: $fails failed"
[ $fails -eq 0 ]
