#!/bin/sh
# Check that every C/CUDA source is clang-formatted (.clang-format); SKIP when clang-format is absent.
cd "$(dirname "$0")/.." || exit 1
if ! command -v clang-format >/dev/null 2>&1; then
  echo "SKIP: clang-format not installed"
  exit 0
fi
bad=0
for f in $(git ls-files '*.c' '*.h' '*.cu' 2>/dev/null); do
  clang-format "$f" | cmp -s - "$f" || { echo "not formatted: $f (run clang-format -i $f)"; bad=1; }
done
[ $bad -eq 0 ] && echo "format: all sources clang-formatted"
exit $bad
