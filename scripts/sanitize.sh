#!/bin/sh
# make sanitize: the test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# (float-cast-overflow included), in a copy of the tree under build/sanitize (so the normal
# build is untouched). Any finding stops the test that made it. The whole suite takes over 30
# minutes on 2 cores (the learning tests are slow under ASan); `scripts/sanitize.sh quick`
# (make sanitize-quick, run by .ci/run) builds the library and the program the same way and
# runs the subset below, every stage's inputs and outputs, in about 5 minutes.
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
flags="CUDA=0"
cflags="-O1 -g -march=native -fno-omit-frame-pointer $san"
if [ "${1:-}" = quick ]; then
  # parameters, files (catalogue, model, IC, cone), the sampler and count distribution, CIC,
  # 2LPT, the painter plan, the main job, the light cone, statistics, and the command line
  quick="test_params test_util test_catalog test_model_io test_ic_write test_count_dist \
    test_sampler test_cic test_lpt test_painter test_run test_api test_lightcone \
    test_stats_cone test_stats_angular test_count_runs"
  bins=""
  for t in $quick; do bins="$bins build/tests/$t"; done
  make -C "$tree" $flags CFLAGS="$cflags" LDFLAGS="$san" all $bins
  cd "$tree"
  # and the MPI stages on 1-4 ranks, when halopaint-mpi is built
  mpi=""
  if [ -x bin/halopaint-mpi ]; then
    make $flags CFLAGS="$cflags" LDFLAGS="$san" build/tests/mpi/test_lpt_mpi
    mpi=scripts/run-mpi-tests.sh
  fi
  scripts/run-tests.sh $bins tests/test_cli.sh tests/test_lightcone_cli.sh $mpi
else
  make -C "$tree" test $flags CFLAGS="$cflags" LDFLAGS="$san"
fi
