"""Every spec round-trips exactly: string, dict, JSON, YAML and JSON files (Hypothesis-generated)."""

from __future__ import annotations

import json

import yaml
from core_strategies import inits, specs
from hypothesis import given, settings

from rnninit.inits import Init, init_from_config
from rnninit.spec import Spec
from rnninit.spec.parse import parse_init

ROUND_TRIP = settings(max_examples=100, deadline=None, derandomize=True)


@ROUND_TRIP
@given(specs())
def test_string_round_trip(spec):
    assert Spec.parse(str(spec)) == spec
    assert str(Spec.parse(str(spec))) == str(spec)  # the canonical string is a fixed point


@ROUND_TRIP
@given(specs())
def test_dict_and_json_round_trip(spec):
    assert Spec.from_dict(spec.to_dict()) == spec
    assert Spec.from_dict(json.loads(spec.to_json())) == spec
    assert Spec.coerce(spec.to_dict()) == spec


@settings(max_examples=30, deadline=None, derandomize=True)
@given(specs())
def test_yaml_and_json_files_round_trip(tmp_path_factory, spec):
    folder = tmp_path_factory.mktemp("specs")
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec.to_dict()))
    (folder / "spec.json").write_text(spec.to_json())
    (folder / "line.yaml").write_text(yaml.safe_dump({"spec": str(spec)}))
    assert Spec.load(folder / "spec.yaml") == spec
    assert Spec.load(folder / "spec.json") == spec
    assert Spec.load(folder / "line.yaml") == spec


@ROUND_TRIP
@given(inits())
def test_init_config_and_string_round_trip(init):
    assert init_from_config(init.to_config()) == init
    assert type(init).from_config(init.to_config()) == init
    assert Init.from_config(json.loads(json.dumps(init.to_config()))) == init
    assert parse_init(str(init)) == init


def test_equal_specs_written_differently_have_one_canonical_string():
    a = Spec.parse("bias[f]=1 ; hh = orthogonal(gain=1) ih=normal(0, 0.5)")
    b = Spec.parse("ih=normal(std=0.5) hh=orthogonal bias[f]=constant(value=1.0)")
    assert a == b and hash(a) == hash(b)
    assert str(a) == str(b) == "ih=normal(std=0.5) hh=orthogonal bias[f]=constant(1.0)"


def test_multi_gate_entries_expand_to_one_key_per_gate():
    spec = Spec.parse("bias[i,f]=0.5")
    assert str(spec) == "bias[f]=constant(0.5) bias[i]=constant(0.5)"
    assert spec.to_dict() == {
        "bias[f]": {"name": "constant", "value": 0.5},
        "bias[i]": {"name": "constant", "value": 0.5},
    }


def test_nested_spectral_config():
    spec = Spec.parse("hh=spectral(radius=0.9, base=uniform(low=-1, high=1))")
    assert spec.to_dict() == {
        "hh": {"name": "spectral", "radius": 0.9, "base": {"name": "uniform", "low": -1.0, "high": 1.0}}
    }
    assert Spec.from_dict(spec.to_dict()) == spec


def test_a_preset_round_trips_with_its_arguments():
    spec = Spec.parse("chrono(t_max=100) hh=orthogonal")
    assert str(spec) == "chrono(t_max=100.0) hh=orthogonal"
    assert spec.to_dict() == {"preset": {"name": "chrono", "t_max": 100.0}, "hh": {"name": "orthogonal"}}
    assert Spec.from_dict({"preset": "chrono(t_max=100)", "hh": "orthogonal"}) == spec
