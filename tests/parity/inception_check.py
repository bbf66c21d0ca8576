"""Inception FID against PyTorch and NumPy/SciPy.

usage: /usr/bin/python3 tests/parity/inception_check.py INCEPTION_DUMP HATEBM OUT_DIR

1. A FIDInceptionV3 (torchvision's Inception v3 with pytorch-fid's patches: average pools
   without the padding in the A, C and E_1 blocks, a max pool in E_2's pool branch, 1008
   classes) with seeded random weights and non-trivial batch-norm statistics, saved as a state
   dict and converted by scripts/convert_inception.py; features of random uint8 images of
   several sizes and channel counts, ours (inception_dump) within 1e-4 relative of PyTorch's.
2. FID of two feature sets against SciPy's (pytorch-fid's formula) to 1e-6 relative; the
   statistics we write (.npz) equal NumPy's mean and covariance; statistics NumPy writes
   (savez and savez_compressed) read by `hatebm fid` give SciPy's FID; `hatebm fid
   --inception` on image sets and its --save-stats agree with the dumped features.
3. Bad inputs: a missing weights file, a missing or mis-shaped tensor (named), a corrupt
   .npz: exit 2 with one line.
One line per check; the last is "N passed, N failed"; exit 1 when any failed."""
import os
import subprocess
import sys

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F
import torchvision

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
RESULTS = [0, 0]


def check(ok, what):
    RESULTS[0 if ok else 1] += 1
    print('%s: %s' % ('ok' if ok else 'FAIL', what))


def pool_branch(self, x, use_max):
    p = F.max_pool2d(x, 3, 1, 1) if use_max else F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    return self.branch_pool(p)


class FIDA(torchvision.models.inception.InceptionA):
    def forward(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, pool_branch(self, x, False)], 1)


class FIDC(torchvision.models.inception.InceptionC):
    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = m(d)
        return torch.cat([self.branch1x1(x), b7, d, pool_branch(self, x, False)], 1)


class FIDE(torchvision.models.inception.InceptionE):
    def __init__(self, in_channels, use_max):
        super().__init__(in_channels)
        self.use_max = use_max

    def forward(self, x):
        a = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(a), self.branch3x3_2b(a),
                          self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d),
                          pool_branch(self, x, self.use_max)], 1)


def fid_inception(seed):
    torch.manual_seed(seed)
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=1008,
                                          init_weights=False)
    net.Mixed_5b, net.Mixed_5c, net.Mixed_5d = FIDA(192, 32), FIDA(256, 64), FIDA(288, 64)
    net.Mixed_6b, net.Mixed_6c = FIDC(768, 128), FIDC(768, 160)
    net.Mixed_6d, net.Mixed_6e = FIDC(768, 160), FIDC(768, 192)
    net.Mixed_7b, net.Mixed_7c = FIDE(1280, False), FIDE(2048, True)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight)
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5), m.bias.uniform_(-0.3, 0.3)
                m.running_mean.uniform_(-0.3, 0.3), m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def torch_features(net, u8):
    """pytorch-fid's InceptionV3 forward: [0, 1] images, resize, 2x - 1, blocks, average pool."""
    x = torch.from_numpy(u8).float() / 255
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False) * 2 - 1
    n = net
    for m in (n.Conv2d_1a_3x3, n.Conv2d_2a_3x3, n.Conv2d_2b_3x3, n.maxpool1, n.Conv2d_3b_1x1,
              n.Conv2d_4a_3x3, n.maxpool2, n.Mixed_5b, n.Mixed_5c, n.Mixed_5d, n.Mixed_6a,
              n.Mixed_6b, n.Mixed_6c, n.Mixed_6d, n.Mixed_6e, n.Mixed_7a, n.Mixed_7b, n.Mixed_7c):
        x = m(x)
    return F.adaptive_avg_pool2d(x, 1).flatten(1).double().detach().numpy()


def scipy_fid(mu1, s1, mu2, s2):
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


