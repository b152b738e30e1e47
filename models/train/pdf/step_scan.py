"""The group step of the count distribution (nn/count_dist.h, TrainCountModel cmp-step), tried
before it was built: CMP with a step kappa against voxels of two or more halos,

  P(n) ~ lambda^n / (n!)^nu exp(-kappa g(n)),   E[n] = mu,   ln nu = a + b ln(1 + mu),

g(n) = [n >= 2] ("step", the law halopaint adopted) or [n = 2] ("pair"), kappa a constant per
bin or linear in ln(1 + mu) ("step" with 4 parameters). Fitted by maximum likelihood on the
training boxes with the default network's painted means (as law_scan.py), scored on the held-out
box 2008 and on the 8 validation boxes (-ln L per voxel), and the expected voxels with two and three halos over the 8 validation boxes and the
training boxes, model / truth. npar 2 is CMP (kappa = 0), the models before 2026-12-08.
Run: /usr/bin/python3 models/train/pdf/step_scan.py NTRAIN > models/train/pdf/step_scan.out"""
import numpy as np
from scipy.special import logsumexp
from scipy.optimize import minimize

import law_scan as ls

J = np.arange(ls.NMAX)
G = {'step': (J >= 2).astype(float), 'pair': (J == 2).astype(float)}


def logw(x, nu, kap, g):
    return J[None, :] * x[:, None] - nu[:, None] * ls.LNF[None, :] - kap[:, None] * g[None, :]


def lnlam_for(mu, nu, kap, g):
    """ln lambda with E[n] = mu (bisection, vectorised), and ln Z there"""
    lo, hi = np.full(mu.shape, -80.0), np.full(mu.shape, 40.0)
    for _ in range(90):
        x = 0.5 * (lo + hi)
        lw = logw(x, nu, kap, g)
        below = (np.exp(lw - logsumexp(lw, axis=1)[:, None]) * J).sum(1) < mu
        lo, hi = np.where(below, x, lo), np.where(below, hi, x)
    x = 0.5 * (lo + hi)
    return x, logsumexp(logw(x, nu, kap, g), axis=1)


def law(p, mu):
    l = np.log1p(mu)
    return np.exp(np.clip(p[0] + p[1] * l, -3, 3)), p[2] + (p[3] * l if len(p) > 3 else 0 * l)


def nll(p, mu, h, g):
    nu, kap = law(p, mu)
    x, lz = lnlam_for(mu, nu, kap, g)
    return (h * (-logw(x, nu, kap, g) + lz[:, None])).sum() / h.sum()


def expected(mu, p, n, g):
    """sum over voxels of P(n | mu), from a fine ln mu grid"""
    grid = np.exp(np.linspace(-14, 3, 800))
    nu, kap = law(p, grid)
    x, lz = lnlam_for(grid, nu, kap, g)
    return np.interp(np.log(mu), np.log(grid), np.exp(logw(x, nu, kap, g)[:, n] - lz)).sum()


def main():
    train, vb, tb = ls.boxes()
    for k in range(3):
        mt, ht, mh, hh, mu_v, mu_t = ls.bin_data(k, train, vb, tb)
        mv, hv = ls.hist(list(range(2001, 2009)), k)
        tv = [ls.true_voxels(vb, k, n) for n in (2, 3)]
        tt = [ls.true_voxels(tb, k, n) for n in (2, 3)]
        print(f"bin {k}: voxels with 2 / 3 halos, validation {tv[0]} / {tv[1]}, training "
              f"{tt[0]} / {tt[1]}")
        for name, npar in (('step', 2), ('step', 3), ('step', 4), ('pair', 3)):
            if k > 0 and name == 'pair':
                continue
            g = G[name]
            f = (lambda q: nll(np.r_[q, 0.0], mt, ht, g)) if npar == 2 else (lambda q: nll(q, mt, ht, g))
            r = minimize(f, np.zeros(npar), method='Nelder-Mead',
                         options={'xatol': 1e-5, 'fatol': 1e-10, 'maxiter': 4000, 'maxfev': 8000})
            p = np.r_[r.x, 0.0] if npar == 2 else r.x
            ev = [expected(mu_v, p, n, g) / max(t, 1) for n, t in zip((2, 3), tv)]
            et = [expected(mu_t, p, n, g) / max(t, 1) for n, t in zip((2, 3), tt)]
            print(f"  {name} npar {npar} params {np.array2string(p, precision=4)}: -ln L train "
                  f"{r.fun:.6f}, held-out {nll(p, mh, hh, g):.6f}, validation boxes "
                  f"{nll(p, mv, hv, g):.7f} ({hv.sum():.0f} voxels); expected / true N = 2, 3: "
                  f"validation {ev[0]:.3f} {ev[1]:.3f}, training {et[0]:.3f} {et[1]:.3f}",
                  flush=True)


if __name__ == '__main__':
    main()
