"""IndRNN cell (Li, Li, Cook, Zhu & Gao 2018): ``h' = φ(W x + u ⊙ h + b)``, one recurrent weight per unit."""

from __future__ import annotations

import keras

from rnninit.keras.cells.arguments import ACTIVATIONS, check_activation
from rnninit.keras.cells.base import RecurrentCell
from rnninit.layout.kinds import INDRNN


@keras.saving.register_keras_serializable(package="rnninit")
class IndRNNCell(RecurrentCell):
    """``h' = φ(x K + u ⊙ h + b)``; ``recurrent_kernel`` is the vector ``u`` (units,), role ``hh`` (diagonal).

    Default init: glorot_uniform input weights, ``u ~ U(0, 1)``, zero bias; the paper's scheme for
    sequences of length T is the preset ``indrnn(t_max=T)``.

    Args:
        units: The number of hidden units (a positive integer).
        init: The spec the weights are initialized from (a `Spec`, string, preset name or dict);
            roles it does not name get the default above.
        seed: An int in ``[0, 2**63 - 1]`` for reproducible weights; ``None`` draws a fresh seed at
            each initialization from Python's generator.
        activation: ``"tanh"`` or ``"relu"`` (the default ``relu``).
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Raises:
        CellArgumentError: ``units`` is not a positive integer, or ``activation`` is not ``tanh`` or ``relu``.
        SpecError: ``init`` is malformed or does not fit this cell.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import keras, rnninit.keras as rk
        >>> layer = keras.layers.RNN(rk.IndRNNCell(32, init="indrnn(t_max=100)", seed=0))
        >>> layer.build((None, 100, 8))
        >>> u = layer.cell.recurrent_kernel.numpy()
        >>> u.shape, bool(abs(u).max() <= 2 ** (1 / 100))
        ((32,), True)
    """

    kind = INDRNN
    weight_roles = (("kernel", "ih"), ("recurrent_kernel", "hh"), ("bias", "bias"))
    default_init = "ih=glorot_uniform hh=uniform(low=0.0, high=1.0) bias=zeros"

    def __init__(self, units, init=None, seed=None, activation: str = "relu", **kwargs):
        super().__init__(units, init=init, seed=seed, **kwargs)
        self.activation = check_activation(type(self).__name__, activation)

    def step(self, inputs, states):
        h = states[0]
        pre = keras.ops.matmul(inputs, self.kernel) + self.recurrent_kernel * h + self.bias
        out = ACTIVATIONS[self.activation](pre)
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}
