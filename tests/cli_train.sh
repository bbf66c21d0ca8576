#!/bin/sh
# hatebm train end to end on configs/tiny.ini: outputs, refusal to overwrite a run, resume
# equal to an uninterrupted run (checkpoints byte for byte), reproducibility, bad input.
. "$(dirname "$0")/lib.sh"
hatebm="$1" configs="$2" work="$3"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
tiny="$configs/tiny.ini"

"$hatebm" train "$tiny" --run-dir a >a.log 2>&1
check "a tiny run finishes" "[ $? -eq 0 ]"
check "it writes config, metrics, grids, checkpoint and generator" \
  "[ -f a/config.ini ] && [ -f a/checkpoint.safetensors ] && [ -f a/gen.safetensors ] && [ -f a/samples/grid_000004.png ]"
check "metrics.jsonl has one line per logged step" "[ \$(grep -c '\"step\"' a/metrics.jsonl) -eq 4 ]"

"$hatebm" train "$tiny" --run-dir a >again.log 2>&1
check "a second run into the same directory is refused (exit 2, one line)" \
  "[ $? -eq 2 ] && [ \$(grep -c . again.log) -eq 1 ] && grep -q 'already holds a run' again.log"

"$hatebm" train "$tiny" --run-dir b >b.log 2>&1
check "two runs with one seed give the same checkpoint, byte for byte" "cmp -s a/checkpoint.safetensors b/checkpoint.safetensors"

"$hatebm" train "$tiny" --run-dir c num_training_steps=2 >c.log 2>&1 &&
  "$hatebm" train --resume c num_training_steps=4 >>c.log 2>&1
check "stop at 2, resume to 4: the same checkpoint as 4 uninterrupted steps" "cmp -s a/checkpoint.safetensors c/checkpoint.safetensors"
check "the resumed metrics continue the run (4 lines)" "[ \$(grep -c '\"step\"' c/metrics.jsonl) -eq 4 ]"

expect "unknown key" "mcmc_stepz=3': unknown key" "$hatebm" train "$tiny" --run-dir d mcmc_stepz=3
expect "wrong type" "batch_size" "$hatebm" train "$tiny" --run-dir d batch_size=abc
expect "out of range" "mcmc_temp" "$hatebm" train "$tiny" --run-dir d mcmc_temp=-1
expect "missing data file" "no-such-file" "$hatebm" train "$tiny" --run-dir d dataset=idx:no-such-file.gz
expect "images of the wrong size" "28x28" "$hatebm" train "$tiny" --run-dir d image_size=64 ngf_hat=16 ngf_gen=16
expect "joint run without its generator" "generator" "$hatebm" train "$tiny" --run-dir d mode=joint generator=none.safetensors
expect "resume of a directory that is not a run" "not a run directory" "$hatebm" train --resume nowhere
expect "missing config file" "nope.ini" "$hatebm" train nope.ini
finish
