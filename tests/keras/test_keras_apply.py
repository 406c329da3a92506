"""rk.apply on Keras' built-in layers: roles, gate blocks, identities in models, atomicity, errors."""

import keras
import numpy as np
import pytest

import rnninit as ri
import rnninit.keras as rk

SPEC = "ih=normal(std=0.3) hh=orthogonal bias=zeros bias[f]=1.0"


def built(layer, input_dim=3, steps=4):
    layer.build((None, steps, input_dim))
    return layer


def weights(obj):
    return {v.path: np.array(v.numpy()) for v in obj.weights}


def is_orthogonal(block):
    return np.allclose(block.T @ block, np.eye(block.shape[1]), atol=1e-5)


def test_lstm_forget_bias_lands_in_keras_f_columns_and_every_recurrent_gate_block_is_orthogonal():
    lstm = built(keras.layers.LSTM(4))
    result = rk.apply(SPEC, lstm, seed=0)
    assert result.seed == 0 and len(result.plan.assignments) == 12
    bias = lstm.cell.bias.numpy()
    np.testing.assert_array_equal(bias[4:8], np.ones(4))  # Keras order i, f, c, o
    np.testing.assert_array_equal(np.delete(bias, np.s_[4:8]), np.zeros(12))
    recurrent = lstm.cell.recurrent_kernel.numpy()
    for k in range(4):
        assert is_orthogonal(recurrent[:, 4 * k : 4 * k + 4])
    assert not is_orthogonal(recurrent[:, :8].T)  # the fused matrix is not what was asked for


def test_the_result_keeps_no_copy_of_the_weights_and_reads_them_again_on_demand():
    lstm = built(keras.layers.LSTM(4))
    result = rk.apply(SPEC, lstm, seed=0)
    assert not any(a.draw.drawn for a in result.plan.assignments)
    hh_f = next(a for a in result.plan.assignments if a.slot.label == "hh[f]")
    np.testing.assert_allclose(hh_f.value.T, lstm.cell.recurrent_kernel.numpy()[:, 4:8], rtol=1e-6, atol=1e-7)


def test_keras_gate_alias_c_addresses_the_cell_input_block():
    lstm = built(keras.layers.LSTM(2))
    rk.apply("bias=zeros bias[c]=3.0", lstm, seed=0)
    np.testing.assert_array_equal(lstm.cell.bias.numpy(), [0, 0, 0, 0, 3, 3, 0, 0])


def test_gru_effective_bias_goes_to_the_input_row_and_b_hn_to_the_recurrent_h_columns():
    gru = built(keras.layers.GRU(2))
    rk.apply("bias=ones bias[z]=2.0 bias_hn=constant(5.0)", gru, seed=0)
    # columns z z r r h h; row 0 input bias, row 1 recurrent bias
    np.testing.assert_array_equal(gru.cell.bias.numpy(), [[2, 2, 1, 1, 1, 1], [0, 0, 0, 0, 5, 5]])


def test_gru_reset_after_false_is_supported_as_its_own_cell_without_b_hn():
    gru = built(keras.layers.GRU(2, reset_after=False))
    assert rk.model_layout(gru).cells[0].kind.name == "gru_reset_before"
    rk.apply("bias=ones bias[h]=4.0", gru, seed=0)
    np.testing.assert_array_equal(gru.cell.bias.numpy(), [1, 1, 1, 1, 4, 4])
    with pytest.raises(ri.SpecError, match="unknown role 'bias_hn' for a gru_reset_before cell"):
        rk.apply("bias_hn=zeros", gru, seed=0)


def test_same_int_seed_gives_the_same_weights_and_other_seed_other_weights():
    a, b, c = (built(keras.layers.SimpleRNN(3)) for _ in range(3))
    rk.apply("ih=normal hh=normal bias=normal", a, seed=5)
    rk.apply("ih=normal hh=normal bias=normal", b, seed=5)
    rk.apply("ih=normal hh=normal bias=normal", c, seed=6)
    np.testing.assert_array_equal(a.cell.kernel.numpy(), b.cell.kernel.numpy())
    assert not np.allclose(a.cell.kernel.numpy(), c.cell.kernel.numpy())


