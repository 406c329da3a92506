"""Measure what an initialization does to training: long-memory tasks, a trainer, sweeps of
cells x specs x seeds with a crash-safe results store, and an HTML report.

>>> from rnninit.experiments import load_experiment, run_experiment, LocalExecutor, write_report
>>> sweep = load_experiment("my.yaml")               # doctest: +SKIP
>>> outcome = run_experiment(sweep, "runs/my", LocalExecutor(workers=2))   # doctest: +SKIP
>>> write_report(outcome, "runs/my")                 # doctest: +SKIP

The command line does the same: ``rnninit run my.yaml --out runs/my --workers 2``.
"""

from rnninit.experiments.config import Experiment, RunSpec, Sweep, load_experiment, parse_experiment, parse_sweep
from rnninit.experiments.errors import ConfigError
from rnninit.experiments.executor import EXECUTORS, Executor, LocalExecutor, make_executor
from rnninit.experiments.models import CELLS, build_model
from rnninit.experiments.report import write_report
from rnninit.experiments.runner import Outcome, run_experiment
from rnninit.experiments.store import ResultStore
from rnninit.experiments.tasks import TASKS, make_task
from rnninit.experiments.trainer import TrainConfig, TrainResult, train

__all__ = [
    "CELLS", "EXECUTORS", "TASKS", "ConfigError", "Executor", "Experiment", "LocalExecutor", "Outcome",
    "ResultStore", "RunSpec", "Sweep", "TrainConfig", "TrainResult", "build_model", "load_experiment",
    "make_executor", "make_task", "parse_experiment", "parse_sweep", "run_experiment", "train", "write_report",
]
