"""A model of an experiment file may give a spec *family* to tune instead of a spec::

    models:
      - {cell: elman, hidden: 32, tune: "hh=orthogonal(gain=?) bias=zeros", label: tanh-tuned}
      - {cell: lstm, hidden: 32, tune: {family: "chrono(t_max=?)", input: normal}, label: lstm-tuned}

Before any run starts, `rnninit.tune.tuner.tune` fills the family in for the model's own cell (the
recurrent module the runs train, one step of it), hidden size and the task's sequence length, driven
by ``input``: ``task`` (default: 8 sequences of the task's own training data, drawn with seed 0),
``normal``, ``uniform`` or ``zeros``. The tuned spec is what every seed of the model trains with; it is
stored with each run (``spec``, and ``family``), and the report shows the family, the chosen values and
the objective beside the model's dynamics. The tune is deterministic and its values are rounded to 4
significant digits, so rerunning a file reuses the stored runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rnninit.arguments import check_integer
from rnninit.errors import ConfigError

TUNE_KEYS = ("family", "input", "batch")
TUNE_INPUTS = ("task", "normal", "uniform", "zeros")
TUNE_SEED = 0


def tune_settings(where: str, value: Any) -> dict[str, Any]:
    """``tune:`` as a family string or a mapping with ``family``, ``input`` and ``batch``."""
    if isinstance(value, str):
        value = {"family": value}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}.tune must be a spec family string or a mapping with 'family', got {value!r}"
        )
    for key in value:
        if key not in TUNE_KEYS:
            raise ConfigError(f"{where}.tune: unknown key {key!r}; valid keys: {', '.join(TUNE_KEYS)}")
    if "family" not in value:
        raise ConfigError(f"{where}.tune: missing 'family' (a spec with '?', e.g. hh=orthogonal(gain=?))")
    settings = {
        "family": value["family"],
        "input": value.get("input", "task"),
        "batch": value.get("batch", 8),
    }
    if settings["input"] not in TUNE_INPUTS:
        raise ConfigError(
            f"{where}.tune.input must be one of {', '.join(TUNE_INPUTS)}, got {settings['input']!r}"
        )
    expected = "a positive integer"
    settings["batch"] = check_integer(
        settings["batch"], f"{where}.tune.batch", error=ConfigError, minimum=1, expected=expected
    )
    return settings


def tune_model(cell: str, hidden: int, options: dict, task, settings: dict[str, Any]):
    """Tune ``settings['family']`` for this model's recurrent module on the task: a `TuneResult`."""
    from rnninit.dynamics.stepper import Stepper
    from rnninit.experiments.init_views import step_cell
    from rnninit.experiments.models import build_model
    from rnninit.tune import tune

    def builder(spec) -> Stepper:
        model = build_model(
            cell,
            hidden,
            spec,
            input_size=task.input_size,
            output_size=task.output_size,
            readout=task.readout,
            seed=TUNE_SEED,
            options=options,
        )
        return Stepper.for_module(step_cell(model.rnn))

    source = settings["input"]
    if source == "task":
        x = task.sample(settings["batch"], np.random.default_rng(TUNE_SEED)).x.numpy()
        data = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=np.float64)  # (T, batch, input)
        steps, inputs = data.shape[0], data
    else:
        steps, inputs = task.sample(1, np.random.default_rng(TUNE_SEED)).x.shape[1], source
    return tune(
        settings["family"],
        cell=cell,
        hidden=hidden,
        T=int(steps),
        input=inputs,
        input_size=task.input_size,
        batch=None if source == "task" else settings["batch"],
        seed=TUNE_SEED,
        builder=builder,
        diagnostics=False,
    )


def tuned_summary(result, settings: dict[str, Any]) -> dict[str, Any]:
    """What the report and the summary keep of a tune (no timings: the report is a function of the
    stored results and the file alone)."""
    return {
        "family": str(result.family),
        "values": dict(result.values),
        "objective": result.objective,
        "terms": dict(result.terms),
        "T": result.steps,
        "input": settings["input"],
        "batch": result.batch,
        "evaluations": len(result.trace),
        "notes": list(result.notes),
    }
