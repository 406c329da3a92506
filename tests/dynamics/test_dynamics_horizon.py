"""The memory horizon: the first step at which the gradient norm leaves [1e-3, 1e3]."""

import math

from rnninit.dynamics import Horizon, memory_horizon


def test_horizon_counts_steps_back_to_the_first_norm_below_a_thousandth():
    assert memory_horizon([0.5, 0.01, 0.0011, 0.00099, 1e-9]) == Horizon(4, "vanishing")


def test_horizon_counts_steps_back_to_the_first_norm_above_a_thousand():
    assert memory_horizon([2.0, 999.0, 1000.0, 1000.5]) == Horizon(4, "exploding")


def test_norms_exactly_on_the_band_edges_are_still_inside():
    assert memory_horizon([1e-3, 1e3, 1.0]) == Horizon(None, None)


def test_infinite_or_nan_norm_counts_as_exploded():
    assert memory_horizon([1.0, math.inf]) == Horizon(2, "exploding")
    assert memory_horizon([1.0, math.nan]) == Horizon(2, "exploding")


def test_custom_band():
    assert memory_horizon([0.5, 0.2, 0.05], low=0.1) == Horizon(3, "vanishing")
