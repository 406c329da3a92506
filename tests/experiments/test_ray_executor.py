"""``--executor ray``: the same stored results and summary as the local executor, a worker killed
mid-run retried and counted once, retries exhausted -> a failed run that the next invocation redoes,
and a clear error when Ray is not installed.

One local Ray instance (2 CPUs) serves the whole module; it ships this worktree's rnninit to its
workers (``py_modules``), as :class:`RayExecutor` does when it connects by itself.
"""

import functools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import last_json, src_env

import rnninit
from rnninit.cli import main
from rnninit.experiments.config import parse_sweep
from rnninit.experiments.executor import LocalExecutor, make_executor
from rnninit.experiments.ray_executor import CANCEL_TIMEOUT_S, RayExecutor
from rnninit.experiments.runner import run_experiment
from rnninit.experiments.worker import execute_run

TINY = {
    "name": "tiny",
    "task": {"name": "adding", "length": 8},
    "train": {
        "steps": 20,
        "batch_size": 8,
        "optimizer": "adam",
        "lr": 0.01,
        "eval_every": 10,
        "eval_size": 32,
    },
    "seeds": [0, 1],
    "models": [
        {"cell": "lstm", "hidden": 4, "spec": "forget_bias(1.0)", "label": "lstm-f1"},
        {"cell": "elman", "hidden": 4, "spec": "irnn", "label": "irnn", "nonlinearity": "relu"},
    ],
}
VICTIM = ("irnn", 1)  # (label, seed) of the run whose worker dies

# one Ray instance per xdist worker: keep this module's tests together (effective with --dist loadgroup)
pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    context = ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=100 * 2**20,
        runtime_env={"py_modules": [rnninit]},
        logging_level="WARNING",
    )
    # the crash-injecting run functions below live in this test module, which workers cannot import
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield context
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    """The tiny sweep run by the local executor in this process: the results Ray must reproduce."""
    out = tmp_path_factory.mktemp("local")
    outcome = run_experiment(parse_sweep(TINY), out, LocalExecutor(workers=1))
    return outcome.summary(), _stored_results(out)


def _stored_results(out: Path) -> dict:
    """run key -> stored result, wall time aside (the only field that may differ between runs)."""
    found = {}
    for path in sorted((out / "runs").glob("*.json")):
        record = json.loads(path.read_text())
        record["result"].pop("wall_s", None)
        found[record["key"]] = record["result"]
    return found


def _is_victim(run: dict) -> bool:
    return (run["label"], run["seed"]) == VICTIM


def die_after_first_attempt(run: dict, markers: str) -> dict:
    """Train the run, then (first attempt of the victim only) kill the worker process before the
    result is returned: the work was done, the result was lost; Ray must run it again."""
    result = execute_run(run)
    marker = Path(markers, f"{run['label']}-{run['seed']}.pid")
    if _is_victim(run) and not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)
    return result


def always_die(run: dict, markers: str) -> dict:
    """The victim's worker dies on every attempt (one line per attempt in its marker file)."""
    if _is_victim(run):
        with open(Path(markers, "attempts"), "a") as handle:
            handle.write(f"{os.getpid()}\n")
        os._exit(1)
    return execute_run(run)


def slow_unless_first(run: dict, markers: str) -> dict:
    """Run 0 returns at once; the others write their process id, then take two minutes, in short
    steps like a training loop (Ray interrupts a cancelled task between Python bytecodes, not inside
    one long C call)."""
    if run["n"] > 0:
        Path(markers, f"{run['n']}.pid").write_text(str(os.getpid()))
    for _ in range(1200 if run["n"] > 0 else 0):
        time.sleep(0.1)
    return {"status": "completed", "n": run["n"]}


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_ray_stores_the_same_results_and_summary_as_local(ray_cluster, local_reference, tmp_path):
    summary, results = local_reference
    outcome = run_experiment(parse_sweep(TINY), tmp_path, RayExecutor())
    assert outcome.summary() == summary
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert _stored_results(tmp_path) == results
    assert summary["completed"] == 4 and summary["failed"] == 0


