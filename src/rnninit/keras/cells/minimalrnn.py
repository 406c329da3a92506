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
        >>> layer = keras.layers.RNN(rk.MinimalRNNCell(16, init="hh=orthogonal zh=orthogonal", seed=0))
        >>> layer.build((None, 5, 8))
        >>> [tuple(v.shape) for v in layer.cell.weights]  # kernel input_bias recurrent_kernel z_kernel bias
        [(8, 16), (16,), (16, 16), (16, 16), (16,)]
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
