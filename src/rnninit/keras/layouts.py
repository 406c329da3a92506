"""Find the recurrent cells in a Keras layer or model and build its :class:`~rnninit.layout.ModelLayout`.

Recognized cells: Keras' ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` (also inside ``SimpleRNN``,
``LSTM``, ``GRU``, ``keras.layers.RNN``, ``StackedRNNCells`` and ``Bidirectional``), rnninit's own
cells, and users' cells that declare their weights' roles with a class attribute::

    class MyCell(keras.layers.Layer):
        rnninit_roles = {"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}   # add_weight names
        rnninit_kind = "elman"                                                  # optional

Identity of a block (what its random stream derives from): ``path`` is the slash-joined layer
names from the object passed in ('' for the object itself); a ``Bidirectional`` wrapper's forward
layer is direction 0 and its backward layer direction 1; the k-th cell of ``StackedRNNCells`` is
layer k. So an ``LSTM`` layer passed alone has the identity of a ``torch.nn.LSTM`` passed alone.

Tensor names are the variables' paths within the object passed in: ``kernel`` for a cell or
layer passed alone, ``lstm/kernel`` inside a model, ``bi/backward/kernel`` for a Bidirectional's
backward layer, ``rnn/cells/1/kernel`` for the second stacked cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

import keras
import numpy as np

from rnninit.errors import LayoutError
from rnninit.layout.cells import ELMAN, GRU, LSTM
from rnninit.layout.declared import declared_layout
from rnninit.layout.keras_builtin import keras_cell_layout
from rnninit.layout.storage import CellLayout, ModelLayout

Owned = tuple[CellLayout, dict[str, tuple[int, ...]]]


@dataclass
class Found:
    """Every recurrent cell found in an object: its layout and the variable behind each tensor name."""

    layout: ModelLayout
    variables: dict[str, keras.Variable]


def builtin_cell_layout(cell: keras.layers.Layer) -> Owned | None:
    """The local layout of a built-in Keras cell (variables named ``kernel``, ...), or ``None``."""
    for cls, kind in (
        (keras.layers.LSTMCell, LSTM),
        (keras.layers.GRUCell, GRU),
        (keras.layers.SimpleRNNCell, ELMAN),
    ):
        if isinstance(cell, cls):
            return keras_cell_layout(
                kind,
                input_size=int(cell.kernel.shape[0]),
                units=int(cell.units),
                use_bias=bool(cell.use_bias),
                reset_after=bool(getattr(cell, "reset_after", True)),
                source=f"keras.layers.{cls.__name__}",
            )
    return None


def declared_cell_layout(cell: keras.layers.Layer) -> Owned:
    """The local layout of a user's cell from its ``rnninit_roles`` (and ``rnninit_kind``) attributes."""
    roles: Mapping[str, str] = cell.rnninit_roles
    shapes = {v.name: tuple(int(d) for d in v.shape) for v in cell.weights}
    return declared_layout(
        shapes,
        roles,
        kind=getattr(cell, "rnninit_kind", None),
        transpose=True,
        framework="keras",
        source=type(cell).__name__,
    )


def is_cell(layer: object) -> bool:
    return (
        callable(getattr(layer, "rnninit_layout", None))
        or isinstance(getattr(layer, "rnninit_roles", None), Mapping)
        or isinstance(layer, (keras.layers.LSTMCell, keras.layers.GRUCell, keras.layers.SimpleRNNCell))
    )


def local_cell_layout(cell: keras.layers.Layer) -> Owned | None:
    """The layout of one cell with local names and identity ('', layer 0, direction 0)."""
    if callable(getattr(cell, "rnninit_layout", None)):
        return cell.rnninit_layout()
    if isinstance(getattr(cell, "rnninit_roles", None), Mapping):
        return declared_cell_layout(cell)
    return builtin_cell_layout(cell)


def relocate(
    owned: Owned,
    *,
    path: str,
    prefix: str,
    layer: int = 0,
    direction: int = 0,
    num_layers: int = 1,
    num_directions: int = 1,
) -> Owned:
    """Give a local cell layout its identity in a model, and its tensors their names there."""
    cell, tensors = owned
    slots = tuple(
        replace(s, placements=tuple(replace(p, tensor=prefix + p.tensor) for p in s.placements))
        for s in cell.slots
    )
    sizes = {**cell.sizes, "layers": num_layers, "directions": num_directions}
    moved = replace(cell, path=path, layer=layer, direction=direction, slots=slots, sizes=sizes)
    return moved, {prefix + name: shape for name, shape in tensors.items()}


