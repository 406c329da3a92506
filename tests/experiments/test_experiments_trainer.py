"""The trainer: deterministic for a seed, and a run that blows up is `diverged`, not an exception."""

import math

import torch

from rnninit.experiments.models import build_model
from rnninit.experiments.tasks import make_task
from rnninit.experiments.trainer import TrainConfig, train


def _model(task, cell="lstm", spec="forget_bias(1.0)", seed=0, **options):
    return build_model(
        cell,
        8,
        spec,
        input_size=task.input_size,
        output_size=task.output_size,
        readout=task.readout,
        seed=seed,
        options=options,
    )


def test_same_seed_gives_identical_curves_and_weights():
    task = make_task({"name": "adding", "length": 12})
    config = TrainConfig(steps=30, batch_size=8, optimizer="adam", lr=0.01, eval_every=10, eval_size=64)
    a, b = _model(task), _model(task)
    ra, rb = train(a, task, config, seed=3), train(b, task, config, seed=3)
    assert ra.curve == rb.curve and ra.status == "completed"
    assert [row[0] for row in ra.curve] == [0, 10, 20, 30]
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    other = train(_model(task, seed=4), task, config, seed=4)
    assert other.curve != ra.curve


def test_training_reduces_the_loss_below_the_baseline():
    task = make_task({"name": "adding", "length": 6})
    config = TrainConfig(steps=150, batch_size=32, optimizer="adam", lr=0.02, eval_every=50, eval_size=256)
    result = train(_model(task), task, config, seed=0)
    assert result.curve[0][1] > task.baseline
    assert result.final_metric < 0.5 * task.baseline
    assert result.wall_s > 0


def test_absurd_learning_rate_is_recorded_as_diverged_not_raised():
    task = make_task({"name": "adding", "length": 10})
    config = TrainConfig(
        steps=200, batch_size=16, optimizer="rmsprop", lr=1e6, clip=None, eval_every=50, eval_size=64
    )
    result = train(_model(task, cell="elman", spec="irnn", nonlinearity="relu"), task, config, seed=0)
    assert result.status == "diverged"
    assert result.final_metric is None and not result.solved
    assert 1 <= result.diverged_at <= 200 and result.reason


def test_solved_run_records_first_step_below_threshold():
    task = make_task({"name": "adding", "length": 5})
    config = TrainConfig(steps=250, batch_size=32, optimizer="adam", lr=0.02, eval_every=25, eval_size=256)
    result = train(_model(task), task, config, seed=1)
    assert result.solved
    first = next(step for step, value, _ in result.curve if value < task.threshold)
    assert result.steps_to_solve == first
    assert math.isfinite(result.final_metric) and result.final_metric < task.threshold


def test_digits_metric_is_accuracy_higher_is_better():
    task = make_task({"name": "digits"})
    config = TrainConfig(steps=5, batch_size=16, optimizer="adam", lr=0.01, eval_every=5)
    result = train(_model(task, cell="gru", spec="pytorch_default"), task, config, seed=0)
    assert all(0.0 <= row[1] <= 1.0 for row in result.curve)
