#!/usr/bin/env bash
# The README's Fashion-MNIST results table: FID (FMNIST-classifier features) and OOD AUROC of
# trained runs, each figure printed beside the command that produced it.
#   scripts/fmnist_results.sh SYNTH_RUN REFINE_RUN RETROFIT_RUN [OUT_DIR]
# (runs of configs/fashion_mnist_{synth,refine,retrofit}.ini). N samples per set (default 1000),
# against the 10,000 test images.
set -euo pipefail
hatebm="$(dirname "$0")/../build/hatebm"
synth="$1" refine="$2" retrofit="$3" out="${4:-fmnist-results}"
n="${N:-1000}"
mkdir -p "$out"
row() { # row WHAT COMMAND...: runs the command, prints a table row with its FID
  local what="$1"; shift
  local fid
  fid=$("$@" 2>/dev/null | sed -n 's/^FID, FMNIST-classifier features: \([0-9.]*\) .*/\1/p')
  echo "| $what | $fid | \`hatebm ${*:2}\` |" | sed "s|$hatebm|hatebm|"
}
sample() { # sample RUN NAME [args]: samples once into OUT/NAME
  local run="$1" name="$2"; shift 2
  [ -f "$out/$name/x.npy" ] || "$hatebm" sample "$run" --n "$n" --out "$out/$name" "$@" >&2
}
sample "$synth" synth
sample "$refine" refine_before --steps 0
sample "$refine" refine
sample "$retrofit" retrofit_before --steps 0
sample "$retrofit" retrofit
echo "| set (vs fashion-mnist:test) | FID, FMNIST-classifier features | command |"
echo "|---|---|---|"
row "train images ($n, the floor)" "$hatebm" fid fashion-mnist:train fashion-mnist:test --max-a "$n"
row "synthesis: G(Z) alone" "$hatebm" fid "$out/synth/gz.npy" fashion-mnist:test
row "synthesis: X = G(Z) + Y" "$hatebm" fid "$out/synth/x.npy" fashion-mnist:test
row "refinement: base generator G(Z_0)" "$hatebm" fid "$out/refine_before/x.npy" fashion-mnist:test
row "refinement: after joint Langevin" "$hatebm" fid "$out/refine/x.npy" fashion-mnist:test
row "retrofit: decoded N(0, I) latents" "$hatebm" fid "$out/retrofit_before/x.npy" fashion-mnist:test
row "retrofit: after joint Langevin" "$hatebm" fid "$out/retrofit/x.npy" fashion-mnist:test
echo
echo "\`hatebm ood $synth\`:"
"$hatebm" ood "$synth" 2>/dev/null
