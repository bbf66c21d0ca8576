#!/bin/sh
# Both kernel profiles give byte-identical networks on lavapipe: the gpu profile's GEMMs and
# direct convolutions sum their products in the cpu kernels' order, and lavapipe does not fuse
# multiply-adds. Whole networks' outputs and gradients (parity_dump) under HATEBM_KERNELS=cpu
# and =gpu must match to the byte. The gpu profile's reductions by subgroupAdd sum in the
# device's order, so they are off here (HATEBM_SUBGROUPS=0; test_reduce_gpu and
# parity_torch_gpu check them). Skipped (77) on other devices, whose compilers may fuse or
# reorder.
set -e
hatebm="$1" dump="$2" out="$3"
"$hatebm" devices | grep -q '(CPU, .*\[default\]' || { echo "not lavapipe: skipped"; exit 77; }
rm -rf "$out" && mkdir -p "$out"
HATEBM_KERNELS=cpu "$dump" "$out/cpu" >/dev/null
HATEBM_KERNELS=gpu HATEBM_SUBGROUPS=0 "$dump" "$out/gpu" >/dev/null
diff -r "$out/cpu" "$out/gpu"
echo "cpu and gpu profiles: byte-identical dumps"
