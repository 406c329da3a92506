"""The report's initialization views: the one-step cell equals the sequence module it stands for;
the audit and dynamics sections appear once rnninit.audit / rnninit.dynamics are installed."""

import base64
import re

import pytest
import torch

from rnninit.experiments.config import parse_sweep
from rnninit.experiments.init_views import initial_model, step_cell
from rnninit.experiments.models import CELLS

SWEEP = {
    "name": "views",
    "seeds": [3],
    "train": {"steps": 2, "batch_size": 4, "eval_every": 2, "eval_size": 8},
    "task": {"name": "adding", "length": 5},
    "models": [
        {"cell": "elman", "hidden": 5, "spec": "orthogonal", "label": "tanh"},
        {"cell": "elman", "nonlinearity": "relu", "hidden": 5, "spec": "irnn", "label": "relu"},
        {"cell": "lstm", "hidden": 5, "spec": "chrono(t_max=5)", "label": "lstm"},
        {"cell": "gru", "hidden": 5, "spec": "pytorch_default", "label": "gru"},
        {"cell": "indrnn", "hidden": 5, "spec": "indrnn(t_max=5)", "label": "indrnn"},
        {"cell": "minimalrnn", "hidden": 5, "spec": "pytorch_default", "label": "minimal"},
        {
            "cell": "two_kernel_tanh",
            "hidden": 5,
            "spec": "ih=normal(std=0.5) hh=normal(std=0.4)",
            "label": "problem",
        },
    ],
}


def test_sweep_covers_every_cell_of_the_factory():
    assert {m["cell"] for m in SWEEP["models"]} == set(CELLS)


@pytest.mark.parametrize("index", range(len(SWEEP["models"])))
def test_step_cell_reproduces_the_sequence_module_step_by_step(index):
    experiment = parse_sweep(SWEEP).experiments[0]
    model = experiment.models[index]
    rnn = initial_model(experiment, model)
    cell = step_cell(rnn)
    x = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(0))
    outputs, _ = rnn(x)
    state = None
    for t in range(5):
        state = cell(x[:, t], state)
        h = state[0] if isinstance(state, tuple) else state
        torch.testing.assert_close(h, outputs[:, t], rtol=1e-5, atol=1e-6)


def test_report_has_audit_and_dynamics_sections_when_installed(tmp_path):
    from rnninit.experiments.executor import LocalExecutor
    from rnninit.experiments.report import write_report
    from rnninit.experiments.runner import run_experiment

    data = {**SWEEP, "models": SWEEP["models"][:3] + SWEEP["models"][-1:]}
    outcome = run_experiment(parse_sweep(data), tmp_path, LocalExecutor(workers=1))
    page = write_report(outcome, tmp_path).read_text()
    assert page.count("<b>Audit</b>: audit OK") == 4
    images = re.findall(r'alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [alt for alt, _ in images] == ["learning curves of views", "dynamics at initialization of views"]
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for _, data in images)


def test_audit_against_the_intended_spec_names_the_wrongly_scaled_kernel():
    from rnninit.experiments.init_views import audit_html

    data = {
        **SWEEP,
        "models": [
            {
                "cell": "two_kernel_tanh",
                "hidden": 32,
                "spec": "ih=normal hh=normal",
                "intended": "ih=normal hh=normal(std=0.18)",
                "label": "wrong",
            }
        ],
    }
    experiment = parse_sweep(data).experiments[0]
    page = audit_html(experiment, experiment.models[0])
    assert "Audited against the intended spec" in page and "1 finding(s)" in page
    assert "kernel_hh" in page and "FAIL" in page
    right = {**experiment.models[0], "spec": "ih=normal hh=normal(std=0.18)"}
    assert "audit OK" in audit_html(experiment, right)
