"""Layouts declared by users for their own cells: tensor name -> role (and gates).

A declaration maps each parameter of a custom cell to what it means::

    {"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}          # an ungated (Elman-like) cell
    {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}  # gates stacked in this order
    {"b_ih": "bias", "b_hh": "bias"}                                  # two additive biases
    {"w_peep_f": "peephole[f]"}                                       # a role the cell kind lacks

``role`` alone on a gated role means all gates stacked in the cell kind's canonical order.
Matrices are stored ``(out, in)`` unless ``transpose=True`` (Keras stores ``(in, out)``). A role
that the cell kind does not have becomes a new, cell-specific role (ungated, or gated if gates are
named), so the spec can address it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from rnninit.errors import LayoutError, SpecError
from rnninit.layout.cells import ELMAN, CellKind, RoleDef, cell_kind
from rnninit.layout.storage import CellLayout, Placement, Slot

_DECL = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\])?\s*$"
)


def parse_declaration(text: str) -> tuple[str, tuple[str, ...] | None]:
    """``'ih[i,f]'`` -> ``('ih', ('i', 'f'))``; ``'hh'`` -> ``('hh', None)``."""
    match = _DECL.match(text) if isinstance(text, str) else None
    if match is None:
        raise LayoutError(
            f"invalid role declaration {text!r}; write a role ('ih', 'hh', 'bias', or a name of your own), "
            "optionally with the gates the tensor stacks ('ih[i,f,g,o]')"
        )
    role, gates = match.groups()
    return role, tuple(g.strip() for g in gates.split(",")) if gates else None


def declared_layout(
    shapes: Mapping[str, tuple[int, ...]],
    roles: Mapping[str, str],
    *,
    kind: CellKind | str | None = None,
    path: str = "",
    transpose: bool = False,
    framework: str = "",
    source: str = "",
) -> tuple[CellLayout, dict[str, tuple[int, ...]]]:
    """Build the layout of a custom cell from its tensors' shapes and a role declaration.

    ``shapes`` maps each declared tensor's *local* name to its shape; tensor names in the result are
    qualified with ``path``. Raises :class:`~rnninit.errors.LayoutError` for a declaration that does
    not fit the shapes.
    """
    base = ELMAN if kind is None else cell_kind(kind)
    prefix = f"{path}." if path else ""
    parsed: dict[str, tuple[str, tuple[str, ...] | None]] = {}
    for name, text in roles.items():
        if name not in shapes:
            raise LayoutError(
                f"declared tensor {name!r} does not exist; tensors: {', '.join(sorted(shapes)) or 'none'}"
            )
        parsed[name] = parse_declaration(text)
    kind_ = _extend_kind(base, parsed, shapes, transpose)
    hidden = _infer_hidden(kind_, parsed, shapes, transpose)
    entries: dict[tuple[str, str | None], list[Placement]] = {}
    block_shapes: dict[tuple[str, str | None], tuple[int, ...]] = {}
    for name, (role_name, gates) in parsed.items():
        role = kind_.role(role_name)
        shape = tuple(shapes[name])
        out_axis = 1 if (transpose and len(shape) == 2) else 0
        if role.gated:
            try:
                order = tuple(kind_.canonical_gate(role, g) for g in (gates or kind_.gates))
            except SpecError as exc:
                raise LayoutError(f"tensor {name!r}: {exc}") from None
        elif gates:
            raise LayoutError(
                f"tensor {name!r}: role '{role_name}' has no gates, so it cannot be declared with [{', '.join(gates)}]"
            )
        else:
            order = (None,)
        if shape[out_axis] % len(order):
            raise LayoutError(
                f"tensor {name!r} of shape {shape} cannot be split into {len(order)} gate blocks"
            )
        rows = shape[out_axis] // len(order)
        if role.kind != "matrix" and len(shape) != 1:
            raise LayoutError(f"tensor {name!r} has shape {shape}, but role '{role_name}' is a vector")
        if role.kind == "matrix" and len(shape) != 2:
            raise LayoutError(f"tensor {name!r} has shape {shape}, but role '{role_name}' is a matrix")
        if rows != hidden and role.rows == "hidden":
            raise LayoutError(
                f"tensor {name!r} of shape {shape} has {rows} rows per gate block, but the cell's hidden size "
                f"is {hidden}"
            )
        for k, gate in enumerate(order):
            part = slice(k * rows, (k + 1) * rows)
            if len(shape) == 1:
                index: tuple = (part,)
                block_shape: tuple[int, ...] = (rows,)
            elif transpose:
                index = (slice(None), part)
                block_shape = (rows, shape[0])
            else:
                index = (part, slice(None))
                block_shape = (rows, shape[1])
            key = (role.name, gate)
            if key in block_shapes and block_shapes[key] != block_shape:
                raise LayoutError(f"tensor {name!r}: {role.name} blocks declared with different shapes")
            block_shapes[key] = block_shape
            entries.setdefault(key, []).append(Placement(prefix + name, index, transpose and len(shape) == 2))
    slots = []
    for role in kind_.roles:
        for gate in kind_.gates if role.gated else (None,):
            if (role.name, gate) in entries:
                slots.append(
                    Slot(role.name, gate, block_shapes[(role.name, gate)], tuple(entries[(role.name, gate)]))
                )
            elif role.gated and any(k[0] == role.name for k in entries):
                raise LayoutError(f"role '{role.name}' is declared for some gates but not gate '{gate}'")
    sizes = {"hidden": hidden, "layers": 1, "directions": 1}
    for slot in slots:
        role = kind_.role(slot.role)
        if role.cols is not None:
            sizes.setdefault(role.cols, slot.shape[1])
    cell = CellLayout(path, kind_, sizes, tuple(slots), framework=framework, source=source)
    return cell, {prefix + name: tuple(shapes[name]) for name in parsed}


def _extend_kind(base: CellKind, parsed, shapes, transpose: bool) -> CellKind:
    """The base kind plus any cell-specific roles the declaration introduces."""
    extra: dict[str, RoleDef] = {}
    for name, (role_name, gates) in parsed.items():
        if role_name in base.role_names or role_name in extra:
            continue
        shape = tuple(shapes[name])
        gated = bool(gates) and bool(base.gates)
        if len(shape) == 1:
            extra[role_name] = RoleDef(
                role_name, "hidden", None, gated, f"cell-specific vector '{role_name}'"
            )
        elif len(shape) == 2:
            cols = f"{role_name}_in"
            extra[role_name] = RoleDef(
                role_name, "hidden", cols, gated, f"cell-specific matrix '{role_name}'"
            )
        else:
            raise LayoutError(f"tensor {name!r} has shape {shape}; only vectors and matrices can be declared")
    if not extra:
        return base
    return replace(base, name=base.name, roles=base.roles + tuple(extra.values()))


def _infer_hidden(kind: CellKind, parsed, shapes, transpose: bool) -> int:
    """The hidden size: from ih, hh or bias if declared, else from the first declared tensor (a
    cell-specific role alone, e.g. one weight initialized by ``rnninit.keras.role``)."""
    declared_roles = {role for role, _ in parsed.values()}
    known = [r for r in ("hh", "bias", "ih") if r in declared_roles]
    for role_name in known or [role for role, _ in list(parsed.values())[:1]]:
        for name, (declared, gates) in parsed.items():
            if declared != role_name:
                continue
            shape = tuple(shapes[name])
            role = kind.role(role_name)
            n = len(gates) if gates else (len(kind.gates) if role.gated and kind.gates else 1)
            out = shape[1] if (transpose and len(shape) == 2) else shape[0]
            return out // n
    raise LayoutError("cannot tell the cell's hidden size: declare at least one of ih, hh or bias")
