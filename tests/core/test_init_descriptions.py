"""Each init says what it draws (``entry_distribution``, ``exact_property``, ``constant_value``), and
what it says holds of its own samples: the law by a Kolmogorov–Smirnov test at ``ALPHA`` (seeded),
the exact properties to rounding."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from core_blocks import ALPHA, matrix_block, rng, vector_block
from scipy import stats

from rnninit.inits import INITS, Block, make_init, spectral_radius
from rnninit.inits.properties import (
    ChronoGate,
    ConstantValue,
    ScaledIdentity,
    ScaledOrthogonal,
    SpectralRadius,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "rnninit"

#: Every init in INITS, with the arguments it needs and a block it accepts.
LSTM_BIAS = {"forget": "f", "input": "i"}
EXAMPLES = {
    "normal": ("normal(mean=0.5, std=2.0)", matrix_block(64, 32)),
    "truncated_normal": ("truncated_normal(mean=-1.0, std=0.5)", matrix_block(64, 32)),
    "uniform": ("uniform(low=-2.0, high=3.0)", matrix_block(64, 32)),
    "constant": ("constant(0.25)", vector_block(32)),
    "zeros": ("zeros", vector_block(32)),
    "ones": ("ones", vector_block(32)),
    "orthogonal": ("orthogonal(gain=1.5)", matrix_block(48, 32)),
    "identity": ("identity(gain=0.9)", matrix_block(32, 32)),
    "glorot_uniform": ("glorot_uniform", matrix_block(64, 32)),
    "glorot_normal": ("glorot_normal(truncated=true)", matrix_block(64, 32)),
    "he_uniform": ("he_uniform", matrix_block(64, 32)),
    "he_normal": ("he_normal", matrix_block(64, 32)),
    "lecun_uniform": ("lecun_uniform", matrix_block(64, 32)),
    "lecun_normal": ("lecun_normal", matrix_block(64, 32)),
    "variance_scaling": ("variance_scaling(scale=2.0, mode=fan_avg)", matrix_block(64, 32)),
    "kaiming_uniform": ("kaiming_uniform(a=2.23606797749979)", matrix_block(64, 32)),
    "kaiming_normal": ("kaiming_normal(nonlinearity=tanh)", matrix_block(64, 32)),
    "torch_default": ("torch_default", vector_block(4096, bias_terms=2)),
    "chrono": ("chrono(t_max=50)", None),
    "spectral": ("spectral(radius=0.9)", matrix_block(32, 32)),
}


def _init(text: str):
    from rnninit.spec.parse import parse_init

    return parse_init(text)


def _chrono_blocks() -> dict[str, Block]:
    def block(gate: str) -> Block:
        return Block(
            "bias",
            gate,
            (2000,),
            "vector",
            2000,
            ("i", "f", "g", "o"),
            LSTM_BIAS,
            rng_for=lambda g: rng(7, g),
        )

    return {gate: block(gate) for gate in ("i", "f", "g", "o")}


def test_the_examples_cover_every_init():
    assert set(EXAMPLES) == set(INITS)


@pytest.mark.parametrize("name", [n for n, (_, block) in EXAMPLES.items() if block is not None])
def test_what_an_init_says_holds_of_its_samples(name):
    text, block = EXAMPLES[name]
    init = _init(text)
    value = init.sample(block, rng(3, name))
    exact, dist = init.exact_property(block), init.entry_distribution(block)
    assert (exact is None) != (dist is None), "an init says one of the two for a block"
    if dist is not None:
        assert stats.kstest(value.reshape(-1), dist.cdf).pvalue > ALPHA
        assert dist.low <= value.min() and value.max() <= dist.high
        assert dist.label.startswith(init.explicit())
    elif isinstance(exact, ConstantValue):
        np.testing.assert_array_equal(value, exact.value)
        assert init.constant_value(block.form) == exact.value
    elif isinstance(exact, ScaledIdentity):
        np.testing.assert_allclose(value, exact.gain * np.eye(block.shape[0]))
    elif isinstance(exact, ScaledOrthogonal):
        np.testing.assert_allclose(value.T @ value, exact.gain**2 * np.eye(block.shape[1]), atol=1e-12)
    else:
        assert isinstance(exact, SpectralRadius)
        assert spectral_radius(value) == pytest.approx(exact.radius, rel=1e-12)


def test_chrono_says_its_gate_rule():
    init = _init("chrono(t_max=50)")
    blocks = _chrono_blocks()
    values = {gate: init.sample(block, blocks[gate].rng_for(gate)) for gate, block in blocks.items()}
    forget, inp = init.exact_property(blocks["f"]), init.exact_property(blocks["i"])
    assert forget == ChronoGate(50.0, "f", "f", "i") and forget.sign == 1.0 and forget.negates is None
    assert inp == ChronoGate(50.0, "i", "f", "i") and inp.sign == -1.0 and inp.negates == "f"
    assert init.exact_property(blocks["g"]) == ConstantValue(0.0, note="chrono leaves other gates at 0")
    np.testing.assert_array_equal(values["i"], -values["f"])
    np.testing.assert_array_equal(values["g"], 0.0)
    assert stats.kstest(np.exp(values["f"]), stats.uniform(1, 48).cdf).pvalue > ALPHA
    assert init.entry_distribution(blocks["f"]) is None


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("constant(-2.0)", "matrix", -2.0),
        ("zeros", "vector", 0.0),
        ("ones", "diagonal", 1.0),
        ("normal(mean=0.3, std=0.0)", "matrix", 0.3),
        ("truncated_normal(mean=0.3, std=0.0)", "vector", 0.3),
        ("identity(gain=0.5)", "diagonal", 0.5),
        ("identity(gain=0.5)", "matrix", None),
        ("orthogonal(gain=0.0)", "matrix", 0.0),
        ("glorot_uniform(gain=0.0)", "matrix", 0.0),
        ("normal", "matrix", None),
        ("uniform", "vector", None),
        ("chrono(t_max=10)", "vector", None),
    ],
)
def test_constant_value_is_the_value_of_every_entry_when_there_is_one(text, kind, value):
    assert _init(text).constant_value(kind) == value


def test_a_zero_width_law_is_a_constant_not_a_distribution():
    block = matrix_block(8, 8)
    for text in ("normal(mean=0.3, std=0.0)", "truncated_normal(mean=0.3, std=0.0)"):
        init = _init(text)
        assert init.entry_distribution(block) is None
        assert init.exact_property(block) == ConstantValue(0.3)


def test_explicit_writes_every_argument():
    assert make_init("normal").explicit() == "normal(mean=0.0, std=1.0)"
    assert make_init("zeros").explicit() == "zeros"
    assert _init("orthogonal(fused=true)").explicit() == "orthogonal(fused=True, gain=1.0)"
    assert (
        _init("spectral(base=uniform)").explicit()
        == "spectral(radius=1.0, base=uniform(low=-0.05, high=0.05))"
    )


def _rnninit_imports(path: Path) -> set[str]:
    """Every ``rnninit`` module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "rnninit" or name.startswith("rnninit.")}


def test_the_inits_import_nothing_above_them_not_even_lazily():
    allowed = ("rnninit.errors", "rnninit.arguments", "rnninit.inits")
    files = [*sorted((SRC / "inits").glob("*.py")), SRC / "arguments.py", SRC / "errors.py"]
    imports = {path.name: _rnninit_imports(path) for path in files}
    above = {
        name: sorted(m for m in found if not (m in allowed or m.startswith("rnninit.inits.")))
        for name, found in imports.items()
    }
    assert above == {name: [] for name in imports}
