"""Users' own Flax cells: declared roles (class attribute or rf.declare), the role-bound JAX initializer."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

import rnninit as ri
import rnninit.flax as rf
import rnninit.torch as rt
from rnninit.errors import LayoutError, SpecError

IN, H = 3, 4
X = np.random.default_rng(0).normal(size=(2, 5, IN)).astype("float32")
SPEC = "ih=normal(std=0.4) hh=orthogonal bias=uniform(low=-0.3, high=0.3) bias[f]=1.0"


def sigmoid(x):
    return 1.0 / (1.0 + jnp.exp(-x))


def lstm_step(W, U, b, carry, x):
    c, h = carry
    i, f, g, o = jnp.split(x @ W + h @ U + b, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * jnp.tanh(g)
    h = sigmoid(o) * jnp.tanh(c)
    return (c, h), h


class FusedLSTM(nnx.RNNCellBase):
    """One (in, 4H) kernel, one (H, 4H) recurrent kernel, one bias: gates i, f, g, o side by side."""

    rnninit_roles = {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}
    rnninit_kind = "lstm"

    def __init__(self, rngs):
        self.W = nnx.Param(jnp.zeros((IN, 4 * H)))
        self.U = nnx.Param(jnp.zeros((H, 4 * H)))
        self.b = nnx.Param(jnp.zeros(4 * H))

    def __call__(self, carry, x):
        return lstm_step(self.W[...], self.U[...], self.b[...], carry, x)

    def initialize_carry(self, input_shape, rngs=None):
        return jnp.zeros(input_shape[:-1] + (H,)), jnp.zeros(input_shape[:-1] + (H,))

    @property
    def num_feature_axes(self):
        return 1


def torch_lstm_out(seed: int, spec: str = SPEC) -> np.ndarray:
    module = torch.nn.LSTM(IN, H, batch_first=True)
    rt.apply(spec, module, seed=seed)
    with torch.no_grad():
        return module(torch.from_numpy(X))[0].numpy()


def test_a_cell_declaring_its_roles_in_an_rnn_gets_torchs_numbers_and_computes_torchs_function():
    rnn = nnx.RNN(FusedLSTM(None))
    result = rf.apply(SPEC, rnn, seed=6)
    assert {(r["path"], tuple(r["tensors"])) for r in result.records} >= {("", ("cell.W",))}
    np.testing.assert_allclose(np.asarray(rnn(jnp.asarray(X))), torch_lstm_out(6), atol=1e-5)
    assert ri.audit(rnn, SPEC).ok


def test_declare_on_an_nnx_instance_checks_at_once_and_survives_split_merge_and_jit():
    class Plain(nnx.Module):
        def __init__(self):
            self.W = nnx.Param(jnp.zeros((IN, 4 * H)))
            self.U = nnx.Param(jnp.zeros((H, 4 * H)))
            self.b = nnx.Param(jnp.zeros(4 * H))

    with pytest.raises(LayoutError, match="declared tensor 'V' does not exist; tensors: U, W, b"):
        rf.declare(Plain(), {"V": "ih"})
    cell = rf.declare(Plain(), {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}, kind="lstm")
    graphdef, state = nnx.split(cell)
    hash(graphdef)  # nnx hashes static attributes: the declaration must be hashable
    clone = nnx.merge(graphdef, state)
    rf.apply(SPEC, clone, seed=6)
    np.testing.assert_array_equal(np.asarray(clone.b[...])[H : 2 * H], np.ones(H))
    doubled = nnx.jit(lambda m: jax.tree_util.tree_map(lambda a: 2 * a, m.W[...]))(clone)
    np.testing.assert_array_equal(np.asarray(doubled), 2 * np.asarray(clone.W[...]))


def test_a_linen_cell_declared_by_class_and_a_linen_instance_refused():
    class LinenLSTM(nn.RNNCellBase):
        features: int = H

        @nn.compact
        def __call__(self, carry, x):
            W = self.param("W", nn.initializers.zeros, (x.shape[-1], 4 * self.features))
            U = self.param("U", nn.initializers.zeros, (self.features, 4 * self.features))
            b = self.param("b", nn.initializers.zeros, (4 * self.features,))
            return lstm_step(W, U, b, carry, x)

        def initialize_carry(self, rng, input_shape):
            return jnp.zeros(input_shape[:-1] + (H,)), jnp.zeros(input_shape[:-1] + (H,))

        @property
        def num_feature_axes(self):
            return 1

    with pytest.raises(LayoutError, match="Linen modules are frozen; declare the class"):
        rf.declare(LinenLSTM(), {"W": "ih"})
    rf.declare(LinenLSTM, {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}, kind="lstm")
    model = nn.RNN(LinenLSTM())
    variables, _ = rf.apply_linen(SPEC, model, model.init(jax.random.key(0), X), X, seed=6)
    np.testing.assert_allclose(np.asarray(model.apply(variables, X)), torch_lstm_out(6), atol=1e-5)


def test_a_declared_cell_with_a_parameter_left_out_is_an_error_listing_it():
    class Partial(FusedLSTM):
        rnninit_roles = {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]"}

    with pytest.raises(LayoutError, match="no layout explains: b"):
        rf.apply(SPEC, Partial(None), seed=0)
    assert len(rf.apply(SPEC, Partial(None), seed=0, strict=False).plan.assignments) == 8


# -- rf.role --


def test_a_seeded_role_initializer_gives_the_numbers_apply_gives_that_block_whatever_the_key():
    module = torch.nn.LSTM(IN, H)
    rt.apply(SPEC, module, seed=3)
    hh = rf.role(SPEC, "hh", "ifgo", kind="lstm", seed=3)
    for key in (jax.random.key(0), jax.random.key(1)):
        np.testing.assert_array_equal(np.asarray(hh(key, (H, 4 * H))).T, module.weight_hh_l0.detach().numpy())
    bias = rf.role(SPEC, "bias", "ifgo", seed=3)(jax.random.key(0), (4 * H,))
    np.testing.assert_allclose(
        np.asarray(bias), (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy(), atol=1e-7
    )


def test_an_unseeded_role_initializer_follows_its_key_also_under_jit_and_eval_shape():
    init = rf.role("ih=normal(std=0.5) hh=orthogonal", "hh", "ifgo")
    a = np.asarray(init(jax.random.key(0), (H, 4 * H)))
    np.testing.assert_array_equal(a, np.asarray(jax.jit(lambda k: init(k, (H, 4 * H)))(jax.random.key(0))))
    assert not np.allclose(a, np.asarray(init(jax.random.key(1), (H, 4 * H))))
    for k in range(4):  # each gate block orthogonal, in the neutral (out, in) orientation
        block = a[:, k * H : (k + 1) * H].T
        np.testing.assert_allclose(block @ block.T, np.eye(H), atol=1e-5)
    assert jax.eval_shape(lambda k: init(k, (H, 4 * H)), jax.random.key(0)).shape == (H, 4 * H)


def test_role_initializers_as_kernel_init_of_nnx_linear_layers():
    spec = "ih=normal(std=0.5) hh=orthogonal bias=zeros"
    rngs = nnx.Rngs(0)
    first = nnx.Linear(H, 3 * H, kernel_init=rf.role(spec, "hh", "rzn"), use_bias=False, rngs=rngs)
    second = nnx.Linear(H, 3 * H, kernel_init=rf.role(spec, "hh", "rzn"), use_bias=False, rngs=rngs)
    assert not np.allclose(np.asarray(first.kernel[...]), np.asarray(second.kernel[...]))  # keys differ
    hash(nnx.split(first)[0])  # the initializer is hashable, as an nnx static attribute must be
    stats = np.asarray(nnx.Linear(IN, 4 * H, kernel_init=rf.role(spec, "ih", "ifgo"), rngs=rngs).kernel[...])
    assert 0.3 < stats.std() < 0.7


def test_role_initializer_errors_come_at_construction_or_name_the_shape():
    with pytest.raises(SpecError, match="gives no init for hh"):
        rf.role("ih=normal", "hh")
    with pytest.raises(SpecError, match="no cell kind has the gates"):
        rf.role(SPEC, "hh", "ifx")
    with pytest.raises(LayoutError, match=r"cannot initialize a weight of shape \(4, 10\)"):
        rf.role(SPEC, "hh", "ifgo")(jax.random.key(0), (4, 10))
