"""Each spelling in docs/spec-language.md's "PyTorch's and Keras' names" table against the framework's
own initializer: two-sample Kolmogorov–Smirnov tests on seeded draws (60 000 values a side), each at a
false-positive rate of ALPHA = 1e-3 for unseeded draws; the seeds are fixed, so the tests are
deterministic. Every "same" check has a power check beside it: the same test, on the same sizes,
tells the other framework's meaning apart (p < ALPHA)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import torch
from scipy import stats

import rnninit as ri
import rnninit.torch as rt
from rnninit.audit.checks import check_value
from rnninit.inits import Block
from rnninit.spec.parse import parse_init

ALPHA = 1e-3
OUT, IN = 300, 200  # neutral (out, in); Keras' kernel is (in, out), torch's weight (out, in)


def ours(init: str, seed: int = 0, shape: tuple[int, int] = (OUT, IN)) -> np.ndarray:
    return rt.init_(torch.empty(shape, dtype=torch.float64), init, seed=seed).numpy()


def by_torch(fill, seed: int = 1, shape: tuple[int, int] = (OUT, IN), **kwargs) -> np.ndarray:
    torch.manual_seed(seed)
    return fill(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()


def by_keras(initializer, shape: tuple[int, int] = (IN, OUT)) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(initializer(shape, dtype="float64"))).T


def p_same(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.ks_2samp(a.ravel(), b.ravel()).pvalue)


KI = keras.initializers
KERAS = [
    # (ours, Keras' own, a spelling of the *other* meaning that the test must tell apart)
    ("glorot_normal(truncated=true)", KI.GlorotNormal(seed=1), "glorot_normal"),
    ("he_normal(truncated=true)", KI.HeNormal(seed=1), "he_normal"),
    ("lecun_normal(truncated=true)", KI.LecunNormal(seed=1), "lecun_normal"),
    ("glorot_uniform", KI.GlorotUniform(seed=1), "glorot_uniform(gain=1.1)"),
    ("he_uniform", KI.HeUniform(seed=1), "kaiming_uniform(a=2.23606797749979)"),
    ("lecun_uniform", KI.LecunUniform(seed=1), "lecun_uniform(gain=1.1)"),
    ("random_normal(stddev=0.05)", KI.RandomNormal(seed=1), "truncated_normal(stddev=0.05)"),
    ("uniform", KI.RandomUniform(seed=1), "uniform(minval=-0.055, maxval=0.055)"),
    ("truncated_normal(stddev=0.05)", KI.TruncatedNormal(seed=1), "normal(stddev=0.05)"),
    *[
        (
            f"variance_scaling(scale=0.5, mode={mode}, distribution={dist})",
            KI.VarianceScaling(scale=0.5, mode=mode, distribution=dist, seed=1),
            f"variance_scaling(scale=0.5, mode={mode}, distribution={other})",
        )
        for mode in ("fan_in", "fan_out", "fan_avg")
        for dist, other in (
            ("truncated_normal", "untruncated_normal"),
            ("untruncated_normal", "truncated_normal"),
            ("uniform", "truncated_normal"),
        )
    ],
]


@pytest.mark.parametrize(("spelling", "initializer", "other"), KERAS, ids=[k[0] for k in KERAS])
def test_keras_meanings_match_keras_own_initializers(spelling, initializer, other):
    theirs = by_keras(initializer)
    assert p_same(ours(spelling), theirs) > ALPHA
    assert p_same(ours(other), theirs) < ALPHA  # power: the other meaning is told apart


def _kaiming_uniform_sqrt5(t):
    return torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))


init = torch.nn.init
TORCH = [
    (
        "glorot_normal(gain=1.5)",
        lambda t: init.xavier_normal_(t, gain=1.5),
        "glorot_normal(gain=1.5, truncated=true)",
    ),
    ("xavier_uniform(gain=1.5)", lambda t: init.xavier_uniform_(t, gain=1.5), "glorot_uniform"),
    ("he_normal", init.kaiming_normal_, "he_normal(truncated=true)"),
    ("kaiming_normal", init.kaiming_normal_, "he_normal(truncated=true)"),
    ("he_uniform", init.kaiming_uniform_, "lecun_uniform"),
    (
        "kaiming_normal(mode=fan_out, nonlinearity=tanh)",
        lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh"),
        "he_normal(gain=1.6666666666666667)",  # He's gain multiplies √2; PyTorch's replaces it
    ),
    ("kaiming_normal(a=0.5)", lambda t: init.kaiming_normal_(t, a=0.5), "kaiming_normal"),
    ("kaiming_uniform(a=2.23606797749979)", _kaiming_uniform_sqrt5, "he_uniform"),  # nn.Linear's weight
    (
        "kaiming_uniform(nonlinearity=selu)",
        lambda t: init.kaiming_uniform_(t, nonlinearity="selu"),
        "lecun_uniform",
    ),
    ("normal", init.normal_, "normal(std=0.05)"),
    ("uniform(low=0, high=1)", init.uniform_, "uniform"),
    (
        "truncated_normal(mean=0.1, std=0.3)",
        lambda t: init.trunc_normal_(t, mean=0.1, std=0.3, a=0.1 - 0.6, b=0.1 + 0.6),
        "normal(mean=0.1, std=0.3)",
    ),
]


@pytest.mark.parametrize(("spelling", "fill", "other"), TORCH, ids=[t[0] for t in TORCH])
def test_pytorch_meanings_match_torch_nn_init(spelling, fill, other):
    theirs = by_torch(fill)
    assert p_same(ours(spelling), theirs) > ALPHA
    assert p_same(ours(other), theirs) < ALPHA


def test_torch_trunc_normal_cuts_at_absolute_bounds_not_at_two_std():
    theirs = by_torch(lambda t: init.trunc_normal_(t, std=0.3))  # a=-2, b=2: 6.7 std, no visible cut
    assert p_same(ours("normal(std=0.3)"), theirs) > ALPHA
    assert p_same(ours("truncated_normal(std=0.3)"), theirs) < ALPHA


H = 16


def gate_singular_values(matrices: list[np.ndarray]) -> np.ndarray:
    """The singular values of each (4H, H) matrix's forget-gate block (rows H..2H), pooled."""
    return np.concatenate([np.linalg.svd(m[H : 2 * H], compute_uv=False) for m in matrices])


