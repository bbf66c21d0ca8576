#!/bin/sh
# The paper's eight experiment configs run one training iteration each, with the authors'
# networks and settings, on synthetic data of the right shape (batch, chain length and bank
# shrunk so that it fits a CPU; everything else as configured). The joint runs take the
# generator / decoder that the synth / ae runs just wrote.
. "$(dirname "$0")/lib.sh"
hatebm="$1" configs="$2" work="$3"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
# uint8 NHWC .npy files: 4 images of 32, 64 and 128 pixels, 3 channels
for s in 32 64 128; do
  /usr/bin/python3 - "$s" <<'PY'
import struct, sys
s = int(sys.argv[1]); n = 4
header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d, %d, 3), }" % (n, s, s)
header += ' ' * (63 - (10 + len(header)) % 64) + '\n'
data = bytes((i * 37) % 256 for i in range(n * s * s * 3))
open('data%d.npy' % s, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode() + data)
PY
done
run() { # run NAME CONFIG SIZE [overrides...]
  name="$1" config="$2" size="$3"; shift 3
  start=$(date +%s)
  if "$hatebm" train "$configs/$config.ini" --run-dir "$name" dataset=npy:data$size.npy \
       num_training_steps=1 batch_size=2 mcmc_steps=1 persistent_size=2 "$@" >"$name.log" 2>&1 &&
     [ -f "$name/checkpoint.safetensors" ]; then
    ok "$config runs one iteration ($(( $(date +%s) - start )) s)"
  else
    bad "$config: $(tail -n 3 "$name.log")"
  fi
}
run cifar10_synth cifar10_synth 32
run cifar10_refine cifar10_refine 32 generator=cifar10_synth/gen.safetensors gen_factor=2.0
run cifar10_ae cifar10_ae 32
run cifar10_retrofit cifar10_retrofit 32 generator=cifar10_ae/gen.safetensors
run celeba_synth celeba_synth 64
run celeba_refine celeba_refine 64 generator=celeba_synth/gen.safetensors gen_factor=2.0
run imagenet_synth imagenet_synth 128
run imagenet_large_synth imagenet_large_synth 128
finish
