"""Experiment files are validated completely before any run starts; errors name the bad entry."""

import pytest
from helpers import ROOT

from rnninit.errors import RnninitError
from rnninit.experiments.config import DEFAULT_CONFIG, load_experiment, parse_experiment
from rnninit.experiments.errors import ConfigError
from rnninit.spec import Spec

BASE = {
    "name": "t",
    "task": {"name": "adding", "length": 20},
    "train": {"steps": 10, "batch_size": 4, "optimizer": "rmsprop", "lr": 0.001, "clip": 1.0},
    "seeds": [0, 1],
    "models": [
        {
            "cell": "lstm",
            "hidden": 8,
            "spec": "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=constant(1.0)",
            "label": "lstm-forget1",
        },
        {"cell": "elman", "hidden": 8, "spec": "pytorch_default", "label": "tanh-default"},
    ],
}


def _with(**changes):
    data = {**BASE, **changes}
    return data


def test_runs_are_models_times_seeds_with_distinct_keys():
    exp = parse_experiment(BASE)
    assert [(r.label, r.seed) for r in exp.runs] == [
        ("lstm-forget1", 0),
        ("lstm-forget1", 1),
        ("tanh-default", 0),
        ("tanh-default", 1),
    ]
    assert len({r.key for r in exp.runs}) == 4
    # stored in the spec's canonical form, so equal specs written differently share their runs
    assert exp.runs[0].spec == str(Spec.parse(BASE["models"][0]["spec"]))
    assert Spec.parse(exp.runs[0].spec) == Spec.parse(BASE["models"][0]["spec"])
    # the key depends on the config only
    assert parse_experiment(BASE).runs[0].key == exp.runs[0].key


def test_model_train_override_changes_only_that_model():
    models = [dict(BASE["models"][0], train={"lr": 0.01}), BASE["models"][1]]
    exp = parse_experiment(_with(models=models))
    assert exp.runs[0].train.lr == 0.01 and exp.runs[0].train.steps == 10
    assert exp.runs[2].train.lr == 0.001


def test_invalid_cell_spec_pair_is_a_config_error_naming_the_model():
    models = [
        BASE["models"][0],
        {"cell": "elman", "hidden": 8, "spec": "chrono(t_max=50)", "label": "elman-chrono"},
    ]
    with pytest.raises(ConfigError, match=r"model 'elman-chrono'.*chrono.*elman") as info:
        parse_experiment(_with(models=models))
    assert isinstance(info.value, RnninitError)


