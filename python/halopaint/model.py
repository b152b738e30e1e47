"""Model: a painter model file, loaded and validated once (hp_model_open), with its metadata."""

import ctypes
import os

import numpy as np

from . import _lib
from ._lib import text


class Model(_lib.Handle):
    """``Model("models/default.h5")``: the K mass bins (``nbins``, ``bin_edges`` [Msun/h]),
    ``voxel_size`` [Mpc/h], ``redshift``, ``lpt_order``, ``particles_per_voxel``, the training
    ``cosmology`` (NaN for an untrained model), ``halo`` (voxels of context lost per side of a
    non-periodic grid), ``nparams``, ``provenance``. Raises HalopaintError naming the file and
    object for a missing or invalid file. Pass it to paint() to load the file once."""

    FREE = "hp_model_close"

    def __init__(self, path):
        self.path = os.fspath(path)
        L = _lib.lib()
        with _lib.Context(device="cpu") as ctx:
            h = ctypes.c_void_p()
            ctx.check(L.hp_model_open(ctx.ptr, os.fsencode(self.path), ctypes.byref(h)))
            self.ptr = h.value
            info = _lib.ModelInfo()
            ctx.check(L.hp_model_get_info(ctx.ptr, self.ptr, ctypes.byref(info)))
        self.nbins = info.nbins
        self.bin_edges = np.array([info.bin_edges[k] for k in range(info.nbins + 1)])
        self.voxel_size = info.voxel_size
        self.redshift = info.redshift
        self.lpt_order = info.lpt_order
        self.particles_per_voxel = info.particles_per_voxel
        self.cosmology = {"Omega0": info.omega_m, "OmegaLambda": info.omega_l,
                          "OmegaBaryon": info.omega_b, "HubbleParam": info.h,
                          "Sigma8": info.sigma8, "PrimordialIndex": info.n_s}
        self.halo = info.halo
        self.nparams = info.nparams
        self.format_version = info.format_version
        self.density_norm = text(info.density_norm)
        self.provenance = text(info.provenance)

    @property
    def handle(self):
        """The hp_model_handle pointer (valid until close())."""
        if not self.ptr:
            raise ValueError(f"model {self.path} is closed")
        return self.ptr

    def __repr__(self):
        return (f"Model({self.path!r}: K = {self.nbins}, voxel {self.voxel_size:g} Mpc/h, "
                f"z = {self.redshift:g})")


def as_model(model):
    """(Model, opened_here) from a Model or a path."""
    if isinstance(model, Model):
        return model, False
    if isinstance(model, (str, bytes, os.PathLike)):
        return Model(model), True
    raise TypeError(f"model: expected a Model or a model file path, got {type(model).__name__}")
