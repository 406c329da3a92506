"""rnninit's Keras cells in keras.layers.RNN and Bidirectional: protocol, masking, direction, config, cloning;
a bad argument is a CellArgumentError."""

import keras
import numpy as np
import pytest

import rnninit as ri
import rnninit.keras as rk
from rnninit.errors import CellArgumentError

BATCH, STEPS, IN, H = 2, 5, 3, 4
X = np.random.default_rng(1).normal(size=(BATCH, STEPS, IN)).astype("float32")

CELLS = {
    "elman": lambda **kw: rk.ElmanCell(H, **kw),
    "lstm": lambda **kw: rk.LSTMCell(H, **kw),
    "gru": lambda **kw: rk.GRUCell(H, **kw),
    "indrnn": lambda **kw: rk.IndRNNCell(H, **kw),
    "minimalrnn": lambda **kw: rk.MinimalRNNCell(H, **kw),
}


def states_of(name):
    return 2 if name == "lstm" else 1


@pytest.mark.parametrize("name", CELLS)
def test_cell_protocol_and_rnn_return_sequences_and_state(name):
    cell = CELLS[name](seed=0)
    assert cell.output_size == H
    assert cell.state_size == ([H, H] if name == "lstm" else H)
    initial = cell.get_initial_state(batch_size=BATCH)
    assert [tuple(s.shape) for s in initial] == [(BATCH, H)] * states_of(name)
    seq, *final = keras.layers.RNN(cell, return_sequences=True, return_state=True)(X)
    assert tuple(seq.shape) == (BATCH, STEPS, H)
    assert len(final) == states_of(name)
    np.testing.assert_allclose(np.asarray(final[0]), np.asarray(seq)[:, -1], atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
def test_masked_steps_carry_the_state_through(name):
    layer = keras.layers.RNN(CELLS[name](seed=0), return_sequences=True)
    mask = np.array([[True] * STEPS, [True, True, True, False, False]])
    out = np.asarray(layer(X, mask=mask))
    shorter = np.asarray(layer(X[1:, :3]))
    np.testing.assert_allclose(out[1, :3], shorter[0], atol=1e-6)
    np.testing.assert_allclose(out[1, 3], out[1, 2], atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
def test_go_backwards_reads_the_sequence_reversed(name):
    forward = keras.layers.RNN(CELLS[name](seed=0))
    backward = keras.layers.RNN(CELLS[name](seed=0), go_backwards=True)
    np.testing.assert_allclose(np.asarray(backward(X)), np.asarray(forward(X[:, ::-1])), atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
def test_bidirectional_directions_get_different_weights_even_from_one_int_seed(name):
    bi = keras.layers.Bidirectional(keras.layers.RNN(CELLS[name](seed=3), return_sequences=True))
    assert tuple(bi(X).shape) == (BATCH, STEPS, 2 * H)
    forward, backward = bi.forward_layer.cell, bi.backward_layer.cell
    assert not np.allclose(forward.kernel.numpy(), backward.kernel.numpy())
    layout = rk.model_layout(bi)
    assert [(c.path, c.direction) for c in layout.cells] == [("", 0), ("", 1)]


def test_bidirectional_cell_weights_equal_rk_apply_on_the_wrapper_with_the_same_seed():
    spec = "ih=normal hh=orthogonal bias=uniform"
    bi = keras.layers.Bidirectional(keras.layers.RNN(rk.LSTMCell(H, init=spec, seed=8)))
    bi.build((None, STEPS, IN))
    built = [v.numpy().copy() for v in bi.weights]
    rk.apply(spec, bi, seed=8)
    for before, v in zip(built, bi.weights, strict=True):
        np.testing.assert_allclose(before, v.numpy(), atol=1e-7)


def test_default_init_is_keras_and_roles_the_spec_names_override_it():
    cell = rk.LSTMCell(H, init="bias[f]=3.0", seed=0)
    keras.layers.RNN(cell).build((None, STEPS, IN))
    np.testing.assert_array_equal(cell.bias.numpy(), np.r_[np.zeros(H), np.full(H, 3.0), np.zeros(2 * H)])
    recurrent = cell.recurrent_kernel.numpy()  # keras_default: orthogonal over all gates at once
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(H), atol=1e-5)


def test_a_preset_init_stands_alone():
    cell = rk.ElmanCell(H, init="irnn", seed=0)  # IRNN is defined for ungated cells
    keras.layers.RNN(cell).build((None, STEPS, IN))
    np.testing.assert_array_equal(cell.bias.numpy(), np.zeros(H))
    np.testing.assert_array_equal(cell.recurrent_kernel.numpy(), np.eye(H))
    cell = rk.LSTMCell(
        H, init="orthogonal", seed=0
    )  # no keras_default left: recurrent blocks orthogonal per gate
    keras.layers.RNN(cell).build((None, STEPS, IN))
    np.testing.assert_array_equal(cell.bias.numpy(), np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])
    gate = cell.recurrent_kernel.numpy()[:, H : 2 * H]
    np.testing.assert_allclose(gate.T @ gate, np.eye(H), atol=1e-5)


def test_bad_init_fails_at_construction_with_a_named_error():
    with pytest.raises(ri.SpecError, match="unknown role 'bias_hn' for a lstm cell"):
        rk.LSTMCell(H, init="bias_hn=zeros")
    with pytest.raises(ri.SpecError, match="unknown init 'gamma'"):
        rk.GRUCell(H, init="hh=gamma")


BAD_ARGUMENTS = [
    (rk.ElmanCell, {"units": 0}, "ElmanCell: units must be a positive integer, got 0"),
    (rk.ElmanCell, {"activation": "gelu"}, "ElmanCell: activation must be one of 'tanh', 'relu', got 'gelu'"),
    (rk.LSTMCell, {"units": True}, "LSTMCell: units must be a positive integer, got True"),
    (rk.GRUCell, {"units": 2.0}, "GRUCell: units must be a positive integer, got 2.0"),
    (rk.IndRNNCell, {"activation": "sigmoid"}, "IndRNNCell: activation must be one of 'tanh', 'relu'"),
    (rk.MinimalRNNCell, {"units": -1}, "MinimalRNNCell: units must be a positive integer, got -1"),
]


@pytest.mark.parametrize(
    ("cell", "bad", "message"),
    BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{next(iter(b))}" for c, b, _ in BAD_ARGUMENTS],
)
def test_a_bad_argument_is_a_cell_argument_error_caught_as_rnninit_error_and_as_value_error(
    cell, bad, message
):
    kwargs = {"units": H, **bad}
    with pytest.raises(ri.RnninitError, match=message) as caught:
        cell(**kwargs)
    assert isinstance(caught.value, CellArgumentError)
    with pytest.raises(ValueError, match=message):  # what code written for the frameworks' own catches
        cell(**kwargs)


@pytest.mark.parametrize("name", CELLS)
def test_config_carries_the_spec_and_rebuilds_an_equal_cell(name):
    cell = CELLS[name](init="ih=normal(std=0.2)", seed=5)
    config = cell.get_config()
    assert ri.Spec.from_dict(config["init"]) == ri.Spec.parse("ih=normal(std=0.2)")
    again = type(cell).from_config(config)
    assert again.spec == cell.spec and again.seed == 5 and again.units == H


def test_clone_model_reinitializes_by_the_spec():
    spec = "ih=normal hh=orthogonal bias=zeros bias[f]=1.0"

    def model(seed):
        return keras.Sequential(
            [keras.Input((STEPS, IN)), keras.layers.RNN(rk.LSTMCell(H, init=spec, seed=seed))]
        )

    original = model(None)
    clone = keras.models.clone_model(original)
    old, new = original.layers[0].cell, clone.layers[0].cell
    assert not np.allclose(old.kernel.numpy(), new.kernel.numpy())  # fresh draws ...
    np.testing.assert_array_equal(new.bias.numpy()[H : 2 * H], np.ones(H))  # ... by the same spec
    recurrent = new.recurrent_kernel.numpy()
    for k in range(4):
        block = recurrent[:, k * H : (k + 1) * H]
        np.testing.assert_allclose(block.T @ block, np.eye(H), atol=1e-5)
    seeded = model(2)
    np.testing.assert_array_equal(
        keras.models.clone_model(seeded).layers[0].cell.kernel.numpy(), seeded.layers[0].cell.kernel.numpy()
    )


def test_unseeded_cells_follow_keras_set_random_seed_and_reinitialize_reports_the_seed():
    def build():
        cell = rk.GRUCell(H)
        keras.layers.RNN(cell).build((None, STEPS, IN))
        return cell

    keras.utils.set_random_seed(21)
    first = build()
    keras.utils.set_random_seed(21)
    second = build()
    np.testing.assert_array_equal(first.kernel.numpy(), second.kernel.numpy())
    result = first.reinitialize(seed=2)
    assert result.seed == 2 and first.seed_used == 2
    assert {r["role"] for r in result.records} == {"ih", "hh", "bias", "bias_hn"}
