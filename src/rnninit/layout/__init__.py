"""Layouts: cell kinds (the math) and storage layouts (where each block is stored)."""

from rnninit.layout.kinds import (
    CELL_KINDS,
    ELMAN,
    GRU,
    GRU_RESET_BEFORE,
    INDRNN,
    LSTM,
    MGU,
    MGU_NO_RESET,
    MINIMALRNN,
    CellKind,
    RoleDef,
    cell_kind,
    kind_for_gates,
)
from rnninit.layout.storage import (
    CellLayout,
    ModelLayout,
    Placement,
    Slot,
    gate_slice,
    relocate,
    role_slots,
)

__all__ = [
    "CELL_KINDS",
    "ELMAN",
    "GRU",
    "GRU_RESET_BEFORE",
    "INDRNN",
    "LSTM",
    "MGU",
    "MGU_NO_RESET",
    "MINIMALRNN",
    "CellKind",
    "CellLayout",
    "ModelLayout",
    "Placement",
    "RoleDef",
    "Slot",
    "cell_kind",
    "kind_for_gates",
    "gate_slice",
    "relocate",
    "role_slots",
]
