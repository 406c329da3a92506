"""Find the recurrent cells in a PyTorch model and build its `ModelLayout`.

Recognized: ``nn.RNN`` (tanh/relu), ``nn.LSTM`` (incl. ``proj_size``), ``nn.GRU``, their ``*Cell``
variants, any module with a ``rnninit_layout(path)`` method (the library's cells), and users' cells
that declare ``rnninit_roles`` (directly or with `rnninit.torch.declare`). Other modules are
walked into, never touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import torch
from torch import nn
from torch.autograd.graph import increment_version

from rnninit.errors import LayoutError, StorageError
from rnninit.layout.kinds import ELMAN, GRU, LSTM
from rnninit.layout.storage import CellLayout, ModelLayout
from rnninit.layout.torch_builtin import torch_cell_layout, torch_rnn_layout
from rnninit.torch.declare import declared_module_layout, wrapped_aliases
from rnninit.writer import Target, write_all, write_blocks

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
        kind = LSTM if isinstance(module, nn.LSTMCell) else GRU if isinstance(module, nn.GRUCell) else ELMAN
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
    found = declared_module_layout(module, path)
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
    `LayoutError` listing it with ``strict``; without, it is listed in the
    layout's ``skipped`` (and so in ``apply``'s result and the audit's notes). Two cells whose
    tensors share storage (tied weights) are an error naming both, in either mode: one of the two
    initializations would silently overwrite the other. A model with no recurrent cell is an error.

    Args:
        model: The model.
        strict: If true, an unexplained parameter of a recognized cell is an error; if false, it
            is listed in ``skipped``.

    Returns:
        One `CellLayout` per cell (its kind and where each block is stored) and what was skipped.

    Raises:
        LayoutError: ``model`` is not a module, holds no recurrent cell rnninit knows, has an
            unexplained parameter (with ``strict``), or ties two cells' storage.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> layout = rt.model_layout(torch.nn.GRU(3, 4, num_layers=2))
        >>> [cell.kind.name for cell in layout.cells], layout.skipped
        (['gru', 'gru'], ())
    """
    if not isinstance(model, nn.Module):
        raise LayoutError(f"expected a torch.nn.Module, got {type(model).__name__}")
    cells: list[CellLayout] = []
    tensors: dict[str, tuple[int, ...]] = {}
    skipped: list[str] = []
    for path, module, (found_cells, owned) in _walk(model, ""):
        prefix = f"{path}." if path else ""
        params = {prefix + name: p for name, p in module.named_parameters(remove_duplicate=False)}
        aliases = wrapped_aliases(module, path)
        for name, shape in owned.items():
            if name not in params:
                raise LayoutError(_missing_parameter(model, module, path, name))
            if not isinstance(params[name], nn.Parameter):
                raise LayoutError(_computed_parameter(model, module, path, name))
            if tuple(params[name].shape) != shape:
                raise LayoutError(
                    f"{name} has shape {tuple(params[name].shape)}, but its layout expects {shape}"
                )
        unexplained = sorted(set(params) - set(owned) - aliases)
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
    cell_of = {p.tensor: cell.path for cell in cells for slot in cell.slots for p in slot.placements}
    _check_no_shared_storage(model, tensors, cell_of, aliases_everywhere(model))
    return ModelLayout(tuple(cells), tensors, tuple(skipped))


def aliases_everywhere(model: nn.Module) -> set[str]:
    """Every inner tensor name a declared wrapper in ``model`` replaced (see `wrapped_aliases`)."""
    out: set[str] = set()
    for path, module in model.named_modules():
        out |= wrapped_aliases(module, path)
    return out


