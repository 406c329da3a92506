"""The inits' fast draws give NumPy's `Generator.normal` / `Generator.uniform` numbers bit for bit, so
making them fast changed no seeded number (same spec + seed -> same weights as before)."""

import numpy as np
import pytest

from rnninit.inits.random import normal_draws, uniform_draws

SHAPES = [(1,), (7,), (64, 33), (3, 16, 16)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (0.0, 0.02), (0.5, 2.0), (-3.0, 1e-8), (0.0, 0.0)])
def test_normal_draws_are_numpys_normal_bit_for_bit(shape, mean, std):
    for seed in range(5):
        fast = normal_draws(np.random.default_rng(seed), mean, std, shape)
        reference = np.random.default_rng(seed).normal(mean, std, size=shape)
        assert fast.dtype == reference.dtype and fast.shape == reference.shape
        assert fast.tobytes() == reference.tobytes()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-0.25, 0.25), (-1.0, 3.0), (2.0, 2.0), (1e-3, 1e3)])
def test_uniform_draws_are_numpys_uniform_bit_for_bit(shape, low, high):
    for seed in range(5):
        fast = uniform_draws(np.random.default_rng(seed), low, high, shape)
        reference = np.random.default_rng(seed).uniform(low, high, size=shape)
        assert fast.tobytes() == reference.tobytes()


def test_the_stream_continues_as_numpys_would():
    """Two draws in a row leave the generator where NumPy's two calls leave it."""
    fast_rng, numpy_rng = np.random.default_rng(11), np.random.default_rng(11)
    normal_draws(fast_rng, 0.0, 1.0, (100,))
    uniform_draws(fast_rng, -1.0, 1.0, (50,))
    numpy_rng.normal(0.0, 1.0, 100)
    numpy_rng.uniform(-1.0, 1.0, 50)
    assert fast_rng.bit_generator.state == numpy_rng.bit_generator.state
