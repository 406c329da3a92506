"""Same spec + same int seed -> the same effective weights and the same outputs in Keras and PyTorch.

Also rnninit's Keras cells against PyTorch's built-ins with weights copied by hand (independent of
any layout), and the cells without a PyTorch twin against a NumPy reference of their equations.
"""

import keras
import numpy as np
import pytest
import torch

import rnninit.keras as rk
import rnninit.torch as rt
from rnninit.torch.layouts import model_layout as torch_layout
from rnninit.torch.layouts import read_arrays as torch_read

BATCH, STEPS, IN, H = 2, 6, 3, 4
X = np.random.default_rng(0).normal(size=(BATCH, STEPS, IN)).astype("float32")

LSTM_SPEC = "ih=glorot_uniform hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias[f]=1.0"
GRU_SPEC = "ih=normal(std=0.4) hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias_hn=normal(std=0.5)"
ELMAN_SPEC = "ih=normal(std=0.4) hh=orthogonal(gain=0.9) bias=normal(std=0.1)"

PAIRS = {
    "lstm": (lambda **kw: keras.layers.LSTM(H, return_sequences=True, **kw), torch.nn.LSTM, LSTM_SPEC),
    "gru": (lambda **kw: keras.layers.GRU(H, return_sequences=True, **kw), torch.nn.GRU, GRU_SPEC),
    "elman": (lambda **kw: keras.layers.SimpleRNN(H, return_sequences=True, **kw), torch.nn.RNN, ELMAN_SPEC),
    "preset": (
        lambda **kw: keras.layers.LSTM(H, return_sequences=True, **kw),
        torch.nn.LSTM,
        "chrono(t_max=10)",
    ),
    # b_hn not named: the effective-bias rule zeroes it in both frameworks (torch's used to stay random)
    "gru-bias-only": (
        lambda **kw: keras.layers.GRU(H, return_sequences=True, **kw),
        torch.nn.GRU,
        "ih=normal(std=0.4) hh=orthogonal bias=uniform(low=-0.5, high=0.5)",
    ),
}


def torch_out(module):
    with torch.no_grad():
        return module(torch.from_numpy(X))[0].numpy()


def effective_blocks(layout, arrays):
    return {
        (c.path, c.layer, c.direction, s.role, s.gate): s.read(arrays) for c in layout.cells for s in c.slots
    }


@pytest.mark.parametrize("name", PAIRS)
def test_keras_layer_and_torch_module_get_the_same_effective_blocks_and_outputs(name):
    make_keras, torch_cls, spec = PAIRS[name]
    layer = make_keras()
    layer.build((None, STEPS, IN))
    module = torch_cls(IN, H, batch_first=True)
    rk.apply(spec, layer, seed=7)
    rt.apply(spec, module, seed=7)
    k_layout, t_layout = rk.model_layout(layer), torch_layout(module)
    k_blocks = effective_blocks(k_layout, rk.read_arrays(layer, k_layout.tensors))
    t_blocks = effective_blocks(t_layout, torch_read(module, t_layout.tensors))
    assert k_blocks.keys() == t_blocks.keys()
    for key in k_blocks:
        np.testing.assert_allclose(k_blocks[key], t_blocks[key], atol=1e-7, err_msg=str(key))
    np.testing.assert_allclose(np.asarray(layer(X)), torch_out(module), atol=1e-5)


def test_bidirectional_keras_lstm_matches_bidirectional_torch_lstm():
    layer = keras.layers.Bidirectional(keras.layers.LSTM(H, return_sequences=True))
    layer.build((None, STEPS, IN))
    module = torch.nn.LSTM(IN, H, batch_first=True, bidirectional=True)
    rk.apply(LSTM_SPEC, layer, seed=3)
    rt.apply(LSTM_SPEC, module, seed=3)
    np.testing.assert_allclose(np.asarray(layer(X)), torch_out(module), atol=1e-5)


@pytest.mark.parametrize(
    "cell_cls, torch_cls, spec",
    [
        (rk.LSTMCell, torch.nn.LSTM, LSTM_SPEC),
        (rk.GRUCell, torch.nn.GRU, GRU_SPEC),
        (rk.ElmanCell, torch.nn.RNN, ELMAN_SPEC),
    ],
)
def test_an_rnninit_cell_with_a_seed_equals_the_torch_module_applied_with_that_seed(
    cell_cls, torch_cls, spec
):
    layer = keras.layers.RNN(cell_cls(H, init=spec, seed=12), return_sequences=True)
    module = torch_cls(IN, H, batch_first=True)
    rt.apply(spec, module, seed=12)
    np.testing.assert_allclose(np.asarray(layer(X)), torch_out(module), atol=1e-5)