def _cell(cell, where: str, strict: bool, **identity) -> tuple[CellLayout, dict, dict] | None:
    label = identity["path"] or "<model>"
    if not cell.built:
        raise LayoutError(
            f"{label}: the cell {cell.name!r} is not built yet, so it has no weights; build the model first "
            "(call it on data, or model.build(input_shape))"
        )
    variables: dict[str, keras.Variable] = {}
    for v in cell.weights:
        if v.name in variables:
            raise LayoutError(
                f"{label}: the cell {cell.name!r} has two weights named {v.name!r}; give add_weight distinct names"
            )
        variables[v.name] = v
    owned = local_cell_layout(cell)
    if owned is None:
        if strict:
            raise LayoutError(
                f"{where}: rnninit does not know the cell {type(cell).__name__} ({cell.name!r}). Declare its weights' "
                "roles with a class attribute, e.g. rnninit_roles = {'kernel': 'ih', 'recurrent_kernel': 'hh', "
                "'bias': 'bias'}, or pass strict=False to leave it untouched"
            )
        return None
    _, tensors = owned
    for name, shape in tensors.items():
        if name not in variables:
            raise LayoutError(
                f"{label}: the layout of {cell.name!r} names weight {name!r}, which it does not have"
            )
        actual = tuple(int(d) for d in variables[name].shape)
        if actual != shape:
            raise LayoutError(f"{label}: {name} has shape {actual}, but its layout expects {shape}")
    unexplained = sorted(set(variables) - set(tensors))
    if strict and unexplained:
        raise LayoutError(
            f"{label} ({type(cell).__name__}) has weights that no layout explains: {', '.join(unexplained)}. Declare "
            "their roles (rnninit_roles), or pass strict=False to leave them untouched."
        )
    prefix = identity.pop("prefix")
    moved, named = relocate(owned, prefix=prefix, **identity)
    return moved, named, {prefix + name: variables[name] for name in tensors}


def _cells(cell, path: str, prefix: str, strict: bool, direction: int = 0, num_directions: int = 1):
    """One cell, or each cell of a ``StackedRNNCells`` (the k-th is layer k)."""
    where = path or "<model>"
    if isinstance(cell, keras.layers.StackedRNNCells):
        for k, sub in enumerate(cell.cells):
            yield _cell(
                sub,
                where,
                strict,
                path=path,
                prefix=f"{prefix}cells/{k}/",
                layer=k,
                num_layers=len(cell.cells),
                direction=direction,
                num_directions=num_directions,
            )
        return
    yield _cell(
        cell, where, strict, path=path, prefix=prefix, direction=direction, num_directions=num_directions
    )


def _walk(layer, path: str, prefix: str, strict: bool) -> Iterator:
    if isinstance(layer, keras.layers.Bidirectional):
        yield from _cells(layer.forward_layer.cell, path, prefix + "forward/", strict, 0, 2)
        yield from _cells(layer.backward_layer.cell, path, prefix + "backward/", strict, 1, 2)
        return
    if isinstance(layer, keras.layers.RNN):
        yield from _cells(layer.cell, path, prefix, strict)
        return
    if is_cell(layer) or isinstance(layer, keras.layers.StackedRNNCells):
        yield from _cells(layer, path, prefix, strict)
        return
    seen: set[str] = set()
    for sub in layer._flatten_layers(include_self=False, recursive=False):
        if sub.name in seen:
            raise LayoutError(
                f"{path or '<model>'} has two sub-layers named {sub.name!r}; rnninit names blocks by layer names"
            )
        seen.add(sub.name)
        sub_path = f"{path}/{sub.name}" if path else sub.name
        yield from _walk(sub, sub_path, sub_path + "/", strict)


def find_cells(obj: object, *, strict: bool = True) -> Found:
    """Every recurrent cell in ``obj``, with the variable behind each tensor name."""
    if not isinstance(obj, keras.layers.Layer):
        raise LayoutError(f"expected a keras Layer or Model, got {type(obj).__name__}")
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    variables: dict[str, keras.Variable] = {}
    for found in _walk(obj, "", "", strict):
        if found is None:
            continue
        cell, named, owned = found
        cells.append(cell)
        tensors.update(named)
        variables.update(owned)
    if not cells:
        raise LayoutError(
            f"{type(obj).__name__} contains no recurrent cell rnninit knows: expected SimpleRNN/LSTM/GRU (or their "
            "cells, in keras.layers.RNN or Bidirectional), an rnninit.keras cell, or a cell with rnninit_roles"
        )
    return Found(ModelLayout(tuple(cells), tensors), variables)


def model_layout(obj: keras.layers.Layer, strict: bool = True) -> ModelLayout:
    """The layout of every recurrent cell in ``obj`` (a built Keras layer, cell or model).

    With ``strict``, a weight of a recognized cell that its layout does not explain, or a cell in a
    ``keras.layers.RNN`` that rnninit does not know, is a :class:`~rnninit.errors.LayoutError`.
    """
    return find_cells(obj, strict=strict).layout


def _variables(obj, names: Iterable[str]) -> dict[str, keras.Variable]:
    variables = find_cells(obj, strict=False).variables
    missing = sorted(set(names) - set(variables))
    if missing:
        raise LayoutError(
            f"no recurrent-cell weight named {', '.join(map(repr, missing))}; known: {', '.join(sorted(variables))}"
        )
    return {name: variables[name] for name in names}


def read_arrays(obj: keras.layers.Layer, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Current values of the named weights, as float64 NumPy arrays."""
    return {name: np.array(v.numpy(), dtype=np.float64) for name, v in _variables(obj, names).items()}


def write_arrays(obj: keras.layers.Layer, arrays: Mapping[str, np.ndarray], plan=None) -> None:
    """Assign ``arrays`` to the named weights (each keeps its dtype), all or none.

    Every weight is checked (shape, a context where assigning works) and every value converted and
    checked to be finite in the weight's dtype before any is written; a write that still fails
    restores what was written (:func:`rnninit.writer.write_all`; ``plan`` lets its errors name the
    block). Raises :class:`~rnninit.errors.StorageError`, with nothing changed.
    """
    from rnninit.keras.target import KerasTarget
    from rnninit.writer import write_all

    write_all(KerasTarget(_variables(obj, arrays)), arrays, plan)


__all__ = ["Found", "find_cells", "model_layout", "read_arrays", "relocate", "write_arrays"]
