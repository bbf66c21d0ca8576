"""PyTorch half of the parity test: recompute a case written by hatebm (networks, outputs and
gradients) with autograd in float32 and compare.

usage: /usr/bin/python3 tests/parity/check.py [--tol 1e-4] CASE_DIR [CASE_DIR ...]

Each CASE_DIR holds case.safetensors; metadata "kind" ("sngan" | "retrofit" | "classifier"),
"res", "nch", "ngf_hat" (classifier: its width), "ngf_gen", "gen_factor". Tensors:
  sngan:    hat.* / gen.* params, in.z [N,128], in.y [N,nch,res,res];
            out.energy [N] = H(G(z)+y), out.x = G(z)+y, out.dHdx, out.dHdz,
            out.dHdx_sampling (dH/dx computed without parameter gradients, as Langevin steps
            do) and grad.hat.* / grad.gen.* = gradients of sum(energy).
  retrofit: enc.* / dec.* params, in.x, in.r [N,nch,32,32];
            out.z = enc(x) [N,1,16,16], out.xr = dec(enc(x)), out.dLdx and grad.enc.* /
            grad.dec.* = gradients of L = sum(r * dec(enc(x))).
  classifier: cls.* params, in.x [N,nch,32,32], in.labels [N] (class indices as floats);
            out.logits [N,10], out.features [N,128], out.loss [N] (cross-entropy per row),
            out.dLdx and grad.cls.* = gradients of the mean cross-entropy.
Relative error of a tensor = max|ours - torch| / max(max|torch|, 1e-12). One line per tensor;
the last line is "N passed, N failed". Exit status 1 when any tensor fails (rel err above
--tol, not finite, wrong shape or missing) or a case cannot be loaded, else 0."""
import os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
from hatebm_torch import EBM, Gen, Encoder, Decoder, Classifier, load_safetensors  # noqa: E402

PREFIXES = {'sngan': ('hat', 'gen'), 'retrofit': ('enc', 'dec'), 'classifier': ('cls',)}
INPUTS = {'sngan': ('in.z', 'in.y'), 'retrofit': ('in.x', 'in.r'),
          'classifier': ('in.x', 'in.labels')}


def build(meta):
    """The two networks of a case, from its metadata: {prefix: module}."""
    kind = meta.get('kind')
    if kind not in PREFIXES:
        raise ValueError('metadata "kind": expected "sngan", "retrofit" or "classifier", found %r'
                         % (kind,))
    if kind == 'classifier':
        return {'cls': Classifier(int(meta['nch']), int(meta['ngf_hat']))}
    need = ['nch', 'ngf_gen', 'gen_factor'] + (['res', 'ngf_hat'] if kind == 'sngan' else [])
    missing = [k for k in need if k not in meta]
    if missing:
        raise ValueError('metadata: missing %s' % ', '.join('"%s"' % k for k in missing))
    nch, ngf_gen, fac = int(meta['nch']), int(meta['ngf_gen']), float(meta['gen_factor'])
    if kind == 'sngan':
        res = int(meta['res'])
        return {'hat': EBM(nch, int(meta['ngf_hat']), res),
                'gen': Gen(nch, ngf_gen, res, factor=fac)}
    if int(meta.get('res', '32')) != 32:
        raise ValueError('retrofit: expected res 32, found %s' % meta['res'])
    return {'enc': Encoder(nch, ngf_gen), 'dec': Decoder(nch, ngf_gen, factor=fac)}


def load_params(nets, tensors):
    """load_state_dict(strict=True) each network from its 'prefix.'-named tensors."""
    for pre, net in nets.items():
        sd = {k[len(pre) + 1:]: v for k, v in tensors.items() if k.startswith(pre + '.')}
        net.load_state_dict(sd, strict=True)


