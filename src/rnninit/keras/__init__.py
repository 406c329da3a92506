"""Keras 3 backend: role-bound initializers, cells for ``keras.layers.RNN``, and ``apply`` on built-in layers.

Examples:
    >>> import keras, rnninit.keras as rk
    >>> spec = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
    >>> model = keras.Sequential([keras.Input((20, 8)), keras.layers.RNN(rk.LSTMCell(16, init=spec, seed=0))])
    >>> lstm = keras.layers.LSTM(16); lstm.build((None, 20, 8))
    >>> rk.apply(spec, lstm, seed=0)
    ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)

Importing this module registers every class with Keras' serialization (package ``rnninit``), so a
``.keras`` file that uses them loads after ``import rnninit.keras``.
"""

from rnninit.apply_result import ApplyResult
from rnninit.keras.apply import apply
from rnninit.keras.cells import ElmanCell, GRUCell, IndRNNCell, LSTMCell, MinimalRNNCell, RecurrentCell
from rnninit.keras.initializers import RoleInitializer, role
from rnninit.keras.layouts import model_layout, read_arrays, write_arrays

__all__ = [
    "ApplyResult",
    "ElmanCell",
    "GRUCell",
    "IndRNNCell",
    "LSTMCell",
    "MinimalRNNCell",
    "RecurrentCell",
    "RoleInitializer",
    "apply",
    "model_layout",
    "read_arrays",
    "role",
    "write_arrays",
]
