#!/bin/bash
# The GPU check, in one run on a machine with an NVIDIA GPU (made for the H200), from the
# repository root:
#   OUT=/some/dir scripts/device-check.sh      (OUT defaults to ./device-check-out)
# Steps, each stamped with the date and its exit status; a failing step is recorded and the
# next one still runs:
#   nvidia-smi; Debian packages (scripts/install-deps.sh; where that cannot install and a
#   carried folder .deps/ holds .deb files, they are unpacked under /tmp/hpdeps instead);
#   cuDNN (nvcc's toolkit, else the pip package nvidia-cudnn-*, found and put on the paths);
#   make -j16 CUDA=1 (library + program), then the test and bench binaries;
#   build/tests/test_painter (the CPU reference), build/tests/test_cuda_painter;
#   scripts/gpu-vs-cpu.sh ($OUT/pipeline/): the program's paint and run on the GPU against the
#   CPU, compared with `halopaint stats cross`;
#   build/bench/bench_cuda 128 256 512 1024 under timeout 300.
# Everything goes to $OUT/device-check.log, the bench table also to $OUT/bench_cuda.txt (for
# bench/results/). Each step's time limit is cut to what is left of DEVICE_CHECK_BUDGET seconds
# (default 540), so the whole script ends inside 10 minutes whatever hangs; expected: build
# 1-2 min, tests under 1 min, bench 2-4 min. Exit status: the number of failed steps.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-$PWD/device-check-out}
mkdir -p "$OUT"
LOG=$OUT/device-check.log
BENCH=$OUT/bench_cuda.txt
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1
TEEPID=$!
BUDGET=${DEVICE_CHECK_BUDGET:-540}
T0=$(date +%s)
JOBS=${JOBS:-16}
failed=()

stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
left() { echo $((BUDGET - ($(date +%s) - T0))); }
# step NAME LIMIT_SECONDS CMD...: run CMD under timeout min(LIMIT, time left), record status.
step() {
  local name=$1 lim=$2 rc
  shift 2
  local l
  l=$(left)
  [ "$lim" -gt $((l - 5)) ] && lim=$((l - 5))
  echo
  echo "=== $(stamp) [$name] start (limit ${lim}s, $(left)s of ${BUDGET}s left): $*"
  if [ "$lim" -le 0 ]; then
    echo "=== $(stamp) [$name] SKIPPED: no time left"
    failed+=("$name(no time)")
    return 1
  fi
  timeout -k 10 "$lim" "$@"
  rc=$?
  [ $rc -eq 124 ] && echo "=== [$name] TIMED OUT after ${lim}s"
  echo "=== $(stamp) [$name] end: rc=$rc"
  [ $rc -eq 0 ] || failed+=("$name(rc=$rc)")
  return $rc
}

echo "=== $(stamp) device-check: $(uname -srm), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo 'no git') $(git status --porcelain 2>/dev/null | wc -l | sed 's/$/ changed files/')"

step nvidia-smi 30 nvidia-smi
step gpu-query 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm,power.limit --format=csv

