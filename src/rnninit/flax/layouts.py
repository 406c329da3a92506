"""Find the recurrent cells in a Flax model and build its `ModelLayout`.

Recognized cells: Flax's built-ins (`rnninit.layout.flax_builtin`), alone or inside
``RNN``/``Bidirectional`` wrappers or any module around them, and users' cells that declare their
parameters' roles (`rnninit.flax.declare`). Other modules are walked into, never touched.

* **NNX** (``flax.nnx.Module``): the module graph is walked; parameters are the ``nnx.Param`` s
  found there, changed in place.
* **Linen** (``flax.linen.Module``): a Linen module holds no weights, and ``@compact`` modules create
  their sub-modules only while they run, so the model is traced once, abstractly
  (``jax.eval_shape`` of ``module.apply(variables, *args, **kwargs)``, nothing computed), with every
  module call intercepted to see which cell lives at which scope path. `linen` bundles
  the three.

Identity of a block (what its random stream derives from), as for ``torch.nn.LSTM``: a cell in an
``RNN`` has the path of the ``RNN``; a cell in an ``RNN`` that is the forward (backward) layer of
a ``Bidirectional`` has the path of the ``Bidirectional`` and direction 0 (1); any other cell has its
own path. Paths are dotted attribute names (nnx) or scope names (Linen) from the object passed in,
'' for the object itself: ``nnx.RNN(nnx.LSTMCell(...))`` alone has the identity of a
``torch.nn.LSTM`` alone. ``RNN(..., reverse=True)`` on its own is still direction 0: it is the only
direction it has.

Tensor names are dotted parameter paths: from the object passed in for nnx
(``forward_rnn.cell.hf.bias``), inside the ``params`` collection for Linen
(``LSTMCell_0.hf.bias``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import flax.linen as nn
import jax
import numpy as np
from flax import nnx, traverse_util

from rnninit.errors import LayoutError
from rnninit.flax.declare import declared_cell_layout, declares_roles
from rnninit.layout.flax_builtin import (
    UNSUPPORTED,
    UnsupportedCellError,
    flax_cell_layout,
    flax_cell_storage,
)
from rnninit.layout.storage import CellLayout, ModelLayout, relocate

#: A cell's local layout: its cells (one per declared layer and direction) and tensors by local name.
Owned = tuple[list[CellLayout], dict[str, tuple[int, ...]]]

#: Built-in cell classes, most derived first (a subclass of a built-in is laid out as the built-in).
_NNX_BUILTINS = (nnx.OptimizedLSTMCell, nnx.LSTMCell, nnx.GRUCell, nnx.SimpleCell)
_LINEN_BUILTINS = (
    nn.OptimizedLSTMCell,
    nn.LSTMCell,
    nn.GRUCell,
    nn.MGUCell,
    nn.SimpleCell,
    nn.ConvLSTMCell,
)


@dataclass(frozen=True)
class Linen:
    """A Linen model, its variables (what ``module.init`` returned) and the arguments of one call.

    Made by `linen`; accepted by ``rnninit.audit``, ``rnninit.describe`` and
    `rnninit.flax.model_layout`.

    Attributes:
        module: The Linen model.
        variables: What ``module.init`` returned (a dict with a ``params`` collection).
        args: The positional arguments of one ``module.apply(variables, ...)`` call.
        kwargs: The keyword arguments of that call.
    """

    module: nn.Module
    variables: Mapping[str, Any]
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def linen(module: nn.Module, variables: Mapping[str, Any], *args, **kwargs) -> Linen:
    """Bundle a Linen model with its variables and the arguments ``module.apply(variables, ...)`` takes.

    A Linen module holds no weights, and which cell owns which parameter is seen only by tracing a
    call: the bundle gives rnninit all three.

    Args:
        module: A ``flax.linen`` model.
        variables: What ``module.init`` returned: a dict with a ``params`` collection.
        *args: The positional arguments of ``module.apply(variables, ...)``.
        **kwargs: Its keyword arguments.

    Returns:
        The bundle.

    Raises:
        LayoutError: ``module`` is not a Linen module, or ``variables`` has no ``params``
            collection.

    Examples:
        >>> import jax, jax.numpy as jnp, flax.linen as nn, rnninit as ri, rnninit.flax as rf
        >>> model, x, spec = nn.RNN(nn.LSTMCell(16)), jnp.ones((2, 5, 8)), "ih=normal(std=0.5) hh=orthogonal"
        >>> variables, _ = rf.apply_linen(spec, model, model.init(jax.random.key(0), x), x, seed=0)
        >>> ri.audit(rf.linen(model, variables, x), spec).ok
        True
    """
    if not isinstance(module, nn.Module):
        raise LayoutError(f"linen() needs a flax.linen.Module, got {type(module).__name__}")
    if not isinstance(variables, Mapping) or not isinstance(variables.get("params"), Mapping):
        got = sorted(variables) if isinstance(variables, Mapping) else type(variables).__name__
        raise LayoutError(
            "expected the variables module.init returns, a dict with a 'params' collection "
            f"({{'params': {{...}}}}), got {got}"
        )
    return Linen(module, variables, tuple(args), dict(kwargs))


@dataclass
class Found:
    """Every recurrent cell found in a model, and where each tensor name points."""

    layout: ModelLayout
    #: nnx: tensor name -> its ``nnx.Param``. Linen: tensor name -> its key path in ``params``.
    where: dict[str, Any]
    #: tensor name -> its current value (a jax array)
    values: dict[str, Any]


def _dotted(path: Iterable) -> str:
    return ".".join(str(k) for k in path)


# -- NNX -------------------------------------------------------------------------------------------


def _nnx_params(module: nnx.Module) -> dict[str, nnx.Param]:
    return {_dotted(p): v for p, v in nnx.iter_graph(module) if isinstance(v, nnx.Param)}


def _claim(identities: dict[int, tuple], cell: object, identity: tuple, where: str) -> None:
    if cell is None:
        return
    if id(cell) in identities:
        first = identities[id(cell)][0] or "<model>"
        raise LayoutError(
            f"one cell object is used by two sequence wrappers ({first} and {where or '<model>'}): their "
            "weights are shared, and rnninit initializes each weight once; give each wrapper its own cell"
        )
    identities[id(cell)] = identity


def _nnx_identities(modules: Sequence[tuple[tuple, object]]) -> dict[int, tuple[str, int, int]]:
    """``id(cell) -> (path, direction, num_directions)`` for the cells inside RNN/Bidirectional."""
    identities: dict[int, tuple[str, int, int]] = {}
    in_bidirectional: set[int] = set()
    for path, module in modules:
        if isinstance(module, nnx.Bidirectional):
            where = _dotted(path)
            if module.forward_rnn is module.backward_rnn:
                raise LayoutError(
                    f"{where or '<model>'}: the Bidirectional's forward_rnn and backward_rnn are one object, "
                    "so both directions share their weights; give each direction its own RNN and cell"
                )
            for direction, rnn in enumerate((module.forward_rnn, module.backward_rnn)):
                in_bidirectional.add(id(rnn))
                _claim(identities, getattr(rnn, "cell", None), (where, direction, 2), where)
    for path, module in modules:
        if isinstance(module, nnx.RNN) and id(module) not in in_bidirectional:
            _claim(identities, module.cell, (_dotted(path), 0, 1), _dotted(path))
    return identities


def _nnx_local_layout(cell: nnx.Module, shapes: dict[str, tuple[int, ...]], where: str) -> Owned | None:
    """The local layout (tensor names inside the cell) of a declared or built-in nnx cell, or ``None``."""
    if declares_roles(cell):
        return declared_cell_layout(cell, shapes, where)
    for cls in _NNX_BUILTINS:
        if isinstance(cell, cls):
            storage = flax_cell_storage("nnx", cls.__name__, residual=bool(getattr(cell, "residual", False)))
            if storage is None:
                return None
            laid, tensors = flax_cell_layout(
                storage,
                input_size=int(cell.in_features),
                hidden_size=int(cell.hidden_features),
                source=f"flax.nnx.{cls.__name__}",
            )
            return [laid], tensors
    return None


def _is_nnx_cell(module: object) -> bool:
    return declares_roles(module) or isinstance(module, nnx.RNNCellBase)


def find_nnx_cells(model: nnx.Module, *, strict: bool = True) -> Found:
    """Every recurrent cell in an nnx module, with the ``nnx.Param`` behind each tensor name."""
    modules = [(tuple(p), m) for p, m in nnx.iter_modules(model)]
    identities = _nnx_identities(modules)
    cell_paths = [p for p, m in modules if _is_nnx_cell(m)]
    candidates = []
    for path, module in modules:
        if not _is_nnx_cell(module) or any(p != path and path[: len(p)] == p for p in cell_paths):
            continue  # not a cell, or inside a cell (a cell's own sub-layers)
        params = _nnx_params(module)
        shapes = {name: tuple(p.get_value().shape) for name, p in params.items()}
        identity = identities.get(id(module), (_dotted(path), 0, 1))
        candidates.append(_Candidate(path, module, shapes, params, identity))
    layout, where = _collect(candidates, _nnx_local_layout, strict, type(model).__name__)
    _refuse_shared({name: id(param) for name, param in where.items()})
    return Found(layout, where, {name: param.get_value() for name, param in where.items()})


# -- Linen ------------------------------------------------------------------------------------------


@dataclass
class _Trace:
    cells: dict[tuple, nn.Module] = field(default_factory=dict)
    rnn_cell: dict[tuple, tuple] = field(default_factory=dict)  # RNN path -> its cell's path
    bidirectional: dict[tuple, tuple[tuple, tuple]] = field(default_factory=dict)


def _scope_path(module) -> tuple | None:
    scope = getattr(module, "scope", None)
    return tuple(scope.path) if scope is not None else None


def _bound_path(module, owner: tuple, attribute: str) -> tuple:
    """Where a wrapper's submodule lives; a submodule bound to no scope cannot be placed, so it is an
    error rather than a direction or a cell silently left out."""
    path = _scope_path(module)
    if path is None:
        raise LayoutError(
            f"{_dotted(owner) or '<model>'}: its {attribute} is not bound to the model, so rnninit cannot "
            "tell where its weights live; define it as a submodule of the model"
        )
    return path


def _is_linen_cell(module: object) -> bool:
    return declares_roles(module) or isinstance(module, nn.RNNCellBase)


def _trace(bundle: Linen) -> _Trace:
    trace = _Trace()

    def intercept(next_fun, args, kwargs, context):
        module = context.module
        path = _scope_path(module)  # None only for a module not bound to a scope, which apply never calls
        if context.method_name == "__call__" and path is not None:
            if isinstance(module, nn.Bidirectional):
                forward = _bound_path(module.forward_rnn, path, "forward_rnn")
                backward = _bound_path(module.backward_rnn, path, "backward_rnn")
                if forward == backward:
                    raise LayoutError(
                        f"{_dotted(path) or '<model>'}: the Bidirectional's forward_rnn and backward_rnn are "
                        "one module, so both directions share their weights; give each direction its own RNN "
                        "and cell"
                    )
                trace.bidirectional[path] = (forward, backward)
            elif isinstance(module, nn.RNN):
                trace.rnn_cell[path] = _bound_path(module.cell, path, "cell")
            elif _is_linen_cell(module):
                trace.cells.setdefault(path, module)
        return next_fun(*args, **kwargs)

    try:
        with nn.intercept_methods(intercept):
            jax.eval_shape(lambda v: bundle.module.apply(v, *bundle.args, **bundle.kwargs), bundle.variables)
    except LayoutError:
        raise
    except Exception as exc:  # whatever the model raises: say what rnninit was doing
        raise LayoutError(
            f"could not trace {type(bundle.module).__name__}.apply(variables, *args, **kwargs) to find its "
            f"cells ({type(exc).__name__}: {exc}); pass rnninit.flax the arguments your model's apply takes"
        ) from exc
    return trace


def _linen_identities(trace: _Trace) -> dict[tuple, tuple[str, int, int]]:
    directions: dict[tuple, tuple[str, int, int]] = {}
    for path, (forward, backward) in trace.bidirectional.items():
        directions[forward] = (_dotted(path), 0, 2)
        directions[backward] = (_dotted(path), 1, 2)
    identities: dict[tuple, tuple[str, int, int]] = {}
    for rnn, cell in trace.rnn_cell.items():
        if cell in identities:
            raise LayoutError(
                f"the cell {_dotted(cell)} is used by two sequence wrappers: its weights are shared, and "
                "rnninit initializes each weight once; give each wrapper its own cell"
            )
        identities[cell] = directions.get(rnn, (_dotted(rnn), 0, 1))
    return identities


def _linen_local_layout(cell: nn.Module, shapes: dict[str, tuple[int, ...]], where: str) -> Owned | None:
    if declares_roles(cell):
        return declared_cell_layout(cell, shapes, where)
    for cls in _LINEN_BUILTINS:
        if isinstance(cell, cls):
            storage = flax_cell_storage(
                "linen",
                cls.__name__,
                residual=bool(getattr(cell, "residual", False)),
                reset_gate=bool(getattr(cell, "reset_gate", True)),
            )
            if storage is None:
                return None
            if storage.input_kernel not in shapes:
                raise LayoutError(
                    f"{where}: the flax.linen.{cls.__name__} there has no parameter "
                    f"{storage.input_kernel} in variables['params'] (found: "
                    f"{', '.join(sorted(shapes)) or 'nothing'}); pass the variables its init returned"
                )
            laid, tensors = flax_cell_layout(
                storage,
                input_size=shapes[storage.input_kernel][0],
                hidden_size=int(cell.features),
                source=f"flax.linen.{cls.__name__}",
            )
            return [laid], tensors
    return None


def find_linen_cells(bundle: Linen, *, strict: bool = True) -> Found:
    """Every recurrent cell of a traced Linen model, with the key path of each tensor in ``params``."""
    trace = _trace(bundle)
    identities = _linen_identities(trace)
    flat = {tuple(k): v for k, v in traverse_util.flatten_dict(bundle.variables["params"]).items()}
    candidates = []
    for path, module in trace.cells.items():
        if any(p != path and path[: len(p)] == p for p in trace.cells):
            continue  # a cell's own sub-module
        keys = {_dotted(k[len(path) :]): k for k in flat if k[: len(path)] == path}
        shapes = {name: tuple(np.shape(flat[key])) for name, key in keys.items()}
        identity = identities.get(path, (_dotted(path), 0, 1))
        candidates.append(_Candidate(path, module, shapes, keys, identity))
    layout, where = _collect(candidates, _linen_local_layout, strict, type(bundle.module).__name__)
    return Found(layout, where, {name: flat[key] for name, key in where.items()})


# -- shared -----------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    """A module that is a recurrent cell, with its parameters by local name."""

    path: tuple
    module: object
    shapes: dict[str, tuple[int, ...]]
    #: local name -> what ``Found.where`` keeps for it (an ``nnx.Param``, or a key path in ``params``)
    handles: Mapping[str, Any]
    #: (identity path, direction, number of directions)
    identity: tuple[str, int, int]


def _collect(
    candidates: list[_Candidate], local_layout: Callable, strict: bool, type_name: str
) -> tuple[ModelLayout, dict[str, Any]]:
    """The model layout of the candidate cells, and the handle behind each tensor name. With
    ``strict=False`` a cell no layout describes, and parameters a layout leaves out, are skipped and
    listed in the layout's ``skipped``."""
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    where: dict[str, Any] = {}
    skipped: list[str] = []
    for candidate in candidates:
        name = _dotted(candidate.path) or "<model>"
        prefix = f"{_dotted(candidate.path)}." if candidate.path else ""
        try:
            owned = local_layout(candidate.module, candidate.shapes, name)
            if owned is None:
                raise _unknown_cell(name, candidate.module)
        except UnsupportedCellError:
            if strict:
                raise
            skipped += [prefix + local for local in candidate.shapes]
            continue
        local_cells, owned_tensors = owned
        unexplained = _check_owned(
            name, type(candidate.module).__name__, owned_tensors, candidate.shapes, strict
        )
        skipped += [prefix + local for local in unexplained]
        identity_path, direction, directions = candidate.identity
        moved, named = relocate(
            local_cells,
            owned_tensors,
            path=identity_path,
            prefix=prefix,
            direction=direction,
            num_directions=directions,
        )
        cells += moved
        tensors.update(named)
        where.update({prefix + local: candidate.handles[local] for local in owned_tensors})
    return _model_layout(cells, tensors, skipped, type_name), where


