"""TF-Addons' layer-norm LSTM cell ported to Keras 3 (tensorflow/addons,
tensorflow_addons/rnn/layer_norm_lstm_cell.py: ``LayerNormLSTMCell``, Ba, Kiros & Hinton 2016).

What matters in its design: it subclasses ``keras.layers.LSTMCell`` and keeps its ``bias``, and adds
three ``LayerNormalization`` sub-layers: ``kernel_norm`` on ``x @ kernel`` and ``recurrent_norm`` on
``h @ recurrent_kernel`` (each over the ``4u`` pre-activations, columns ``i, f, c, o``), and
``state_norm`` on the new cell state. So three tensors add to each gate's effective bias, the cell's
``bias`` and the two norms' betas (declared ``+bias``); the two gains are per-gate roles; and
``state_norm``'s gain and beta act after the gates, as cell-specific roles of their own. The sub-layers'
weights are named by attribute path: ``kernel_norm.gamma`` and ``recurrent_norm.gamma`` share the short
name ``gamma``.
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
SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0 ln_x=ones ln_h=ones ln_c=ones ln_c_bias=zeros"


class LayerNormLSTMCell(keras.layers.LSTMCell):
    # fmt: off
    rnninit_kind = "lstm"
    rnninit_roles = {"kernel": "ih", "recurrent_kernel": "hh", "bias": "bias",
                     "kernel_norm.beta": "+bias", "recurrent_norm.beta": "+bias",
                     "kernel_norm.gamma": "ln_x[i,f,g,o]", "recurrent_norm.gamma": "ln_h[i,f,g,o]",
                     "state_norm.gamma": "ln_c", "state_norm.beta": "ln_c_bias"}
    # fmt: on

    def __init__(self, units, norm_epsilon=1e-3, **kwargs):
        super().__init__(units, **kwargs)
        self.norm_epsilon = norm_epsilon
        self.kernel_norm = keras.layers.LayerNormalization(epsilon=norm_epsilon, name="kernel_norm")
        self.recurrent_norm = keras.layers.LayerNormalization(epsilon=norm_epsilon, name="recurrent_norm")
        self.state_norm = keras.layers.LayerNormalization(epsilon=norm_epsilon, name="state_norm")

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.state_norm.build((None, self.units))

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states
        z = self.kernel_norm(inputs @ self.kernel) + self.recurrent_norm(h_tm1 @ self.recurrent_kernel)
        c, o = self._compute_carry_and_output_fused(keras.ops.split(z + self.bias, 4, axis=-1), c_tm1)
        c = self.state_norm(c)
        h = o * self.activation(c)
        return h, [h, c]


def make():
    inputs = keras.Input((STEPS, IN))
    rnn = keras.layers.RNN(LayerNormLSTMCell(UNITS), name="rnn")
    return keras.Model(inputs, rnn(inputs)), rnn.cell


def values(variable):
    return np.asarray(variable.numpy(), np.float64)


def layer_norm(z, gain, beta, eps=1e-3):
    return (z - z.mean(1, keepdims=True)) / np.sqrt(z.var(1, keepdims=True) + eps) * gain + beta


def test_every_block_is_where_the_cell_reads_it_and_the_step_is_its_equation():
    model, cell = make()
    rk.apply(SPEC, model, seed=0)
    kernel, recurrent, bias = values(cell.kernel), values(cell.recurrent_kernel), values(cell.bias)
    for k in range(4):  # columns i, f, c, o
        assert_glorot_uniform(kernel[:, k * UNITS : (k + 1) * UNITS], fan_in=IN, fan_out=UNITS)
        assert_orthogonal(recurrent[:, k * UNITS : (k + 1) * UNITS])
    betas = values(cell.kernel_norm.beta), values(cell.recurrent_norm.beta)
    np.testing.assert_array_equal(bias + betas[0] + betas[1], np.repeat([0.0, 1.0, 0.0, 0.0], UNITS))
    assert not betas[0].any() and not betas[1].any()  # the effective bias went to the cell's own bias
    for gain in (cell.kernel_norm.gamma, cell.recurrent_norm.gamma, cell.state_norm.gamma):
        np.testing.assert_array_equal(values(gain), 1.0)
    np.testing.assert_array_equal(values(cell.state_norm.beta), 0.0)

    x, h, c = (np.random.default_rng(0).normal(size=(2, n)).astype("float32") for n in (IN, UNITS, UNITS))
    h_new, (_, c_new) = cell(x, [h, c])
    z = layer_norm(x @ kernel, 1.0, 0.0) + layer_norm(h @ recurrent, 1.0, 0.0) + bias
    i, f, g, o = np.split(z, 4, axis=1)
    sigmoid = keras.ops.sigmoid  # Keras' recurrent activation: σ(x) = 1 / (1 + e^-x)
    want_c = layer_norm(np.asarray(sigmoid(f)) * c + np.asarray(sigmoid(i)) * np.tanh(g), 1.0, 0.0)
    np.testing.assert_allclose(np.asarray(c_new), want_c, atol=1e-4)
    np.testing.assert_allclose(np.asarray(h_new), np.asarray(sigmoid(o)) * np.tanh(want_c), atol=1e-4)
    assert model(np.zeros((2, STEPS, IN), "float32")).shape == (2, UNITS)


def test_the_audit_passes_and_names_a_forget_bias_put_in_a_norms_beta_too():
    model, cell = make()
    rk.apply(SPEC, model, seed=1)
    assert_audits_clean(model, SPEC)
    beta = values(cell.recurrent_norm.beta)
    beta[UNITS : 2 * UNITS] = 1.0  # the cell's bias already has it: effectively 2
    cell.recurrent_norm.beta.assign(beta)
    assert_caught(model, SPEC, tensor="rnn/recurrent_norm.beta", role="bias", gate="f")


def test_describe_round_trips():
    model, _ = make()
    rk.apply(SPEC, model, seed=2)
    described, report = describe_round_trip(model, make()[0], SPEC, rk.apply, seed=3)
    assert report.ok, f"{described}\n{report.to_text()}"
