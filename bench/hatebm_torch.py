"""PyTorch modules whose state_dict names and layouts match hatebm's C networks exactly, so that
a PyTorch user can load_state_dict(strict=True) the weight files hatebm writes (and the other
way round). Conv weights are [out, in, kh, kw], linear weights [out, in], everything float32.

Networks (see shared/reference/hyperparameters.md): the hat network EBM (SN-GAN family,
spectral norm removed), the generator Gen (batch norm frozen at mean 0 / var 1, i.e. a
trainable per-channel affine), and the retrofit Encoder / Decoder pair of the CIFAR-10
autoencoder. Also tiny F32-only safetensors helpers (no dependency beyond numpy)."""
import json, os, struct
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

__all__ = ['Affine', 'EBMBlock', 'GenBlock', 'EBM', 'Gen', 'Encoder', 'Decoder',
           'load_safetensors', 'save_safetensors']


def up2(x):
    """Bilinear x2 upsampling with half-pixel centers (what hatebm's upsample kernel does)."""
    return F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)


class Affine(nn.Module):
    """Batch norm frozen at running mean 0 / variance 1: x * weight + bias per channel."""
    def __init__(s, c):
        super().__init__()
        s.weight = nn.Parameter(torch.ones(c)); s.bias = nn.Parameter(torch.zeros(c))
    def forward(s, x):
        return x * s.weight[None, :, None, None] + s.bias[None, :, None, None]


class EBMBlock(nn.Module):
    """Hat-network residual block. Stem: conv1 -> relu -> conv2 [-> avgpool], shortcut
    [avgpool ->] conv1x1. Otherwise pre-activation relu -> conv1 -> relu -> conv2 [-> avgpool],
    shortcut conv1x1 (iff channels change or down) [-> avgpool]."""
    def __init__(s, cin, cout, down, stem=False):
        super().__init__(); s.stem, s.down = stem, down
        s.c1 = nn.Conv2d(cin, cout, 3, padding=1); s.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        s.sc = nn.Conv2d(cin, cout, 1) if (cin != cout or down) else None
    def forward(s, x):
        h = s.c2(F.relu(s.c1(x if s.stem else F.relu(x))))
        if s.down: h = F.avg_pool2d(h, 2)
        y = x
        if s.stem:
            if s.down: y = F.avg_pool2d(y, 2)
            if s.sc is not None: y = s.sc(y)
        else:
            if s.sc is not None: y = s.sc(y)
            if s.down: y = F.avg_pool2d(y, 2)
        return h + y


class GenBlock(nn.Module):
    """Generator block: h = c2(relu(bn2(c1(U(relu(bn1(x))))))), shortcut sc(U(x)) when channels
    change or up, else x; U is bilinear x2 when up, else the identity."""
    def __init__(s, cin, cout, up=True):
        super().__init__(); s.up = up
        s.bn1 = Affine(cin); s.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        s.bn2 = Affine(cout); s.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        s.sc = nn.Conv2d(cin, cout, 1) if (cin != cout or up) else None
    def forward(s, x):
        u = up2 if s.up else (lambda t: t)
        h = s.c2(F.relu(s.bn2(s.c1(u(F.relu(s.bn1(x)))))))
        return h + (s.sc(u(x)) if s.sc is not None else x)


