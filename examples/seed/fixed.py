"""The problem statement's cell done right with rnninit.

* Each weight is bound to its *role* (``rk.role(spec, "ih")``), not guessed from its shape, so
  ``scale_hh`` reaches ``kernel_hh`` for every input size, including input_dim == units.
* The spec is one serializable value (``"ih=normal(std=1.0) hh=normal(std=0.05) bias=zeros"``), so any
  rnninit init works (orthogonal, identity, chrono, ...), not just two distributions; the
  ``scale_ih``/``scale_hh``/``dist`` interface of the original is kept by :func:`scaled_spec`, with a
  typed error that lists the valid distributions.
* The cell has ``state_size``/``output_size``/``get_initial_state``, so ``keras.layers.RNN`` and
  ``Bidirectional`` accept it; ``get_config`` carries the spec and seed, so it saves and loads; and
  ``rnninit_roles`` declares its weights, so ``rk.apply`` (and the audit) understand it.
"""

from __future__ import annotations

from typing import ClassVar

import keras

import rnninit.keras as rk
from rnninit import Spec
from rnninit.errors import SpecError, did_you_mean, one_of
from rnninit.inits import Init, Normal, Uniform, Zeros

#: ``dist`` -> the init with standard scale ``scale``: N(0, scale²) or U(-scale, scale).
DISTRIBUTIONS = {
    "normal": lambda scale: Normal(std=scale),
    "uniform": lambda scale: Uniform(low=-scale, high=scale),
}


def scaled_spec(scale_ih: float = 1.0, scale_hh: float = 1.0, dist: str = "normal") -> Spec:
    """The original interface as a spec: ``ih`` at ``scale_ih``, ``hh`` at ``scale_hh``, zero bias."""
    make = DISTRIBUTIONS.get(dist)
    if make is None:
        raise SpecError(
            f"unknown distribution {dist!r}{did_you_mean(str(dist), DISTRIBUTIONS)}; valid: {one_of(DISTRIBUTIONS)} "
            "(or pass any rnninit spec as init=..., e.g. 'ih=glorot_uniform hh=orthogonal')"
        )
    entries: dict[str, Init] = {"ih": make(scale_ih), "hh": make(scale_hh), "bias": Zeros()}
    return Spec(entries)


@keras.saving.register_keras_serializable(package="rnninit_examples")
class RoleRNNCell(keras.layers.Layer):
    """``h' = tanh(x K_ih + h K_hh + b)`` with each weight initialized by its role in ``init``."""

    rnninit_roles: ClassVar[dict[str, str]] = {"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}

    def __init__(self, units, init="ih=normal(std=1.0) hh=normal(std=1.0) bias=zeros", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.init = Spec.coerce(init)
        self.seed = seed
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel_ih = self.add_weight(
            name="kernel_ih",
            shape=(input_dim, self.units),
            initializer=rk.role(self.init, "ih", seed=self.seed),
        )
        self.kernel_hh = self.add_weight(
            name="kernel_hh",
            shape=(self.units, self.units),
            initializer=rk.role(self.init, "hh", seed=self.seed),
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer=rk.role(self.init, "bias", seed=self.seed)
        )

    def get_initial_state(self, batch_size=None):
        return [keras.ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def call(self, inputs, states):
        h = keras.ops.tanh(
            keras.ops.matmul(inputs, self.kernel_ih) + keras.ops.matmul(states[0], self.kernel_hh) + self.bias
        )
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "init": self.init.to_dict(), "seed": self.seed}
