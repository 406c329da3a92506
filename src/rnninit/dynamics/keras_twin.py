"""Keras cells, diagnosed through their PyTorch twin.

A Keras cell (built-in ``SimpleRNNCell``/``LSTMCell``/``GRUCell`` or an ``rnninit.keras`` cell) and a
PyTorch cell of the same kind compute the same function once their *effective* role/gate blocks are
equal: the layouts already say where each block lives in either framework (Keras' transposed,
``i f c o``/``z r h``-ordered storage; PyTorch's two additive biases). So `torch_twin` reads
every block of the Keras cell through its layout and writes it into a float64 PyTorch cell through
that cell's layout, and the diagnosis runs on the twin. Only cells whose equations have an exact
PyTorch twin are accepted (a GRU with ``reset_after=False`` or non-default activations are refused).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError
from rnninit.torch.layouts import model_layout as torch_layout
from rnninit.torch.layouts import read_arrays as torch_read
from rnninit.torch.layouts import write_arrays as torch_write


def _name(activation: object) -> str:
    return activation if isinstance(activation, str) else getattr(activation, "__name__", repr(activation))


def _require(cell: object, attribute: str, allowed: tuple[str, ...]) -> str:
    if not hasattr(cell, attribute):
        return allowed[0]
    name = _name(getattr(cell, attribute))
    if name not in allowed:
        raise DynamicsError(
            f"{type(cell).__name__} has {attribute}={name!r}, which no PyTorch cell computes; "
            f"a diagnosis needs {attribute} in {allowed}"
        )
    return name


def _elman(cell, i: int, h: int, bias: bool) -> nn.Module:
    return nn.RNNCell(i, h, bias=bias, nonlinearity=_require(cell, "activation", ("tanh", "relu")))


def _lstm(cell, i: int, h: int, bias: bool) -> nn.Module:
    _require(cell, "activation", ("tanh",))
    _require(cell, "recurrent_activation", ("sigmoid",))
    return nn.LSTMCell(i, h, bias=bias)


def _gru(cell, i: int, h: int, bias: bool) -> nn.Module:
    _require(cell, "activation", ("tanh",))
    _require(cell, "recurrent_activation", ("sigmoid",))
    return nn.GRUCell(i, h, bias=bias)


def _indrnn(cell, i: int, h: int, bias: bool) -> nn.Module:
    from rnninit.torch import IndRNNCell

    return IndRNNCell(i, h, bias=bias, nonlinearity=_require(cell, "activation", ("relu", "tanh")))


def _minimalrnn(cell, i: int, h: int, bias: bool) -> nn.Module:
    from rnninit.torch import MinimalRNNCell

    return MinimalRNNCell(i, h, bias=bias)


#: cell kind -> (constructor of the PyTorch twin, state parts)
TWINS: dict[str, tuple[Callable[..., nn.Module], tuple[str, ...]]] = {
    "elman": (_elman, ("h",)),
    "lstm": (_lstm, ("h", "c")),
    "gru": (_gru, ("h",)),
    "indrnn": (_indrnn, ("h",)),
    "minimalrnn": (_minimalrnn, ("h",)),
}


def is_keras_cell(obj: object) -> bool:
    return type(obj).__module__.startswith(("keras", "rnninit.keras", "tf_keras"))


def torch_twin(cell) -> Stepper:
    """A float64 PyTorch cell computing what the built Keras ``cell`` computes, as a `Stepper`."""
    from rnninit.keras.layouts import is_cell
    from rnninit.keras.layouts import model_layout as keras_layout
    from rnninit.keras.layouts import read_arrays as keras_read

    if not is_cell(cell):
        raise DynamicsError(
            f"{type(cell).__name__} is not a recurrent cell rnninit knows; a diagnosis measures one cell "
            "step: pass the cell itself (e.g. layer.cell of a keras.layers.LSTM)"
        )
    if not getattr(cell, "built", False):
        raise DynamicsError(
            f"{type(cell).__name__} is not built yet: call it once or cell.build((None, input_size)) first"
        )
    layout = keras_layout(cell)
    found = layout.cells[0]
    twin = TWINS.get(found.kind.name)
    if twin is None:
        raise DynamicsError(
            f"a {found.kind.name} cell has no PyTorch twin to diagnose it with; "
            f"cells with one: {', '.join(TWINS)}"
        )
    build, parts = twin
    inputs, hidden = int(found.sizes["input"]), int(found.sizes["hidden"])
    has_bias = any(slot.role == "bias" for slot in found.slots)
    module = build(cell, inputs, hidden, has_bias).to(torch.float64)
    blocks = {
        (s.role, s.gate): s.read(keras_read(cell, {p.tensor for p in s.placements})) for s in found.slots
    }
    target = torch_layout(module).cells[0]
    arrays = torch_read(module, {p.tensor for s in target.slots for p in s.placements})
    missing = {(s.role, s.gate) for s in target.slots} ^ set(blocks)
    if missing:
        raise DynamicsError(
            f"the Keras and PyTorch {found.kind.name} layouts disagree on blocks {sorted(missing)}"
        )
    for slot in target.slots:
        slot.write(arrays, blocks[(slot.role, slot.gate)])
    torch_write(module, arrays)
    return Stepper(module, tuple((part, hidden) for part in parts), inputs)