def hat_channels(ngf, res):
    """[(cout, down), ...] of the hat network's blocks at a resolution."""
    if res == 32:
        return [(ngf, True), (ngf, True), (ngf, False), (ngf, False)]
    if res in (64, 128):
        assert ngf % 16 == 0, 'ngf must be a multiple of 16 at res %d' % res
        b = [(ngf // 16, True), (ngf // 8, True), (ngf // 4, True), (ngf // 2, True), (ngf, True)]
        return b + [(ngf, False)] if res == 128 else b
    raise ValueError('res must be 32, 64 or 128, got %r' % (res,))


class EBM(nn.Module):
    """Hat network H(x) -> [N, 1]: blocks, relu, global average pool, linear (no bias)."""
    def __init__(s, nch, ngf, res=32):
        super().__init__(); s.res = res
        blocks, cin = [], nch
        for i, (cout, down) in enumerate(hat_channels(ngf, res)):
            blocks.append(EBMBlock(cin, cout, down, stem=(i == 0))); cin = cout
        s.b = nn.Sequential(*blocks)
        s.lin = nn.Linear(cin, 1, bias=False)
    def forward(s, x):
        return s.lin(F.relu(s.b(x)).mean(dim=(2, 3)))


def gen_channels(ngf, res):
    if res == 32: return [ngf, ngf, ngf, ngf]
    if res == 64: return [ngf, ngf // 2, ngf // 4, ngf // 8, ngf // 16]
    if res == 128: return [ngf, ngf, ngf // 2, ngf // 4, ngf // 8, ngf // 16]
    raise ValueError('res must be 32, 64 or 128, got %r' % (res,))


class Gen(nn.Module):
    """Generator G(z), z [N, nz] -> [N, nch, res, res] in [-factor, factor]."""
    def __init__(s, nch, ngf, res=32, nz=128, factor=2.0):
        super().__init__(); s.factor, s.nz = factor, nz
        ch = gen_channels(ngf, res)
        assert min(ch) > 0, 'ngf too small for res %d' % res
        s.c0 = ch[0]
        s.lin = nn.Linear(nz, 16 * s.c0)
        s.b = nn.Sequential(*[GenBlock(ch[i], ch[i + 1], True) for i in range(len(ch) - 1)])
        s.bn = Affine(ch[-1]); s.out = nn.Conv2d(ch[-1], nch, 3, padding=1)
    def forward(s, z):
        h = s.b(s.lin(z).view(-1, s.c0, 4, 4))
        return s.factor * torch.tanh(s.out(F.relu(s.bn(h))))


class Decoder(nn.Module):
    """Retrofit decoder: latent [N, 1, 16, 16] -> image [N, nch, 32, 32]."""
    def __init__(s, nch, ngf, factor=1.0):
        super().__init__(); s.factor = factor
        s.b = nn.Sequential(GenBlock(1, ngf, False), GenBlock(ngf, ngf, True),
                            GenBlock(ngf, ngf, False), GenBlock(ngf, ngf, False))
        s.bn = Affine(ngf); s.out = nn.Conv2d(ngf, nch, 3, padding=1)
    def forward(s, z):
        return s.factor * torch.tanh(s.out(F.relu(s.bn(s.b(z)))))


class Encoder(nn.Module):
    """Retrofit encoder: image [N, nch, 32, 32] -> latent [N, 1, 16, 16] on the sphere of
    radius sqrt(256) = 16."""
    def __init__(s, nch, ngf):
        super().__init__()
        s.b = nn.Sequential(EBMBlock(nch, ngf, False, stem=True), EBMBlock(ngf, ngf, True),
                            EBMBlock(ngf, ngf, False), EBMBlock(ngf, ngf, False))
        s.out = nn.Conv2d(ngf, 1, 3, padding=1)
    def forward(s, x):
        z = s.out(F.relu(s.b(x))).flatten(1)
        m = z.shape[1]
        z = (m ** 0.5) * z / (z.norm(dim=1, keepdim=True) + 1e-6)
        return z.view(-1, 1, 16, 16)


class Classifier(nn.Module):
    """The FID feature classifier (configs/fashion_mnist_classifier.ini): image [N, nch, 32, 32]
    -> logits [N, 10]; features() is the 128-wide penultimate layer."""
    def __init__(s, nch, width):
        super().__init__()
        w2, w4 = 2 * width, 4 * width
        s.c1 = nn.Conv2d(nch, width, 3, padding=1)
        s.c2, s.c3 = nn.Conv2d(width, w2, 3, padding=1), nn.Conv2d(w2, w2, 3, padding=1)
        s.c4, s.c5 = nn.Conv2d(w2, w4, 3, padding=1), nn.Conv2d(w4, w4, 3, padding=1)
        s.fc, s.out = nn.Linear(w4 * 16, 128), nn.Linear(128, 10)
    def features(s, x):
        h = F.avg_pool2d(F.relu(s.c1(x)), 2)
        h = F.avg_pool2d(F.relu(s.c3(F.relu(s.c2(h)))), 2)
        h = F.avg_pool2d(F.relu(s.c5(F.relu(s.c4(h)))), 2)
        return F.relu(s.fc(h.flatten(1)))
    def forward(s, x):
        return s.out(s.features(x))


# ---------------------------------------------------------------- safetensors (F32 only)

def load_safetensors(path):
    """-> (dict name -> float32 torch.Tensor, metadata dict of str -> str)."""
    with open(path, 'rb') as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError('%s: expected at least 8 bytes, found %d' % (path, len(buf)))
    n, = struct.unpack('<Q', buf[:8])
    if n > len(buf) - 8:
        raise ValueError('%s: header length %d exceeds the file (%d bytes)' % (path, n, len(buf)))
    hdr = json.loads(buf[8:8 + n].decode('utf-8'))
    data = memoryview(buf)[8 + n:]
    meta = hdr.pop('__metadata__', None) or {}
    out = {}
    for name, e in hdr.items():
        if e.get('dtype') != 'F32':
            raise ValueError('%s: tensor %r: dtype %r is not supported (F32 only)'
                             % (path, name, e.get('dtype')))
        b, en = e['data_offsets']; shape = [int(d) for d in e['shape']]
        cnt = int(np.prod(shape, dtype=np.int64))
        if not (0 <= b <= en <= len(data)) or en - b != 4 * cnt:
            raise ValueError('%s: tensor %r: bad data_offsets %r for shape %r'
                             % (path, name, e['data_offsets'], shape))
        a = np.frombuffer(data[b:en], dtype='<f4').astype(np.float32).reshape(shape)
        out[name] = torch.from_numpy(a.copy())
    return out, dict(meta)


def save_safetensors(path, tensors, metadata=None):
    """Write float32 tensors (torch or numpy) the way hatebm and the reference library do:
    compact JSON header, "__metadata__" first, tensors sorted by name, padded to 8 bytes."""
    items = []
    for name in sorted(tensors):
        t = tensors[name]
        if isinstance(t, torch.Tensor): t = t.detach().cpu().numpy()
        t = np.asarray(t)
        if t.dtype != np.float32:
            raise ValueError('tensor %r: dtype %s is not supported (F32 only)' % (name, t.dtype))
        items.append((name, np.ascontiguousarray(t).astype('<f4', copy=False)))
    hdr, off = {}, 0
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError('metadata %r: keys and values must be strings' % (k,))
        hdr['__metadata__'] = {k: metadata[k] for k in sorted(metadata)}
    for name, a in items:
        hdr[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(hdr, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    h += b' ' * (-len(h) % 8)
    tmp = '%s.tmp%d' % (path, os.getpid())
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for _, a in items: f.write(a.tobytes())
    os.replace(tmp, path)
