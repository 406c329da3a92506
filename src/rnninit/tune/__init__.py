"""Tune: fill a spec family's free arguments (``hh=normal(std=?)``) from the dynamics at initialization.

``rnninit.tune`` is both this package and a function: ``rnninit.tune(family, cell=..., hidden=...,
T=...)`` calls `rnninit.tune.tuner.tune`. What it optimizes, why, and where it fails:
``docs/tune.md``. The package imports torch only when a name from it is used, so that the CLI can
report a bad family without loading a framework.

Examples:
    >>> import rnninit
    >>> family = "hh=orthogonal(gain=?) bias=zeros"
    >>> result = rnninit.tune(family, cell="elman", hidden=16, T=50, input="zeros")
    >>> result.spec
    Spec.parse('hh=orthogonal bias=zeros')
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING

from rnninit.errors import TuneError

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and IDEs
    from rnninit.tune.objective import Measurement, measure
    from rnninit.tune.tuner import TunePoint, TuneResult, tune

#: Public names and the module that defines each (imported on first use: they need torch).
_LAZY = {
    "Measurement": "rnninit.tune.objective",
    "measure": "rnninit.tune.objective",
    "TunePoint": "rnninit.tune.tuner",
    "TuneResult": "rnninit.tune.tuner",
    "tune": "rnninit.tune.tuner",
}


class _CallableModule(types.ModuleType):
    """Lets ``rnninit.tune(family, ...)`` call `tune` while ``rnninit.tune.X`` stays a package."""

    def __call__(self, *args, **kwargs):
        return importlib.import_module("rnninit.tune.tuner").tune(*args, **kwargs)

    def __getattr__(self, name: str):
        if name in _LAZY:
            return getattr(importlib.import_module(_LAZY[name]), name)
        raise AttributeError(f"module 'rnninit.tune' has no attribute {name!r}")


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Measurement", "TuneError", "TunePoint", "TuneResult", "measure", "tune"]
