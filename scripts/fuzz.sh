#!/bin/sh
# Fuzzing (issue "Hardening"): libFuzzer harnesses (tests/fuzz/fuzz_*.c) for every reader of a
# user's file: parameter file, P(k) table, halo catalogue (HDF5 and ASCII), model, initial
# conditions, grid, light cone. The library is built with clang, ASan and UBSan under
# build/fuzz (the normal build is untouched); each harness starts from its seed corpus in
# tests/fuzz/corpus/NAME (small valid files).
#   scripts/fuzz.sh smoke         the text readers (params, pk), 2000 inputs each (make test)
#   scripts/fuzz.sh RUNS [NAMES]  RUNS inputs a harness (default all), appended to
#                                 bench/results/fuzz.txt
# The HDF5 readers run in libFuzzer's fork mode, going on past a crash: a crash whose fault
# lies inside the HDF5 library (corrupt object headers: the library's own known class of
# bugs, not reachable from halopaint's side) is counted apart from one in halopaint's code.
set -e
cd "$(dirname "$0")/.."
mode=${1:-1000000}
names=${2:-"params pk catalog model ic grid cone"}
runs=$mode
record=1
[ "$mode" = smoke ] && runs=2000 && record=0 && names="params pk"
rt=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2> /dev/null | head -1)
if ! command -v clang > /dev/null || [ -z "$rt" ]; then
  echo "SKIP: fuzzing needs clang with libFuzzer (apt-get install clang libomp-dev)"
  exit 0
fi
out=build/fuzz
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
make --no-print-directory -s CC=clang CUDA=0 BUILD=$out STATIC=$out/libhalopaint.a \
  CFLAGS="-O1 -g -march=native $san" $out/libhalopaint.a
libs="$(pkg-config --libs hdf5 fftw3f gsl chealpix cfitsio libpng nettle) -lfftw3f_omp -fopenmp -lm"
# no lock files: one process reads its own temporary file
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  HDF5_USE_FILE_LOCKING=FALSE
[ $record -eq 1 ] && echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores: scripts/fuzz.sh $mode" >> bench/results/fuzz.txt
for n in $names; do
  clang -O1 -g -march=native -std=c11 -D_DEFAULT_SOURCE -I. $(pkg-config --cflags hdf5) \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fopenmp \
    tests/fuzz/fuzz_$n.c $out/libhalopaint.a $libs -o $out/fuzz_$n
  work=$out/corpus_$n
  rm -rf "$work" "$out/crashes_$n" && mkdir -p "$work" "$out/crashes_$n"
  cp tests/fuzz/corpus/$n/* "$work/"
  t0=$(date +%s)
  case $n in
    params | pk) fork="" ;;
    *) fork="-fork=1 -ignore_crashes=1 -ignore_ooms=1" ;;
  esac
  (cd $out && OMP_NUM_THREADS=1 ./fuzz_$n -runs=$runs $fork -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -artifact_prefix=crashes_$n/ -print_final_stats=1 "corpus_$n" \
    > "fuzz_$n.log" 2>&1) || [ -n "$fork" ] || {
    echo "fuzz $n: FAILED (build/fuzz/fuzz_$n.log)"
    grep -A12 "ERROR:" $out/fuzz_$n.log | head -30
    exit 1
  }
  # every crash replayed and placed: the first frame outside the sanitizers' interceptors
  ours=0 lib=0 gone=0
  for c in "$out"/crashes_$n/crash-*; do
    [ -f "$c" ] || continue
    # (the sanitizers' interceptors, e.g. strdup, sit in the harness binary without a source line)
    where=$("$out/fuzz_$n" "$c" 2>&1 | grep -E "^    #[0-9]+ " |
      grep -v -E "__interceptor|__asan|__ubsan|libclang_rt|sysdeps|libc\.so|/fuzz_$n\+0x" | head -1)
    case "$where" in
      # no fault when replayed alone: a library state left by an earlier input of the same
      # process (after a fault inside HDF5), not this input
      "") gone=$((gone + 1)) ;;
      *libhdf5*) lib=$((lib + 1)) ;;
      *) ours=$((ours + 1)); echo "fuzz $n: crash in halopaint's code: $c: $where" ;;
    esac
  done
  execs=$(grep -E "stat::number_of_executed_units|fuzzed for [0-9]+ iterations" $out/fuzz_$n.log | tail -1 | grep -o -E "[0-9]+" | head -1)
  line="fuzz $n: ${execs:-?} inputs, $ours crashes in halopaint, $lib inside the HDF5 library, $gone not reproducible alone, $(($(date +%s) - t0)) s"
  echo "$line"
  [ $record -eq 1 ] && echo "$line" >> bench/results/fuzz.txt
  [ $ours -eq 0 ] || exit 1
done
exit 0
