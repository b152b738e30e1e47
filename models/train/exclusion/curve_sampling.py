"""Prototype: per-voxel CMP draws made jointly along a space-filling curve (systematic sampling
in runs). Voxels are ordered along a 3D Hilbert curve; c = the running sum of p_i = P(N_i >= 1)
along it is cut into runs of length L (random phase); each run draws one uniform V and voxel i
takes u_i = frac(V + c_i), N_i = F_i^{-1}(u_i). Every u_i is uniform, so each voxel keeps its
CMP distribution exactly, while within a run the voxels' N >= 1 intervals tile [0, L): about
L halos a run at most once each (exclusion). L = 0 is the painter's independent sampling.
Usage (repository root, after make validate of v4 with VALIDATE_WORK=data/validate/v4):
python3 models/train/exclusion/curve_sampling.py BIN B|BXxB L1 L2 ... (64: one curve through the box; 4x16: blocks of 4 x 16 x 16)"""
import sys, numpy as np, h5py
from scipy.special import gammaln
W = "data/validate/v4"
L_BOX, n = 256.0, 64
AB = [(0.7064, 1.2933), (1.1604, 1.3885), (1.8463, 0.5700)]  # v4's ln nu = a + b ln(1 + mu)
EDGES = [1.2589254e13, 3.9810717e13, 1.2589254e14, 3.9810717e15]
NMAX = 40
lnfact = gammaln(np.arange(NMAX + 1) + 1.0)
GRID = np.exp(np.linspace(np.log(1e-7), np.log(60), 1500))

def cmp_cdf(mus, nus):
    cdf = np.empty((len(mus), NMAX + 1)); nn = np.arange(NMAX + 1)
    for i, (mu, nu) in enumerate(zip(mus, nus)):
        lo, hi = -30.0, 30.0
        for _ in range(80):
            ll = 0.5 * (lo + hi)
            lp = nn * ll - nu * lnfact; lp -= lp.max(); p = np.exp(lp); p /= p.sum()
            if (p * nn).sum() < mu: lo = ll
            else: hi = ll
        cdf[i] = np.cumsum(p)
    return cdf

def hilbert_index(x, y, z, bits):
    """Skilling's (2004) transpose of axes to the Hilbert index, vectorised."""
    X = [x.copy(), y.copy(), z.copy()]
    M = 1 << (bits - 1); Q = M
    while Q > 1:
        P = Q - 1
        for i in range(3):
            t = (X[i] & Q) != 0
            X[0] = np.where(t, X[0] ^ P, X[0])
            tt = np.where(t, 0, (X[0] ^ X[i]) & P)
            X[0] ^= tt; X[i] ^= tt
        Q >>= 1
    for i in range(1, 3): X[i] ^= X[i - 1]
    t = np.zeros_like(x); Q = M
    while Q > 1:
        t = np.where((X[2] & Q) != 0, t ^ (Q - 1), t); Q >>= 1
    for i in range(3): X[i] ^= t
    h = np.zeros_like(x)
    for b in range(bits - 1, -1, -1):
        for i in range(3): h = (h << 1) | ((X[i] >> b) & 1)
    return h

