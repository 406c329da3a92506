"""The report's view of each model at initialization, before any training: its audit (does every
weight block hold what the spec says?, `rnninit.audit`) and its dynamics (spectra, Jacobian
norms through time, `rnninit.dynamics`). Used by `rnninit.experiments.report` when those
modules are installed; each model is rebuilt exactly as its first seed's run started.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import torch
from torch import nn

from rnninit.experiments.config import Experiment
from rnninit.experiments.html_table import table_row
from rnninit.experiments.models import build_model
from rnninit.experiments.tasks import make_task
from rnninit.experiments.two_kernel_tanh import TwoKernelTanhRNN


def initial_model(experiment: Experiment, model: dict) -> nn.Module:
    """The recurrent module of ``model`` as initialized for the experiment's first seed."""
    task = make_task(experiment.task)
    built = build_model(
        model["cell"],
        model["hidden"],
        model["spec"],
        input_size=task.input_size,
        output_size=task.output_size,
        readout=task.readout,
        seed=experiment.seeds[0],
        options=model["options"],
    )
    return built.rnn


def step_cell(rnn: nn.Module) -> nn.Module:
    """A one-step cell computing exactly what the one-layer sequence module ``rnn`` computes per step
    (its ``*_l0`` weights copied into the matching ``*Cell``), for `rnninit.dynamics.diagnose`."""
    import rnninit.torch as rt

    if isinstance(rnn, TwoKernelTanhRNN):  # h' = tanh(x K_ih + h K_hh) = tanh(W_ih x + W_hh h), W = K^T
        elman = nn.RNNCell(rnn.input_size, rnn.hidden_size, bias=False)
        with torch.no_grad():
            elman.weight_ih.copy_(rnn.kernel_ih.T)
            elman.weight_hh.copy_(rnn.kernel_hh.T)
        return elman
    cell: nn.Module
    if isinstance(rnn, nn.RNN):
        cell = nn.RNNCell(rnn.input_size, rnn.hidden_size, nonlinearity=rnn.nonlinearity)
    elif isinstance(rnn, nn.LSTM):
        cell = nn.LSTMCell(rnn.input_size, rnn.hidden_size)
    elif isinstance(rnn, nn.GRU):
        cell = nn.GRUCell(rnn.input_size, rnn.hidden_size)
    elif isinstance(rnn, rt.IndRNN):
        cell = rt.IndRNNCell(rnn.input_size, rnn.hidden_size, nonlinearity=rnn.nonlinearity)
    elif isinstance(rnn, rt.MinimalRNN):
        cell = rt.MinimalRNNCell(rnn.input_size, rnn.hidden_size)
    else:
        raise TypeError(f"no one-step cell known for {type(rnn).__name__}")
    with torch.no_grad():
        for name, param in cell.named_parameters():
            param.copy_(rnn.get_parameter(f"{name}_l0"))
    return cell


def audit_html(experiment: Experiment, model: dict) -> str:
    """The audit of the initialized model against its ``intended`` spec if it has one, else its own
    spec, as an HTML table."""
    from rnninit.audit import audit

    against = model.get("intended", model["spec"])
    report = audit(initial_model(experiment, model), against)
    data = report.to_dict()
    rows = []
    for block in data["blocks"]:
        label = f"{block['role']}[{block['gate']}]" if block["gate"] else block["role"]
        exp, obs = block.get("expected") or {}, block.get("observed") or {}
        rows.append(
            table_row(
                label,
                block["init"] or "—",
                _num(exp.get("std")),
                _num(obs.get("std")),
                _num(obs.get("spectral_radius")),
                block["verdict"],
            )
        )
    findings = "".join(f"<li>{html.escape(f['message'])}</li>" for f in data["findings"])
    head = "".join(
        f"<th>{h}</th>"
        for h in ("block", "init", "std expected", "std observed", "spectral radius", "verdict")
    )
    return (
        (
            f"<p>Audited against the intended spec <code>{html.escape(against)}</code>.</p>"
            if "intended" in model
            else ""
        )
        + f"<p><b>Audit</b>: {html.escape(report.summary())}</p><table><tr>{head}</tr>{''.join(rows)}</table>"
        + (f"<ul>{findings}</ul>" if findings else "")
    )


def _num(value) -> str:
    return "—" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def dynamics_png(experiment: Experiment) -> str:
    """One figure for the experiment: per model, Jacobian norms through time, state norms and the
    singular values of the recurrent weights at initialization, over the task's length with N(0, 1)
    inputs. Returns the PNG as base64."""
    import base64

    from rnninit.dynamics import diagnose
    from rnninit.dynamics.plots import plot_diagnoses

    task = make_task(experiment.task)
    diagnoses = [
        diagnose(
            step_cell(initial_model(experiment, m)),
            steps=task.length,
            inputs="normal",
            seed=experiment.seeds[0],
            label=m["label"],
            cell_name=m["cell"],
        )
        for m in experiment.models
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = plot_diagnoses(
            diagnoses,
            Path(tmp) / "dynamics.png",
            title=f"{experiment.name}: at initialization, T={task.length}, N(0,1) inputs",
        )
        return base64.b64encode(path.read_bytes()).decode("ascii")
