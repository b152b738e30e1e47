"""paint() and paint_particles() against `halopaint paint` on the same grid, and their errors."""

import os
import warnings

import h5py
import numpy as np

import halopaint as hp
from tests.support import MODEL, TreeTest


def lognormal(n, seed):
    """A clustered rho/rho_mean grid (mean 1) of n^3 voxels, float64."""
    g = np.random.default_rng(seed).normal(0, 0.8, (n, n, n))
    rho = np.exp(g)
    return rho / rho.mean()


class PaintTest(TreeTest):
    def setUp(self):
        super().setUp()
        self.model = hp.Model(MODEL)

    def tearDown(self):
        self.model.close()
        super().tearDown()

    def cli_paint(self, rho, *opts):
        """`halopaint paint` on rho written with h5py (float64, BoxSize 64); its counts."""
        src, out = os.path.join(self.tmp, "rho.h5"), os.path.join(self.tmp, "counts.h5")
        with h5py.File(src, "w") as f:
            f.create_dataset("density", data=rho).attrs["BoxSize"] = 64.0
        self.halopaint("paint", MODEL, src, out, "--threads", "1", *opts)
        with h5py.File(out, "r") as f:
            return f["counts"][...]

    def test_model_info(self):
        m = self.model
        self.assertEqual((m.nbins, m.voxel_size, m.halo), (3, 4.0, 4))
        self.assertEqual(len(m.bin_edges), 4)
        self.assertTrue(np.all(np.diff(m.bin_edges) > 0))
        self.assertAlmostEqual(m.particles_per_voxel, 64.0)
        self.assertAlmostEqual(m.cosmology["Omega0"], 0.3089)

    def test_equals_command_line(self):
        rho = lognormal(16, 1)
        # a strided float64 view: converted as the command line converts the file's doubles
        big = np.zeros((16, 16, 32))
        big[:, :, ::2] = rho
        view = big[:, :, ::2]
        self.assertFalse(view.flags["C_CONTIGUOUS"])
        counts = hp.paint(view, self.model, box_size=64, threads=2)
        ref = self.cli_paint(rho)
        self.assertEqual(counts.shape, (3, 16, 16, 16))
        self.assertEqual(counts.dtype, np.float32)
        self.assertGreater(counts.sum(), 0)
        np.testing.assert_array_equal(counts, ref)
        # float32 input, a model path, one thread: the same counts
        np.testing.assert_array_equal(
            hp.paint(rho.astype(np.float32), MODEL, box_size=64, threads=1), ref)

    def test_non_periodic_equals_command_line(self):
        rho = lognormal(16, 2)
        counts = hp.paint(rho, self.model, periodic=False)
        self.assertEqual(counts.shape, (3, 8, 8, 8))
        np.testing.assert_array_equal(counts, self.cli_paint(rho, "--periodic", "0"))

    def test_particles(self):
        rng = np.random.default_rng(5)
        n = 64 ** 3 // 8
        pos = np.concatenate([rng.uniform(0, 64, (n, 3)),
                              rng.normal(20, 3, (n // 4, 3)) % 64])
        counts, rho = hp.paint_particles(pos, 64.0, self.model, return_density=True)
        self.assertEqual(counts.shape, (3, 16, 16, 16))
        self.assertAlmostEqual(float(rho.mean(dtype=np.float64)), 1.0, places=5)
        # cloud-in-cell by hand, in float64: the library's grid to float32 rounding
        ref = np.zeros((16, 16, 16))
        u = pos / 4.0 - 0.5
        i0 = np.floor(u).astype(int)
        f = u - i0
        for corner in np.ndindex(2, 2, 2):
            w = np.prod([f[:, a] if corner[a] else 1 - f[:, a] for a in range(3)], axis=0)
            idx = [(i0[:, a] + corner[a]) % 16 for a in range(3)]
            np.add.at(ref, tuple(idx), w)
        ref /= ref.mean()
        np.testing.assert_allclose(rho, ref, rtol=1e-4, atol=1e-5)
        # the painted grid is painted as paint() paints it
        np.testing.assert_array_equal(hp.paint(rho, self.model, box_size=64), counts)
        # masses all 2: the same rho/rho_mean
        c2 = hp.paint_particles(pos, 64.0, self.model, mass=np.full(len(pos), 2.0))
        np.testing.assert_allclose(c2, counts, rtol=1e-5, atol=1e-6)

    def test_errors(self):
        rho = lognormal(16, 3)
        with self.assertRaisesRegex(ValueError, r"shape \(16, 16\).*3-D"):
            hp.paint(rho[0], self.model)
        with self.assertRaisesRegex(ValueError, "dtype int64"):
            hp.paint(np.ones((16, 16, 16), dtype=np.int64), self.model)
        with self.assertRaisesRegex(ValueError, "box_size"):
            hp.paint(rho, self.model, box_size=-1)
        bad = rho.copy()
        bad[1, 2, 3] = np.nan
        with self.assertRaisesRegex(hp.HalopaintError, r"voxel \[1\]\[2\]\[3\] is NaN") as e:
            hp.paint(bad, self.model)
        self.assertEqual(e.exception.code, 1)
        with self.assertRaisesRegex(hp.HalopaintError, "/nonexistent/model.h5"):
            hp.paint(rho, "/nonexistent/model.h5")
        with self.assertRaisesRegex(hp.HalopaintError, "every side must be in"):
            hp.paint(np.ones((16, 16, 8)), self.model, periodic=False)
        # 16 voxels over 100 Mpc/h are not the model's 4 Mpc/h: a warning, or refused
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            hp.paint(rho, self.model, box_size=100)
        self.assertTrue(any(issubclass(x.category, hp.HalopaintWarning)
                            and "differs from the model's" in str(x.message) for x in w))
        with self.assertRaisesRegex(hp.HalopaintError, "strict"):
            hp.paint(rho, self.model, box_size=100, strict=True)
        with self.assertRaisesRegex(hp.HalopaintError, "unknown device \"gpu\""):
            hp.paint(rho, self.model, device="gpu")
        with self.assertRaisesRegex(ValueError, r"positions: shape \(10, 2\)"):
            hp.paint_particles(np.zeros((10, 2)), 64, self.model)
        with self.assertRaisesRegex(ValueError, "mass: shape"):
            hp.paint_particles(np.zeros((10, 3)), 64, self.model, mass=np.ones(9))
        with self.assertRaisesRegex(TypeError, "model"):
            hp.paint(rho, 42)
