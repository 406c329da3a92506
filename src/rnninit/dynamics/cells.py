"""The cell factory: the one place that maps a cell name to a PyTorch constructor.

``make_cell("lstm", input_size=8, hidden_size=64, spec="orthogonal", seed=0)`` builds the cell
with its framework default under a seeded generator, then applies ``spec`` with
:func:`rnninit.torch.apply` (roles the spec does not mention keep the framework default).
The result is a :class:`~rnninit.dynamics.stepper.Stepper` (the module and how its state is laid
out), which is what :func:`rnninit.dynamics.diagnose` measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from rnninit.dynamics.errors import DynamicsError
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import did_you_mean, one_of
from rnninit.spec import SpecLike


@dataclass(frozen=True)
class CellFactory:
    """How to build one named cell: a constructor ``(input_size, hidden_size) -> module`` and
    the names of its state parts (``("h",)``, or ``("h", "c")`` for an LSTM)."""

    name: str
    build: Callable[[int, int], nn.Module]
    parts: tuple[str, ...]
    doc: str


CELLS: dict[str, CellFactory] = {}


def register_cell(name: str, build: Callable[[int, int], nn.Module], parts: tuple[str, ...], doc: str) -> None:
    CELLS[name] = CellFactory(name, build, parts, doc)


register_cell("elman", lambda i, h: nn.RNNCell(i, h, nonlinearity="tanh"), ("h",), "torch.nn.RNNCell, tanh")
register_cell("elman_relu", lambda i, h: nn.RNNCell(i, h, nonlinearity="relu"), ("h",), "torch.nn.RNNCell, relu")
register_cell("lstm", nn.LSTMCell, ("h", "c"), "torch.nn.LSTMCell; state (h, c)")
register_cell("gru", nn.GRUCell, ("h",), "torch.nn.GRUCell")


def cell_factory(name: str) -> CellFactory:
    found = CELLS.get(name)
    if found is None:
        raise DynamicsError(f"unknown cell '{name}'{did_you_mean(name, CELLS)}; valid cells: {one_of(CELLS)}")
    return found


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DynamicsError(f"{name} must be a positive integer, got {value!r}")
    return value


def make_cell(
    name: str,
    input_size: int,
    hidden_size: int,
    spec: SpecLike | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> Stepper:
    """Build cell ``name`` in ``dtype`` and initialize it from ``spec`` (``None``: the framework default).

    The framework default is drawn under ``torch.manual_seed(seed)`` inside a forked RNG, so the
    global torch generator is untouched and the same arguments give the same cell every time.
    float64 keeps the sampled weights exact (an orthogonal matrix stays orthogonal to 1e-15).
    """
    factory = cell_factory(name)
    _positive("input_size", input_size)
    _positive("hidden_size", hidden_size)
    from rnninit.torch import apply

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = factory.build(input_size, hidden_size).to(dtype)
    if spec is not None:
        apply(spec, module, seed=seed)
    return Stepper(module, tuple((part, hidden_size) for part in factory.parts), input_size)
