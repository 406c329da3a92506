"""Measure what an initialization does to training: long-memory tasks, a trainer, sweeps of
cells x specs x seeds with a crash-safe results store, and an HTML report.

Examples:
    >>> from rnninit.experiments import load_experiment, run_experiment, LocalExecutor, write_report
    >>> sweep = load_experiment(None)  # the embedded default; validated before anything runs
    >>> [e.name for e in sweep.experiments]
    ['lstm-adding-T100', 'elman-adding-T30']
    >>> outcome = run_experiment(sweep, "runs/demo", LocalExecutor(workers=2))  # doctest: +SKIP
    >>> write_report(outcome, "runs/demo")  # doctest: +SKIP

The command line does the same: ``rnninit run [CONFIG] --out DIR --workers 2``. Names are imported
lazily, so ``import rnninit.experiments`` (and building the CLI's parser) imports no framework.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CELLS": "models",
    "build_model": "models",
    "ConfigError": "errors",
    "EXECUTORS": "executor",
    "Executor": "executor",
    "LocalExecutor": "executor",
    "make_executor": "executor",
    "Experiment": "config",
    "RunSpec": "config",
    "Sweep": "config",
    "load_experiment": "config",
    "parse_experiment": "config",
    "parse_sweep": "config",
    "Outcome": "runner",
    "run_experiment": "runner",
    "ResultStore": "store",
    "TASKS": "tasks",
    "make_task": "tasks",
    "TrainConfig": "trainer",
    "TrainResult": "trainer",
    "train": "trainer",
    "write_report": "report",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnninit.experiments' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rnninit.experiments.{module}"), name)
