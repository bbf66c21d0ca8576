#!/usr/bin/env python3
"""Converts pytorch-fid's FID Inception weights (pt_inception-2015-12-05-6726825d.pth, a state
dict) to the safetensors file `hatebm fid --inception` reads. Nothing is downloaded.

usage: python3 scripts/convert_inception.py pt_inception-2015-12-05-6726825d.pth OUT.safetensors

Every floating-point tensor is written as F32 under its state-dict name, except the classifier
(fc.*, not needed for the features) and the batch norms' num_batches_tracked counters."""
import json
import os
import struct
import sys

import torch


def convert(state, out_path):
    tensors = {}
    for name, t in state.items():
        if name.startswith('fc.') or name.endswith('num_batches_tracked'):
            continue
        if not torch.is_floating_point(t):
            raise SystemExit('convert_inception: %s is not a float tensor (%s)' % (name, t.dtype))
        tensors[name] = t.detach().to(torch.float32).contiguous().cpu().numpy()
    header, offset = {'__metadata__': {'source': 'pytorch-fid FIDInceptionV3'}}, 0
    for name in sorted(tensors):
        n = tensors[name].nbytes
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape),
                        'data_offsets': [offset, offset + n]}
        offset += n
    blob = json.dumps(header, separators=(',', ':')).encode()
    blob += b' ' * (-len(blob) % 8)
    tmp = out_path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(blob)))
        f.write(blob)
        for name in sorted(tensors):
            f.write(tensors[name].astype('<f4').tobytes())
    os.replace(tmp, out_path)
    return len(tensors)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    state = torch.load(sys.argv[1], map_location='cpu')
    if not isinstance(state, dict):
        raise SystemExit('convert_inception: %s is not a state dict' % sys.argv[1])
    n = convert(state, sys.argv[2])
    print('convert_inception: %d tensors -> %s' % (n, sys.argv[2]))


if __name__ == '__main__':
    main()
