"""rf.apply (nnx, in place) and rf.apply_linen (Linen, new variables): identities, seeds, dtypes,
atomicity, errors."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx
from flax.core import FrozenDict

import rnninit as ri
import rnninit.flax as rf
import rnninit.torch as rt
from rnninit.errors import LayoutError, SpecError
from rnninit.seeding import SeedError

IN, H = 3, 4
X = jnp.asarray(np.random.default_rng(0).normal(size=(2, 5, IN)), dtype=jnp.float32)
SPEC = "ih=normal(std=0.3) hh=orthogonal bias=zeros bias[f]=1.0"


def params(module) -> dict[str, np.ndarray]:
    return {
        ".".join(map(str, p)): np.array(v.get_value())
        for p, v in nnx.iter_graph(module)
        if isinstance(v, nnx.Param)
    }


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class Encoder(nnx.Module):
    def __init__(self, rngs):
        self.proj = nnx.Linear(IN, IN, rngs=rngs)
        self.rnn = nnx.RNN(nnx.LSTMCell(IN, H, rngs=rngs))


class Model(nnx.Module):
    def __init__(self, rngs):
        self.encoder = Encoder(rngs)
        self.gru = nnx.RNN(nnx.GRUCell(H, H, rngs=rngs))
        self.head = nnx.Linear(H, 1, rngs=rngs)


class TorchEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(IN, H)


class TorchModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = TorchEncoder()


def test_cells_get_the_identity_of_their_wrapper_path_so_nested_cells_match_torch_at_the_same_path():
    model = Model(nnx.Rngs(0))
    result = rf.apply(SPEC + " bias_hn=zeros", model, seed=9)
    assert {(r["path"], r["direction"]) for r in result.records} == {("encoder.rnn", 0), ("gru", 0)}
    twin = TorchModel()
    rt.apply(SPEC, twin, seed=9)
    np.testing.assert_array_equal(
        np.asarray(model.encoder.rnn.cell.hg.kernel[...]).T,
        twin.encoder.rnn.weight_hh_l0.detach().numpy()[8:12],
    )


def test_layers_that_are_not_cells_are_left_alone():
    model = Model(nnx.Rngs(0))
    before = params(model.encoder.proj) | {f"head.{k}": v for k, v in params(model.head).items()}
    rf.apply(SPEC + " bias_hn=zeros", model, seed=0)
    after = params(model.encoder.proj) | {f"head.{k}": v for k, v in params(model.head).items()}
    assert same(before, after)


def test_a_failed_apply_changes_no_weight():
    model = Model(nnx.Rngs(0))
    before = params(model)
    # the LSTM is fine, the GRU cannot take a b_hn: nothing may be written, the LSTM included
    with pytest.raises(SpecError, match=r"gru: flax.nnx.GRUCell has no bias_hn .* write bias_hn=zeros"):
        rf.apply(SPEC + " bias_hn=normal(std=0.1)", model, seed=0)
    with pytest.raises(SpecError, match="unknown role 'peephole'"):
        rf.apply("ih=normal hh=orthogonal peephole=zeros", model, seed=0)
    assert same(before, params(model))


def test_seed_none_draws_fresh_entropy_and_the_result_says_which_seed_to_repeat_it_with():
    a, b = nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0)), nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0))
    first = rf.apply(SPEC, a, seed=None)
    second = rf.apply(SPEC, b, seed=None)
    assert first.seed != second.seed and not same(params(a), params(b))
    rf.apply(SPEC, b, seed=first.seed)
    assert same(params(a), params(b))


def test_a_jax_key_is_a_seed_the_same_key_the_same_weights():
    a, b, c = (nnx.GRUCell(IN, H, rngs=nnx.Rngs(0)) for _ in range(3))
    ra = rf.apply(SPEC.replace("[f]", "[z]"), a, seed=jax.random.key(7))
    rf.apply(SPEC.replace("[f]", "[z]"), b, seed=jax.random.key(7))
    rf.apply(SPEC.replace("[f]", "[z]"), c, seed=jax.random.PRNGKey(7))  # a raw uint32[2] key
    assert same(params(a), params(b)) and same(params(a), params(c))
    assert ra.seed == rf.apply(SPEC.replace("[f]", "[z]"), b, seed=ra.seed).seed and same(
        params(a), params(b)
    )


@pytest.mark.parametrize("seed", [-1, 1.5, "0", jnp.zeros(3), True])
def test_a_seed_that_is_not_an_int_a_key_or_none_is_an_error(seed):
    with pytest.raises(SeedError):
        rf.apply(SPEC, nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0)), seed=seed)


def test_parameters_keep_their_dtype():
    cell = nnx.LSTMCell(IN, H, param_dtype=jnp.bfloat16, rngs=nnx.Rngs(0))
    rf.apply("ih=normal hh=orthogonal bias=zeros bias[f]=1.0", cell, seed=0)
    assert cell.hf.kernel[...].dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(cell.hf.bias[...], dtype=np.float32), np.ones(H))


def test_blocks_the_spec_does_not_name_are_left_as_they_are():
    cell = nnx.OptimizedLSTMCell(IN, H, rngs=nnx.Rngs(0))
    before = params(cell)
    result = rf.apply("bias[f]=2.0", cell, seed=0)
    after = params(cell)
    assert len(result.plan.assignments) == 1 and not result.plan.assignments[0].draw.drawn  # no copy kept
    np.testing.assert_array_equal(result.plan.assignments[0].value, np.full(H, 2.0))  # drawn again
    np.testing.assert_array_equal(after["dense_h.bias"][H : 2 * H], np.full(H, 2.0))
    np.testing.assert_array_equal(
        np.delete(after["dense_h.bias"], np.s_[H : 2 * H]),
        np.delete(before["dense_h.bias"], np.s_[H : 2 * H]),
    )
    assert same(
        {k: v for k, v in before.items() if k != "dense_h.bias"},
        {k: v for k, v in after.items() if k != "dense_h.bias"},
    )


class MyCell(nnx.RNNCellBase):
    def __init__(self, rngs):
        self.W = nnx.Param(jnp.zeros((IN, H)))


def test_an_undeclared_custom_cell_is_an_error_that_says_how_to_declare_it_and_strict_false_skips_it():
    class Both(nnx.Module):
        def __init__(self):
            self.mine = MyCell(None)
            self.lstm = nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0))

    model = Both()
    with pytest.raises(LayoutError, match="does not know the cell MyCell.*rnninit_roles"):
        rf.apply(SPEC, model, seed=0)
    result = rf.apply(SPEC, model, strict=False, seed=0)
    assert {r["path"] for r in result.records} == {"lstm"}


def test_simple_cell_with_residual_is_an_error_not_an_approximation():
    with pytest.raises(LayoutError, match=r"residual=True.*W_h \+ I"):
        rf.apply("hh=orthogonal", nnx.SimpleCell(IN, H, residual=True, rngs=nnx.Rngs(0)), seed=0)


def test_a_cell_shared_by_two_wrappers_or_directions_is_an_error():
    cell = nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0))
    rnn = nnx.RNN(cell)
    with pytest.raises(LayoutError, match="forward_rnn and backward_rnn are one object"):
        rf.apply(SPEC, nnx.Bidirectional(rnn, rnn), seed=0)
    with pytest.raises(LayoutError, match="one cell object is used by two sequence wrappers"):
        rf.apply(SPEC, nnx.Bidirectional(nnx.RNN(cell), nnx.RNN(cell)), seed=0)


def test_a_model_without_a_recurrent_cell_and_a_linen_module_are_errors():
    with pytest.raises(LayoutError, match="contains no recurrent cell"):
        rf.apply(SPEC, nnx.Linear(2, 2, rngs=nnx.Rngs(0)), seed=0)
    with pytest.raises(LayoutError, match="Linen module.*apply_linen"):
        rf.apply(SPEC, nn.RNN(nn.LSTMCell(H)), seed=0)
    with pytest.raises(LayoutError, match=r"rnninit.flax.linen\(model, variables"):
        ri.audit(nn.RNN(nn.LSTMCell(H)), SPEC)


# -- Linen --


class LinenModel(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.Dense(IN)(x)
        x = nn.Bidirectional(nn.RNN(nn.LSTMCell(H)), nn.RNN(nn.LSTMCell(H)), name="bi")(x)
        return nn.RNN(nn.GRUCell(H), name="top")(x)


def test_linen_apply_returns_new_variables_and_leaves_the_given_ones_alone():
    model = LinenModel()
    variables = model.init(jax.random.key(0), X)
    variables = {**variables, "extra": {"count": jnp.zeros(())}}
    frozen = jax.tree_util.tree_map(np.array, variables)
    new, result = rf.apply_linen(SPEC, model, variables, X, seed=0)
    assert jax.tree_util.tree_all(jax.tree_util.tree_map(np.array_equal, variables, frozen))  # untouched
    assert new["extra"] is variables["extra"] and jax.tree_util.tree_structure(
        new
    ) == jax.tree_util.tree_structure(variables)
    np.testing.assert_array_equal(
        new["params"]["Dense_0"]["kernel"], variables["params"]["Dense_0"]["kernel"]
    )
    # the cells live under the model (LSTMCell_0, ...); their identity is the wrapper's path
    assert {(r["path"], r["direction"]) for r in result.records} == {("bi", 0), ("bi", 1), ("top", 0)}
    np.testing.assert_array_equal(new["params"]["LSTMCell_1"]["hf"]["bias"], np.ones(H))


def test_linen_apply_keeps_frozen_dicts_frozen():
    model = nn.RNN(nn.LSTMCell(H))
    variables = FrozenDict(model.init(jax.random.key(0), X))
    new, _ = rf.apply_linen(SPEC, model, variables, X, seed=0)
    assert isinstance(new, FrozenDict) and isinstance(new["params"], FrozenDict)


def test_linen_cells_built_in_setup_and_passed_alone_get_torch_identities():
    class Setup(nn.Module):
        def setup(self):
            self.rnn = nn.RNN(nn.OptimizedLSTMCell(H))

        def __call__(self, x):
            return self.rnn(x)

    for model, path in ((Setup(), "rnn"), (nn.RNN(nn.LSTMCell(H)), "")):
        _, result = rf.apply_linen(SPEC, model, model.init(jax.random.key(0), X), X, seed=0)
        assert {r["path"] for r in result.records} == {path}


def test_linen_errors_say_what_to_pass():
    model = nn.RNN(nn.LSTMCell(H))
    variables = model.init(jax.random.key(0), X)
    with pytest.raises(LayoutError, match="'params' collection"):
        rf.apply_linen(SPEC, model, variables["params"], X, seed=0)
    with pytest.raises(LayoutError, match="could not trace RNN.apply"):
        rf.apply_linen(SPEC, model, variables, seed=0)  # no inputs
    conv = nn.RNN(nn.ConvLSTMCell(H, kernel_size=(2,)))
    x = jnp.ones((2, 5, 6, IN))
    with pytest.raises(LayoutError, match="ConvLSTMCell has no rnninit layout: its kernels are convolutions"):
        rf.apply_linen(SPEC, conv, conv.init(jax.random.key(0), x), x, seed=0)
    same_rnn = nn.RNN(nn.LSTMCell(H))
    bi = nn.Bidirectional(same_rnn, same_rnn)
    with pytest.raises(LayoutError, match="forward_rnn and backward_rnn are one"):
        rf.apply_linen(SPEC, bi, bi.init(jax.random.key(0), X), X, seed=0)


def test_linen_and_nnx_cells_of_one_kind_get_the_same_numbers():
    cell = nnx.LSTMCell(IN, H, rngs=nnx.Rngs(0))
    rf.apply(SPEC, cell, seed=3)
    model = nn.LSTMCell(H)
    carry = model.initialize_carry(jax.random.key(0), X[:, 0].shape)
    variables, _ = rf.apply_linen(
        SPEC, model, model.init(jax.random.key(0), carry, X[:, 0]), carry, X[:, 0], seed=3
    )
    nnx_values = params(cell)
    for name, value in jax.tree_util.tree_leaves_with_path(variables["params"]):
        key = ".".join(k.key for k in name).replace("if.", "if_.")
        np.testing.assert_array_equal(np.asarray(value), nnx_values[key])