def _check_owned(name: str, type_name: str, owned: Mapping, params: Mapping, strict: bool) -> list[str]:
    """Check the layout's tensors against the cell's parameters; the parameters it leaves out."""
    for tensor, shape in owned.items():
        if tensor not in params:
            raise LayoutError(
                f"{name}: the layout of {type_name} names parameter {tensor!r}, which it does not have"
            )
        if tuple(params[tensor]) != tuple(shape):
            raise LayoutError(
                f"{name}: {tensor} has shape {tuple(params[tensor])}, but its layout expects {shape}"
            )
    unexplained = sorted(set(params) - set(owned))
    if strict and unexplained:
        raise LayoutError(
            f"{name} ({type_name}) has parameters that no layout explains: {', '.join(unexplained)}. Declare "
            "their roles (rnninit_roles, rnninit.flax.declare), or pass strict=False to leave them untouched "
            "(they are then listed as skipped)."
        )
    return unexplained


def _unknown_cell(name: str, module: object) -> LayoutError:
    return UnsupportedCellError(
        f"{name}: rnninit does not know the cell {type(module).__name__}. Declare its parameters' roles "
        "(a class attribute rnninit_roles = {'W': 'ih', 'U': 'hh', 'b': 'bias'}, or rnninit.flax.declare "
        "on an nnx cell or a Linen class), or pass strict=False to leave it untouched"
    )


