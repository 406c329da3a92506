"""The model factory: the one place that maps a cell name to a recurrent module, and the sequence
model (recurrent module + linear readout) that every task trains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

import rnninit.torch as rt
from rnninit.errors import shown
from rnninit.spec import SpecLike


@dataclass(frozen=True)
class CellEntry:
    """How to build one cell: its rnninit cell kind (for spec validation) and a constructor
    ``(input_size, hidden_size, **options) -> module`` that returns ``(outputs, state)`` batch-first."""

    kind: str
    build: Callable[..., nn.Module]
    options: tuple[str, ...] = ()
    doc: str = ""


def _elman(input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> nn.Module:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"elman: nonlinearity must be 'tanh' or 'relu', got {shown(nonlinearity)}")
    return nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, batch_first=True)


def _problem_cell(input_size: int, hidden_size: int) -> nn.Module:
    from rnninit.experiments.custom_cell import ProblemCellRNN

    return ProblemCellRNN(input_size, hidden_size)


def _indrnn(input_size: int, hidden_size: int, nonlinearity: str = "relu") -> nn.Module:
    return rt.IndRNN(input_size, hidden_size, nonlinearity=nonlinearity, batch_first=True)


CELLS: dict[str, CellEntry] = {
    "elman": CellEntry(
        "elman", _elman, ("nonlinearity",), "torch.nn.RNN (tanh, or relu with nonlinearity: relu)"
    ),
    "lstm": CellEntry("lstm", lambda i, h: nn.LSTM(i, h, batch_first=True), (), "torch.nn.LSTM"),
    "gru": CellEntry("gru", lambda i, h: nn.GRU(i, h, batch_first=True), (), "torch.nn.GRU"),
    "indrnn": CellEntry("indrnn", _indrnn, ("nonlinearity",), "rnninit.torch.IndRNN (relu, or tanh)"),
    "minimalrnn": CellEntry(
        "minimalrnn", lambda i, h: rt.MinimalRNN(i, h, batch_first=True), (), "rnninit.torch.MinimalRNN"
    ),
    "problem_cell": CellEntry(
        "elman", _problem_cell, (), "the problem statement's custom tanh cell (no bias)"
    ),
}


class SequenceModel(nn.Module):
    """A recurrent module followed by a linear readout of the hidden state, at the last step
    (``readout="last"``) or at every step (``readout="all"``)."""

    def __init__(self, rnn: nn.Module, hidden_size: int, output_size: int, readout: str):
        super().__init__()
        self.rnn = rnn
        self.readout = readout
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)
        if self.readout == "last":
            outputs = outputs[:, -1]
        return self.head(outputs)


def build_model(
    cell: str,
    hidden: int,
    spec: SpecLike,
    *,
    input_size: int,
    output_size: int,
    readout: str,
    seed: int,
    options: dict | None = None,
) -> SequenceModel:
    """Build the model of one run: the readout from torch's default init under ``torch.manual_seed(seed)``,
    then the recurrent cell initialized by ``rnninit.torch.apply(spec, rnn, seed=seed)``."""
    entry = CELLS[cell]
    torch.manual_seed(seed)
    rnn = entry.build(input_size, hidden, **(options or {}))
    model = SequenceModel(rnn, hidden, output_size, readout)
    rt.apply(spec, model.rnn, seed=seed)
    return model
