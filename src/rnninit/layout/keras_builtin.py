"""Storage layouts of Keras 3's built-in recurrent cells (``SimpleRNN``, ``LSTM``, ``GRU``).

Pure functions of the cells' sizes: no keras import. Keras stores matrices transposed relative
to the neutral ``(out, in)`` orientation: ``kernel`` is ``(input, gates·units)`` and
``recurrent_kernel`` is ``(units, gates·units)``, with gate blocks side by side along the last
axis in Keras' order: LSTM ``i, f, c, o`` (``c`` is the neutral ``g``), GRU ``z, r, h`` (``h`` is
``n``). ``bias`` is ``(gates·units,)``, except:

* GRU with ``reset_after=True`` (the Keras 3 default): ``bias`` is ``(2, 3·units)``, row 0 the input
  bias and row 1 the recurrent bias. Keras computes
  ``h̃ = tanh(x W_h + b_ih + r ⊙ (h U_h + b_hh))`` (``keras.layers.GRUCell.call``), which is exactly
  PyTorch's GRU, so for ``z`` and ``r`` the two rows are additive storage of one effective bias and
  for ``h`` row 1 is ``b_hn`` (role ``bias_hn``).
* GRU with ``reset_after=False`` computes ``h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h)``: a different cell
  (`GRU_RESET_BEFORE`) with one bias.
"""

from __future__ import annotations

from rnninit.layout.kinds import ELMAN, GRU, GRU_RESET_BEFORE, LSTM, CellKind
from rnninit.layout.storage import CellLayout, Placement, Slot, gate_slice, role_slots

#: Keras' gate order, in the neutral gate names (Keras ``c`` = ``g``, ``h`` = ``n``).
KERAS_GATE_ORDER = {
    "elman": (),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("z", "r", "n"),
    "gru_reset_before": ("z", "r", "n"),
}

#: The cell kind of each built-in Keras cell class name.
KERAS_CELL_KINDS = {"SimpleRNNCell": ELMAN, "LSTMCell": LSTM, "GRUCell": GRU}


def keras_cell_layout(
    kind: CellKind,
    *,
    input_size: int,
    units: int,
    use_bias: bool = True,
    reset_after: bool = True,
    source: str = "",
) -> tuple[CellLayout, dict[str, tuple[int, ...]]]:
    """Layout of one built-in Keras cell, with its variables' local names (``kernel``, ...).

    ``kind`` is the cell's kind for ``reset_after=True`` (``GRU``); a GRU with ``reset_after=False``
    is laid out as `GRU_RESET_BEFORE`. Returns the layout (path ``""``, layer 0, direction 0)
    and the variables it owns (local name -> shape).
    """
    if kind is GRU and not reset_after:
        kind = GRU_RESET_BEFORE
    order = KERAS_GATE_ORDER[kind.name]
    g = max(len(kind.gates), 1)
    sizes = {"input": input_size, "hidden": units, "state": units, "layers": 1, "directions": 1}
    tensors: dict[str, tuple[int, ...]] = {
        "kernel": (input_size, g * units),
        "recurrent_kernel": (units, g * units),
    }
    slots: list[Slot] = []
    slots += role_slots(kind, kind.role("ih"), sizes, ["kernel"], gate_order=order, transpose=True)
    slots += role_slots(kind, kind.role("hh"), sizes, ["recurrent_kernel"], gate_order=order, transpose=True)
    if use_bias:
        if kind is GRU:
            tensors["bias"] = (2, g * units)
            slots += _gru_reset_after_biases(units, order)
        else:
            tensors["bias"] = (g * units,)
            slots += role_slots(kind, kind.role("bias"), sizes, ["bias"], gate_order=order)
    cell = CellLayout(path="", kind=kind, sizes=sizes, slots=tuple(slots), framework="keras", source=source)
    return cell, tensors


def _gru_reset_after_biases(units: int, order: tuple[str, ...]) -> list[Slot]:
    def at(row: int, gate: str) -> Placement:
        return Placement("bias", (row, gate_slice(order, gate, units)))

    return [
        Slot("bias", "r", (units,), (at(0, "r"), at(1, "r"))),
        Slot("bias", "z", (units,), (at(0, "z"), at(1, "z"))),
        Slot("bias", "n", (units,), (at(0, "n"),)),
        Slot("bias_hn", None, (units,), (at(1, "n"),)),
    ]
