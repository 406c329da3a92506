"""Same spec + same int seed -> the same function in PyTorch, Keras and Flax (nnx and Linen).

A torch built-in, a Keras built-in and the Flax cell scanned over the same input give the same
outputs (float32, 1e-5), for LSTM, GRU and the Elman/simple cell, for specs naming every role and
for specs naming only ``ih``/``hh``/``bias``; bidirectional wrappers give torch's reverse direction.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import torch
from flax import nnx

import rnninit.flax as rf
import rnninit.keras as rk
import rnninit.torch as rt

BATCH, STEPS, IN, H = 2, 6, 3, 4
X = np.random.default_rng(0).normal(size=(BATCH, STEPS, IN)).astype("float32")

NNX = {"lstm": nnx.LSTMCell, "gru": nnx.GRUCell, "elman": nnx.SimpleCell}
LINEN = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "elman": nn.SimpleCell}
TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "elman": torch.nn.RNN}
KERAS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "elman": keras.layers.SimpleRNN}

#: Specs naming every role of the cell (nnx.GRUCell has no b_hn, so bias_hn=zeros is every role there).
EVERY_ROLE = {
    "lstm": "ih=glorot_uniform hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias[f]=1.0",
    "gru": "ih=normal(std=0.4) hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias_hn=zeros",
    "elman": "ih=normal(std=0.4) hh=orthogonal(gain=0.9) bias=normal(std=0.1)",
    "lstm preset": "chrono(t_max=10)",
    "lstm per gate": "ih=normal(std=0.3) ih[g]=glorot_uniform hh=orthogonal hh[o]=normal(std=0.2) "
    "bias[i]=-1.0 bias[f]=1.0 bias[g]=zeros bias[o]=uniform(low=-0.1, high=0.1)",
}


def torch_out(module):
    with torch.no_grad():
        return module(torch.from_numpy(X))[0].numpy()


def keras_out(layer):
    return keras.ops.convert_to_numpy(layer(X))


def outputs(cell: str, spec: str, seed: int, *, apis=("torch", "keras", "nnx", "linen")) -> dict:
    out = {}
    if "torch" in apis:
        module = TORCH[cell](IN, H, batch_first=True)
        rt.apply(spec, module, seed=seed)
        out["torch"] = torch_out(module)
    if "keras" in apis:
        layer = KERAS[cell](H, return_sequences=True)
        layer.build((None, STEPS, IN))
        rk.apply(spec, layer, seed=seed)
        out["keras"] = keras_out(layer)
    if "nnx" in apis:
        rnn = nnx.RNN(NNX[cell](IN, H, rngs=nnx.Rngs(1)))
        rf.apply(spec, rnn, seed=seed)
        out["nnx"] = np.asarray(rnn(jnp.asarray(X)))
    if "linen" in apis:
        model = nn.RNN(LINEN[cell](H))
        variables, _ = rf.apply_linen(spec, model, model.init(jax.random.key(1), X), X, seed=seed)
        out["linen"] = np.asarray(model.apply(variables, X))
    return out


def assert_all_equal(out: dict) -> None:
    first = next(iter(out))
    for name, value in out.items():
        np.testing.assert_allclose(value, out[first], atol=1e-5, err_msg=f"{name} vs {first}")


@pytest.mark.parametrize("case", EVERY_ROLE)
def test_a_spec_naming_every_role_gives_one_function_in_torch_keras_nnx_and_linen(case):
    out = outputs(case.split()[0], EVERY_ROLE[case], seed=5)
    assert out["torch"].shape == (BATCH, STEPS, H)
    assert_all_equal(out)


def test_linen_gru_has_b_hn_and_matches_torch_and_keras_with_a_nonzero_bias_hn():
    spec = "ih=normal(std=0.4) hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias_hn=normal(std=0.5)"
    assert_all_equal(outputs("gru", spec, seed=2, apis=("torch", "keras", "linen")))


@pytest.mark.parametrize("cell", ["lstm", "elman"])
def test_a_spec_naming_only_ih_hh_and_bias_gives_one_function(cell):
    assert_all_equal(outputs(cell, "ih=normal(std=0.4) hh=orthogonal bias=normal(std=0.2)", seed=3))


def test_a_gru_spec_naming_only_ih_hh_and_bias_gives_one_function():
    # the effective-bias rule writes zeros to torch's b_hn, Keras' recurrent h bias and linen's hn.bias;
    # nnx.GRUCell has none
    assert_all_equal(outputs("gru", "ih=normal(std=0.4) hh=orthogonal bias=normal(std=0.2)", seed=3))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_bidirectional_flax_equals_the_bidirectional_torch_module_and_keras_layer(cell):
    spec = EVERY_ROLE[cell]
    module = TORCH[cell](IN, H, batch_first=True, bidirectional=True)
    rt.apply(spec, module, seed=4)
    layer = keras.layers.Bidirectional(KERAS[cell](H, return_sequences=True))
    layer.build((None, STEPS, IN))
    rk.apply(spec, layer, seed=4)
    bi = nnx.Bidirectional(
        nnx.RNN(NNX[cell](IN, H, rngs=nnx.Rngs(0))), nnx.RNN(NNX[cell](IN, H, rngs=nnx.Rngs(1)))
    )
    rf.apply(spec, bi, seed=4)
    model = nn.Bidirectional(nn.RNN(LINEN[cell](H)), nn.RNN(LINEN[cell](H)))
    variables, _ = rf.apply_linen(spec, model, model.init(jax.random.key(0), X), X, seed=4)
    assert_all_equal(
        {
            "torch": torch_out(module),
            "keras": keras_out(layer),
            "nnx": np.asarray(bi(jnp.asarray(X))),
            "linen": np.asarray(model.apply(variables, X)),
        }
    )


def test_flax_gets_the_numbers_torch_gets_not_just_the_same_outputs():
    module = torch.nn.LSTM(IN, H)
    rt.apply(EVERY_ROLE["lstm"], module, seed=11)
    cell = nnx.OptimizedLSTMCell(IN, H, rngs=nnx.Rngs(0))
    rf.apply(EVERY_ROLE["lstm"], cell, seed=11)
    np.testing.assert_array_equal(
        np.asarray(cell.dense_h.kernel[...]).T, module.weight_hh_l0.detach().numpy()
    )
    np.testing.assert_array_equal(
        np.asarray(cell.dense_i.kernel[...]).T, module.weight_ih_l0.detach().numpy()
    )
    effective = (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(np.asarray(cell.dense_h.bias[...]), effective, atol=1e-7)
