"""What ``tune(cell=...)`` accepts, turned into one function ``build(spec) -> Stepper``.

- a cell name of `rnninit.dynamics.CELLS` (``"elman"``, ``"lstm"``, ``"keras_gru"``, …);
- a factory ``factory(input_size, hidden_size)`` returning a cell: a library class
  (``rnninit.torch.LSTMCell``), or a function returning your own declared torch module (with
  ``rnninit_roles``) or a Keras cell (built here if it is not built yet), or a
  `Stepper`;
- a torch cell module itself (copied for every point, so it is never changed).

Every candidate point builds the cell afresh under the same seed, so two points differ only in the
spec's arguments: the same random draws, scaled differently (common random numbers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from rnninit.dynamics.factories import CELLS, cell_factory, make_cell
from rnninit.dynamics.keras_twin import is_keras_cell, torch_twin
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError, TuneError, one_of
from rnninit.spec import Spec

Builder = Callable[[Spec], Stepper]


def describe_cell(cell: Any) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, nn.Module):
        return type(cell).__name__
    return getattr(cell, "__qualname__", None) or getattr(cell, "__name__", None) or type(cell).__name__


def cell_builder(cell: Any, *, input_size: int, hidden_size: int, seed: int) -> Builder:
    """``build(spec)``: the cell initialized from ``spec`` with ``seed``, as a float64 `Stepper`."""
    if isinstance(cell, str):
        try:
            cell_factory(cell)  # an unknown name is refused here, not at the first point measured
        except DynamicsError as exc:
            raise TuneError(str(exc)) from None
        return lambda spec: make_cell(cell, input_size, hidden_size, spec, seed=seed)
    if isinstance(cell, nn.Module):
        template = cell

        def from_module(spec: Spec) -> Stepper:
            return _torch_stepper(copy.deepcopy(template), spec, seed)

        return from_module
    if is_keras_cell(cell):
        raise TuneError(
            f"a Keras cell instance ({type(cell).__name__}) cannot be re-initialized for every point: "
            "pass a factory instead, e.g. cell=lambda input_size, hidden: keras.layers.LSTMCell(hidden)"
        )
    if not callable(cell):
        raise TuneError(
            f"cell must be a cell name ({one_of(CELLS)}), a factory (input_size, hidden_size) -> cell, "
            f"or a torch cell module, got {type(cell).__name__}"
        )

    def from_factory(spec: Spec) -> Stepper:
        with torch.random.fork_rng(devices=[]):  # defaults drawn from torch's generator repeat every time
            torch.manual_seed(seed)
            try:
                built = cell(input_size, hidden_size)
            except TypeError as exc:
                raise TuneError(
                    f"the cell factory {describe_cell(cell)} must take (input_size, hidden_size): {exc}"
                ) from exc
        if is_keras_cell(built):
            return _keras_stepper(built, spec, seed, input_size)
        if isinstance(built, Stepper):
            return _torch_stepper(built.module, spec, seed, built)
        if isinstance(built, nn.Module):
            return _torch_stepper(built, spec, seed)
        raise TuneError(
            f"the cell factory {describe_cell(cell)} returned {type(built).__name__}; it must return a torch "
            "cell module, a Keras cell, or a rnninit.dynamics.Stepper"
        )

    return from_factory


def _torch_stepper(module: nn.Module, spec: Spec, seed: int, stepper: Stepper | None = None) -> Stepper:
    from rnninit.torch.apply import apply

    module = module.to(torch.float64)
    apply(spec, module, seed=seed)
    if stepper is not None:
        return Stepper(module, stepper.parts, stepper.input_size)
    return Stepper.for_module(module)


def _keras_stepper(cell: Any, spec: Spec, seed: int, input_size: int) -> Stepper:
    from rnninit.keras import apply as keras_apply

    if not getattr(cell, "built", False):
        cell.build((None, input_size))
    keras_apply(spec, cell, seed=seed)
    return torch_twin(cell)
