"""Run an experiment: reuse what the store already holds, execute the rest, store each result as it
arrives, then summarize and write the report."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rnninit.experiments.config import Sweep
from rnninit.experiments.executor import Executor
from rnninit.experiments.store import ResultStore, write_atomic
from rnninit.experiments.tasks import make_task


@dataclass
class Outcome:
    sweep: Sweep
    records: list[dict]  # one per run, in the sweep's order: {"key", "run", "result"}
    reused: int

    def records_of(self, label: str) -> list[dict]:
        return [r for r in self.records if r["run"]["label"] == label]

    def summary(self) -> dict:
        """Counts over all runs (``reused``: taken from the store by this invocation) and, per label,
        the mean final metric over its non-diverged seeds, ``solved`` out of ``of``, and its task."""
        counts = {"completed": 0, "reused": self.reused, "failed": 0, "diverged": 0}
        for record in self.records:
            counts[record["result"]["status"]] += 1
        models = {}
        for experiment in self.sweep.experiments:
            task = make_task(experiment.task)
            for model in experiment.models:
                results = [r["result"] for r in self.records_of(model["label"])]
                finals = [r["final_metric"] for r in results if r["status"] == "completed"]
                steps = [r["steps_to_solve"] for r in results if r.get("solved")]
                models[model["label"]] = {
                    "final_metric": statistics.fmean(finals) if finals else None,
                    "solved": sum(bool(r.get("solved")) for r in results),
                    "of": len(results),
                    "diverged": sum(r["status"] == "diverged" for r in results),
                    "failed": sum(r["status"] == "failed" for r in results),
                    "median_steps_to_solve": statistics.median(steps) if steps else None,
                    "experiment": experiment.name,
                    "metric": task.metric_name,
                    "baseline": task.baseline,
                }
                if "family" in model:  # a tuned model: what it was tuned from, and what it got
                    models[model["label"]].update(family=model["family"], spec=model["spec"])
        return {"name": self.sweep.name, "runs": len(self.records), **counts, "models": models}


def run_experiment(
    sweep: Sweep,
    out: str | Path,
    executor: Executor,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[dict], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Outcome:
    """Execute every run of ``sweep`` not already finished in ``out``'s store.

    ``on_start(to_run, reused)`` is called once before execution, ``on_result(record)`` after each
    new result is stored (for progress display). The store's lock is held throughout: another
    process running in ``out`` is waited for (``on_wait(who)`` is called first), and its finished
    runs are then reused, so no run is trained twice.
    """
    store = ResultStore(out)
    with store.lock(on_wait):
        return _run_locked(sweep, store, executor, on_start, on_result)


def _run_locked(sweep, store: ResultStore, executor, on_start, on_result) -> Outcome:
    records: list[dict | None] = []
    pending: list[int] = []
    for index, run in enumerate(sweep.runs):
        found = store.get(run)
        records.append(found)
        if found is None:
            pending.append(index)
    reused = len(sweep.runs) - len(pending)
    if on_start is not None:
        on_start(len(pending), reused)
    jobs = [sweep.runs[i].to_dict() for i in pending]
    try:
        for job_index, result in executor.map(jobs):
            run = sweep.runs[pending[job_index]]
            store.put(run, result)
            record = {"key": run.key, "run": run.to_dict(), "result": result}
            records[pending[job_index]] = record
            if on_result is not None:
                on_result(record)
    finally:
        executor.close()
    outcome = Outcome(sweep, [r for r in records if r is not None], reused)
    write_atomic(store.root / "summary.json", json.dumps(outcome.summary(), indent=1) + "\n")
    return outcome
