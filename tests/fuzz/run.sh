#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang into build-fuzz/ and runs each for SECONDS (default
# 30) from its seed corpus in tests/fuzz/corpus/NAME (new inputs go to build-fuzz/corpus/NAME,
# the seeds stay as they are). Any crash, hang (> 10 s per input), leak, sanitizer report or
# memory blow-up (> 2 GiB) fails; the input is saved in build-fuzz/artifacts/. Prints the
# executions per harness. Optional further arguments: the harnesses to run (default: all).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-30}"
shift || true
command -v clang >/dev/null || { echo "fuzz: error: clang is missing; run scripts/setup.sh" >&2; exit 2; }
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHATEBM_FUZZ=ON >/dev/null
nice -n 10 cmake --build build-fuzz --target fuzz -j"$(nproc)" >/dev/null
names=("$@")
if ((${#names[@]} == 0)); then
  for d in tests/fuzz/corpus/*/; do names+=("$(basename "$d")"); done
fi
mkdir -p build-fuzz/artifacts
HATEBM_FUZZ_DIR=$(mktemp -d /dev/shm/hatebm-fuzz.XXXXXX 2>/dev/null || mktemp -d)
export HATEBM_FUZZ_DIR
trap 'rm -rf "$HATEBM_FUZZ_DIR"' EXIT
fails=0
for name in "${names[@]}"; do
  work="build-fuzz/corpus/$name" log="build-fuzz/fuzz_$name.log"
  mkdir -p "$work"
  if nice -n 10 "build-fuzz/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/${name}-" \
       "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "ok: fuzz_$name: $execs executions in $secs s, corpus $(ls "$work" | wc -l) inputs"
  else
    echo "FAIL: fuzz_$name (log $log):"
    grep -E "ERROR|SUMMARY|Test unit written|^ +#[0-9]+ " "$log" | head -20
    fails=$((fails + 1))
  fi
done
[ "$fails" -eq 0 ]
