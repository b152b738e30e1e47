"""Params: a parameter set with the keys of the parameter files (docs/parameters.md).

A Params is a parameter file (or none) plus the keys set on it, which are passed to the library
as the command line's `-s Key=Value` overrides: the library parses, checks, defaults and derives
every value, so a Params means exactly what `halopaint run FILE -s ...` means, and its errors
name the file and line, or the `-s Key=Value` that was set.
"""

import difflib
import numbers
import os

from . import _job

_ALL_KEYS = None


def all_keys():
    """Every parameter key, in the order of the key table (params/keys.c)."""
    global _ALL_KEYS
    if _ALL_KEYS is None:
        _ALL_KEYS = _job.JobHandle(None, [], params_only=True).keys()
    return list(_ALL_KEYS)


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError(f"parameter key {key!r}: expected a str")
    if _job.key_type(key) is None:
        near = difflib.get_close_matches(key, all_keys(), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise KeyError(f"unknown parameter key {key!r}{hint}; `halopaint help params` lists "
                       "them all")


def _to_text(key, value):
    """A Python value as the text of a parameter file."""
    if isinstance(value, bool):
        s = "1" if value else "0"
    elif isinstance(value, numbers.Integral):
        s = str(int(value))
    elif isinstance(value, numbers.Real):
        s = repr(float(value))
    elif isinstance(value, (list, tuple)):
        s = ",".join(_to_text(key, v) for v in value)
    elif isinstance(value, os.PathLike):
        s = os.fspath(value)
    else:
        s = str(value)
    if any(c in s for c in "\n\r\0"):
        raise ValueError(f"{key} = {s!r}: a value is one line")
    return s


def _from_text(key, s):
    """The library's canonical text of a key's value -> int, float, bool, str or None."""
    if s == "":
        return None
    t = _job.key_type(key)
    if t == "int":
        return int(s)
    if t == "real":
        return float(s)
    if t == "bool":
        return s == "1"
    return s


class Params:
    """Parameters of a run: ``Params("run.param", Seed=3)``, ``p["BoxSize"] = 128``.

    Getting a key gives its resolved value (the file's, the one set here, its default or its
    derived value; None when unset without a default) as int, float, bool or str. Setting a
    key overrides the file (as `-s Key=Value`); ``del p[key]`` takes the override back.
    Unknown keys raise KeyError at once; bad values raise HalopaintError when the set is next
    resolved (a get, check(), to_text(), run()), naming the key and what was expected.
    """

    def __init__(self, path=None, **values):
        self.path = os.fspath(path) if path is not None else None
        self._values = {}
        self._resolved = None
        for k, v in values.items():
            self[k] = v
        if self.path is not None:
            self.check()

    @classmethod
    def load(cls, path, **values):
        """Read a parameter file (checked now: a bad line raises, naming file and line)."""
        return cls(path, **values)

    def copy(self):
        p = Params()
        p.path, p._values = self.path, dict(self._values)
        return p

    def overrides(self):
        """The keys set here as the command line's "Key=Value" strings."""
        return [f"{k}={v}" for k, v in self._values.items()]

    def _job(self):
        if self._resolved is None:
            self._resolved = _job.JobHandle(self.path, self.overrides(), params_only=True)
        return self._resolved

    def check(self):
        """Resolve now; raises HalopaintError on the first bad file line, key or value."""
        self._job()
        return self

    def __setitem__(self, key, value):
        _check_key(key)
        self._values[key] = _to_text(key, value)
        self._resolved = None

    def __delitem__(self, key):
        _check_key(key)
        if key not in self._values:
            raise KeyError(f"{key} was not set on this Params (a file value stays)")
        del self._values[key]
        self._resolved = None

    def __getitem__(self, key):
        _check_key(key)
        return _from_text(key, self._job().param(key))

    def get(self, key, default=None):
        v = self[key]
        return default if v is None else v

    def is_set(self, key):
        """True if the file or this object gives the key (not a default or derived value)."""
        _check_key(key)
        return self._job().is_set(key)

    def __contains__(self, key):
        return isinstance(key, str) and _job.key_type(key) is not None

    def keys(self):
        return all_keys()

    def __iter__(self):
        return iter(all_keys())

    def items(self):
        return [(k, self[k]) for k in all_keys()]

    def to_dict(self, resolved=True):
        """{key: value}: every key (resolved=True) or only those the file or this object sets."""
        j = self._job()
        return {k: _from_text(k, j.param(k)) for k in all_keys() if resolved or j.is_set(k)}

    def to_text(self, resolved=False):
        """A parameter file: the keys that are set (resolved=False) or every key with a value,
        one `Key  Value` line each, in the library's canonical form."""
        j = self._job()
        lines = ["% halopaint parameters" + (" (resolved)" if resolved else "")]
        for k in all_keys():
            v = j.param(k)
            if v != "" and (resolved or j.is_set(k)):
                lines.append(f"{k:<24} {v}")
        return "\n".join(lines) + "\n"

    def write(self, path, resolved=False):
        with open(path, "w") as f:
            f.write(self.to_text(resolved))

    def __repr__(self):
        return f"Params({self.path!r}, {self._values!r})"
