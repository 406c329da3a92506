"""Which framework a model belongs to, and its layout and tensor reader.

The audit never touches a framework directly: it gets a `ModelLayout`
and a function that reads named tensors as float64 arrays, from the same layout code ``apply``
uses (``rnninit.torch.layouts``, ``rnninit.keras.layouts``, ``rnninit.flax.layouts``). For a cell
no layout knows, the tensors are listed by owner (``Backend.owners``) so that declared or inferred
roles can describe it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from rnninit.errors import LayoutError
from rnninit.layout.storage import ModelLayout


@dataclass(frozen=True)
class Backend:
    """One framework's view of a model."""

    name: str
    #: ``model_layout(model, strict)``
    layout: Callable[..., ModelLayout]
    #: ``read_arrays(model, names)``
    read: Callable[..., dict[str, np.ndarray]]
    #: Groups of directly owned tensors: ``[(owner path, {local name: (qualified name, shape)})]``.
    owners: Callable[[object], list[tuple[str, dict[str, tuple[str, tuple[int, ...]]]]]]
    #: Framework storage transposes matrices (Keras stores ``(in, out)``).
    transpose: bool
    #: The preset that describes an untouched model of this framework (``None``: no one preset does).
    default_preset: str | None
    #: ``covered(model, layout)``: the names (as ``owners`` gives them) of the tensors ``layout`` covers.
    covered: Callable[[object, ModelLayout], set[str]] = lambda model, layout: set(layout.tensors)
    #: ``dtypes(model, names)``: the dtype name each named tensor is stored in (``"bfloat16"``, ...),
    #: so that exact checks allow for rounding to it.
    dtypes: Callable[..., dict[str, str]] = lambda model, names: {}


def _is_torch(model: object) -> bool:
    torch = sys.modules.get("torch")  # a torch module exists only if torch was imported
    return torch is not None and isinstance(model, torch.nn.Module)


def _is_keras(model: object) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(model, (keras.layers.Layer, keras.Model))


def _is_flax(model: object) -> bool:
    nnx = sys.modules.get("flax.nnx")
    layouts = sys.modules.get("rnninit.flax.layouts")
    linen = sys.modules.get("flax.linen")
    return (
        (nnx is not None and isinstance(model, nnx.Module))
        or (layouts is not None and isinstance(model, layouts.Linen))
        or (linen is not None and isinstance(model, linen.Module))  # refused with a message by the layout
    )


def _flax_backend() -> Backend:
    from rnninit.flax.layouts import model_layout, owners, param_dtypes, read_arrays

    # Flax's defaults differ per cell (orthogonal per gate block or over all gates, a forget bias of
    # 1 on MGUCell only), so no one preset describes an untouched Flax model.
    return Backend(
        "flax",
        lambda m, strict: model_layout(m, strict=strict),
        read_arrays,
        owners,
        True,
        None,
        dtypes=param_dtypes,
    )


def _torch_backend() -> Backend:
    from rnninit.torch.layouts import model_layout, read_arrays

    def owners(model):
        groups = []
        for path, module in model.named_modules():
            prefix = f"{path}." if path else ""
            local = {
                name: (prefix + name, tuple(p.shape)) for name, p in module.named_parameters(recurse=False)
            }
            if local:
                groups.append((path, local))
        return groups

    def dtypes(model, names):
        found = {}
        for name in names:
            try:
                found[name] = str(model.get_parameter(name).dtype).removeprefix("torch.")
            except AttributeError:  # not a parameter: the audit assumes float32 for it
                continue
        return found

    return Backend(
        "torch",
        lambda m, strict: model_layout(m, strict=strict),
        read_arrays,
        owners,
        False,
        "pytorch_default",
        dtypes=dtypes,
    )


def _keras_variables(obj) -> dict[str, Any]:
    """Every weight of a Keras layer or model, by its unique path."""
    return {w.path: w for w in obj.weights}


def _keras_backend() -> Backend:
    keras_layouts: ModuleType | None
    try:
        from rnninit.keras import layouts as keras_layouts
    except ImportError:
        keras_layouts = None

    def layout(obj, strict):
        if keras_layouts is None:
            raise LayoutError("this rnninit has no Keras layouts (rnninit.keras.layouts is missing)")
        return keras_layouts.model_layout(obj, strict=strict)

    def read(obj, names):
        names = list(names)
        variables = _keras_variables(obj)
        if keras_layouts is not None and not all(n in variables for n in names):
            return keras_layouts.read_arrays(obj, names)
        return {n: np.asarray(variables[n].numpy(), dtype=np.float64) for n in names}

    def dtypes(obj, names):
        names = list(names)
        variables = _keras_variables(obj)
        if keras_layouts is not None and not all(n in variables for n in names):
            variables = keras_layouts.find_cells(obj, strict=False).variables
        return {n: str(variables[n].dtype) for n in names if n in variables}

    def owners(obj):
        groups: dict[str, dict[str, tuple[str, tuple[int, ...]]]] = {}
        for path, w in _keras_variables(obj).items():
            owner, _, local = path.rpartition("/")
            groups.setdefault(owner, {})[local] = (path, tuple(w.shape))
        return list(groups.items())

    def covered(obj, layout):
        if keras_layouts is None:
            return set(layout.tensors)
        variables = keras_layouts.find_cells(obj, strict=False).variables
        return {variables[name].path for name in layout.tensors if name in variables} | set(layout.tensors)

    return Backend("keras", layout, read, owners, True, "keras_default", covered, dtypes)


def backend_for(model: object) -> Backend:
    """The backend of a torch module, a Keras layer/model or a Flax model; a `LayoutError`
    otherwise."""
    # Keras first: on Keras' torch backend a Keras layer is also a torch.nn.Module
    if _is_keras(model):
        return _keras_backend()
    if _is_flax(model):
        return _flax_backend()
    if _is_torch(model):
        return _torch_backend()
    raise LayoutError(
        f"cannot audit a {type(model).__name__}: expected a torch.nn.Module, a Keras layer or model, a "
        "flax.nnx.Module or rnninit.flax.linen(model, variables, *inputs)"
    )
