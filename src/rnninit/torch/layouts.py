"""Find the recurrent cells in a PyTorch model and build its :class:`~rnninit.layout.ModelLayout`.

Recognized: ``nn.RNN`` (tanh/relu), ``nn.LSTM`` (incl. ``proj_size``), ``nn.GRU``, their ``*Cell``
variants, any module with a ``rnninit_layout(path)`` method (the library's cells), and users' cells
that declare ``rnninit_roles`` (directly or with :func:`rnninit.torch.declare`). Other modules are walked into, never touched.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import torch
from rnninit.errors import LayoutError
from rnninit.layout.cells import ELMAN, GRU, LSTM
from rnninit.layout.storage import CellLayout, ModelLayout
from rnninit.layout.torch_builtin import torch_cell_layout, torch_rnn_layout
from rnninit.torch.declare import declared_module_layout
from torch import nn

Owned = tuple[list[CellLayout], dict[str, tuple[int, ...]]]


def builtin_layout(module: nn.Module, path: str) -> Owned | None:
    """The layout of a built-in recurrent module, or ``None`` if ``module`` is not one."""
    source = f"torch.nn.{type(module).__name__}"
    if isinstance(module, nn.RNNBase):
        kind = {"RNN_TANH": ELMAN, "RNN_RELU": ELMAN, "LSTM": LSTM, "GRU": GRU}[module.mode]
        return torch_rnn_layout(
            kind,
            path=path,
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            num_layers=module.num_layers,
            bidirectional=module.bidirectional,
            bias=module.bias,
            proj_size=getattr(module, "proj_size", 0),
            source=source,
        )
    if isinstance(module, nn.RNNCellBase):
        kind = {nn.RNNCell: ELMAN, nn.LSTMCell: LSTM, nn.GRUCell: GRU}.get(type(module))
        if kind is None:
            kind = (
                LSTM if isinstance(module, nn.LSTMCell) else GRU if isinstance(module, nn.GRUCell) else ELMAN
            )
        cell, tensors = torch_cell_layout(
            kind,
            path=path,
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            bias=module.bias,
            source=source,
        )
        return [cell], tensors
    return None


def _walk(module: nn.Module, path: str) -> Iterator[tuple[str, nn.Module, Owned]]:
    own = getattr(module, "rnninit_layout", None)
    if callable(own):
        found = own(path)
    else:
        found = declared_module_layout(module, path)
        if found is None:
            found = builtin_layout(module, path)
    if found is not None:
        yield path, module, found
        return
    for name, child in module.named_children():
        yield from _walk(child, f"{path}.{name}" if path else name)


def model_layout(model: nn.Module, *, strict: bool = True) -> ModelLayout:
    """The layout of every recurrent cell in ``model``.

    With ``strict``, a parameter that belongs to a recognized cell but that its layout does not
    explain is a :class:`~rnninit.errors.LayoutError` listing it; a model with no recurrent cell is
    always an error.
    """
    if not isinstance(model, nn.Module):
        raise LayoutError(f"expected a torch.nn.Module, got {type(model).__name__}")
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    for path, module, (found_cells, owned) in _walk(model, ""):
        prefix = f"{path}." if path else ""
        params = {prefix + name: tuple(p.shape) for name, p in module.named_parameters()}
        for name, shape in owned.items():
            if name not in params:
                raise LayoutError(
                    f"the layout of {path or '<model>'} names parameter {name!r}, which it does not have"
                )
            if params[name] != shape:
                raise LayoutError(f"{name} has shape {params[name]}, but its layout expects {shape}")
        unexplained = sorted(set(params) - set(owned))
        if strict and unexplained:
            raise LayoutError(
                f"{path or '<model>'} ({type(module).__name__}) has parameters that no layout explains: "
                f"{', '.join(unexplained)}. Declare their roles (rnninit.torch.declare), or pass strict=False "
                "to leave them untouched."
            )
        cells.extend(found_cells)
        tensors.update(owned)
    if not cells:
        raise LayoutError(
            f"{type(model).__name__} contains no recurrent cell rnninit knows: expected nn.RNN/LSTM/GRU, "
            "their *Cell variants, an rnninit cell, or a cell declared with rnninit.torch.declare"
        )
    return ModelLayout(tuple(cells), tensors)


def read_arrays(model: nn.Module, names) -> dict[str, np.ndarray]:
    """Current values of the named parameters, as float64 NumPy arrays."""
    return {name: model.get_parameter(name).detach().cpu().to(torch.float64).numpy() for name in names}


def write_arrays(model: nn.Module, arrays: dict[str, np.ndarray]) -> None:
    """Copy ``arrays`` into the named parameters (dtype and device of each parameter kept)."""
    params = {name: model.get_parameter(name) for name in arrays}
    with torch.no_grad():
        for name, value in arrays.items():
            param = params[name]
            param.copy_(torch.from_numpy(value).to(dtype=param.dtype, device=param.device))
