"""paint() and paint_particles(): the painter on a density grid or on particles (hp_plan_*).

Both go through the same calls as `halopaint paint` and a host code (plugin/halopaint.h), so the
counts are those of the command line on the same grid, bit for bit, for any thread count.
"""

import ctypes
import math

import numpy as np

from . import _lib
from .model import as_model


def _floats(a, name, shape_text):
    """A real floating array as C-contiguous float32 (a copy only when needed)."""
    a = np.asarray(a)
    if a.dtype.kind != "f":
        raise ValueError(f"{name}: dtype {a.dtype}: expected float32 or float64 "
                         f"({shape_text})")
    return np.ascontiguousarray(a, dtype=np.float32)


def _box(box_size, required):
    if box_size is None and not required:
        return 0.0
    try:
        b = float(box_size)
    except (TypeError, ValueError):
        raise ValueError(f"box_size = {box_size!r}: expected a number of Mpc/h") from None
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"box_size = {box_size!r}: expected a finite length > 0 [Mpc/h]")
    return b


def _execute(ctx, m, desc, run):
    """Plan, allocate the (K, nx', ny', nz') output, call run(plan, pointers), free the plan."""
    L = _lib.lib()
    plan = ctypes.c_void_p()
    ctx.check(L.hp_plan_create(ctx.ptr, m.handle, ctypes.byref(desc), ctypes.byref(plan)))
    try:
        out, k = (ctypes.c_int64 * 3)(), ctypes.c_int()
        ctx.check(L.hp_plan_get_shape(ctx.ptr, plan, out, ctypes.byref(k)))
        counts = np.empty((k.value,) + tuple(out), dtype=np.float32)
        ptrs = (ctypes.c_void_p * k.value)(*[counts[i].ctypes.data for i in range(k.value)])
        density = run(plan, ptrs)
    finally:
        L.hp_plan_free(plan)
    return counts, density


def paint(density, model, periodic=True, box_size=None, threads=0, device="auto",
          strict=False):
    """Paint a density grid into K grids of halo counts per voxel (docs/paint.md).

    density   rho/rho_mean (mean 1, not delta) on the model's voxels, shape (nx, ny, nz),
              float32 or float64, any strides (converted to C-order float32 as the command
              line reads it)
    model     a Model, or a model file path
    periodic  True: a whole periodic box, output shape = input shape; False: a sub-volume,
              output smaller by 2 * model.halo per axis
    box_size  side of the box along x [Mpc/h], to check the voxel size against the model's
              (a HalopaintWarning when it differs, HalopaintError with strict=True); None: not
              checked
    threads   OpenMP threads (0 = all); the counts do not depend on it
    device    "auto", "cpu" or "cuda"
    Returns a float32 array (K, nx', ny', nz'). Raises ValueError for a bad array,
    HalopaintError (naming the voxel, the size, ...) for what the library refuses.
    """
    rho = _floats(density, "density", "rho/rho_mean of shape (nx, ny, nz)")
    if rho.ndim != 3:
        raise ValueError(f"density: shape {rho.shape}: expected a 3-D grid (nx, ny, nz)")
    desc = _lib.PlanDesc((ctypes.c_int64 * 3)(*rho.shape), _box(box_size, False), 1.0,
                         1 if periodic else 0, 0)
    m, opened = as_model(model)
    try:
        with _lib.Context(threads, device, strict) as ctx:
            def run(plan, ptrs):
                ctx.check(_lib.lib().hp_plan_execute(ctx.ptr, plan, rho.ctypes.data, ptrs))
            counts, _ = _execute(ctx, m, desc, run)
    finally:
        if opened:
            m.close()
    return counts


def paint_particles(positions, box_size, model, nvoxels=None, mass=None, threads=0,
                    device="auto", strict=False, return_density=False):
    """Grid particles by cloud-in-cell (periodic, positions wrapped) onto nvoxels^3 voxels of
    a box of side box_size [Mpc/h], normalise to rho/rho_mean and paint (hp_paint_particles).

    positions  (N, 3) float32 or float64, Mpc/h
    nvoxels    voxels per side; None: round(box_size / model.voxel_size)
    mass       optional (N,) particle masses (any unit); None: equal masses
    Returns counts (K, n, n, n) float32, or (counts, density) with return_density=True, where
    density is the rho/rho_mean grid that was painted: paint(density, ...) gives the same counts.
    """
    pos = _floats(positions, "positions", "shape (N, 3), Mpc/h")
    if pos.ndim != 2 or pos.shape[1] != 3 or pos.shape[0] < 1:
        raise ValueError(f"positions: shape {pos.shape}: expected (N, 3) with N >= 1")
    box = _box(box_size, True)
    w = None
    if mass is not None:
        w = _floats(mass, "mass", "shape (N,)")
        if w.shape != (pos.shape[0],):
            raise ValueError(f"mass: shape {w.shape}: expected ({pos.shape[0]},), one per "
                             "particle")
    m, opened = as_model(model)
    try:
        n = int(nvoxels) if nvoxels is not None else max(1, round(box / m.voxel_size))
        desc = _lib.PlanDesc((ctypes.c_int64 * 3)(n, n, n), box, 1.0, 1, 1)
        base, f = pos.ctypes.data, pos.itemsize
        parts = _lib.Particles(pos.shape[0], base, base + f, base + 2 * f, 3,
                               w.ctypes.data if w is not None else None, 1, 0)
        with _lib.Context(threads, device, strict) as ctx:
            def run(plan, ptrs):
                L = _lib.lib()
                ctx.check(L.hp_paint_particles(ctx.ptr, plan, ctypes.byref(parts), ptrs))
                if not return_density:
                    return None
                rho = np.empty((n, n, n), dtype=np.float32)
                ctypes.memmove(rho.ctypes.data, L.hp_plan_density(plan), rho.nbytes)
                return rho
            counts, density = _execute(ctx, m, desc, run)
    finally:
        if opened:
            m.close()
    return (counts, density) if return_density else counts
