"""One rule for arguments: inits and presets bind theirs with one function (the same messages), and
an integer is never a bool (``True`` is refused wherever a count, size or seed is asked for, with the
asking layer's error), while NumPy integers are integers everywhere and come back as ``int``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnninit.arguments import bind_arguments, check_integer
from rnninit.errors import LayoutError, SpecError
from rnninit.inits import make_init
from rnninit.layout.tensor import tensor_layout
from rnninit.seeding import SeedError, check_seed
from rnninit.spec import PresetCall


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_init("normal", 0.0, 1.0, False, 3), "normal takes at most 3 arguments"),
        (lambda: PresetCall.make("chrono", 10, 20), "preset chrono takes at most 1 arguments"),
        (lambda: make_init("normal", 0.0, mean=1.0), "normal: argument 'mean' given twice"),
        (lambda: PresetCall.make("chrono", 10, t_max=20), "preset chrono: argument 't_max' given twice"),
        (lambda: make_init("normal", sd=1.0), "normal has no argument 'sd'"),
        (lambda: PresetCall.make("chrono", t=1.0), "preset chrono has no argument 't'"),
        (lambda: make_init("chrono"), "chrono needs argument 't_max', e.g. chrono(t_max=...)"),
        (lambda: PresetCall.make("chrono"), "preset chrono needs argument 't_max', e.g. chrono(t_max=...)"),
        (lambda: make_init("normal", std=1.0, stddev=1.0), "'stddev' is another name for 'std'"),
    ],
)
def test_inits_and_presets_bind_their_arguments_alike(call, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_bind_arguments_fills_names_in_order_and_normalizes_aliases():
    bound = bind_arguments("f", "f", ("a", "b", "c"), (1,), {"see": 3}, required=("a",), aliases={"see": "c"})
    assert bound == {"a": 1, "c": 3}


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: check_seed(True), SeedError),
        (lambda: make_init("torch_default", terms=True), SpecError),
        (lambda: make_init("normal", std=True), SpecError),
        (lambda: PresetCall.make("forget_bias", value=True), SpecError),
        (lambda: tensor_layout((4, 3), True), LayoutError),
        (lambda: check_integer(True, "n", error=KeyError), KeyError),
    ],
)
def test_a_bool_is_never_an_integer_and_each_layer_says_so_with_its_own_error(call, error):
    with pytest.raises(error, match="True"):
        call()


def test_numpy_integers_are_integers_and_come_back_as_int():
    assert type(check_seed(np.int64(3))) is int
    init = make_init("torch_default", terms=np.int64(2))
    assert type(init.terms) is int and json.dumps(init.to_config()) == '{"name": "torch_default", "terms": 2}'
    assert check_integer(np.uint8(7), "n", error=ValueError, minimum=0, maximum=7) == 7
    with pytest.raises(ValueError, match=r"n must be an integer >= 1, got 0"):
        check_integer(0, "n", error=ValueError, minimum=1)
