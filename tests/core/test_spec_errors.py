"""Every bad spec is a ``SpecError`` whose message names the problem, the valid alternatives, and the
offending token with its position in the spec string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnninit.errors import RnninitError, SpecError
from rnninit.inits import Normal, make_init
from rnninit.spec import Spec, init_from_config

# (spec, cell kind to resolve on or None, message fragment, token, position)
CASES = [
    # unknown names, with the valid alternatives and a "did you mean"
    (
        "ih=nrmal(std=1)",
        None,
        "unknown init 'nrmal'; did you mean 'normal'?; valid inits: 'normal', 'truncated_normal'",
        "nrmal",
        3,
    ),
    (
        "ih=normal(stdd=1)",
        None,
        "normal has no argument 'stdd'; did you mean 'std'?; valid arguments: 'mean', 'std', 'fused'",
        "stdd=1",
        10,
    ),
    (
        "chrno(t_max=3)",
        None,
        "unknown preset 'chrno'; did you mean 'chrono'?; valid presets: 'pytorch_default'",
        "chrno",
        0,
    ),
    (
        "forget_bias(valu=2)",
        None,
        "preset forget_bias has no argument 'valu'; did you mean 'value'?; valid arguments: 'value'",
        "valu=2",
        12,
    ),
    (
        "ih=1 hhh=orthogonal",
        "lstm",
        "unknown role 'hhh' for a lstm cell; did you mean 'hh'?; valid roles: 'ih', 'hh', 'bias', 'proj'",
        "hhh",
        5,
    ),
    (
        "bias[forget]=1",
        "lstm",
        "unknown gate 'forget' for a lstm cell; valid gates: i, f, g, o, c (= g)",
        "forget",
        5,
    ),
    ("bias[x]=1", "gru", "unknown gate 'x' for a gru cell; valid gates: r, z, n, h (= n)", "x", 5),
    (
        "hh[f]=orthogonal",
        "elman",
        "role 'hh' of an elman cell has no gates, so 'hh[f]' is invalid; write 'hh=...'",
        "f",
        3,
    ),
    # wrong types
    ("ih=normal(std=true)", None, "normal: std must be a number, got True (bool)", "std=true", 10),
    (
        "ih=normal(std=orthogonal)",
        None,
        "normal: std must be a number, got 'orthogonal' (Orthogonal)",
        "std=orthogonal",
        10,
    ),
    (
        "hh=spectral(base=2)",
        None,
        "spectral: base must be an init, e.g. normal(std=1.0), got 2 (int)",
        "base=2",
        12,
    ),
    (
        "bias=torch_default(terms=1.5)",
        None,
        "torch_default: terms must be an integer, got 1.5 (float)",
        "terms=1.5",
        19,
    ),
    ("hh=orthogonal(fused=1)", None, "orthogonal: fused must be true or false, got 1 (int)", "fused=1", 14),
    ("chrono(t_max=normal)", None, "preset chrono takes numbers, got 'normal'", "normal", 13),
    # non-finite numbers
    ("ih=normal(std=nan)", None, "normal: std must be a finite number, got nan", "std=nan", 10),
    ("ih=normal(mean=inf)", None, "normal: mean must be a finite number, got inf", "mean=inf", 10),
    ("ih=normal(std=1e999)", None, "normal: std must be a finite number, got inf", "std=1e999", 10),
    (
        "bias=" + "9" * 330,
        None,
        "constant: value must be a finite number, got an integer too large for a float",
        "9" * 330,
        5,
    ),
    (
        "forget_bias(value=nan)",
        None,
        "preset forget_bias: value must be a finite number, got nan",
        "value=nan",
        12,
    ),
    # values out of range
    ("ih=normal(std=-1)", None, "normal: std must be >= 0, got -1.0", "std=-1", 10),
    ("ih=truncated_normal(0, -0.1)", None, "truncated_normal: std must be >= 0, got -0.1", "-0.1", 23),
    ("hh=orthogonal(gain=-2)", None, "orthogonal: gain must be >= 0, got -2.0", "gain=-2", 14),
    ("hh=glorot_uniform(gain=-2)", None, "glorot_uniform: gain must be >= 0, got -2.0", "gain=-2", 18),
    ("ih=uniform(low=1, high=1)", None, "uniform: low must be < high, got low=1.0, high=1.0", "low=1", 11),
    ("hh=spectral(radius=0)", None, "spectral: radius must be > 0, got 0.0", "radius=0", 12),
    (
        "hh=spectral(base=zeros)",
        None,
        "spectral: base zeros has no useful spectrum to rescale",
        "base=zeros",
        12,
    ),
    (
        "hh=spectral(base=normal(fused=true))",
        None,
        "spectral: base must not be fused",
        "base=normal(fused=true)",
        12,
    ),
    (
        "bias=torch_default(terms=0)",
        None,
        "torch_default: terms (additive bias tensors) must be in [1, 16], got 0",
        "terms=0",
        19,
    ),
    (
        "bias=torch_default(terms=17)",
        None,
        "torch_default: terms (additive bias tensors) must be in [1, 16], got 17",
        "terms=17",
        19,
    ),
    (
        "bias=torch_default(fused=true)",
        None,
        "torch_default is PyTorch's per-tensor default and cannot be fused",
        "fused=true",
        19,
    ),
    (
        "bias=chrono(t_max=10, fused=true)",
        None,
        "chrono sets the forget and input gate biases separately and cannot be fused",
        "fused=true",
        22,
    ),
    (
        "hh=spectral(base=chrono(t_max=10))",
        None,
        "spectral: base chrono cannot draw a matrix",
        "base=chrono(t_max=10)",
        12,
    ),
    (
        "hh=spectral(base=ones)",
        None,
        "spectral: base ones has no useful spectrum to rescale",
        "base=ones",
        12,
    ),
    (
        "bias=chrono(t_max=2)",
        None,
        "chrono: t_max must be > 2 (it samples U(1, t_max - 1)), got 2.0",
        "t_max=2",
        12,
    ),
    ("irnn(std=-1)", None, "normal: std must be >= 0, got -1.0", "std=-1", 5),
    ("indrnn(t_max=0.5)", None, "indrnn: t_max (time steps) must be >= 1, got 0.5", "t_max=0.5", 7),
    # missing or surplus arguments
    ("bias=constant", None, "constant needs argument 'value', e.g. constant(value=...)", "constant", 5),
    ("chrono", None, "preset chrono needs argument 't_max', e.g. chrono(t_max=...)", "chrono", 0),
    (
        "ih=normal(0, 1, false, 3)",
        None,
        "normal takes at most 3 arguments (mean, std, fused), got 4",
        "normal",
        3,
    ),
    ("ih=normal(std=1, std=2)", None, "argument 'std' given twice to normal", "std", 17),
    ("ih=normal(1, mean=2)", None, "normal: argument 'mean' given twice", "mean=2", 13),
    ("ih=normal(std=1, 2)", None, "positional argument after keyword argument in normal(...)", "2", 17),
    # syntax
    ("ih=normal(std=1", None, "expected ')' to close normal(...), found 'end of spec'", "end of spec", 15),
    ("ih normal", None, "a spec takes at most one preset, found 'ih' and 'normal'", "normal", 3),
    (
        "ih=1 chrono(t_max=5)",
        None,
        "the preset 'chrono' must come first, before role=init entries",
        "chrono",
        5,
    ),
    ("ih=1 $", None, "unexpected character '$' in spec", "$", 5),
    ("bias[f,]=1", None, "expected a name as a gate of role 'bias', found ']'", "]", 7),
    (
        "ih=(1)",
        None,
        "expected a name (an init such as normal(std=0.1), or a number) after 'ih=', found '('",
        "(",
        3,
    ),
    ("ih=1 ih=2", None, "'ih' is given twice", "ih", 5),
    ("bias[f,f]=1", None, "'bias[f]' is given twice", "f", 7),
    ("bias[g]=1 bias[c]=2", "lstm", "'bias[g]' is given twice (once by a gate alias)", "g", 5),
    # where an init may go
    ("hh=identity", "lstm", None, None, None),  # valid: identity per gate block is square
    (
        "bias=orthogonal",
        "lstm",
        "bias=orthogonal: orthogonal cannot initialize bias[i] vector: it needs a matrix",
        "bias",
        0,
    ),
    (
        "ih=chrono(t_max=10)",
        "gru",
        "ih=chrono(t_max=10.0): chrono cannot initialize ih[r] matrix: it needs a vector",
        "ih",
        0,
    ),
    (
        "bias=1 bias[o]=chrono(t_max=10)",
        "lstm",
        "chrono sets the forget (f) and input gate biases, not gate 'o' (valid: f, i)",
        "bias[o]",
        7,
    ),
    (
        "bias=chrono(t_max=10)",
        "elman",
        "chrono initializes the gate bias of a cell with a forget gate (LSTM, GRU)",
        "bias",
        0,
    ),
    # fused
    (
        "hh=orthogonal(fused=true) hh[f]=identity",
        None,
        "'hh=orthogonal(fused=true)' is fused over all gates, so it cannot be combined with "
        "per-gate entries (hh[f])",
        "hh[f]",
        26,
    ),
    (
        "ih=1 hh[f]=orthogonal(fused=true)",
        "lstm",
        "is fused but hh[f] matrix is a single gate block",
        "hh[f]",
        5,
    ),
    (
        "hh=orthogonal(fused=true)",
        "elman",
        "orthogonal(fused=true) is fused, but role 'hh' of an elman cell has no gates to fuse",
        "hh",
        0,
    ),
    # presets on cells they do not fit
    (
        "forget_bias hh=orthogonal",
        "elman",
        "preset forget_bias needs a cell with a forget gate (lstm, gru, minimalrnn), "
        "and elman cells have none",
        "forget_bias",
        0,
    ),
    (" irnn", "lstm", "preset irnn is for ungated cells (elman, indrnn), not lstm cells", "irnn", 1),
    (
        "indrnn(t_max=100)",
        "gru",
        "preset indrnn needs a cell with a diagonal recurrent weight (indrnn), not gru cells",
        "indrnn",
        0,
    ),
    (
        "orthogonal",
        "indrnn",
        "preset orthogonal sets a full recurrent matrix, "
        "but the recurrent weight of indrnn cells is a diagonal",
        "orthogonal",
        0,
    ),
]


@pytest.mark.parametrize(
    ("text", "kind", "message", "token", "position"), CASES, ids=[c[0][:40] for c in CASES]
)
def test_error_names_the_problem_the_token_and_its_position(text, kind, message, token, position):
    if message is None:
        Spec.parse(text).resolve(kind)
        return
    with pytest.raises(SpecError) as info:
        spec = Spec.parse(text)
        if kind is not None:
            spec.resolve(kind)
    error = info.value
    assert message in error.message and "(at " not in error.message  # the fields apart from the text
    assert (error.token, error.position) == (token, position)
    assert str(error) == f"{error.message} (at '{token}', position {position})"
    assert text[position:].startswith(token) or token == "end of spec"


def test_spec_error_is_a_value_error_and_an_rnninit_error():
    with pytest.raises(ValueError):
        Spec.parse("ih=nrmal")
    assert issubclass(SpecError, RnninitError)


def test_spec_error_keeps_message_token_and_position_apart_and_formats_them_when_printed():
    import pickle

    located = SpecError("unknown init 'nrmal'", token="nrmal", position=3)
    assert str(located) == "unknown init 'nrmal' (at 'nrmal', position 3)"
    assert str(SpecError("bad", token="x")) == "bad (at 'x')"
    assert str(SpecError("bad")) == "bad"
    long = SpecError("bad", token="x" * 1000, position=0)
    assert located.message == "unknown init 'nrmal'" and len(str(long)) < 500
    copy = pickle.loads(pickle.dumps(located))  # errors cross process boundaries (sweeps, Ray)
    assert (copy.message, copy.token, copy.position, str(copy)) == (
        located.message,
        "nrmal",
        3,
        str(located),
    )


def test_a_rewrapped_error_keeps_one_location():
    """An error re-raised with context (a dict entry, a preset) says where it is exactly once."""
    with pytest.raises(SpecError) as info:
        Spec.from_dict({"hh": {"name": "normal", "std": -1}})
    assert str(info.value).count("(at ") <= 1
    assert info.value.message.startswith("'hh': normal: std must be >= 0")


def test_identity_on_a_non_square_block_is_found_when_sizes_are_known():
    from core_blocks import torch_layout

    from rnninit.plan import make_plan

    with pytest.raises(
        SpecError, match=r"rnn, hh\[i\]: identity needs a square block, but hh\[i\] matrix of shape \(4, 2\)"
    ):
        make_plan("hh=identity", torch_layout("lstm", 3, 4, proj_size=2), seed=0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Normal(std=-1), "normal: std must be >= 0, got -1.0 (at 'std')"),
        (lambda: Normal(std="1"), "normal: std must be a number, got '1' (str)"),
        (
            lambda: Normal(std=10**400),
            "normal: std must be a finite number, got an integer too large for a float",
        ),
        (lambda: make_init("normal", sdt=1), "normal has no argument 'sdt'; did you mean 'std'?"),
        (lambda: make_init("nromal"), "unknown init 'nromal'; did you mean 'normal'?"),
        (lambda: init_from_config({"std": 1}), "an init config must be a dict with a 'name' key"),
        (lambda: init_from_config({"name": 3}), "an init's name must be a string, got 3"),
        (lambda: init_from_config(True), "an init must be a name, a number or a dict, got True"),
        (lambda: init_from_config([1]), "an init config must be a dict with a 'name' key"),
        (lambda: Spec({"ih": "nrmal"}), "'ih': unknown init 'nrmal'"),
        (
            lambda: Spec.from_dict({"bias[f]": {"name": "normal", "std": -1}}),
            "'bias[f]': normal: std must be >= 0",
        ),
        (lambda: Spec({("ih",): 1}), "invalid spec key ('ih',); write 'role' or 'role[gate]'"),
        (lambda: Spec({3: 1}), "a spec key must be a string such as 'ih' or 'bias[f]', got 3"),
        (lambda: Spec.from_dict([("ih", 1)]), "a spec dict must be a mapping of role to init, got list"),
        (lambda: Spec.from_dict({"preset": 3}), "'preset' must be a name or a dict with 'name', got 3"),
        (lambda: Spec.from_dict({"preset": {"t_max": 3}}), "a preset dict needs a 'name' string"),
        (lambda: Spec.coerce(3.5), "expected a Spec, a spec string, a preset name or a dict, got float"),
        (lambda: Spec(preset="ih=1"), "expected a preset such as 'chrono(t_max=100)', got 'ih=1'"),
        (
            lambda: Spec.parse("bias=1").resolve("lstn"),
            "unknown cell 'lstn'; did you mean 'lstm'?; valid cells: 'elman'",
        ),
    ],
)
def test_python_api_errors(build, message):
    with pytest.raises(SpecError) as info:
        build()
    assert message in str(info.value)


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="cannot read spec file"):
        Spec.load(tmp_path / "missing.yaml")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(SpecError, match="is not valid json"):
        Spec.load(tmp_path / "bad.json")
    (tmp_path / "list.yaml").write_text("- ih\n")
    with pytest.raises(SpecError, match="must hold a mapping of role to init or a spec string"):
        Spec.load(tmp_path / "list.yaml")
    (tmp_path / "typo.yaml").write_text("ih: nrmal\n")
    with pytest.raises(SpecError, match="'ih': unknown init 'nrmal'; did you mean 'normal'"):
        Spec.load(tmp_path / "typo.yaml")


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
config_like = st.dictionaries(
    st.sampled_from(
        [
            "name",
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
            "x",
        ]
    ),
    json_values | st.sampled_from(["normal", "uniform", "spectral", "chrono", "constant", "zeros"]),
    max_size=4,
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.dictionaries(
        st.text(max_size=10) | st.sampled_from(["ih", "hh", "bias[f]", "preset"]),
        json_values | config_like,
        max_size=4,
    )
)
def test_arbitrary_dicts_raise_nothing_but_spec_error(data):
    try:
        Spec.from_dict(data)
    except SpecError:
        pass


@settings(max_examples=200, deadline=None, derandomize=True)
@given(json_values | config_like)
def test_arbitrary_configs_raise_nothing_but_spec_error(config):
    try:
        init_from_config(config)
    except SpecError:
        pass


@pytest.mark.parametrize(
    "init", ["he_uniform(gain=1e308)", "uniform(low=-1.7e308, high=1.7e308)", "truncated_normal(std=1.5e308)"]
)
def test_arguments_so_large_that_the_draws_overflow_are_a_spec_error(init):
    from core_blocks import torch_layout

    from rnninit.plan import make_plan

    with pytest.raises(SpecError, match="drew values beyond a float's range for ih matrix of shape"):
        make_plan(f"ih={init}", torch_layout("elman", 3, 4), seed=0)
