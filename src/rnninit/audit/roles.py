"""Layouts for cells nobody declared: roles given by the caller, or inferred from conventional names.

``roles={"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}`` maps tensor names (local to the
layer or module that owns them, or fully qualified) to roles, in the declaration language of
`rnninit.layout.declared` (``"ih[i,f,g,o]"`` for gates stacked in that order). Without
``roles``, conventional names are recognized (`CONVENTIONAL_NAMES`) in every layer or module
that has a recurrent weight, and the report says what was inferred.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rnninit.audit.backends import Backend
from rnninit.errors import LayoutError
from rnninit.layout.declared import declared_layout, parse_declaration
from rnninit.layout.kinds import CellKind, cell_kind, kind_for_gates
from rnninit.layout.storage import CellLayout, ModelLayout

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
    gates = [g for text in roles.values() for part in parse_declaration(text).parts for g in part.gates or ()]
    return kind_for_gates(gates, error=LayoutError, argument="cell")


def _inside(owner: str, ancestor: str) -> bool:
    """Whether ``owner`` is ``ancestor`` or one of its sub-modules/sub-layers."""
    if owner == ancestor or ancestor == "":
        return True
    return owner.startswith(ancestor + ".") or owner.startswith(ancestor + "/")


def declared_model_layout(
    backend: Backend,
    model: object,
    roles: Mapping[str, str],
    *,
    cell: str | CellKind | None = None,
    source: str = "declared roles",
) -> ModelLayout:
    """One cell per topmost owner (module or layer) with a tensor named in ``roles``; tensors of its
    sub-modules (a LayerNorm's gain and bias inside the cell) belong to that cell."""
    kind = _kind_for(roles, cell)
    used: set[str] = set()
    available: list[str] = []
    matched: list[tuple[str, str, str, tuple[int, ...]]] = []  # owner, qualified name, declaration, shape
    for owner, group in backend.owners(model):
        for local, (qualified, shape) in group.items():
            available.append(qualified)
            for key in (qualified, local):
                if key in roles:
                    matched.append((owner, qualified, roles[key], shape))
                    used.add(key)
                    break
    missing = sorted(set(roles) - used)
    if missing:
        raise LayoutError(
            f"roles name tensor(s) {', '.join(missing)}, which the model does not have; "
            f"tensors: {', '.join(available) or 'none'}"
        )
    if not matched:
        raise LayoutError("roles= names no tensor of the model")
    tops: list[str] = []
    for owner in sorted({m[0] for m in matched}, key=lambda o: (o.count(".") + o.count("/"), o)):
        if not any(_inside(owner, top) for top in tops):
            tops.append(owner)
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    for top in tops:
        members = [m for m in matched if _inside(m[0], top)]
        by_local = {
            qualified[len(top) + 1 :] if top else qualified: (qualified, text, shape)
            for _, qualified, text, shape in members
        }
        found, owned = declared_layout(
            {name: shape for name, (_, _, shape) in by_local.items()},
            {name: text for name, (_, text, _) in by_local.items()},
            kind=kind,
            path=top,
            transpose=backend.transpose,
            framework=backend.name,
            source=source,
            names={name: qualified for name, (qualified, _, _) in by_local.items()},
        )
        cells.extend(found)
        tensors.update(owned)
    return ModelLayout(tuple(cells), tensors)


def inferred_roles(backend: Backend, model: object) -> dict[str, str]:
    """``{qualified tensor name: role}`` for the conventionally named tensors of every owner (module
    or layer) that has a recurrent weight (an ``hh`` name): a Dense/Linear layer's ``kernel`` and
    ``bias`` are not a cell. Several biases of one owner (``bias_ih``, ``bias_hh``) are additive: the
    second and later are inferred as ``+bias``."""
    out: dict[str, str] = {}
    for _, group in backend.owners(model):
        found = {qualified: infer_role(local) for local, (qualified, _) in group.items()}
        if "hh" in found.values():
            seen: set[str] = set()
            for name, role in found.items():
                if role is None:
                    continue
                out[name] = f"+{role}" if role == "bias" and role in seen else role
                seen.add(role)
    return out