def _refuse_shared(identity_of: Mapping[str, int]) -> None:
    seen: dict[int, str] = {}
    for name, key in identity_of.items():
        if key in seen:
            raise LayoutError(
                f"{seen[key]} and {name} are one parameter (tied weights): rnninit initializes each weight "
                "once; untie them"
            )
        seen[key] = name


def _model_layout(cells: list[CellLayout], tensors: dict, skipped: list[str], type_name: str) -> ModelLayout:
    """The model's layout, its cells in the order torch lists them: per path, by layer, then direction."""
    first: dict[str, int] = {}
    for cell in cells:
        first.setdefault(cell.path, len(first))
    cells = sorted(cells, key=lambda c: (first[c.path], c.layer, c.direction))
    if not cells:
        raise LayoutError(
            f"{type_name} contains no recurrent cell rnninit knows: expected a Flax SimpleCell, LSTMCell, "
            "OptimizedLSTMCell, GRUCell or MGUCell (alone, in RNN or Bidirectional), or a cell that declares "
            f"rnninit_roles (Flax cells without a layout: {', '.join(UNSUPPORTED)})"
        )
    return ModelLayout(tuple(cells), tensors, tuple(skipped))


def find_cells(model: object, *, strict: bool = True) -> Found:
    """Every recurrent cell of an nnx module or of a `Linen` bundle."""
    if isinstance(model, Linen):
        return find_linen_cells(model, strict=strict)
    if isinstance(model, nnx.Module):
        return find_nnx_cells(model, strict=strict)
    if isinstance(model, nn.Module):
        raise LayoutError(
            f"a Linen module ({type(model).__name__}) holds no weights: pass rnninit.flax.linen(model, "
            "variables, *inputs) (or use rnninit.flax.apply_linen to initialize its variables)"
        )
    raise LayoutError(f"expected a flax.nnx.Module or rnninit.flax.linen(...), got {type(model).__name__}")


