"""The results store and the executor interface the runner depends on."""

import json
import subprocess
import sys

import pytest

from rnninit.experiments.config import parse_sweep
from rnninit.experiments.errors import ConfigError
from rnninit.experiments.executor import Executor, LocalExecutor, make_executor
from rnninit.experiments.runner import run_experiment
from rnninit.experiments.store import ResultStore
from rnninit.experiments.worker import execute_run

SWEEP = {
    "name": "s",
    "task": {"name": "adding", "length": 6},
    "train": {"steps": 6, "batch_size": 4, "optimizer": "adam", "lr": 0.01, "eval_every": 3, "eval_size": 16},
    "seeds": [0, 1],
    "models": [
        {"cell": "gru", "hidden": 3, "spec": "pytorch_default", "label": "gru"},
        {"cell": "lstm", "hidden": 3, "spec": "chrono(t_max=6)", "label": "lstm"},
    ],
}


def test_stored_run_is_found_again_and_a_changed_config_is_not(tmp_path):
    sweep = parse_sweep(SWEEP)
    store = ResultStore(tmp_path)
    run = sweep.runs[0]
    assert store.get(run) is None
    store.put(run, {"status": "completed", "final_metric": 0.1})
    assert store.get(run)["result"]["final_metric"] == 0.1
    changed = parse_sweep({**SWEEP, "train": {**SWEEP["train"], "lr": 0.02}}).runs[0]
    assert changed.key != run.key and store.get(changed) is None
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [f"{run.key}.json"]  # no temp file left


def test_failed_torn_or_foreign_records_are_not_reused(tmp_path):
    sweep = parse_sweep(SWEEP)
    store = ResultStore(tmp_path)
    first, second, third = sweep.runs[:3]
    store.put(first, {"status": "failed", "reason": "boom"})
    store.path(second).write_text('{"key": "x", "run": ')  # as if written without the atomic rename
    store.path(third).write_text(
        json.dumps({"run": {**third.to_dict(), "seed": 99}, "result": {"status": "completed"}})
    )
    assert store.get(first) is None and store.get(second) is None and store.get(third) is None


def test_only_temp_files_that_dead_processes_left_are_removed(tmp_path):
    """A temp file of a live process is a write in flight (another rnninit run): never removed."""
    from rnninit.experiments.store import _HOST

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(done.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        runs = tmp_path / "runs"
        runs.mkdir()
        stale = runs / f".abc.json.{_HOST}.{dead}.k2j4x9.tmp"
        in_flight = runs / f".def.json.{_HOST}.{live.pid}.k2j4x9.tmp"
        other_host = runs / f".ghi.json.otherhost-{_HOST}.{dead}.k2j4x9.tmp"
        unknown_owner = runs / ".jkl.123.tmp"
        for path in (stale, in_flight, other_host, unknown_owner):
            path.write_text("{")
        ResultStore(tmp_path)
        assert not stale.exists()
        assert in_flight.exists() and other_host.exists() and unknown_owner.exists()
    finally:
        live.kill()
        live.wait()


class ReversedExecutor(Executor):
    """Another backend as the runner sees it: results arrive in a different order, from elsewhere."""

    name = "reversed"

    def map(self, runs):
        for index in reversed(range(len(runs))):
            yield index, execute_run(json.loads(json.dumps(runs[index])))  # only plain data crosses


def test_any_executor_gives_the_same_store_and_summary(tmp_path):
    sweep = parse_sweep(SWEEP)
    local = run_experiment(sweep, tmp_path / "local", LocalExecutor(workers=1))
    other = run_experiment(sweep, tmp_path / "other", ReversedExecutor())
    assert local.summary() == other.summary()
    assert local.summary()["completed"] == 4
    for a, b in zip(local.records, other.records):
        a["result"].pop("wall_s"), b["result"].pop("wall_s")
        assert a == b


def test_rerun_reuses_every_finished_run_and_runs_nothing(tmp_path):
    sweep = parse_sweep(SWEEP)
    run_experiment(sweep, tmp_path, LocalExecutor(workers=1))

    class NothingToRun(Executor):
        def map(self, runs):
            assert runs == []
            return iter(())

    again = run_experiment(sweep, tmp_path, NothingToRun())
    assert again.reused == 4 and again.summary()["reused"] == 4


def test_unknown_executor_or_bad_worker_count_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown executor 'lokal'.*did you mean 'local'"):
        make_executor("lokal", workers=1)
    with pytest.raises(ConfigError, match="^workers must be an integer >= 1"):  # its name, not a CLI flag
        make_executor("local", workers=0)