def run(args):
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def parity(dump, out, weights, net):
    rng = np.random.default_rng(5)
    for size, ch in ((28, 1), (32, 3), (64, 1), (299, 3)):
        u8 = rng.integers(0, 256, size=(2, ch, size, size), dtype=np.uint8)
        path = os.path.join(out, 'img%d_c%d.npy' % (size, ch))
        np.save(path, u8 if ch == 3 else u8[:, 0])
        rc, _, err = run([dump, 'features', weights, path, path + '.npz'])
        if rc:
            check(False, 'features %dx%d c%d: %s' % (size, size, ch, err.strip()))
            continue
        ours, ref = np.load(path + '.npz')['features'], torch_features(net, u8)
        rel = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-12)
        check(rel <= 1e-4, 'features %dx%d c%d: rel err %.2e (max |f| %.3g)' % (size, size, ch, rel, np.abs(ref).max()))


def fid_math(dump, hatebm, out):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((300, 64)) * rng.uniform(0.5, 2, 64)
    b = rng.standard_normal((200, 64)) @ rng.uniform(-0.3, 0.3, (64, 64)) + 0.2
    pa, pb, stats = (os.path.join(out, f) for f in ('fa.npz', 'fb.npz', 'stats_a.npz'))
    np.savez(pa, features=a.astype(np.float32)), np.savez(pb, features=b.astype(np.float32))
    a, b = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    mu = [a.mean(0), b.mean(0)]
    sig = [np.cov(a, rowvar=False), np.cov(b, rowvar=False)]
    want = scipy_fid(mu[0], sig[0], mu[1], sig[1])
    rc, so, err = run([dump, 'fid', pa, pb, stats])
    got = float(so) if rc == 0 else float('nan')
    check(abs(got - want) <= 1e-6 * abs(want), 'FID of feature sets %.10g vs SciPy %.10g' % (got, want))
    s = np.load(stats)
    check(np.abs(s['mu'] - mu[0]).max() <= 1e-12 and np.abs(s['sigma'] - sig[0]).max() <= 1e-10,
          'written statistics equal NumPy mean and covariance')
    np.savez(os.path.join(out, 'sa.npz'), mu=mu[0], sigma=sig[0])
    np.savez_compressed(os.path.join(out, 'sb.npz'), mu=mu[1], sigma=sig[1])
    rc, so, err = run([hatebm, 'fid', os.path.join(out, 'sa.npz'), os.path.join(out, 'sb.npz')])
    got = fid_value(so) if rc == 0 else float('nan')
    check(abs(got - want) <= 1e-4 * abs(want) and rc == 0,
          'hatebm fid on savez + savez_compressed statistics: %s' % (so.strip() or err.strip()))
    rc, so, err = run([hatebm, 'fid', stats, stats])
    check(rc == 0 and fid_value(so) == 0, 'round trip: FID of statistics with themselves 0')


def fid_value(stdout):
    return float(stdout.split(':')[1].split()[0])


def cli(dump, hatebm, out, weights):
    """hatebm fid --inception end to end: the FID of two image sets of different sizes equals
    the one of their dumped features; --save-stats writes the statistics of those features.
    (The distance of 2048 features takes the CPU half a minute or more, so only one.)"""
    a, b = os.path.join(out, 'img28_c1.npy'), os.path.join(out, 'img64_c1.npy')
    rc, so, err = run([hatebm, 'fid', a, b, '--inception', weights])
    rc2, so2, _ = run([dump, 'fid', a + '.npz', b + '.npz', os.path.join(out, 'unused.npz')])
    ok = rc == 0 and rc2 == 0 and abs(fid_value(so) - float(so2)) < 1e-4
    check(ok, 'hatebm fid --inception of two image sets: %s (features: %s)' % (so.strip() or err.strip(), so2.strip()))
    stats = os.path.join(out, 'a_stats.npz')
    rc, so, err = run([hatebm, 'fid', a, '--inception', weights, '--save-stats', stats])
    f = np.load(a + '.npz')['features']
    ok = rc == 0 and np.abs(np.load(stats)['mu'] - f.mean(0)).max() < 1e-9 and \
        np.abs(np.load(stats)['sigma'] - np.cov(f, rowvar=False)).max() < 1e-9
    check(ok, '--save-stats: the statistics of the features: %s' % (so.strip() or err.strip()))


