"""The spec parser: what it accepts, and that nothing but ``SpecError`` ever escapes it (fuzzed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnninit.errors import SpecError
from rnninit.inits import Constant, Normal, Orthogonal, Spectral, Uniform
from rnninit.spec import Spec, parse_key
from rnninit.spec.parse import MAX_DEPTH, parse_init

FUZZ = settings(max_examples=300, deadline=None, derandomize=True)

# pieces of the grammar, so that generated text gets deep into the parser
VOCABULARY = [
    "ih",
    "hh",
    "bias",
    "proj",
    "f",
    "i",
    "g",
    "z",
    "n",
    "normal",
    "uniform",
    "constant",
    "spectral",
    "orthogonal",
    "identity",
    "chrono",
    "torch_default",
    "glorot_uniform",
    "std",
    "mean",
    "low",
    "high",
    "gain",
    "value",
    "t_max",
    "terms",
    "base",
    "radius",
    "fused",
    "true",
    "false",
    "nan",
    "inf",
    "pytorch_default",
    "keras_default",
    "irnn",
    "forget_bias",
    "indrnn",
    "0",
    "1",
    "-1",
    "0.5",
    "1e999",
    "2",
    "100",
    "1e-400",
    "9" * 400,
    "=",
    "=",
    "(",
    ")",
    "(",
    ")",
    "[",
    "]",
    ",",
    ",",
    ";",
    " ",
    " ",
    "é",
    "#",
]


def parse_only_raises_spec_error(text: str) -> None:
    for parse in (Spec.parse, parse_init, parse_key):
        try:
            parse(text)
        except SpecError as exc:
            assert str(exc)
            if exc.position is not None:
                assert 0 <= exc.position <= len(text)


@FUZZ
@given(st.text(max_size=80))
def test_arbitrary_text_raises_nothing_but_spec_error(text):
    parse_only_raises_spec_error(text)


@FUZZ
@given(st.lists(st.sampled_from(VOCABULARY), max_size=25).map("".join))
def test_grammar_shaped_text_raises_nothing_but_spec_error(text):
    parse_only_raises_spec_error(text)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=25).map(" ".join))
def test_grammar_shaped_text_resolves_to_a_cell_or_raises_spec_error(text):
    try:
        spec = Spec.parse(text)
    except SpecError:
        return
    for kind in ("elman", "lstm", "gru", "indrnn", "minimalrnn"):
        try:
            spec.resolve(kind)
        except SpecError:
            pass


@pytest.mark.parametrize("bad", [None, 3, b"ih=1", ["ih=1"]])
def test_a_spec_string_must_be_a_str(bad):
    with pytest.raises(SpecError, match="must be a str"):
        Spec.parse(bad)


def test_deep_nesting_is_an_error_not_a_recursion_crash():
    text = "hh=" + "spectral(base=" * 2000 + "normal" + ")" * 2000
    with pytest.raises(SpecError, match=f"inits nest more than {MAX_DEPTH} deep"):
        Spec.parse(text)


def test_separators_and_whitespace():
    expected = Spec({"ih": Normal(std=0.5), "hh": Orthogonal()})
    for text in (
        "ih=normal(std=0.5) hh=orthogonal",
        "ih=normal(std=0.5);hh=orthogonal",
        " ;ih = normal( std = 0.5 ) ;; hh=orthogonal; ",
    ):
        assert Spec.parse(text) == expected


def test_positional_and_keyword_arguments_and_a_trailing_comma():
    assert (
        parse_init("uniform(-1, 1)") == parse_init("uniform(low=-1, high=1,)") == Uniform(low=-1.0, high=1.0)
    )
    assert parse_init("normal(0.5, std=2)") == Normal(mean=0.5, std=2.0)


def test_a_bare_number_means_constant():
    for text, value in (("1", 1.0), ("-2.5", -2.5), ("+.5", 0.5), ("1e-3", 0.001)):
        assert parse_init(text) == Constant(value=value)


def test_nested_init_arguments():
    assert parse_init("spectral(0.9, uniform(-1, 1))") == Spectral(
        radius=0.9, base=Uniform(low=-1.0, high=1.0)
    )


def test_booleans_are_lowercase_words():
    assert parse_init("orthogonal(fused=true)") == Orthogonal(fused=True)
    with pytest.raises(SpecError, match="fused must be true or false"):
        parse_init("orthogonal(fused=1)")


def test_an_empty_spec_is_valid_and_names_nothing():
    assert Spec.parse("") == Spec.parse(" ; ") == Spec()
    assert str(Spec()) == ""


def test_parse_key():
    assert parse_key("bias[f]") == ("bias", "f")
    assert parse_key("ih") == ("ih", None)
    for bad in ("bias[i,f]", "ih[f] x", "", "ih=1", "ih[f"):
        with pytest.raises(SpecError):
            parse_key(bad)
