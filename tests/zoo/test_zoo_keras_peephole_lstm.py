"""TF-Addons' peephole LSTM cell ported to Keras 3 (tensorflow/addons,
tensorflow_addons/rnn/peephole_lstm_cell.py: ``PeepholeLSTMCell``, Gers & Schmidhuber 2000).

What matters in its design: it subclasses ``keras.layers.LSTMCell`` (``kernel (in, 4u)``,
``recurrent_kernel (u, 4u)``, ``bias (4u)``, columns ``i, f, c, o``) and adds three vectors,
``input_gate_peephole_weights``, ``forget_gate_peephole_weights`` and ``output_gate_peephole_weights``:
the input and forget gates see the previous cell state, the output gate the new one. They are one
role, ``peephole``, on gates ``i, f, o`` only (there is no ``g`` peephole), declared per gate. It
overrides only ``_compute_carry_and_output`` (and its fused twin), the hooks Keras 3 still has.
TF-Addons builds all three vectors with the one ``kernel_initializer`` object; a Keras 3 initializer
object draws its seed once, so the three come out identical, which the audit reports.
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

import rnninit as ri
import rnninit.keras as rk

UNITS, IN, STEPS = 16, 6, 5
SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0 peephole=normal(std=0.1)"
PEEPHOLES = ("input_gate_peephole_weights", "forget_gate_peephole_weights", "output_gate_peephole_weights")


class PeepholeLSTMCell(keras.layers.LSTMCell):
    # fmt: off
    rnninit_kind = "lstm"
    rnninit_roles = {"kernel": "ih", "recurrent_kernel": "hh", "bias": "bias",
                     "input_gate_peephole_weights": "peephole[i]",
                     "forget_gate_peephole_weights": "peephole[f]",
                     "output_gate_peephole_weights": "peephole[o]"}
    # fmt: on

    def build(self, input_shape):
        super().build(input_shape)
        for name in PEEPHOLES:
            setattr(
                self,
                name,
                self.add_weight(shape=(self.units,), initializer=self.kernel_initializer, name=name),
            )

    def _compute_carry_and_output(self, x, h_tm1, c_tm1):
        x_i, x_f, x_c, x_o = x
        h_i, h_f, h_c, h_o = h_tm1
        u = self.units
        k_i, k_f, k_c, k_o = (self.recurrent_kernel[:, j * u : (j + 1) * u] for j in range(4))
        i = self.recurrent_activation(x_i + h_i @ k_i + self.input_gate_peephole_weights * c_tm1)
        f = self.recurrent_activation(x_f + h_f @ k_f + self.forget_gate_peephole_weights * c_tm1)
        c = f * c_tm1 + i * self.activation(x_c + h_c @ k_c)
        o = self.recurrent_activation(x_o + h_o @ k_o + self.output_gate_peephole_weights * c)
        return c, o

    def _compute_carry_and_output_fused(self, z, c_tm1):
        z0, z1, z2, z3 = z
        i = self.recurrent_activation(z0 + self.input_gate_peephole_weights * c_tm1)
        f = self.recurrent_activation(z1 + self.forget_gate_peephole_weights * c_tm1)
        c = f * c_tm1 + i * self.activation(z2)
        o = self.recurrent_activation(z3 + self.output_gate_peephole_weights * c)
        return c, o


def make():
    inputs = keras.Input((STEPS, IN))
    rnn = keras.layers.RNN(PeepholeLSTMCell(UNITS), name="rnn")
    return keras.Model(inputs, rnn(inputs)), rnn.cell


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_every_block_is_where_the_cell_reads_it_and_the_step_is_its_equation():
    model, cell = make()
    rk.apply(SPEC, model, seed=0)
    kernel, recurrent, bias = (
        np.asarray(w.numpy(), np.float64) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)
    )
    for k in range(4):  # columns i, f, c, o
        assert_glorot_uniform(kernel[:, k * UNITS : (k + 1) * UNITS], fan_in=IN, fan_out=UNITS)
        assert_orthogonal(recurrent[:, k * UNITS : (k + 1) * UNITS])
    np.testing.assert_array_equal(bias, np.repeat([0.0, 1.0, 0.0, 0.0], UNITS))
    w_i, w_f, w_o = (np.asarray(getattr(cell, name).numpy(), np.float64) for name in PEEPHOLES)
    for w in (w_i, w_f, w_o):
        assert 0.04 < w.std() < 0.2 and np.unique(w).size == UNITS
    assert not np.array_equal(w_i, w_f) and not np.array_equal(w_f, w_o)  # one stream per gate

    x, h, c = (np.random.default_rng(0).normal(size=(2, n)).astype("float32") for n in (IN, UNITS, UNITS))
    h_new, (_, c_new) = cell(x, [h, c])
    z_i, z_f, z_c, z_o = np.split(x @ kernel + h @ recurrent + bias, 4, axis=1)
    want_c = sigmoid(z_f + w_f * c) * c + sigmoid(z_i + w_i * c) * np.tanh(z_c)
    np.testing.assert_allclose(np.asarray(c_new), want_c, atol=1e-5)
    np.testing.assert_allclose(np.asarray(h_new), sigmoid(z_o + w_o * want_c) * np.tanh(want_c), atol=1e-5)
    assert model(np.zeros((2, STEPS, IN), "float32")).shape == (2, UNITS)


def test_the_audit_passes_and_names_a_planted_mistake():
    model, cell = make()
    rk.apply(SPEC, model, seed=1)
    assert_audits_clean(model, SPEC)
    cell.forget_gate_peephole_weights.assign(3 * cell.forget_gate_peephole_weights)
    assert_caught(model, SPEC, tensor="rnn/forget_gate_peephole_weights", role="peephole", gate="f")


def test_keras_own_initialization_gives_three_identical_peepholes_and_the_audit_says_so():
    model, _ = make()  # TF-Addons' defaults, never touched by rnninit
    report = ri.audit(model, "keras_default")
    (finding,) = report.findings
    assert finding.kind == "duplicate" and finding.role == "peephole"
    assert set(finding.tensors) == {f"rnn/{name}" for name in PEEPHOLES}
    assert "reused random stream" in finding.message


def test_describe_round_trips():
    model, _ = make()
    rk.apply(SPEC, model, seed=2)
    described, report = describe_round_trip(model, make()[0], SPEC, rk.apply, seed=3)
    assert report.ok, f"{described}\n{report.to_text()}"
