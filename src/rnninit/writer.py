"""Write new tensor contents into a model: every tensor, or (on any error) none.

``apply`` samples a whole `Plan` before writing, so a bad spec changes no
weight. This module keeps that promise while writing, for every framework backend alike:

1. every target tensor is checked before any is written: it must hold data (not PyTorch's
   ``meta`` device), accept an in-place write (not an inference tensor outside
   ``torch.inference_mode()``, not an expanded tensor whose elements share memory), and have
   the expected shape;
2. every new value is converted to its tensor's dtype and checked to be finite *there*:
   ``1e39`` is finite in float64 but ``inf`` in float32 (``1e5`` in float16). The error names
   the block, the tensor and the dtype;
3. the tensors are written one by one, each after a copy of its old contents is kept; if a
   write still fails, every tensor written so far is restored before the error is raised.

`write_all` writes whole new tensors (a plan's `Plan.new_arrays`). Where a framework exposes a
tensor's own memory to NumPy (PyTorch on the CPU), `write_blocks` writes a plan's blocks straight
into it instead, with the same checks and the same restore: no staged copy of every tensor in fresh
memory, which on a large model costs more than the copy itself.

A backend supplies a `Target` (``rnninit.torch.layouts.TorchTarget``,
``rnninit.keras.target.KerasTarget``, ``rnninit.flax.target.FlaxTarget``): the framework-specific
checks, conversion and copy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, NoReturn

import numpy as np

from rnninit.errors import StorageError

#: Largest finite value of each floating dtype (for `fits_dtype` and for messages).
LARGEST = {
    "float16": 65504.0,
    "bfloat16": 3.3895313892515355e38,
    "float32": 3.4028234663852886e38,
    "float64": 1.7976931348623157e308,
}


class Target(ABC):
    """One framework's named tensors of one model, as `write_all` sees them."""

    @abstractmethod
    def dtype(self, name: str) -> str:
        """The tensor's dtype name: ``"float32"``, ``"bfloat16"``, ..."""

    @abstractmethod
    def problem(self, name: str, shape: tuple[int, ...]) -> str | None:
        """Why ``name`` cannot be overwritten with an array of ``shape`` (a phrase), or ``None``."""

    @abstractmethod
    def convert(self, name: str, value: np.ndarray) -> Any:
        """``value`` in the tensor's dtype (and on its device), ready for `assign`."""

    @abstractmethod
    def nonfinite(self, converted: Any) -> np.ndarray:
        """A boolean NumPy mask of the non-finite entries of a converted value."""

    @abstractmethod
    def save(self, name: str) -> Any:
        """A copy of the tensor's current contents, which `assign` can put back."""

    @abstractmethod
    def assign(self, name: str, value: Any) -> None:
        """Overwrite the tensor with a converted value (or a saved copy)."""

    def view(self, name: str) -> np.ndarray | None:
        """A writable NumPy view of the tensor's own memory, in its dtype, for `write_blocks`;
        ``None`` (the default) where the framework has none (another device, a dtype NumPy lacks)."""
        return None

    def mark_written(self, name: str) -> None:
        """Tell the framework that `write_blocks` changed the tensor's memory behind its back."""


