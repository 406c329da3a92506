"""Layouts for cells nobody declared: roles given by the caller, or inferred from conventional names.

``roles={"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}`` maps tensor names (local to the
layer or module that owns them, or fully qualified) to roles, in the declaration language of
:mod:`rnninit.layout.declared` (``"ih[i,f,g,o]"`` for gates stacked in that order). Without
``roles``, conventional names are recognized (:data:`CONVENTIONAL_NAMES`) in every layer or module
that has a recurrent weight, and the report says what was inferred.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from rnninit.audit.backends import Backend
from rnninit.errors import LayoutError
from rnninit.layout.cells import CELL_KINDS, ELMAN, CellKind, cell_kind
from rnninit.layout.declared import declared_layout, parse_declaration
from rnninit.layout.storage import CellLayout, ModelLayout, Placement

#: Local tensor name patterns (case-insensitive) and the role each implies.
CONVENTIONAL_NAMES: tuple[tuple[str, str], ...] = (
    (r"(weight|kernel|w)_?(ih|xh|x)|kernel|input_kernel|input_weight", "ih"),
    (r"(weight|kernel|w|u)_?hh|recurrent_kernel|recurrent_weight", "hh"),
    (r"(bias|b)(_?(ih|hh|h|x))?", "bias"),
)


def infer_role(local_name: str) -> str | None:
    """The role a conventional tensor name implies (``recurrent_kernel`` -> ``hh``), or ``None``."""
    for pattern, role in CONVENTIONAL_NAMES:
        if re.fullmatch(pattern, local_name, flags=re.IGNORECASE):
            return role
    return None


def _kind_for(roles: Mapping[str, str], cell: str | CellKind | None) -> CellKind:
    if cell is not None:
        return cell_kind(cell)
    gates: set[str] = set()
    for text in roles.values():
        _, declared = parse_declaration(text)
        gates.update(declared or ())
    if not gates:
        return ELMAN
    for kind in CELL_KINDS.values():
        names = set(kind.gates) | set(kind.gate_aliases)
        if gates <= names and kind.gates:
            return kind
    raise LayoutError(
        f"no cell kind has the gates {', '.join(sorted(gates))}; pass cell= one of {', '.join(CELL_KINDS)}"
    )


def _qualify(
    cell: CellLayout, owned: dict[str, tuple[int, ...]], names: Mapping[str, str]
) -> tuple[CellLayout, dict]:
    """Replace the declared layout's ``path.local`` tensor names by the backend's qualified names."""
    slots = tuple(
        replace(
            slot, placements=tuple(Placement(names[p.tensor], p.index, p.transpose) for p in slot.placements)
        )
        for slot in cell.slots
    )
    return replace(cell, slots=slots), {names[k]: v for k, v in owned.items()}


def declared_model_layout(
    backend: Backend,
    model: object,
    roles: Mapping[str, str],
    *,
    cell: str | CellKind | None = None,
    source: str = "declared roles",
) -> ModelLayout:
    """One cell per owner (module or layer) that has a tensor named in ``roles``."""
    kind = _kind_for(roles, cell)
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    used: set[str] = set()
    available: list[str] = []
    for owner, group in backend.owners(model):
        local_roles: dict[str, str] = {}
        for local, (qualified, _) in group.items():
            available.append(qualified)
            for key in (qualified, local):
                if key in roles:
                    local_roles[local] = roles[key]
                    used.add(key)
                    break
        if not local_roles:
            continue
        shapes = {local: group[local][1] for local in local_roles}
        found, owned = declared_layout(
            shapes,
            local_roles,
            kind=kind,
            path=owner,
            transpose=backend.transpose,
            framework=backend.name,
            source=source,
        )
        prefix = f"{owner}." if owner else ""
        names = {prefix + local: group[local][0] for local in local_roles}
        found, owned = _qualify(found, owned, names)
        cells.append(found)
        tensors.update(owned)
    missing = sorted(set(roles) - used)
    if missing:
        raise LayoutError(
            f"roles name tensor(s) {', '.join(missing)}, which the model does not have; "
            f"tensors: {', '.join(available) or 'none'}"
        )
    if not cells:
        raise LayoutError("roles= names no tensor of the model")
    return ModelLayout(tuple(cells), tensors)


def inferred_roles(backend: Backend, model: object) -> dict[str, str]:
    """``{qualified tensor name: role}`` for the conventionally named tensors of every owner (module
    or layer) that has a recurrent weight (an ``hh`` name): a Dense/Linear layer's ``kernel`` and
    ``bias`` are not a cell."""
    out: dict[str, str] = {}
    for _, group in backend.owners(model):
        found = {qualified: infer_role(local) for local, (qualified, _) in group.items()}
        if "hh" in found.values():
            out.update({name: role for name, role in found.items() if role is not None})
    return out
