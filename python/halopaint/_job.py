"""An hp_job (plugin/halopaint.h) behind a small class: parameters resolved by the library exactly
as `halopaint run FILE -s Key=Value` resolves them, seeds, planning, runs and columns."""

import ctypes
import os

import numpy as np

from . import _lib
from ._lib import HalopaintError, text

# HDF5 dataset name -> (numpy dtype, values per halo), as hp_job_column documents them
COLUMNS = {"Position": (np.float32, 3), "Velocity": (np.float32, 3), "Mass": (np.float64, 1),
           "ID": (np.int64, 1), "MassBin": (np.int32, 1), "NumParticles": (np.int32, 1),
           "LagrangianPosition": (np.float32, 3)}


class JobHandle(_lib.Handle):
    """Owns one hp_job; every failure raises HalopaintError with the library's message."""

    FREE, ERROR = "hp_job_free", "hp_job_last_error"

    def __init__(self, path, overrides, params_only):
        L = _lib.lib()
        ov = [o.encode() for o in overrides]
        arr = (ctypes.c_char_p * max(len(ov), 1))(*ov)
        job = L.hp_job_create(os.fsencode(path) if path is not None else None, arr, len(ov),
                              _lib.HP_JOB_PARAMS_ONLY if params_only else 0)
        self._created(job, "hp_job_create", L.hp_job_last_code)

    def keys(self):
        L = _lib.lib()
        return [text(L.hp_job_param_key(self.ptr, i))
                for i in range(L.hp_job_param_count(self.ptr))]

    def param(self, key):
        """Resolved value of key as the library's canonical text."""
        v = _lib.lib().hp_job_param(self.ptr, key.encode())
        if v is None:
            self.check(_lib.lib().hp_job_last_code(self.ptr))
        return text(v)

    def is_set(self, key):
        return bool(_lib.lib().hp_job_param_is_set(self.ptr, key.encode()))

    def seeds(self):
        p, n = ctypes.POINTER(ctypes.c_uint64)(), ctypes.c_int64()
        self.check(_lib.lib().hp_job_seeds(self.ptr, ctypes.byref(p), ctypes.byref(n)))
        return [int(p[i]) for i in range(n.value)]

    def plan(self):
        self.check(_lib.lib().hp_job_plan(self.ptr))

    def run(self, seed):
        self.check(_lib.lib().hp_job_run(self.ptr, seed))

    def columns(self):
        """The last catalogue's columns, copied into numpy arrays (absent ones left out)."""
        L, out = _lib.lib(), {}
        for name, (dtype, width) in COLUMNS.items():
            data, rows, cols = ctypes.c_void_p(), ctypes.c_int64(), ctypes.c_int()
            self.check(L.hp_job_column(self.ptr, name.encode(), ctypes.byref(data),
                                       ctypes.byref(rows), ctypes.byref(cols)))
            if not data.value:
                continue
            if cols.value != width:
                raise HalopaintError(7, f"hp_job_column: {name} has {cols.value} values per "
                                        f"halo, this package expects {width}: rebuild it",
                                     "internal error")
            n = rows.value * width
            a = np.empty(n, dtype=dtype)
            if n:
                ctypes.memmove(a.ctypes.data, data.value, a.nbytes)
            out[name] = a.reshape(rows.value, 3) if width == 3 else a
        return out


def key_type(key):
    """'int', 'real', 'bool', 'string', 'choice', or None for an unknown key."""
    return text(_lib.lib().hp_job_key_type(key.encode()))
