"""Bad input anywhere on the command line is exit 2 and one bounded line on stderr, found before
any work; user text is text (never Rich markup or Matplotlib mathtext); the run store owns its
directory, redoes corrupt records and lets two ``rnninit run`` share one ``--out`` without
training anything twice."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from helpers import SRC

from rnninit import Spec
from rnninit.cli import main
from rnninit.errors import SpecError
from rnninit.experiments.config import load_experiment, parse_sweep
from rnninit.experiments.errors import ConfigError
from rnninit.experiments.executor import Executor
from rnninit.experiments.runner import run_experiment
from rnninit.experiments.store import ResultStore, StoreError, write_atomic

TINY = {
    "name": "tiny",
    "task": {"name": "adding", "length": 5},
    "train": {"steps": 4, "batch_size": 4, "optimizer": "adam", "lr": 0.01, "eval_every": 2, "eval_size": 8},
    "seeds": [0],
    "models": [{"cell": "elman", "hidden": 3, "spec": "irnn", "label": "irnn", "nonlinearity": "relu"}],
}
#: A finished run's result, for executors that skip the training.
DONE = {
    "status": "completed",
    "curve": [[0, 0.5, None], [2, 0.25, 0.3]],
    "final_metric": 0.25,
    "solved": False,
    "steps_to_solve": None,
    "diverged_at": None,
    "reason": "",
    "wall_s": 0.0,
}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err[:2000]
    return lines[0]


# ---------------------------------------------------------------- files nested too deeply, or bombs


@pytest.mark.parametrize(
    "suffix, text", [(".json", "[" * 100000 + "]" * 100000), (".yaml", "- " * 3000 + "x")]
)
def test_a_spec_file_nested_too_deeply_is_exit_2(tmp_path, capsys, suffix, text):
    path = tmp_path / f"spec{suffix}"
    path.write_text(text)
    for argv in (["spec", str(path)], ["diagnose", "--cell", "lstm", "--spec", str(path)]):
        assert main(argv) == 2
        assert "nests too deeply" in one_error_line(capsys)
    with pytest.raises(SpecError, match="nests too deeply"):
        Spec.load(path)


def test_an_experiment_file_nested_too_deeply_or_containing_itself_is_exit_2(tmp_path, capsys):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\ntask: " + "[" * 5000 + "]" * 5000 + "\n")
    assert main(["run", str(deep), "--out", str(tmp_path / "out")]) == 2
    assert "nests too deeply" in one_error_line(capsys)
    loop = tmp_path / "loop.yaml"
    loop.write_text("name: x\ntask: &t [1, *t]\nmodels: []\n")
    assert main(["run", str(loop), "--out", str(tmp_path / "out")]) == 2
    assert "contains itself" in one_error_line(capsys)
    assert not (tmp_path / "out").exists()


ANCHORS = ", ".join(
    ["&a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"&{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]
)
BOMB = f"name: bomb\ndescription: [{ANCHORS}]\ntask: *i\nmodels: *i\n"


def test_an_alias_bomb_is_echoed_bounded(tmp_path, capsys):
    assert len(BOMB) < 600  # 9**9 'lol's once expanded
    config = tmp_path / "bomb.yaml"
    config.write_text(BOMB)
    started = time.monotonic()
    assert main(["run", str(config), "--out", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys)
    assert len(line) < 2100 and "description must be text, got [['lol', 'lol'" in line
    spec = tmp_path / "bomb-spec.yaml"
    spec.write_text(f"preset: [{ANCHORS}]\nih: *i\n")
    assert main(["spec", str(spec)]) == 2
    assert len(one_error_line(capsys)) < 2100
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------- numbers in YAML


def test_lr_1e_minus_3_in_yaml_is_a_number(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(TINY).replace("lr: 0.01", "lr: 1e-3"))
    assert "lr: 1e-3" in path.read_text()  # YAML 1.1 (PyYAML's safe_load) reads this as a string
    assert load_experiment(path).runs[0].train.lr == 0.001
    quoted = parse_sweep({**TINY, "train": {**TINY["train"], "lr": "2.5e-4", "steps": "4", "clip": "1"}})
    assert quoted.runs[0].train.lr == 0.00025 and quoted.runs[0].train.steps == 4
    for bad in ("fast", "nan", "inf", "-1e-3", True):
        with pytest.raises(ConfigError, match="lr must be a positive number"):
            parse_sweep({**TINY, "train": {**TINY["train"], "lr": bad}})


def test_a_spec_file_reads_exponents_as_numbers(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("ih: {name: normal, std: 1e-2}\nbias: 5e-1\n")
    assert Spec.load(path) == Spec.parse("ih=normal(std=0.01) bias=0.5")


# ---------------------------------------------------------------- outputs checked before the work


def test_diagnose_checks_the_plot_path_before_computing(tmp_path, capsys, monkeypatch):
    import importlib

    diagnose = importlib.import_module("rnninit.dynamics.diagnose")

    def never(*args, **kwargs):
        raise AssertionError("computed before the output was checked")

    monkeypatch.setattr(diagnose, "diagnose_spec", never)
    base = ["diagnose", "--cell", "lstm", "--spec", "orthogonal", "--plot"]
    for plot, message in (
        (tmp_path / "plot.txt", "unknown file type (extension '.txt')"),
        (tmp_path / "plot", "unknown file type (extension none)"),
        (tmp_path, "is a directory"),
        (tmp_path / "missing" / "plot.png", "does not exist"),
        (Path("/proc/rnninit-plot.png"), "is not writable"),
    ):
        assert main([*base, str(plot)]) == 2
        assert message in one_error_line(capsys)


@pytest.mark.parametrize("flag", ["--input-size", "--batch", "--hidden", "--T"])
def test_diagnose_zero_sizes_are_errors_not_defaults(flag, capsys):
    assert main(["diagnose", "--cell", "lstm", "--spec", "orthogonal", flag, "0"]) == 2
    assert f"{flag} must be a positive integer, got 0" in one_error_line(capsys)


def test_run_refuses_an_out_that_is_a_file_or_unwritable(tmp_path, capsys):
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump(TINY))
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    for out, message in (
        (a_file, "is a file, not a directory"),
        (a_file / "sub", "is a file, not a directory"),
        (Path("/proc/rnninit-out"), "is not writable"),
    ):
        assert main(["run", str(config), "--out", str(out)]) == 2
        line = one_error_line(capsys)
        assert message in line and "--out '" in line  # the library's argument, named as the CLI's flag
    assert a_file.read_text() == "keep me"


def test_run_refuses_a_non_empty_directory_that_is_not_a_run_directory(tmp_path, capsys):
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump(TINY))
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("precious")
    (foreign / "report.html").write_text("<p>mine</p>")
    before = {p.name: p.read_bytes() for p in foreign.iterdir()}
    assert main(["run", str(config), "--out", str(foreign)]) == 2
    assert "not an rnninit run directory (it holds 'chapter1.tex')" in one_error_line(capsys)
    assert {p.name: p.read_bytes() for p in foreign.iterdir()} == before
    with pytest.raises(StoreError, match="^root '.*' is a non-empty directory"):  # Python: the argument
        ResultStore(foreign)


def test_an_earlier_run_directory_is_reused(tmp_path):
    old = tmp_path / "old"  # made before the marker file existed: runs/ and outputs only
    (old / "runs").mkdir(parents=True)
    (old / "summary.json").write_text("{}")
    ResultStore(old)
    assert (old / ".rnninit-run").exists()


# ---------------------------------------------------------------- the store


class Counting(Executor):
    """Records what it was asked to run, and 'trains' instantly."""

    def __init__(self):
        self.asked: list[dict] = []

    def map(self, runs):
        self.asked += runs
        for index, _ in enumerate(runs):
            yield index, dict(DONE)


@pytest.mark.parametrize(
    "content",
    ["[]", '"text"', "{}", '{"result": 5}', "WRONG", "{'run': 1}"],
)
def test_a_run_file_of_the_wrong_shape_is_redone(tmp_path, content):
    sweep = parse_sweep(TINY)
    store = ResultStore(tmp_path)
    run = sweep.runs[0]
    store.path(run).write_text(
        content.replace(
            "WRONG", json.dumps({"run": run.to_dict(), "result": {"status": "completed", "curve": "x"}})
        )
    )
    executor = Counting()
    outcome = run_experiment(sweep, tmp_path, executor)
    assert len(executor.asked) == 1 and outcome.reused == 0
    assert store.get(run)["result"]["final_metric"] == 0.25


def test_files_are_written_through_per_process_temporary_names(tmp_path, monkeypatch):
    import os

    seen = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (seen.append(Path(src).name), real(src, dst)))
    write_atomic(tmp_path / "summary.json", "{}")
    (name,) = seen
    assert name.startswith(".summary.json.") and f".{os.getpid()}." in name and name.endswith(".tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


GATED = """
import json, pathlib, sys, time
from rnninit.experiments.config import parse_sweep
from rnninit.experiments.executor import Executor
from rnninit.experiments.runner import run_experiment