def test_orthogonal_on_a_fused_matrix_is_fused_in_both_frameworks_and_per_gate_here():
    draws = range(40)
    by_rnninit = [
        rt.init_(
            torch.empty(4 * H, H, dtype=torch.float64), "orthogonal(fused=true)", gates=4, seed=s
        ).numpy()
        for s in draws
    ]
    torch_ = [by_torch(init.orthogonal_, seed=s, shape=(4 * H, H)) for s in draws]
    keras_ = [by_keras(KI.Orthogonal(seed=s), shape=(H, 4 * H)) for s in draws]
    for m in [*by_rnninit, *torch_, *keras_]:
        np.testing.assert_allclose(m.T @ m, np.eye(H), atol=1e-10)  # the stacked matrix: orthonormal columns
    ref = gate_singular_values(torch_)
    assert ref.max() < 1 - 1e-3  # no gate block of the frameworks' is orthogonal
    assert p_same(gate_singular_values(by_rnninit), ref) > ALPHA
    assert p_same(gate_singular_values(keras_), ref) > ALPHA
    per_gate = rt.init_(torch.empty(4 * H, H, dtype=torch.float64), "orthogonal", gates=4, seed=0).numpy()
    np.testing.assert_allclose(gate_singular_values([per_gate]), 1.0, atol=1e-10)


def test_identity_on_a_fused_matrix_sets_only_the_first_gate_in_both_frameworks_and_every_gate_here():
    first_gate_only = np.zeros((4 * H, H))
    first_gate_only[:H] = np.eye(H)
    np.testing.assert_array_equal(by_torch(init.eye_, shape=(4 * H, H)), first_gate_only)
    np.testing.assert_array_equal(by_keras(KI.Identity(), shape=(H, 4 * H)), first_gate_only)
    every_gate = rt.init_(torch.empty(4 * H, H, dtype=torch.float64), "identity", gates=4, seed=0).numpy()
    np.testing.assert_array_equal(every_gate, np.tile(np.eye(H), (4, 1)))
    with pytest.raises(ri.SpecError, match="square"):
        rt.init_(torch.empty(4 * H, H), "identity(fused=true)", gates=4, seed=0)


def test_a_truncated_named_init_is_audited_against_its_truncated_distribution():
    block = Block(role="ih", gate=None, shape=(OUT, IN), form="matrix", hidden_size=OUT)
    truncated = parse_init("glorot_normal(truncated=true)")
    value = truncated.sample(block, np.random.default_rng(0))
    assert check_value(truncated, block, value).ok
    assert not check_value(parse_init("glorot_normal"), block, value).ok
