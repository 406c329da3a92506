"""A Keras list of cells (keras.io RNN guide and ``keras.layers.RNN``'s docstring: ``MinimalRNNCell``,
"RNN(cells)" with a list of cells, which Keras wraps in ``StackedRNNCells``).

What matters in the design: ``MinimalRNNCell`` is the protocol's smallest cell, ``kernel (in, u)`` and
``recurrent_kernel (u, u)``, no bias, ``h' = x @ kernel + h @ recurrent_kernel``; declared in one line.
``keras.layers.RNN([cell, cell, ...])`` runs the cells one after the other at each step, each feeding
the next: the k-th cell is layer k, as in a stacked ``nn.LSTM``. A list may mix kinds (a Keras
``LSTMCell`` on top) and nest (a ``StackedRNNCells`` inside the list: its cells are the next layers,
in order), and ``Bidirectional`` makes a second, reverse copy of the whole stack.
"""

import keras
import numpy as np
from zoo_checks import (
    assert_audits_clean,
    assert_caught,
    assert_glorot_uniform,
    assert_orthogonal,
    describe_round_trip,
)

import rnninit.keras as rk

UNITS, IN, STEPS = 16, 6, 5
SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"


@keras.saving.register_keras_serializable(package="rnninit_zoo")  # Bidirectional rebuilds it from its config
class MinimalRNNCell(keras.layers.Layer):
    rnninit_roles = {"kernel": "ih", "recurrent_kernel": "hh"}

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
        )

    def call(self, inputs, states):
        output = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def make():
    """Layers 0-1: minimal cells; 2-3: a nested stack of a minimal cell and a Keras LSTMCell; 2 directions."""
    nested = keras.layers.StackedRNNCells([MinimalRNNCell(UNITS), keras.layers.LSTMCell(UNITS)])
    cells = [MinimalRNNCell(UNITS), MinimalRNNCell(UNITS), nested]
    inputs = keras.Input((STEPS, IN))
    stack = keras.layers.Bidirectional(keras.layers.RNN(cells, return_sequences=True), name="bi")
    return keras.Model(inputs, stack(inputs)), stack


def values(variable):
    return np.asarray(variable.numpy(), np.float64)


def leaf_cells(rnn):
    """The cells in the order the input flows through them (Keras' own lists, read directly)."""
    stacked = rnn.cell.cells
    return [stacked[0], stacked[1], *stacked[2].cells]


def test_every_cell_of_both_directions_gets_its_blocks():
    model, stack = make()
    result = rk.apply(SPEC, model, seed=0)
    assert result.skipped == () and len(result.plan.assignments) == 2 * (3 * 2 + 12)
    recurrent = []
    for rnn in (stack.forward_layer, stack.backward_layer):
        for k, cell in enumerate(leaf_cells(rnn)):
            fan_in = IN if k == 0 else UNITS
            kernel, hh = values(cell.kernel), values(cell.recurrent_kernel)
            gates = 4 if isinstance(cell, keras.layers.LSTMCell) else 1
            for g in range(gates):  # Keras' columns i, f, c, o for the LSTM cell
                assert_glorot_uniform(kernel[:, g * UNITS : (g + 1) * UNITS], fan_in=fan_in, fan_out=UNITS)
                assert_orthogonal(hh[:, g * UNITS : (g + 1) * UNITS])
            if gates == 4:
                np.testing.assert_array_equal(values(cell.bias), np.repeat([0.0, 1.0, 0.0, 0.0], UNITS))
            recurrent.append(hh)
    assert len({block.tobytes() for block in recurrent}) == len(
        recurrent
    )  # every layer and direction its own
    assert model(np.zeros((2, STEPS, IN), "float32")).shape == (2, STEPS, 2 * UNITS)


def test_the_audit_passes_and_names_a_planted_mistake_by_layer_and_direction():
    model, stack = make()
    rk.apply(SPEC, model, seed=1)
    report = assert_audits_clean(model, SPEC)
    assert {row.cell for row in report.rows} == {
        f"bi (layer {k}, {d})" for k in range(4) for d in ("forward", "reverse")
    }
    cell = leaf_cells(stack.backward_layer)[2]  # the nested stack's minimal cell: layer 2, reverse
    cell.recurrent_kernel.assign(1.5 * cell.recurrent_kernel)
    finding = assert_caught(
        model, SPEC, tensor="bi/backward/cells/2/cells/0/recurrent_kernel", role="hh", gate=None
    )
    assert finding.cell == "bi (layer 2, reverse)"


def test_describe_round_trips():
    model, _ = make()
    rk.apply(SPEC, model, seed=2)
    described, report = describe_round_trip(model, make()[0], SPEC, rk.apply, seed=3)
    assert report.ok, f"{described}\n{report.to_text()}"
