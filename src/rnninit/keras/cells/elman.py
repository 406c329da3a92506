"""Elman RNN cell: ``h' = φ(W_ih x + W_hh h + b)``, ``φ`` = tanh (or relu: the IRNN of Le et al. 2015)."""

from __future__ import annotations

import keras

from rnninit.keras.cells.arguments import ACTIVATIONS, check_activation
from rnninit.keras.cells.base import RecurrentCell
from rnninit.layout.kinds import ELMAN


@keras.saving.register_keras_serializable(package="rnninit")
class ElmanCell(RecurrentCell):
    """``h' = φ(x K + h R + b)`` with ``kernel`` (in, units), ``recurrent_kernel`` (units, units), ``bias``.

    Args:
        units: The number of hidden units (a positive integer).
        init: The spec the weights are initialized from (a `Spec`, string, preset name or dict);
            roles it does not name get Keras' defaults (``keras_default``).
        seed: An int in ``[0, 2**63 - 1]`` for reproducible weights; ``None`` draws a fresh seed at
            each initialization from Python's generator.
        activation: ``"tanh"`` or ``"relu"`` (the default ``tanh``).
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Raises:
        CellArgumentError: ``units`` is not a positive integer, or ``activation`` is not ``tanh`` or ``relu``.
        SpecError: ``init`` is malformed or does not fit this cell.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import keras, numpy as np, rnninit.keras as rk
        >>> layer = keras.layers.RNN(rk.ElmanCell(8, init="irnn", activation="relu", seed=0))
        >>> layer.build((None, 5, 3))
        >>> bool(np.array_equal(layer.cell.recurrent_kernel.numpy(), np.eye(8)))
        True
    """

    kind = ELMAN
    weight_roles = (("kernel", "ih"), ("recurrent_kernel", "hh"), ("bias", "bias"))

    def __init__(self, units, init=None, seed=None, activation: str = "tanh", **kwargs):
        super().__init__(units, init=init, seed=seed, **kwargs)
        self.activation = check_activation(type(self).__name__, activation)

    def step(self, inputs, states):
        h = states[0]
        pre = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(h, self.recurrent_kernel) + self.bias
        out = ACTIVATIONS[self.activation](pre)
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}
