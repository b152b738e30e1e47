#!/bin/sh
# make sanitize: the test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# (float-cast-overflow included), in a copy of the tree under build/sanitize (so the normal
# build is untouched). Any finding stops the test that made it. About 10 minutes on 2 cores.
set -e
cd "$(dirname "$0")/.."
tree=build/sanitize/tree
rm -rf "$tree"
mkdir -p "$tree"
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  git ls-files -z | xargs -0 cp --parents -t "$tree"
  # files of this change not yet known to git
  git ls-files -z --others --exclude-standard | xargs -0 -r cp --parents -t "$tree"
else
  tar cf - --exclude=./build --exclude=./data . | tar xf - -C "$tree"
fi
san="-fsanitize=address,undefined -fsanitize=float-cast-overflow -fno-sanitize-recover=all"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
make -C "$tree" test CUDA=0 CFLAGS="-O1 -g -march=native -fno-omit-frame-pointer $san" \
  LDFLAGS="$san"
