"""The audit's power against a same-std alternative shape (rnninit.audit.power), and the estimated
arguments describe writes (rnninit.audit.fit)."""

import math

import numpy as np
import pytest
from helpers import ROOT

from rnninit.audit.checks import distribution_tests
from rnninit.audit.distributions import normal, triangular, uniform
from rnninit.audit.fit import fit_normal, fit_spectral, fit_uniform, shortest_decimal
from rnninit.audit.power import TARGET_POWER, entries_needed, like, shape_power


def _rejection_rate(claimed, alternative, n, level, trials, seed):
    """How often the audit's tests of ``claimed`` (each at ``level``) reject samples of ``alternative``."""
    rng = np.random.default_rng(seed)
    half = math.sqrt(3.0) * alternative.std
    rejected = 0
    for _ in range(trials):
        if alternative.normal:
            x = rng.normal(alternative.mean, alternative.std, n)
        else:
            x = rng.uniform(alternative.mean - half, alternative.mean + half, n)
        tests = distribution_tests(x, claimed, rng, 65536)
        rejected += any(t.passed is False or (t.p_value is not None and t.p_value < level) for t in tests)
    return rejected / trials


@pytest.mark.parametrize(
    ("claimed", "n"),
    [(normal("normal", 0.0, 1.0), 1024), (normal("normal", 0.0, 1.0), 400), (uniform("u", -1.0, 1.0), 24)],
)
def test_the_power_bound_is_below_the_simulated_power(claimed, n):
    """200 seeded simulations: the bound is a lower bound (one-sided binomial slack of 3 sd; the
    simulated rate is deterministic at this seed, so the test cannot flake)."""
    level = 1e-3
    power = shape_power(claimed, n, level, 65536)
    alternative = like(uniform("u", -1, 1) if claimed.normal else normal("n", 0, 1), claimed)
    rate = _rejection_rate(claimed, alternative, n, level, 200, seed=0)
    slack = 3 * math.sqrt(max(power.power * (1 - power.power), 1e-4) / 200)
    assert power.power <= rate + slack, (power, rate)


def test_from_the_needed_size_on_the_tests_reject_the_other_shape():
    claimed = normal("normal", 0.0, 0.3)
    needed = entries_needed(claimed, like(uniform("u", -1, 1), claimed), 1e-3, 65536)
    assert 1000 < needed < 5000  # uniform vs normal of the same std: a few thousand entries
    assert shape_power(claimed, needed, 1e-3, 65536).power >= TARGET_POWER
    assert shape_power(claimed, needed // 2, 1e-3, 65536).too_small
    assert _rejection_rate(claimed, like(uniform("u", -1, 1), claimed), needed, 1e-3, 100, seed=1) >= 0.97


def test_a_bounded_shape_is_weakest_against_the_alternative_it_contains():
    tri = triangular("torch_default bias", 0.25)  # PyTorch's default effective bias on 64 units
    power = shape_power(tri, 64, 1e-3, 65536)
    assert power.too_small and power.alternative == "uniform"
    assert power.needed == max(
        entries_needed(tri, like(uniform("u", -1, 1), tri), 1e-3, 65536),
        entries_needed(tri, like(normal("n", 0, 1), tri), 1e-3, 65536),
    )
    assert not shape_power(uniform("u", -1, 1), 64, 1e-3, 65536).too_small  # the range test sees a normal


@pytest.mark.parametrize(
    ("lo", "hi", "near", "expected"),
    [
        (0.2985, 0.3009, 0.2985, 0.3),
        (4.3, 12.9, 12.9, 10.0),  # 1 digit: 5..9 and 10; nearest the upper end
        (99.5, 110.0, 99.5, 100.0),
        (-0.21, -0.19, -0.2, -0.2),
        (-0.01, 0.02, 0.005, 0.0),
        (0.2941, 0.2949, 0.2945, 0.2945),
    ],
)
def test_shortest_decimal(lo, hi, near, expected):
    assert shortest_decimal(lo, hi, near) == expected


def test_estimates_are_round_where_the_data_allow_and_a_fitted_support_holds_the_sample():
    rng = np.random.default_rng(0)
    assert fit_normal(rng.normal(0.0, 0.3, 3000)).init.std == 0.3
    for n in (16, 64, 4096):
        x = rng.uniform(-0.2, 0.3, n)
        fitted = fit_uniform(x).init
        assert fitted.low <= x.min() and fitted.high >= x.max()
    assert str(fit_uniform(rng.uniform(-0.2, 0.3, 4096)).init) == "uniform(low=-0.2, high=0.3)"
    assert fit_spectral(0.95 * (1 + 3e-8)).radius == 0.95
    assert fit_spectral(0.9537) is None  # not a short decimal: a random matrix's radius


def test_docs_show_the_table_the_script_prints():
    """docs/audit.md "Too small to tell" shows the output of scripts/shape_power_table.py."""
    import runpy

    root = ROOT
    table = runpy.run_path(str(root / "scripts" / "shape_power_table.py"))["table"]()
    doc = (root / "docs" / "audit.md").read_text()
    shown = doc.split("<!-- shape-power-table -->\n")[1].split("<!-- /shape-power-table -->")[0]
    assert shown == table
