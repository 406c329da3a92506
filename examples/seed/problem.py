"""The problem statement's code, as written: three initializers and a cell, each wrong in its own way.

Kept to show the failures next to the fix (``fixed.py``); ``tests/docs/test_examples_seed.py`` proves them.

1. :class:`IncorrectInitializer` takes ``scale_ih`` and ``scale_hh`` but only ever uses ``scale_ih``:
   Keras calls an initializer as ``init(shape, dtype)``, never saying which weight it builds.
2. :class:`ShapeDispatchInitializer` guesses the weight from its shape: right for input_dim 256 and
   units 128, silently wrong at input_dim == units (both kernels look like (128, 128)), an error
   for any other input size.
3. :class:`DistInitializer` adds ``dist='normal'|'uniform'`` (``ValueError`` otherwise) on top of (2),
   so it inherits its failures.

:class:`CustomRNNCell` passes one initializer to both kernels and has no ``state_size``, so
``keras.layers.RNN`` rejects it.
"""

from __future__ import annotations

import keras


class IncorrectInitializer(keras.initializers.Initializer):
    def __init__(self, scale_ih=1.0, scale_hh=1.0):
        self.scale_ih = scale_ih
        self.scale_hh = scale_hh

    def __call__(self, shape, dtype=None):
        return keras.random.normal(shape, stddev=self.scale_ih, dtype=dtype)  # scale_hh is never used


class ShapeDispatchInitializer(keras.initializers.Initializer):
    def __init__(self, scale_ih=1.0, scale_hh=1.0):
        self.scale_ih = scale_ih
        self.scale_hh = scale_hh

    def __call__(self, shape, dtype=None):
        if tuple(shape) == (256, 128):
            return keras.random.normal(shape, stddev=self.scale_ih, dtype=dtype)
        elif tuple(shape) == (128, 128):
            return keras.random.normal(shape, stddev=self.scale_hh, dtype=dtype)
        raise ValueError(f"Unexpected shape {shape}")


class DistInitializer(ShapeDispatchInitializer):
    def __init__(self, scale_ih=1.0, scale_hh=1.0, dist="normal"):
        super().__init__(scale_ih, scale_hh)
        if dist not in ("normal", "uniform"):
            raise ValueError("Unknown distribution")
        self.dist = dist

    def __call__(self, shape, dtype=None):
        if self.dist == "normal":
            return super().__call__(shape, dtype)
        if tuple(shape) == (256, 128):
            scale = self.scale_ih
        elif tuple(shape) == (128, 128):
            scale = self.scale_hh
        else:
            raise ValueError(f"Unexpected shape {shape}")
        return keras.random.uniform(shape, minval=-scale, maxval=scale, dtype=dtype)


class CustomRNNCell(keras.layers.Layer):
    def __init__(self, units, initializer, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.initializer = initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel_ih = self.add_weight(
            shape=(input_dim, self.units), initializer=self.initializer, name="kernel_ih"
        )
        self.kernel_hh = self.add_weight(
            shape=(self.units, self.units), initializer=self.initializer, name="kernel_hh"
        )

    def call(self, inputs, states):
        h = keras.ops.tanh(
            keras.ops.matmul(inputs, self.kernel_ih) + keras.ops.matmul(states[0], self.kernel_hh)
        )
        return h, [h]
