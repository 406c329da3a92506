"""MinimalRNN cell (Chen 2017, "MinimalRNN"; analysed in Chen, Pennington & Schoenholz 2018)."""

from __future__ import annotations

import keras

from rnninit.keras.cells.base import RecurrentCell
from rnninit.layout.kinds import MINIMALRNN


@keras.saving.register_keras_serializable(package="rnninit")
class MinimalRNNCell(RecurrentCell):
    """``z = tanh(x K + b_x)``; ``u = σ(h R + z Z + b_u)``; ``h' = u ⊙ h + (1 - u) ⊙ z``.

    Weights: ``kernel`` (in, units) role ``ih``, ``input_bias`` role ``input_bias``,
    ``recurrent_kernel`` (units, units) role ``hh[u]``, ``z_kernel`` (units, units) role ``zh[u]``,
    ``bias`` role ``bias[u]``.

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> layer = keras.layers.RNN(rk.MinimalRNNCell(16, init="hh=orthogonal zh=orthogonal", seed=0))
    """

    kind = MINIMALRNN
    weight_roles = (
        ("kernel", "ih"),
        ("input_bias", "input_bias"),
        ("recurrent_kernel", "hh"),
        ("z_kernel", "zh"),
        ("bias", "bias"),
    )

    def step(self, inputs, states):
        h = states[0]
        z = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel) + self.input_bias)
        u = keras.ops.sigmoid(
            keras.ops.matmul(h, self.recurrent_kernel) + keras.ops.matmul(z, self.z_kernel) + self.bias
        )
        h_new = u * h + (1.0 - u) * z
        return h_new, [h_new]
