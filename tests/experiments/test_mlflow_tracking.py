"""``rnninit run CONFIG --out DIR --mlflow [URI]`` against a local MLflow store: one MLflow run per
training run (parameters, the curve step by step, final metrics, status) under a parent run holding
the report and summary; nothing logged twice; a one-line install hint without MLflow."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from mlflow.tracking import MlflowClient

from rnninit.cli import main
from rnninit.experiments.tracking import default_uri

pytestmark = pytest.mark.xdist_group("mlflow")  # one worker: the tests share one store

SWEEP = {
    "name": "mlflow-small",
    "description": "two cells, two seeds",
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


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One sweep run with ``--mlflow`` (the default store under DIR)."""
    root = tmp_path_factory.mktemp("mlflow")
    config = root / "sweep.yaml"
    config.write_text(yaml.safe_dump(SWEEP))
    out = root / "out"
    assert main(["run", str(config), "--out", str(out), "--workers", "1", "--mlflow"]) == 0
    client = MlflowClient(tracking_uri=default_uri(out))
    experiment = client.get_experiment_by_name("mlflow-small")
    return root, config, out, client, experiment.experiment_id


def parents_of(client, experiment_id, out):
    """The parent runs of ``out`` (the tests share one store, so each filters by its own out)."""
    return client.search_runs(
        [experiment_id],
        filter_string=f"tags.`rnninit.kind` = 'sweep' and tags.`rnninit.out` = '{out.resolve()}'",
    )


def children_of(client, experiment_id, parent):
    return client.search_runs(
        [experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )


def test_the_default_store_is_a_database_under_out_with_artifacts_beside_it(logged):
    _, _, out, client, experiment_id = logged
    assert (out / "mlflow.db").is_file()
    assert client.get_experiment(experiment_id).artifact_location == (out / "mlartifacts").resolve().as_uri()


def test_each_training_run_is_an_mlflow_run_with_its_params_curve_final_metrics_and_status(logged):
    _, _, out, client, experiment_id = logged
    (parent,) = parents_of(client, experiment_id, out)
    children = children_of(client, experiment_id, parent)
    stored = {p.stem: json.loads(p.read_text()) for p in (out / "runs").glob("*.json")}
    assert len(children) == len(stored) == 4
    for child in children:
        record = stored[child.data.tags["rnninit.key"]]
        run, result = record["run"], record["result"]
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        params = child.data.params
        assert (params["cell"], params["hidden"], params["spec"], params["seed"]) == (
            run["cell"],
            str(run["hidden"]),
            run["spec"],
            str(run["seed"]),
        )
        assert {k: params[f"train.{k}"] for k in run["train"]} == {k: str(v) for k, v in run["train"].items()}
        assert params["task.length"] == "10"
        history = client.get_metric_history(child.info.run_id, "eval_mse")
        expected = [(row[0], row[1]) for row in result["curve"] if row[1] is not None]
        assert sorted((m.step, m.value) for m in history) == expected
        losses = client.get_metric_history(child.info.run_id, "train_loss")
        assert sorted((m.step, m.value) for m in losses) == [
            (r[0], r[2]) for r in result["curve"] if r[2] is not None
        ]
        assert child.data.tags["rnninit.status"] == result["status"]
        assert child.info.status == "FINISHED"
        if result["status"] == "completed":
            assert child.data.metrics["final_mse"] == result["final_metric"]
        else:
            assert "final_mse" not in child.data.metrics and child.data.metrics["diverged_at"] > 0
    assert sorted(c.data.tags["rnninit.status"] for c in children) == ["completed"] * 2 + ["diverged"] * 2


def test_the_parent_run_holds_the_report_the_summary_and_the_config(logged, tmp_path):
    _, config, out, client, experiment_id = logged
    (parent,) = parents_of(client, experiment_id, out)
    assert parent.info.status == "FINISHED" and parent.info.run_name == "mlflow-small"
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} == {
        "report.html",
        "summary.json",
        config.name,
    }
    local = client.download_artifacts(parent.info.run_id, "summary.json", str(tmp_path))
    summary = json.loads(open(local).read())
    assert summary == json.loads((out / "summary.json").read_text())
    assert parent.data.metrics["runs"] == 4 and parent.data.metrics["diverged"] == 2


