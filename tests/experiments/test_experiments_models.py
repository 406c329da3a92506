"""The model factory: every cell name builds, takes its spec, and trains; the two-kernel tanh
cell gets each kernel's own scale."""

import numpy as np
import pytest
import torch

import rnninit.torch as rt
from rnninit.experiments.models import CELLS, build_model
from rnninit.experiments.tasks import make_task
from rnninit.experiments.trainer import TrainConfig, train

SPECS = {
    "elman": "orthogonal",
    "lstm": "chrono(t_max=20)",
    "gru": "chrono(t_max=20)",
    "indrnn": "indrnn(t_max=20)",
    "minimalrnn": "pytorch_default",
    "two_kernel_tanh": "ih=normal(std=0.5) hh=orthogonal",
}


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_cell_builds_applies_its_spec_and_trains(cell):
    task = make_task({"name": "copy", "length": 5})
    sizes = {"input_size": task.input_size, "output_size": task.output_size, "readout": task.readout}
    model = build_model(cell, 6, SPECS[cell], **sizes, seed=0)
    again = build_model(cell, 6, SPECS[cell], **sizes, seed=0)
    for a, b in zip(model.parameters(), again.parameters()):
        assert torch.equal(a, b)  # same seed, same model
    out = model(task.sample(3, np.random.default_rng(0)).x)
    assert out.shape == (3, 25, 10)
    result = train(model, task, TrainConfig(steps=3, batch_size=4, eval_every=3, eval_size=8), seed=0)
    assert result.status == "completed"


def test_two_kernel_tanh_gets_each_kernels_own_scale():
    model = build_model(
        "two_kernel_tanh",
        256,
        "ih=normal(std=1.0) hh=normal(std=0.05)",
        input_size=64,
        output_size=1,
        readout="last",
        seed=0,
    )
    assert float(model.rnn.kernel_ih.detach().std()) == pytest.approx(
        1.0, rel=0.02
    )  # 16k draws: the sd of a sample sd is ~0.55%, so 2% is 3.6 sd (and the seed is fixed)
    assert float(model.rnn.kernel_hh.detach().std()) == pytest.approx(0.05, rel=0.02)
    # and rnninit reads the cell's declaration: ih is (in, out) storage, hh square
    layout = rt.model_layout(model.rnn)
    assert [(s.role, s.shape) for s in layout.cells[0].slots] == [("ih", (256, 64)), ("hh", (256, 256))]


def test_elman_relu_option_reaches_torch():
    model = build_model(
        "elman",
        4,
        "irnn",
        input_size=2,
        output_size=1,
        readout="last",
        seed=0,
        options={"nonlinearity": "relu"},
    )
    assert model.rnn.nonlinearity == "relu"
    torch.testing.assert_close(model.rnn.weight_hh_l0, torch.eye(4))
