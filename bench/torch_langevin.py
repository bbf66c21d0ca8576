"""PyTorch peer of `hatebm bench langevin`: the Hat EBM synthesis step (conditional Hat EBM,
Algorithm 1 of the paper) on the CPU, or with --device cuda on a CUDA or ROCm GPU, with
hatebm_torch's 32x32 hat network and generator (the same networks, parameter names and Langevin
step as hatebm). Prints one JSON line with seconds
per Langevin step and per full training iteration, timed after a warm-up.

Langevin step on the residual y (x = G(z) + y, y starts at 0):
    d = (eps^2 / 2) * dH/dy / temp, clipped per sample to L2 norm <= clip (2.5)
    y <- y - d + eps * noise
Training iteration: K Langevin steps; EBM loss (mean H(x+ + 1e-3 noise) - mean H(x-)) / temp
with Adam; generator loss 1000 * MSE(G(z_bank), x_bank) on a bank batch with Adam; the batch's
bank slots are overwritten with the newest (z, x-) pairs."""
import argparse, json, os, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hatebm_torch import EBM, Gen  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nch', type=int, default=1); ap.add_argument('--ngf', type=int, default=64)
    ap.add_argument('--batch', type=int, default=64); ap.add_argument('--steps', type=int, default=50)
    ap.add_argument('--iters', type=int, default=2); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--bank', type=int, default=1024)
    ap.add_argument('--eps', type=float, default=5e-4); ap.add_argument('--temp', type=float, default=1e-8)
    ap.add_argument('--clip', type=float, default=2.5); ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--device', default='cpu', help="cpu, or cuda (ROCm builds of torch name it cuda too)")
    a = ap.parse_args()
    if a.device != 'cpu' and not torch.cuda.is_available():
        sys.exit("torch_langevin.py: --device %s, but this torch has no CUDA/ROCm device" % a.device)
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    ebm, gen = EBM(a.nch, a.ngf, 32).to(dev), Gen(a.nch, a.ngf, 32, factor=2.0).to(dev)
    oe = torch.optim.Adam(ebm.parameters(), a.lr, betas=(0.9, 0.999))
    og = torch.optim.Adam(gen.parameters(), a.lr, betas=(0.9, 0.999))
    zb = torch.randn(a.bank, 128, device=dev)
    with torch.no_grad(): xb = gen(zb)
    data = torch.rand(a.batch, a.nch, 32, 32, device=dev) * 2 - 1

    def langevin(z):
        with torch.no_grad(): g = gen(z)
        y = torch.zeros_like(g)
        for _ in range(a.steps):
            y.requires_grad_(True)
            gy, = torch.autograd.grad(ebm(g + y).sum() / a.temp, y)
            with torch.no_grad():
                d = (a.eps * a.eps / 2) * gy
                n = d.flatten(1).norm(dim=1).clamp(min=1e-12)
                d = d * (a.clip / n).clamp(max=1.0).view(-1, 1, 1, 1)
                y = y - d + a.eps * torch.randn_like(y)
        return g, y.detach()

    def iteration():
        z = torch.randn(a.batch, 128, device=dev)
        g, y = langevin(z); xn = g + y
        xp = data + 1e-3 * torch.randn_like(data)
        loss = (ebm(xp).mean() - ebm(xn).mean()) / a.temp
        oe.zero_grad(); loss.backward(); oe.step()
        idx = torch.randperm(a.bank, device=dev)[:a.batch]
        lg = 1000 * ((gen(zb[idx]) - xb[idx]) ** 2).mean()
        og.zero_grad(); lg.backward(); og.step()
        xb[idx] = xn; zb[idx] = z

    def sync():  # GPU work is asynchronous: time it to its end
        if dev.type == 'cuda': torch.cuda.synchronize()

    z = torch.randn(a.batch, 128, device=dev)
    langevin(z)  # warm-up
    sync(); t0 = time.perf_counter(); langevin(z); sync(); t_lang = time.perf_counter() - t0
    iteration()  # warm-up (optimizer state, backward through the weights)
    sync(); t0 = time.perf_counter()
    for _ in range(a.iters): iteration()
    sync(); t_iter = (time.perf_counter() - t0) / a.iters
    print(json.dumps(dict(peer='pytorch-' + dev.type, torch=torch.__version__, threads=a.threads, nch=a.nch,
                          ngf=a.ngf, batch=a.batch, mcmc_steps=a.steps, iters=a.iters, bank=a.bank,
                          eps=a.eps, temp=a.temp, clip=a.clip,
                          s_per_langevin_step=t_lang / a.steps, s_per_iteration=t_iter)))


if __name__ == '__main__':
    main()
