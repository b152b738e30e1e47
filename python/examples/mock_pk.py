#!/usr/bin/python3
"""Make a mock halo catalogue and measure its power spectrum with numpy; plot it.

Notebook-style (the `# %%` cells run one by one in Jupyter or VS Code), or as a script:

    python3 python/examples/mock_pk.py                          # params/default.param, seed 42
    python3 python/examples/mock_pk.py --params my.param -s BoxSize=512 -s NParticles=512 \\
        --seed 7 --mesh 128 --out pk.png --table pk.txt

The estimator is the one `halopaint stats pk CAT --mesh N --no-interlace` computes (CIC
assignment, window deconvolved, bins of width k_f centred on multiples of k_f), so the two
tables agree (tests/test_python.sh checks it).
"""

# %% Setup: the package from this tree (or an installed one), matplotlib without a display
import argparse
import os
import pathlib
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = pathlib.Path(__file__).resolve()
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "python"))
import halopaint as hp  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--params", help="parameter file (default: the tree's params/default.param)")
ap.add_argument("-s", action="append", default=[], metavar="Key=Value",
                help="override a key, as halopaint run -s (repeatable)")
ap.add_argument("--seed", type=int, default=42)
ap.add_argument("--mesh", type=int, default=64, help="FFT mesh side (default 64)")
ap.add_argument("--out", default="mock_pk.png", help="the figure (PNG)")
ap.add_argument("--table", help="also write the P(k) table here")
args = ap.parse_args()

# %% Parameters: a file plus overrides, as on the command line
if args.params:
    params = hp.Params(args.params)
else:
    params = hp.Params(ROOT / "params" / "default.param",
                       ModelFile=ROOT / "models" / "default.h5")
for kv in args.s:
    key, _, value = kv.partition("=")
    params[key] = value
box = params["BoxSize"]
print(f"box {box:g} Mpc/h, {params['NParticles']}^3 particles, {params['NVoxels']}^3 voxels, "
      f"z = {params['Redshift']:g}, seed {args.seed}")

# %% The mock: 2LPT -> CIC -> painter -> sampler, in process (nothing written)
(cat,) = hp.run(params, seeds=[args.seed])
pos = cat["Position"].astype(np.float64)
print(f"{cat.n} halos; per mass bin: {np.bincount(cat['MassBin']).tolist()}")


# %% The power spectrum, cloud-in-cell on an n^3 mesh
def cic_mesh(pos, box, n):
    """Summed CIC weights; voxel i centred at (i + 1/2) box/n, as the library's CIC."""
    u = pos / (box / n) - 0.5
    i0 = np.floor(u).astype(np.int64)
    t = u - i0
    g = np.zeros((n, n, n))
    for corner in np.ndindex(2, 2, 2):
        w = np.prod([t[:, a] if corner[a] else 1 - t[:, a] for a in range(3)], axis=0)
        np.add.at(g, tuple((i0[:, a] + corner[a]) % n for a in range(3)), w)
    return g


def power_spectrum(pos, box, n):
    """P(k) [(Mpc/h)^3] in bins of width k_f = 2 pi/box centred on multiples of k_f up to the
    Nyquist frequency: (k_lo, k_hi, k_mean, nmodes, P). Modes count k and -k (the r2c half
    with weight 2, its kz = 0 and Nyquist planes with weight 1)."""
    g = cic_mesh(pos, box, n)
    V, H = box ** 3, box / n
    delta_k = np.fft.rfftn(g / g.mean() - 1) * (V / n ** 3)
    kx = 2 * np.pi * np.fft.fftfreq(n, d=H)
    kz = 2 * np.pi * np.fft.rfftfreq(n, d=H)
    KX, KY, KZ = np.meshgrid(kx, kx, kz, indexing="ij")
    window = (np.sinc(KX * H / (2 * np.pi)) * np.sinc(KY * H / (2 * np.pi))
              * np.sinc(KZ * H / (2 * np.pi))) ** 2          # CIC: sinc^2 per axis
    p3 = np.abs(delta_k / window) ** 2 / V
    weight = np.full(KZ.shape, 2.0)
    weight[:, :, 0] = 1
    if n % 2 == 0:
        weight[:, :, -1] = 1
    weight[0, 0, 0] = 0                                       # the mean mode
    kf = 2 * np.pi / box
    edges = (np.arange(n // 2 + 1) + 0.5) * kf
    kmag = np.sqrt(KX ** 2 + KY ** 2 + KZ ** 2)
    nmodes = np.histogram(kmag, edges, weights=weight)[0]
    psum = np.histogram(kmag, edges, weights=weight * p3)[0]
    ksum = np.histogram(kmag, edges, weights=weight * kmag)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return edges[:-1], edges[1:], ksum / nmodes, nmodes, psum / nmodes


k_lo, k_hi, k, nmodes, pk = power_spectrum(pos, box, args.mesh)
# Shot noise: 1/nbar for a Poisson sample. On the mesh it is aliased (Jing 2005); near the
# Nyquist frequency the deconvolved estimate rises above 1/nbar (`halopaint stats pk` gives
# the aliased shot noise per bin in its `shot` column).
shot = box ** 3 / cat.n
err = pk * np.sqrt(2 / nmodes)                               # Gaussian error
print("k_mean[h/Mpc]  P[(Mpc/h)^3]  P-1/nbar  nmodes")
for row in zip(k, pk, pk - shot, nmodes):
    print("%.6f  %.6g  %.6g  %d" % row)
if args.table:
    np.savetxt(args.table, np.column_stack([k_lo, k_hi, k, nmodes, pk, err]), fmt="%.10g",
               header=f"mock_pk: {cat.n} halos, box {box:g} Mpc/h, mesh {args.mesh}, CIC, "
                      f"not interlaced, 1/nbar = {shot:.6g}\n"
                      "k_lo k_hi k_mean nmodes P err")

# %% The figure
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.errorbar(k, pk, yerr=err, fmt="o-", ms=3, label=f"painted halos ({cat.n})")
ax.axhline(shot, color="gray", ls="--", label=r"shot noise $1/\bar n$")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"$k$ [$h$/Mpc]")
ax.set_ylabel(r"$P(k)$ [(Mpc/$h$)$^3$]")
ax.set_title(f"halopaint mock, {box:g} Mpc/h, z = {params['Redshift']:g}, seed {args.seed}")
ax.legend()
fig.tight_layout()
fig.savefig(args.out, dpi=100)
print(f"wrote {os.path.abspath(args.out)}")
