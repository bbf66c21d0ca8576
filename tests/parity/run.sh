#!/bin/sh
# Parity with PyTorch: hatebm writes weights, inputs and results (parity_dump), PyTorch
# recomputes them from the same weights and inputs (check.py) and compares.
set -e
dump="$1" out="$2"
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$out"
"$dump" "$out"
exec /usr/bin/python3 "$here/check.py" "$out"/*
