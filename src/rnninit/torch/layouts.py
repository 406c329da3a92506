"""Find the recurrent cells in a PyTorch model and build its :class:`~rnninit.layout.ModelLayout`.

Recognized: ``nn.RNN`` (tanh/relu), ``nn.LSTM`` (incl. ``proj_size``), ``nn.GRU``, their ``*Cell``
variants, any module with a ``rnninit_layout(path)`` method (the library's cells), and users' cells
that declare ``rnninit_roles`` (directly or with :func:`rnninit.torch.declare`). Other modules are walked into, never touched.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import torch
from rnninit.errors import LayoutError, StorageError
from rnninit.layout.cells import ELMAN, GRU, LSTM
from rnninit.layout.storage import CellLayout, ModelLayout
from rnninit.layout.torch_builtin import torch_cell_layout, torch_rnn_layout
from rnninit.torch.declare import declared_module_layout
from rnninit.writer import Target, write_all
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


def _parameter(model: nn.Module, name: str) -> torch.Tensor:
    try:
        return model.get_parameter(name)
    except AttributeError as exc:
        raise LayoutError(f"{type(model).__name__} has no parameter {name!r}: {exc}") from None


def read_arrays(model: nn.Module, names) -> dict[str, np.ndarray]:
    """Current values of the named parameters, as float64 NumPy arrays.

    Raises:
        StorageError: a parameter is on the ``meta`` device (it has a shape but no values).
    """
    params = {name: _parameter(model, name) for name in names}
    empty = sorted(name for name, p in params.items() if p.is_meta)
    if empty:
        raise StorageError(
            f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} on the meta device: "
            f"{'it has' if len(empty) == 1 else 'they have'} a shape but no values to read. {MATERIALIZE}"
        )
    return {name: p.detach().cpu().to(torch.float64).numpy() for name, p in params.items()}


#: How to give a ``meta``-device model real storage.
MATERIALIZE = "Materialize the model first, e.g. model.to_empty(device='cpu'), then initialize it"


class TorchTarget(Target):
    """The parameters of a torch module, for :func:`rnninit.writer.write_all`."""

    def __init__(self, model: nn.Module, names):
        self.params = {name: _parameter(model, name) for name in names}

    def dtype(self, name: str) -> str:
        return str(self.params[name].dtype).removeprefix("torch.")

    def problem(self, name: str, shape: tuple[int, ...]) -> str | None:
        p = self.params[name]
        if p.is_meta:
            return f"on the meta device, with a shape but no storage. {MATERIALIZE}"
        if p.is_inference() and not torch.is_inference_mode_enabled():
            return (
                "inference tensors (the model was built under torch.inference_mode()) accept writes only "
                "inside torch.inference_mode(): build the model outside it, or call apply inside it"
            )
        if p.layout != torch.strided:
            return f"{p.layout} tensors; rnninit writes dense (strided) tensors only"
        if not p.dtype.is_floating_point:
            return f"dtype {self.dtype(name)} is not a floating-point type"
        if any(stride == 0 and size > 1 for stride, size in zip(p.stride(), p.shape, strict=True)):
            return (
                "elements share memory (an expanded tensor, stride 0): give each parameter storage of its "
                "own, e.g. module.w = nn.Parameter(module.w.clone())"
            )
        if tuple(p.shape) != shape:
            return f"shape {tuple(p.shape)}, expected {shape}"
        return None

    def convert(self, name: str, value: np.ndarray) -> torch.Tensor:
        p = self.params[name]
        return torch.from_numpy(value).to(dtype=p.dtype, device=p.device)

    def nonfinite(self, converted: torch.Tensor) -> np.ndarray:
        return (~torch.isfinite(converted)).cpu().numpy()

    def save(self, name: str) -> torch.Tensor:
        return self.params[name].detach().clone()

    def assign(self, name: str, value: torch.Tensor) -> None:
        with torch.no_grad():
            self.params[name].copy_(value)


def write_arrays(model: nn.Module, arrays: dict[str, np.ndarray], plan=None) -> None:
    """Copy ``arrays`` into the named parameters (dtype and device of each parameter kept), all or none.

    Every parameter is checked before any is written, every value is checked to be finite in its
    parameter's dtype, and a write that still fails restores what was written
    (:func:`rnninit.writer.write_all`; ``plan`` lets its errors name the block).

    Raises:
        StorageError: nothing was changed.
    """
    write_all(TorchTarget(model, arrays), arrays, plan)
