"""Layouts declared by users for their own cells: tensor name -> role (and gates).

A declaration maps each parameter of a custom cell to what it means::

    {"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}          # an ungated (Elman-like) cell
    {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}  # gates stacked in this order
    {"b_ih": "bias", "b_hh": "+bias"}                                 # two additive biases
    {"w_peep_i": "peephole[i]", "w_peep_f": "peephole[f]"}            # a role the cell kind lacks
    {"lin.weight": "ih[i,f,g,o], highway_ih, highway_proj"}           # extra blocks after the gates
    {"weight_hh_l0_reverse": "hh @ reverse", "weight_hh_l1": "hh @ layer 1"}  # layers, directions

The grammar of one declaration is ``part, part, ... [@ address]``:

* a *part* is ``role`` or ``role[gates]``: the next block(s) of rows of the tensor (columns, for
  ``(in, out)`` storage). A gated role alone means all the kind's gates in its canonical order;
  ``role[g1,g2]`` stacks those gates in the order written. Every block has the cell's hidden size.
* ``+role`` marks the tensor as an *additive* part of that block: the cell adds it to another
  tensor declared with the same role (PyTorch's ``bias_ih + bias_hh``, a LayerNorm's beta on top of
  a bias). The block's effective value is the sum; ``apply`` writes the value to the unmarked tensor
  and zeros to the ``+`` ones. Two unmarked tensors with one role in one cell are an error: nothing
  is ever summed or overwritten unless the declaration says so.
* ``@ layer K``, ``@ reverse``, ``@ layer K reverse`` say which layer and direction of a stacked or
  bidirectional module the tensor belongs to; a declaration with several addresses describes
  several cells, with the same block identities (and so the same seeded numbers) as a built-in
  module of that shape.

A role the cell kind does not have becomes a new, cell-specific role (ungated, or gated on the gates
named), so the spec can address it. Matrices are stored ``(out, in)`` unless ``transpose=True``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from rnninit.errors import LayoutError, SpecError
from rnninit.layout.kinds import CELL_KINDS, ELMAN, CellKind, RoleDef, cell_kind
from rnninit.layout.storage import CellLayout, Index, Placement, Slot

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PART = re.compile(rf"^\s*(\+)?\s*({_NAME})\s*(?:\[\s*({_NAME}(?:\s*,\s*{_NAME})*)\s*\])?\s*$")
_ADDRESS_WORD = re.compile(r"layer\s*(\d+)|l(\d+)|(forward|reverse)", re.IGNORECASE)

#: The grammar, for error messages.
SYNTAX = (
    "write a role ('ih', 'hh', 'bias', or a name of your own), optionally with the gates the tensor "
    "stacks ('ih[i,f,g,o]'), '+' before a role for an additive part ('+bias'), several parts separated "
    "by commas ('ih[i,f,g,o], highway'), and '@ layer K reverse' for a layer or direction"
)


@dataclass(frozen=True)
class Part:
    """One role's block(s) in a declared tensor."""

    role: str
    gates: tuple[str, ...] | None
    additive: bool = False