def test_a_rerun_logs_nothing_twice(logged, capsys):
    _, config, out, client, experiment_id = logged
    assert main(["run", str(config), "--out", str(out), "--mlflow"]) == 0
    assert "0 run(s) logged now, 4 in all" in " ".join(capsys.readouterr().err.split())
    (parent,) = parents_of(client, experiment_id, out)
    assert len(children_of(client, experiment_id, parent)) == 4


def test_runs_reused_from_the_store_are_logged_once_under_their_own_parent(logged):
    root, config, _, client, experiment_id = logged
    out = root / "second"
    assert main(["run", str(config), "--out", str(out), "--workers", "1"]) == 0  # no MLflow yet
    uri = default_uri(root / "out")  # the same database, named explicitly
    for _ in range(2):  # every run comes from the store: logged the first time only
        assert main(["run", str(config), "--out", str(out), "--mlflow", uri]) == 0
    (second,) = parents_of(client, experiment_id, out)
    assert len(children_of(client, experiment_id, second)) == 4
    assert second.data.metrics["reused"] == 4


def test_without_mlflow_a_one_line_install_hint_and_exit_2_before_any_run(tmp_path, capsys, monkeypatch):
    config = tmp_path / "sweep.yaml"
    config.write_text(yaml.safe_dump(SWEEP))
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` raises ImportError
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--mlflow"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "rnninit run: error: logging to MLflow needs MLflow: pip install 'rnninit[mlflow]'"
    assert not list((tmp_path / "out").glob("runs/*.json"))


def test_a_store_mlflow_refuses_is_a_clear_error(tmp_path, capsys, monkeypatch):
    config = tmp_path / "sweep.yaml"
    config.write_text(yaml.safe_dump(SWEEP))
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    uri = (tmp_path / "mlruns").as_uri()  # MLflow 3 refuses its file store without an opt-out
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--mlflow", uri]) == 2
    err = capsys.readouterr().err
    assert f"MLflow at {uri} could not open the tracking store" in err and "rerun" in err


def test_mlflow_right_before_no_config_is_told_to_move(tmp_path, capsys):
    assert main(["run", "--mlflow", "sweep.yaml", "--out", str(tmp_path)]) == 2
    assert "put CONFIG before --mlflow" in capsys.readouterr().err


def test_a_failed_run_is_logged_once_per_attempt_and_a_final_one_once_for_good(logged):
    from rnninit.experiments.config import load_experiment
    from rnninit.experiments.tracking import MlflowLogger

    root, config, out, client, experiment_id = logged
    stored = json.loads(next((out / "runs").glob("*.json")).read_text())
    uri, attempts_out = default_uri(out), root / "attempts"  # the shared database, a parent of its own
    failed = {
        **stored,
        "key": "f" * 20,
        "result": {"status": "failed", "reason": "out of memory", "curve": []},
    }
    sweep = load_experiment(config)
    for attempt in range(2):  # two invocations: the store keeps no failed run, so each retries it
        tracker = MlflowLogger(uri, attempts_out, sweep, config=config)
        assert tracker.log(failed) and not tracker.log(failed)  # once per invocation
        assert tracker.log(stored) == (attempt == 0)  # a final run: once for good
        tracker.close("FINISHED")
    attempts = client.search_runs(
        [experiment_id], filter_string="tags.`rnninit.key` = 'ffffffffffffffffffff'"
    )
    assert [r.info.status for r in attempts] == ["FAILED", "FAILED"]
    assert {r.data.tags["reason"] for r in attempts} == {"out of memory"}
