"""The model every task trains: the recurrent module a cell name builds
(`rnninit.named_cells.NAMED_CELLS`), then a linear readout."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

import rnninit.torch as rt
from rnninit.errors import ConfigError, one_of, shown
from rnninit.named_cells import NAMED_CELLS, NamedCell, cell_names
from rnninit.spec import SpecLike

#: The cells a run config may name (``cell: lstm``): every named cell with a sequence module.
CELLS: Mapping[str, NamedCell] = MappingProxyType(
    {name: NAMED_CELLS[name] for name in cell_names("sequence")}
)


def check_options(cell: str, options: Mapping[str, Any]) -> None:
    """A `ConfigError` for an option value ``cell`` does not take (``nonlinearity: sigmoid``)."""
    for key, value in options.items():
        valid = CELLS[cell].options.get(key)
        if valid is None:
            takes = one_of(CELLS[cell].options) or "none"
            raise ConfigError(f"{cell} takes no option {shown(key)}; its options: {takes}")
        if value not in valid:
            raise ConfigError(f"{cell}: {key} must be {' or '.join(map(repr, valid))}, got {shown(value)}")


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
    options = dict(options or {})
    check_options(cell, options)
    named = CELLS[cell]
    torch.manual_seed(seed)
    rnn = named.module("sequence")(input_size, hidden, **{**named.arguments, **options}, batch_first=True)
    model = SequenceModel(rnn, hidden, output_size, readout)
    rt.apply(spec, model.rnn, seed=seed)
    return model
