#!/bin/sh
# A short fuzzing run of the text readers (parameter file, P(k) table) under ASan and UBSan:
# scripts/fuzz.sh smoke (SKIP without clang and libFuzzer). The long runs, every reader:
# scripts/fuzz.sh (docs/reliability.md, bench/results/fuzz.txt).
cd "$(dirname "$0")/.." || exit 1
sh scripts/fuzz.sh smoke