def folder(hatebm, out, weights, net):
    """A folder of grey 299x299 PNGs (RGB is tried first, then grey; no resize at 299): the
    mean feature --save-stats writes equals PyTorch's."""
    d = os.path.join(out, 'grey_pngs')
    os.makedirs(d, exist_ok=True)
    u8 = np.random.default_rng(3).integers(0, 256, size=(2, 1, 299, 299), dtype=np.uint8)
    for i in range(2):
        torchvision.io.write_png(torch.from_numpy(u8[i]), os.path.join(d, '%d.png' % i))
    stats = os.path.join(out, 'folder_stats.npz')
    rc, so, err = run([hatebm, 'fid', d, '--inception', weights, '--save-stats', stats])
    want = torch_features(net, u8).mean(0)
    rel = np.abs(np.load(stats)['mu'] - want).max() / np.abs(want).max() if rc == 0 else np.inf
    check(rel <= 1e-4, 'folder of grey PNGs: mean feature rel err %.2e %s' % (rel, err.strip()[-200:] if rc else ''))


def expect_refusal(args, needle, what, env=None):
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    rc, err = p.returncode, p.stderr
    lines = err.strip().splitlines()
    check(rc == 2 and len(lines) == 1 and needle in err, '%s: exit %d, %s' % (what, rc, err.strip()))


def bad_inputs(hatebm, out, weights, state):
    imgs = os.path.join(out, 'img28_c1.npy')
    missing = os.path.join(out, 'none.safetensors')
    expect_refusal([hatebm, 'fid', imgs, imgs, '--inception', missing], 'convert_inception.py',
                   'missing weights file')
    expect_refusal([hatebm, 'fid', imgs, imgs, '--inception'], 'convert_inception.py',
                   'no weights at $HATEBM_INCEPTION', dict(os.environ, HATEBM_INCEPTION=missing))
    sys.path.insert(0, os.path.join(ROOT, 'scripts'))
    from convert_inception import convert
    for name, edit in (('missing', lambda s: s.pop('Mixed_6c.branch7x7_2.conv.weight')),
                       ('misshaped', lambda s: s.__setitem__('Mixed_6c.branch7x7_2.bn.running_var',
                                                             torch.ones(7)))):
        s = dict(state)
        edit(s)
        path = os.path.join(out, name + '.safetensors')
        convert(s, path)
        expect_refusal([hatebm, 'fid', imgs, imgs, '--inception', path], 'Mixed_6c.branch7x7_2',
                       'tensor %s' % name)
    good = os.path.join(out, 'sa.npz')
    blob = open(good, 'rb').read()
    for name, data in (('truncated', blob[:len(blob) // 2]), ('not a zip', b'hello' * 40),
                       ('flipped byte', blob[:300] + bytes([blob[300] ^ 0xff]) + blob[301:])):
        path = os.path.join(out, 'bad.npz')
        open(path, 'wb').write(data)
        expect_refusal([hatebm, 'fid', path, good], 'bad.npz', 'corrupt .npz (%s)' % name)


def main():
    dump, hatebm, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    net = fid_inception(1)
    pth, weights = os.path.join(out, 'inception.pth'), os.path.join(out, 'inception.safetensors')
    torch.save(net.state_dict(), pth)
    rc, so, err = run([sys.executable, os.path.join(ROOT, 'scripts', 'convert_inception.py'), pth, weights])
    check(rc == 0, 'convert_inception.py: %s' % (so.strip() or err.strip()))
    parity(dump, out, weights, net)
    fid_math(dump, hatebm, out)
    cli(dump, hatebm, out, weights)
    folder(hatebm, out, weights, net)
    bad_inputs(hatebm, out, weights, net.state_dict())
    print('%d passed, %d failed' % tuple(RESULTS))
    sys.exit(1 if RESULTS[1] else 0)


if __name__ == '__main__':
    main()
