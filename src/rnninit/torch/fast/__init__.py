"""Whole-sequence recurrent layers with hand-derived backwards: the library's cells at built-in speed.

Each function runs ONE layer in ONE direction over a ``(T, B, I)`` sequence with weights in the
built-in module's layout, and returns what the built-in returns for that layer; outputs and
gradients match ``torch.nn.LSTM/GRU/RNN`` to rounding (tested in float64 to 1e-9, float32 to 1e-5).
See each module's docstring for the equations and where the time goes.
"""

from rnninit.torch.fast.elman import ElmanSequence, elman_sequence
from rnninit.torch.fast.gru import GRUSequence, gru_sequence
from rnninit.torch.fast.lstm import LSTMSequence, lstm_sequence

__all__ = [
    "ElmanSequence",
    "GRUSequence",
    "LSTMSequence",
    "elman_sequence",
    "gru_sequence",
    "lstm_sequence",
]