def test_seed_none_is_governed_by_keras_set_random_seed():
    a, b = built(keras.layers.SimpleRNN(3)), built(keras.layers.SimpleRNN(3))
    keras.utils.set_random_seed(11)
    first = rk.apply("ih=normal", a)
    keras.utils.set_random_seed(11)
    second = rk.apply("ih=normal", b)
    assert first.seed == second.seed
    np.testing.assert_array_equal(a.cell.kernel.numpy(), b.cell.kernel.numpy())


def test_blocks_of_a_model_are_named_by_layer_path_direction_and_stacked_index():
    model = keras.Sequential(
        [
            keras.Input((4, 3)),
            keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True), name="bi"),
            keras.layers.RNN(
                keras.layers.StackedRNNCells([keras.layers.GRUCell(2), keras.layers.GRUCell(2)]), name="stack"
            ),
            keras.layers.Dense(1),
        ]
    )
    layout = rk.model_layout(model)
    assert [(c.path, c.layer, c.direction) for c in layout.cells] == [
        ("bi", 0, 0),
        ("bi", 0, 1),
        ("stack", 0, 0),
        ("stack", 1, 0),
    ]
    assert "bi/backward/recurrent_kernel" in layout.tensors and "stack/cells/1/bias" in layout.tensors
    rk.apply("ih=normal hh=orthogonal bias=zeros", model, seed=0)
    forward, backward = model.get_layer("bi").forward_layer.cell, model.get_layer("bi").backward_layer.cell
    assert not np.allclose(forward.kernel.numpy(), backward.kernel.numpy())


def test_failed_apply_changes_no_weight():
    model = keras.Sequential(
        [keras.Input((4, 3)), keras.layers.LSTM(2, return_sequences=True), keras.layers.GRU(3)]
    )
    before = weights(model)
    with pytest.raises(ri.SpecError, match="identity needs a square block"):
        rk.apply("bias=ones hh=orthogonal ih=identity", model, seed=0)  # the LSTM's ih (2x3) is not square
    after = weights(model)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


def test_unbuilt_layer_is_a_layout_error_that_says_to_build_it():
    with pytest.raises(ri.LayoutError, match="not built yet"):
        rk.apply(SPEC, keras.layers.LSTM(2), seed=0)


class PlainCell(keras.layers.Layer):
    state_size = 2

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), name="w")

    def call(self, x, states):
        h = keras.ops.matmul(x, self.w) + states[0]
        return h, [h]


def test_an_rnn_with_an_unknown_cell_is_an_error_unless_strict_is_false():
    model = keras.Sequential(
        [
            keras.Input((4, 3)),
            keras.layers.RNN(PlainCell(), return_sequences=True),
            keras.layers.LSTM(2, name="lstm"),
        ]
    )
    with pytest.raises(ri.LayoutError, match="does not know the cell PlainCell.*rnninit_roles"):
        rk.apply(SPEC, model, seed=0)
    result = rk.apply(SPEC, model, seed=0, strict=False)
    assert {r["path"] for r in result.records} == {"lstm"}


def test_a_model_without_recurrent_cells_is_a_layout_error():
    with pytest.raises(ri.LayoutError, match="contains no recurrent cell"):
        rk.apply(SPEC, keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), seed=0)


def test_read_and_write_arrays_use_the_layout_names():
    lstm = built(keras.layers.LSTM(2))
    names = list(rk.model_layout(lstm).tensors)
    assert names == ["kernel", "recurrent_kernel", "bias"]
    arrays = rk.read_arrays(lstm, names)
    assert arrays["kernel"].dtype == np.float64 and arrays["kernel"].shape == (3, 8)
    rk.write_arrays(lstm, {"bias": np.arange(8.0)})
    np.testing.assert_array_equal(lstm.cell.bias.numpy(), np.arange(8.0))
    with pytest.raises(ri.LayoutError, match="no recurrent-cell weight named 'nope'"):
        rk.read_arrays(lstm, ["nope"])