def _wrapper_hint(cell_path: str, tensor: str, found: str) -> str:
    """How to declare the wrapper around the cell at ``cell_path`` that keeps ``tensor`` as ``found``."""
    wrapper, _, inner = cell_path.rpartition(".")
    if not inner:
        return "Declare the module that holds it (rnninit.torch.declare)"
    local = tensor[len(cell_path) + 1 :]
    relative = found[len(wrapper) + 1 :] if wrapper else found
    access = "model" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in wrapper.split(".") if p)
    return (
        f"Declare the wrapper, e.g. rnninit.torch.declare_wrapped({access}, inner={inner!r}, "
        f"renamed={{{local!r}: {relative!r}}})"
    )


def _renamed_copy(model: nn.Module, name: str) -> str | None:
    """A parameter that looks like a wrapper's renamed copy of ``name`` (``weight_hh_l0_raw``)."""
    local = name.rpartition(".")[2]
    for other, _ in model.named_parameters(remove_duplicate=False):
        if other != name and other.rpartition(".")[2].startswith(local + "_"):
            return other
    return None


def _missing_parameter(model: nn.Module, module: nn.Module, path: str, name: str) -> str:
    """Why a layout names a tensor the module lacks, and how to declare it: a wrapper that renamed a
    built-in's parameter (fastai's WeightDropout, Salesforce's WeightDrop) is the usual cause."""
    where = f"{path or '<model>'} ({type(module).__name__})"
    found = _renamed_copy(model, name)
    if found is None:
        return f"the layout of {where} names parameter {name!r}, which it does not have"
    return (
        f"{name} is not a parameter of {where}, but {found!r} is: a wrapper (such as fastai's WeightDropout "
        f"or Salesforce's WeightDrop) seems to keep it under that name. {_wrapper_hint(path, name, found)}"
    )


def _computed_parameter(model: nn.Module, module: nn.Module, path: str, name: str) -> str:
    """A layout tensor that is not an ``nn.Parameter`` but computed (fastai's WeightDropout puts the
    dropout of ``weight_hh_l0_raw`` there at each forward): writing it would be lost."""
    found = _renamed_copy(model, name)
    hint = (
        _wrapper_hint(path, name, found)
        if found
        else "Declare the module that holds what it is computed from"
    )
    return (
        f"{name} in {path or '<model>'} ({type(module).__name__}) is a tensor computed at each forward pass, "
        f"not an nn.Parameter: initializing it would be lost at the next forward. {hint}"
    )


def _check_no_shared_storage(
    model: nn.Module, tensors: Mapping[str, tuple[int, ...]], cell_of: Mapping[str, str], aliases: set[str]
) -> None:
    """A tensor of the layout that shares memory with another parameter (tied weights; a wrapper's raw
    copy) would be written twice, or changed through a name nobody declared: refuse, naming both."""
    names = dict.fromkeys(tensors)
    for name, _ in model.named_parameters(remove_duplicate=False):
        names.setdefault(name)
    spans = []
    for name in names:
        if name in aliases:
            continue
        try:
            param = model.get_parameter(name)
        except AttributeError:  # a computed tensor in _parameters (refused above if a layout names it)
            continue
        if param.device.type == "meta" or param.numel() == 0:
            continue
        start = param.data_ptr()
        end = start + param.element_size() * (
            1
            + sum((size - 1) * abs(stride) for size, stride in zip(param.shape, param.stride(), strict=True))
        )
        spans.append((start, end, name))
    spans.sort()
    reach, holder = -1, ""
    for start, end, name in spans:
        if start < reach and (name in tensors or holder in tensors):
            if name in tensors and holder in tensors:
                raise LayoutError(
                    f"{holder} and {name} share storage (tied weights): initializing both would let one "
                    "silently overwrite the other. Untie them for apply (and tie them again after), or "
                    "declare one of the cells with rnninit.torch.declare without the shared tensor and pass "
                    "strict=False"
                )
            inside, outside = (holder, name) if holder in tensors else (name, holder)
            if outside.rpartition(".")[2].startswith(inside.rpartition(".")[2] + "_"):
                hint = _wrapper_hint(cell_of[inside], inside, outside)
            elif inside.rpartition(".")[2].startswith(outside.rpartition(".")[2] + "_"):
                hint = (
                    "A wrapper's copy of a built-in's weight is declared with rnninit.torch.declare_wrapped"
                )
            else:
                hint = "Untie them, or declare the module that holds it"
            raise LayoutError(
                f"{inside} shares storage with {outside}, which no layout covers (a tie, or a wrapper's copy "
                f"such as fastai WeightDropout's 'weight_hh_l0_raw'): initializing one would silently change "
                f"the other through a name apply does not know. {hint}"
            )
        if end > reach:
            reach, holder = end, name


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


