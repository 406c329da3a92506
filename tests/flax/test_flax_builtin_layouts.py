"""Flax's built-in cells: every gate block lands where Flax's own code reads it.

Independent of rnninit's layouts: the blocks are read out of the raw parameters by hand, from the
sub-layer names and slices in flax/nnx/nn/recurrent.py and flax/linen/recurrent.py, compared with
what the plan sampled, and fed to a NumPy implementation of each cell's equations, whose outputs
must equal the Flax cell scanned over the same input.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx, traverse_util

import rnninit.flax as rf
from rnninit.layout.flax_builtin import flax_cell_layout, flax_cell_storage
from rnninit.layout.kinds import ELMAN, GRU, LSTM, MGU, MGU_NO_RESET
from rnninit.layout.storage import ModelLayout

BATCH, STEPS, IN, H = 2, 5, 3, 4
X = np.random.default_rng(1).normal(size=(BATCH, STEPS, IN)).astype("float32")

LSTM_SPEC = "ih=normal(std=0.5) hh=orthogonal bias=uniform(low=-0.5, high=0.5) bias[f]=1.0 bias[o]=-0.5"
GRU_SPEC = "ih=glorot_uniform hh=orthogonal(gain=0.9) bias=normal(std=0.3) bias[z]=1.0"
ELMAN_SPEC = "ih=normal(std=0.4) hh=orthogonal(gain=0.9) bias=normal(std=0.2)"

# (api, class, spec, kind)
CELLS = [
    ("nnx", "SimpleCell", ELMAN_SPEC, ELMAN),
    ("nnx", "LSTMCell", LSTM_SPEC, LSTM),
    ("nnx", "OptimizedLSTMCell", LSTM_SPEC, LSTM),
    ("nnx", "GRUCell", GRU_SPEC + " bias_hn=zeros", GRU),
    ("linen", "SimpleCell", ELMAN_SPEC, ELMAN),
    ("linen", "LSTMCell", LSTM_SPEC, LSTM),
    ("linen", "OptimizedLSTMCell", LSTM_SPEC, LSTM),
    ("linen", "GRUCell", GRU_SPEC + " bias_hn=normal(std=0.5)", GRU),
    (
        "linen",
        "MGUCell",
        "ih=normal(std=0.5) hh=orthogonal bias=normal(std=0.3) bias_hn=normal(std=0.5)",
        MGU,
    ),
]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# -- the blocks, read by hand from Flax's sub-layers (kernels are (in, out): transpose to (out, in)) --


def by_hand(api: str, name: str, p: dict, reset_gate: bool = True) -> dict:
    b = {}

    def fused(role, layer, leaf, gates):
        whole = p[f"{layer}.{leaf}"]
        for k, gate in enumerate(gates):
            part = whole[..., k * H : (k + 1) * H]
            b[(role, gate)] = part.T if leaf == "kernel" else part

    def split(role, layers, leaf):
        for gate, layer in layers.items():
            value = p[f"{layer}.{leaf}"]
            b[(role, gate)] = value.T if leaf == "kernel" else value

    if name == "SimpleCell":
        i, h = ("dense_i", "dense_h") if api == "nnx" else ("i", "h")
        b[("ih", None)], b[("hh", None)], b[("bias", None)] = (
            p[f"{i}.kernel"].T,
            p[f"{h}.kernel"].T,
            p[f"{i}.bias"],
        )
    elif name in ("LSTMCell", "OptimizedLSTMCell") and not (api == "nnx" and name == "OptimizedLSTMCell"):
        forget = "if_" if api == "nnx" else "if"
        split("ih", {"i": "ii", "f": forget, "g": "ig", "o": "io"}, "kernel")
        split("hh", {"i": "hi", "f": "hf", "g": "hg", "o": "ho"}, "kernel")
        split("bias", {"i": "hi", "f": "hf", "g": "hg", "o": "ho"}, "bias")
    elif name == "OptimizedLSTMCell":
        fused("ih", "dense_i", "kernel", "ifgo")
        fused("hh", "dense_h", "kernel", "ifgo")
        fused("bias", "dense_h", "bias", "ifgo")
    elif name == "GRUCell" and api == "nnx":
        fused("ih", "dense_i", "kernel", "rzn")
        fused("hh", "dense_h", "kernel", "rzn")
        fused("bias", "dense_i", "bias", "rzn")
        b[("bias_hn", None)] = np.zeros(H)  # dense_h has no bias
    elif name == "GRUCell":
        split("ih", {"r": "ir", "z": "iz", "n": "in"}, "kernel")
        split("hh", {"r": "hr", "z": "hz", "n": "hn"}, "kernel")
        split("bias", {"r": "ir", "z": "iz", "n": "in"}, "bias")
        b[("bias_hn", None)] = p["hn.bias"]
    elif name == "MGUCell":
        split("ih", {"f": "if", "n": "in"}, "kernel")
        split("hh", {"f": "hf", "n": "hn"}, "kernel")
        split("bias", {"f": "if", "n": "in"}, "bias")
        if reset_gate:
            b[("bias_hn", None)] = p["hn.bias"]
    return b


# -- each cell's equations in NumPy, neutral (out, in) blocks --


def step(kind, b, x, state):
    def pre(gate):
        return x @ b[("ih", gate)].T + state_h(state) @ b[("hh", gate)].T + b[("bias", gate)]

    if kind is ELMAN:
        h = np.tanh(x @ b[("ih", None)].T + state @ b[("hh", None)].T + b[("bias", None)])
        return h, h
    if kind is LSTM:
        c, h = state
        i, f, g, o = sigmoid(pre("i")), sigmoid(pre("f")), np.tanh(pre("g")), sigmoid(pre("o"))
        c = f * c + i * g
        h = o * np.tanh(c)
        return (c, h), h
    h = state
    if kind is GRU:
        r, z = sigmoid(pre("r")), sigmoid(pre("z"))
        n = np.tanh(
            x @ b[("ih", "n")].T + b[("bias", "n")] + r * (h @ b[("hh", "n")].T + b[("bias_hn", None)])
        )
        h = (1 - z) * n + z * h
        return h, h
    f = sigmoid(pre("f"))
    inner = h @ b[("hh", "n")].T
    inner = f * (inner + b[("bias_hn", None)]) if kind is MGU else inner
    n = np.tanh(x @ b[("ih", "n")].T + b[("bias", "n")] + inner)
    h = (1 - f) * n + f * h
    return h, h


def state_h(state):
    return state[1] if isinstance(state, tuple) else state


def numpy_scan(kind, blocks, x):
    h0 = np.zeros((x.shape[0], H))
    state = (h0, h0) if kind is LSTM else h0
    outs = []
    for t in range(x.shape[1]):
        state, y = step(kind, blocks, x[:, t].astype(np.float64), state)
        outs.append(y)
    return np.stack(outs, axis=1)


# -- Flax models --


def nnx_params(module):
    return {
        ".".join(map(str, k)): np.asarray(v.get_value())
        for k, v in nnx.iter_graph(module)
        if isinstance(v, nnx.Param)
    }


def linen_params(variables, prefix=("cell",)):
    flat = traverse_util.flatten_dict(variables["params"])
    return {".".join(k[len(prefix) :]): np.asarray(v) for k, v in flat.items() if k[: len(prefix)] == prefix}


def applied(api, name, spec, seed=0, **options):
    """(blocks read by hand, planned blocks, Flax outputs) of a cell in an RNN, applied with ``spec``."""
    if api == "nnx":
        rnn = nnx.RNN(getattr(nnx, name)(IN, H, rngs=nnx.Rngs(0), **options))
        result = rf.apply(spec, rnn, seed=seed)
        params, out = nnx_params(rnn.cell), np.asarray(rnn(jnp.asarray(X)))
    else:
        model = nn.RNN(getattr(nn, name)(H, **options))
        variables = model.init(jax.random.key(0), X)
        variables, result = rf.apply_linen(spec, model, variables, X, seed=seed)
        params, out = linen_params(variables), np.asarray(model.apply(variables, X))
    planned = {(a.slot.role, a.slot.gate): a.value for a in result.plan.assignments}
    return by_hand(api, name, params, options.get("reset_gate", True)), planned, out


@pytest.mark.parametrize("api, name, spec, kind", CELLS, ids=[f"{a}.{n}" for a, n, _, _ in CELLS])
def test_every_block_lands_where_flax_reads_it_and_the_cell_computes_the_numpy_equations(
    api, name, spec, kind
):
    blocks, planned, out = applied(api, name, spec)
    for key, value in planned.items():
        np.testing.assert_allclose(blocks[key], value, atol=1e-6, err_msg=str(key))
    assert set(planned) == set(blocks) - ({("bias_hn", None)} if (api, name) == ("nnx", "GRUCell") else set())
    np.testing.assert_allclose(out, numpy_scan(kind, blocks, X), atol=1e-5)


def test_linen_mgu_without_reset_gate_is_the_mgu_no_reset_kind_with_no_bias_hn():
    spec = "ih=normal(std=0.5) hh=orthogonal bias=normal(std=0.3) bias[f]=1.0"
    blocks, planned, out = applied("linen", "MGUCell", spec, reset_gate=False)
    assert ("bias_hn", None) not in planned
    for key, value in planned.items():
        np.testing.assert_allclose(blocks[key], value, atol=1e-6, err_msg=str(key))
    np.testing.assert_allclose(out, numpy_scan(MGU_NO_RESET, blocks, X), atol=1e-5)


def test_the_forget_bias_of_flax_lstm_lives_on_the_recurrent_side_only():
    lstm = nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0))
    rf.apply("bias=zeros bias[f]=1.0", lstm, seed=0)
    np.testing.assert_array_equal(np.asarray(lstm.hf.bias[...]), np.ones(H))
    for layer in (lstm.hi, lstm.hg, lstm.ho):
        np.testing.assert_array_equal(np.asarray(layer.bias[...]), np.zeros(H))
    assert all(layer.bias is None for layer in (lstm.ii, lstm.if_, lstm.ig, lstm.io))


@pytest.mark.parametrize("api", ["nnx", "linen"])
@pytest.mark.parametrize("name", ["SimpleCell", "LSTMCell", "OptimizedLSTMCell", "GRUCell", "MGUCell"])
def test_every_element_of_every_flax_parameter_is_covered_once_with_flax_names_and_shapes(api, name):
    storage = flax_cell_storage(api, name)
    if api == "nnx" and name == "MGUCell":
        assert storage is None and not hasattr(nnx, "MGUCell")
        return
    cell, tensors = flax_cell_layout(storage, input_size=IN, hidden_size=H)
    ModelLayout((cell,), tensors)  # raises on a gap or an overlap
    if api == "nnx":
        actual = {k: v.shape for k, v in nnx_params(getattr(nnx, name)(IN, H, rngs=nnx.Rngs(0))).items()}
    else:
        model = nn.RNN(getattr(nn, name)(H))
        actual = {k: v.shape for k, v in linen_params(model.init(jax.random.key(0), X)).items()}
    assert tensors == actual
    assert cell.unstored == (("bias_hn",) if (api, name) == ("nnx", "GRUCell") else ())


def test_a_spec_setting_bias_but_not_bias_hn_zeroes_the_linen_b_hn_of_gru_and_mgu():
    for cell in (nn.GRUCell(H), nn.MGUCell(H)):
        model = nn.RNN(cell)
        variables = model.init(jax.random.key(0), X)
        variables["params"]["cell"]["hn"]["bias"] = jnp.full(H, 3.0)
        new, result = rf.apply_linen(
            "ih=normal hh=orthogonal bias=normal(std=0.1)", model, variables, X, seed=0
        )
        np.testing.assert_array_equal(np.asarray(new["params"]["cell"]["hn"]["bias"]), np.zeros(H))
        assert [r["rule"] for r in result.records if r["role"] == "bias_hn"] == ["effective-bias rule"]
