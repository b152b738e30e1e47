"""Job and run(): the main job, `halopaint run`, in process (hp_job_* of plugin/halopaint.h).

For the same parameters and seed a catalogue here is the one `halopaint run` writes, column
for column, bit for bit; nothing is written to disk.
"""

import numbers
import os

from . import _job
from .catalog import Catalog
from .params import Params

# Header entries of a run's catalogue that come from the parameters (as `halopaint run` writes)
_HEADER_KEYS = ("BoxSize", "Redshift", "Omega0", "OmegaLambda", "OmegaBaryon", "HubbleParam",
                "Sigma8", "PrimordialIndex")


def _as_params(params):
    if isinstance(params, Params):
        return params
    if isinstance(params, (str, bytes, os.PathLike)):
        return Params(params)
    if isinstance(params, dict):
        return Params(None, **params)
    raise TypeError("params: expected a Params, a parameter file path or a dict of keys, got "
                    f"{type(params).__name__}")


def _seed(s):
    if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
        raise ValueError(f"seed {s!r}: expected an integer >= 0")
    return int(s)


class Job:
    """``with Job(params) as job: cat = job.run(42)``: the model is loaded, checked against the
    parameters and every stage planned once (HalopaintError here names what differs); run(seed)
    makes one realisation. params: a Params, a parameter file path, or a dict of keys."""

    def __init__(self, params):
        self.params = _as_params(params)
        self._h = _job.JobHandle(self.params.path, self.params.overrides(), params_only=False)
        self._h.plan()
        self._resolved = {k: self._h.param(k) for k in self._h.keys()}

    def seeds(self):
        """The seeds of the Seeds key (or Seed), as `halopaint run` would make them."""
        return self._h.seeds()

    def run(self, seed):
        """One realisation -> Catalog (header: BoxSize, Redshift, the cosmology, Seed,
        NumHalos; params: the resolved parameters with this Seed)."""
        seed = _seed(seed)
        self._h.run(seed)
        cols = self._h.columns()
        header = {k: float(self._resolved[k]) for k in _HEADER_KEYS}
        header.update(Seed=seed, NumHalos=len(cols["Mass"]), ParticleMass=0.0,
                      FormatVersion=1)
        params = dict(self._resolved, Seed=str(seed))
        return Catalog(cols, header, params)

    def close(self):
        self._h.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _seed_list(params, seeds, job):
    if seeds is None:
        return job.seeds()
    if isinstance(seeds, str):  # "1-100", "1,4,7-9": parsed by the library as Seeds is
        p = params.copy()
        p["Seeds"] = seeds
        return _job.JobHandle(p.path, p.overrides(), params_only=True).seeds()
    if isinstance(seeds, numbers.Integral):
        return [_seed(seeds)]
    return [_seed(s) for s in seeds]


def run(params, seeds=None):
    """Make one mock catalogue per seed: a list of Catalog, in the order of the seeds.

    params  a Params, a parameter file path, or a dict of keys
    seeds   an int, an iterable of ints, a string as the Seeds key takes ("1-10", "1,4,7-9"),
            or None for the parameters' Seeds (or Seed)
    """
    params = _as_params(params)
    with Job(params) as job:
        return [job.run(s) for s in _seed_list(params, seeds, job)]
