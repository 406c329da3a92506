"""rnninit's PyTorch cells: one file per cell, each a ``*Cell`` (one step) and a sequence module.

``Elman``, ``LSTM`` and ``GRU`` (and their cells) are drop-in replacements for ``torch.nn.RNN``,
``LSTM`` and ``GRU``: same parameter names, shapes and gate order, so ``load_state_dict`` works both
ways. ``IndRNN`` and ``MinimalRNN`` follow the same calling convention. Every constructor takes
``init=`` (a spec, spec string, preset name or dict) and ``seed=``.
"""

from rnninit.torch.cells.elman import Elman, ElmanCell
from rnninit.torch.cells.gru import GRU, GRUCell
from rnninit.torch.cells.indrnn import IndRNN, IndRNNCell
from rnninit.torch.cells.lstm import LSTM, LSTMCell
from rnninit.torch.cells.minimalrnn import MinimalRNN, MinimalRNNCell

__all__ = [
    "GRU",
    "LSTM",
    "Elman",
    "ElmanCell",
    "GRUCell",
    "IndRNN",
    "IndRNNCell",
    "LSTMCell",
    "MinimalRNN",
    "MinimalRNNCell",
]
