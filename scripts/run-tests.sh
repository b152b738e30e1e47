#!/bin/sh
# Run every test binary; print a summary; fail if any failed.
fail=0; n=0
for t in "$@"; do
  n=$((n+1))
  echo "== $t"
  if ! OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$t"; then
    echo "FAILED: $t"; fail=$((fail+1))
  fi
done
echo "== $n test programs, $fail failed"
[ "$fail" -eq 0 ]
