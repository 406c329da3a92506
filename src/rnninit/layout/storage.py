"""Storage layouts: which stored tensor holds which role and gate block, and how.

A `ModelLayout` describes every recurrent cell found in a model (one `CellLayout`
per layer and direction) and every tensor they own. Each logical block (`Slot`) lists
its `Placement` s: where in which tensor it lives, and whether the tensor stores it
transposed (Keras). A block with several placements is stored redundantly as a *sum* (PyTorch's
``bias_ih + bias_hh``): its effective value is the sum, and writing puts the value in the first
placement and zeros in the others.

``apply``, ``audit`` and ``describe`` all walk these layouts; backends only read and write tensors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rnninit.errors import LayoutError
from rnninit.inits import Block
from rnninit.layout.kinds import CellKind, RoleDef

Index = tuple[slice | int, ...]


def copy_into(target: np.ndarray, value: np.ndarray, tile: int = 128) -> None:
    """``target[...] = value``; between row- and column-major layouts tile by tile, since an
    element-wise copy across layouts strides through memory and tiles that fit in cache make it
    several times faster (a transposed Keras kernel, a column-major QR factor). A 128 × 128 tile of
    float64 is 128 KiB, which stays in a core's L2 cache with room for its destination."""
    if value.ndim != 2 or value.size < tile * tile or _same_order(target, value):
        target[...] = value
        return
    rows, cols = value.shape
    for i in range(0, rows, tile):
        for j in range(0, cols, tile):
            target[i : i + tile, j : j + tile] = value[i : i + tile, j : j + tile]


