#!/usr/bin/env python3
"""What r_c >= r_c(quadratic) + 0.03 asks of the halo noise, per mass bin and k.

usage: rc_headroom.py WORKDIR NBINS   (WORKDIR: a scripts/validate-model.sh work directory)

r_c of a noiseless painted field against the raw truth is sqrt(1 - N / P_hh), with N the
truth's noise about that field (P_hh raw, shot noise included). Per k bin, mean and error over
the boxes, in units of the Poisson level 1/n (the table's shot_aa):
  N(painted) n   = (1 - r_c^2) P_hh / shot           the noise left about the painted field
  N(quadratic) n = (1 - r_c(quad)^2) P_hh / shot     about the quadratic bias baseline
  N(target) n    = (1 - (r_c(quad) + 0.03)^2) P_hh / shot   what the target needs
"""
import glob
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
from validation_report import mean_err, table  # noqa: E402


def main():
    work, nb = sys.argv[1], int(sys.argv[2])
    boxes = sorted(glob.glob(os.path.join(work, "seed*")))
    print(f"# {len(boxes)} boxes under {work}")
    for k in range(nb):
        tabs = [table(os.path.join(b, f"cross_field_{k}.txt")) for b in boxes
                if os.path.exists(os.path.join(b, f"cross_field_{k}.txt"))]
        print(f"\nbin {k} ({len(tabs)} boxes)")
        print("| k [h/Mpc] | modes | r_c | r_c(quad) | N(painted) n | N(quadratic) n | N(target) n |")
        print("|---|---|---|---|---|---|---|")
        for i, r0 in enumerate(tabs[0]):
            if r0["k_mean"] > 0.13:
                break
            rows = [t[i] for t in tabs]
            f = lambda v: "%.3f +- %.3f" % mean_err(v)
            noise = lambda r, c: (1 - min(c, 1.0) ** 2) * r["P_aa"] / r["shot_aa"]
            print(f"| {r0['k_mean']:.3f} | {int(r0['nmodes'])} | {f([r['r_c'] for r in rows])} | "
                  f"{f([r['r_c_quad'] for r in rows])} | {f([noise(r, r['r_c']) for r in rows])} | "
                  f"{f([noise(r, r['r_c_quad']) for r in rows])} | "
                  f"{f([noise(r, r['r_c_quad'] + 0.03) for r in rows])} |")


if __name__ == "__main__":
    main()