def test_worker_killed_mid_run_is_retried_and_counted_once(ray_cluster, local_reference, tmp_path):
    summary, results = local_reference
    out, markers = tmp_path / "out", tmp_path / "markers"
    markers.mkdir()
    arrived = []
    crash_once = functools.partial(die_after_first_attempt, markers=str(markers))
    outcome = run_experiment(
        parse_sweep(TINY),
        out,
        RayExecutor(max_retries=2, function=crash_once),
        on_result=lambda record: arrived.append(record["key"]),
    )

    victim_pid = int((markers / "irnn-1.pid").read_text())
    assert _process_is_gone(victim_pid)  # the first attempt's worker really died
    assert sorted(arrived) == sorted(set(arrived)) and len(arrived) == 4  # each run reached the runner once
    assert len(list((out / "runs").glob("*.json"))) == 4  # one stored file per run, none left half-written
    assert _stored_results(out) == results  # the retried run's numbers are those of an undisturbed run
    assert outcome.summary() == summary
    assert (summary["completed"], summary["failed"], summary["reused"]) == (4, 0, 0)


def test_retries_exhausted_fail_that_run_only_and_a_rerun_redoes_it(ray_cluster, local_reference, tmp_path):
    summary, results = local_reference
    markers = tmp_path / "markers"
    markers.mkdir()
    executor = RayExecutor(max_retries=0, function=functools.partial(always_die, markers=str(markers)))
    out = tmp_path / "out"  # beside the markers: a results directory holds only rnninit's files
    outcome = run_experiment(parse_sweep(TINY), out, executor)

    assert len((markers / "attempts").read_text().split()) == 1  # max_retries=0: Ray gives up at once
    first = outcome.summary()
    assert (first["completed"], first["failed"]) == (3, 1)
    (victim,) = [r for r in outcome.records if _is_victim(r["run"])]
    assert victim["result"]["status"] == "failed" and "WorkerCrashedError" in victim["result"]["reason"]

    again = run_experiment(parse_sweep(TINY), out, LocalExecutor())  # the next invocation, any executor
    assert again.reused == 3  # finished runs are kept; only the failed one runs again
    assert again.summary() == {**summary, "reused": 3}
    assert _stored_results(out) == results


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not _process_is_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _process_is_gone(pid)


def test_stopping_early_cancels_the_runs_still_pending(ray_cluster, tmp_path, monkeypatch):
    """Stopping the generator (what Ctrl-C in the runner does) stops every run still pending, and
    returns only once they have stopped: each cancelled task reports its cancellation, and the
    worker process of each one that had started is gone (killed, not left sleeping for minutes)."""
    import ray

    cancelled = []
    real_cancel = ray.cancel
    monkeypatch.setattr(ray, "cancel", lambda ref, **kw: (cancelled.append(ref), real_cancel(ref, **kw))[1])
    sleepy = functools.partial(slow_unless_first, markers=str(tmp_path))
    results = RayExecutor(function=sleepy).map([{"n": 0}, {"n": 1}, {"n": 2}])
    assert next(results) == (0, {"status": "completed", "n": 0})
    started = time.monotonic()
    results.close()
    assert time.monotonic() - started < CANCEL_TIMEOUT_S  # it did not wait for a run to finish (120 s)
    refs = list(dict.fromkeys(cancelled))
    assert len(refs) == 2
    ready, _ = ray.wait(refs, num_returns=2, timeout=0, fetch_local=False)
    assert len(ready) == 2  # both are final: neither can start or go on running later
    for ref in refs:
        with pytest.raises((ray.exceptions.TaskCancelledError, ray.exceptions.WorkerCrashedError)):
            ray.get(ref)
    for pid_file in tmp_path.glob("*.pid"):  # the sleepers that had started
        assert _gone_within(int(pid_file.read_text()), 30), pid_file.name


class LosesFirstCancels:
    """Ray as seen by :meth:`RayExecutor._cancel` when a cancel is lost: the task was being pushed to
    a worker, the cancel reached that worker first, and the worker (not knowing the task yet)
    dropped it. Ray 2.60 does this a few times in a hundred; a second cancel finds the task."""

    def __init__(self, lost: dict[str, int]):
        self.lost = dict(lost)  # ref -> how many cancels are lost before one lands
        self.calls: list[str] = []
        self.stopped: set[str] = set()

    def cancel(self, ref, force=False):
        assert force
        self.calls.append(ref)
        if self.lost.get(ref, 0) > 0:
            self.lost[ref] -= 1
        else:
            self.stopped.add(ref)

    def wait(self, refs, num_returns, timeout=None, fetch_local=True):
        return [r for r in refs if r in self.stopped], [r for r in refs if r not in self.stopped]


