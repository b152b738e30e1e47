#!/bin/sh
# Run the benchmarks; append results (with date and machine) to bench/results/.
set -e
out=bench/results/bench.txt
mkdir -p bench/results
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m) $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  for np in 128 256; do build/bench/bench_lpt "$np" 2 0; done
  build/bench/bench_lpt 128 2 1
  for b in "$@"; do
    case "$b" in */bench_lpt) ;; *) "$b" ;; esac
  done
} | tee -a "$out"
