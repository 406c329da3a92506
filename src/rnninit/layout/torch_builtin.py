"""Storage layouts of PyTorch's built-in recurrent modules (``nn.RNN/LSTM/GRU`` and their cells).

Pure functions of the modules' sizes: no torch import. PyTorch stores gates stacked along the
rows of ``weight_ih_l{k}`` ``(gates·H, in)`` and ``weight_hh_l{k}`` ``(gates·H, H)`` in the order
LSTM ``i, f, g, o``, GRU ``r, z, n``; reverse directions carry the suffix ``_reverse``; ``bias_ih``
and ``bias_hh`` are added, except GRU's n gate, where ``b_hn`` sits inside ``r ⊙ (W_hn h + b_hn)``
(its own role, ``bias_hn``). With ``proj_size > 0`` an LSTM has ``weight_hr_l{k}`` ``(P, H)``.
"""

from __future__ import annotations

from rnninit.layout.kinds import GRU, CellKind
from rnninit.layout.storage import CellLayout, Placement, Slot, role_slots

TORCH_GATE_ORDER = {"elman": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


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
) -> tuple[CellLayout, dict[str, tuple[int, ...]]]:
    """Layout of one layer/direction with PyTorch's tensor names (``suffix`` like ``_l0_reverse``).

    Returns the cell layout and the tensors it owns (qualified name -> shape).
    """
    prefix = f"{path}." if path else ""
    state = proj_size or hidden_size
    sizes = {
        "input": input_size,
        "hidden": hidden_size,
        "state": state,
        "proj": proj_size,
        "layers": num_layers,
        "directions": num_directions,
    }
    g = max(len(kind.gates), 1)

    def name(base: str) -> str:
        return f"{prefix}{base}{suffix}"

    tensors = {name("weight_ih"): (g * hidden_size, input_size), name("weight_hh"): (g * hidden_size, state)}
    slots: list[Slot] = []
    slots += role_slots(kind, kind.role("ih"), sizes, [name("weight_ih")])
    slots += role_slots(kind, kind.role("hh"), sizes, [name("weight_hh")])
    if bias:
        tensors[name("bias_ih")] = (g * hidden_size,)
        tensors[name("bias_hh")] = (g * hidden_size,)
        if kind is GRU:
            slots += _gru_biases(hidden_size, name("bias_ih"), name("bias_hh"))
        else:
            slots += role_slots(kind, kind.role("bias"), sizes, [name("bias_ih"), name("bias_hh")])
    if proj_size:
        tensors[name("weight_hr")] = (proj_size, hidden_size)
        slots += role_slots(kind, kind.role("proj"), sizes, [name("weight_hr")])
    cell = CellLayout(
        path=path,
        kind=kind,
        sizes=sizes,
        slots=tuple(slots),
        layer=layer,
        direction=direction,
        framework="torch",
        source=source,
    )
    return cell, tensors


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
) -> tuple[list[CellLayout], dict[str, tuple[int, ...]]]:
    """Layouts of every layer and direction of an ``nn.RNN/LSTM/GRU``-style module."""
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    directions = 2 if bidirectional else 1
    state = proj_size or hidden_size
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else state * directions
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            cell, owned = torch_cell_layout(
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
                num_directions=directions,
                source=source,
            )
            cells.append(cell)
            tensors.update(owned)
    return cells, tensors
