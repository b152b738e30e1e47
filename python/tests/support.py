"""What the tests share: the tree's paths, the tiny run (16^3 voxels of 4 Mpc/h, 64 particles
per voxel, as models/default.h5 wants) and running bin/halopaint, the independent truth."""

import os
import pathlib
import subprocess
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.path.abspath(os.environ.get("HALOPAINT_BIN", str(ROOT / "bin" / "halopaint")))
MODEL = str(ROOT / "models" / "default.h5")

TINY = f"""% tests: 16^3 voxels of 4 Mpc/h, 64 particles per voxel (models/default.h5)
Omega0          0.3089
OmegaBaryon     0.0486
HubbleParam     0.6774
Sigma8          0.8159
PrimordialIndex 0.9667
BoxSize         64
NParticles      64
Seed            3
Threads         2
ModelFile       {MODEL}
FileBase        tiny
"""


class TreeTest(unittest.TestCase):
    """A temporary directory with tiny.param in it; skips when bin/halopaint is not built."""

    def setUp(self):
        if not os.access(BIN, os.X_OK):
            self.skipTest(f"{BIN} not built (make all)")
        self._tmp = tempfile.TemporaryDirectory(prefix="hp_python_")
        self.tmp = self._tmp.name
        self.param = os.path.join(self.tmp, "tiny.param")
        with open(self.param, "w") as f:
            f.write(TINY)

    def tearDown(self):
        self._tmp.cleanup()

    def halopaint(self, *args):
        """Run bin/halopaint; fail the test with its stderr when it fails."""
        r = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=self.tmp)
        if r.returncode != 0:
            self.fail(f"halopaint {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r.stdout
