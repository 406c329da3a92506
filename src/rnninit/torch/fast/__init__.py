"""Whole-sequence recurrent layers: the library's LSTM, GRU and Elman at the built-ins' speed.

Each ``*_sequence`` function runs ONE layer in ONE direction over a ``(T, B, I)`` sequence with
weights in the built-in module's layout, with a hand-derived backward; outputs and gradients match
``torch.nn.LSTM/GRU/RNN`` to rounding (tested in float64 to 1e-9, float32 to 1e-5). The ``*_layer``
functions in `.layers` pick an implementation per `.backend`. See each module's docstring
for the equations and where the time goes.
"""

from rnninit.torch.fast.backend import BACKENDS, get_backend, set_backend, use_backend
from rnninit.torch.fast.elman import ElmanSequence, elman_sequence
from rnninit.torch.fast.gru import GRUSequence, gru_sequence
from rnninit.torch.fast.lstm import LSTMSequence, lstm_sequence

__all__ = [
    "BACKENDS",
    "ElmanSequence",
    "GRUSequence",
    "LSTMSequence",
    "elman_sequence",
    "get_backend",
    "gru_sequence",
    "lstm_sequence",
    "set_backend",
    "use_backend",
]
