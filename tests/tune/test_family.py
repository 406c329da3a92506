"""Spec families: '?' free arguments parse, round-trip (str, dict, JSON, YAML), name themselves, and
fail like any spec, with positions; a family is refused wherever a spec is applied or audited."""

import json

import pytest
import torch
from helpers import assert_torch_unchanged, torch_state

import rnninit as ri
import rnninit.torch as rt
from rnninit.spec import DEFAULT_BOUNDS, Spec, SpecFamily

FAMILIES = [
    "ih=normal(std=1.0) hh=normal(std=?) bias=zeros",
    "ih=normal(std=?) hh=orthogonal(gain=?) bias=zeros",
    "bias[f]=?",
    "bias[i,f]=?[-3, 3] hh=orthogonal",
    "chrono(t_max=?) hh=orthogonal",
    "chrono(?[10, 1000])",
    "irnn(std=?[0.0001, 1])",
    "forget_bias(value=?)",
    "orthogonal(gain=?[0.5, 2])",
    "indrnn(t_max=?)",
    "hh=spectral(radius=?, base=normal(std=?[0.1, 1]))",
    "ih=uniform(low=?[-1, -0.1], high=?[0.1, 1])",
]


@pytest.mark.parametrize("text", FAMILIES)
def test_family_round_trips_through_str_dict_json_and_yaml(text, tmp_path):
    family = SpecFamily.parse(text)
    assert SpecFamily.parse(str(family)) == family
    assert SpecFamily.from_dict(family.to_dict()) == family
    assert SpecFamily.from_dict(json.loads(family.to_json())) == family
    path = tmp_path / "family.yaml"
    import yaml

    path.write_text(yaml.safe_dump(family.to_dict()))
    assert SpecFamily.load(path) == family
    path.write_text(yaml.safe_dump({"family": str(family)}))
    assert SpecFamily.load(path) == family


def test_free_arguments_are_named_by_key_and_argument_with_default_or_given_ranges():
    family = SpecFamily.parse(
        "chrono(t_max=?) ih=normal(0, ?[0.01, 2]) bias[f]=? hh=spectral(base=normal(std=?))"
    )
    by_name = {a.name: a for a in family.free_arguments}
    assert list(by_name) == ["chrono.t_max", "ih.std", "bias[f].value", "hh.base.std"]
    assert (by_name["ih.std"].low, by_name["ih.std"].high, by_name["ih.std"].bounded) == (0.01, 2.0, True)
    assert (by_name["chrono.t_max"].low, by_name["chrono.t_max"].high) == DEFAULT_BOUNDS["t_max"]
    assert by_name["chrono.t_max"].log and not by_name["bias[f].value"].log
    assert by_name["chrono.t_max"].position == 13 and by_name["ih.std"].position == 29


def test_fill_gives_the_spec_a_user_would_have_written():
    family = SpecFamily.parse("ih=normal(std=1.0) hh=normal(std=?) bias=zeros bias[f]=?")
    spec = family.fill({"hh.std": 0.125, "bias[f].value": 1.0})
    assert spec == Spec.parse("ih=normal(std=1.0) hh=normal(std=0.125) bias=zeros bias[f]=1.0")
    assert family.fill([0.125, 1.0]) == spec
    assert SpecFamily.parse("chrono(t_max=?)").fill([100]) == Spec.parse("chrono(t_max=100)")


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("hh=normal(std=?[2, 1])", "low < high", 14),
        ("hh=normal(std=?[a, 1])", "lower bound", 16),
        ("hh=normal(std=?[1 2])", "expected ','", 18),
        ("hh=torch_default(terms=?)", "takes an integer", 23),
        ("hh=normal(std=?, fused=?)", "takes true or false", 23),
        ("hh=spectral(base=?)", "takes an init", 17),
        ("chrono(t_max=?[1, 100])", "lower bound 1.0 is not a valid value", 13),
        ("hh=normal(std=?[-1, 1])", "lower bound -1.0", 14),
        ("hh=nrmal(std=?)", "did you mean 'normal'", 3),
        ("irnn(gain=?)", "has no argument 'gain'", 5),
        ("hh=normal(std=?", "expected '\\)'", 15),
    ],
)
def test_bad_families_are_spec_errors_with_the_position_of_the_problem(text, message, position):
    with pytest.raises(ri.SpecError, match=message) as info:
        SpecFamily.parse(text)
    assert info.value.position == position


def test_a_family_needs_a_free_argument_and_fill_checks_its_values():
    with pytest.raises(ri.SpecError, match="no free argument"):
        SpecFamily.parse("hh=normal(std=0.1)")
    family = SpecFamily.parse("hh=normal(std=?)")
    with pytest.raises(ri.SpecError, match="'hh.gain' is not a free argument"):
        family.fill({"hh.gain": 1.0})
    with pytest.raises(ri.SpecError, match="finite number"):
        family.fill([float("nan")])
    with pytest.raises(ri.SpecError, match="std must be >= 0"):
        family.fill([-1.0])


@pytest.mark.parametrize("text", ["hh=normal(std=?)", "bias[f]=?", "chrono(t_max=?)"])
def test_a_spec_string_with_a_free_argument_says_to_tune_it_first(text):
    with pytest.raises(ri.SpecError, match="spec family, not a spec. Tune it first") as info:
        Spec.parse(text)
    assert info.value.position == text.index("?")


def test_apply_and_audit_refuse_a_family_and_change_no_weight():
    lstm = torch.nn.LSTM(3, 4)
    before = torch_state(lstm)
    as_dict = {"hh": {"name": "orthogonal", "gain": "?"}}
    for family in ("hh=orthogonal(gain=?)", SpecFamily.parse("hh=orthogonal(gain=?)"), as_dict):
        with pytest.raises(ri.SpecError, match="(?i)tune it first"):
            rt.apply(family, lstm, seed=0)
        with pytest.raises(ri.SpecError, match="(?i)tune it first"):
            ri.audit(lstm, family)
    assert_torch_unchanged(lstm, before)
