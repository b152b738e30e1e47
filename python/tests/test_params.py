"""Params: the keys of the parameter files, resolved by the library as the command line does."""

import os

import halopaint as hp
from tests.support import MODEL, TreeTest


class ParamsTest(TreeTest):
    def test_values_and_types(self):
        p = hp.Params.load(self.param)
        self.assertEqual(p["BoxSize"], 64.0)
        self.assertIsInstance(p["BoxSize"], float)
        self.assertEqual(p["NParticles"], 64)
        self.assertIsInstance(p["NParticles"], int)
        self.assertEqual(p["NVoxels"], 16)                 # derived
        self.assertAlmostEqual(p["OmegaLambda"], 0.6911)   # derived
        self.assertIs(p["AllowModelMismatch"], False)      # default
        self.assertEqual(p["Device"], "auto")              # choice default
        self.assertEqual(p["ModelFile"], MODEL)
        self.assertIsNone(p["PowerSpectrumFile"])          # unset, no default
        self.assertTrue(p.is_set("BoxSize"))
        self.assertFalse(p.is_set("NVoxels"))
        self.assertIn("Sigma8", p)
        self.assertNotIn("Sigma_8", p)
        self.assertEqual(p.keys(), hp.all_keys())
        self.assertEqual(p.keys()[0], "Omega0")

    def test_set_del_and_text(self):
        p = hp.Params(self.param, Seed=7)
        p["BoxSize"] = 128
        p["AllowModelMismatch"] = True
        p["Device"] = "CPU"                                 # matched case-insensitively
        self.assertEqual(p.overrides(), ["Seed=7", "BoxSize=128", "AllowModelMismatch=1",
                                         "Device=CPU"])
        self.assertEqual((p["Seed"], p["BoxSize"], p["NVoxels"]), (7, 128.0, 32))
        self.assertIs(p["AllowModelMismatch"], True)
        self.assertEqual(p["Device"], "cpu")
        del p["BoxSize"]
        self.assertEqual(p["BoxSize"], 64.0)               # the file's value again
        with self.assertRaisesRegex(KeyError, "not set"):
            del p["Sigma8"]
        # to_text loads back to the same set, given keys only or every key
        for resolved in (False, True):
            path = os.path.join(self.tmp, f"out{resolved}.param")
            p.write(path, resolved=resolved)
            q = hp.Params(path)
            self.assertEqual(q.to_dict(), p.to_dict())
            self.assertEqual(q.is_set("NVoxels"), resolved)
        self.assertIn("Seed                     7\n", p.to_text())
        self.assertNotIn("NVoxels", p.to_text())
        # no file: keys only
        q = hp.Params(None, BoxSize=100, VoxelSize=5)
        self.assertEqual(q["NVoxels"], 20)
        self.assertEqual(q.to_dict(resolved=False), {"BoxSize": 100.0, "VoxelSize": 5.0})

    def test_errors(self):
        p = hp.Params(self.param)
        with self.assertRaisesRegex(KeyError, "Omega_0.*did you mean Omega0"):
            p["Omega_0"] = 0.3
        with self.assertRaisesRegex(KeyError, "Sed"):
            p["Sed"]
        with self.assertRaisesRegex(ValueError, "one line"):
            p["FileBase"] = "a\nb"
        p["NParticles"] = 33
        with self.assertRaisesRegex(hp.HalopaintError, "-s NParticles=33.*even") as e:
            p["BoxSize"]
        self.assertEqual(e.exception.code_name, "input error")
        bad = os.path.join(self.tmp, "bad.param")
        with open(bad, "w") as f:
            f.write("BoxSize 64\nOmega_0 0.3\n")
        with self.assertRaisesRegex(hp.HalopaintError, r"bad\.param line 2.*Omega_0"):
            hp.Params.load(bad)
        with self.assertRaisesRegex(hp.HalopaintError, "/nonexistent/run.param"):
            hp.Params("/nonexistent/run.param")
