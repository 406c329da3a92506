"""Each task's stated baseline is what its trivial predictor actually scores on sampled data."""

import math

import numpy as np
import pytest
import torch

from rnninit.experiments.errors import ConfigError
from rnninit.experiments.tasks import TASKS, make_task


def test_adding_baseline_of_predicting_one_is_one_sixth():
    # Var(u1 + u2) = 1/6. With D = S - 1 triangular on [-1, 1], Var(D^2) = 1/15 - 1/36, so the sample
    # MSE over n = 50_000 has sd 8.8e-4 and 0.005 is 5.7 sd: a false failure has probability < 1e-8
    # (and the seed is fixed, so the test cannot flake).
    task = make_task({"name": "adding", "length": 20})
    batch = task.sample(50_000, np.random.default_rng(0))
    assert task.baseline == pytest.approx(1 / 6)
    assert task.metric(task.trivial_output(batch), batch.y) == pytest.approx(1 / 6, abs=0.005)


def test_adding_has_one_marker_in_each_half_and_target_is_their_sum():
    task = make_task({"name": "adding", "length": 20})
    batch = task.sample(500, np.random.default_rng(1))
    markers = batch.x[..., 1]
    assert torch.all(markers[:, :10].sum(1) == 1) and torch.all(markers[:, 10:].sum(1) == 1)
    expected = (batch.x[..., 0] * markers).sum(1, keepdim=True)
    torch.testing.assert_close(batch.y, expected)


@pytest.mark.parametrize(("name", "extra"), [("copy", 20), ("variable_copy", 21)])
@pytest.mark.parametrize("length", [10, 100])
def test_copy_memoryless_baseline_is_10_ln8_over_the_number_of_steps(name, extra, length):
    # copy: T + 20 steps (Arjovsky et al. 2016, §5.1); variable copy: T + 21, so that T blanks fit
    task = make_task({"name": name, "length": length})
    batch = task.sample(4000, np.random.default_rng(2))
    assert batch.x.shape == (4000, length + extra, 10)
    assert task.baseline == pytest.approx(10 * math.log(8) / (length + extra))
    # the trivial predictor's loss is exact up to float32 rounding, whatever the sample
    assert task.metric(task.trivial_output(batch), batch.y) == pytest.approx(task.baseline, rel=1e-5)


def test_copy_target_repeats_the_symbols_after_the_delimiter():
    task = make_task({"name": "variable_copy", "length": 30})
    batch = task.sample(200, np.random.default_rng(3))
    tokens = batch.x.argmax(-1)
    where = (tokens == 9).int().argmax(1)
    assert len(set(where.tolist())) > 5  # the delay varies
    for row in range(200):
        d = int(where[row])
        assert torch.equal(batch.y[row, d + 1 : d + 11], tokens[row, :10])
        assert int(batch.y[row].ne(0).sum()) == 10
    fixed = make_task({"name": "copy", "length": 30}).sample(50, np.random.default_rng(3))
    assert set(fixed.x.argmax(-1).eq(9).int().argmax(1).tolist()) == {39}  # T - 1 = 29 blanks


def test_variable_copy_puts_1_to_T_blanks_between_the_symbols_and_the_delimiter():
    # Henaff et al. 2016 as Tallec & Ollivier 2018 (section 3) describe it: uniform on 1..T. With
    # T = 10 and 2000 draws each count is missed with probability 0.9^2000 < 1e-90 (and the seed is fixed).
    task = make_task({"name": "variable_copy", "length": 10})
    tokens = task.sample(2000, np.random.default_rng(4)).x.argmax(-1)
    blanks = (tokens == 9).int().argmax(1) - 10
    assert torch.all(tokens[:, :10] != 0)
    for row, count in enumerate(blanks.tolist()):
        assert torch.all(tokens[row, 10 : 10 + count] == 0)
    assert set(blanks.tolist()) == set(range(1, 11))


@pytest.mark.parametrize("name", ["digits", "permuted_digits"])
def test_digits_majority_baseline_is_the_most_frequent_held_out_class(name):
    task = make_task({"name": name})
    test = task.eval_batch(0)
    assert test.x.shape == (397, 64, 1) and 0.0 <= float(test.x.min()) and float(test.x.max()) <= 1.0
    assert task.baseline == pytest.approx(51 / 397)  # the fixed split: 397 held out
    assert np.bincount(test.y.numpy()).max() == 51
    assert task.metric(task.trivial_output(test), test.y) == pytest.approx(task.baseline, abs=1e-9)


def test_permuted_digits_are_the_same_images_in_a_fixed_pixel_order():
    plain, permuted = (
        make_task({"name": "digits"}).eval_batch(0),
        make_task({"name": "permuted_digits"}).eval_batch(0),
    )
    assert torch.equal(plain.y, permuted.y)
    assert not torch.equal(plain.x, permuted.x)
    torch.testing.assert_close(plain.x.sort(dim=1).values, permuted.x.sort(dim=1).values)


def test_eval_set_is_fixed_and_training_batches_follow_the_seed():
    task = make_task({"name": "adding", "length": 30})
    assert torch.equal(task.eval_batch(64).x, task.eval_batch(64).x)
    a, b = task.sample(8, np.random.default_rng(5)), task.sample(8, np.random.default_rng(5))
    assert torch.equal(a.x, b.x)
    assert not torch.equal(a.x, task.sample(8, np.random.default_rng(6)).x)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_states_baseline_and_threshold(name):
    task = make_task({"name": name})
    info = task.describe()
    assert info["baseline_rule"] and info["threshold_rule"]
    # solved means clearly better than the baseline
    better = task.threshold < task.baseline if task.lower_is_better else task.threshold > task.baseline
    assert better


def test_unknown_task_or_argument_is_a_config_error():
    with pytest.raises(ConfigError, match="did you mean 'adding'"):
        make_task({"name": "addng"})
    with pytest.raises(ConfigError, match="no argument 'lenght'.*did you mean 'length'"):
        make_task({"name": "copy", "lenght": 10})
    with pytest.raises(ConfigError, match="length must be an integer"):
        make_task({"name": "adding", "length": 1})
