"""Find the recurrent cells in a PyTorch model and build its :class:`~rnninit.layout.ModelLayout`.

Recognized: ``nn.RNN`` (tanh/relu), ``nn.LSTM`` (incl. ``proj_size``), ``nn.GRU``, their ``*Cell``
variants, any module with a ``rnninit_layout(path)`` method (the library's cells), and users' cells
that declare ``rnninit_roles`` (directly or with :func:`rnninit.torch.declare`). Other modules are walked into, never touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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


def own_layout(module: nn.Module, path: str) -> Owned | None:
    """The layout ``module`` itself provides, declares or is (a built-in), or ``None``."""
    own = getattr(module, "rnninit_layout", None)
    if callable(own):
        return own(path)
    found = declared_module_layout(module, path, own_layout)
    if found is not None:
        return found
    return builtin_layout(module, path)


def _walk(module: nn.Module, path: str) -> Iterator[tuple[str, nn.Module, Owned]]:
    found = own_layout(module, path)
    if found is not None:
        yield path, module, found
        return
    for name, child in module.named_children():
        yield from _walk(child, f"{path}.{name}" if path else name)


def model_layout(model: nn.Module, *, strict: bool = True) -> ModelLayout:
    """The layout of every recurrent cell in ``model``.

    A parameter that belongs to a recognized cell but that its layout does not explain is a
    :class:`~rnninit.errors.LayoutError` listing it with ``strict``; without, it is listed in the
    layout's ``skipped`` (and so in ``apply``'s result and the audit's notes). Two cells whose
    tensors share storage (tied weights) are an error naming both, in either mode: one of the two
    initializations would silently overwrite the other. A model with no recurrent cell is an error.
    """
    if not isinstance(model, nn.Module):
        raise LayoutError(f"expected a torch.nn.Module, got {type(model).__name__}")
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    skipped: list[str] = []
    for path, module, (found_cells, owned) in _walk(model, ""):
        prefix = f"{path}." if path else ""
        params = {prefix + name: tuple(p.shape) for name, p in module.named_parameters()}
        for name, shape in owned.items():
            if name not in params:
                raise LayoutError(_missing_parameter(model, module, path, name))
            if params[name] != shape:
                raise LayoutError(f"{name} has shape {params[name]}, but its layout expects {shape}")
        unexplained = sorted(set(params) - set(owned))
        if strict and unexplained:
            raise LayoutError(
                f"{path or '<model>'} ({type(module).__name__}) has parameters that no layout explains: "
                f"{', '.join(unexplained)}. Declare their roles (rnninit.torch.declare), or pass "
                "strict=False to leave them untouched (they are then listed as skipped)."
            )
        cells.extend(found_cells)
        tensors.update(owned)
        skipped += unexplained
    if not cells:
        raise LayoutError(
            f"{type(model).__name__} contains no recurrent cell rnninit knows: expected nn.RNN/LSTM/GRU, "
            "their *Cell variants, an rnninit cell, or a cell declared with rnninit.torch.declare"
        )
    _check_no_shared_storage(model, tensors)
    return ModelLayout(tuple(cells), tensors, tuple(skipped))


def _missing_parameter(model: nn.Module, module: nn.Module, path: str, name: str) -> str:
    """Why a layout names a tensor the module lacks, and how to declare it: a wrapper that renamed a
    built-in's parameter (fastai's WeightDropout, Salesforce's WeightDrop) is the usual cause."""
    where = f"{path or '<model>'} ({type(module).__name__})"
    local = name.rpartition(".")[2]
    candidates = [n for n, _ in model.named_parameters() if n.rpartition(".")[2].startswith(local) and n != name]
    if not candidates:
        return f"the layout of {where} names parameter {name!r}, which it does not have"
    found = candidates[0]
    owner, _, _ = path.rpartition(".")
    wrapper = owner or "<model>"
    inner = path[len(owner) + 1 :] if owner else path
    relative = found[len(owner) + 1 :] if owner else found
    access = "model" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in owner.split(".") if p) if owner else "model"
    return (
        f"{name} is not a parameter of {where}, but {found!r} is: a wrapper (such as fastai's WeightDropout "
        f"or Salesforce's WeightDrop) at {wrapper!r} seems to have renamed it. Declare the wrapper, e.g. "
        f"rnninit.torch.declare_wrapped({access}, inner={inner!r}, renamed={{{local!r}: {relative!r}}})"
    )


def _check_no_shared_storage(model: nn.Module, tensors: Mapping[str, tuple[int, ...]]) -> None:
    """Tensors of the layout that share memory (tied weights) would be written twice, last write
    winning: refuse, naming both."""
    spans = []
    for name in tensors:
        param = model.get_parameter(name)
        if param.device.type == "meta" or param.numel() == 0:
            continue
        start = param.data_ptr()
        end = start + param.element_size() * (
            1 + sum((size - 1) * abs(stride) for size, stride in zip(param.shape, param.stride(), strict=True))
        )
        spans.append((start, end, name))
    spans.sort()
    reach, holder = -1, ""
    for start, end, name in spans:
        if start < reach:
            raise LayoutError(
                f"{holder} and {name} share storage (tied weights): initializing both would let one silently "
                "overwrite the other. Untie them for apply (and tie them again after), or declare one of the "
                "cells with rnninit.torch.declare without the shared tensor and pass strict=False"
            )
        if end > reach:
            reach, holder = end, name


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
