"""``rnninit run``: JSON summary, the crash-safe store under kill -9, and the HTML report."""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml
from helpers import last_json, src_env

from rnninit.cli import main

SMALL = {
    "name": "small",
    "task": {"name": "adding", "length": 10},
    "train": {
        "steps": 40,
        "batch_size": 8,
        "optimizer": "adam",
        "lr": 0.01,
        "eval_every": 20,
        "eval_size": 64,
    },
    "seeds": [0, 1],
    "models": [
        {"cell": "lstm", "hidden": 6, "spec": "forget_bias(1.0)", "label": "lstm-f1"},
        {"cell": "elman", "hidden": 6, "spec": "irnn", "label": "irnn", "nonlinearity": "relu"},
        {
            "cell": "elman",
            "hidden": 6,
            "spec": "irnn",
            "label": "exploding",
            "nonlinearity": "relu",
            "train": {"optimizer": "rmsprop", "lr": 1.0e6, "clip": None},
        },
    ],
}


def _write(tmp_path, data, name="exp.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_json_summary_is_the_last_line_and_counts_every_run(tmp_path, capsys):
    config = _write(tmp_path, SMALL)
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--workers", "1", "--json"]) == 0
    summary = last_json(capsys.readouterr().out)
    assert (summary["completed"], summary["diverged"], summary["failed"], summary["reused"]) == (4, 2, 0, 0)
    assert set(summary["models"]) == {"lstm-f1", "irnn", "exploding"}
    assert summary["models"]["exploding"] == {
        **summary["models"]["exploding"],
        "final_metric": None,
        "solved": 0,
        "of": 2,
    }
    assert isinstance(summary["models"]["lstm-f1"]["final_metric"], float)
    # a rerun repeats nothing and reports the same results
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--json"]) == 0
    again = last_json(capsys.readouterr().out)
    assert again["reused"] == 6 and again["models"] == summary["models"]


def test_report_is_one_self_contained_page_with_embedded_plots(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_write(tmp_path, SMALL)), "--out", str(out), "--workers", "1"]) == 0
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert images and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing external
    for label in ("lstm-f1", "irnn", "exploding"):
        assert label in page
    assert "solved" in page and "1/6" in page


def test_bad_config_exits_2_before_running_anything(tmp_path, capsys):
    data = {
        **SMALL,
        "models": [*SMALL["models"], {"cell": "gru", "hidden": 4, "spec": "irnn(std=-1)", "label": "bad"}],
    }
    out = tmp_path / "out"
    assert main(["run", str(_write(tmp_path, data)), "--out", str(out)]) == 2
    assert "model 'bad'" in capsys.readouterr().err
    assert not out.exists()


def _run(config, out, workers):
    env = src_env(OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rnninit.cli",
            "run",
            str(config),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


@pytest.mark.timeout(300)
def test_kill_9_mid_sweep_then_rerun_reuses_finished_runs_and_matches_uninterrupted(tmp_path):
    data = {**SMALL, "seeds": [0, 1, 2, 3], "train": {**SMALL["train"], "steps": 100}}
    config = _write(tmp_path, data)
    killed_out = tmp_path / "killed"
    proc = _run(config, killed_out, workers=2)
    runs = killed_out / "runs"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(runs.glob("*.json")) if runs.exists() else []) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes, at once
    proc.wait()
    finished = len(list(runs.glob("*.json")))
    assert 3 <= finished < 12, "kill came too late to test anything"

    resumed = _run(config, killed_out, workers=2)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    after = last_json(out)
    assert after["reused"] == finished  # every stored run is reused, the others are redone

    fresh = _run(config, tmp_path / "fresh", workers=1)
    out, err = fresh.communicate(timeout=240)
    assert fresh.returncode == 0, err
    reference = last_json(out)
    assert reference["reused"] == 0
    assert {k: v for k, v in after.items() if k != "reused"} == {
        k: v for k, v in reference.items() if k != "reused"
    }

    # per-run results identical, not just the means (wall time aside)
    def results(root):
        found = {}
        for path in (root / "runs").glob("*.json"):
            record = json.loads(path.read_text())
            record["result"].pop("wall_s")
            found[path.name] = record["result"]
        return found

    assert results(killed_out) == results(tmp_path / "fresh")