@dataclass(frozen=True)
class Declaration:
    """A parsed declaration: the parts a tensor stacks, and the cell (layer, direction) it belongs to."""

    parts: tuple[Part, ...]
    layer: int = 0
    direction: int = 0
    addressed: bool = False

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(p.role for p in self.parts)


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside brackets."""
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return out


def _address(text: str, whole: str) -> tuple[int, int]:
    layer, direction = 0, 0
    rest = text
    for match in _ADDRESS_WORD.finditer(text):
        number = match.group(1) or match.group(2)
        if number is not None:
            layer = int(number)
        else:
            direction = 1 if match.group(3).lower() == "reverse" else 0
        rest = rest.replace(match.group(0), " ", 1)
    if rest.replace(",", " ").strip() or not text.strip():
        raise LayoutError(
            f"invalid cell address in {whole!r}: after '@' write 'layer K', 'reverse', or both "
            "('@ layer 1 reverse')"
        )
    return layer, direction


def parse_declaration(text: object) -> Declaration:
    """``'ih[i,f]'`` -> one part; ``'+bias @ layer 1 reverse'`` -> an additive part of layer 1's
    reverse cell. Raises `LayoutError` with the grammar on invalid text."""
    if not isinstance(text, str):
        raise LayoutError(f"invalid role declaration {text!r}; {SYNTAX}")
    body, at, address = text.partition("@")
    layer, direction = _address(address, text) if at else (0, 0)
    parts = []
    for piece in _split_top_level(body):
        match = _PART.match(piece)
        if match is None:
            raise LayoutError(f"invalid role declaration {text!r}; {SYNTAX}")
        plus, role, gates = match.groups()
        parsed_gates = tuple(g.strip() for g in gates.split(",")) if gates else None
        parts.append(Part(role, parsed_gates, bool(plus)))
    seen = [p.role for p in parts]
    if len(set(seen)) != len(seen):
        raise LayoutError(f"invalid role declaration {text!r}: a role appears twice in one tensor")
    return Declaration(tuple(parts), layer, direction, bool(at))


def check_declaration(
    roles: object, kind: str | CellKind | None, *, names: str = "parameter name"
) -> str | None:
    """Check a declaration before a backend stores it: ``roles`` a non-empty mapping whose every
    value parses, ``kind`` a known cell kind; returns the kind's canonical name (or ``None``).

    Raises:
        LayoutError: ``roles`` is not a non-empty mapping of ``names`` -> role.
        SpecError: a role text does not parse, or ``kind`` names no cell kind.
    """
    if not isinstance(roles, Mapping) or not roles:
        raise LayoutError(f"declare() needs a non-empty dict of {names} -> role, got {roles!r}")
    for text in roles.values():
        parse_declaration(text)
    return None if kind is None else cell_kind(kind).name  # a SpecError naming the valid kinds


def declared_layout(
    shapes: Mapping[str, tuple[int, ...]],
    roles: Mapping[str, str],
    *,
    kind: CellKind | str | None = None,
    path: str = "",
    transpose: bool = False,
    framework: str = "",
    source: str = "",
    names: Mapping[str, str] | None = None,
) -> tuple[list[CellLayout], dict[str, tuple[int, ...]]]:
    """Build the layouts of a custom cell (one per declared layer and direction) from its tensors'
    shapes and a role declaration.

    ``shapes`` maps each declared tensor's *local* name to its shape; tensor names in the result are
    qualified with ``path`` (``path.local``), or taken from ``names`` (local -> stored name) when
    given. Raises `LayoutError` for a declaration that does not fit the shapes.
    """
    base = ELMAN if kind is None else cell_kind(kind)
    prefix = f"{path}." if path else ""
    stored = dict(names) if names is not None else {name: prefix + name for name in roles}
    parsed: dict[str, Declaration] = {}
    for name, text in roles.items():
        if name not in shapes:
            raise LayoutError(
                f"declared tensor {name!r} does not exist; tensors: {', '.join(sorted(shapes)) or 'none'}"
            )
        parsed[name] = parse_declaration(text)
    kind_ = _extend_kind(base, parsed, shapes)
    addresses = sorted({(d.layer, d.direction) for d in parsed.values()})
    num_layers = max(layer for layer, _ in addresses) + 1
    num_directions = 2 if any(direction for _, direction in addresses) else 1
    cells = []
    for layer, direction in addresses:
        members = {n: d for n, d in parsed.items() if (d.layer, d.direction) == (layer, direction)}
        where = _where(layer, direction, num_layers, num_directions)
        slots, sizes = _cell_slots(kind_, members, shapes, stored, transpose, where)
        sizes.update(layers=num_layers, directions=num_directions)
        cells.append(
            CellLayout(
                path,
                kind_,
                sizes,
                tuple(slots),
                layer=layer,
                direction=direction,
                framework=framework,
                source=source,
            )
        )
    missing = [
        (layer, direction)
        for layer in range(num_layers)
        for direction in range(num_directions)
        if (layer, direction) not in addresses
    ]
    if missing:
        listed = ", ".join(_where(layer, d, num_layers, num_directions) for layer, d in missing)
        raise LayoutError(
            f"the declaration addresses layers/directions up to layer {num_layers - 1}"
            f"{' and reverse' if num_directions == 2 else ''}, but declares nothing for {listed}"
        )
    return cells, {stored[name]: tuple(shapes[name]) for name in parsed}


def _where(layer: int, direction: int, num_layers: int, num_directions: int) -> str:
    parts = []
    if num_layers > 1 or layer:
        parts.append(f"layer {layer}")
    if num_directions > 1 or direction:
        parts.append("reverse" if direction else "forward")
    return " ".join(parts)


def _cell_slots(
    kind: CellKind,
    members: Mapping[str, Declaration],
    shapes: Mapping[str, tuple[int, ...]],
    stored: Mapping[str, str],
    transpose: bool,
    where: str,
) -> tuple[list[Slot], dict[str, int]]:
    """The slots of one cell (one layer and direction) and its sizes."""
    for name, declaration in members.items():
        _blocks(kind, name, declaration)  # unknown or repeated gates first
    hidden = _infer_hidden(kind, members, shapes, transpose)
    _check_state_input(kind, members, shapes, transpose, where)
    entries: dict[tuple[str, str | None], list[tuple[Placement, bool, str]]] = {}
    block_shapes: dict[tuple[str, str | None], tuple[int, ...]] = {}
    sizes: dict[str, int] = {"hidden": hidden}
    for name, declaration in members.items():
        shape = tuple(shapes[name])
        matrix = len(shape) == 2
        out_axis = 1 if (transpose and matrix) else 0
        blocks = _blocks(kind, name, declaration)
        if len(shape) not in (1, 2):
            raise LayoutError(f"tensor {name!r} has shape {shape}; only vectors and matrices can be declared")
        if shape[out_axis] % len(blocks):
            raise LayoutError(
                f"tensor {name!r} of shape {shape} cannot be split into {len(blocks)} blocks "
                f"({', '.join(_label(r, g) for r, g, _ in blocks)})"
            )
        rows = shape[out_axis] // len(blocks)
        for k, (role_name, gate, additive) in enumerate(blocks):
            role = kind.role(role_name)
            if role.form != "matrix" and matrix:
                raise LayoutError(f"tensor {name!r} has shape {shape}, but role '{role_name}' is a vector")
            if role.form == "matrix" and not matrix:
                raise LayoutError(f"tensor {name!r} has shape {shape}, but role '{role_name}' is a matrix")
            if rows != hidden and role.rows == "hidden":
                raise LayoutError(
                    f"tensor {name!r} of shape {shape} has {rows} rows per block, but the cell's hidden "
                    f"size is {hidden}"
                )
            part = slice(k * rows, (k + 1) * rows)
            if not matrix:
                index: Index = (part,)
                block_shape: tuple[int, ...] = (rows,)
            elif transpose:
                index = (slice(None), part)
                block_shape = (rows, shape[0])
            else:
                index = (part, slice(None))
                block_shape = (rows, shape[1])
            if role.cols == "hidden" and block_shape[1] != hidden:
                raise LayoutError(_not_square(kind, name, shape, role, rows, block_shape[1]))
            key = (role.name, gate)
            if key in block_shapes and block_shapes[key] != block_shape:
                raise LayoutError(
                    f"tensor {name!r}: {_label(*key)} is declared in several tensors with different shapes "
                    f"({block_shapes[key]} and {block_shape})"
                )
            block_shapes[key] = block_shape
            if role.cols is not None:
                sizes.setdefault(role.cols, block_shape[1])
            if role.rows != "hidden":
                sizes.setdefault(role.rows, block_shape[0])
            placement = Placement(stored[name], index, transpose and matrix)
            entries.setdefault(key, []).append((placement, additive, name))
    slots = []
    for role in kind.roles:
        for gate in kind.role_gates(role):
            if (role.name, gate) in entries:
                placements = _order_additive(entries[(role.name, gate)], _label(role.name, gate), where)
                slots.append(Slot(role.name, gate, block_shapes[(role.name, gate)], placements))
            elif role.gated and any(k[0] == role.name for k in entries):
                raise LayoutError(
                    f"role '{role.name}' is declared for some gates but not gate '{gate}'"
                    f"{f' ({where})' if where else ''}; "
                    f"a cell of kind {kind.name} has {role.name} blocks for gates {', '.join(kind.gates)}"
                )
    return slots, sizes


def _blocks(kind: CellKind, name: str, declaration: Declaration) -> list[tuple[str, str | None, bool]]:
    """``(role, gate, additive)`` for each block the tensor stacks, in storage order."""
    out: list[tuple[str, str | None, bool]] = []
    for part in declaration.parts:
        role = kind.role(part.role)
        if role.gated:
            named = part.gates or tuple(g for g in kind.role_gates(role) if g is not None)  # all str: gated
            try:
                gates = tuple(kind.canonical_gate(role, g) for g in named)
            except SpecError as exc:
                raise LayoutError(f"tensor {name!r}: {exc}") from None
            if len(set(gates)) != len(gates):
                raise LayoutError(f"tensor {name!r}: a gate appears twice in {part.role}[{','.join(gates)}]")
            out += [(role.name, g, part.additive) for g in gates]
        elif part.gates:
            message = (
                f"tensor {name!r}: role '{part.role}' of {kind.a_cell} has no gates, so it cannot be "
                f"declared with [{', '.join(part.gates)}]"
            )
            fits = [
                k.name
                for k in CELL_KINDS.values()
                if k.gates and set(part.gates) <= {*k.gates, *k.gate_aliases}
            ]
            if not kind.gates and fits:
                listed = " or ".join(f"'{k}'" for k in fits)
                message += (
                    f"; if the cell is gated, declare its kind ({listed}: kind= in rnninit.torch.declare, "
                    "rnninit_kind on the class, cell= for the audit's roles=)"
                )
            raise LayoutError(message)
        else:
            out.append((role.name, None, part.additive))
    return out


def _order_additive(
    entries: Sequence[tuple[Placement, bool, str]], label: str, where: str
) -> tuple[Placement, ...]:
    """The block's placements, the one that receives the value first; more than one unmarked tensor
    for one block is an error (it would silently be summed, or zeroed)."""
    primary = [e for e in entries if not e[1]]
    if len(primary) > 1:
        names = " and ".join(repr(e[2]) for e in primary)
        raise LayoutError(
            f"tensors {names} are both declared as {label} of one cell{f' ({where})' if where else ''}. "
            "Two tensors share a "
            f"block only as additive parts of one effective value (PyTorch's bias_ih + bias_hh): then mark "
            f"the extra one '+{label}'. If they belong to different layers or directions, say which "
            f"('{label} @ reverse', '{label} @ layer 1')"
        )
    ordered = primary + [e for e in entries if e[1]]
    return tuple(e[0] for e in ordered)


def _check_state_input(
    kind: CellKind,
    members: Mapping[str, Declaration],
    shapes: Mapping[str, tuple[int, ...]],
    transpose: bool,
    where: str,
) -> None:
    """A role that reads the cell's state (an LSTM's ``hh``) reads the hidden state, or its projection
    when the cell declares ``proj``: its blocks have as many rows as the state has entries, unless a
    projection is declared. A tensor with more rows than that many gate blocks stacks something else
    after the gates (AllenNLP's highway rows); cut into gate blocks anyway, every gate after the first
    would be misplaced, so it is an error that says how to declare the extra rows."""
    projections = [
        tuple(shapes[name])[1 if transpose and len(shapes[name]) == 2 else 0]
        for name, declaration in members.items()
        if "proj" in declaration.roles and "proj" in kind.role_names
    ]
    for name, declaration in members.items():
        blocks = _blocks(kind, name, declaration)
        readers = [r for r, _, _ in blocks if kind.role(r).cols == "state"]
        shape = tuple(shapes[name])
        if not readers or len(shape) != 2:
            continue
        total, state = (shape[1], shape[0]) if transpose else shape
        if total % len(blocks):
            continue  # cannot be split at all: the slots say so
        per_block = total // len(blocks)
        if projections:
            if state != projections[0]:
                raise LayoutError(
                    f"tensor {name!r} of shape {shape}: {readers[0]} reads the projected state, which has "
                    f"{projections[0]} entries (the rows of 'proj'), but the tensor has {state} columns"
                )
            continue
        if per_block == state:
            continue
        role = readers[0]
        message = (
            f"tensor {name!r} of shape {shape} is declared as {len(blocks)} blocks of {per_block} rows, but "
            f"{role} of {kind.a_cell} maps the hidden state ({state} entries, its columns) to each gate: "
            f"blocks of {state} rows"
        )
        extra = total - len(blocks) * state
        if extra > 0 and extra % state == 0:
            names = ", ".join("my_block" if k == 0 else f"my_block{k + 1}" for k in range(extra // state))
            gates = ",".join(g for r, g, _ in blocks if r == role and g)
            message += (
                f". It holds {len(blocks)} gate blocks of {state} rows and {extra} more rows: declare what "
                f"those are as blocks after the gates, e.g. '{role}[{gates}], {names}' "
                f"(one name per {state} rows)"
            )
        message += (
            f"{f' ({where})' if where else ''}. If the cell projects its hidden state and {role} reads the "
            "projection, declare the projection's weight as 'proj'"
        )
        raise LayoutError(message)


def _not_square(kind: CellKind, name: str, shape, role: RoleDef, rows: int, cols: int) -> str:
    """Why a recurrent block is not square, and the likely fix: a gated cell declared without its kind."""
    message = (
        f"tensor {name!r} of shape {shape} gives {role.name} blocks of {rows}×{cols}, but {role.name} of "
        f"{kind.a_cell} maps the hidden state to itself ({cols}×{cols})"
    )
    if rows % cols == 0 and not kind.gates:
        gated = [k.name for k in CELL_KINDS.values() if len(k.gates) == rows // cols]
        if gated:
            listed = " or ".join(f"'{k}'" for k in gated)
            message += (
                f". It stacks {rows // cols} blocks of {cols} rows, like the gates of a {' or '.join(gated)} "
                f"cell: declare the cell's kind ({listed}: kind= in rnninit.torch.declare, rnninit_kind on "
                "the class, cell= for the audit's roles=)"
            )
    return message


def _label(role: str, gate: str | None) -> str:
    return f"{role}[{gate}]" if gate else role


def _extend_kind(base: CellKind, parsed: Mapping[str, Declaration], shapes) -> CellKind:
    """The base kind plus any cell-specific roles the declaration introduces."""
    extra: dict[str, RoleDef] = {}
    gates_of: dict[str, list[str]] = {}
    for name, declaration in parsed.items():
        shape = tuple(shapes[name])
        for part in declaration.parts:
            if part.role in base.role_names:
                continue
            if part.gates and not base.gates:
                raise LayoutError(
                    f"tensor {name!r}: role '{part.role}' is declared with gates "
                    f"[{', '.join(part.gates)}], but {base.a_cell} has no gates; pass the cell's kind "
                    "(kind='lstm', 'gru', ...) if it is gated"
                )
            if part.gates:
                probe = RoleDef(part.role, "hidden", None, True, "")
                for gate in part.gates:
                    try:
                        canonical = base.canonical_gate(probe, gate)
                    except SpecError as exc:
                        raise LayoutError(f"tensor {name!r}: {exc}") from None
                    if canonical not in gates_of.setdefault(part.role, []):
                        gates_of[part.role].append(canonical)
            if part.role in extra:
                continue
            if len(shape) == 1:
                extra[part.role] = RoleDef(
                    part.role,
                    "hidden" if part.gates else f"{part.role}_out",
                    None,
                    bool(part.gates),
                    f"cell-specific vector '{part.role}'",
                    custom=True,
                )
            elif len(shape) == 2:
                extra[part.role] = RoleDef(
                    part.role,
                    "hidden" if part.gates else f"{part.role}_out",
                    f"{part.role}_in",
                    bool(part.gates),
                    f"cell-specific matrix '{part.role}'",
                    custom=True,
                )
            else:
                raise LayoutError(
                    f"tensor {name!r} has shape {shape}; only vectors and matrices can be declared"
                )
    if not extra:
        return base
    for role_name, role in list(extra.items()):
        if role.gated:
            declared = gates_of.get(role_name, [])
            ordered = tuple(g for g in base.gates if g in declared)
            extra[role_name] = replace(role, gates=None if set(ordered) == set(base.gates) else ordered)
    return replace(base, roles=base.roles + tuple(extra.values()))


def _infer_hidden(kind: CellKind, parsed: Mapping[str, Declaration], shapes, transpose: bool) -> int:
    """The hidden size: from the tensors declaring hh, bias or ih if any, else from the first declared
    tensor (a cell-specific role alone, e.g. one weight initialized by ``rnninit.keras.role``)."""
    declared = [(name, d) for name, d in parsed.items()]
    for wanted in ("hh", "bias", "ih", None):
        for name, declaration in declared:
            if wanted is not None and wanted not in declaration.roles:
                continue
            shape = tuple(shapes[name])
            blocks = _blocks(kind, name, declaration)
            out = shape[1] if (transpose and len(shape) == 2) else shape[0]
            return out // max(len(blocks), 1)
    raise LayoutError("cannot tell the cell's hidden size: declare at least one of ih, hh or bias")
