#!/bin/sh
# The program on the GPU against the CPU, judged with `halopaint stats cross` (T, r_c):
#   the 2LPT density of params/default.param on a 64^3 mesh painted by the default model on
#   the CPU and with `--device cuda` in FP32 and in TF32; then the main job (`run`, seed 42) on
#   the CPU, on the GPU in FP32 and in TF32. Tables, plots and catalogues go to OUTDIR.
# Usage: scripts/gpu-vs-cpu.sh OUTDIR [DEVICE]   (DEVICE: cuda, or cpu to check the script)
set -eu
d=$1
dev=${2:-cuda}
hp=bin/halopaint
mkdir -p "$d"
$hp stats mesh params/default.param --mesh 64 -o "$d/rho.h5"
$hp paint models/default.h5 "$d/rho.h5" "$d/cpu.h5" --device cpu
for p in fp32 tf32; do
  $hp paint models/default.h5 "$d/rho.h5" "$d/$p.h5" --device "$dev" --precision "$p"
  $hp stats cross "$d/cpu.h5" "$d/$p.h5" --dataset counts -o "$d/cross_paint_$p.txt" \
    --plot "$d/cross_paint_$p.svg"
  echo "--- painted field, $dev $p against cpu (T = sqrt(P_b/P_a), r_c):"
  cat "$d/cross_paint_$p.txt"
done
$hp run params/default.param -s Device=cpu -s OutputDir="$d" -s FileBase=run_cpu
for p in FP32 TF32; do
  $hp run params/default.param -s Device="$dev" -s GPUPrecision=$p -s OutputDir="$d" \
    -s FileBase="run_$p"
  $hp stats cross "$d/run_cpu_seed42.hdf5" "$d/run_${p}_seed42.hdf5" -o "$d/cross_run_$p.txt"
  echo "--- catalogue, $dev $p against cpu:"
  cat "$d/cross_run_$p.txt"
done
