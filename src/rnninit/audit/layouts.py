"""The layout the audit and ``describe`` read a model through, and the blocks' effective values.

Both commands see a model the same way: the layout ``apply`` uses when one exists (built-ins, rnninit
cells, declared cells), else one built from ``roles=`` or inferred from conventional tensor names.
Whatever the layout leaves out is said in the notes, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnninit.audit.backends import Backend
from rnninit.audit.roles import declared_model_layout, inferred_roles
from rnninit.errors import LayoutError
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout, ModelLayout, Slot

Key = tuple[str, "str | None"]


def audited_layout(
    backend: Backend,
    model: object,
    roles: Mapping[str, str] | None,
    cell: str | CellKind | None,
    strict: bool,
) -> tuple[ModelLayout, list[str]]:
    """The model's layout and the notes that say what it does not cover or how it was found."""
    if roles is not None:
        if not isinstance(roles, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in roles.items()
        ):
            raise LayoutError(
                f"roles must map tensor names to roles, e.g. {{'kernel_ih': 'ih'}}, got {roles!r}"
            )
        return declared_model_layout(backend, model, roles, cell=cell), []
    try:
        layout = backend.layout(model, strict)
    except LayoutError as exc:
        guessed = inferred_roles(backend, model)
        if not guessed:
            raise LayoutError(
                f"{exc}; pass roles={{tensor name: role}} to audit a cell rnninit does not know"
            ) from None
        layout = declared_model_layout(backend, model, guessed, cell=cell, source="roles inferred from names")
        note = "roles inferred from tensor names: " + ", ".join(f"{k} → {v}" for k, v in guessed.items())
        return layout, [note + " (pass roles= to say otherwise)"]
    notes = []
    if layout.skipped:
        notes.append(
            "not initialized by apply and not audited (no layout explains them; strict=False): "
            + ", ".join(layout.skipped)
        )
    # weights with recurrent-looking names that no layout covers are not audited: say so
    covered = backend.covered(model, layout)
    missed = sorted(name for name in inferred_roles(backend, model) if name not in covered)
    if missed:
        notes.append(
            f"not audited (no layout covers them): {', '.join(missed)}; pass roles= to audit a custom cell"
        )
    return layout, notes


def cell_tensors(cell: CellLayout) -> list[str]:
    """The names of the tensors one cell's blocks are stored in."""
    return sorted({p.tensor for s in cell.slots for p in s.placements})


def effective(slot: Slot, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """The block's effective value (the sum over additive storage); a view when it is stored once."""
    if len(slot.placements) == 1:
        return np.asarray(slot.placements[0].read(arrays), dtype=np.float64)
    return slot.read(arrays)


def cell_values(backend: Backend, model: object, cell: CellLayout) -> dict[Key, np.ndarray]:
    """Every block of one cell, by ``(role, gate)``, as its effective value in neutral orientation."""
    arrays = backend.read(model, cell_tensors(cell))
    return {(s.role, s.gate): effective(s, arrays) for s in cell.slots}