out, started, gate, sweep, done = sys.argv[1:]

class Gated(Executor):
    def map(self, runs):
        pathlib.Path(started).write_text(str(len(runs)))
        while not pathlib.Path(gate).exists():
            time.sleep(0.05)
        for index, _ in enumerate(runs):
            yield index, json.loads(done)

run_experiment(parse_sweep(json.loads(sweep)), out, Gated())
"""


def test_a_second_run_on_the_same_out_waits_and_trains_nothing_twice(tmp_path):
    sweep_data = {**TINY, "seeds": [0, 1, 2]}
    out, started, gate = tmp_path / "out", tmp_path / "started", tmp_path / "gate"
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            GATED,
            str(out),
            str(started),
            str(gate),
            json.dumps(sweep_data),
            json.dumps(DONE),
        ],
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists():  # the first run holds the directory and is "training"
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert started.read_text() == "3"
        waits: list[str] = []
        second = Counting()
        outcome = {}
        thread = threading.Thread(
            target=lambda: outcome.update(
                o=run_experiment(parse_sweep(sweep_data), out, second, on_wait=waits.append)
            )
        )
        thread.start()
        while not waits:
            assert thread.is_alive() and time.monotonic() < deadline
            time.sleep(0.05)
        assert f"pid {first.pid}" in waits[0]
        gate.write_text("go")
        thread.join(120)
        assert first.wait(120) == 0
    finally:
        first.kill()
    assert second.asked == [] and outcome["o"].reused == 3  # everything came from the first run


# ---------------------------------------------------------------- text is text


@pytest.mark.parametrize("label", ["a[/]", "[red]warn[/red]", r"cost $\notacommand{$", "[bold"])
def test_labels_and_names_are_printed_and_plotted_as_text(tmp_path, capfd, label):
    data = {**TINY, "name": label + " sweep", "models": [{**TINY["models"][0], "label": label}]}
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump(data))
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    err = capfd.readouterr().err
    assert label in err and "Traceback" not in err
    assert "report.html" in "".join(err.split()) and (tmp_path / "out" / "report.html").exists()


# ---------------------------------------------------------------- library errors name arguments


@pytest.mark.parametrize(
    ("argv", "flagged"),
    [
        (["--workers", "0"], "rnninit run: error: --workers must be an integer >= 1, got 0"),
        (["--workers", "-3"], "rnninit run: error: --workers must be an integer >= 1, got -3"),
    ],
)
def test_the_cli_names_its_flag_where_the_library_names_its_argument(tmp_path, capsys, argv, flagged):
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["run", str(config), "--out", str(tmp_path / "out"), *argv]) == 2
    assert one_error_line(capsys) == flagged


def test_flag_names_writes_a_value_a_switch_and_an_argument_the_command_does_not_have():
    import argparse

    from rnninit.cli import flag_names
    from rnninit.errors import Arg, RnninitError

    parser = argparse.ArgumentParser()
    parser.add_argument("--clock")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--trust-file", action="store_true")
    error = RnninitError(
        *(Arg("clock", "cpu"), " needs ", Arg("threads", 1), "; or pass ", Arg("trust_file", True)),
        *(" or ", Arg("max_retries"), " with ", Arg("address", "my head")),
    )
    assert error.render(flag_names(parser)) == (
        "--clock cpu needs --threads 1; or pass --trust-file or max_retries with address='my head'"
    )
    assert str(error) == (
        "clock='cpu' needs threads=1; or pass trust_file=True or max_retries with address='my head'"
    )