def compute(kind, nets, inp):
    """Torch's value of every expected output: {name: tensor}."""
    for net in nets.values():
        net.zero_grad(set_to_none=True)
    out = {}
    if kind == 'sngan':
        hat, gen = nets['hat'], nets['gen']
        z = inp['in.z'].clone().requires_grad_(True)
        x = gen(z) + inp['in.y']
        x.retain_grad()
        e = hat(x).reshape(-1)
        e.sum().backward()
        out.update({'out.energy': e, 'out.x': x, 'out.dHdx': x.grad, 'out.dHdz': z.grad,
                    'out.dHdx_sampling': x.grad})
    elif kind == 'classifier':
        x = inp['in.x'].clone().requires_grad_(True)
        feats = nets['cls'].features(x)
        logits = nets['cls'].out(feats)
        loss = F.cross_entropy(logits, inp['in.labels'].long(), reduction='none')
        loss.mean().backward()
        out.update({'out.logits': logits, 'out.features': feats, 'out.loss': loss,
                    'out.dLdx': x.grad})
    else:
        enc, dec = nets['enc'], nets['dec']
        x = inp['in.x'].clone().requires_grad_(True)
        z = enc(x)
        xr = dec(z)
        (inp['in.r'] * xr).sum().backward()
        out.update({'out.z': z, 'out.xr': xr, 'out.dLdx': x.grad})
    for pre, net in nets.items():
        for n, p in net.named_parameters():
            out['grad.%s.%s' % (pre, n)] = p.grad if p.grad is not None else torch.zeros_like(p)
    return {k: v.detach() for k, v in out.items()}


def rel_err(ours, ref):
    if not torch.isfinite(ours).all():
        return float('inf')
    d = (ours.double() - ref.double()).abs().max().item() if ref.numel() else 0.0
    m = ref.double().abs().max().item() if ref.numel() else 0.0
    return d / max(m, 1e-12)


def check_case(case_dir, tol):
    """-> (passed, failed); prints one line per tensor."""
    path = os.path.join(case_dir, 'case.safetensors')
    try:
        tensors, meta = load_safetensors(path)
        nets = build(meta)
        load_params(nets, tensors)
    except Exception as ex:  # a case that cannot even be loaded is one failure
        print('%s: FAIL cannot load: %s' % (case_dir, str(ex).replace('\n', ' ')))
        return 0, 1
    kind = meta['kind']
    inputs = INPUTS[kind]
    missing_in = [k for k in inputs if k not in tensors]
    if missing_in:
        print('%s: FAIL missing inputs %s' % (case_dir, ', '.join(missing_in)))
        return 0, 1
    ref = compute(kind, nets, {k: tensors[k] for k in inputs})
    passed = failed = 0
    print('%s: kind %s res %s nch %s ngf_hat %s ngf_gen %s gen_factor %s' % (
        case_dir, kind, meta.get('res'), meta.get('nch'), meta.get('ngf_hat'), meta.get('ngf_gen'),
        meta.get('gen_factor')))
    for name, r in ref.items():
        ours = tensors.get(name)
        if ours is None:
            print('  %-28s FAIL missing' % name); failed += 1; continue
        if tuple(ours.shape) != tuple(r.shape):
            print('  %-28s FAIL shape %s, expected %s' % (name, list(ours.shape), list(r.shape)))
            failed += 1; continue
        e = rel_err(ours, r)
        ok = e <= tol
        print('  %-28s %s rel err %.3e' % (name, 'ok  ' if ok else 'FAIL', e))
        passed += ok; failed += not ok
    params = {'%s.%s' % (p, n) for p, net in nets.items() for n in net.state_dict()}
    extra = sorted(set(tensors) - set(ref) - set(inputs) - params)
    if extra:
        print('  (ignored tensors: %s)' % ', '.join(extra))
    return passed, failed


def main(argv):
    tol = 1e-4
    if len(argv) >= 2 and argv[0] == '--tol':
        tol = float(argv[1]); argv = argv[2:]
    if not argv:
        print(__doc__.strip().split('\n\n')[1]); return 2
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    passed = failed = 0
    for d in argv:
        p, f = check_case(d, tol)
        passed += p; failed += f
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
