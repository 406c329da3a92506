"""LSTM cell (Hochreiter & Schmidhuber 1997, with forget gate: Gers et al. 2000), PyTorch's equations."""

from __future__ import annotations

import keras

from rnninit.keras.cells.base import RecurrentCell
from rnninit.layout.kinds import LSTM


@keras.saving.register_keras_serializable(package="rnninit")
class LSTMCell(RecurrentCell):
    """``i, f, g, o = σ, σ, tanh, σ (x K + h R + b)``; ``c' = f ⊙ c + i ⊙ g``; ``h' = o ⊙ tanh(c')``.

    ``kernel`` (in, 4·units) and ``recurrent_kernel`` (units, 4·units) hold gate blocks in the order
    ``i f g o``; ``bias`` (4·units) is the one effective bias. States: ``[h, c]``.
    Default init: Keras' (glorot_uniform ih, orthogonal hh, both over all gates; zero biases; b_f = 1).

    Args:
        units: The number of hidden units (a positive integer).
        init: The spec the weights are initialized from (a `Spec`, string, preset name or dict);
            roles it does not name get Keras' defaults (``keras_default``).
        seed: An int in ``[0, 2**63 - 1]`` for reproducible weights; ``None`` draws a fresh seed at
            each initialization from Python's generator.
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Raises:
        CellArgumentError: ``units`` is not a positive integer.
        SpecError: ``init`` is malformed or does not fit this cell.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> layer = keras.layers.RNN(rk.LSTMCell(16, init="orthogonal bias[f]=2.0", seed=0))
        >>> layer.build((None, 5, 8))
        >>> float(layer.cell.bias.numpy()[16:32].min()), float(abs(layer.cell.bias.numpy()[:16]).max())
        (2.0, 0.0)
    """

    kind = LSTM
    weight_roles = (("kernel", "ih"), ("recurrent_kernel", "hh"), ("bias", "bias"))
    num_states = 2

    def step(self, inputs, states):
        h, c = states
        z = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(h, self.recurrent_kernel) + self.bias
        i, f, g, o = keras.ops.split(z, 4, axis=-1)
        c_new = keras.ops.sigmoid(f) * c + keras.ops.sigmoid(i) * keras.ops.tanh(g)
        h_new = keras.ops.sigmoid(o) * keras.ops.tanh(c_new)
        return h_new, [h_new, c_new]