def copy_by_hand(cell, module):
    """Keras-oriented library weights -> PyTorch's (gates·H, in) tensors; PyTorch's second bias zero
    except GRU's b_hn."""
    params = dict(module.named_parameters())
    with torch.no_grad():
        params["weight_ih_l0"].copy_(torch.from_numpy(cell.kernel.numpy().T))
        params["weight_hh_l0"].copy_(torch.from_numpy(cell.recurrent_kernel.numpy().T))
        params["bias_ih_l0"].copy_(torch.from_numpy(cell.bias.numpy()))
        hh = np.zeros_like(cell.bias.numpy())
        if isinstance(cell, rk.GRUCell):
            hh[2 * H :] = cell.bias_hn.numpy()
        params["bias_hh_l0"].copy_(torch.from_numpy(hh))


@pytest.mark.parametrize(
    "make_cell, torch_cls",
    [
        (lambda: rk.LSTMCell(H, init="ih=normal hh=normal bias=normal"), torch.nn.LSTM),
        (lambda: rk.GRUCell(H, init="ih=normal hh=normal bias=normal bias_hn=normal"), torch.nn.GRU),
        (lambda: rk.ElmanCell(H, init="ih=normal hh=normal(std=0.3) bias=normal"), torch.nn.RNN),
        (lambda: rk.ElmanCell(H, activation="relu", init="ih=normal hh=normal(std=0.3) bias=normal"), None),
    ],
)
def test_rnninit_cells_compute_what_torch_builtins_compute_with_copied_weights(make_cell, torch_cls):
    cell = make_cell()
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    out, *states = layer(X)
    module = (
        torch_cls(IN, H, batch_first=True)
        if torch_cls
        else torch.nn.RNN(IN, H, nonlinearity="relu", batch_first=True)
    )
    copy_by_hand(cell, module)
    with torch.no_grad():
        t_out, t_state = module(torch.from_numpy(X))
    np.testing.assert_allclose(np.asarray(out), t_out.numpy(), atol=1e-5)
    t_states = list(t_state) if isinstance(t_state, tuple) else [t_state]
    for k, t in zip(states, t_states, strict=True):
        np.testing.assert_allclose(np.asarray(k), t[0].numpy(), atol=1e-5)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_indrnn_cell_follows_its_equation():
    cell = rk.IndRNNCell(H, init="ih=normal hh=uniform(low=-1.0, high=1.0) bias=normal", seed=0)
    out = np.asarray(keras.layers.RNN(cell, return_sequences=True)(X))
    K, u, b = cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()
    h = np.zeros((BATCH, H))
    for t in range(STEPS):
        h = np.maximum(X[:, t] @ K + u * h + b, 0.0)
        np.testing.assert_allclose(out[:, t], h, atol=1e-5)


def test_minimalrnn_cell_follows_its_equation():
    cell = rk.MinimalRNNCell(H, init="ih=normal input_bias=normal hh=normal zh=normal bias=normal", seed=0)
    out = np.asarray(keras.layers.RNN(cell, return_sequences=True)(X))
    K, bx, R, Z, bu = (
        v.numpy() for v in (cell.kernel, cell.input_bias, cell.recurrent_kernel, cell.z_kernel, cell.bias)
    )
    h = np.zeros((BATCH, H))
    for t in range(STEPS):
        z = np.tanh(X[:, t] @ K + bx)
        u = sigmoid(h @ R + z @ Z + bu)
        h = u * h + (1 - u) * z
        np.testing.assert_allclose(out[:, t], h, atol=1e-5)


def test_bidirectional_rnninit_cell_with_a_seed_equals_the_bidirectional_torch_module():
    layer = keras.layers.Bidirectional(
        keras.layers.RNN(rk.GRUCell(H, init=GRU_SPEC, seed=4), return_sequences=True)
    )
    module = torch.nn.GRU(IN, H, batch_first=True, bidirectional=True)
    rt.apply(GRU_SPEC, module, seed=4)
    np.testing.assert_allclose(np.asarray(layer(X)), torch_out(module), atol=1e-5)