ii, jj, kk = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing='ij')
BX, B = ([int(a) for a in sys.argv[2].split('x')] + [0])[:2] if len(sys.argv) > 2 else (n, n)
B = B or BX  # blocks of BX x B x B voxels (argument BX or BXxB), each its own curve
bits = max(B, BX).bit_length() - 1
blk = ((ii // BX) * (n // B) + jj // B) * (n // B) + kk // B
ORDER = np.lexsort((hilbert_index(ii.ravel() % BX, jj.ravel() % B, kk.ravel() % B, bits), blk.ravel()))
BLK = blk.ravel()

def draw(mu, cdf_tab, L, rng):
    i = np.clip(np.searchsorted(GRID, mu.ravel()), 0, len(GRID) - 1)
    cdf = cdf_tab[i]; cdf[mu.ravel() <= 0] = 1.0
    p1 = 1.0 - cdf[:, 0]
    if L <= 0:
        u = rng.random(mu.size)
    else:
        c = np.empty(mu.size); pc = p1[ORDER]
        cs = np.concatenate([[0.0], np.cumsum(pc)[:-1]])
        bo = BLK[ORDER]; start = np.r_[True, bo[1:] != bo[:-1]]
        cs = cs - np.maximum.accumulate(np.where(start, cs, 0.0))  # restart in each block
        c[ORDER] = cs
        phase = rng.random(BLK.max() + 1) * L
        run = BLK * 100000 + np.floor((c + phase[BLK]) / L).astype(np.int64)
        _, run = np.unique(run, return_inverse=True)
        V = rng.random(run.max() + 1)
        u = (V[run] + c) % 1.0
    return (u[:, None] > cdf).sum(1).reshape(mu.shape)

def load(s, k):
    mu = h5py.File(f'{W}/seed{s}/counts.h5', 'r')['counts'][k].astype(np.float64)
    rho = h5py.File(f'{W}/seed{s}/density.h5', 'r')['density'][...].astype(np.float64)
    g = h5py.File(f'data/truth/truth_seed{s}_halos_z0.hdf5', 'r')
    m = g['Halos/Mass'][...]; x = g['Halos/Position'][...]
    sel = (m >= EDGES[k]) & (m < EDGES[k + 1])
    ijk = np.floor(x[sel] / (L_BOX / n)).astype(int) % n
    t = np.zeros((n, n, n)); np.add.at(t, (ijk[:, 0], ijk[:, 1], ijk[:, 2]), 1)
    return mu, rho, t

kf = 2 * np.pi / L_BOX
kx = np.fft.fftfreq(n, 1.0 / n) * kf; kz = np.fft.rfftfreq(n, 1.0 / n) * kf
KK = np.sqrt(kx[:, None, None] ** 2 + kx[None, :, None] ** 2 + kz[None, None, :] ** 2)
wt = np.ones(KK.shape); wt[:, :, 1:-1] = 2
SHELLS = [(0.0, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.5), (0.5, 0.8)]

def stats(N, rho):
    nb = N.sum() / L_BOX ** 3
    dh = np.fft.rfftn(N / N.mean() - 1); dm = np.fft.rfftn(rho / rho.mean() - 1)
    V = L_BOX ** 3 / n ** 6
    Phh = abs(dh) ** 2 * V; Pmm = abs(dm) ** 2 * V; Phm = (dh * dm.conj()).real * V
    low = (KK > 0) & (KK < 0.1)
    s = ((Phh - Phm ** 2 / Pmm) * wt)[low].sum() / (wt[low].sum() / nb)
    return [s] + [(Phh * wt)[(KK > a) & (KK <= b)].sum() for a, b in SHELLS]

k = int(sys.argv[1]); Ls = [float(a) for a in sys.argv[3:]] or [0.0]
cdf_tab = cmp_cdf(GRID, np.minimum(np.exp(AB[k][0] + AB[k][1] * np.log1p(GRID)), 20.09))
res = {'truth': []}; P = {'truth': np.zeros(4)}
for L in Ls: res[L] = []; P[L] = np.zeros(4)
for s in range(2001, 2009):
    mu, rho, t = load(s, k)
    res['truth'].append(stats(t, rho) + [t.sum()]); P['truth'] += [(t == i).sum() for i in range(4)]
    for L in Ls:
        for rep in range(2):
            N = draw(mu, cdf_tab, L, np.random.default_rng(1000 * s + rep))
            res[L].append(stats(N, rho) + [N.sum()]); P[L] += np.array([(N == i).sum() for i in range(4)]) / 2
t0 = np.array(res['truth'])
print(f'bin {k}: truth stochasticity x n {t0[:, 0].mean():.3f} +- {t0[:, 0].std() / np.sqrt(8):.3f}')
for L in Ls:
    r = np.array(res[L]); m = r.shape[0] // 8
    ratio = [r[:, 1 + q].sum() / m / t0[:, 1 + q].sum() for q in range(len(SHELLS))]
    print(f'  L = {L:4.2f}: stochasticity x n {r[:, 0].mean():.3f} +- {r[:, 0].std() / np.sqrt(len(r)):.3f}; '
          f'N/N_truth {r[:, -1].sum() / m / t0[:, -1].sum():.3f}; P_hh/truth by shell ' +
          ' '.join(f'{x:.3f}' for x in ratio) + '; PDF N=1,2,3/truth ' +
          ' '.join(f'{P[L][i] / max(P["truth"][i], 1):.3f}' for i in (1, 2, 3)))
