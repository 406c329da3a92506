"""Execute one run from its plain-dict config: what every executor calls, in whatever process."""

from __future__ import annotations

import traceback

import torch

from rnninit.experiments.config import RunSpec
from rnninit.experiments.models import build_model
from rnninit.experiments.tasks import make_task
from rnninit.experiments.trainer import train


def execute_run(run: dict) -> dict:
    """Train the run described by ``RunSpec.to_dict()``; return its result as a dict.

    Never raises: an exception becomes ``{"status": "failed", "reason": <traceback>}``. Runs use one
    CPU thread each (parallelism comes from running several runs at once), which also keeps the
    numbers identical whatever the number of workers.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        spec = RunSpec.from_dict(run)
        task = make_task(dict(spec.task))
        model = build_model(
            spec.cell,
            spec.hidden,
            spec.spec,
            input_size=task.input_size,
            output_size=task.output_size,
            readout=task.readout,
            seed=spec.seed,
            options=dict(spec.options),
        )
        return train(model, task, spec.train, spec.seed).to_dict()
    except Exception:  # noqa: BLE001 - a failed run is recorded, never crashes the sweep
        return {"status": "failed", "reason": traceback.format_exc(limit=8)}
    finally:
        torch.set_num_threads(threads)
