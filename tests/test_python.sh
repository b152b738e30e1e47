#!/bin/sh
# Tests of the Python package (python/): its unit tests (paint and run against bin/halopaint,
# read_catalog, Params, errors), an offline `pip install --target` imported from elsewhere, and
# the example mock_pk.py, whose P(k) must be the table of `halopaint stats pk --no-interlace`.
# PYTHON (default Debian's /usr/bin/python3: numpy, h5py, matplotlib). Run from the repository
# root (make test does).
set -u
PYTHON=${PYTHON:-/usr/bin/python3}
. tests/lib.sh
root=$(pwd)

if ! "$PYTHON" -c 'import numpy, h5py, matplotlib' 2>/dev/null; then
  echo "SKIP: $PYTHON lacks numpy, h5py or matplotlib (scripts/install-deps.sh installs them)"
  exit 0
fi
if [ ! -f lib/libhalopaint.so ] || [ ! -x "$bin" ]; then
  bad "lib/libhalopaint.so and $bin built (make all)"
  exit 1
fi
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the tree

# --- the unit tests ------------------------------------------------------------------------
HALOPAINT_BIN="$root/bin/halopaint" "$PYTHON" -m unittest discover -s python/tests -t python > "$tmp/ut.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$tmp/ut.txt"
check "python unit tests pass ($(tail -3 "$tmp/ut.txt" | grep -E '^(OK|FAILED)'))" '[ $rc -eq 0 ]'
check "python unit tests ran, none skipped" 'grep -q "^Ran [1-9]" "$tmp/ut.txt" && ! grep -q "skipped" "$tmp/ut.txt"'

# --- an offline install, imported from another directory ----------------------------------
v=$(sed -n 's/.*HP_VERSION "\(.*\)".*/\1/p' plugin/version.h)
check "pyproject version = HP_VERSION ($v)" 'grep -q "^version = \"$v\"" python/pyproject.toml'
cp -r python "$tmp/src" # pip builds in the source folder: keep the tree clean
"$PYTHON" -m pip install --no-build-isolation --no-index --target "$tmp/site" "$tmp/src" \
  > "$tmp/pip.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$tmp/pip.txt"
check "pip install --no-build-isolation --no-index --target (offline)" '[ $rc -eq 0 ]'
(cd "$tmp" && HALOPAINT_LIB="$root/lib/libhalopaint.so" PYTHONPATH="$tmp/site" "$PYTHON" -c "
import halopaint as hp, numpy as np
assert hp.__file__.startswith('$tmp/site/'), hp.__file__
m = hp.Model('$root/models/default.h5')
rho = np.exp(np.random.default_rng(1).normal(0, 0.8, (16, 16, 16)))
c = hp.paint(rho / rho.mean(), m, box_size=64)
assert c.shape == (3, 16, 16, 16) and c.sum() > 0
print('installed', hp.__version__, m.nbins)
") > "$tmp/inst.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$tmp/inst.txt"
check "the installed package imports and paints" '[ $rc -eq 0 ] && grep -q "installed 0.1.0 3" "$tmp/inst.txt"'

# --- the example: a tiny mock, its P(k) equal to halopaint stats pk, a PNG ----------------
# the unit tests' tiny run (python/tests/support.py), written where the catalogues go
(cd python && "$PYTHON" -c 'from tests.support import TINY; print(TINY)') > "$tmp/tiny.param"
echo "OutputDir $tmp" >> "$tmp/tiny.param"
"$PYTHON" python/examples/mock_pk.py --params "$tmp/tiny.param" -s Threads=2 --seed 7 \
  --mesh 32 --out "$tmp/pk.png" --table "$tmp/pk.txt" > "$tmp/ex.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$tmp/ex.txt"
check "mock_pk.py runs" '[ $rc -eq 0 ]'
check "mock_pk.py writes a PNG" '[ -s "$tmp/pk.png" ] && [ "$(head -c 4 "$tmp/pk.png" | tail -c 3)" = PNG ]'
$bin run "$tmp/tiny.param" -s Seed=7 > /dev/null 2>&1 &&
  $bin stats pk "$tmp/tiny_seed7.hdf5" --mesh 32 --no-interlace -o "$tmp/ref.txt" > /dev/null 2>&1
rc=$?
check "halopaint run + stats pk on the same seed" '[ $rc -eq 0 ]'
# columns: k_lo k_hi k_mean nmodes P ...; the same bins, modes and P to float precision
grep -v '^#' "$tmp/pk.txt" > "$tmp/a.txt"
grep -v '^#' "$tmp/ref.txt" > "$tmp/b.txt"
check "mock_pk.py P(k) = halopaint stats pk (16 bins, nmodes, P to 1e-5)" \
  "paste -d' ' \"$tmp/a.txt\" \"$tmp/b.txt\" | awk 'NF { n++; if (\$4 != \$10 || (\$5 - \$11) * (\$5 - \$11) > 1e-10 * \$11 * \$11) bad++ }
     END { exit !(n == 16 && !bad) }'"

echo "== test_python.sh: $fails failed"
[ "$fails" -eq 0 ]
