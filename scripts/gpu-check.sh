#!/usr/bin/env bash
# One command for anyone with a GPU: sets up and builds (scripts/setup.sh), then lists the
# devices and their kernel profiles, runs every op against its CPU reference, the op tests
# with the gpu profile, the op and Langevin benchmarks, and the PyTorch peer on the GPU when
# torch has CUDA or ROCm. Ends with one summary to paste into an issue (also written to
# build/gpu-check/summary.txt).
#
#   scripts/gpu-check.sh [--quick] [--kernels cpu|gpu] [--peak-tflops T] [--device INDEX|NAME]
#     --quick         small benchmarks and only the fast tests (minutes on lavapipe)
#     --kernels       force a profile (HATEBM_KERNELS); default: the device's own
#     --peak-tflops   the device's FP32 peak, for bench ops' "% peak" column (H200: ~67)
#     --device        which Vulkan device (hatebm devices); default: the best one
#     --no-setup      skip scripts/setup.sh (build/ already built)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 setup=1 peak="" device=""
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --no-setup) setup=0 ;;
    --kernels) export HATEBM_KERNELS="${2:?--kernels takes cpu or gpu}"; shift ;;
    --peak-tflops) peak="${2:?--peak-tflops takes a number}"; shift ;;
    --device) device="${2:?--device takes an index or name}"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: error: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$device" ] && export HATEBM_DEVICE="$device"

((setup)) && scripts/setup.sh
hatebm=build/hatebm
out=build/gpu-check
rm -rf "$out" && mkdir -p "$out"
summary="$out/summary.txt"
status=0

# step NAME COMMAND...: runs it, keeps its output in $out/NAME.log, notes pass or fail
step() {
  local name="$1"; shift
  echo "== $name: $*"
  local t0=$SECONDS rc=0
  "$@" >"$out/$name.log" 2>&1 || rc=$?
  cat "$out/$name.log"
  printf '%-22s %s (%ds)\n' "$name" "$([ $rc = 0 ] && echo ok || echo "FAILED (exit $rc)")" \
    $((SECONDS - t0)) >>"$out/steps.txt"
  [ $rc = 0 ] || status=1
}

if ((quick)); then
  tests='^(test_linear_gpu|test_linear_gpu_tile|cli_selfcheck_gpu|cli_kernels_bad)$'
  ops=(--reps 1 --batch 16 --widths 64)
  langevin=(--steps 2 --iters 1 --batch 8 --ngf 32)
else
  tests='^(test_(conv2d|linear|models)_gpu|test_(conv2d|linear)_gpu_tile|parity_torch_gpu|cli_selfcheck_gpu|cli_kernels_bad)$'
  ops=(--reps 5)
  langevin=(--steps 20 --iters 3)
fi
[ -n "$peak" ] && ops+=(--peak-tflops "$peak")

step devices "$hatebm" devices
step selfcheck "$hatebm" selfcheck
step op-tests sh -c "cd build && ctest --output-on-failure -R '$tests'"
step bench-ops "$hatebm" bench ops "${ops[@]}"
step bench-fmnist "$hatebm" bench langevin --no-peer --config fmnist "${langevin[@]}"
step bench-cifar "$hatebm" bench langevin --no-peer --config cifar "${langevin[@]}"
if /usr/bin/python3 -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
  peer=(/usr/bin/python3 bench/torch_langevin.py --device cuda --bank 1024 --temp 1e-8)
  if ((quick)); then peer+=(--steps 2 --iters 1 --batch 8 --ngf 32); else peer+=(--steps 20 --iters 3); fi
  step torch-fmnist "${peer[@]}" --nch 1 --ngf 64 --batch 64
  step torch-cifar "${peer[@]}" --nch 3 --ngf 256 --batch 128
  ((quick)) && sed -i 's/^/(--quick sizes) /' "$out"/torch-*.log
else
  echo "torch-peer             skipped: /usr/bin/python3's torch has no CUDA/ROCm device" >>"$out/steps.txt"
fi

{
  echo "### hatebm gpu-check ($(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')$( ((quick)) && echo ', --quick'))"
  echo '```'
  echo "HATEBM_KERNELS=${HATEBM_KERNELS:-(device default)}"
  cat "$out/devices.log"
  echo
  cat "$out/steps.txt"
  echo
  grep -E '^selfcheck:|FAIL|mismatch' "$out/selfcheck.log" || true
  grep -E 'tests passed|Failed|\*\*\*' "$out/op-tests.log" || true
  echo
  cat "$out/bench-ops.log"
  for f in bench-fmnist bench-cifar torch-fmnist torch-cifar; do
    [ -f "$out/$f.log" ] && { echo; echo "$f:"; cat "$out/$f.log"; }
  done
  echo '```'
} >"$summary"
echo
echo "==== summary (also in $summary): paste it into the issue ===="
cat "$summary"
exit $status