def test_a_lost_cancel_is_sent_again_until_the_run_stops():
    fake = LosesFirstCancels({"pushed": 2})
    executor = RayExecutor(function=execute_run)
    executor.ray = fake
    executor._cancel(["pushed", "queued"])
    assert fake.stopped == {"pushed", "queued"}
    assert fake.calls == ["pushed", "queued", "pushed", "pushed"]


def test_cli_executor_ray_with_address_matches_local_json_summary(ray_cluster, tmp_path):
    """A separate driver process connects to the running instance by address, as to a real cluster,
    and ships its own rnninit to the workers (one run: each new driver needs new worker processes)."""
    one = {**TINY, "seeds": [1], "models": TINY["models"][1:]}
    reference = run_experiment(parse_sweep(one), tmp_path / "local", LocalExecutor())
    config = tmp_path / "one.yaml"
    config.write_text(yaml.safe_dump(one))
    address = ray_cluster.address_info["gcs_address"]
    # the instance uses token authentication (Ray's default); the token is in ~/.ray/auth_token
    env = src_env(OMP_NUM_THREADS="1", RAY_AUTH_MODE="token")
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnninit.cli",
            "run",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--executor",
            "ray",
            "--address",
            address,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == reference.summary()
    assert f"1 to run on the Ray cluster at {address}" in " ".join(done.stderr.split())  # rich wraps lines
    assert _stored_results(tmp_path / "out") == _stored_results(tmp_path / "local")


@pytest.mark.slow
def test_cli_executor_ray_alone_starts_and_stops_a_private_local_instance(tmp_path):
    """Without --address (and RAY_ADDRESS), a local instance with --workers CPUs runs the sweep and
    is shut down at the end (a separate process: this one is already connected to Ray)."""
    one = {**TINY, "seeds": [0], "models": TINY["models"][:1]}
    reference = run_experiment(parse_sweep(one), tmp_path / "local", LocalExecutor())
    config = tmp_path / "one.yaml"
    config.write_text(yaml.safe_dump(one))
    env = src_env(OMP_NUM_THREADS="1")
    env.pop("RAY_ADDRESS", None)
    code = (
        "import sys, ray; from rnninit.cli import main; code = main(sys.argv[1:]); "
        "assert not ray.is_initialized(), 'Ray left running'; sys.exit(code)"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "run",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--executor",
            "ray",
            "--workers",
            "1",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout) == reference.summary()
    assert "1 to run on 1 ray worker(s)" in " ".join(done.stderr.split())
    assert _stored_results(tmp_path / "out") == _stored_results(tmp_path / "local")


def test_without_ray_the_ray_executor_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--executor", "ray"]) == 2
    err = capsys.readouterr().err
    assert "needs Ray" in err and "pip install 'rnninit[ray]'" in err
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written
    with pytest.raises(ImportError, match=r"rnninit\[ray\]"):
        make_executor("ray")


def test_unreachable_address_fails_fast_naming_it(tmp_path, capsys):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    started = time.monotonic()
    code = main(
        [
            "run",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--executor",
            "ray",
            "--address",
            f"127.0.0.1:{port}",
        ]
    )
    assert code == 2 and time.monotonic() - started < 15  # Ray alone would wait for minutes
    err = " ".join(capsys.readouterr().err.split())
    assert f"cannot reach the Ray cluster at '127.0.0.1:{port}'" in err and "ray start --head" in err
    assert not (tmp_path / "out").exists()


def test_address_is_only_for_the_ray_executor(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--address", "auto"]) == 2
    assert "--address is for --executor ray" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        ({"workers": 0}, "^workers must be an integer >= 1"),
        ({"max_retries": -1}, "^max_retries must be an integer >= 0"),
        ({"address": "head-node"}, "^address 'head-node' is not a Ray address; valid: 'auto', HOST:PORT"),
        ({"address": "ray://head-node:port"}, "is not a Ray address"),
    ],
)
def test_bad_ray_executor_options_are_config_errors(options, message):
    from rnninit.experiments.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        RayExecutor(**options)
