"""Finding and loading libhalopaint.so, and the ctypes view of plugin/halopaint.h.

The library is loaded on first use, not at import, so that read_catalog (h5py only) works on a
machine without it. The structs below mirror plugin/halopaint.h field by field: keep them in
step with it (tests/test_python.sh paints and runs through every one).
"""

import ctypes
import ctypes.util
import os
import pathlib
import warnings

c_int, c_int64, c_double, c_char_p, c_void_p = (
    ctypes.c_int, ctypes.c_int64, ctypes.c_double, ctypes.c_char_p, ctypes.c_void_p)
c_size_t, c_ptrdiff_t, c_uint64 = ctypes.c_size_t, ctypes.c_ssize_t, ctypes.c_uint64

HP_LOG_WARNING = 2
HP_JOB_PARAMS_ONLY = 1


class HalopaintError(RuntimeError):
    """A failure reported by libhalopaint: ``code`` (enum hp_code), ``code_name`` and the
    library's message (hp_last_error / hp_job_last_error), which names the file, key or value."""

    def __init__(self, code, message, code_name=""):
        super().__init__(message)
        self.code = code
        self.code_name = code_name


class HalopaintWarning(UserWarning):
    """A warning of the library's log callback (e.g. a voxel size that differs from the model's)."""


LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)


class Options(ctypes.Structure):
    _fields_ = [("nthreads", c_int), ("device", c_char_p), ("device_id", c_int),
                ("cuda_stream", c_void_p), ("precision", c_char_p), ("log", LOG_FN),
                ("log_user", c_void_p), ("strict", c_int)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("nbins", c_int), ("bin_edges", ctypes.POINTER(c_double)),
                ("voxel_size", c_double), ("redshift", c_double), ("lpt_order", c_int),
                ("particles_per_voxel", c_double), ("omega_m", c_double), ("omega_l", c_double),
                ("omega_b", c_double), ("h", c_double), ("sigma8", c_double), ("n_s", c_double),
                ("halo", c_int), ("nparams", c_size_t), ("format_version", c_int),
                ("density_norm", c_char_p), ("provenance", c_char_p), ("path", c_char_p)]


class PlanDesc(ctypes.Structure):
    _fields_ = [("n", c_int64 * 3), ("box_size", c_double), ("length_unit", c_double),
                ("periodic", c_int), ("particles", c_int)]


class Particles(ctypes.Structure):
    _fields_ = [("n", c_int64), ("x", c_void_p), ("y", c_void_p), ("z", c_void_p),
                ("stride", c_ptrdiff_t), ("mass", c_void_p), ("mass_stride", c_ptrdiff_t),
                ("lattice_np", c_int64)]


P = ctypes.POINTER
# name: (return type, argument types)
_SIGNATURES = {
    "hp_code_name": (c_char_p, [c_int]),
    "hp_options_default": (None, [P(Options)]),
    "hp_init": (c_void_p, [P(Options)]),
    "hp_finalize": (None, [c_void_p]),
    "hp_last_code": (c_int, [c_void_p]),
    "hp_last_error": (c_char_p, [c_void_p]),
    "hp_device": (c_char_p, [c_void_p]),
    "hp_model_open": (c_int, [c_void_p, c_char_p, P(c_void_p)]),
    "hp_model_get_info": (c_int, [c_void_p, c_void_p, P(ModelInfo)]),
    "hp_model_close": (None, [c_void_p]),
    "hp_plan_create": (c_int, [c_void_p, c_void_p, P(PlanDesc), P(c_void_p)]),
    "hp_plan_get_shape": (c_int, [c_void_p, c_void_p, c_int64 * 3, P(c_int)]),
    "hp_plan_execute": (c_int, [c_void_p, c_void_p, c_void_p, P(c_void_p)]),
    "hp_paint_particles": (c_int, [c_void_p, c_void_p, P(Particles), P(c_void_p)]),
    "hp_plan_density": (c_void_p, [c_void_p]),
    "hp_plan_free": (None, [c_void_p]),
    "hp_job_create": (c_void_p, [c_char_p, P(c_char_p), c_int, ctypes.c_uint]),
    "hp_job_free": (None, [c_void_p]),
    "hp_job_last_code": (c_int, [c_void_p]),
    "hp_job_last_error": (c_char_p, [c_void_p]),
    "hp_job_key_type": (c_char_p, [c_char_p]),
    "hp_job_param_count": (c_int, [c_void_p]),
    "hp_job_param_key": (c_char_p, [c_void_p, c_int]),
    "hp_job_param": (c_char_p, [c_void_p, c_char_p]),
    "hp_job_param_is_set": (c_int, [c_void_p, c_char_p]),
    "hp_job_seeds": (c_int, [c_void_p, P(P(c_uint64)), P(c_int64)]),
    "hp_job_plan": (c_int, [c_void_p]),
    "hp_job_run": (c_int, [c_void_p, c_uint64]),
    "hp_job_column": (c_int, [c_void_p, c_char_p, P(c_void_p), P(c_int64), P(c_int)]),
}

