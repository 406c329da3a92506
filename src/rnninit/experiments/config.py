"""Experiment files: YAML, validated completely before any run starts.

::

    name: adding-demo
    task: {name: adding, length: 100}
    train: {steps: 3000, batch_size: 32, optimizer: rmsprop, lr: 0.001, clip: 1.0}
    seeds: [0, 1]
    models:
      - cell: lstm
        hidden: 64
        spec: "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
        label: lstm-forget1
      - {cell: elman, hidden: 64, spec: irnn, label: irnn, nonlinearity: relu, train: {lr: 0.0001}}

Runs are models x seeds. A model may override any ``train`` field, and may give ``tune:`` (a spec
family with ``?``) instead of ``spec:``: the family is tuned for the model's cell and the task before
any run starts (`rnninit.experiments.tuning`). ``intended`` (optional, a spec)
is what the model was meant to get: the report audits the initialized model against it, so a spec
applied wrongly shows up as audit findings (it does not change training). A file may also hold several
experiments (each with its own task) under ``experiments:``, with ``train``/``seeds`` defaults at the
top (see `parse_sweep`); they run as one sweep into one store and one report. Every spec is checked
against its cell by building the model and planning the initialization (``rnninit.torch.apply``), so an
invalid cell/spec pair is a `ConfigError` naming the model, not a failure halfway through.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rnninit.arguments import check_integer, is_number
from rnninit.datafile import load_data_file
from rnninit.errors import ConfigError, RnninitError, did_you_mean, one_of, shown
from rnninit.experiments.models import CELLS, build_model, check_options
from rnninit.experiments.tasks import make_task
from rnninit.experiments.trainer import OPTIMIZERS, TrainConfig
from rnninit.spec import Spec

TOP_KEYS = ("name", "description", "task", "train", "seeds", "models")
MODEL_KEYS = ("cell", "hidden", "spec", "tune", "label", "train", "intended")
#: Bump when a change to the trainer or tasks makes stored results stale.
RUN_FORMAT = 1


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run; its `key` names it in the results store."""

    label: str
    cell: str
    hidden: int
    spec: str  # canonical spec string
    options: tuple[tuple[str, Any], ...]
    task: tuple[tuple[str, Any], ...]
    train: TrainConfig
    seed: int
    #: The spec family ``spec`` was tuned from (``tune:`` in the file), if any.
    family: str | None = None

    def to_dict(self) -> dict:
        data = {
            "format": RUN_FORMAT,
            "label": self.label,
            "cell": self.cell,
            "hidden": self.hidden,
            "spec": self.spec,
            "options": dict(self.options),
            "task": dict(self.task),
            "train": self.train.to_dict(),
            "seed": self.seed,
        }
        if self.family is not None:  # only then, so the keys of runs without a family do not change
            data["family"] = self.family
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        return cls(
            label=data["label"],
            cell=data["cell"],
            hidden=data["hidden"],
            spec=data["spec"],
            options=tuple(sorted(data["options"].items())),
            task=tuple(sorted(data["task"].items())),
            train=TrainConfig(**data["train"]),
            seed=data["seed"],
            family=data.get("family"),
        )

    @property
    def key(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    task: dict
    models: tuple[dict, ...]
    seeds: tuple[int, ...]
    runs: tuple[RunSpec, ...]


def _check_keys(where: str, data: Mapping, valid: tuple[str, ...]) -> None:
    for key in data:
        if key not in valid:
            raise ConfigError(
                f"{where}: unknown key {shown(key)}{did_you_mean(str(key), valid)}; "
                f"valid keys: {one_of(valid)}"
            )


#: A number written as text: YAML 1.1 reads ``1e-3`` as a string, and so may a JSON file say "0.001".
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _number(value: Any) -> Any:
    """``value``, or the number a numeric string spells (``"1e-3"`` -> 0.001, ``"64"`` -> 64)."""
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        text = value.strip()
        return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else float(text)
    return value


def _text(where: str, description: Any) -> None:
    if not (isinstance(description, str) or is_number(description)):
        raise ConfigError(f"{where}: description must be text, got {shown(description)}")


def _int(where: str, value: Any, minimum: int) -> int:
    return check_integer(_number(value), where, error=ConfigError, minimum=minimum)


def _positive_number(value: Any) -> bool:
    return is_number(value) and math.isfinite(value) and float(value) > 0


def _train_config(where: str, data: Any, base: TrainConfig | None = None) -> TrainConfig:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping of training settings, got {shown(data)}")
    names = tuple(f.name for f in fields(TrainConfig))
    _check_keys(where, data, names)
    merged = {**(base or TrainConfig()).to_dict(), **data}
    for key in ("steps", "batch_size", "eval_every", "eval_size"):
        merged[key] = _int(f"{where}.{key}", merged[key], 1)
    for key in ("lr", "explode"):
        value = _number(merged[key])
        if not _positive_number(value):
            raise ConfigError(f"{where}.{key} must be a positive number, got {shown(merged[key])}")
        merged[key] = float(value)
    clip = _number(merged["clip"])
    if clip is not None and not _positive_number(clip):
        raise ConfigError(
            f"{where}.clip must be a positive number or null (no clipping), got {shown(merged['clip'])}"
        )
    merged["clip"] = None if clip is None else float(clip)
    if not isinstance(merged["optimizer"], str) or merged["optimizer"] not in OPTIMIZERS:
        raise ConfigError(
            f"{where}.optimizer: unknown optimizer {shown(merged['optimizer'])}; valid: {one_of(OPTIMIZERS)}"
        )
    return TrainConfig(**merged)


def _model(index: int, data: Any, task, train: TrainConfig, labels: set[str]) -> tuple[dict, TrainConfig]:
    where = f"models[{index}]"
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping with cell, hidden, spec and label, got {shown(data)}")
    cell = data.get("cell")
    if not isinstance(cell, str) or cell not in CELLS:
        raise ConfigError(
            f"{where}: unknown cell {shown(cell)}{did_you_mean(str(cell), CELLS)}; "
            f"valid cells: {one_of(CELLS)}"
        )
    entry = CELLS[cell]
    _check_keys(where, data, MODEL_KEYS + tuple(entry.options))
    for key in ("cell", "hidden"):
        if key not in data:
            raise ConfigError(f"{where} ({cell}): missing {key!r}")
    if ("spec" in data) == ("tune" in data):
        raise ConfigError(
            f"{where} ({cell}): give either 'spec' (a spec) or 'tune' (a spec family with '?' for "
            "rnninit to fill in before training), " + ("not both" if "spec" in data else "found neither")
        )
    label = data.get("label") or f"{cell}-{data['spec'] if 'spec' in data else 'tuned'}"
    if not isinstance(label, str):
        raise ConfigError(f"{where}.label must be a string, got {shown(label)}")
    where = f"model '{label}' ({where})"
    if label in labels:
        raise ConfigError(f"{where}: label {shown(label)} is used twice; labels must be unique")
    labels.add(label)
    hidden = _int(f"{where}.hidden", data["hidden"], 1)
    options = {k: data[k] for k in entry.options if k in data}
    try:
        check_options(cell, options)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    tuned = None
    if "tune" in data:
        tuned = _tune(where, cell, hidden, options, task, data["tune"])
        data = {**data, "spec": tuned["spec"]}
    try:
        spec = Spec.coerce(data["spec"])
        spec.resolve(entry.kind)
        build_model(
            cell,
            hidden,
            spec,
            input_size=task.input_size,
            output_size=task.output_size,
            readout=task.readout,
            seed=0,
            options=options,
        )
    except (RnninitError, ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: spec {shown(data['spec'])} does not fit a {cell} cell: {exc}") from None
    intended = None
    if "intended" in data:
        try:
            intended = Spec.coerce(data["intended"])
            intended.resolve(entry.kind)
        except (RnninitError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"{where}: intended spec {shown(data['intended'])} does not fit a {cell} cell: {exc}"
            ) from None
    model_train = _train_config(f"{where}.train", data.get("train"), train)
    found = {"label": label, "cell": cell, "hidden": hidden, "spec": str(spec), "options": options}
    if tuned is not None:
        found["family"] = tuned["family"]
        found["tuned"] = tuned
    if intended is not None:
        found["intended"] = str(intended)
    return found, model_train


def _tune(where: str, cell: str, hidden: int, options: dict, task, value: Any) -> dict:
    """Tune the model's family (`rnninit.experiments.tuning`); errors name the model."""
    from rnninit.experiments.tuning import tune_model, tune_settings, tuned_summary

    settings = tune_settings(where, value)
    try:
        result = tune_model(cell, hidden, options, task, settings)
    except (RnninitError, ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: cannot tune {settings['family']!r} on a {cell} cell: {exc}") from None
    return {**tuned_summary(result, settings), "spec": str(result.spec)}


def parse_experiment(
    data: Any,
    defaults: Mapping[str, Any] | None = None,
    where: str = "experiment",
    labels: set[str] | None = None,
) -> Experiment:
    """Validate one experiment given as a dict (e.g. loaded from YAML) and expand it into runs.

    ``defaults`` (from a sweep file) supplies ``train`` (merged under the experiment's) and ``seeds``.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{where} must be a mapping with keys {one_of(TOP_KEYS)}, got {type(data).__name__}"
        )
    _check_keys(where, data, TOP_KEYS)
    for key in ("name", "task", "models"):
        if key not in data:
            raise ConfigError(f"{where}: missing {key!r}")
    if not isinstance(data["name"], str) or not data["name"]:
        raise ConfigError(f"{where}: name must be a non-empty string, got {shown(data['name'])}")
    _text(where, data.get("description", ""))
    where = f"experiment '{data['name']}'" if where != "experiment" else where
    defaults = defaults or {}
    task = make_task(data["task"])
    train = _train_config(f"{where}: train", defaults.get("train"))
    train = _train_config(f"{where}: train", data.get("train"), train)
    seeds = data.get("seeds", defaults.get("seeds", [0]))
    if not isinstance(seeds, list) or not seeds:
        raise ConfigError(f"{where}: seeds must be a non-empty list of integers, got {shown(seeds)}")
    seeds = [_int(f"{where}: seeds[]", s, 0) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"{where}: seeds must be distinct, got {shown(seeds)}")
    if not isinstance(data["models"], list) or not data["models"]:
        raise ConfigError(f"{where}: models must be a non-empty list")
    labels = set() if labels is None else labels
    models, runs = [], []
    task_items = tuple(sorted(dict(data["task"]).items()))
    for index, entry in enumerate(data["models"]):
        model, model_train = _model(index, entry, task, train, labels)
        models.append({**model, "train": model_train.to_dict()})
        for seed in seeds:
            runs.append(
                RunSpec(
                    model["label"],
                    model["cell"],
                    model["hidden"],
                    model["spec"],
                    tuple(sorted(model["options"].items())),
                    task_items,
                    model_train,
                    seed,
                    model.get("family"),
                )
            )
    return Experiment(
        data["name"],
        str(data.get("description", "")),
        dict(data["task"]),
        tuple(models),
        tuple(seeds),
        tuple(runs),
    )


SWEEP_KEYS = ("name", "description", "train", "seeds", "experiments")


@dataclass(frozen=True)
class Sweep:
    """One or more experiments run together (one store, one report, one summary). Labels are unique
    across the whole sweep, so the summary can key models by label."""

    name: str
    description: str
    experiments: tuple[Experiment, ...]

    @property
    def runs(self) -> tuple[RunSpec, ...]:
        return tuple(run for exp in self.experiments for run in exp.runs)


def parse_sweep(data: Any) -> Sweep:
    """A file holds either one experiment (``task`` and ``models`` at the top) or several under
    ``experiments:``, each with its own task; top-level ``train`` and ``seeds`` are their defaults."""
    if isinstance(data, Mapping) and "experiments" in data:
        _check_keys("sweep", data, SWEEP_KEYS)
        if not isinstance(data.get("name"), str) or not data["name"]:
            raise ConfigError(f"sweep: name must be a non-empty string, got {shown(data.get('name'))}")
        _text("sweep", data.get("description", ""))
        items = data["experiments"]
        if not isinstance(items, list) or not items:
            raise ConfigError("sweep: experiments must be a non-empty list of experiments")
        defaults = {k: data[k] for k in ("train", "seeds") if k in data}
        labels: set[str] = set()
        experiments = tuple(
            parse_experiment(item, defaults, where=f"experiments[{i}]", labels=labels)
            for i, item in enumerate(items)
        )
        names = [e.name for e in experiments]
        if len(set(names)) != len(names):
            raise ConfigError(f"sweep: experiment names must be distinct, got {names}")
        return Sweep(data["name"], str(data.get("description", "")), experiments)
    experiment = parse_experiment(data)
    return Sweep(experiment.name, experiment.description, (experiment,))


DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")


def load_experiment(path: str | Path | None = None) -> Sweep:
    """Load and validate an experiment file (see `parse_sweep`); ``None`` loads the embedded default.

    The file is read safely and with bounded nesting (`rnninit.datafile.load_data_file`)."""
    path = Path(path) if path is not None else DEFAULT_CONFIG
    data = load_data_file(path, what="experiment file", error=ConfigError)
    try:
        return parse_sweep(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
