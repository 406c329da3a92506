"""Storage layouts of Keras' built-in cells (pure: no keras import): gate order, orientation, GRU biases."""

import numpy as np
import pytest

from rnninit.layout.keras_builtin import keras_cell_layout
from rnninit.layout.kinds import ELMAN, GRU, GRU_RESET_BEFORE, LSTM
from rnninit.layout.storage import ModelLayout


def test_lstm_gate_blocks_sit_in_keras_column_order_ifco_and_are_read_transposed():
    cell, tensors = keras_cell_layout(LSTM, input_size=3, units=2)
    assert tensors == {"kernel": (3, 8), "recurrent_kernel": (2, 8), "bias": (8,)}
    kernel = np.arange(24.0).reshape(3, 8)
    arrays = {"kernel": kernel, "recurrent_kernel": np.zeros((2, 8)), "bias": np.zeros(8)}
    for k, gate in enumerate("ifgo"):
        block = cell.slot("ih", gate).read(arrays)
        assert block.shape == (2, 3)  # neutral (out, in)
        np.testing.assert_array_equal(block, kernel[:, 2 * k : 2 * k + 2].T)


def test_gru_reset_after_bias_rows_are_input_and_recurrent_and_h_recurrent_is_b_hn():
    cell, tensors = keras_cell_layout(GRU, input_size=3, units=2)
    assert cell.kind is GRU and tensors["bias"] == (2, 6)
    bias = np.arange(12.0).reshape(2, 6)  # columns: z z r r h h
    arrays = {"kernel": np.zeros((3, 6)), "recurrent_kernel": np.zeros((2, 6)), "bias": bias}
    np.testing.assert_array_equal(cell.slot("bias", "z").read(arrays), bias[0, 0:2] + bias[1, 0:2])
    np.testing.assert_array_equal(cell.slot("bias", "r").read(arrays), bias[0, 2:4] + bias[1, 2:4])
    np.testing.assert_array_equal(cell.slot("bias", "n").read(arrays), bias[0, 4:6])
    np.testing.assert_array_equal(cell.slot("bias_hn").read(arrays), bias[1, 4:6])


def test_writing_an_effective_gru_bias_puts_it_in_the_input_row_and_zeros_in_the_recurrent_row():
    cell, _ = keras_cell_layout(GRU, input_size=3, units=2)
    arrays = {"bias": np.full((2, 6), 9.0)}
    cell.slot("bias", "r").write(arrays, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(arrays["bias"][:, 2:4], [[1.0, 2.0], [0.0, 0.0]])


def test_gru_reset_after_false_is_the_reset_before_cell_with_one_bias():
    cell, tensors = keras_cell_layout(GRU, input_size=3, units=2, reset_after=False)
    assert cell.kind is GRU_RESET_BEFORE
    assert tensors["bias"] == (6,)
    assert "bias_hn" not in cell.roles_present()


@pytest.mark.parametrize("kind, gates", [(ELMAN, 1), (LSTM, 4), (GRU, 3)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_every_element_of_every_keras_tensor_is_covered_once(kind, gates, use_bias):
    cell, tensors = keras_cell_layout(kind, input_size=5, units=5, use_bias=use_bias)
    ModelLayout((cell,), tensors)  # raises on a gap or an overlap
    assert tensors["kernel"] == (5, gates * 5)
    assert ("bias" in tensors) is use_bias
