#!/usr/bin/python3
"""The painter's network in PyTorch (CPU), at its fastest layout, as the peer of the C engine.

The generator of shared/DESIGN.md (two residual Inception blocks, four 1x1x1 layers, K = 1),
run under torch.inference_mode() in float32 on a periodic grid padded by 4 voxels, in each of
the layouts PyTorch offers on a CPU: NCDHW (contiguous), channels-last 3D, and oneDNN's blocked
format (torch.utils.mkldnn). Prints the best of REPS executes per layout and the fastest, in
GFLOP/s with the painter's count (31,940 multiply-adds per voxel), beside the C engine
(build/bench/bench_painter) run in the same invocation:

    /usr/bin/python3 bench/torch_peer.py 64 128 --threads 2 [--reps 3]

Needs Debian's python3-torch (1.13); prints SKIP without it.
"""
import argparse
import subprocess
import sys
import time

MACS = 31940  # multiply-adds per output voxel, hp_net_macs_per_voxel for K = 1


def build(torch):
    nn = torch.nn
    F = torch.nn.functional

    class Conv(nn.Module):
        """A Conv3d; in the oneDNN layout its input and output cross to and from the blocked
        format around it (the crops, concatenation and sums need dense tensors)."""

        def __init__(self, cin, cout, k):
            super().__init__()
            self.conv, self.blocked = nn.Conv3d(cin, cout, k), False

        def forward(self, x):
            if not self.blocked:
                return self.conv(x)
            return self.conv(x.to_mkldnn()).to_dense()

    class Block(nn.Module):
        def __init__(self, cin):
            super().__init__()
            self.r5, self.c5 = Conv(cin, 10, 1), Conv(10, 10, 5)
            self.r3, self.c3 = Conv(cin, 10, 1), Conv(10, 10, 3)
            self.c1 = Conv(cin, 10, 1)

        def forward(self, x):
            a = self.c5(self.r5(x))
            b = self.c3(self.r3(x))[:, :, 1:-1, 1:-1, 1:-1]
            c = self.c1(x)[:, :, 2:-2, 2:-2, 2:-2]
            res = x[:, :1, 2:-2, 2:-2, 2:-2]
            return F.leaky_relu(torch.cat([a, b, c], 1) + res, 0.1)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.b1, self.b2 = Block(1), Block(30)
            self.head = nn.ModuleList([Conv(30, 10, 1)] + [Conv(10, 10, 1) for _ in range(3)])
            self.out = Conv(10, 1, 1)

        def forward(self, x):
            h = self.b2(self.b1(x))
            for layer in self.head:
                h = F.leaky_relu(layer(h), 0.1)
            return F.relu(self.out(h))

    return Generator().eval(), Conv


def time_layout(torch, x, layout, reps):
    net, conv_cls = build(torch)
    if layout == "channels_last_3d":
        net = net.to(memory_format=torch.channels_last_3d)
        x = x.contiguous(memory_format=torch.channels_last_3d)
    best = float("inf")
    with torch.inference_mode():
        if layout == "mkldnn":
            from torch.utils import mkldnn as mk
            for m in net.modules():
                if isinstance(m, conv_cls):
                    m.conv, m.blocked = mk.to_mkldnn(m.conv), True
        out = net(x)  # warm-up (oneDNN primitives are created on first use)
        for _ in range(reps):
            t0 = time.perf_counter()
            out = net(x)
            best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("SKIP: no PyTorch (Debian: apt-get install python3-torch)")
        return 0
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    print(f"PyTorch {torch.__version__}, {a.threads} threads, oneDNN "
          f"{'on' if torch.backends.mkldnn.is_available() else 'off'}")
    for n in a.sizes:
        x = (1 + 0.5 * torch.rand(1, 1, n + 8, n + 8, n + 8))
        flop = 2.0 * MACS * n ** 3
        results = {}
        for layout in ("contiguous", "channels_last_3d", "mkldnn"):
            try:
                t, out = time_layout(torch, x, layout, a.reps)
                results[layout] = t
                print(f"torch {n}^3 {layout}: {t:.3f} s, {flop / t / 1e9:.1f} GFLOP/s")
            except Exception as e:  # a layout this build cannot run
                msg = str(e).splitlines()[0][:120]
                print(f"torch {n}^3 {layout}: not available ({type(e).__name__}: {msg})")
        best = min(results, key=results.get)
        c = subprocess.run(["build/bench/bench_painter", str(n), str(a.threads)],
                           capture_output=True, text=True)
        line = [l for l in c.stdout.splitlines() if l.startswith("painter")]
        t_c = float(line[0].split(": ")[1].split(" s,")[0]) if line else float("nan")
        print(f"{n}^3: C painter {t_c:.3f} s, fastest torch ({best}) {results[best]:.3f} s: "
              f"C / torch speed {results[best] / t_c:.2f}")
        if line:
            print("  " + line[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
