"""Tune: fill a spec family's free arguments (``hh=normal(std=?)``) from the dynamics at initialization.

``rnninit.tune`` is both this package and a function: ``rnninit.tune(family, cell=..., hidden=...,
T=...)`` calls :func:`rnninit.tune.tune.tune`. What it optimizes, why, and where it fails:
``docs/tune.md``.

>>> import rnninit
>>> result = rnninit.tune("hh=orthogonal(gain=?) bias=zeros", cell="elman", hidden=16, T=50, input="zeros")
>>> result.spec
Spec.parse('hh=orthogonal bias=zeros')
"""

import sys
import types

from rnninit.tune.errors import TuneError
from rnninit.tune.objective import Measurement, measure
from rnninit.tune.tune import TunePoint, TuneResult, tune


class _CallableModule(types.ModuleType):
    """Lets ``rnninit.tune(family, ...)`` call :func:`tune` while ``rnninit.tune.X`` stays a package."""

    def __call__(self, *args, **kwargs) -> TuneResult:
        return tune(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Measurement", "TuneError", "TunePoint", "TuneResult", "measure", "tune"]
