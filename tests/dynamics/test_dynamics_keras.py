"""Keras cells are diagnosed through an exact PyTorch twin: same outputs, same theory."""

import math

import keras
import numpy as np
import pytest
import torch

import rnninit.keras as rk
from rnninit.dynamics import DynamicsError, diagnose, diagnose_spec, make_cell, trajectory
from rnninit.dynamics.keras_twin import torch_twin

B, T, IN, H = 2, 7, 3, 4
X = np.random.default_rng(0).normal(size=(B, T, IN)).astype("float32")
SPEC = "ih=normal(std=0.5) hh=normal(std=0.5) bias=normal(std=0.3)"

CELLS = {
    "SimpleRNNCell tanh": lambda: keras.layers.SimpleRNNCell(H),
    "SimpleRNNCell relu": lambda: keras.layers.SimpleRNNCell(H, activation="relu"),
    "LSTMCell": lambda: keras.layers.LSTMCell(H),
    "GRUCell": lambda: keras.layers.GRUCell(H, bias_initializer="random_normal"),
    "rk.LSTMCell": lambda: rk.LSTMCell(H, init=SPEC, seed=1),
    "rk.GRUCell": lambda: rk.GRUCell(H, init=SPEC + " bias_hn=normal(std=0.3)", seed=1),
    "rk.ElmanCell": lambda: rk.ElmanCell(H, init=SPEC, seed=1),
    "rk.IndRNNCell": lambda: rk.IndRNNCell(
        H, init="ih=normal(std=0.5) hh=uniform bias=normal(std=0.3)", seed=1
    ),
    "rk.MinimalRNNCell": lambda: rk.MinimalRNNCell(H, init="pytorch_default", seed=1),
}


@pytest.mark.parametrize("name", CELLS)
def test_torch_twin_reproduces_the_keras_cell_outputs(name):
    cell = CELLS[name]()
    outputs = np.asarray(keras.layers.RNN(cell, return_sequences=True)(X))  # (B, T, H); builds the cell
    twin = torch_twin(cell)
    states = trajectory(twin, torch.from_numpy(X.transpose(1, 0, 2)).double(), twin.zeros(B))
    hidden = states[1:, :, twin.part_slice("h")].numpy().transpose(1, 0, 2)
    np.testing.assert_allclose(hidden, outputs, atol=2e-6)


@pytest.mark.parametrize("forget_bias", [0.0, 2.0])
def test_keras_lstm_with_zero_weights_carries_its_cell_state_with_sigmoid_of_forget_bias(forget_bias):
    cell = keras.layers.LSTMCell(8)
    cell.build((None, 5))
    rk.apply(f"ih=zeros hh=zeros bias=zeros bias[f]={forget_bias}", cell, seed=0)
    d = diagnose(cell, steps=20, inputs="normal", batch=2)
    f = 1 / (1 + math.exp(-forget_bias))
    np.testing.assert_allclose(d.part_jacobian_norms["c"], f ** np.arange(1, 21), rtol=1e-6)
    assert d.cell == "keras LSTMCell" and sorted(d.spectral_radius) == ["hh[f]", "hh[g]", "hh[i]", "hh[o]"]


def test_keras_recurrent_kernel_spectra_are_read_per_gate_block():
    cell = keras.layers.GRUCell(6)
    cell.build((None, 2))
    rk.apply("hh=orthogonal(gain=0.7)", cell, seed=0)
    d = diagnose(cell, steps=3)
    assert d.spectral_radius == pytest.approx({"hh[r]": 0.7, "hh[z]": 0.7, "hh[n]": 0.7}, rel=1e-6)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: keras.layers.GRUCell(4, reset_after=False), "gru_reset_before cell has no PyTorch twin"),
        (lambda: keras.layers.LSTMCell(4, activation="relu"), "activation='relu'"),
        (lambda: keras.layers.LSTM(4), "pass the cell itself"),
    ],
)
def test_keras_cells_without_an_exact_twin_are_refused(make, message):
    layer = make()
    layer.build((None, 3) if "Cell" in type(layer).__name__ else (None, 5, 3))
    with pytest.raises(DynamicsError, match=message):
        diagnose(layer, steps=3)


def test_an_unbuilt_keras_cell_is_refused_with_how_to_build_it():
    with pytest.raises(DynamicsError, match="not built yet"):
        diagnose(keras.layers.LSTMCell(4), steps=3)


def test_keras_factory_cells_are_float64_and_follow_the_theory():
    d = diagnose_spec("keras_elman", "hh=orthogonal(gain=0.9) bias=zeros", hidden_size=16, steps=30)
    np.testing.assert_allclose(d.jacobian_norms, 0.9 ** np.arange(1, 31), rtol=1e-10)
    assert d.cell == "keras_elman"


def test_keras_factory_cells_keep_keras_defaults_for_roles_the_spec_leaves_out():
    # unit_forget_bias=True: Keras' LSTM starts with b_f = 1 and the other biases 0; PyTorch's does not
    twin = make_cell("keras_lstm", 3, 5, "hh=orthogonal", seed=0)
    bias = (twin.module.bias_ih + twin.module.bias_hh).detach().numpy()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    again = make_cell("keras_lstm", 3, 5, "hh=orthogonal", seed=0)
    assert torch.equal(twin.module.weight_ih, again.module.weight_ih)


@pytest.mark.parametrize("x64", [False, True], ids=["float32-jax", "x64-jax"])
def test_a_float64_keras_cell_jax_cannot_make_is_an_error_not_silently_float32(x64):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"} | {"KERAS_BACKEND": "jax"}
    if x64:
        env["JAX_ENABLE_X64"] = "1"
    code = (
        "from rnninit.dynamics import make_cell\n"
        "import torch\n"
        "stepper = make_cell('keras_lstm', 3, 4, seed=0)\n"
        "print(stepper.zeros(1).dtype)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    if x64:
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().endswith("torch.float64")
    else:
        assert done.returncode != 0
        assert "built a float32 cell where float64 was asked for" in done.stderr
        assert "JAX_ENABLE_X64=1" in done.stderr
