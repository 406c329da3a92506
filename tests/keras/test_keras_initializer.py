"""RoleInitializer / rk.role: one role per weight, per-gate blocks, no accidental repeats, serialization."""

import json
from typing import ClassVar

import keras
import numpy as np
import pytest

import rnninit as ri
import rnninit.keras as rk

SPEC = "ih=normal(std=1.0) hh=normal(std=0.01) bias=zeros"


def std(x):
    return float(np.std(np.asarray(x)))


def test_each_weight_gets_its_own_roles_init_even_when_input_dim_equals_units():
    ih = rk.role(SPEC, "ih", seed=0)((64, 64))
    hh = rk.role(SPEC, "hh", seed=0)((64, 64))
    assert 0.9 < std(ih) < 1.1  # seeded; ±10% is 9 standard errors of a 4096-draw std
    assert 0.009 < std(hh) < 0.011


def test_gated_weight_is_initialized_per_gate_block_in_the_storage_order_given():
    init = rk.role("hh=orthogonal bias=zeros bias[f]=1.0 ih=normal", "hh", gates="ifco", seed=0)
    value = np.asarray(init((5, 20)))
    for k in range(4):
        block = value[:, 5 * k : 5 * k + 5]
        np.testing.assert_allclose(block.T @ block, np.eye(5), atol=1e-5)
    bias = np.asarray(
        rk.role("hh=orthogonal bias=zeros bias[f]=1.0 ih=normal", "bias", gates="i,f,c,o", seed=0)((20,))
    )
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])


def test_kind_is_inferred_from_keras_gate_names():
    assert rk.role("hh=orthogonal", "hh", gates="zrh").kind.name == "gru"
    with pytest.raises(ri.SpecError, match="no cell kind has the gates"):
        rk.role("hh=orthogonal", "hh", gates="abc")


def test_one_initializer_reused_for_two_weights_never_repeats_values():
    init = rk.role(SPEC, "ih", seed=0)
    first, second = np.asarray(init((4, 4))), np.asarray(init((4, 4)))
    assert not np.allclose(first, second)
    # ... while Keras' own seeded initializer does repeat them:
    keras_init = keras.initializers.RandomNormal(seed=0)
    np.testing.assert_array_equal(np.asarray(keras_init((4, 4))), np.asarray(keras_init((4, 4))))


def test_the_first_call_equals_what_rk_apply_gives_that_block():
    lstm = keras.layers.LSTM(3)
    lstm.build((None, 2, 4))
    spec = "ih=normal hh=orthogonal bias=uniform"
    rk.apply(spec, lstm, seed=9)
    for name, role, shape in [
        ("kernel", "ih", (4, 12)),
        ("recurrent_kernel", "hh", (3, 12)),
        ("bias", "bias", (12,)),
    ]:
        value = np.asarray(rk.role(spec, role, gates="ifco", seed=9)(shape))
        np.testing.assert_allclose(value, getattr(lstm.cell, name).numpy(), atol=1e-7)


def test_config_round_trips_the_whole_spec_through_keras_serialization():
    init = rk.role("chrono(t_max=50) hh=orthogonal", "bias", gates="ifco", seed=4)
    config = keras.initializers.serialize(init)
    json.dumps(config)
    again = keras.initializers.deserialize(config)
    assert isinstance(again, rk.RoleInitializer)
    assert again.spec == init.spec and again.gates == init.gates and again.seed == 4
    np.testing.assert_array_equal(np.asarray(again((8,))), np.asarray(init((8,))))


def test_a_role_the_spec_does_not_mention_fails_at_construction():
    with pytest.raises(ri.SpecError, match="gives no init for hh"):
        rk.role("ih=normal", "hh")


def test_a_gate_the_kind_lacks_is_named_in_the_error():
    with pytest.raises(ri.SpecError, match="unknown gate 'x' for a lstm cell; valid gates: i, f, g, o, c"):
        rk.role("hh=orthogonal", "hh", gates="ifxo", kind="lstm")


class DeclaredCell(keras.layers.Layer):
    """A user's cell: roles declared once, each add_weight bound to its role in one line."""

    rnninit_roles: ClassVar[dict[str, str]] = {"kernel_ih": "ih", "kernel_hh": "hh", "bias": "bias"}

    def __init__(self, units, init=SPEC, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.init, self.seed = units, init, seed
        self.state_size = units

    def build(self, input_shape):
        d, u = input_shape[-1], self.units
        self.kernel_ih = self.add_weight(
            name="kernel_ih", shape=(d, u), initializer=rk.role(self.init, "ih", seed=self.seed)
        )
        self.kernel_hh = self.add_weight(
            name="kernel_hh", shape=(u, u), initializer=rk.role(self.init, "hh", seed=self.seed)
        )
        self.bias = self.add_weight(
            name="bias", shape=(u,), initializer=rk.role(self.init, "bias", seed=self.seed)
        )

    def call(self, x, states):
        h = keras.ops.tanh(
            keras.ops.matmul(x, self.kernel_ih) + keras.ops.matmul(states[0], self.kernel_hh) + self.bias
        )
        return h, [h]


def test_a_users_cell_declared_with_rnninit_roles_is_initialized_by_role_and_rk_apply_reaches_it():
    layer = keras.layers.RNN(DeclaredCell(32, seed=0))
    layer.build((None, 5, 32))
    cell = layer.cell
    assert std(cell.kernel_ih.numpy()) > 50 * std(cell.kernel_hh.numpy())
    rk.apply("ih=zeros hh=identity bias=ones", layer, seed=0)
    np.testing.assert_array_equal(cell.kernel_hh.numpy(), np.eye(32))
    np.testing.assert_array_equal(cell.bias.numpy(), np.ones(32))


def test_a_cell_specific_role_is_initialized_from_its_own_entry():
    value = np.asarray(rk.role("peephole=constant(0.5)", "peephole", kind="lstm")((6,)))
    np.testing.assert_array_equal(value, np.full(6, 0.5))