def _same_order(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether both arrays run fastest along the same axis."""
    return (abs(a.strides[1]) <= abs(a.strides[0])) == (abs(b.strides[1]) <= abs(b.strides[0]))


@dataclass(frozen=True)
class Placement:
    """Where one block lives: ``tensor[index]`` (transposed when ``transpose``).

    Attributes:
        tensor: The stored tensor's name in the model (``"weight_hh_l0"``, ``"lstm.cell.kernel"``).
        index: The block's part of the tensor: one ``slice`` or ``int`` per leading axis indexed.
        transpose: The tensor stores the block as ``(in, out)`` (Keras), the transpose of the
            neutral ``(out, in)``.

    Examples:
        >>> import numpy as np
        >>> from rnninit.layout import Placement
        >>> arrays = {"kernel": np.arange(6.0).reshape(3, 2)}
        >>> place = Placement("kernel", (slice(None), slice(1, 2)), transpose=True)
        >>> place.read(arrays).tolist()
        [[1.0, 3.0, 5.0]]
    """

    tensor: str
    index: Index
    transpose: bool = False

    def read(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """The block, in neutral orientation, from ``arrays`` (tensor name -> array)."""
        view = np.asarray(arrays[self.tensor])[self.index]
        return view.T if self.transpose else view

    def write(self, arrays: dict[str, np.ndarray], value: np.ndarray | float) -> None:
        """Write ``value`` (neutral orientation, or a number for every entry) into ``arrays`` in place."""
        target = arrays[self.tensor][self.index]
        if not isinstance(value, np.ndarray):
            target[...] = value
            return
        copy_into(target, value.T if self.transpose else value)


@dataclass(frozen=True)
class Slot:
    """One logical weight block of one cell: a role and (for gated roles) a gate.

    Attributes:
        role: The role (``"ih"``, ``"hh"``, ``"bias"``, ...).
        gate: The canonical gate name, or ``None`` for an ungated role.
        shape: The block's shape in neutral orientation: ``(out, in)``, or ``(out,)``.
        placements: Where it is stored; more than one when the storage holds it as a sum of
            additive parts (PyTorch's ``bias_ih + bias_hh``): the first gets the value, the others 0.

    Examples:
        >>> import numpy as np
        >>> from rnninit.layout import Placement, Slot
        >>> every = (slice(None),)
        >>> bias = Slot("bias", None, (2,), (Placement("b_ih", every), Placement("b_hh", every)))
        >>> arrays = {"b_ih": np.array([1.0, 2.0]), "b_hh": np.array([0.5, 0.5])}
        >>> bias.label, bias.read(arrays).tolist()
        ('bias', [1.5, 2.5])
        >>> bias.write(arrays, np.array([3.0, 4.0]))
        >>> arrays["b_ih"].tolist(), arrays["b_hh"].tolist()
        ([3.0, 4.0], [0.0, 0.0])
    """

    role: str
    gate: str | None
    shape: tuple[int, ...]
    placements: tuple[Placement, ...]

    def read(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """The effective value: the sum over redundant placements, in neutral orientation."""
        total = np.array(self.placements[0].read(arrays), dtype=np.float64)
        for placement in self.placements[1:]:
            total = total + placement.read(arrays)
        return total

    def write(self, arrays: dict[str, np.ndarray], value: np.ndarray) -> None:
        """Make the effective value ``value``: it goes to the first placement, zeros to the others."""
        self.placements[0].write(arrays, value)
        for placement in self.placements[1:]:
            placement.write(arrays, 0.0)

    @property
    def label(self) -> str:
        """``'bias[f]'``, ``'ih'``: the block named in messages and spec keys."""
        return f"{self.role}[{self.gate}]" if self.gate else self.role


@dataclass(frozen=True)
class CellLayout:
    """One cell (one layer, one direction) of a model, and where its blocks are stored.

    ``path`` locates the cell's module or layer inside the model ('' for the object itself);
    together with ``layer``, ``direction``, role and gate it is the block's identity, from which
    its random stream is derived.

    Attributes:
        path: Where the cell is in the model (``"encoder.lstm"``; ``""`` for the object itself).
        kind: The cell's math: its gates and roles.
        sizes: The sizes its roles' shapes are written in (``input``, ``hidden``, ...; ``layers``
            and ``directions`` when the module has several).
        slots: Every block of the cell and where it is stored.
        layer: The layer index within the module (0 for a single cell).
        direction: 0 forward, 1 reverse.
        framework: ``"torch"``, ``"keras"``, ``"flax"``, or ``""`` when not tied to one.
        source: Where the cell came from, for messages (e.g. ``"torch.nn.LSTM"``).
        unstored: Roles of the cell kind that this storage does not have, because the cell's code
            fixes them at zero (``flax.nnx.GRUCell`` has no ``b_hn``): a spec may give them only zeros.

    Examples:
        >>> from rnninit.layout import ELMAN, CellLayout, role_slots
        >>> sizes = {"input": 3, "hidden": 2}
        >>> stored = {"ih": ["w_ih"], "hh": ["w_hh"], "bias": ["b_ih", "b_hh"]}
        >>> slots = [
        ...     slot
        ...     for role, names in stored.items()
        ...     for slot in role_slots(ELMAN, ELMAN.role(role), sizes, names)
        ... ]
        >>> cell = CellLayout("rnn", ELMAN, sizes, tuple(slots))
        >>> cell.name, cell.roles_present(), cell.slot("hh").shape
        ('rnn', ('ih', 'hh', 'bias'), (2, 2))
        >>> cell.block(cell.slot("ih")).describe()
        'ih matrix of shape (2, 3)'
    """

    path: str
    kind: CellKind
    sizes: Mapping[str, int]
    slots: tuple[Slot, ...]
    layer: int = 0
    direction: int = 0
    framework: str = ""
    source: str = ""
    unstored: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``'encoder.lstm (layer 1, reverse)'``: the cell named in messages."""
        where = self.path or "<model>"
        extra = []
        if self.sizes.get("layers", 1) > 1 or self.layer:
            extra.append(f"layer {self.layer}")
        if self.sizes.get("directions", 1) > 1 or self.direction:
            extra.append("reverse" if self.direction else "forward")
        return where + (f" ({', '.join(extra)})" if extra else "")

    def slot(self, role: str, gate: str | None = None) -> Slot:
        """The block of ``role`` and ``gate`` (canonical name; ``None`` for an ungated role).

        Args:
            role: The role.
            gate: The canonical gate name, or ``None``.

        Returns:
            The slot.

        Raises:
            KeyError: The cell has no such block.
        """
        for slot in self.slots:
            if slot.role == role and slot.gate == gate:
                return slot
        raise KeyError((role, gate))

    def roles_present(self) -> tuple[str, ...]:
        """The roles the cell stores, in slot order."""
        seen: dict[str, None] = {}
        for slot in self.slots:
            seen.setdefault(slot.role, None)
        return tuple(seen)

    def role_groups(self) -> list[tuple[str, tuple[Slot, ...]]]:
        """``(role, its slots)`` for every role of the cell, in slot order."""
        return [(role, tuple(s for s in self.slots if s.role == role)) for role in self.roles_present()]

    def block(self, slot: Slot, *, fused: bool = False, from_gate_entry: bool = False, rng_for=None) -> Block:
        """The `Block` an init samples for ``slot``.

        Args:
            slot: One of the cell's slots.
            fused: Stand for all gates of the role at once (``gates·H`` rows, no gate).
            from_gate_entry: The spec entry named this gate (``bias[f]=...``).
            rng_for: Gate -> the random stream of that gate's block of the same role.

        Returns:
            The block, with the cell's hidden size, gates and gate semantics.

        Raises:
            SpecError: ``slot``'s role is not a role of the cell's kind.
        """
        role = self.kind.role(slot.role)
        shape = slot.shape
        gate = slot.gate
        if fused:
            shape = (slot.shape[0] * len(self.kind.gates), *slot.shape[1:])
            gate = None
        return Block(
            role=slot.role,
            gate=gate,
            shape=shape,
            form=role.form,
            hidden_size=self.sizes["hidden"],
            gates=self.kind.gates,
            gate_semantics=self.kind.gate_semantics,
            bias_terms=self.kind.bias_terms(slot.gate if role.gated else None),
            fused=fused,
            from_gate_entry=from_gate_entry,
            rng_for=rng_for,
        )


@dataclass(frozen=True)
class ModelLayout:
    """All recurrent cells of a model and the tensors they own (name -> shape).

    ``skipped`` lists the parameters of recognized cells that no layout explains and that
    ``strict=False`` leaves untouched (never silently: ``apply`` reports them and the audit notes them).

    Attributes:
        cells: One `CellLayout` per cell, layer and direction, in model order.
        tensors: Every tensor the cells own: name -> shape.
        skipped: Parameters of recognized cells that no layout explains, left as they are.

    Raises:
        LayoutError: At construction, a placement in a tensor not in ``tensors``, a placement whose
            shape is not its block's, or a tensor element covered by no placement or by two.

    Examples:
        >>> from rnninit.layout import ModelLayout
        >>> from rnninit.layout.tensor import tensor_layout
        >>> layout = tensor_layout((8, 4), gates=2)
        >>> len(layout), layout.tensors, [slot.label for slot in layout.cells[0].slots]
        (1, {'tensor': (8, 4)}, ['tensor[g0]', 'tensor[g1]'])
        >>> ModelLayout(layout.cells, {})
        Traceback (most recent call last):
        ...
        rnninit.errors.LayoutError: <model>: tensor[g0] is placed in unknown tensor 'tensor'
    """

    cells: tuple[CellLayout, ...]
    tensors: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.check_coverage()

    def check_coverage(self) -> None:
        """Check that every element of every tensor is covered by exactly one placement.

        Raises:
            LayoutError: A placement in an unknown tensor or of the wrong shape, or an element
                covered by no placement or by two.
        """
        # uint8 counts: 8x less memory to touch than int64 on a 100M-parameter model (a placement count
        # can only wrap at 256 overlapping placements, which no layout has)
        counts = {name: np.zeros(shape, dtype=np.uint8) for name, shape in self.tensors.items()}
        for cell in self.cells:
            for slot in cell.slots:
                for placement in slot.placements:
                    if placement.tensor not in counts:
                        raise LayoutError(
                            f"{cell.name}: {slot.label} is placed in unknown tensor {placement.tensor!r}"
                        )
                    view = counts[placement.tensor][placement.index]
                    expected = tuple(reversed(slot.shape)) if placement.transpose else slot.shape
                    if view.shape != expected:
                        raise LayoutError(
                            f"{cell.name}: {slot.label} has shape {slot.shape} but its place in "
                            f"{placement.tensor} has shape {view.shape}"
                        )
                    counts[placement.tensor][placement.index] += 1
        for name, count in counts.items():
            if count.size and (count.min() != 1 or count.max() != 1):
                problem = "not covered" if count.min() == 0 else "covered twice"
                raise LayoutError(f"layout error: parts of tensor {name!r} are {problem} by the layout")

    def __iter__(self):
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)


