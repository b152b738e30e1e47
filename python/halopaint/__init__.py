"""halopaint: mock halo catalogues from Python, over libhalopaint (ctypes; no compiler needed).

    import halopaint as hp
    p = hp.Params("params/default.param", BoxSize=64, NParticles=64)
    cats = hp.run(p, seeds=[1, 2])               # one Catalog (dict of numpy arrays) per seed
    counts = hp.paint(rho, hp.Model("models/default.h5"), box_size=256)   # (K, nx, ny, nz)
    cat = hp.read_catalog("halopaint_seed42.hdf5")

The library is found through $HALOPAINT_LIB, the lib/ of the source tree this package sits in,
or the system's library path (python/README.md).
"""

from ._lib import HalopaintError, HalopaintWarning, library_path
from .catalog import Catalog, read_catalog
from .job import Job, run
from .model import Model
from .paint import paint, paint_particles
from .params import Params, all_keys

__version__ = "0.1.0"
__all__ = ["Catalog", "HalopaintError", "HalopaintWarning", "Job", "Model", "Params",
           "all_keys", "library_path", "paint", "paint_particles", "read_catalog", "run"]