def model_layout(model: object, strict: bool = True) -> ModelLayout:
    """The layout of every recurrent cell in an nnx module or a `Linen` bundle.

    Tensor names are the parameters' dotted paths (``cell.hf.bias``); block identities follow the
    same rules as in PyTorch and Keras, so an int seed gives the same numbers in every framework.

    Args:
        model: An ``flax.nnx`` module, or a Linen model bundled by `linen`.
        strict: If true, a parameter of a recognized cell that no layout explains is an error; if
            false, it is left out and listed in the layout's ``skipped``.

    Returns:
        The cells found, in model order, and the shape of every tensor they use.

    Raises:
        LayoutError: ``model`` is neither, holds no recurrent cell rnninit knows, its trace fails
            (Linen), or has an unexplained parameter (with ``strict``).

    Examples:
        >>> from flax import nnx
        >>> import rnninit.flax as rf
        >>> layout = rf.model_layout(nnx.RNN(nnx.GRUCell(3, 4, rngs=nnx.Rngs(0))))
        >>> [cell.kind.name for cell in layout.cells], layout.tensors["cell.dense_h.kernel"]
        (['gru'], (4, 12))
    """
    return find_cells(model, strict=strict).layout


def _all_params(model: object) -> dict[str, Any]:
    """Every parameter of an nnx module or a Linen bundle by its tensor name (dotted path)."""
    if isinstance(model, Linen):
        flat = traverse_util.flatten_dict(model.variables["params"])
        return {_dotted(k): v for k, v in flat.items()}
    if isinstance(model, nnx.Module):
        return {_dotted(p): v.get_value() for p, v in nnx.iter_graph(model) if isinstance(v, nnx.Param)}
    find_cells(model)  # raises the error for what this is
    return {}


