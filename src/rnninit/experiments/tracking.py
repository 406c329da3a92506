"""Log a sweep to MLflow (``rnninit run CONFIG --out DIR --mlflow [URI]``).

The sweep is one MLflow experiment, named after it. Each training run is one MLflow run (a child of
the sweep's parent run) holding its parameters (label, cell, hidden, spec, seed, every ``train``
field, the task's fields and the cell's options), its learning curve step by step (``eval_<metric>``
and ``train_loss`` at every evaluation; points where the metric was not finite are left out), its
final metrics (``final_<metric>``, ``solved``, ``steps_to_solve``, ``wall_s``) and its status (the
``rnninit.status`` tag: ``completed``, ``diverged`` or ``failed``; MLflow's run status is
``FINISHED`` for the first two and ``FAILED`` for a run that raised). The parent run holds the
sweep's counts as metrics and ``report.html``, ``summary.json`` and the config as artifacts.

The parent run stands for one ``--out`` directory (its results store): a rerun finds it again and
refreshes its artifacts. Each child run is tagged with its run's key (`RunSpec.key`), and a
run the parent already holds with a final status is never logged again: rerunning a sweep, or logging
one whose runs were all reused from the results store, adds only what MLflow does not hold yet. A run
whose logging was interrupted (no ``rnninit.logged`` tag) is deleted and logged again. A ``failed``
run is retried by the next invocation (the results store does not keep it), so each failed attempt
is logged once, as its own ``FAILED`` run.

The default tracking store is a SQLite database, ``DIR/mlflow.db``, with artifacts under
``DIR/mlartifacts``: MLflow 3 keeps its plain-file store only behind an opt-out flag
(``MLFLOW_ALLOW_FILE_STORE``), so a local database is the store it supports. Browse it with
``mlflow ui --backend-store-uri sqlite:///DIR/mlflow.db`` (the ``mlflow`` package).

MLflow is optional: ``pip install 'rnninit[mlflow]'``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rnninit.errors import TrackingError
from rnninit.experiments.config import DEFAULT_CONFIG, Sweep
from rnninit.experiments.runner import Outcome
from rnninit.experiments.store import FINAL
from rnninit.experiments.tasks import make_task

INSTALL_HINT = "logging to MLflow needs MLflow: pip install 'rnninit[mlflow]'"

#: MLflow's limits on one ``log_batch`` call.
MAX_METRICS, MAX_PARAMS, MAX_TAGS = 1000, 100, 100

KIND, KEY, STATUS, LOGGED, OUT = (
    "rnninit.kind",
    "rnninit.key",
    "rnninit.status",
    "rnninit.logged",
    "rnninit.out",
)


def default_uri(out: str | Path) -> str:
    """``sqlite:///<absolute DIR>/mlflow.db``: the tracking store ``--mlflow`` without a URI uses."""
    return f"sqlite:///{Path(out).resolve() / 'mlflow.db'}"


def _is_local(uri: str) -> bool:
    return urlparse(uri).scheme in ("", "file", "sqlite")


def _mlflow():
    try:
        import mlflow  # noqa: F401
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise TrackingError(INSTALL_HINT) from None
    return MlflowClient, Metric, Param, RunTag, MlflowException


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_params(run: dict) -> dict[str, str]:
    """One run's parameters for MLflow: flat string values, ``train.*``, ``task.*`` and the cell's options."""
    params = {
        "label": run["label"],
        "cell": run["cell"],
        "hidden": run["hidden"],
        "spec": run["spec"],
        "seed": run["seed"],
        "format": run["format"],
    }
    params.update({f"train.{k}": v for k, v in run["train"].items()})
    params.update({f"task.{k}": v for k, v in run["task"].items()})
    params.update({f"options.{k}": v for k, v in run["options"].items()})
    return {k: str(v) for k, v in params.items()}


def run_metrics(result: dict, metric: str) -> list[tuple[str, float, int]]:
    """``(name, value, step)`` for every point of the curve, then the final metrics (at the last step)."""
    points: list[tuple[str, float, int]] = []
    last = 0
    for row in result.get("curve") or []:
        step, value, train_loss = int(row[0]), row[1], row[2] if len(row) > 2 else None
        last = max(last, step)
        if value is not None:
            points.append((f"eval_{metric}", float(value), step))
        if train_loss is not None:
            points.append(("train_loss", float(train_loss), step))
    finals = {
        f"final_{metric}": result.get("final_metric"),
        "solved": float(bool(result.get("solved"))),
        "steps_to_solve": result.get("steps_to_solve"),
        "diverged_at": result.get("diverged_at"),
        "wall_s": result.get("wall_s"),
    }
    points += [(name, float(value), last) for name, value in finals.items() if value is not None]
    return points


