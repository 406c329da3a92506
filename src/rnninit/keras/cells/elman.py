"""Elman RNN cell: ``h' = φ(W_ih x + W_hh h + b)``, ``φ`` = tanh (or relu: the IRNN of Le et al. 2015)."""

from __future__ import annotations

import keras

from rnninit.keras.cells.arguments import ACTIVATIONS, check_activation
from rnninit.keras.cells.base import RecurrentCell
from rnninit.layout.kinds import ELMAN


@keras.saving.register_keras_serializable(package="rnninit")
class ElmanCell(RecurrentCell):
    """``h' = φ(x K + h R + b)`` with ``kernel`` (in, units), ``recurrent_kernel`` (units, units), ``bias``.

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> layer = keras.layers.RNN(rk.ElmanCell(8, init="irnn", activation="relu", seed=0))
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
