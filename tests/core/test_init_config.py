"""``Init.to_config`` / ``from_config`` for every init, and ``str`` in its canonical form."""

from __future__ import annotations

import json

import pytest
from core_strategies import GAIN_INITS, plain_args

from rnninit.errors import SpecError
from rnninit.inits import (
    INITS,
    Chrono,
    Constant,
    Init,
    Normal,
    Orthogonal,
    Spectral,
    Uniform,
    make_init,
)
from rnninit.spec import init_from_config


def test_the_round_trip_strategies_cover_every_init():
    assert set(plain_args) | {"spectral"} == set(INITS)
    assert set(GAIN_INITS) <= set(INITS)


EXAMPLES = [
    (Normal(), {"name": "normal"}, "normal"),
    (Normal(mean=1, std=0.5), {"name": "normal", "mean": 1.0, "std": 0.5}, "normal(mean=1.0, std=0.5)"),
    (Constant(value=-2), {"name": "constant", "value": -2.0}, "constant(-2.0)"),
    (
        Constant(value=3, fused=True),
        {"name": "constant", "value": 3.0, "fused": True},
        "constant(3.0, fused=true)",
    ),
    (
        Orthogonal(gain=2, fused=True),
        {"name": "orthogonal", "gain": 2.0, "fused": True},
        "orthogonal(gain=2.0, fused=true)",
    ),
    (Chrono(t_max=10), {"name": "chrono", "t_max": 10.0}, "chrono(t_max=10.0)"),
    (make_init("torch_default", terms=2), {"name": "torch_default", "terms": 2}, "torch_default(terms=2)"),
    (
        Spectral(radius=0.9, base=Uniform(low=-1, high=1)),
        {"name": "spectral", "radius": 0.9, "base": {"name": "uniform", "low": -1.0, "high": 1.0}},
        "spectral(radius=0.9, base=uniform(low=-1.0, high=1.0))",
    ),
]


@pytest.mark.parametrize(("init", "config", "text"), EXAMPLES, ids=[e[2] for e in EXAMPLES])
def test_config_and_string_forms(init, config, text):
    assert init.to_config() == config
    assert json.loads(json.dumps(config)) == config
    assert Init.from_config(config) == type(init).from_config(config) == init
    assert str(init) == text
    assert init_from_config(text) == init


def test_a_nested_init_may_be_written_as_a_string_in_a_config():
    config = {"name": "spectral", "radius": 0.9, "base": "uniform(-1, 1)"}
    assert init_from_config(config) == Spectral(radius=0.9, base=Uniform(low=-1.0, high=1.0))


def test_the_inits_layer_reads_configs_and_leaves_text_to_the_spec_layer():
    import rnninit
    from rnninit import inits

    assert rnninit.init_from_config is init_from_config
    assert inits.init_from_config({"name": "normal", "std": 0.5}) == Normal(std=0.5)
    assert inits.init_from_config(0.5) == Constant(value=0.5)
    with pytest.raises(SpecError, match=r"written as text \('normal'\) is read by rnninit.init_from_config"):
        inits.init_from_config("normal")
    with pytest.raises(SpecError, match="is read by rnninit.init_from_config"):
        inits.init_from_config({"name": "spectral", "base": "uniform(-1, 1)"})


def test_from_config_on_a_subclass_checks_the_name():
    with pytest.raises(SpecError, match="config names init 'uniform', expected 'normal'"):
        Normal.from_config({"name": "uniform"})


def test_a_bare_number_is_a_constant():
    assert init_from_config(0.5) == init_from_config(1 / 2) == Constant(value=0.5)


def test_inits_are_immutable_and_ints_become_floats():
    init = Normal(std=2)
    assert isinstance(init.std, float)
    with pytest.raises(AttributeError):
        init.std = 3.0
