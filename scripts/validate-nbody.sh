#!/bin/sh
# Regenerate docs/validation-nbody.md and docs/img/nbody-*.svg: the N-body truth of
# `halopaint sim` against linear theory, halofit (Takahashi et al. 2012), Tinker et al. 2008 and
# Sheth-Tormen, and the effect of PMGridFactor, PMSteps and the force kernel.
#   scripts/validate-nbody.sh            (about 12 minutes on 2 cores; 1.3 GB of temporary files)
# Runs (one seed, 256 Mpc/h, z = 49 -> 0): 256^3 with B = 2 and 20 steps (the main run, also
# the high-resolution twin), and 128^3 twins (same seed: halopaint's white noise is the same
# for the common modes) with B = 1, 2, 3 and 10, 20, 40 steps, and the three force kernels.
# Everything temporary goes to a directory removed at the end; only the report and the plots
# are written into docs/. HALOPAINT and VALIDATE may name other binaries (default: build them).
set -eu
cd "$(dirname "$0")/.."
HP=${HALOPAINT:-bin/halopaint}
VAL=${VALIDATE:-build/bench/bench_nbody_validate}
if [ -z "${HALOPAINT:-}" ]; then make -s all build/bench/bench_nbody_validate; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
T=2
for np in 128 256; do
  cat > "$tmp/n$np.param" <<P
Omega0            0.3089
OmegaBaryon       0.0486
HubbleParam       0.6774
Sigma8            0.8159
PrimordialIndex   0.9667
BoxSize           256
NParticles        $np
Seed              42
RedshiftIC        49
OutputRedshifts   0
PMGridFactor      2
PMSteps           20
PMStepSpacing     Linear
FoFLinkingLength  0.2
FoFMinMembers     20
Threads           $T
OutputDir         $tmp
P
done
run() { # name param overrides...
  name=$1 par=$2
  shift 2
  echo "== $name: halopaint sim $par $*" >&2
  $HP sim "$tmp/$par" -s FileBase="$name" "$@" > "$tmp/$name.log"
  tail -4 "$tmp/$name.log" >&2
  $VAL mf "$tmp/$par" "$tmp/${name}_halos_z0.hdf5" "$tmp/$name.mf"
}
run main n256.param -s SimWriteParticles=1
$VAL pk "$tmp/n256.param" "$tmp/main_particles_z0" 512 "$tmp/main.pk"
rm -f "$tmp"/main_particles_z0*.hdf5
for B in 1 2 3; do run "B$B" n128.param -s PMGridFactor=$B; done
for S in 10 40; do run "S$S" n128.param -s PMSteps=$S; done
for K in 0 2; do # 1_4 and spectral; `halopaint sim` itself uses 3_4 (K1 = the B = 2 run)
  echo "== kernel $K (128^3, B = 2, 20 steps)" >&2
  $VAL kernel "$tmp/n128.param" $K "$tmp/K$K.mf"
done
cp "$tmp/B2.mf" "$tmp/K1.mf"
python3 - "$tmp" <<'PY'
import math, os, re, sys
tmp = sys.argv[1]
def table(path):
    rows = []
    for line in open(path):
        if not line.startswith('#'):
            rows.append([float(x) for x in line.split()])
    return rows
def head(path):
    return [l[2:].strip() for l in open(path) if l.startswith('#')]
def summary(name):
    txt = open(os.path.join(tmp, name + '.log')).read()
    t = re.search(r'total ([0-9.]+)', txt).group(1)
    pm = re.search(r'\| PM ([0-9.]+)', txt).group(1)
    fof = re.search(r'FoF ([0-9.]+)', txt).group(1)
    mem = re.search(r'= ([0-9.]+) bytes per particle', txt).group(1)
    return float(t), float(pm), float(fof), float(mem)
out = []
w = out.append
pk = table(os.path.join(tmp, 'main.pk'))
# ---- P(k)
w('### Matter power spectrum at z = 0 (256^3, B = 2, 20 steps)\n')
w('`' + head(os.path.join(tmp, 'main.pk'))[0] + '`\n')
w('| k [h/Mpc] | modes | P_sim | P_lin | (P_sim - P_lin)/err | P_halofit | P_sim/P_halofit |')
w('|---|---|---|---|---|---|---|')
chi2, nlow = 0.0, 0
for k, p, e, nm, pl, ph in pk:
    dev = (p - pl) / e
    if k < 0.08:
        chi2 += dev * dev
        nlow += 1
    w('| %.4f | %d | %.4g | %.4g | %+.2f | %.4g | %.3f |' % (k, nm, p, pl, dev, ph, p / ph))
