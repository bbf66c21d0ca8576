#!/bin/sh
# hatebm sample, fid and ood end to end on a tiny run and small image sets: outputs and their
# shapes, refusal to overwrite samples, FID ~0 for a set against itself and growing with noise,
# each set's predicted classes,
# AUROC printed per OOD set, one-line errors (exit 2) for mismatched image sizes; ood's scores
# (--score) against direct computations from their --dump: the complexity term against
# Python's zlib, the gradient norm against central differences of the energy, the combinations
# against their formulas.
. "$(dirname "$0")/lib.sh"
hatebm="$1" configs="$2" work="$3"
py=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

"$hatebm" train "$configs/tiny.ini" --run-dir run >train.log 2>&1
check "a tiny run to sample from" "[ $? -eq 0 ]"

"$hatebm" sample run --out s --n 6 --batch 4 --trajectory 0,3 >sample.log 2>&1
check "sample writes x.npy, gz.npy, grid.png and the trajectory" \
  "[ -f s/x.npy ] && [ -f s/gz.npy ] && [ -f s/grid.png ] && [ -f s/trajectory_y.npy ]"
check "shapes: x (6, 32, 32, 1) uint8, trajectory (2, 6, 1, 32, 32) float32, steps [0, 3]" \
  "$py -c \"
import numpy as np
x = np.load('s/x.npy'); t = np.load('s/trajectory_x.npy'); st = np.load('s/trajectory_steps.npy')
assert x.shape == (6, 32, 32, 1) and x.dtype == np.uint8, x.shape
assert t.shape == (2, 6, 1, 32, 32) and t.dtype == np.float32, t.shape
assert list(st) == [0, 3]
# the last snapshot is the final X (to uint8 rounding)
assert np.abs(np.clip((t[1].transpose(0, 2, 3, 1) + 1) * 127.5, 0, 255) - x).max() <= 0.5 + 1e-3
\""
expect "sample refuses to overwrite samples" "already holds samples" "$hatebm" sample run --out s --n 2
"$hatebm" sample run --out s0 --n 4 --steps 0 >s0.log 2>&1
check "with --steps 0, X is G(Z) (Y starts at 0)" \
  "$py -c \"import numpy as np; assert (np.load('s0/x.npy') == np.load('s0/gz.npy')).all()\""
"$hatebm" train "$configs/tiny.ini" --run-dir joint mode=joint generator=run/gen.safetensors \
  update_latents=true epsilon_latent=1e-2 >joint.log 2>&1 &&
  "$hatebm" sample joint --out j0 --n 4 --steps 0 >j0.log 2>&1 &&
  "$hatebm" sample joint --out j --n 4 --steps 3 >j.log 2>&1
check "a joint run samples with Z moving: G(Z) after 3 steps differs from G(Z_0)" \
  "grep -q 'joint (Y and Z)' j.log && $py -c \"import numpy as np; assert (np.load('j0/gz.npy') != np.load('j/gz.npy')).any()\""
expect "sample of an autoencoder run is refused" "no energy" "$hatebm" sample \
  "$(mkdir -p ae && "$hatebm" train "$configs/tiny.ini" --run-dir ae mode=ae generator_kind=decoder >/dev/null 2>&1; echo ae)" --out sa
expect "sample --weights must be ema or current" "ema or current" "$hatebm" sample run --out sw --weights best

# image sets for fid and ood: Fashion-MNIST test images, noisy copies, and 64x64 images
$py -c "
import gzip, numpy as np
with gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz') as f:
    a = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:400]
np.save('a.npy', a)
rng = np.random.default_rng(0)
for s in (15, 60):
    np.save('noisy%d.npy' % s, np.clip(a + rng.normal(0, s, a.shape), 0, 255).astype(np.uint8))
np.save('big.npy', np.zeros((10, 64, 64), np.uint8))
np.save('same.npy', np.repeat(a[:1], 50, axis=0))
"
fid() { "$hatebm" fid "$@" 2>/dev/null | sed -n 's/^FID, FMNIST-classifier features: \([0-9.]*\) .*/\1/p'; }
self=$(fid a.npy a.npy) f15=$(fid a.npy noisy15.npy) f60=$(fid a.npy noisy60.npy)
echo "  FID a/a $self, a/noise15 $f15, a/noise60 $f60"
check "FID of a set against itself is ~0" "[ -n '$self' ] && $py -c 'assert $self < 1e-3'"
check "FID grows with added noise" "[ -n '$f15' ] && [ -n '$f60' ] && $py -c 'assert 0 < $f15 < $f60'"
"$hatebm" fid a.npy fashion-mnist:test --max 300 >fidspec.log 2>&1
check "fid reads data set specs and names the metric plainly" \
  "grep -q '^FID, FMNIST-classifier features: .*fashion-mnist:test: 300 images' fidspec.log"