def renamed_layout(
    cells: Sequence[CellLayout], tensors: Mapping[str, tuple[int, ...]], mapping: Mapping[str, str]
) -> tuple[list[CellLayout], dict[str, tuple[int, ...]]]:
    """The same cells with their tensors renamed by ``mapping`` (names it lacks are kept)."""
    moved = [
        replace(
            cell,
            slots=tuple(
                replace(
                    slot,
                    placements=tuple(
                        replace(p, tensor=mapping.get(p.tensor, p.tensor)) for p in slot.placements
                    ),
                )
                for slot in cell.slots
            ),
        )
        for cell in cells
    ]
    return moved, {mapping.get(name, name): shape for name, shape in tensors.items()}


def relocate(
    cells: Sequence[CellLayout],
    tensors: Mapping[str, tuple[int, ...]],
    *,
    path: str,
    prefix: str,
    layer: int = 0,
    direction: int = 0,
    num_layers: int = 1,
    num_directions: int = 1,
) -> tuple[list[CellLayout], dict[str, tuple[int, ...]]]:
    """Give cells laid out with local tensor names their identity in a model (``path``, ``layer``,
    ``direction``) and their tensors their names there (``prefix`` + local name).

    A cell that declares several layers or directions itself keeps its own (added to ``layer`` and
    ``direction``).

    Args:
        cells: Cell layouts whose placements use local tensor names.
        tensors: Their tensors: local name -> shape.
        path: The cells' path in the model.
        prefix: Prepended to every local tensor name (``"encoder.cell."``).
        layer: The layer the cells are in.
        direction: The direction they run in (0 forward, 1 reverse).
        num_layers: How many layers the model's module has (for the cells' ``sizes``).
        num_directions: How many directions it has.

    Returns:
        ``(cells, tensors)``: the moved cell layouts and their tensors under the new names.

    Examples:
        >>> from rnninit.layout import relocate
        >>> from rnninit.layout.tensor import tensor_layout
        >>> local = tensor_layout((4, 4))
        >>> cells, tensors = relocate(
        ...     local.cells, local.tensors, path="enc", prefix="enc.", layer=1, num_layers=2
        ... )
        >>> cells[0].name, tensors
        ('enc (layer 1)', {'enc.tensor': (4, 4)})
    """
    named, renamed = renamed_layout(cells, tensors, {name: prefix + name for name in tensors})
    moved = []
    for cell in named:
        own_layers, own_directions = cell.sizes.get("layers", 1), cell.sizes.get("directions", 1)
        sizes = {
            **cell.sizes,
            "layers": num_layers * own_layers,
            "directions": num_directions * own_directions,
        }
        moved.append(
            replace(
                cell,
                path=path,
                layer=layer * own_layers + cell.layer,
                direction=direction * own_directions + cell.direction,
                sizes=sizes,
            )
        )
    return moved, renamed


