"""read_catalog on files h5py writes (docs/catalog.md) and its errors; the library is not needed."""

import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

import halopaint as hp
from tests.support import ROOT


def write(path, n=5, drop=None, rows=None):
    """A catalogue as docs/catalog.md writes one from Python."""
    with h5py.File(path, "w") as f:
        h = f.create_group("Header")
        for k, v in dict(BoxSize=100.0, Redshift=0.5, Omega0=0.3, OmegaLambda=0.7,
                         OmegaBaryon=0.05, HubbleParam=0.7, Sigma8=0.8, PrimordialIndex=0.96,
                         ParticleMass=1e10).items():
            h.attrs[k] = np.float64(v)
        h.attrs["Seed"] = np.int64(-1)
        h.attrs["NumHalos"] = np.int64(n)
        h.attrs["MassDefinition"] = "M200c (my finder)"
        f.create_group("Parameters").attrs["BoxSize"] = np.bytes_("100")
        g = f.create_group("Halos")
        cols = {"Position": np.random.default_rng(1).uniform(0, 100, (n, 3)).astype("f4"),
                "Velocity": np.zeros((n, 3), "f4"), "Mass": np.geomspace(1e12, 1e14, n),
                "ID": np.arange(1, n + 1, dtype="i8"), "NumParticles": np.arange(n, dtype="i4")}
        for k, v in cols.items():
            if k != drop:
                g[k] = v[:rows] if rows is not None and k == "Mass" else v
    return cols


class CatalogTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="hp_python_cat_")
        self.path = os.path.join(self._tmp.name, "c.hdf5")

    def tearDown(self):
        self._tmp.cleanup()

    def test_read(self):
        cols = write(self.path)
        c = hp.read_catalog(self.path)
        self.assertEqual(c.n, 5)
        self.assertEqual(sorted(c), sorted(cols))
        for k, v in cols.items():
            np.testing.assert_array_equal(c[k], v)
        self.assertEqual(c.header["MassDefinition"], "M200c (my finder)")
        self.assertEqual((c.header["Seed"], c.header["BoxSize"]), (-1, 100.0))
        self.assertIsInstance(c.header["NumHalos"], int)
        self.assertEqual(c.params, {"BoxSize": "100"})

    def test_errors(self):
        with self.assertRaises(FileNotFoundError):
            hp.read_catalog(os.path.join(self._tmp.name, "none.hdf5"))
        with open(self.path, "w") as f:
            f.write("# an ASCII catalogue\n")
        with self.assertRaisesRegex(ValueError, "not an HDF5 file"):
            hp.read_catalog(self.path)
        write(self.path, drop="ID")
        with self.assertRaisesRegex(ValueError, "no dataset /Halos/ID"):
            hp.read_catalog(self.path)
        write(self.path, rows=3)
        with self.assertRaisesRegex(ValueError, "/Halos/Mass has 3 rows.*5"):
            hp.read_catalog(self.path)

    def test_library_not_needed_and_named_when_missing(self):
        write(self.path)
        code = ("import halopaint as hp\n"
                f"assert hp.read_catalog({self.path!r}).n == 5\n"
                "try:\n"
                "    hp.Params(None, BoxSize=1)\n"
                "except OSError as e:\n"
                "    print(e)\n")
        env = dict(os.environ, HALOPAINT_LIB="/nonexistent/libhalopaint.so",
                   PYTHONPATH=str(ROOT / "python"))
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("HALOPAINT_LIB=/nonexistent/libhalopaint.so: no such file", r.stdout)
