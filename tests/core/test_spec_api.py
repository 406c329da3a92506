"""The Python side of a spec: constructors, merging, views, equality and coercion."""

from __future__ import annotations

import pytest

from rnninit.errors import SpecError
from rnninit.inits import Constant, Normal, Orthogonal, Zeros
from rnninit.spec import PresetCall, Spec


def test_keyword_dict_and_string_constructors_agree():
    by_keywords = Spec(ih="normal(std=0.5)", hh=Orthogonal(), bias=0)
    by_dict = Spec({"ih": {"name": "normal", "std": 0.5}, "hh": "orthogonal", ("bias", None): 0.0})
    by_string = Spec.parse("ih=normal(std=0.5) hh=orthogonal bias=0")
    assert by_keywords == by_dict == by_string


def test_per_gate_keys_in_python():
    spec = Spec({"bias[f]": 1.0}, bias=Zeros())
    assert spec["bias[f]"] == Constant(value=1.0) and spec[("bias", None)] == Zeros()
    assert list(spec) == [("bias", None), ("bias", "f")]  # canonical order: role-wide first


def test_a_key_given_twice_is_an_error():
    with pytest.raises(SpecError, match="'ih' is given twice"):
        Spec({"ih": 1}, ih=2)


def test_merge_later_entries_win_and_a_role_wide_entry_replaces_per_gate_ones():
    base = Spec.parse("ih=normal hh=orthogonal bias=zeros bias[f]=1")
    assert base | "bias[f]=2" == Spec.parse("ih=normal hh=orthogonal bias=zeros bias[f]=2")
    assert base | "bias=0.5" == Spec.parse("ih=normal hh=orthogonal bias=0.5")
    assert "hh=identity" | base == base  # a string on the left works too
    assert (base | "chrono(t_max=10)").preset == PresetCall.make("chrono", t_max=10)
    assert (Spec.parse("chrono(t_max=10)") | "ih=1").preset == PresetCall.make("chrono", t_max=10)


def test_a_spec_is_an_immutable_hashable_value():
    spec = Spec(ih=Normal())
    view = spec.entries
    view[("hh", None)] = Zeros()
    assert ("hh", None) not in spec.entries
    assert len({spec, Spec.parse("ih=normal")}) == 1
    with pytest.raises(AttributeError):
        spec.extra = 1


def test_repr_evaluates_back_to_the_spec():
    spec = Spec.parse("forget_bias(2) hh=orthogonal(gain=0.5)")
    assert eval(repr(spec), {"Spec": Spec}) == spec


def test_coerce_accepts_a_spec_a_string_a_preset_name_and_a_dict():
    spec = Spec.parse("ih=normal")
    assert Spec.coerce(spec) is spec
    assert Spec.coerce("ih=normal") == spec
    assert Spec.coerce({"ih": "normal"}) == spec
    assert Spec.coerce("irnn") == Spec(preset="irnn")


def test_resolve_maps_keras_gate_aliases_to_canonical_gates():
    assert Spec.parse("bias[c]=1").resolve("lstm").entries == {("bias", "g"): Constant(value=1.0)}
    assert Spec.parse("ih[h]=orthogonal").resolve("gru").lookup("ih", "n") == (Orthogonal(), True)
    assert Spec.parse("ih=orthogonal").resolve("gru").lookup("ih", "n") == (Orthogonal(), False)
    assert Spec.parse("ih=orthogonal").resolve("gru").lookup("hh", "n") == (None, False)