check "fid prints each set's classes: 300 test images about a tenth each, summing to 100%" \
  "$py -c \"
import re
line = [l for l in open('fidspec.log') if l.startswith('classes of fashion-mnist:test ')][0]
p = [float(v) for v in re.findall(r' ([0-9.]+)%', line)]
assert len(p) == 10 and abs(sum(p) - 100) < 0.5 and min(p) > 5 and max(p) < 15, line
\""
"$hatebm" fid same.npy a.npy >fidsame.log 2>&1
check "fid: 50 copies of one image are all one class" \
  "grep -q '^classes of same.npy (FMNIST classifier):.* 100.0%' fidsame.log"
expect "fid refuses 64x64 images" "64x64" "$hatebm" fid a.npy big.npy
expect "fid without its classifier" "fashion_mnist_classifier.ini" "$hatebm" fid a.npy a.npy --classifier none.safetensors
expect "fid of one set" "usage" "$hatebm" fid a.npy

"$hatebm" ood run --in a.npy --ood mnist,noise,flip --max 100 >ood.log 2>ood.err
check "ood prints an AUROC in [0, 1] for mnist, noise and flip" \
  "[ \$(grep -cE '^(mnist|noise|flip) +100 +[-0-9.e]+ +(0\.[0-9]+|1\.0000)$' ood.log) -eq 3 ]"
expect "ood refuses an OOD set of another image size" "64x64" "$hatebm" ood run --in a.npy --ood big.npy
expect "ood refuses in-distribution images of another size" "64x64" "$hatebm" ood run --in big.npy
expect "ood of a directory that is not a run" "no checkpoint" "$hatebm" ood "$work" --max 10
for score in gradnorm complexity typicality dose; do
  "$hatebm" ood run --in a.npy --ood noise,invert --max 60 --score $score >ood_$score.log 2>&1
  check "ood --score $score prints an AUROC for noise and invert" \
    "[ \$(grep -cE '^(noise|invert) +60 +[-0-9.e]+ +(0\.[0-9]+|1\.0000)$' ood_$score.log) -eq 2 ]"
done
expect "ood --score of an unknown score" "expected energy, gradnorm, complexity, typicality or dose" \
  "$hatebm" ood run --in a.npy --score likelihood
expect "ood --score without a value" "usage" "$hatebm" ood run --in a.npy --score
expect "ood --ref of another image size" "--ref big.npy: .*64x64" "$hatebm" ood run --in a.npy --ref big.npy --score dose
"$hatebm" ood run --in a.npy --ood noise --max 20 --score complexity --ref a.npy --dump dump >dump.log 2>&1
check "--dump: L is 8 x the zlib size of the 8-bit image (-1 padding) per dimension, and the \
complexity score is z(H) - z(L) on the reference (here the --in set itself)" "$py -c \"
import zlib, numpy as np
d = np.load('dump/in.npy').astype(np.float64); a = np.load('a.npy')[np.arange(20) * 400 // 20]
assert d.shape == (20, 4) and np.load('dump/ood1.npy').shape == (20, 4)
L = [8 * len(zlib.compress(np.pad(x, 2).tobytes(), 9)) / 1024 for x in a]
assert np.allclose(d[:, 2], L, rtol=1e-6), (d[:, 2], L)
z = lambda v: (v - v.mean()) / v.std(ddof=1)
assert np.allclose(d[:, 3], z(d[:, 0]) - z(d[:, 2]), atol=1e-5), d
\""
# central differences of H along every pixel of 2 images: 2 x (1 + 2 x 1024) energies
$py -c "
import numpy as np
a = np.load('a.npy')[:2].astype(np.float32) / 255 - 0.5   # inside [-1, 1] after +-h
x = np.pad(a, ((0, 0), (2, 2), (2, 2)), constant_values=-0.5)
h, rows = np.float32(0.02), []
for img in x:
    rows.append(img)
    for k in range(1024):
        for s in (h, -h):
            p = img.copy(); p.flat[k] += s; rows.append(p)
np.save('fd.npy', np.array(rows, np.float32))
"
"$hatebm" ood run --in fd.npy --ood noise --max 0 --dump fd >fd.log 2>&1
check "--dump: ||dH/dx|| matches central differences of H over all 1024 pixels (1%)" "$py -c \"
import numpy as np
d = np.load('fd/in.npy').astype(np.float64); h = 0.02
for i in range(2):
    b = d[i * 2049:(i + 1) * 2049, 0]
    fd = (b[1::2] - b[2::2]) / (2 * h)
    got = d[i * 2049, 1]
    print('  image %d: ||dH/dx|| %.6g, central differences %.6g' % (i, got, np.linalg.norm(fd)))
    assert abs(got - np.linalg.norm(fd)) < 0.01 * got
\""
check "no validation messages" "! grep -l 'hatebm: validation' *.log *.err"
finish
