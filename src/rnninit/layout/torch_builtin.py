"""Storage layouts in PyTorch's style: of its built-in recurrent modules (``nn.RNN/LSTM/GRU`` and their
cells), and of rnninit's own PyTorch cells, which store their tensors the same way.

Pure functions of the modules' sizes: no torch import. The style, in one place:

- each role lives in one tensor (two for the additive biases ``bias_ih`` and ``bias_hh``), whose name
  is a base name plus the suffix of its layer and direction: ``weight_hh_l1_reverse``
  (`layer_suffix`; a ``*Cell`` has no suffix);
- a gated role stacks its gates along the rows, in the kind's order (LSTM ``i, f, g, o``, GRU
  ``r, z, n``): ``weight_ih`` is ``(gates·H, in)``, ``weight_hh`` ``(gates·H, H)``, a bias ``(gates·H,)``;
- layer ``k > 0`` reads the outputs of both directions of layer ``k - 1``.

``bias_ih`` and ``bias_hh`` are added, except GRU's n gate, where ``b_hn`` sits inside
``r ⊙ (W_hn h + b_hn)`` (its own role, ``bias_hn``). With ``proj_size > 0`` an LSTM has
``weight_hr_l{k}`` ``(P, H)`` and its state has ``P`` features.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from rnninit.layout.kinds import GRU, CellKind
from rnninit.layout.storage import CellLayout, Placement, Slot, role_slots

TORCH_GATE_ORDER = {"elman": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

Tensors = dict[str, tuple[int, ...]]


def layer_suffix(layer: int, direction: int) -> str:
    """The suffix of a layer's tensors: ``_l0``, ``_l0_reverse``, ``_l1``, ..."""
    return f"_l{layer}" + ("_reverse" if direction else "")


def gate_rows(kind: CellKind, hidden_size: int) -> int:
    """Rows of a gated role's tensor: one ``H`` block per gate (one if the kind has no gates)."""
    return max(len(kind.gates), 1) * hidden_size


def torch_style_cell_layout(
    kind: CellKind,
    *,
    path: str,
    sizes: Mapping[str, int],
    tensors: Mapping[str, Sequence[str]],
    suffix: str = "",
    layer: int = 0,
    direction: int = 0,
    source: str = "",
) -> tuple[CellLayout, Tensors]:
    """Layout of one layer/direction that stores each role in PyTorch's style.

    ``tensors`` maps a role to the base names of the tensors that hold it (two for additive parts,
    such as ``bias_ih`` and ``bias_hh``); each tensor is named ``path.`` + base name + ``suffix``, and
    its shape is the role's shape over ``sizes``, gates stacked along the rows.

    Returns the cell layout and the tensors it owns (qualified name -> shape), in the order given.
    """
    prefix = f"{path}." if path else ""
    owned: Tensors = {}
    slots: list[Slot] = []
    for role_name, bases in tensors.items():
        role = kind.role(role_name)
        names = [f"{prefix}{base}{suffix}" for base in bases]
        shape = role.shape(sizes)
        if role.gated:
            shape = (shape[0] * len(kind.gates), *shape[1:])
        owned.update(dict.fromkeys(names, shape))
        slots += role_slots(kind, role, sizes, names)
    cell = CellLayout(path, kind, dict(sizes), tuple(slots), layer, direction, "torch", source)
    return cell, owned


def torch_layers_layout(
    *,
    input_size: int,
    output_size: int,
    num_layers: int,
    bidirectional: bool,
    one_cell: Callable[[int, int, int, str], tuple[CellLayout, Tensors]],
) -> tuple[list[CellLayout], Tensors]:
    """Layouts of every layer and direction, in PyTorch's order (layer 0 forward, layer 0 reverse, ...).

    ``one_cell(layer, direction, layer_input, suffix)`` lays out one of them; ``layer_input`` is
    ``input_size`` for layer 0 and ``output_size`` times the number of directions above it.
    """
    cells: list[CellLayout] = []
    owned: Tensors = {}
    directions = 2 if bidirectional else 1
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else output_size * directions
        for direction in range(directions):
            cell, tensors = one_cell(layer, direction, layer_input, layer_suffix(layer, direction))
            cells.append(cell)
            owned.update(tensors)
    return cells, owned


def torch_cell_layout(
    kind: CellKind,
    *,
    path: str,
    input_size: int,
    hidden_size: int,
    bias: bool = True,
    proj_size: int = 0,
    suffix: str = "",
    layer: int = 0,
    direction: int = 0,
    num_layers: int = 1,
    num_directions: int = 1,
    source: str = "",
) -> tuple[CellLayout, Tensors]:
    """Layout of one layer/direction with PyTorch's tensor names (``suffix`` like ``_l0_reverse``).

    Returns the cell layout and the tensors it owns (qualified name -> shape).
    """
    sizes = {
        "input": input_size,
        "hidden": hidden_size,
        "state": proj_size or hidden_size,
        "proj": proj_size,
        "layers": num_layers,
        "directions": num_directions,
    }
    # GRU's b_hn is not additive with b_in: its biases are laid out below, by gate
    gru_biases = bias and kind is GRU
    names: dict[str, list[str]] = {"ih": ["weight_ih"], "hh": ["weight_hh"]}
    if bias and not gru_biases:
        names["bias"] = ["bias_ih", "bias_hh"]
    if proj_size:
        names["proj"] = ["weight_hr"]
    cell, owned = torch_style_cell_layout(
        kind,
        path=path,
        sizes=sizes,
        tensors=names,
        suffix=suffix,
        layer=layer,
        direction=direction,
        source=source,
    )
    if gru_biases:
        prefix = f"{path}." if path else ""
        bias_ih, bias_hh = f"{prefix}bias_ih{suffix}", f"{prefix}bias_hh{suffix}"
        owned[bias_ih] = owned[bias_hh] = (gate_rows(kind, hidden_size),)
        cell = replace(cell, slots=cell.slots + tuple(_gru_biases(hidden_size, bias_ih, bias_hh)))
    return cell, owned


def _gru_biases(hidden: int, bias_ih: str, bias_hh: str) -> list[Slot]:
    def rows(k: int) -> tuple[slice]:
        return (slice(k * hidden, (k + 1) * hidden),)

    return [
        Slot("bias", "r", (hidden,), (Placement(bias_ih, rows(0)), Placement(bias_hh, rows(0)))),
        Slot("bias", "z", (hidden,), (Placement(bias_ih, rows(1)), Placement(bias_hh, rows(1)))),
        Slot("bias", "n", (hidden,), (Placement(bias_ih, rows(2)),)),
        Slot("bias_hn", None, (hidden,), (Placement(bias_hh, rows(2)),)),
    ]


def torch_rnn_layout(
    kind: CellKind,
    *,
    path: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    bias: bool = True,
    proj_size: int = 0,
    source: str = "",
) -> tuple[list[CellLayout], Tensors]:
    """Layouts of every layer and direction of an ``nn.RNN/LSTM/GRU``-style module."""

    def one_cell(layer: int, direction: int, layer_input: int, suffix: str) -> tuple[CellLayout, Tensors]:
        return torch_cell_layout(
            kind,
            path=path,
            input_size=layer_input,
            hidden_size=hidden_size,
            bias=bias,
            proj_size=proj_size,
            suffix=suffix,
            layer=layer,
            direction=direction,
            num_layers=num_layers,
            num_directions=2 if bidirectional else 1,
            source=source,
        )

    return torch_layers_layout(
        input_size=input_size,
        output_size=proj_size or hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        one_cell=one_cell,
    )
