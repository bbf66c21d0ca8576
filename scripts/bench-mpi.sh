#!/bin/sh
# Data-parallel training throughput at 1 and 2 processes (each with one lavapipe thread, so
# two processes have twice the CPU of one) at the same global batch: iterations per second,
# the scaling efficiency (rate at 2 / (2 x rate at 1)) and process 0's time in collectives
# per iteration. Usage: scripts/bench-mpi.sh [CONFIG [STEPS]] (default: the Fashion-MNIST
# main job, 40 steps). Needs build/hatebm (scripts/setup.sh) and Open MPI.
set -e
cd "$(dirname "$0")/.."
config="${1:-configs/fashion_mnist_synth.ini}" steps="${2:-40}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# root (CI, containers) needs Open MPI's consent; no busy-polling on a shared machine
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
export LP_NUM_THREADS=1
set -- "$config" num_training_steps="$steps" log_every="$steps" plot_every=100000 checkpoint_every=100000
rate() { sed -n 's/.*"it_per_s": \([0-9.e+-]*\).*/\1/p' "$1/metrics.jsonl" | tail -1; }
build/hatebm train "$@" --run-dir "$work/one" 2>"$work/one.log"
mpirun -q --oversubscribe -np 2 build/hatebm train "$@" --run-dir "$work/two" 2>"$work/two.log"
r1=$(rate "$work/one") r2=$(rate "$work/two")
comm=$(sed -n 's/.*spent \([0-9.]*\) ms per iteration.*/\1/p' "$work/two.log")
awk -v r1="$r1" -v r2="$r2" -v comm="$comm" -v cfg="$config" 'BEGIN {
  printf "%s, same global batch, LP_NUM_THREADS=1 per process\n", cfg
  printf "1 process:   %.3f it/s\n", r1
  printf "2 processes: %.3f it/s  (speed-up %.2fx, efficiency %.0f%%)\n", r2, r2 / r1, 50 * r2 / r1
  printf "collectives: %s ms per iteration on process 0 (%.0f%% of an iteration)\n", comm, comm * r2 / 10 }'
