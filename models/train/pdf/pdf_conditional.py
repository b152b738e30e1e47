"""The lightest bin's count PDF at N = 2 and 3 (issue "A painter people can trust"): the default
model's own expectation over its painted means (no sampling noise) against the truth, by painted
mean.
Reads the validation work of scripts/validate-model.sh (VALIDATE_WORK) and the truth boxes.
Run: /usr/bin/python3 models/train/pdf/pdf_conditional.py MODEL.h5 VALIDATE_WORK > OUT
(models/train/pdf/pdf_conditional.out: models/default.h5 of 2026-12-07 = v4r and its painted means;
the painted means can also come from data/pdfwork of models/train/pdf/law_scan.py)"""
import h5py, numpy as np, glob, sys
from scipy.special import gammaln
from scipy.optimize import brentq
model, work = sys.argv[1], sys.argv[2]
md = h5py.File(model)['Metadata'].attrs
a, b = md['DispersionA'][0], md['DispersionB'][0]  # bin 0
print(f"model {model}: bin 0 ln nu = {a:+.4f} {b:+.4f} ln(1 + mu)")
def cmp_pmf(mu, nmax=30):
    if mu < 1e-9:
        r = np.zeros(nmax); r[0] = 1; return r
    nu = np.exp(np.clip(a + b*np.log1p(mu), -3, 3))
    n = np.arange(nmax)
    def pm(lnlam):
        lw = n*lnlam - nu*gammaln(n+1); lw -= lw.max(); w = np.exp(lw); return w/w.sum()
    f = lambda x: (pm(x)*n).sum() - mu
    x = brentq(f, -40, 20)
    return pm(x)
edges = [1.2589254e13, 3.9810717e13]
nv = 64; box = 256.
mus=[]; ns=[]
for s in range(2001, 2009):
    f = h5py.File(f'{work}/seed{s}/counts.h5')
    keys = list(f.keys())
    c = f["counts"][()]
    if c is None:
        print(keys); break
    mu = c[0].ravel() if c.ndim==4 else c.ravel()
    t = h5py.File(f'data/truth/truth_seed{s}_halos_z0.hdf5')
    m = t['Halos/Mass'][()]; p = t['Halos/Position'][()]
    sel = (m>=edges[0])&(m<edges[1])
    ijk = np.floor(p[sel]/ (box/nv)).astype(int) % nv
    idx = (ijk[:,0]*nv + ijk[:,1])*nv + ijk[:,2]
    n = np.bincount(idx, minlength=nv**3)
    mus.append(mu); ns.append(n)
mu = np.concatenate(mus); n = np.concatenate(ns)
print("voxels", mu.size, "truth halos", n.sum(), "painted mean sum", mu.sum())
qs = [0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2, 10]
print(" mu range      nvox   <mu>   truth<n>  truth P2   model P2  ratio(model/truth)  truth var  model var  truth P3  model P3")
P2m_tot=0; P2t_tot=0; P3m_tot=0; P3t_tot=0
for lo,hi in zip(qs[:-1],qs[1:]):
    s = (mu>=lo)&(mu<hi)
    if s.sum()==0: continue
    # model: average pmf over voxels (sample 2000 voxels for speed)
    sub = mu[s]; 
    pick = sub if sub.size<3000 else np.random.default_rng(1).choice(sub,3000,replace=False)
    pm = np.mean([cmp_pmf(x) for x in pick],axis=0)
    P2m = pm[2]*s.sum(); P2t = (n[s]==2).sum()
    varm = (pm*np.arange(30)**2).sum() - (pm*np.arange(30)).sum()**2
    P3m = pm[3]*s.sum(); P3t = (n[s]==3).sum()
    print(f"[{lo:4.2f},{hi:4.2f}) {s.sum():8d} {sub.mean():6.3f} {n[s].mean():8.4f} {P2t:8d} {P2m:10.1f} {P2m/max(P2t,1):8.3f}   {n[s].var():8.4f} {varm:8.4f} {P3t:8d} {P3m:8.1f}")
    P2m_tot+=P2m; P2t_tot+=P2t; P3m_tot+=P3m; P3t_tot+=P3t
print("total N=2: model", P2m_tot, "truth", P2t_tot, "ratio", P2m_tot/P2t_tot)
print("total N=3: model", P3m_tot, "truth", P3t_tot, "ratio", P3m_tot/P3t_tot)