def write_all(target: Target, arrays: Mapping[str, np.ndarray], plan=None) -> None:
    """Write ``arrays`` (tensor name -> new float64 contents) into ``target``, all or nothing.

    ``plan`` (the `Plan` the arrays come from) lets an overflow error name
    the block; without it the error names the tensor.

    Raises:
        StorageError: a tensor cannot be written, or a value is not finite in its dtype. Nothing
            was written. A write that fails for any other reason is also a ``StorageError``
            (chained to the framework's error), raised after every tensor was restored.
    """
    arrays = {name: arrays[name] for name in sorted(arrays)}  # deterministic order in messages
    problems: dict[str, list[str]] = {}
    for name, value in arrays.items():
        reason = target.problem(name, tuple(np.shape(value)))
        if reason is not None:
            problems.setdefault(reason, []).append(name)
    if problems:
        listed = [f"{', '.join(names)}: {reason}" for reason, names in problems.items()]
        raise StorageError(f"cannot write {_listed(listed)}; nothing was changed")
    arrays = {name: _floating(value) for name, value in arrays.items()}
    overflows: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for name, value in arrays.items():
        if fits_dtype(value, LARGEST.get(target.dtype(name))):
            continue
        mask = np.asarray(target.nonfinite(target.convert(name, value)), dtype=bool)
        if mask.any():
            overflows.setdefault(target.dtype(name), []).append((name, value, mask))
    if overflows:
        raise StorageError(_overflow(overflows, plan))
    saved: dict[str, Any] = {}
    name, written = "", 0
    try:
        for name, value in arrays.items():
            saved[name] = target.save(name)
            target.assign(name, target.convert(name, value))
            written += 1
    except BaseException as exc:
        _restore_and_raise(
            target, saved, exc, f"writing {name}", f"the {written} tensor(s) written before it were"
        )


def write_blocks(target: Target, plan) -> bool:
    """Write ``plan``'s blocks straight into the tensors' own memory (`Target.view`), all or nothing.

    The same promise as `write_all`, with nothing staged: every tensor is checked and a copy of it
    kept, then the blocks are drawn and written block by block, on several cores
    (`Plan.stream`: each drawn into memory the next reuses), each value proved finite in its
    tensor's dtype (`fits_dtype`) and rounded once to it, as converting it would. Blocks the plan
    leaves alone keep their values without being read. If anything fails (or is interrupted),
    every tensor is restored before the error is raised.

    Args:
        target: The tensors.
        plan: The `Plan` to write (drawn or not: a value drawn already is written as it is).

    Returns:
        ``True`` when the plan was written; ``False``, with every tensor as it was, when this path
        cannot take it (a tensor without a view or not of the layout's shape, a value that may not
        fit its dtype): then `write_all` does the work, and names any problem.

    Raises:
        SpecError: A block's init could not draw it (any other error a draw raises passes through
            as it is too, as `make_plan` raises it); every tensor was restored.
        StorageError: A write failed; every tensor was restored.
    """
    names = sorted(plan.touched_tensors())
    shapes = plan.layout.tensors
    if any(name not in shapes or target.problem(name, tuple(shapes[name])) is not None for name in names):
        return False
    views = {name: target.view(name) for name in names}
    if any(view is None or view.shape != tuple(shapes[name]) for name, view in views.items()):
        return False
    largest = {name: LARGEST.get(target.dtype(name)) for name in names}

    unsure: list[str] = []  # tensors with a value that may not fit: write_all checks and names them
    failed_writes: list[BaseException] = []  # a write's error becomes a StorageError; a draw's passes

    def write(assignment, value: np.ndarray) -> None:
        tensor = assignment.slot.placements[0].tensor
        if value.dtype.kind != "f" or not fits_dtype(value, largest[tensor]):
            unsure.append(tensor)
        elif not unsure:
            try:
                assignment.slot.write(views, value)
            except BaseException as exc:
                failed_writes.append(exc)
                raise

    saved: dict[str, Any] = {}
    try:
        for name in names:
            saved[name] = target.save(name)
        plan.stream(write)
        if unsure:
            problem = f"a value for {unsure[0]} may not fit {target.dtype(unsure[0])}, and a restore failed"
            _restore_or_raise(target, saved, StorageError(problem))
            return False
    except Exception as exc:
        if not any(exc is failed for failed in failed_writes):  # a block that could not be drawn:
            _restore_or_raise(target, saved, exc)  # its own error, as make_plan would raise it
            raise
        _restore_and_raise(target, saved, exc, "writing the blocks", "every tensor was")
    except BaseException as exc:  # an interrupt: restored, and raised as it is
        _restore_or_raise(target, saved, exc)
        raise
    finally:
        for name in saved:
            target.mark_written(name)
    return True


