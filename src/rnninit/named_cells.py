"""The cells a user names with one word: ``rnninit diagnose --cell lstm``, ``rnninit tune --cell
indrnn_tanh``, ``cell: elman`` in a run config, ``rnninit speed --cells gru``.

This is the one table of those names. Each says which cell kind its spec is validated against and
which modules build it: a one-step cell (what `rnninit.dynamics` and `rnninit.tune`
measure), a batch-first sequence module (what `rnninit.experiments` trains), and rnninit's own
module computing what that sequence module computes (what ``rnninit speed`` times against it). A
name offers exactly the uses it has modules for. Modules are written ``"module:attribute"`` and
imported only when built, so listing the names (as the command line's parser does) imports no
framework.

Examples:
    >>> [cell.name for cell in NAMED_CELLS.values() if cell.dropin]
    ['lstm', 'gru', 'elman']
    >>> NAMED_CELLS["indrnn_tanh"].kind, dict(NAMED_CELLS["indrnn_tanh"].arguments)
    ('indrnn', {'nonlinearity': 'tanh'})
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: What each module of a `NamedCell` is for.
USES = ("step", "sequence", "dropin")


@dataclass(frozen=True)
class NamedCell:
    """One cell name and what it builds.

    ``kind`` is the name of its `CellKind`. ``step``, ``sequence`` and
    ``dropin`` are ``"module:attribute"`` of its one-step cell, its batch-first sequence module and
    rnninit's module with the sequence module's calling convention (``None``: the name has no such
    use). ``arguments`` are constructor arguments the name fixes (``nonlinearity="relu"``);
    ``options`` the ones a run config may set, with their valid values. ``state`` names the parts
    of the one-step cell's state (``("h", "c")`` for an LSTM).
    """

    name: str
    kind: str
    framework: str
    doc: str
    step: str | None = None
    sequence: str | None = None
    dropin: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    state: tuple[str, ...] = ("h",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arguments", MappingProxyType(dict(self.arguments)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def module(self, use: str) -> Any:
        """The class (or function) that builds this cell for ``use`` (``"step"``, ``"sequence"`` or
        ``"dropin"``), imported now."""
        where = getattr(self, use) if use in USES else None
        if where is None:
            raise KeyError(f"cell {self.name!r} has no {use} module")
        module, _, attribute = where.partition(":")
        return getattr(importlib.import_module(module), attribute)


def _cells(*cells: NamedCell) -> Mapping[str, NamedCell]:
    return MappingProxyType({cell.name: cell for cell in cells})


_TANH_OR_RELU = {"nonlinearity": ("tanh", "relu")}

#: Every cell name, in the order the command line lists them.
NAMED_CELLS: Mapping[str, NamedCell] = _cells(
    NamedCell(
        "lstm",
        "lstm",
        "torch",
        "torch.nn.LSTMCell / torch.nn.LSTM; state (h, c)",
        step="torch.nn:LSTMCell",
        sequence="torch.nn:LSTM",
        dropin="rnninit.torch:LSTM",
        state=("h", "c"),
    ),
    NamedCell(
        "gru",
        "gru",
        "torch",
        "torch.nn.GRUCell / torch.nn.GRU",
        step="torch.nn:GRUCell",
        sequence="torch.nn:GRU",
        dropin="rnninit.torch:GRU",
    ),
    NamedCell(
        "elman",
        "elman",
        "torch",
        "torch.nn.RNNCell / torch.nn.RNN, tanh (a run config may set nonlinearity: relu)",
        step="torch.nn:RNNCell",
        sequence="torch.nn:RNN",
        dropin="rnninit.torch:Elman",
        arguments={"nonlinearity": "tanh"},
        options=_TANH_OR_RELU,
    ),
    NamedCell(
        "elman_relu",
        "elman",
        "torch",
        "torch.nn.RNNCell, relu",
        step="torch.nn:RNNCell",
        arguments={"nonlinearity": "relu"},
    ),
    NamedCell(
        "indrnn",
        "indrnn",
        "torch",
        "rnninit.torch.IndRNNCell / IndRNN, relu (a run config may set nonlinearity: tanh)",
        step="rnninit.torch:IndRNNCell",
        sequence="rnninit.torch:IndRNN",
        arguments={"nonlinearity": "relu"},
        options=_TANH_OR_RELU,
    ),
    NamedCell(
        "indrnn_tanh",
        "indrnn",
        "torch",
        "rnninit.torch.IndRNNCell, tanh",
        step="rnninit.torch:IndRNNCell",
        arguments={"nonlinearity": "tanh"},
    ),
    NamedCell(
        "minimalrnn",
        "minimalrnn",
        "torch",
        "rnninit.torch.MinimalRNNCell / MinimalRNN",
        step="rnninit.torch:MinimalRNNCell",
        sequence="rnninit.torch:MinimalRNN",
    ),
    NamedCell(
        "two_kernel_tanh",
        "elman",
        "torch",
        "h' = tanh(x K_ih + h K_hh), no bias: a user's own cell with kernels stored (in, out) as Keras "
        "does, its roles declared in one line (rnninit.experiments.two_kernel_tanh)",
        sequence="rnninit.experiments.two_kernel_tanh:TwoKernelTanhRNN",
    ),
    NamedCell(
        "keras_lstm",
        "lstm",
        "keras",
        "keras.layers.LSTMCell (unit_forget_bias=True)",
        step="keras.layers:LSTMCell",
        state=("h", "c"),
    ),
    NamedCell(
        "keras_gru", "gru", "keras", "keras.layers.GRUCell (reset_after=True)", step="keras.layers:GRUCell"
    ),
    NamedCell(
        "keras_elman", "elman", "keras", "keras.layers.SimpleRNNCell, tanh", step="keras.layers:SimpleRNNCell"
    ),
)


def cell_names(use: str) -> tuple[str, ...]:
    """The names that have a module for ``use`` (``"step"``, ``"sequence"`` or ``"dropin"``), in order.

    Examples:
        >>> cell_names("sequence")
        ('lstm', 'gru', 'elman', 'indrnn', 'minimalrnn', 'two_kernel_tanh')
    """
    if use not in USES:
        raise ValueError(f"unknown use {use!r}; valid: {', '.join(USES)}")
    return tuple(name for name, cell in NAMED_CELLS.items() if getattr(cell, use) is not None)
