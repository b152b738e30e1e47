#!/bin/sh
# docs/tutorial.md as a test: every ```sh and ```python block, in order, in a scratch directory
# that sees the tree's bin/, lib/, models/, params/, python/ and scripts/ (`make demo` runs what
# it runs after building: scripts/demo.sh). Then what the text promises is checked.
. tests/lib.sh
root=$(pwd)
PYTHON=${PYTHON:-/usr/bin/python3}

if ! "$PYTHON" -c 'import numpy, h5py' 2>/dev/null; then
  echo "SKIP: $PYTHON lacks numpy or h5py (scripts/install-deps.sh installs them)"
  exit 0
fi
for d in bin lib models params python scripts; do ln -s "$root/$d" "$tmp/$d"; done
# split the page into numbered blocks: NN.sh / NN.py
awk -v dir="$tmp" '
  /^```sh$/ { n++; f = sprintf("%s/block%02d.sh", dir, n); next }
  /^```python$/ { n++; f = sprintf("%s/block%02d.py", dir, n); next }
  /^```/ { f = ""; next }
  f != "" { print > f }
' docs/tutorial.md
check "the tutorial has sh and python blocks" '[ "$(ls "$tmp"/block*.sh | wc -l)" -ge 5 ] && [ "$(ls "$tmp"/block*.py | wc -l)" -ge 2 ]'
cd "$tmp" || exit 1
for b in block*; do
  case $b in
    *.sh) sed 's|^make demo$|sh scripts/demo.sh|' "$b" > run.sh
          sh -e run.sh > "$b.log" 2>&1 ;;
    *.py) PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$b" > "$b.log" 2>&1 ;;
  esac
  rc=$?
  [ $rc -eq 0 ] || tail -5 "$b.log"
  check "tutorial block $b runs" '[ $rc -eq 0 ]'
done
check "the demo wrote its catalogue and plots" '[ -s demo/halopaint_seed42.hdf5 ] && [ -s demo/slice.png ]'
check "the bumped field was read from delta" 'grep -q "linear field from demo/bumped.h5 (delta, 256^3)" block*.sh.log'
check "the side-by-side slice was drawn" '[ -s demo/bump.png ]'
n_demo=$("$PYTHON" -c 'import h5py; print(h5py.File("demo/halopaint_seed42.hdf5")["Halos/Mass"].shape[0])')
n_bump=$("$PYTHON" -c 'import h5py, numpy as np
p = h5py.File("demo/bumped_seed42.hdf5")["Halos/Position"][...]
print(int((np.abs(p - 128) < 12).all(axis=1).sum()))')
n_centre=$("$PYTHON" -c 'import h5py, numpy as np
p = h5py.File("demo/halopaint_seed42.hdf5")["Halos/Position"][...]
print(int((np.abs(p - 128) < 12).all(axis=1).sum()))')
check "the bump put more halos at the centre ($n_centre -> $n_bump)" '[ "$n_bump" -gt $((n_centre + 3)) ]'
same=$("$PYTHON" -c 'import h5py, numpy as np
a = h5py.File("demo/halopaint_seed42.hdf5")["Halos"]; b = h5py.File("demo/sampled.hdf5")["Halos"]
ok = a["Mass"].shape == b["Mass"].shape and (a["Mass"][...] == b["Mass"][...]).all()
moved = (a["Position"][...] != b["Position"][...]).any(axis=1).sum() if ok else -1
print(int(ok and 0 <= moved <= 0.002 * len(a["Mass"])))')
check "paint + sample of the ic particles is the demo's catalogue ($n_demo halos)" '[ "$same" = 1 ]'
check "the cross table and the painted slice exist" '[ -s demo/cross.txt ] && [ -s demo/painted.png ]'
finish "tutorial"
