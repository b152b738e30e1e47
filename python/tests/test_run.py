"""run() and Job against the catalogues `halopaint run` writes (read back with read_catalog)."""

import os

import numpy as np

import halopaint as hp
from tests.support import TreeTest


class RunTest(TreeTest):
    def assert_same_catalog(self, cat, ref):
        self.assertEqual(sorted(cat), sorted(ref))
        self.assertGreater(cat.n, 0)
        for k in ref:
            self.assertEqual(cat[k].dtype, ref[k].dtype, k)
            np.testing.assert_array_equal(cat[k], ref[k], err_msg=k)
        for k, v in cat.header.items():
            self.assertEqual(v, ref.header[k], k)
        for k, v in cat.params.items():
            self.assertEqual(v, ref.params[k], k)

    def test_equals_command_line(self):
        self.halopaint("run", self.param, "-s", "Seeds=3,5", "-s", f"OutputDir={self.tmp}")
        p = hp.Params(self.param, Seeds="3,5", OutputDir=self.tmp)
        cats = hp.run(p)  # the seeds of the Seeds key
        self.assertEqual([c.header["Seed"] for c in cats], [3, 5])
        for cat in cats:
            ref = hp.read_catalog(os.path.join(self.tmp, f"tiny_seed{cat.header['Seed']}.hdf5"))
            self.assertEqual(ref.header["NumHalos"], cat.n)
            self.assert_same_catalog(cat, ref)
        self.assertEqual(sorted(cats[0]), ["ID", "Mass", "MassBin", "Position", "Velocity"])
        self.assertEqual(cats[0]["Position"].shape, (cats[0].n, 3))
        self.assertTrue(np.all((cats[0]["Position"] >= 0) & (cats[0]["Position"] < 64)))
        self.assertFalse(np.array_equal(cats[0]["Mass"][:5], cats[1]["Mass"][:5]))

    def test_overrides_equal_command_line(self):
        # a key set in Python means what -s means on the command line
        self.halopaint("run", self.param, "-s", "RedshiftSpaceAxis=z", "-s", "Seed=8",
                       "-s", f"OutputDir={self.tmp}")
        ref = hp.read_catalog(os.path.join(self.tmp, "tiny_seed8.hdf5"))
        p = hp.Params(self.param)
        p["RedshiftSpaceAxis"] = "z"
        p["Seed"] = 8
        p["OutputDir"] = self.tmp
        (cat,) = hp.run(p)
        self.assert_same_catalog(cat, ref)
        # without the override: real space, other positions
        (real,) = hp.run(hp.Params(self.param), seeds=8)
        self.assertFalse(np.array_equal(real["Position"], cat["Position"]))

    def test_job_and_seeds(self):
        with hp.Job(self.param) as job:
            self.assertEqual(job.seeds(), [3])
            a, b, c = job.run(4), job.run(4), job.run(5)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
        self.assertEqual(a.header["Seed"], 4)
        self.assertEqual(a.params["Seed"], "4")
        self.assertFalse(a.n == c.n and np.array_equal(a["Mass"], c["Mass"]))
        cats = hp.run(self.param, seeds="4-5")
        self.assertEqual([x.header["Seed"] for x in cats], [4, 5])
        np.testing.assert_array_equal(cats[0]["ID"], a["ID"])
        s = a.to_structured()
        self.assertEqual(len(s), a.n)
        np.testing.assert_array_equal(s["Position"], a["Position"])
        with self.assertRaisesRegex(ValueError, "seed -1"):
            hp.run(self.param, seeds=[-1])
        with self.assertRaisesRegex(hp.HalopaintError, "Seeds = 5-3"):
            hp.run(self.param, seeds="5-3")

    def test_errors(self):
        # what the model was not trained for: refused, naming the file and what differs
        with self.assertRaisesRegex(hp.HalopaintError, r"(?s)tiny\.param.*redshift: Redshift = 1"):
            hp.run(hp.Params(self.param, Redshift=1))
        with self.assertRaisesRegex(hp.HalopaintError, "-s NParticles=33"):
            hp.run(hp.Params(self.param, NParticles=33))
        with self.assertRaisesRegex(hp.HalopaintError, "/nonexistent/m.h5"):
            hp.Job(hp.Params(self.param, ModelFile="/nonexistent/m.h5"))
        with self.assertRaisesRegex(hp.HalopaintError, "Omega0"):
            hp.run({"BoxSize": 64, "NParticles": 64, "Seed": 1})
        with self.assertRaisesRegex(TypeError, "params"):
            hp.run(42)
