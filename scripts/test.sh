#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs the whole test suite on the default Vulkan device with
# the Khronos validation layer on; any validation message fails a test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure --timeout 600 "$@"
