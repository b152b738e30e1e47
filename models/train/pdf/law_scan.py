"""Which dispersion law ln nu(mu) for the CMP count distribution (nn/count_dist.h)? Fits each law by
maximum likelihood on training boxes, scores it on the held-out box 2008 (-ln L per voxel, the
number halopaint train prints) and reports the expected voxels with two halos, model / truth,
per mass bin (the count-PDF target at N = 2), without the noise of a draw, over the 8
validation boxes and over the training boxes themselves. The painted means are the default network's (models/default.h5; a refit of the count
distribution keeps them).

Laws, l = ln(1 + mu):
  lin2   a + b l                      (models before 2026-12-07)
  quad3  a + b l + c l^2              (halopaint's law since 2026-12-07)
  pwl4   piecewise linear in ln mu, knots at mu = 0.05, 0.2, 0.5, 1.5 (flat outside)

Input: data/pdfwork/seedS/counts.h5 (halopaint stats mesh params/default.param -s Seed=S --mesh 64
--no-interlace --no-deconvolve, then halopaint paint models/default.h5), truth under data/truth.
Run: /usr/bin/python3 models/train/pdf/law_scan.py NTRAIN > models/train/pdf/law_scan.out"""
import sys
import h5py
import numpy as np
from scipy.special import gammaln, logsumexp
from scipy.optimize import minimize

EDGES = [1.2589254e13, 3.9810717e13, 1.2589254e14, 3.9810717e15]
NV, BOX, NMAX = 64, 256.0, 40
LNF = gammaln(np.arange(NMAX) + 1.0)
ntrain = int(sys.argv[1]) if len(sys.argv) > 1 else 12


def box(seed):
    mu = h5py.File(f'data/pdfwork/seed{seed}/counts.h5')['counts'][()].reshape(3, -1)
    t = h5py.File(f'data/truth/truth_seed{seed}_halos_z0.hdf5')
    m, p = t['Halos/Mass'][()], t['Halos/Position'][()]
    n = np.zeros_like(mu)
    for k in range(3):
        s = (m >= EDGES[k]) & (m < EDGES[k + 1])
        ijk = np.floor(p[s] / (BOX / NV)).astype(int) % NV
        n[k] = np.bincount((ijk[:, 0] * NV + ijk[:, 1]) * NV + ijk[:, 2], minlength=NV**3)
    return np.maximum(mu, 1e-6), n


def hist(seeds, k):
    """voxels binned in ln mu (0.025 wide) x count: (mean mu of the bin, counts histogram)"""
    mus, ns = zip(*[box(s) for s in seeds])
    mu, n = np.concatenate([x[k] for x in mus]), np.concatenate([x[k] for x in ns])
    b = np.floor((np.log(mu) + 12) / 0.025).astype(int)
    ub, inv = np.unique(b, return_inverse=True)
    cnt = np.bincount(inv)
    mub = np.bincount(inv, weights=mu) / cnt
    h = np.zeros((ub.size, NMAX))
    np.add.at(h, (inv, np.minimum(n, NMAX - 1).astype(int)), 1)
    return mub, h


def lnlam_for(mu, nu):
    """ln lambda with E[n] = mu (E[n] rises with ln lambda: bisection, vectorised over bins), and
    ln Z there"""
    j = np.arange(NMAX)
    lo, hi = np.full(mu.shape, -80.0), np.full(mu.shape, 40.0)
    for _ in range(90):
        x = 0.5 * (lo + hi)
        lw = j[None, :] * x[:, None] - nu[:, None] * LNF[None, :]
        m1 = (np.exp(lw - logsumexp(lw, axis=1)[:, None]) * j).sum(1)
        below = m1 < mu
        lo, hi = np.where(below, x, lo), np.where(below, hi, x)
    x = 0.5 * (lo + hi)
    return x, logsumexp(j[None, :] * x[:, None] - nu[:, None] * LNF[None, :], axis=1)


def nll(mu, h, lognu):
    nu = np.exp(np.clip(lognu, -3, 3))
    x, lz = lnlam_for(mu, nu)
    j = np.arange(NMAX)
    return (h * (-j[None, :] * x[:, None] + nu[:, None] * LNF[None, :] + lz[:, None])).sum() / h.sum()


KNOTS = np.log([0.05, 0.2, 0.5, 1.5])
LAWS = {
    'lin2': (2, lambda p, mu: p[0] + p[1] * np.log1p(mu)),
    'quad3': (3, lambda p, mu: p[0] + p[1] * np.log1p(mu) + p[2] * np.log1p(mu) ** 2),
    'pwl4': (4, lambda p, mu: np.interp(np.log(mu), KNOTS, p)),
}


def p2_expected(mu, lognu):
    """sum over voxels of P(2 | mu), from a fine ln mu grid"""
    g = np.exp(np.linspace(-14, 3, 800))
    nu = np.exp(np.clip(lognu(g), -3, 3))
    x, lz = lnlam_for(g, nu)
    p2 = np.exp(2 * x - nu * LNF[2] - lz)
    return np.interp(np.log(mu), np.log(g), p2).sum()


def boxes():
    """the training seeds, and the (means, counts) of the validation and training boxes"""
    train = list(range(1001, 1001 + ntrain))
    valid = list(range(2001, 2009))
    print(f"training boxes {train[0]}-{train[-1]}, held-out 2008, PDF over {valid[0]}-{valid[-1]}")
    return train, [box(s) for s in valid], [box(s) for s in train]


def bin_data(k, train, vb, tb):
    """bin k: the training and held-out histograms, the validation and training means"""
    mt, ht = hist(train, k)
    mh, hh = hist([2008], k)
    mu_v = np.concatenate([b[0][k] for b in vb])
    mu_t = np.concatenate([b[0][k] for b in tb])
    return mt, ht, mh, hh, mu_v, mu_t


def true_voxels(bs, k, n):
    """voxels of bin k holding n halos over the boxes bs"""
    return sum(int((b[1][k] == n).sum()) for b in bs)


def main():
    train, vb, tb = boxes()
    for k in range(3):
        mt, ht, mh, hh, mu_v, mu_t = bin_data(k, train, vb, tb)
        n2_true, n2_train = true_voxels(vb, k, 2), true_voxels(tb, k, 2)
        print(f"bin {k}: voxels with 2 halos, validation {n2_true} (+- {np.sqrt(n2_true):.0f}), "
              f"training {n2_train}")
        for name, (npar, f) in LAWS.items():
            p0 = np.zeros(npar)
            r = minimize(lambda p: nll(mt, ht, f(p, mt)), p0, method='Nelder-Mead',
                         options={'xatol': 1e-5, 'fatol': 1e-10, 'maxiter': 4000, 'maxfev': 8000})
            e2 = p2_expected(mu_v, lambda g: f(r.x, g))
            e2t = p2_expected(mu_t, lambda g: f(r.x, g))
            print(f"  {name:5s} params {np.array2string(r.x, precision=4)}: -ln L train "
                  f"{r.fun:.6f}, held-out {nll(mh, hh, f(r.x, mh)):.6f}; N = 2 expected / true: "
                  f"validation {e2 / max(n2_true, 1):.3f}, training {e2t / max(n2_train, 1):.3f}")


if __name__ == '__main__':
    main()
