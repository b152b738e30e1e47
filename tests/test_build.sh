#!/bin/sh
# Portable builds: the plain-C vector path (nn/simd.h without -march) compiles, and CFLAGS or
# LDFLAGS on the make line keep the project's own flags (HDF5 include path, C11, OpenMP).
cd "$(dirname "$0")/.." || exit 1
fails=0
ok() { echo "[       OK ] $1"; }
bad() { echo "[  FAILED  ] $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
cc=${CC:-cc}
inc="-I. $(pkg-config --cflags hdf5 fftw3f gsl 2>/dev/null)"
for f in nn/painter.c nn/painter_tile_portable.c train/layers_f.c train/generator_f.c train/critic_f.c; do
  check "portable vector path compiles: $f" \
    '$cc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -pedantic -Werror -fopenmp -O2 -mtune=generic -mno-avx -mno-avx2 -mno-avx512f $inc -fsyntax-only "$f"'
done
# each vector path of the painter is compiled with its own instruction set, after CFLAGS
for v in "avx512 skylake-avx512" "avx2 haswell" "portable x86-64"; do
  path=${v% *} march=${v#* }
  cmd=$(make -n -B ARCH=portable CUDA=0 build/nn/painter_tile_$path.o 2>/dev/null | grep -- "-c nn/painter_tile_$path.c")
  check "painter_tile_$path.c is built with -march=$march last" 'echo "$cmd" | grep -q -- "-march=$march -mtune=generic"'
done
line=$(make -n -B CFLAGS=-O1 LDFLAGS=-Wl,--as-needed CUDA=0 build/util/status.o 2>/dev/null | grep ' -c util/status.c')
check "CFLAGS=-O1 keeps -std=c11, OpenMP and the package include flags" \
  'echo "$line" | grep -q -- "-std=c11" && echo "$line" | grep -q -- "-fopenmp" && echo "$line" | grep -q -- "-O1" && { [ -z "$(pkg-config --cflags hdf5)" ] || echo "$line" | grep -q -- "$(pkg-config --cflags hdf5 | cut -d" " -f1)"; }'
link=$(make -n -B LDFLAGS=-Wl,--as-needed CUDA=0 bin/halopaint 2>/dev/null | grep -- '-o bin/halopaint')
check "LDFLAGS reach the link of the program" 'echo "$link" | grep -q -- "-Wl,--as-needed"'
echo "build: $fails failed"
[ $fails -eq 0 ]
