"""Write a synthetic parity case from PyTorch itself (random init, outputs computed by torch),
in the layout hatebm's C side writes, to test tests/parity/check.py standalone.

usage: make_case.py OUT_DIR [--kind sngan|retrofit] [--res 32] [--nch 1] [--ngf-hat 32]
                    [--ngf-gen 32] [--gen-factor 2.0] [--n 4] [--seed 0]
                    [--perturb NAME [--perturb-rel 1e-3]]
--perturb adds perturb-rel * max|t| to one element of tensor NAME (the checker must then fail)."""
import argparse, os, sys
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
from hatebm_torch import EBM, Gen, Encoder, Decoder, Affine, save_safetensors  # noqa: E402


def randomize_affine(net, g):
    """Affine layers start at the identity; give them random values so their gradients and
    their effect on the forward pass are exercised."""
    for m in net.modules():
        if isinstance(m, Affine):
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out'); ap.add_argument('--kind', default='sngan', choices=['sngan', 'retrofit'])
    ap.add_argument('--res', type=int, default=32); ap.add_argument('--nch', type=int, default=1)
    ap.add_argument('--ngf-hat', type=int, default=32); ap.add_argument('--ngf-gen', type=int, default=32)
    ap.add_argument('--gen-factor', type=float, default=None); ap.add_argument('--n', type=int, default=4)
    ap.add_argument('--seed', type=int, default=0); ap.add_argument('--perturb', default=None)
    ap.add_argument('--perturb-rel', type=float, default=1e-3)
    a = ap.parse_args()
    torch.manual_seed(a.seed); g = torch.Generator().manual_seed(a.seed + 1)
    fac = a.gen_factor if a.gen_factor is not None else (2.0 if a.kind == 'sngan' else 1.0)
    meta = dict(kind=a.kind, res=str(a.res if a.kind == 'sngan' else 32), nch=str(a.nch),
                ngf_hat=str(a.ngf_hat), ngf_gen=str(a.ngf_gen), gen_factor=repr(fac))
    t = {}
    if a.kind == 'sngan':
        nets = {'hat': EBM(a.nch, a.ngf_hat, a.res), 'gen': Gen(a.nch, a.ngf_gen, a.res, factor=fac)}
        randomize_affine(nets['gen'], g)
        z = torch.randn(a.n, 128, generator=g)
        y = 0.05 * torch.randn(a.n, a.nch, a.res, a.res, generator=g)
        t['in.z'], t['in.y'] = z, y
        z = z.clone().requires_grad_(True)
        x = nets['gen'](z) + y
        e = nets['hat'](x)[:, 0]
        params = [(pre, n, p) for pre in ('hat', 'gen') for n, p in nets[pre].named_parameters()]
        grads = torch.autograd.grad(e.sum(), [x, z] + [p for _, _, p in params])
        t.update({'out.energy': e, 'out.x': x, 'out.dHdx': grads[0], 'out.dHdz': grads[1]})
    else:
        nets = {'enc': Encoder(a.nch, a.ngf_gen), 'dec': Decoder(a.nch, a.ngf_gen, factor=fac)}
        randomize_affine(nets['dec'], g)
        x = torch.rand(a.n, a.nch, 32, 32, generator=g) * 2 - 1
        r = torch.randn(a.n, a.nch, 32, 32, generator=g)
        t['in.x'], t['in.r'] = x, r
        x = x.clone().requires_grad_(True)
        zl = nets['enc'](x); xr = nets['dec'](zl)
        params = [(pre, n, p) for pre in ('enc', 'dec') for n, p in nets[pre].named_parameters()]
        grads = torch.autograd.grad((r * xr).sum(), [x] + [p for _, _, p in params])
        grads = (grads[0], None) + tuple(grads[1:])
        t.update({'out.z': zl, 'out.xr': xr, 'out.dLdx': grads[0]})
    for (pre, n, p), gr in zip(params, grads[2:]):
        t['%s.%s' % (pre, n)] = p
        t['grad.%s.%s' % (pre, n)] = gr
    t = {k: v.detach().clone().float().contiguous() for k, v in t.items()}
    if a.perturb:
        if a.perturb not in t:
            sys.exit('--perturb: no tensor %r' % a.perturb)
        v = t[a.perturb].view(-1)
        i = int(v.abs().argmax())
        v[i] += a.perturb_rel * v.abs().max()
    os.makedirs(a.out, exist_ok=True)
    save_safetensors(os.path.join(a.out, 'case.safetensors'), t, meta)
    print('%s: %d tensors, %s' % (a.out, len(t), meta))


if __name__ == '__main__':
    main()
