#!/bin/sh
# The MPI tests (make test, make test-mpi): every build/tests/mpi/test_* program on 1, 2, 3 and
# 4 ranks (oversubscribed on a 2-core machine), then the command-line comparisons tests/mpi/*.sh.
# Each rank runs one OpenMP thread unless OMP_NUM_THREADS says otherwise.
cd "$(dirname "$0")/.." || exit 1
# Open MPI refuses root unless told; CI containers run as root
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
fail=0
for t in build/tests/mpi/test_*; do
  [ -x "$t" ] || continue
  for n in 1 2 3 4; do
    if ! mpirun -np $n "$t" > "$t.np$n.log" 2>&1; then
      echo "FAILED: mpirun -np $n $t"; tail -n 30 "$t.np$n.log"; fail=1
    else
      echo "ok: mpirun -np $n $t"
    fi
  done
done
for s in tests/mpi/test_*.sh; do
  [ -f "$s" ] || continue
  if ! sh "$s"; then echo "FAILED: $s"; fail=1; fi
done
exit $fail
