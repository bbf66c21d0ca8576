#!/bin/sh
# Both kernel profiles give byte-identical networks on lavapipe: the gpu profile's GEMMs sum
# their products in the cpu kernels' order, and lavapipe does not fuse multiply-adds. Whole
# networks' outputs and gradients (parity_dump) under HATEBM_KERNELS=cpu and =gpu must match
# to the byte. Skipped (77) on other devices, whose compilers may fuse or reorder.
set -e
hatebm="$1" dump="$2" out="$3"
"$hatebm" devices | grep -q '(CPU, .*\[default\]' || { echo "not lavapipe: skipped"; exit 77; }
rm -rf "$out" && mkdir -p "$out"
HATEBM_KERNELS=cpu "$dump" "$out/cpu" >/dev/null
HATEBM_KERNELS=gpu "$dump" "$out/gpu" >/dev/null
diff -r "$out/cpu" "$out/gpu"
echo "cpu and gpu profiles: byte-identical dumps"