def read_arrays(model: object, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Current values of the named parameters, as float64 NumPy arrays.

    Args:
        model: An ``flax.nnx`` module, or a Linen model bundled by `linen`.
        names: Parameter names, dotted paths as `model_layout` gives them (``cell.hf.bias``).

    Returns:
        Each name's value, in Flax's storage orientation (matrices ``(in, out)``).

    Raises:
        LayoutError: A name is no parameter of ``model`` (the message lists the known ones), or
            ``model`` is neither an nnx module nor a `Linen` bundle.

    Examples:
        >>> from flax import nnx
        >>> import rnninit.flax as rf
        >>> lstm = nnx.RNN(nnx.LSTMCell(3, 4, rngs=nnx.Rngs(0)))
        >>> rf.read_arrays(lstm, ["cell.hf.kernel"])["cell.hf.kernel"].dtype
        dtype('float64')
    """
    values = _all_params(model)
    names = list(names)
    missing = sorted(set(names) - set(values))
    if missing:
        raise LayoutError(
            f"no parameter named {', '.join(map(repr, missing))}; known: {', '.join(sorted(values))}"
        )
    return {name: np.asarray(values[name], dtype=np.float64) for name in names}


def param_dtypes(model: object, names: Iterable[str]) -> dict[str, str]:
    """The dtype name of each named parameter (``"bfloat16"``, ...)."""
    values = _all_params(model)
    return {name: str(np.asarray(values[name]).dtype) for name in names if name in values}


def owners(model: object) -> list[tuple[str, dict[str, tuple[str, tuple[int, ...]]]]]:
    """Every parameter of the model grouped by the module that owns it (for roles given by name)."""
    groups: dict[str, dict[str, tuple[str, tuple[int, ...]]]] = {}
    for name, value in _all_params(model).items():
        owner, _, local = name.rpartition(".")
        groups.setdefault(owner, {})[local] = (name, tuple(np.shape(value)))
    return list(groups.items())


__all__ = ["Found", "Linen", "find_cells", "linen", "model_layout", "owners", "read_arrays"]
