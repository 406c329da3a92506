"""rnninit: declare an RNN initialization once, apply it to any cell, prove it took effect.

Examples:
    >>> import rnninit as ri
    >>> spec = ri.Spec.parse("ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0")
    >>> ri.Spec.parse(str(spec)) == spec
    True

The core (inits, specs, layouts, plans, seeding) is imported here; the layers above it are
imported when first used: ``rnninit.audit`` and ``rnninit.describe`` (which read models of any
framework), and the framework packages ``rnninit.torch``, ``rnninit.keras`` and ``rnninit.flax``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from rnninit import inits
from rnninit.errors import CellArgumentError, LayoutError, RnninitError, SeedError, SpecError
from rnninit.inits import INITS, Init, make_init
from rnninit.layout import CELL_KINDS, CellKind, cell_kind
from rnninit.plan import Plan, make_plan
from rnninit.spec import PRESETS, PresetCall, Spec, SpecFamily, SpecLike, init_from_config

if TYPE_CHECKING:  # what the lazy attributes below resolve to, for type checkers and IDEs
    from rnninit import audit, tune
    from rnninit.audit.describe import describe

try:
    __version__ = version("rnninit")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> Any:
    """``rnninit.audit`` and ``rnninit.tune`` (callable packages: ``rnninit.audit(model, spec)``) and
    ``rnninit.describe``, imported on first use so that importing the core loads no layer above it
    (``rnninit.tune`` imports torch)."""
    if name in ("audit", "tune"):
        return importlib.import_module(f"rnninit.{name}")
    if name == "describe":
        return importlib.import_module("rnninit.audit.describe").describe
    raise AttributeError(f"module 'rnninit' has no attribute {name!r}")


__all__ = [
    "CELL_KINDS",
    "CellArgumentError",
    "INITS",
    "PRESETS",
    "CellKind",
    "Init",
    "LayoutError",
    "Plan",
    "PresetCall",
    "RnninitError",
    "SeedError",
    "Spec",
    "SpecError",
    "SpecFamily",
    "SpecLike",
    "audit",
    "describe",
    "cell_kind",
    "init_from_config",
    "inits",
    "make_init",
    "make_plan",
    "tune",
]