def test_spec_that_fails_only_when_planned_on_the_module_is_caught_too():
    # identity needs square blocks: LSTM ih is (8, 2) on the adding task
    models = [{"cell": "lstm", "hidden": 8, "spec": "ih=identity", "label": "bad-identity"}]
    with pytest.raises(ConfigError, match="model 'bad-identity'.*identity"):
        parse_experiment(_with(models=models))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"models": [{"cell": "lstmm", "hidden": 8, "spec": "pytorch_default"}]},
            "unknown cell 'lstmm'.*did you mean 'lstm'",
        ),
        ({"models": [dict(BASE["models"][0], hiden=3)]}, "unknown key 'hiden'.*did you mean 'hidden'"),
        ({"models": [dict(BASE["models"][0], hidden=0)]}, "hidden must be an integer >= 1"),
        ({"models": [BASE["models"][0], BASE["models"][0]]}, "label 'lstm-forget1' is used twice"),
        ({"models": [dict(BASE["models"][0], spec="ih=normall")]}, "model 'lstm-forget1'.*normall"),
        ({"train": {"optimizer": "sgd"}}, "unknown optimizer 'sgd'"),
        ({"train": {"lr": -1}}, r"train.lr must be a positive number"),
        ({"train": {"stepz": 3}}, "unknown key 'stepz'.*did you mean 'steps'"),
        ({"seeds": [0, 0]}, "seeds must be distinct"),
        ({"seeds": "0"}, "seeds must be a non-empty list"),
        ({"task": {"name": "copy", "length": 0}}, "length must be an integer"),
        ({"tsak": 1}, "unknown key 'tsak'.*did you mean 'task'"),
        (
            {"models": [dict(BASE["models"][1], nonlinearity="sigmoid")]},
            "nonlinearity must be 'tanh' or 'relu'",
        ),
        ({"models": [dict(BASE["models"][0], nonlinearity="relu")]}, "unknown key 'nonlinearity'"),
    ],
)
def test_bad_entries_are_config_errors_that_say_what_is_wrong(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment(_with(**change))


def test_load_reports_the_file_and_yaml_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml' is not valid yaml: while parsing"):
        load_experiment(bad)
    with pytest.raises(ConfigError, match="cannot read experiment file"):
        load_experiment(tmp_path / "missing.yaml")


def test_embedded_default_is_valid():
    exp = load_experiment(None)
    assert DEFAULT_CONFIG.exists()
    assert len(exp.runs) >= 2 * sum(len(e.models) for e in exp.experiments)
    assert {e.task["name"] for e in exp.experiments} == {"adding"}


DOCUMENTED_CONFIGS = sorted((ROOT / "docs" / "experiments").glob("*.yaml"))


@pytest.mark.parametrize(
    "path",
    # A file with a `tune:` model tunes it while parsing (seconds to a minute per file): slow.
    [
        pytest.param(p, marks=[pytest.mark.slow] if "tune:" in p.read_text() else [])
        for p in DOCUMENTED_CONFIGS
    ],
    ids=lambda p: p.name,
)
def test_every_run_config_of_docs_experiments_is_valid(path):
    sweep = load_experiment(path)
    assert sweep.runs and all(run.spec for run in sweep.runs)


def test_the_run_configs_of_docs_experiments_are_found():
    assert {"adding.yaml", "tune-elman-ih1.yaml"} <= {p.name for p in DOCUMENTED_CONFIGS}


def _sweep(**changes):
    second = {
        "name": "copy-part",
        "task": {"name": "copy", "length": 5},
        "seeds": [7],
        "models": [{"cell": "gru", "hidden": 4, "spec": "pytorch_default", "label": "gru"}],
    }
    return {
        "name": "both",
        "train": {"steps": 5, "lr": 0.01},
        "seeds": [0, 1],
        "experiments": [{k: v for k, v in BASE.items() if k not in ("train", "seeds")}, second],
        **changes,
    }


def test_sweep_file_holds_several_experiments_with_shared_defaults():
    from rnninit.experiments.config import parse_sweep

    sweep = parse_sweep(_sweep())
    first, second = sweep.experiments
    assert [r.seed for r in first.runs] == [0, 1, 0, 1] and [r.seed for r in second.runs] == [7]
    assert all(r.train.steps == 5 and r.train.lr == 0.01 for r in sweep.runs)
    assert len(sweep.runs) == 5 and second.task == {"name": "copy", "length": 5}


def test_sweep_labels_must_be_unique_across_experiments():
    from rnninit.experiments.config import parse_sweep

    data = _sweep()
    data["experiments"][1]["models"][0]["label"] = "tanh-default"
    with pytest.raises(ConfigError, match="label 'tanh-default' is used twice"):
        parse_sweep(data)
    with pytest.raises(ConfigError, match="unknown key 'experiment'.*did you mean 'experiments'"):
        parse_sweep({**_sweep(), "experiment": 1})


def test_intended_spec_is_validated_and_kept_apart_from_training():
    wrong = {
        "cell": "elman",
        "hidden": 8,
        "spec": "ih=normal hh=normal",
        "label": "wrong",
        "intended": "ih=normal hh=normal(std=0.3)",
    }
    exp = parse_experiment({**BASE, "models": [wrong]})
    assert exp.models[0]["intended"] == "ih=normal hh=normal(std=0.3)"
    plain = parse_experiment({**BASE, "models": [{k: v for k, v in wrong.items() if k != "intended"}]})
    assert [r.key for r in exp.runs] == [r.key for r in plain.runs]  # the same runs: nothing retrained
    with pytest.raises(ConfigError, match="model 'wrong'.*intended spec.*chrono"):
        parse_experiment({**BASE, "models": [{**wrong, "intended": "chrono(t_max=5)"}]})
