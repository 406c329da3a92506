"""Find the recurrent cells in a Keras layer or model and build its `ModelLayout`.

Recognized cells: Keras' ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` (also inside ``SimpleRNN``,
``LSTM``, ``GRU``, ``keras.layers.RNN``, ``StackedRNNCells`` and ``Bidirectional``), rnninit's own
cells, and users' cells that declare their weights' roles with a class attribute::

    class MyCell(keras.layers.Layer):
        rnninit_roles = {"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}   # add_weight names
        rnninit_kind = "elman"                                                  # optional

Identity of a block (what its random stream derives from): ``path`` is the slash-joined layer
names from the object passed in ('' for the object itself); a ``Bidirectional`` wrapper's forward
layer is direction 0 and its backward layer direction 1; the k-th cell of ``StackedRNNCells`` is
layer k (a nested ``StackedRNNCells`` counts as its cells, in order). So an ``LSTM`` layer passed
alone has the identity of a ``torch.nn.LSTM`` passed alone.

Tensor names are the variables' paths within the object passed in: ``kernel`` for a cell or
layer passed alone, ``lstm/kernel`` inside a model, ``bi/backward/kernel`` for a Bidirectional's
backward layer, ``rnn/cells/1/kernel`` for the second stacked cell (``rnn/cells/1/cells/0/kernel`` for
the first cell of a stack nested there).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import keras
import numpy as np

from rnninit.errors import LayoutError
from rnninit.layout.declared import declared_layout
from rnninit.layout.keras_builtin import keras_cell_layout
from rnninit.layout.kinds import ELMAN, GRU, LSTM
from rnninit.layout.storage import CellLayout, ModelLayout
from rnninit.layout.storage import relocate as relocate_cells

Owned = tuple[list[CellLayout], dict[str, tuple[int, ...]]]


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
            found, tensors = keras_cell_layout(
                kind,
                input_size=int(cell.kernel.shape[0]),
                units=int(cell.units),
                use_bias=bool(cell.use_bias),
                reset_after=bool(getattr(cell, "reset_after", True)),
                source=f"keras.layers.{cls.__name__}",
            )
            return [found], tensors
    return None


def cell_variables(cell: keras.layers.Layer) -> dict[str, keras.Variable]:
    """Every weight of ``cell`` by a name local to it that identifies it: its attribute path
    (``kernel``, ``kernel_norm.gamma`` for a sub-layer's, ``cells.1.kernel`` in a list), or, for a
    weight no attribute holds, its variable path relative to the cell. Never the short ``v.name``,
    which two weights of one cell may share."""
    by_id: dict[int, str] = {}

    def visit(obj, prefix: str, depth: int) -> None:
        if depth > 8:
            return
        items = vars(obj).items() if isinstance(obj, keras.layers.Layer) else enumerate(obj)
        for key, value in items:
            if isinstance(key, str) and key.startswith("_"):
                continue
            name = f"{prefix}{key}"
            if isinstance(value, keras.Variable):
                by_id.setdefault(id(value), name)
            elif isinstance(value, keras.layers.Layer):
                visit(value, name + ".", depth + 1)
            elif isinstance(value, (list, tuple)) and any(
                isinstance(v, (keras.Variable, keras.layers.Layer)) for v in value
            ):
                visit(value, name + ".", depth + 1)

    visit(cell, "", 0)
    base = getattr(cell, "path", None) or ""
    out: dict[str, keras.Variable] = {}
    for v in cell.weights:
        name = by_id.get(id(v))
        if name is None:
            name = v.path[len(base) + 1 :] if base and v.path.startswith(base + "/") else v.path
        out[name] = v
    return out


def _declared_names(
    cell: keras.layers.Layer, roles: Mapping[str, str], variables: Mapping[str, keras.Variable]
):
    """Map each declared name to the cell's local name of that weight: an attribute path as is, or a
    short variable name (``add_weight(name=...)``) that exactly one weight of the cell has."""
    names: dict[str, str] = {}
    for key in roles:
        if key in variables:
            names[key] = key
            continue
        matches = [local for local, v in variables.items() if v.name == key]
        if len(matches) == 1:
            names[key] = matches[0]
        elif matches:
            raise LayoutError(
                f"the cell {cell.name!r} has several weights named {key!r} ({', '.join(matches)}); declare "
                "them by attribute path instead"
            )
        else:
            raise LayoutError(
                f"the cell {cell.name!r} declares {key!r}, which is not one of its weights; weights: "
                f"{', '.join(variables)}"
            )
    return names


def declared_cell_layout(
    cell: keras.layers.Layer, variables: Mapping[str, keras.Variable] | None = None
) -> Owned:
    """The local layout of a user's cell from its ``rnninit_roles`` (and ``rnninit_kind``) attributes.

    Weights are named by attribute path (``kernel``, ``kernel_norm.gamma``) or by a short variable name
    that only one of the cell's weights has."""
    roles: Mapping[str, str] = cell.rnninit_roles
    variables = cell_variables(cell) if variables is None else variables
    names = _declared_names(cell, roles, variables)
    shapes = {key: tuple(int(d) for d in variables[names[key]].shape) for key in roles}
    return declared_layout(
        shapes,
        roles,
        kind=getattr(cell, "rnninit_kind", None),
        transpose=True,
        framework="keras",
        source=type(cell).__name__,
        names=names,
    )


def is_cell(layer: object) -> bool:
    return (
        callable(getattr(layer, "rnninit_layout", None))
        or isinstance(getattr(layer, "rnninit_roles", None), Mapping)
        or isinstance(layer, (keras.layers.LSTMCell, keras.layers.GRUCell, keras.layers.SimpleRNNCell))
    )


def local_cell_layout(
    cell: keras.layers.Layer, variables: Mapping[str, keras.Variable] | None = None
) -> Owned | None:
    """The layouts of one cell with local names and identity ('', layer 0, direction 0, unless the
    declaration addresses layers or directions)."""
    if callable(getattr(cell, "rnninit_layout", None)):
        found, tensors = cell.rnninit_layout()
        return [found], tensors
    if isinstance(getattr(cell, "rnninit_roles", None), Mapping):
        return declared_cell_layout(cell, variables)
    return builtin_cell_layout(cell)


def relocate(owned: Owned, **identity) -> Owned:
    """Give a local cell layout its identity in a model, and its tensors their names there
    (`rnninit.layout.storage.relocate`)."""
    return relocate_cells(*owned, **identity)


def _cell(
    cell, where: str, strict: bool, skipped: list[str], **identity
) -> tuple[list[CellLayout], dict, dict] | None:
    label = identity["path"] or "<model>"
    prefix = identity.pop("prefix")
    if not cell.built:
        raise LayoutError(
            f"{label}: the cell {cell.name!r} is not built yet, so it has no weights; build the model first "
            "(call it on data, or model.build(input_shape))"
        )
    variables = cell_variables(cell)
    try:
        owned = local_cell_layout(cell, variables)
    except LayoutError as exc:
        raise LayoutError(f"{label} ({type(cell).__name__}): {exc}") from None
    if owned is None:
        if strict:
            raise LayoutError(
                f"{where}: rnninit does not know the cell {type(cell).__name__} ({cell.name!r}). Declare its "
                "weights' roles with a class attribute, e.g. rnninit_roles = {'kernel': 'ih', "
                "'recurrent_kernel': 'hh', 'bias': 'bias'}, or pass strict=False to leave it untouched"
            )
        skipped += [prefix + name for name in variables]
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
    unexplained = [name for name in variables if name not in tensors]
    if strict and unexplained:
        raise LayoutError(
            f"{label} ({type(cell).__name__}) has weights that no layout explains: {', '.join(unexplained)}. "
            "Declare their roles (rnninit_roles), or pass strict=False to leave them untouched (they are "
            "then listed as skipped)."
        )
    skipped += [prefix + name for name in unexplained]
    moved, named = relocate(owned, prefix=prefix, **identity)
    return moved, named, {prefix + name: variables[name] for name in tensors}


def _cells(
    cell,
    path: str,
    prefix: str,
    strict: bool,
    skipped: list[str],
    direction: int = 0,
    num_directions: int = 1,
):
    """One cell, or each cell of a ``StackedRNNCells`` (the k-th is layer k)."""
    where = path or "<model>"
    if isinstance(cell, keras.layers.StackedRNNCells):
        stacked = _stacked(cell, prefix)
        for k, (sub, sub_prefix) in enumerate(stacked):
            yield _cell(
                sub,
                where,
                strict,
                skipped,
                path=path,
                prefix=sub_prefix,
                layer=k,
                num_layers=len(stacked),
                direction=direction,
                num_directions=num_directions,
            )
        return
    yield _cell(
        cell,
        where,
        strict,
        skipped,
        path=path,
        prefix=prefix,
        direction=direction,
        num_directions=num_directions,
    )


def _stacked(stack: keras.layers.StackedRNNCells, prefix: str) -> list[tuple[keras.layers.Layer, str]]:
    """The cells of a ``StackedRNNCells`` in the order its input flows through them, each with its
    name prefix (``cells/k/``); a nested ``StackedRNNCells`` contributes its cells, in order."""
    out: list[tuple[keras.layers.Layer, str]] = []
    for k, sub in enumerate(stack.cells):
        sub_prefix = f"{prefix}cells/{k}/"
        if isinstance(sub, keras.layers.StackedRNNCells):
            out += _stacked(sub, sub_prefix)
        else:
            out.append((sub, sub_prefix))
    return out


def _walk(layer, path: str, prefix: str, strict: bool, skipped: list[str]) -> Iterator:
    if isinstance(layer, keras.layers.Bidirectional):
        yield from _cells(layer.forward_layer.cell, path, prefix + "forward/", strict, skipped, 0, 2)
        yield from _cells(layer.backward_layer.cell, path, prefix + "backward/", strict, skipped, 1, 2)
        return
    if isinstance(layer, keras.layers.RNN):
        yield from _cells(layer.cell, path, prefix, strict, skipped)
        return
    if is_cell(layer) or isinstance(layer, keras.layers.StackedRNNCells):
        yield from _cells(layer, path, prefix, strict, skipped)
        return
    seen: set[str] = set()
    for sub in layer._flatten_layers(include_self=False, recursive=False):
        if sub.name in seen:
            raise LayoutError(
                f"{path or '<model>'} has two sub-layers named {sub.name!r}; "
                "rnninit names blocks by layer names"
            )
        seen.add(sub.name)
        sub_path = f"{path}/{sub.name}" if path else sub.name
        yield from _walk(sub, sub_path, sub_path + "/", strict, skipped)


def find_cells(obj: object, *, strict: bool = True) -> Found:
    """Every recurrent cell in ``obj``, with the variable behind each tensor name."""
    if not isinstance(obj, keras.layers.Layer):
        raise LayoutError(f"expected a keras Layer or Model, got {type(obj).__name__}")
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    variables: dict[str, keras.Variable] = {}
    skipped: list[str] = []
    holders: dict[int, str] = {}
    for found in _walk(obj, "", "", strict, skipped):
        if found is None:
            continue
        found_cells, named, owned = found
        for name, variable in owned.items():
            other = holders.setdefault(id(variable), name)
            if other != name:
                raise LayoutError(
                    f"{other} and {name} are one variable (tied weights): initializing both would let one "
                    "silently overwrite the other. Untie them for apply, or leave the shared weight out of "
                    "one cell's declaration and pass strict=False"
                )
        cells.extend(found_cells)
        tensors.update(named)
        variables.update(owned)
    if not cells:
        raise LayoutError(
            f"{type(obj).__name__} contains no recurrent cell rnninit knows: expected SimpleRNN/LSTM/GRU "
            "(or their cells, in keras.layers.RNN or Bidirectional), an rnninit.keras cell, or a cell with "
            "rnninit_roles"
        )
    return Found(ModelLayout(tuple(cells), tensors, tuple(skipped)), variables)


def model_layout(obj: keras.layers.Layer, strict: bool = True) -> ModelLayout:
    """The layout of every recurrent cell in ``obj`` (a built Keras layer, cell or model).

    Each cell's blocks are named by this module's rules (path, layer, direction, and tensor names
    that are the variables' paths within ``obj``): the layout `rnninit.keras.apply` samples for.

    Args:
        obj: A *built* Keras layer, cell or model.
        strict: If true, a weight of a recognized cell that its layout does not explain, or a cell
            in a ``keras.layers.RNN`` that rnninit does not know, is an error; if false, it is left
            out and listed in the layout's ``skipped``.

    Returns:
        The cells found, in model order, and the shape of every tensor they use.

    Raises:
        LayoutError: ``obj`` is not a Keras layer, holds no recurrent cell rnninit knows, is not
            built yet, or has an unexplained weight (with ``strict``).

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> lstm = keras.layers.LSTM(4); lstm.build((None, 5, 3))
        >>> layout = rk.model_layout(lstm)
        >>> [cell.kind.name for cell in layout.cells], layout.tensors
        (['lstm'], {'kernel': (3, 16), 'recurrent_kernel': (4, 16), 'bias': (16,)})
    """
    return find_cells(obj, strict=strict).layout


def _variables(obj, names: Iterable[str]) -> dict[str, keras.Variable]:
    variables = find_cells(obj, strict=False).variables
    missing = sorted(set(names) - set(variables))
    if missing:
        raise LayoutError(
            f"no recurrent-cell weight named {', '.join(map(repr, missing))}; "
            f"known: {', '.join(sorted(variables))}"
        )
    return {name: variables[name] for name in names}


def read_arrays(obj: keras.layers.Layer, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Current values of the named weights, as float64 NumPy arrays.

    Args:
        obj: A built Keras layer, cell or model.
        names: Tensor names, as `model_layout` gives them (``kernel``, ``lstm/kernel``, ...).

    Returns:
        Each name's value, in Keras' storage orientation (matrices ``(in, gates·units)``).

    Raises:
        LayoutError: A name is no recurrent-cell weight of ``obj`` (the message lists the known
            ones), or ``obj`` is not a Keras layer.

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> lstm = keras.layers.LSTM(4); lstm.build((None, 5, 3))
        >>> {name: value.shape for name, value in rk.read_arrays(lstm, ["kernel", "bias"]).items()}
        {'kernel': (3, 16), 'bias': (16,)}
    """
    return {name: np.array(v.numpy(), dtype=np.float64) for name, v in _variables(obj, names).items()}


def write_arrays(obj: keras.layers.Layer, arrays: Mapping[str, np.ndarray], plan=None) -> None:
    """Assign ``arrays`` to the named weights (each keeps its dtype), all or none.

    Every weight is checked (shape, a context where assigning works) and every value converted and
    checked to be finite in the weight's dtype before any is written; a write that still fails
    restores what was written (`rnninit.writer.write_all`).

    Args:
        obj: A built Keras layer, cell or model.
        arrays: The new value of each named weight (names as `model_layout` gives them), in Keras'
            storage orientation.
        plan: The plan the values come from, if any: it lets an error name the block.

    Raises:
        LayoutError: A name is no recurrent-cell weight of ``obj`` (the message lists the known
            ones).
        StorageError: A value of the wrong shape, or not finite in its weight's dtype; nothing is
            changed.

    Examples:
        >>> import keras, numpy as np, rnninit.keras as rk
        >>> lstm = keras.layers.LSTM(4); lstm.build((None, 5, 3))
        >>> rk.write_arrays(lstm, {"bias": np.full(16, 0.5)})
        >>> float(lstm.cell.bias.numpy().min())
        0.5
    """
    from rnninit.keras.target import KerasTarget
    from rnninit.writer import write_all

    write_all(KerasTarget(_variables(obj, arrays)), arrays, plan)


__all__ = ["Found", "find_cells", "model_layout", "read_arrays", "relocate", "write_arrays"]
