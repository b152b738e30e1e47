"""Catalog (a halo catalogue as a dict of numpy arrays) and read_catalog (HDF5, docs/catalog.md)."""

import os

import numpy as np

# the columns every catalogue has, then the optional ones (HDF5 dataset names under Halos/)
REQUIRED = ("Position", "Velocity", "Mass", "ID")
OPTIONAL = ("MassBin", "NumParticles", "LagrangianPosition")


class Catalog(dict):
    """Columns by their HDF5 dataset names: "Position" (N, 3) float32 Mpc/h in [0, BoxSize),
    "Velocity" (N, 3) float32 km/s, "Mass" (N,) float64 Msun/h, "ID" (N,) int64, and when
    present "MassBin" (N,) int32, "NumParticles" (N,) int32, "LagrangianPosition" (N, 3).

    ``header``: the Header attributes (BoxSize, Redshift, the cosmology, Seed, NumHalos, ...:
    numbers as int or float, strings as str); ``params``: the resolved parameter set, {key: str}.
    """

    def __init__(self, columns, header=None, params=None):
        super().__init__(columns)
        self.header = dict(header or {})
        self.params = dict(params or {})

    @property
    def n(self):
        """Number of halos."""
        return len(self["Mass"])

    def to_structured(self):
        """The columns as one numpy structured array (fields named as the columns)."""
        dtype = [(k, v.dtype, v.shape[1:]) for k, v in self.items()]
        out = np.empty(self.n, dtype=dtype)
        for k, v in self.items():
            out[k] = v
        return out

    def __repr__(self):
        return (f"Catalog({self.n} halos, BoxSize {self.header.get('BoxSize')}, "
                f"Seed {self.header.get('Seed')}, columns {list(self)})")


def _py(v):
    """An HDF5 attribute as a plain Python value (bytes -> str, numpy scalar -> int/float)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def read_catalog(path):
    """Read a halopaint HDF5 catalogue (`halopaint run` or `sim`, or a file written to
    docs/catalog.md) into a Catalog. Raises FileNotFoundError, or ValueError naming the file
    and the object that is missing or has the wrong length. Needs h5py."""
    import h5py

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such catalogue file")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path}: not an HDF5 file (read_catalog reads the HDF5 form; the "
                         "ASCII form reads with numpy.loadtxt, docs/catalog.md)")
    with h5py.File(path, "r") as f:
        for group in ("Header", "Halos"):
            if group not in f:
                raise ValueError(f"{path}: no group /{group} (not a halopaint catalogue: "
                                 "docs/catalog.md)")
        header = {k: _py(v) for k, v in f["Header"].attrs.items()}
        params = ({k: str(_py(v)) for k, v in f["Parameters"].attrs.items()}
                  if "Parameters" in f else {})
        halos, columns = f["Halos"], {}
        for name in REQUIRED + OPTIONAL:
            if name in halos:
                columns[name] = halos[name][...]
            elif name in REQUIRED:
                raise ValueError(f"{path}: no dataset /Halos/{name} (every catalogue has "
                                 f"{', '.join(REQUIRED)})")
    n = header.get("NumHalos", len(columns["Mass"]))
    for name, a in columns.items():
        if len(a) != n:
            raise ValueError(f"{path}: /Halos/{name} has {len(a)} rows, Header/NumHalos "
                             f"says {n}")
    return Catalog(columns, header, params)
