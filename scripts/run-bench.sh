#!/bin/sh
# Run the benchmarks; append results (with date and machine) to bench/results/.
set -e
out=bench/results/bench.txt
mkdir -p bench/results
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m) $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  for np in 128 256; do build/bench/bench_lpt "$np" 2 0; done
  build/bench/bench_lpt 128 2 1
  # the painter from 64^3 to 512^3, and how flat its cost per voxel is (target: within 5 %)
  for n in 64 128 256 512; do build/bench/bench_painter "$n" 2; done | tee "$out.painter"
  awk '/^painter .* ns per voxel/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns") v = $i
      lo = (lo == "" || v < lo) ? v : lo; hi = (v > hi) ? v : hi; n++ }
    END { if (n) printf "painter cost per voxel over %d sizes: %.1f-%.1f ns, max/min %.3f (target <= 1.05)\n", n, lo, hi, hi / lo }' \
    "$out.painter"
  rm -f "$out.painter"
  # the PyTorch peer at its fastest layout (SKIP without python3-torch; bench/torch_peer.py)
  /usr/bin/python3 bench/torch_peer.py 64 128 --threads 2 2>&1 | grep -E '^(torch|PyTorch|SKIP|[0-9]+\^3)'
  build/bench/bench_cuda 128 256 512 1024   # GPU painter vs cuDNN (SKIP without a GPU; docs/gpu.md)
  build/bench/bench_pm 128 2 2 10   # PM: NP THREADS B STEPS (docs/nbody.md)
  build/bench/bench_pm 256 2 2 5
  for np in 128 256; do build/bench/bench_fof "$np" 2; done   # FoF: NP THREADS (docs/catalog.md)
  for n in 128 256; do build/bench/bench_stats "$n" 2; done   # stats: N THREADS (docs/stats.md)
  build/bench/bench_train 2 58 3   # training: THREADS PATCH REPS (docs/training.md)
  # the main job at 128^3 and 256^3 voxels (8 particles per voxel; AllowModelMismatch because
  # the default model was trained with 64): time per stage and peak memory
  tmp=$(mktemp -d)
  for nv in 128 256; do
    echo "run ${nv}^3 voxels, $((2 * nv))^3 particles:"
    ./bin/halopaint run params/default.param -s BoxSize=$((4 * nv)) -s NParticles=$((2 * nv)) \
      -s AllowModelMismatch=1 -s OutputDir="$tmp" -s Threads=2 | grep -E "time per|total"
  done
  # the light cone's targets (docs/lightcone.md): full sky to z = 0.5 and an octant to z = 1.5
  for cone in "FullSky 0.5" "Octant 1.5"; do
    set -- $cone
    echo "lightcone $1 to z = $2 (params/lightcone.param):"
    ./bin/halopaint lightcone params/lightcone.param -s LightconeFootprint=$1 -s LightconeZMax=$2 \
      -s OutputDir="$tmp" -s Threads=2 | grep -E "planned|seed|total"
  done
  rm -rf "$tmp"
} | tee -a "$out"
