"""rnninit: declare an RNN initialization once, apply it to any cell, prove it took effect.

>>> import rnninit as ri
>>> spec = ri.Spec.parse("ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0")
>>> ri.Spec.parse(str(spec)) == spec
True
"""

from __future__ import annotations

from rnninit import audit, inits  # ``rnninit.audit`` is a callable package: rnninit.audit(model, spec)
from rnninit.audit.describe import describe  # noqa: E402 - after the core it builds on
from rnninit.errors import LayoutError, RnninitError, SpecError
from rnninit.inits import INITS, Init, init_from_config, make_init
from rnninit.layout import CELL_KINDS, CellKind, cell_kind
from rnninit.plan import Plan, make_plan
from rnninit.seeding import SeedError
from rnninit.spec import PRESETS, PresetCall, Spec, SpecFamily, SpecLike

__version__ = "0.1.0"

__all__ = [
    "CELL_KINDS",
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


def __getattr__(name: str):
    # ``rnninit.tune`` (a callable package, like ``rnninit.audit``) imports torch: load it on first use
    # so that ``import rnninit`` stays framework-free.
    if name == "tune":
        import importlib

        return importlib.import_module("rnninit.tune")
    raise AttributeError(f"module 'rnninit' has no attribute {name!r}")
