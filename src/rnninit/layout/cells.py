"""The old name of `rnninit.layout.kinds` (cell kinds: the math of each cell). "Cells" now
means the modules (``rnninit.torch``, ``rnninit.keras``); this name stays for code that imports it."""

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
    "RoleDef",
    "cell_kind",
    "kind_for_gates",
]