w('\nLow k (k < 0.08 h/Mpc, %d bins): chi^2 of P_sim against linear theory with Gaussian '
  'errors = %.1f.\n' % (nlow, chi2))
# ---- mass functions
def mf(name):
    return table(os.path.join(tmp, name + '.mf'))
main = mf('main')
V = 256.0 ** 3
w('### FoF mass function at z = 0 (256^3, B = 2, 20 steps; halos of >= 100 particles)\n')
w('`' + head(os.path.join(tmp, 'main.mf'))[0] + '`\n')
w('| M [Msun/h] | particles | halos | dn/dlnM [(Mpc/h)^-3] | Poisson err | Tinker08 | sim/Tinker | ShethTormen | sim/ST |')
w('|---|---|---|---|---|---|---|---|---|')
for m1, m2, n, npl, d, e, t, s in main:
    if npl < 100 or n == 0:
        continue
    w('| %.2e-%.2e | %.0f | %d | %.3e | %.1e | %.3e | %.3f +- %.3f | %.3e | %.3f |' % (
        m1, m2, npl, n, d, e, t, d / t, e / t, s, d / s))
w('')
# ---- companions against the 256^3 twin
def ratio_table(title, names, labels):
    w(title + '\n')
    w('| M [Msun/h] | particles (128^3) | halos 256^3 | ' + ' | '.join(labels) + ' |')
    w('|---|---|---|' + '---|' * len(labels))
    runs = [mf(n) for n in names]
    for i, row in enumerate(main):
        m1, m2, n = row[0], row[1], row[2]
        npl = runs[0][i][3]
        if npl < 20 or n < 5:
            continue
        cells = []
        for r in runs:
            c = r[i][2]
            cells.append('%.3f +- %.3f' % (c / n, math.sqrt(c) / n if c > 0 else 1 / n))
        w('| %.2e-%.2e | %.0f | %d | %s |' % (m1, m2, npl, n, ' | '.join(cells)))
    w('')
ratio_table('### Effect of B (128^3 twins, 20 steps): halo counts / the 256^3 run in the same bin',
            ['B1', 'B2', 'B3'], ['B = 1', 'B = 2', 'B = 3'])
ratio_table('### Effect of the number of steps (128^3 twins, B = 2): counts / the 256^3 run',
            ['S10', 'B2', 'S40'], ['10 steps', '20 steps', '40 steps'])
ratio_table('### Effect of the force kernel (128^3 twins, B = 2, 20 steps): counts / the 256^3 run',
            ['K0', 'K1', 'K2'], ['1_4', '3_4 (sim default)', 'spectral'])
# ---- timings
w('### Cost of the runs (2 threads)\n')
w('| run | total [s] | PM [s] | FoF [s] | peak bytes/particle |')
w('|---|---|---|---|---|')
for name, lab in [('main', '256^3, B = 2, 20 steps (+ particle file)'), ('B1', '128^3, B = 1'),
                  ('B2', '128^3, B = 2'), ('B3', '128^3, B = 3'), ('S10', '128^3, 10 steps'),
                  ('S40', '128^3, 40 steps')]:
    t, p, f, m = summary(name)
    w('| %s | %.1f | %.1f | %.1f | %.0f |' % (lab, t, p, f, m))
open(os.path.join(tmp, 'tables.md'), 'w').write('\n'.join(out) + '\n')

