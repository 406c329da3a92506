"""Executors: where runs execute. The runner hands an executor a list of runs (plain dicts) and
consumes ``(index, result)`` pairs in completion order; it stores each result as it arrives.

An executor only moves runs and results: it never touches the store, the summary or the report,
so another backend (e.g. a Ray cluster, issue 8) is one more subclass registered in
`EXECUTORS`, with no change to the runner.
"""

from __future__ import annotations

import importlib
import multiprocessing
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from rnninit.arguments import check_integer
from rnninit.errors import Arg, ConfigError, did_you_mean, one_of


class Executor(ABC):
    """Runs `execute_run` on each run and yields results as they finish.

    Importing this module imports no framework (the CLI builds its parser from `EXECUTORS`)."""

    name: str = ""

    @abstractmethod
    def map(self, runs: Sequence[dict]) -> Iterator[tuple[int, dict]]:
        """Yield ``(index into runs, result dict)`` once per run, in any order."""

    def close(self) -> None:
        """Release resources (processes, connections)."""


class LocalExecutor(Executor):
    """Runs in a pool of ``workers`` local processes (``spawn``: a clean interpreter each, one CPU
    thread per run); ``workers=1`` runs in this process, one after another."""

    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = check_integer(workers, Arg("workers"), error=ConfigError, minimum=1)

    def map(self, runs: Sequence[dict]) -> Iterator[tuple[int, dict]]:
        from rnninit.experiments.worker import execute_run  # torch is imported only when runs execute

        if self.workers == 1 or len(runs) <= 1:
            for index, run in enumerate(runs):
                yield index, execute_run(run)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(runs)), mp_context=context) as pool:
            futures = {pool.submit(execute_run, run): index for index, run in enumerate(runs)}
            for future in as_completed(futures):
                yield futures[future], future.result()


#: Executor name -> ``"module:Class"``, imported when that executor is chosen (so listing them, as the
#: CLI's parser does, imports neither Ray nor a framework); each is built as ``cls(workers=N, **options)``.
EXECUTORS: dict[str, str] = {
    "local": "rnninit.experiments.executor:LocalExecutor",
    "ray": "rnninit.experiments.ray_executor:RayExecutor",
}


def executor_class(name: str) -> type[Executor]:
    """The executor class registered under ``name``; a `ConfigError` listing the valid names."""
    where = EXECUTORS.get(name)
    if where is None:
        raise ConfigError(
            f"unknown executor {name!r}{did_you_mean(name, EXECUTORS)}; valid: {one_of(EXECUTORS)}"
        )
    module, _, attribute = where.partition(":")
    return getattr(importlib.import_module(module), attribute)


def make_executor(name: str = "local", **options) -> Executor:
    return executor_class(name)(**options)
