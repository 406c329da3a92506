"""The audit's exact checks allow for rounding to the dtype the weights are stored in: a correctly
initialized bfloat16 or float16 model passes, and a wrong one is still caught."""

import keras
import numpy as np
import pytest
import torch

import rnninit as ri
import rnninit.keras as rk
import rnninit.torch as rt
from rnninit.audit.checks import (
    ORTHOGONALITY_TOL,
    exact_rtol,
    orthogonality_tol,
    spectral_tolerance,
    unit_roundoff,
)
from rnninit.inits import spectral_radius

#: Exact inits (orthogonal, identity, constants, chrono, spectral) and bounded ones (uniform,
#: torch_default, truncated normal), whose support is checked exactly.
SPECS = [
    "ih=normal(std=0.5) hh=orthogonal bias=zeros",
    "ih=uniform(low=-0.3, high=0.3) hh=identity(gain=0.7) bias=constant(0.3)",
    "chrono(t_max=100) hh=orthogonal(gain=1.3)",
    "ih=truncated_normal(std=0.2) hh=spectral(radius=0.9) bias=-0.77",
    "pytorch_default",
]
LOW_PRECISION = [torch.bfloat16, torch.float16]


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize("cls", [torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN], ids=lambda c: c.__name__)
def test_a_correctly_initialized_low_precision_model_passes_the_audit(dtype, cls):
    for hidden in (2, 3, 64):
        for spec in SPECS:
            if "chrono" in spec and cls is torch.nn.RNN:
                continue  # chrono needs gates
            for seed in range(2):
                cast_after = cls(5, hidden)
                rt.apply(spec, cast_after, seed=seed)
                written = cls(5, hidden).to(dtype)  # rounded by apply itself
                rt.apply(spec, written, seed=seed)
                for model in (cast_after.to(dtype), written):
                    report = ri.audit(model, spec)
                    assert report.ok, (dtype, cls.__name__, hidden, spec, seed, report.findings)


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
def test_a_low_precision_model_that_got_something_else_is_still_caught(dtype):
    lstm = torch.nn.LSTM(8, 64)
    rt.apply("ih=normal(std=0.5) hh=normal(std=0.125) bias=1.0", lstm, seed=0)
    lstm = lstm.to(dtype)
    report = ri.audit(lstm, "ih=normal(std=0.5) hh=orthogonal bias=1.05")
    failed = {(r.role, t.name) for r in report.rows for t in r.failed}
    assert ("hh", "orthogonality") in failed and ("bias", "exact") in failed
    rnn = torch.nn.RNN(8, 64)
    rt.apply("hh=spectral(radius=1.0)", rnn, seed=0)
    assert not ri.audit(rnn.to(dtype), "hh=spectral(radius=0.9)").ok


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_keras_layer_stored_in_low_precision_passes_the_audit(dtype):
    layer = keras.layers.GRU(16, dtype=dtype, recurrent_initializer="glorot_uniform")
    layer.build((None, 5, 4))
    for spec in SPECS[:4]:
        rk.apply(spec, layer, seed=1)
        report = ri.audit(layer, spec)
        assert report.ok, (dtype, spec, report.findings)


def test_tolerances_follow_the_unit_roundoff_and_keep_float32_as_it_was():
    assert unit_roundoff("bfloat16") == 2**-8 and unit_roundoff("torch.float16") == 2**-11
    assert unit_roundoff("float32") == 2**-24 and unit_roundoff("float64") == 2**-53
    assert exact_rtol(unit_roundoff("float32")) == 1e-5 and exact_rtol(unit_roundoff("float64")) == 1e-5
    assert orthogonality_tol(unit_roundoff("float32")) == ORTHOGONALITY_TOL
    assert exact_rtol(unit_roundoff("bfloat16")) == 4 * 2**-8
    assert orthogonality_tol(unit_roundoff("bfloat16")) == 5 * 2**-8


def test_the_spectral_tolerance_covers_rounding_a_nearly_defective_matrix():
    """Rounding moves the top eigenvalue of a nearly defective 2x2 matrix far more than its entries;
    the tolerance follows (its first-order bound), so a correct bfloat16 block is never flagged."""
    rng = np.random.default_rng(7)
    u = unit_roundoff("bfloat16")
    for _ in range(2000):
        a = rng.normal(size=(2, 2))
        a *= 0.9 / spectral_radius(a)
        stored = torch.from_numpy(a).to(torch.bfloat16).double().numpy()
        radius = spectral_radius(stored)
        assert abs(radius - 0.9) <= spectral_tolerance(stored, radius, 0.9, u)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_flax_cell_stored_in_low_precision_passes_the_audit(dtype):
    import jax.numpy as jnp
    from flax import nnx

    import rnninit.flax as rf

    dense = nnx.initializers.lecun_normal()  # JAX has no low-precision QR for Flax's orthogonal default
    cell = nnx.LSTMCell(4, 16, param_dtype=getattr(jnp, dtype), recurrent_kernel_init=dense, rngs=nnx.Rngs(0))
    for spec in SPECS[:4]:
        rf.apply(spec, cell, seed=1)
        report = ri.audit(cell, spec)
        assert report.ok, (dtype, spec, report.findings)