#: Dtypes whose CPU tensors NumPy can view in place (`TorchTarget.view`); bfloat16 has no NumPy dtype.
_NUMPY_VIEWABLE = (torch.float16, torch.float32, torch.float64)


class TorchTarget(Target):
    """The parameters of a torch module, for `rnninit.writer.write_all` and `write_blocks`."""

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
        if _may_overlap(tuple(p.shape), tuple(p.stride())):
            return (
                f"elements may share memory (strides {tuple(p.stride())} for shape {tuple(p.shape)}): give "
                "each parameter storage of its own, e.g. module.w = nn.Parameter(module.w.clone())"
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

    def view(self, name: str) -> np.ndarray | None:
        p = self.params[name]
        if (
            p.device.type != "cpu"
            or p.dtype not in _NUMPY_VIEWABLE
            or type(p) not in (nn.Parameter, torch.Tensor)
        ):
            return None  # another device, bfloat16, or a subclass that may watch its writes: copy_ them
        if p.is_neg() or p.is_conj():
            return None  # a lazily negated view: its memory holds -values, which NumPy would not know
        return p.detach().numpy()

    def mark_written(self, name: str) -> None:
        # a graph that saved the parameter must see it changed, as after an in-place copy_
        increment_version(self.params[name])


def _may_overlap(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether two elements of a strided tensor may share memory: unless, taking the axes by
    increasing stride, each stride passes the farthest element the smaller ones reach (a sufficient
    test of no overlap: an exotic interleaving may fail it without overlapping, and is refused)."""
    reach = 0
    for stride, size in sorted((abs(st), sz) for st, sz in zip(strides, shape, strict=True) if sz > 1):
        if stride <= reach:
            return True
        reach += stride * (size - 1)
    return False


def param_dtypes(model: nn.Module, names) -> dict[str, str]:
    """Each named parameter's dtype name (``"float32"``, ``"bfloat16"``, ...)."""
    return {name: str(model.get_parameter(name).dtype).removeprefix("torch.") for name in names}


def write_arrays(model: nn.Module, arrays: dict[str, np.ndarray], plan=None) -> None:
    """Copy ``arrays`` into the named parameters (dtype and device of each parameter kept), all or none.

    Every parameter is checked before any is written, every value is checked to be finite in its
    parameter's dtype, and a write that still fails restores what was written
    (`rnninit.writer.write_all`; ``plan`` lets its errors name the block).

    Raises:
        StorageError: nothing was changed.
    """
    write_all(TorchTarget(model, arrays), arrays, plan)


def write_plan(model: nn.Module, plan) -> None:
    """Write a `Plan` into ``model``'s parameters, all or none.

    In place where every parameter the plan touches is a CPU tensor NumPy can view
    (`rnninit.writer.write_blocks`: nothing staged, and a plan made with ``sample=False`` is drawn
    block by block into reused memory); otherwise through whole new tensor contents
    (`Plan.new_arrays`, then `write_arrays`). Either way every parameter is checked before the first
    write and every value proved finite in its dtype, and any failure restores what was written.

    Raises:
        StorageError: nothing was changed.
    """
    if write_blocks(TorchTarget(model, plan.touched_tensors()), plan):
        return
    plan.sample()  # on several cores, for a plan made with sample=False
    current = read_arrays(model, plan.partly_touched_tensors())
    write_arrays(model, plan.new_arrays(current, dtypes=param_dtypes(model, plan.touched_tensors())), plan)
