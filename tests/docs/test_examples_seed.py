"""examples/seed: the problem statement's initializers fail as described; the rnninit version does not.

Statistical checks are seeded (deterministic); each std bound is at least 9 standard errors wide, so
a correct implementation fails it with probability < 1e-18 for any seed.
"""

import importlib.util
import sys

import keras
import numpy as np
import pytest
from helpers import ROOT

import rnninit as ri
import rnninit.keras as rk

EXAMPLES = ROOT / "examples" / "seed"
SCALE_IH, SCALE_HH, UNITS = 1.0, 0.05, 128


def load(name):
    spec = importlib.util.spec_from_file_location(f"seed_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


problem, fixed = load("problem"), load("fixed")


def built(cell, input_dim):
    cell.build((None, input_dim))
    return np.std(cell.kernel_ih.numpy()), np.std(cell.kernel_hh.numpy())


def close(value, target):  # >= 16384 draws: std's standard error <= 0.6%; ±6% is >= 9 of them
    return abs(value - target) < 0.06 * target


def test_incorrect_initializer_ignores_scale_hh():
    ih, hh = built(problem.CustomRNNCell(UNITS, problem.IncorrectInitializer(SCALE_IH, SCALE_HH)), 256)
    assert close(ih, SCALE_IH) and close(hh, SCALE_IH) and not close(hh, SCALE_HH)


def test_shape_dispatch_is_right_at_256_wrong_at_128_and_fails_elsewhere():
    def make():
        return problem.CustomRNNCell(UNITS, problem.ShapeDispatchInitializer(SCALE_IH, SCALE_HH))

    ih, hh = built(make(), 256)
    assert close(ih, SCALE_IH) and close(hh, SCALE_HH)
    ih, hh = built(make(), 128)
    assert close(ih, SCALE_HH), "at input_dim == units the input kernel silently gets scale_hh"
    with pytest.raises(ValueError, match="Unexpected shape"):
        built(make(), 64)


def test_dist_initializer_accepts_only_two_names_and_inherits_the_shape_bug():
    with pytest.raises(ValueError, match="Unknown distribution"):
        problem.DistInitializer(dist="gamma")
    cell = problem.CustomRNNCell(UNITS, problem.DistInitializer(SCALE_IH, SCALE_HH, dist="uniform"))
    cell.build((None, 128))
    assert np.abs(cell.kernel_ih.numpy()).max() <= SCALE_HH  # the input kernel got the recurrent scale


def test_the_original_cells_have_no_state_size_so_keras_rnn_rejects_them():
    with pytest.raises(ValueError, match="state_size"):
        keras.layers.RNN(problem.CustomRNNCell(UNITS, problem.IncorrectInitializer()))


@pytest.mark.parametrize("input_dim", [256, 128, 64])
def test_role_bound_cell_gives_each_kernel_its_own_scale_at_every_input_size(input_dim):
    cell = fixed.RoleRNNCell(UNITS, init=fixed.scaled_spec(SCALE_IH, SCALE_HH), seed=0)
    ih, hh = built(cell, input_dim)
    assert close(ih, SCALE_IH) and close(hh, SCALE_HH)
    np.testing.assert_array_equal(cell.bias.numpy(), np.zeros(UNITS))


def test_uniform_distribution_is_uniform_at_each_roles_scale():
    cell = fixed.RoleRNNCell(UNITS, init=fixed.scaled_spec(SCALE_IH, SCALE_HH, dist="uniform"), seed=0)
    cell.build((None, 128))
    ih, hh = cell.kernel_ih.numpy(), cell.kernel_hh.numpy()
    assert np.abs(ih).max() <= SCALE_IH and np.abs(ih).max() > 0.99 * SCALE_IH
    assert np.abs(hh).max() <= SCALE_HH and np.abs(hh).max() > 0.99 * SCALE_HH
    assert close(np.std(ih), SCALE_IH / np.sqrt(3))  # U(-a, a) has std a/√3


def test_unknown_distribution_is_a_typed_error_that_lists_the_valid_ones():
    with pytest.raises(
        ri.SpecError,
        match=r"unknown distribution 'unifrom'; did you mean 'uniform'\?; valid: 'normal', 'uniform'",
    ):
        fixed.scaled_spec(dist="unifrom")


def test_fixed_cell_works_in_rnn_and_bidirectional_and_rk_apply_reaches_it():
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    layer = keras.layers.Bidirectional(keras.layers.RNN(fixed.RoleRNNCell(4, seed=0), return_sequences=True))
    assert tuple(layer(x).shape) == (2, 5, 8)
    rk.apply("ih=orthogonal hh=identity bias=zeros", layer, seed=0)
    np.testing.assert_array_equal(layer.backward_layer.cell.kernel_hh.numpy(), np.eye(4))


def test_fixed_cell_saves_and_loads_with_its_spec(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((5, 8)),
            keras.layers.RNN(fixed.RoleRNNCell(4, init=fixed.scaled_spec(0.5, 0.1), seed=1)),
        ]
    )
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].cell.init == fixed.scaled_spec(0.5, 0.1)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
