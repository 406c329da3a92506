"""Each random init samples exactly the distribution its docstring states.

One-sample Kolmogorov–Smirnov tests against the exact scipy.stats distribution, each at a
false-positive rate of ``ALPHA = 1e-4`` (the p-value must exceed it). Seeds are fixed, so the tests
are deterministic; the power checks show the same tests reject a distribution that is 10% off.
Fans are per gate block: an LSTM gate block of ``(H, in)`` has ``fan_out = H``, not ``4·H``;
a fused block has ``fan_out = gates·H``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from core_blocks import ALPHA, matrix_block, rng, torch_layout, vector_block
from scipy import stats

from rnninit.inits import make_init
from rnninit.plan import make_plan

N = 40_000


def ks_pvalue(sample: np.ndarray, dist) -> float:
    return stats.kstest(np.ravel(sample), dist.cdf).pvalue


def draw(spec: str, block, seed: int = 0) -> np.ndarray:
    from rnninit.spec.parse import parse_init

    return parse_init(spec).sample(block, rng(seed))


@pytest.mark.parametrize(
    ("init", "dist"),
    [
        ("normal", stats.norm(0, 1)),
        ("normal(mean=0.3, std=0.5)", stats.norm(0.3, 0.5)),
        ("truncated_normal", stats.truncnorm(-2, 2)),
        ("truncated_normal(mean=-1, std=0.2)", stats.truncnorm(-2, 2, loc=-1, scale=0.2)),
        ("uniform", stats.uniform(-0.05, 0.1)),
        ("uniform(low=2, high=5)", stats.uniform(2, 3)),
    ],
)
def test_plain_distributions_match_their_definition(init, dist):
    sample = draw(init, matrix_block(200, 200))
    assert ks_pvalue(sample, dist) > ALPHA


def test_truncated_normal_stays_within_two_std_and_has_the_truncated_std():
    sample = draw("truncated_normal(mean=1, std=0.5)", matrix_block(200, 200))
    assert sample.min() >= 0.0 and sample.max() <= 2.0
    # the truncated distribution's own std, 0.8796 * std (a 4-sigma band at this n)
    assert abs(sample.std() - stats.truncnorm(-2, 2).std() * 0.5) < 4 * 0.5 / math.sqrt(2 * sample.size)


# fan_in, fan_out, distribution family and variance scale of each variance-scaling init
VARIANCE_SCALING = {
    "glorot_uniform": ("uniform", lambda fi, fo: 2.0 / (fi + fo)),
    "glorot_normal": ("normal", lambda fi, fo: 2.0 / (fi + fo)),
    "he_uniform": ("uniform", lambda fi, fo: 2.0 / fi),
    "he_normal": ("normal", lambda fi, fo: 2.0 / fi),
    "lecun_uniform": ("uniform", lambda fi, fo: 1.0 / fi),
    "lecun_normal": ("normal", lambda fi, fo: 1.0 / fi),
}


def variance_scaling_dist(name: str, fan_in: int, fan_out: int, gain: float = 1.0):
    family, var = VARIANCE_SCALING[name]
    std = gain * math.sqrt(var(fan_in, fan_out))
    if family == "uniform":
        limit = math.sqrt(3.0) * std
        return stats.uniform(-limit, 2 * limit)
    return stats.norm(0, std)


@pytest.mark.parametrize("name", sorted(VARIANCE_SCALING))
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_variance_scaling_on_a_single_block(name, gain):
    block = matrix_block(300, 120, role="ih")  # fan_out 300, fan_in 120
    sample = draw(f"{name}(gain={gain})", block)
    assert ks_pvalue(sample, variance_scaling_dist(name, 120, 300, gain)) > ALPHA


@pytest.mark.parametrize("name", sorted(VARIANCE_SCALING))
def test_variance_scaling_fans_are_per_gate_block_and_gates_times_hidden_when_fused(name):
    hidden, inputs = 64, 48
    layout = torch_layout("lstm", inputs, hidden)
    per_gate = make_plan(f"ih={name}", layout, seed=1)
    fused = make_plan(f"ih={name}(fused=true)", layout, seed=1)
    values = np.concatenate([a.value for a in per_gate.assignments])
    values_fused = np.concatenate([a.value for a in fused.assignments])
    assert ks_pvalue(values, variance_scaling_dist(name, inputs, hidden)) > ALPHA
    assert ks_pvalue(values_fused, variance_scaling_dist(name, inputs, 4 * hidden)) > ALPHA
    if name.startswith("glorot"):  # only fan_avg uses fan_out: the wrong fan is rejected
        assert ks_pvalue(values, variance_scaling_dist(name, inputs, 4 * hidden)) < ALPHA


def test_torch_default_with_one_term_is_uniform_on_one_over_sqrt_hidden():
    hidden = 256
    bound = 1 / math.sqrt(hidden)
    sample = draw("torch_default(terms=1)", matrix_block(hidden, 160))
    assert ks_pvalue(sample, stats.uniform(-bound, 2 * bound)) > ALPHA


def test_torch_default_effective_bias_sums_two_draws_into_a_triangle():
    hidden = 400
    bound = 1 / math.sqrt(hidden)
    block = vector_block(hidden, bias_terms=2)
    sample = np.concatenate([draw("torch_default", block, seed) for seed in range(100)])
    assert ks_pvalue(sample, stats.triang(0.5, loc=-2 * bound, scale=4 * bound)) > ALPHA
    assert ks_pvalue(sample, stats.uniform(-bound, 2 * bound)) < ALPHA


def test_torch_default_terms_override_the_block_default():
    block = vector_block(N, bias_terms=2)
    bound = 1 / math.sqrt(N)
    sample = draw("torch_default(terms=1)", block)
    assert ks_pvalue(sample, stats.uniform(-bound, 2 * bound)) > ALPHA


@pytest.mark.parametrize(
    ("init", "wrong"),
    [
        ("normal(std=1.0)", stats.norm(0, 1.1)),
        ("uniform(low=-1, high=1)", stats.uniform(-1.1, 2.2)),
        ("truncated_normal(std=1.0)", stats.truncnorm(-2, 2, scale=1.1)),
        ("glorot_normal", stats.norm(0, 1.1 * math.sqrt(2.0 / 400))),
    ],
)
def test_power_a_distribution_ten_percent_off_is_rejected(init, wrong):
    sample = draw(init, matrix_block(200, 200))
    assert ks_pvalue(sample, wrong) < ALPHA


@pytest.mark.parametrize("init", ["constant(0.25)", "zeros", "ones"])
def test_constants_are_exact(init):
    sample = draw(init, matrix_block(7, 3))
    expected = {"constant(0.25)": 0.25, "zeros": 0.0, "ones": 1.0}[init]
    np.testing.assert_array_equal(sample, np.full((7, 3), expected))


def test_zero_std_gives_the_mean_exactly():
    for init in ("normal(mean=0.5, std=0)", "truncated_normal(mean=0.5, std=0)"):
        np.testing.assert_array_equal(draw(init, vector_block(9)), np.full(9, 0.5))


def test_sample_is_float64_of_the_block_shape():
    for name in ("normal", "uniform", "glorot_uniform", "torch_default", "orthogonal"):
        out = make_init(name).sample(matrix_block(5, 3), rng())
        assert out.dtype == np.float64 and out.shape == (5, 3)
