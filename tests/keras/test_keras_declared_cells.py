"""Keras cells as real code writes them: weights in sub-layers, weights with one short name, built-in
options that slice the bias, tied variables, and a Sequential around it all."""

import keras
import numpy as np
import pytest

import rnninit as ri
import rnninit.keras as rk

UNITS, IN, STEPS = 4, 3, 5
SPEC = "ih=glorot_uniform hh=orthogonal bias=normal(std=0.1) bias[f]=1.0"


class LayerNormLSTMCell(keras.layers.Layer):
    """The design of TF-Addons' LayerNormLSTMCell, ported to Keras 3: the two pre-activations are
    layer-normalized (sub-layers ``kernel_norm`` and ``recurrent_norm``, each with a ``gamma`` and a
    ``beta``), so the two betas are additive parts of the gates' effective bias."""

    rnninit_kind = "lstm"
    rnninit_roles = {
        "kernel": "ih",
        "recurrent_kernel": "hh",
        "kernel_norm.gamma": "ln_gain_x[i,f,g,o]",
        "recurrent_norm.gamma": "ln_gain_h[i,f,g,o]",
        "kernel_norm.beta": "bias",
        "recurrent_norm.beta": "+bias",
    }

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.kernel_norm = keras.layers.LayerNormalization(name="kernel_norm")
        self.recurrent_norm = keras.layers.LayerNormalization(name="recurrent_norm")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, 4 * self.units), name="recurrent_kernel")
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))

    def call(self, inputs, states):
        h, c = states
        z = self.kernel_norm(inputs @ self.kernel) + self.recurrent_norm(h @ self.recurrent_kernel)
        i, f, g, o = keras.ops.split(z, 4, axis=-1)
        c = keras.ops.sigmoid(f) * c + keras.ops.sigmoid(i) * keras.ops.tanh(g)
        h = keras.ops.sigmoid(o) * keras.ops.tanh(c)
        return h, [h, c]


def ln_model():
    inputs = keras.Input((STEPS, IN))
    rnn = keras.layers.RNN(LayerNormLSTMCell(UNITS), name="rnn")
    return keras.Model(inputs, rnn(inputs)), rnn.cell


def test_weights_in_sub_layers_are_declared_by_attribute_path():
    model, cell = ln_model()
    spec = SPEC + " ln_gain_x=ones ln_gain_h=constant(0.5)"
    result = rk.apply(spec, model, seed=0)
    assert result.skipped == () and len(result.plan.assignments) == 8 + 4 + 4 + 4
    betas = cell.kernel_norm.beta.numpy(), cell.recurrent_norm.beta.numpy()
    assert np.array_equal(betas[0][UNITS : 2 * UNITS], np.ones(UNITS))  # the effective bias goes to one beta
    assert not betas[1].any()  # and the other, additive, gets zeros
    assert (cell.kernel_norm.gamma.numpy() == 1).all() and (cell.recurrent_norm.gamma.numpy() == 0.5).all()
    blocks = [cell.recurrent_kernel.numpy()[:, k * UNITS : (k + 1) * UNITS] for k in range(4)]
    assert all(np.allclose(b.T @ b, np.eye(UNITS), atol=1e-6) for b in blocks)
    report = ri.audit(model, spec)
    assert report.ok and report.notes == []


def test_two_weights_with_one_short_name_are_told_apart_by_path():
    class ShortNames(LayerNormLSTMCell):
        rnninit_roles = {**LayerNormLSTMCell.rnninit_roles}
        rnninit_roles.pop("kernel_norm.gamma")
        rnninit_roles["gamma"] = "ln_gain_x[i,f,g,o]"

    inputs = keras.Input((STEPS, IN))
    model = keras.Model(inputs, keras.layers.RNN(ShortNames(UNITS))(inputs))
    with pytest.raises(
        ri.LayoutError, match=r"several weights named 'gamma' \(kernel_norm.gamma, recurrent_norm.gamma\)"
    ):
        rk.apply(SPEC, model, seed=0)


@pytest.mark.parametrize("units", [4, 8])
def test_role_initializer_with_keras_unit_forget_bias_gives_what_apply_gives(units):
    init = rk.role(SPEC, "bias", kind="lstm", seed=3)
    layer = keras.layers.LSTM(units, bias_initializer=init)  # unit_forget_bias=True, the default
    layer.build((None, STEPS, IN))
    reference = keras.layers.LSTM(units, unit_forget_bias=False)
    reference.build((None, STEPS, IN))
    rk.apply(SPEC, reference, seed=3)
    np.testing.assert_array_equal(layer.cell.bias.numpy(), reference.cell.bias.numpy())
    assert (layer.cell.bias.numpy()[units : 2 * units] == 1).all()


def test_role_initializer_refuses_a_forget_bias_keras_would_overwrite():
    init = rk.role("bias=zeros bias[f]=2.0", "bias", kind="lstm", seed=3)
    with pytest.raises(
        ri.SpecError, match=r"unit_forget_bias=True\) sets the forget gate's bias to 1 itself.*bias\[f\]"
    ):
        keras.layers.LSTM(UNITS, bias_initializer=init).build((None, STEPS, IN))
    layer = keras.layers.LSTM(UNITS, bias_initializer=init, unit_forget_bias=False)
    layer.build((None, STEPS, IN))
    assert (layer.cell.bias.numpy()[UNITS : 2 * UNITS] == 2).all()


def test_audit_of_a_sequential_has_no_false_not_audited_note():
    model = keras.Sequential([keras.Input((STEPS, IN)), keras.layers.LSTM(UNITS), keras.layers.Dense(2)])
    report = ri.audit(model, "keras_default")
    assert report.ok and report.notes == []
    model, _ = ln_model()
    rk.apply(SPEC, model, seed=1)
    assert ri.audit(keras.Sequential([model]), SPEC).notes == []


def test_one_cell_shared_by_two_layers_is_refused_as_tied():
    shared = keras.layers.LSTMCell(UNITS)
    inputs = keras.Input((STEPS, UNITS))
    first = keras.layers.RNN(shared, return_sequences=True, name="first")
    model = keras.Model(inputs, keras.layers.RNN(shared, name="second")(first(inputs)))
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(
        ri.LayoutError, match=r"first/kernel and second/kernel are one variable \(tied weights\)"
    ):
        rk.apply(SPEC, model, seed=0)
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before, model.weights, strict=True))
