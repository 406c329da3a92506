"""GRU cell (Cho et al. 2014) with PyTorch's equations (= Keras' ``reset_after=True``)."""

from __future__ import annotations

import keras

from rnninit.keras.cells.base import RecurrentCell
from rnninit.layout.kinds import GRU


@keras.saving.register_keras_serializable(package="rnninit")
class GRUCell(RecurrentCell):
    """``r = σ(x K_r + h R_r + b_r)``, ``z = σ(x K_z + h R_z + b_z)``,
    ``n = tanh(x K_n + b_in + r ⊙ (h R_n + b_hn))``, ``h' = (1 - z) ⊙ n + z ⊙ h``.

    Gate blocks in the order ``r z n``; ``bias`` (3·units) is ``[b_r, b_z, b_in]`` and ``bias_hn``
    (units) the hidden-side n bias, so every number is one parameter of the math: this is exactly
    ``torch.nn.GRU`` and ``keras.layers.GRU(reset_after=True)``.

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
        >>> layer = keras.layers.RNN(rk.GRUCell(16, init="hh=orthogonal bias=zeros bias[z]=1.0", seed=0))
        >>> layer.build((None, 5, 8))
        >>> cell = layer.cell
        >>> tuple(cell.bias.shape), tuple(cell.bias_hn.shape), float(cell.bias.numpy()[16:32].min())
        ((48,), (16,), 1.0)
    """

    kind = GRU
    weight_roles = (("kernel", "ih"), ("recurrent_kernel", "hh"), ("bias", "bias"), ("bias_hn", "bias_hn"))

    def step(self, inputs, states):
        h = states[0]
        x_r, x_z, x_n = keras.ops.split(keras.ops.matmul(inputs, self.kernel) + self.bias, 3, axis=-1)
        h_r, h_z, h_n = keras.ops.split(keras.ops.matmul(h, self.recurrent_kernel), 3, axis=-1)
        r = keras.ops.sigmoid(x_r + h_r)
        z = keras.ops.sigmoid(x_z + h_z)
        n = keras.ops.tanh(x_n + r * (h_n + self.bias_hn))
        h_new = (1.0 - z) * n + z * h
        return h_new, [h_new]