def gate_slice(gate_order: Sequence[str], gate: str, size: int) -> slice:
    """Rows (or columns) of ``gate`` in a fused tensor whose gates are stacked in ``gate_order``.

    Args:
        gate_order: The gates in the order the tensor stacks them.
        gate: One of them.
        size: Rows per gate (the hidden size).

    Returns:
        The slice of ``gate``'s rows.

    Raises:
        ValueError: ``gate`` is not in ``gate_order``.

    Examples:
        >>> from rnninit.layout import gate_slice
        >>> gate_slice(("i", "f", "g", "o"), "g", 16)
        slice(32, 48, None)
    """
    k = list(gate_order).index(gate)
    return slice(k * size, (k + 1) * size)


def role_slots(
    kind: CellKind,
    role: RoleDef,
    sizes: Mapping[str, int],
    tensors: Sequence[str],
    *,
    gate_order: Sequence[str] | None = None,
    transpose: bool = False,
    leading: Index = (),
) -> list[Slot]:
    """Slots of one role stored in ``tensors`` (several = additive redundant storage).

    Gated roles are stacked along the output axis in ``gate_order`` (the framework's order).
    With ``transpose`` the tensor is stored ``(in, out)`` and gates stack along its last axis.
    ``leading`` indexes leading axes first (e.g. Keras GRU's ``(2, 3H)`` bias row).

    Args:
        kind: The cell kind (its canonical gate order names the slots).
        role: The role to lay out.
        sizes: The sizes the role's shape is written in (``input``, ``hidden``, ...).
        tensors: The names of the tensors that hold the role, each in full.
        gate_order: The framework's gate order in the tensors; ``None`` for the kind's own.
        transpose: The tensors store ``(in, out)`` (Keras).
        leading: Indices of leading axes, before the role's own.

    Returns:
        One slot per gate of the kind (one for an ungated role), in the kind's gate order.

    Raises:
        KeyError: ``sizes`` lacks a size the role's shape names.
        ValueError: ``gate_order`` lacks one of the kind's gates.

    Examples:
        >>> from rnninit.layout import LSTM, role_slots
        >>> slots = role_slots(LSTM, LSTM.role("ih"), {"input": 3, "hidden": 2}, ["kernel"],
        ...                    gate_order=("i", "f", "g", "o"), transpose=True)
        >>> [slot.label for slot in slots], slots[1].shape, slots[1].placements[0].index
        (['ih[i]', 'ih[f]', 'ih[g]', 'ih[o]'], (2, 3), (slice(None, None, None), slice(2, 4, None)))
    """
    shape = role.shape(sizes)
    full = tuple(slice(None) for _ in shape)
    if not role.gated:
        return [Slot(role.name, None, shape, tuple(Placement(t, leading + full, transpose) for t in tensors))]
    order = gate_order or kind.gates
    slots = []
    for gate in kind.gates:
        rows = gate_slice(order, gate, shape[0])
        if len(shape) == 1:
            index: Index = (rows,)
        elif transpose:
            index = (slice(None), rows)
        else:
            index = (rows, slice(None))
        slots.append(
            Slot(role.name, gate, shape, tuple(Placement(t, leading + index, transpose) for t in tensors))
        )
    return slots