# ---- Debian packages: the ordinary way, else carried .deb files unpacked under /tmp/hpdeps.
# The .deb files come from scripts/device-deps.sh, run here before the device call, which
# then carries them (carry: [".deps"], about 21 MB).
deps_from_debs() {
  local d=/tmp/hpdeps ml
  ls .deps/*.deb >/dev/null 2>&1 || {
    echo "no .deps/*.deb to fall back on"
    return 1
  }
  mkdir -p $d
  for f in .deps/*.deb; do dpkg -x "$f" $d || return 1; done
  ml=$d/usr/lib/x86_64-linux-gnu
  export PATH=$d/usr/bin:$PATH
  export CPATH=$d/usr/include:$d/usr/include/hdf5/serial${CPATH:+:$CPATH}
  export LIBRARY_PATH=$ml:$ml/hdf5/serial${LIBRARY_PATH:+:$LIBRARY_PATH}
  export LD_LIBRARY_PATH=$ml:$ml/hdf5/serial${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  # Debian makes hdf5.pc with update-alternatives (postinst), which dpkg -x does not run
  [ -e $ml/pkgconfig/hdf5.pc ] || ln -s hdf5-serial.pc $ml/pkgconfig/hdf5.pc
  export PKG_CONFIG_SYSROOT_DIR=$d PKG_CONFIG_LIBDIR=$ml/pkgconfig:$d/usr/share/pkgconfig
  echo "unpacked $(find .deps -maxdepth 1 -name '*.deb' | wc -l) packages under $d"
  pkg-config --cflags --libs hdf5 fftw3f gsl
}
if ! step install-deps 90 scripts/install-deps.sh; then
  echo "=== $(stamp) [deps-from-debs] install-deps failed: trying carried .deb files"
  deps_from_debs || failed+=("deps-from-debs")
fi

# ---- cuDNN: the toolkit's, else the pip wheel's (headers, an unversioned libcudnn.so link).
cudnn_probe() {
  printf '#include <cudnn.h>\n#include <stdio.h>\nint main(void){printf("cuDNN %%zu\\n", cudnnGetVersion());return 0;}\n' >/tmp/hp_cudnn_probe.c
  local top
  top=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")
  gcc /tmp/hp_cudnn_probe.c -I"$top/include" -L"$top/lib64" -L"$top/lib" -lcudnn -o /tmp/hp_cudnn_probe &&
    /tmp/hp_cudnn_probe
}
cudnn_env() {
  cudnn_probe && return 0
  local h dir lib
  h=$(find /usr /opt /root -name cudnn.h 2>/dev/null | head -n1)
  [ -n "$h" ] || {
    echo "cudnn.h not found under /usr /opt /root"
    return 1
  }
  dir=$(dirname "$(dirname "$h")")
  lib=$(find "$dir" /usr /opt -name 'libcudnn.so*' 2>/dev/null | head -n1)
  [ -n "$lib" ] || {
    echo "libcudnn.so* not found"
    return 1
  }
  mkdir -p /tmp/hp-cudnn-lib
  for f in "$(dirname "$lib")"/libcudnn*.so*; do
    b=$(basename "$f")
    ln -sf "$f" /tmp/hp-cudnn-lib/"$b"
    ln -sf "$f" /tmp/hp-cudnn-lib/"${b%%.so*}.so"
  done
  CPATH=$(dirname "$h")${CPATH:+:$CPATH}
  LIBRARY_PATH=/tmp/hp-cudnn-lib${LIBRARY_PATH:+:$LIBRARY_PATH}
  LD_LIBRARY_PATH=$(dirname "$lib"):/tmp/hp-cudnn-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export CPATH LIBRARY_PATH LD_LIBRARY_PATH
  echo "cuDNN from $dir"
  cudnn_probe
}
echo
echo "=== $(stamp) [cudnn] locate"
# without cuDNN the build links the baseline's stub, and the benchmark says SKIP for it
cudnn_flag=CUDNN=1
cudnn_env || {
  failed+=("cudnn")
  cudnn_flag=CUDNN=0
}

# ---- build: plain make's NVFLAGS already target sm_90 (+ compute_90 PTX).
step build-all 240 make -k -j"$JOBS" CUDA=1 "$cudnn_flag"
step build-tests 180 make -k -j"$JOBS" CUDA=1 "$cudnn_flag" build/tests/test_cuda_painter build/bench/bench_cuda build/tests/test_painter

# ---- tests and bench
[ -x build/tests/test_painter ] && step test_painter 60 build/tests/test_painter
if [ -x build/tests/test_cuda_painter ]; then
  step test_cuda_painter 150 build/tests/test_cuda_painter
else
  failed+=("test_cuda_painter(not built)")
fi
# ---- the program on the GPU: painted fields and catalogues against the CPU's
[ -x bin/halopaint ] && step pipeline 120 scripts/gpu-vs-cpu.sh "$OUT/pipeline"


if [ -x build/bench/bench_cuda ]; then
  {
    echo "# $(stamp) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n1), host $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    echo "# build/bench/bench_cuda 128 256 512 1024"
  } >"$BENCH"
  # shellcheck disable=SC2016 # $1 is the inner shell's argument
  step bench_cuda 300 bash -c 'set -o pipefail; build/bench/bench_cuda 128 256 512 1024 | tee -a "$1"' _ "$BENCH"
else
  failed+=("bench_cuda(not built)")
fi

echo
echo "=== $(stamp) device-check done in $(($(date +%s) - T0)) s; failed steps: ${#failed[@]}${failed[*]:+: ${failed[*]}}"
exec >&- 2>&-
wait "$TEEPID" 2>/dev/null
exit ${#failed[@]}
