"""One weight bound to one role of a spec, sampled without any framework.

A framework's initializer is called with a shape and never told which weight it builds. A *bound
role* is told when it is made (``role="hh"``, ``gates="ifgo"``), so the shape only splits the weight
into its gate blocks, each sampled as the block ``(path, layer, direction, role, gate)`` of
`rnninit.plan.make_plan`: a weight initialized this way holds exactly what ``apply`` would
write to that block. ``rnninit.keras.role`` and ``rnninit.flax.role`` are built on this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from rnninit.errors import LayoutError, SpecError, did_you_mean, one_of, shown
from rnninit.layout.declared import declared_layout
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import ModelLayout
from rnninit.plan import make_plan
from rnninit.spec import Spec

_WEIGHT = "weight"


def parse_gates(gates: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """``"i,f,c,o"``, ``"ifco"`` or ``["i", "f", "c", "o"]`` -> ``("i", "f", "c", "o")``."""
    if gates is None:
        return None
    if isinstance(gates, str):
        parts = gates.split(",") if "," in gates else list(gates)
    else:
        parts = list(gates)
    parsed = tuple(str(g).strip() for g in parts if str(g).strip())
    if not parsed:
        raise SpecError(f"gates must name at least one gate, got {gates!r}")
    return parsed


def check_role_given(spec: Spec, kind: CellKind, role_name: str, gates: tuple[str, ...] | None) -> None:
    """Fail early when ``spec`` does not fit ``kind`` or gives no init for the role (and gates).

    A role ``kind`` does not have is a cell-specific one (``peephole``): the kind is extended with it
    from the weight's shape at call time, and only the spec's own entries can initialize it (a
    preset sets the kind's roles only). So it must have an entry of its own in the spec, or nothing
    could ever initialize it (a typo, most likely); its blocks and gates are checked at the call.
    """
    if not isinstance(role_name, str) or not role_name:
        raise SpecError(f"role must be a role name such as 'hh', got {shown(role_name)}")
    if role_name not in kind.role_names:
        if any(entry_role == role_name for entry_role, _ in spec.entries):
            return  # a cell-specific role: the kind is extended from the weight's shape at call time
        raise SpecError(
            f"unknown role '{role_name}' for {kind.a_cell}: its roles are {one_of(kind.role_names)}, and "
            f"the spec {str(spec)!r} gives no init for '{role_name}' as a cell-specific role"
            f"{did_you_mean(role_name, kind.role_names)}. Use one of the cell's roles, or give the "
            f"cell-specific role an entry in the spec (such as '{role_name}=zeros')",
            token=role_name,
        )
    resolved = spec.resolve(kind)
    role = kind.role(role_name)
    wanted = (
        [kind.canonical_gate(role, g) for g in gates]
        if (gates and role.gated)
        else (list(kind.gates) if role.gated else [None])
    )
    missing = [g for g in wanted if resolved.lookup(role_name, g)[0] is None]
    if missing:
        named = sorted({r for r, _ in resolved.entries})
        what = role_name if missing == [None] else ", ".join(f"{role_name}[{g}]" for g in missing)
        raise SpecError(
            f"the spec {str(spec)!r} gives no init for {what} of a {kind.name} cell; "
            f"it gives inits for {one_of(named) or 'nothing'}"
        )


def sample_declared(
    spec: Spec,
    kind: CellKind,
    shapes: Mapping[str, tuple[int, ...]],
    declarations: Mapping[str, str],
    seed: int,
    *,
    path: str = "",
    layer: int = 0,
    direction: int = 0,
    transpose: bool = True,
    framework: str = "",
    who: str = "a role initializer",
) -> dict[str, np.ndarray]:
    """The float64 values of weights of ``shapes`` that hold what ``declarations`` say
    (`declared_layout`), sampled from the streams of the block
    identities ``(seed, path, layer, direction, role, gate)``. Every block must get an init."""
    try:
        cells, tensors = declared_layout(
            shapes, declarations, kind=kind, transpose=transpose, framework=framework
        )
    except LayoutError as exc:
        shape = next(iter(shapes.values()))
        raise LayoutError(
            f"{who} (role={next(iter(declarations.values()))!r}) cannot initialize a weight of shape "
            f"{shape}: {exc}"
        ) from None
    cells = [replace(cell, path=path, layer=layer, direction=direction) for cell in cells]
    plan = make_plan(spec, ModelLayout(tuple(cells), tensors), seed)
    if plan.untouched:
        left = ", ".join(slot.label for _, slot in plan.untouched)
        raise SpecError(f"the spec {str(spec)!r} gives no init for {left}")
    return plan.new_arrays({name: np.zeros(s) for name, s in tensors.items()})


def sample_role(
    spec: Spec,
    kind: CellKind,
    role_name: str,
    gates: tuple[str, ...] | None,
    shape: tuple[int, ...],
    seed: int,
    **identity,
) -> np.ndarray:
    """The float64 value of one weight of ``shape`` holding ``role_name`` (its ``gates`` stacked along
    the output axis, the last one when ``transpose``); see `sample_declared`."""
    declaration = role_name + (f"[{','.join(gates)}]" if gates else "")
    return sample_declared(spec, kind, {_WEIGHT: shape}, {_WEIGHT: declaration}, seed, **identity)[_WEIGHT]
