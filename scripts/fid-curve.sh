#!/bin/sh
# FID along a training run: trains RUN_DIR up to UNTIL iterations in segments of EVERY (default
# 500), and after each segment draws 2,000 samples (fixed seed) and appends to RUN_DIR/fid.tsv
# the step, the training minutes so far, the FID of X = G(Z) + Y and of G(Z) against
# Fashion-MNIST's test set (FMNIST-classifier features), and the last logged energies.
# A resumed run is bit for bit the run without stops, so the segments do not change what is
# learned. Usage:
#   scripts/fid-curve.sh RUN_DIR UNTIL [EVERY] [key=value ...]   (RUN_DIR holds a run: resumed)
#   CONFIG=configs/x.ini scripts/fid-curve.sh RUN_DIR UNTIL ...   (starts the run from CONFIG)
# Exit status: train's (3 = the energies ran away and max_energy_gap stopped the run).
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/fid-curve.sh RUN_DIR UNTIL [EVERY] [key=value ...]" >&2; exit 2; }
dir=$1 until=$2
shift 2
every=500
case "${1:-}" in *=*|"") ;; *) every=$1; shift ;; esac
hb=build/hatebm
log="$dir.fid-curve.log"
step_of() { sed -n 's/.*"step": *\([0-9]*\).*/\1/p' "$1/metrics.jsonl" | tail -1; }
while :; do
  if [ -f "$dir/checkpoint.safetensors" ]; then at=$(step_of "$dir"); else at=0; fi
  [ "$at" -lt "$until" ] || break
  next=$(( (at / every + 1) * every ))
  [ "$next" -le "$until" ] || next=$until
  if [ "$at" -eq 0 ]; then
    [ -n "${CONFIG:-}" ] || { echo "fid-curve: $dir holds no run; set CONFIG to start one" >&2; exit 2; }
    set -- "$CONFIG" --run-dir "$dir" "$@"
  else
    set -- --resume "$dir" "$@"
  fi
  rc=0
  $hb train "$@" num_training_steps="$next" plot_every=100000 >>"$log" 2>&1 || rc=$?
  # the next segment resumes: drop CONFIG/--run-dir or --resume DIR from the arguments
  if [ "$at" -eq 0 ]; then shift 3; else shift 2; fi
  [ "$rc" -eq 0 ] || { echo "fid-curve: train exited $rc at step $(step_of "$dir"); see $log" >&2; exit "$rc"; }
  mins=$(sed -n 's/.*trained [0-9]* steps in \([0-9.]*\) min.*/\1/p' "$log" | awk '{s += $1} END {print s}')
  out=$(mktemp -d)
  $hb sample "$dir" --n 2000 --seed 1 --out "$out" >>"$log" 2>&1
  cp "$out/grid.png" "$dir/samples/fid_grid_$(printf %06d "$next").png"
  fx=$($hb fid "$out/x.npy" fashion-mnist:test 2>>"$log" | sed -n 's/^FID[^:]*: \([0-9.]*\).*/\1/p')
  fg=$($hb fid "$out/gz.npy" fashion-mnist:test 2>>"$log" | sed -n 's/^FID[^:]*: \([0-9.]*\).*/\1/p')
  rm -rf "$out"
  energies=$(tail -1 "$dir/metrics.jsonl" | sed -n 's/.*"e_pos": *\([-0-9.e+]*\).*"e_neg": *\([-0-9.e+]*\).*/\1\t\2/p')
  [ -f "$dir/fid.tsv" ] || printf 'step\ttrain_min\tfid_x\tfid_gz\te_pos\te_neg\n' >"$dir/fid.tsv"
  printf '%s\t%s\t%s\t%s\t%s\n' "$next" "$mins" "$fx" "$fg" "$energies" | tee -a "$dir/fid.tsv"
done