_lib = None


def library_path():
    """Where libhalopaint.so is taken from: $HALOPAINT_LIB, else lib/libhalopaint.so of the
    source tree this package sits in (python/halopaint/ -> ../../lib), else the system's
    library search (ctypes.util.find_library). Raises OSError naming what was tried."""
    env = os.environ.get("HALOPAINT_LIB")
    if env:
        if not os.path.isfile(env):
            raise OSError(f"HALOPAINT_LIB={env}: no such file (expected the path of "
                          "libhalopaint.so)")
        return env
    tree = pathlib.Path(__file__).resolve().parents[2] / "lib" / "libhalopaint.so"
    if tree.is_file():
        return str(tree)
    found = ctypes.util.find_library("halopaint")
    if found:
        return found
    raise OSError("libhalopaint.so not found: HALOPAINT_LIB is not set, there is no "
                  f"{tree}, and the system's library path has no libhalopaint; build it with "
                  "`make` in the halopaint tree or `make install`, or set "
                  "HALOPAINT_LIB=/path/to/libhalopaint.so")


def lib():
    """The loaded library, with argument and return types declared (loaded once)."""
    global _lib
    if _lib is None:
        path = library_path()
        handle = ctypes.CDLL(path)
        for name, (restype, argtypes) in _SIGNATURES.items():
            try:
                fn = getattr(handle, name)
            except AttributeError:
                raise OSError(f"{path} has no {name}: it is older than this package; rebuild "
                              "it (make) or point HALOPAINT_LIB at a current one") from None
            fn.restype, fn.argtypes = restype, argtypes
        _lib = handle
    return _lib


def text(b):
    """C string (bytes or None) -> str."""
    return b.decode("utf-8", "replace") if b is not None else None


def code_name(code):
    return text(lib().hp_code_name(code))


def _forward_log(user, level, msg):
    """Library warnings become Python warnings; errors arrive as exceptions instead."""
    if level == HP_LOG_WARNING:
        warnings.warn(text(msg), HalopaintWarning, stacklevel=4)


_LOG_CALLBACK = LOG_FN(_forward_log)  # one for the process: never freed while a context lives


class Handle:
    """Owns one C object: close() frees it with the library function named FREE (once), also
    at the end of a `with` block and on garbage collection; check(rc) raises the object's last
    error (the function named ERROR) as HalopaintError."""

    FREE = ERROR = None
    ptr = None

    def _created(self, ptr, what, code):
        """Adopt a new object; raise (and free it) when it was refused (code(ptr) != 0)."""
        if not ptr:
            raise MemoryError(f"{what}: out of memory")
        self.ptr = ptr
        try:
            self.check(code(ptr))
        except HalopaintError:
            self.close()
            raise

    def check(self, rc):
        if rc:
            msg = text(getattr(lib(), self.ERROR)(self.ptr))
            raise HalopaintError(rc, msg, code_name(rc))

    def close(self):
        if self.ptr and _lib is not None:
            getattr(_lib, self.FREE)(self.ptr)
        self.ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Context(Handle):
    """An hp_context (threads, device, strict) whose failures raise HalopaintError."""

    FREE, ERROR = "hp_finalize", "hp_last_error"

    def __init__(self, threads=0, device="auto", strict=False):
        L = lib()
        opt = Options()
        L.hp_options_default(ctypes.byref(opt))
        opt.nthreads = int(threads)
        opt.device = device.encode() if device is not None else None
        opt.strict = 1 if strict else 0
        opt.log = _LOG_CALLBACK
        self._created(L.hp_init(ctypes.byref(opt)), "hp_init", L.hp_last_code)