class MlflowLogger:
    """Logs one sweep's runs to MLflow; see the module docstring for what goes where."""

    def __init__(self, uri: str | None, out: str | Path, sweep: Sweep, config: str | Path | None = None):
        self.Client, self.Metric, self.Param, self.RunTag, self.MlflowException = _mlflow()
        self.out = Path(out).resolve()
        self.uri = uri or default_uri(out)
        self.sweep = sweep
        self.config = Path(config) if config is not None else DEFAULT_CONFIG
        self.metrics = {
            model["label"]: make_task(experiment.task).metric_name
            for experiment in sweep.experiments
            for model in experiment.models
        }
        self.logged_now = 0
        self.seen: set[str] = set()  # keys logged by this invocation, whatever their status
        self.out.mkdir(parents=True, exist_ok=True)
        with self._errors("open the tracking store"), _quiet():
            self.client = self.Client(tracking_uri=self.uri)
            self.experiment_id = self._experiment()
            self.parent_id = self._parent()
            self.logged = self._logged_keys()

    # -- set-up -----------------------------------------------------------------------------
    def _experiment(self) -> str:
        found = self.client.get_experiment_by_name(self.sweep.name)
        if found is not None:
            if found.lifecycle_stage != "active":
                raise TrackingError(
                    f"the MLflow experiment {self.sweep.name!r} at {self.uri} is deleted; restore it "
                    "(mlflow experiments restore) or rename the sweep"
                )
            return found.experiment_id
        location = (self.out / "mlartifacts").as_uri() if _is_local(self.uri) else None
        return self.client.create_experiment(self.sweep.name, artifact_location=location)

    def _parent(self) -> str:
        runs = self.client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.`{KIND}` = 'sweep' and tags.`{OUT}` = '{_quote(str(self.out))}'",
            max_results=1,
        )
        if runs:
            run_id = runs[0].info.run_id
            self.client.update_run(run_id, status="RUNNING")
            return run_id
        run = self.client.create_run(
            self.experiment_id,
            run_name=self.sweep.name,
            tags={KIND: "sweep", OUT: str(self.out), "mlflow.note.content": self.sweep.description},
        )
        return run.info.run_id

    def _logged_keys(self) -> set[str]:
        """Keys of this parent's runs already logged with a final status; half-logged runs are deleted
        (and logged again)."""
        keys: set[str] = set()
        token = None
        while True:
            page = self.client.search_runs(
                [self.experiment_id],
                filter_string=f"tags.`{KIND}` = 'run' and tags.`mlflow.parentRunId` = '{self.parent_id}'",
                max_results=1000,
                page_token=token,
            )
            for run in page:
                tags = run.data.tags
                if tags.get(LOGGED) != "true":
                    self.client.delete_run(run.info.run_id)
                elif tags.get(STATUS) in FINAL:
                    keys.add(tags[KEY])
            token = page.token
            if not token:
                return keys

    # -- logging ----------------------------------------------------------------------------
    def log(self, record: dict) -> bool:
        """Log one run (a ``{"key", "run", "result"}`` record) unless MLflow holds it; True if logged."""
        key, run, result = record["key"], record["run"], record["result"]
        if key in self.logged or key in self.seen:
            return False
        with self._errors(f"log run {run['label']} seed {run['seed']}"), _quiet():
            status = result["status"]
            created = self.client.create_run(
                self.experiment_id,
                run_name=f"{run['label']} seed {run['seed']}",
                tags={"mlflow.parentRunId": self.parent_id, KIND: "run", KEY: key, STATUS: status},
            )
            run_id = created.info.run_id
            now = int(time.time() * 1000)
            params = [self.Param(k, v) for k, v in run_params(run).items()]
            for chunk in _chunks(params, MAX_PARAMS):
                self.client.log_batch(run_id, params=chunk)
            metrics = [
                self.Metric(name, value, now, step)
                for name, value, step in run_metrics(result, self.metrics.get(run["label"], "metric"))
            ]
            for chunk in _chunks(metrics, MAX_METRICS):
                self.client.log_batch(run_id, metrics=chunk)
            tags = {"reason": result.get("reason") or "", "label": run["label"], LOGGED: "true"}
            self.client.log_batch(run_id, tags=[self.RunTag(k, v) for k, v in tags.items()])
            self.client.set_terminated(run_id, "FAILED" if status == "failed" else "FINISHED")
        if status in FINAL:
            self.logged.add(key)
        self.seen.add(key)
        self.logged_now += 1
        return True

    def finish(self, outcome: Outcome, report: str | Path, summary: str | Path) -> None:
        """Log every stored run MLflow lacks (runs reused from the store), the parent's counts and its
        artifacts, and close the parent run."""
        for record in outcome.records:
            self.log(record)
        counts = outcome.summary()
        with self._errors("log the sweep's report and summary"), _quiet():
            now = int(time.time() * 1000)
            names = ("runs", "completed", "diverged", "failed", "reused")
            self.client.log_batch(
                self.parent_id, metrics=[self.Metric(n, float(counts[n]), now, 0) for n in names]
            )
            for path in (report, summary, self.config):
                self.client.log_artifact(self.parent_id, str(path))
            self.client.set_terminated(self.parent_id, "FINISHED")

    def close(self, status: str = "KILLED") -> None:
        """Mark the parent run ended early (an interrupted or failed sweep); errors are ignored."""
        try:
            with _quiet():
                self.client.set_terminated(self.parent_id, status)
        except Exception:  # noqa: BLE001 - best effort while another error propagates
            pass

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except self.MlflowException as exc:
            raise TrackingError(
                f"MLflow at {self.uri} could not {what}: {exc.message}. The runs are kept in "
                f"{self.out}; rerun the same command to log what is missing"
            ) from None


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


class _quiet:
    """Silence MLflow's and its database layer's INFO logging and deprecation warnings around a call."""

    NAMES = ("mlflow", "alembic", "sqlalchemy")

    def __enter__(self) -> None:
        self.levels = {name: logging.getLogger(name).level for name in self.NAMES}
        for name in self.NAMES:
            logging.getLogger(name).setLevel(logging.WARNING)
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)

    def __exit__(self, *exc: Any) -> None:
        self.warnings.__exit__(*exc)
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
