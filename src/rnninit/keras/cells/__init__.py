"""rnninit's Keras cells: use them in ``keras.layers.RNN`` and ``keras.layers.Bidirectional``."""

from rnninit.keras.cells.base import RecurrentCell
from rnninit.keras.cells.elman import ElmanCell
from rnninit.keras.cells.gru import GRUCell
from rnninit.keras.cells.indrnn import IndRNNCell
from rnninit.keras.cells.lstm import LSTMCell
from rnninit.keras.cells.minimalrnn import MinimalRNNCell

__all__ = ["ElmanCell", "GRUCell", "IndRNNCell", "LSTMCell", "MinimalRNNCell", "RecurrentCell"]