# ---- SVG plots (no plotting package needed)
def svg_plot(path, title, xlabel, ylabel, series, xlog=True, ylim=None, hline=None):
    W, H, L, R, Tp, B = 560, 360, 70, 20, 30, 50
    xs = [x for s in series for x in s['x']]
    ys = [y for s in series for y in s['y']]
    x0, x1 = min(xs), max(xs)
    y0, y1 = ylim if ylim else (min(ys), max(ys))
    fx = (lambda x: math.log10(x)) if xlog else (lambda x: x)
    X = lambda x: L + (fx(x) - fx(x0)) / (fx(x1) - fx(x0)) * (W - L - R)
    Y = lambda y: H - B - (min(max(y, y0), y1) - y0) / (y1 - y0) * (H - B - Tp)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="18" font-size="13">%s</text>' % (L, title),
         '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>' % (L, Tp, W - L - R, H - B - Tp)]
    if xlog:
        for e in range(int(math.floor(math.log10(x0))), int(math.ceil(math.log10(x1))) + 1):
            for m in range(1, 10):
                v = m * 10.0 ** e
                if x0 <= v <= x1:
                    o.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/>' % (X(v), X(v), Tp, H - B))
                    if m == 1:
                        o.append('<text x="%.1f" y="%d" text-anchor="middle">1e%d</text>' % (X(v), H - B + 14, e))
    for i in range(6):
        v = y0 + (y1 - y0) * i / 5
        o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (L, W - R, Y(v), Y(v)))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%.3g</text>' % (L - 4, Y(v) + 4, v))
    if hline is not None:
        o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="black" stroke-dasharray="4,3"/>' % (L, W - R, Y(hline), Y(hline)))
    o.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((L + W - R) / 2, H - 12, xlabel))
    o.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>' % ((Tp + H - B) / 2, (Tp + H - B) / 2, ylabel))
    for j, s in enumerate(series):
        pts = ' '.join('%.1f,%.1f' % (X(x), Y(y)) for x, y in zip(s['x'], s['y']))
        o.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6"/>' % (pts, s['color']))
        for x, y, e in zip(s['x'], s['y'], s.get('e', [0] * len(s['x']))):
            if e:
                o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>' % (X(x), X(x), Y(y - e), Y(y + e), s['color']))
        o.append('<text x="%d" y="%d" fill="%s">%s</text>' % (L + 10, Tp + 16 + 14 * j, s['color'], s['label']))
    o.append('</svg>')
    open(path, 'w').write('\n'.join(o) + '\n')
os.makedirs('docs/img', exist_ok=True)
ks = [r[0] for r in pk]
svg_plot('docs/img/nbody-pk.svg', 'z = 0 matter P(k): 256^3 in 256 Mpc/h, B = 2, 20 steps',
         'k [h/Mpc]', 'ratio', [
             {'x': ks, 'y': [r[1] / r[5] for r in pk], 'color': '#c00', 'label': 'P_sim / P_halofit'},
             {'x': ks, 'y': [r[1] / r[4] for r in pk], 'e': [r[2] / r[4] for r in pk], 'color': '#06c', 'label': 'P_sim / P_linear (Gaussian errors)'}],
         ylim=(0.4, 2.0), hline=1.0)
def mfseries(name, label, color, nmin):
    r = [x for x in mf(name) if x[3] >= nmin and x[2] >= 5]  # >= 5 halos in the bin
    return {'x': [math.sqrt(x[0] * x[1]) for x in r], 'y': [x[4] / x[6] for x in r],
            'e': [x[5] / x[6] for x in r], 'color': color, 'label': label}
svg_plot('docs/img/nbody-mf.svg', 'FoF (b = 0.2) mass function / Tinker 2008 (200m), z = 0',
         'M [Msun/h]', 'dn/dlnM / Tinker', [
             mfseries('main', '256^3, B = 2, 20 steps (>= 100 particles; bins of >= 5 halos)', '#000', 100),
             mfseries('B1', '128^3 twins (>= 20 particles): B = 1', '#c80', 20),
             mfseries('B2', '128^3, B = 2', '#06c', 20),
             mfseries('B3', '128^3, B = 3', '#c00', 20),
             mfseries('S40', '128^3, B = 2, 40 steps', '#090', 20)],
         ylim=(0.0, 1.6), hline=1.0)
PY
{
  sed -n '/^<!-- BEGIN STATIC -->$/,/^<!-- END STATIC -->$/p' docs/validation-nbody.md
  echo
  echo "<!-- generated by scripts/validate-nbody.sh on $(date -u +%Y-%m-%d), $(nproc) cores -->"
  echo
  cat "$tmp/tables.md"
} > "$tmp/report.md"
mv "$tmp/report.md" docs/validation-nbody.md
echo "wrote docs/validation-nbody.md, docs/img/nbody-pk.svg, docs/img/nbody-mf.svg" >&2