def _restore_or_raise(target: Target, saved: Mapping[str, Any], exc: BaseException) -> None:
    """Put back every saved tensor; if one cannot be, raise ``exc`` with a note that names it."""
    failures = _restore(target, saved)
    if failures:
        exc.add_note(f"rnninit could not restore {', '.join(failures)}")
        raise exc


def _restore_and_raise(
    target: Target, saved: Mapping[str, Any], exc: BaseException, what: str, restored: str
) -> NoReturn:
    """Put back every saved tensor, then raise: ``exc`` itself for an interrupt or a failed restore,
    else a `StorageError` that says nothing was changed."""
    _restore_or_raise(target, saved, exc)
    if not isinstance(exc, Exception):
        raise exc
    raise StorageError(
        f"{what} failed ({type(exc).__name__}: {_first_line(exc)}); {restored} restored, "
        "so nothing was changed"
    ) from exc


def _floating(value) -> np.ndarray:
    """``value`` as a NumPy array of its own float dtype (a plan may build float32 arrays for float32
    tensors), or as float64."""
    array = np.asarray(value)
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def fits_dtype(value: np.ndarray, largest: float | None) -> bool:
    """Whether every entry is finite and below the dtype's largest finite value, so that rounding
    to the dtype (monotone, and exact at that value) cannot give an infinity: the fast proof that
    needs no converted copy. ``False`` means: convert, and look.

    Args:
        value: The values to write.
        largest: The dtype's largest finite value (`LARGEST`), ``None`` for a dtype not listed there.

    Returns:
        ``True`` when every entry surely stays finite in the dtype (an empty ``value`` always does,
        unless ``largest`` is ``None``); ``False`` for NaN, infinities, entries at or past ``largest``
        and any dtype without a ``largest``.
    """
    if largest is None or not value.size:
        return largest is not None
    return bool(value.max() < largest and -value.min() < largest)  # False for NaN, too


def _restore(target: Target, saved: Mapping[str, Any]) -> list[str]:
    failures = []
    for name, old in reversed(list(saved.items())):
        try:
            target.assign(name, old)
        except Exception:  # noqa: BLE001 - keep restoring the others
            failures.append(name)
    return failures


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _listed(items: list[str], limit: int = 5) -> str:
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def _overflow(overflows: Mapping[str, list[tuple[str, np.ndarray, np.ndarray]]], plan) -> str:
    parts = []
    for dtype, found in overflows.items():
        names = [name for name, _, _ in found]
        blocks = [b for name, _, mask in found for b in (_blocks_at(plan, name, mask) if plan else [])]
        bad = np.concatenate([value[mask] for _, value, mask in found])
        what = f"{_listed(blocks)} (stored in {', '.join(names)})" if blocks else ", ".join(names)
        if not np.isfinite(bad).all():
            parts.append(f"{what}: {int((~np.isfinite(bad)).sum())} value(s) are NaN or infinite")
            continue
        largest = LARGEST.get(dtype)
        limit = f" (largest finite value {largest:.4g})" if largest is not None else ""
        parts.append(
            f"{what}: values up to magnitude {float(np.max(np.abs(bad))):.4g} do not fit {dtype}{limit}, "
            "where they would become inf"
        )
    return (
        "; ".join(parts)
        + ". Choose smaller values, or store the weights in a wider dtype. Nothing was changed"
    )


def _blocks_at(plan, tensor: str, mask: np.ndarray) -> list[str]:
    """Labels of the plan's blocks that cover a ``True`` entry of ``mask`` in ``tensor``."""
    from rnninit.spec import format_key

    arrays = {tensor: mask}
    found = []
    for assignment in plan.assignments:
        for placement in assignment.slot.placements:
            if placement.tensor == tensor and np.any(placement.read(arrays)):
                slot = assignment.slot
                key = slot.role + " (fused)" if assignment.fused else format_key((slot.role, slot.gate))
                found.append(f"{key} of {assignment.cell.name}")
                break
    return list(dict.fromkeys(found))
