"""Chrono (Tallec & Ollivier 2018): ``b_f = log U(1, t_max - 1)``, ``b_i = -b_f``, other gates 0.

KS test of ``exp(b_f)`` against ``U(1, t_max - 1)`` at a false-positive rate of ``ALPHA = 1e-4``
with fixed seeds; the power check shows a ``t_max`` 10% off is rejected.
"""

from __future__ import annotations

import numpy as np
import pytest
from core_blocks import ALPHA, torch_layout
from scipy import stats

from rnninit.errors import SpecError
from rnninit.plan import make_plan
from rnninit.spec import Spec

T_MAX = 50.0


def bias_blocks(spec: str, kind: str = "lstm", hidden: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    plan = make_plan(spec, torch_layout(kind, 3, hidden), seed=seed)
    return {a.slot.gate: a.value for a in plan.assignments if a.slot.role == "bias"}


def forget_biases(t_max: float = T_MAX) -> np.ndarray:
    return np.concatenate(
        [bias_blocks(f"bias=chrono(t_max={t_max})", hidden=500, seed=s)["f"] for s in range(8)]
    )


def test_forget_bias_is_log_uniform_on_1_to_t_max_minus_1():
    forget = forget_biases()
    assert stats.kstest(np.exp(forget), stats.uniform(1, T_MAX - 2).cdf).pvalue > ALPHA
    assert forget.min() >= 0.0 and forget.max() <= np.log(T_MAX - 1)


def test_power_a_wrong_t_max_is_rejected():
    forget = forget_biases()
    assert stats.kstest(np.exp(forget), stats.uniform(1, 1.1 * T_MAX - 2).cdf).pvalue < ALPHA


def test_input_bias_is_exactly_minus_the_forget_bias_and_other_gates_are_zero():
    blocks = bias_blocks(f"bias=chrono(t_max={T_MAX})", hidden=64)
    np.testing.assert_array_equal(blocks["i"], -blocks["f"])
    np.testing.assert_array_equal(blocks["g"], np.zeros(64))
    np.testing.assert_array_equal(blocks["o"], np.zeros(64))


def test_per_gate_entries_give_the_same_values_as_the_role_wide_entry():
    whole = bias_blocks(f"bias=chrono(t_max={T_MAX})", hidden=64)
    per_gate = bias_blocks(f"bias=zeros bias[i,f]=chrono(t_max={T_MAX})", hidden=64)
    for gate in "ifgo":
        np.testing.assert_array_equal(whole[gate], per_gate[gate])


def test_chrono_preset_matches_the_entries_it_stands_for():
    preset = bias_blocks(f"chrono(t_max={T_MAX})", hidden=64)
    entries = bias_blocks(f"bias=torch_default bias[i,f]=chrono(t_max={T_MAX})", hidden=64)
    for gate in "ifgo":
        np.testing.assert_array_equal(preset[gate], entries[gate])


def test_gru_chrono_sets_the_update_gate_which_keeps_the_state():
    blocks = bias_blocks(f"bias=chrono(t_max={T_MAX})", kind="gru", hidden=1000)
    assert stats.kstest(np.exp(blocks["z"]), stats.uniform(1, T_MAX - 2).cdf).pvalue > ALPHA
    np.testing.assert_array_equal(blocks["r"], 0.0 * blocks["r"])
    np.testing.assert_array_equal(blocks["n"], 0.0 * blocks["n"])


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        ("bias=chrono(t_max=10)", "elman", "chrono initializes the gate bias of a cell with a forget gate"),
        ("hh=chrono(t_max=10)", "lstm", "chrono cannot initialize hh\\[i\\] matrix: it needs a vector"),
        (
            "bias[g]=chrono(t_max=10)",
            "lstm",
            "chrono sets the forget \\(f\\) and input gate biases, not gate 'g'",
        ),
        (
            "bias[r]=chrono(t_max=10)",
            "gru",
            "chrono sets the forget \\(z\\) and input gate biases, not gate 'r'",
        ),
        ("bias_hn=chrono(t_max=10)", "gru", "chrono initializes the gate bias"),
    ],
)
def test_chrono_on_anything_but_a_gated_bias_is_an_error_at_resolve(spec, kind, message):
    with pytest.raises(SpecError, match=message) as info:
        Spec.parse(spec).resolve(kind)
    assert info.value.position == 0  # the entry that asks for it


@pytest.mark.parametrize("t_max", ["2", "1.5", "-3", "0"])
def test_t_max_must_exceed_two(t_max):
    with pytest.raises(SpecError, match="chrono: t_max must be > 2") as info:
        Spec.parse(f"bias=chrono(t_max={t_max})")
    assert info.value.token == f"t_max={t_max}" and info.value.position == len("bias=chrono(")
