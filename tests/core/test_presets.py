"""Presets: each resolves on every cell kind it fits (and is a clear error elsewhere);
``pytorch_default`` reproduces PyTorch's own default initialization.

The PyTorch comparison samples both rnninit (through ``rnninit.torch.apply``) and a freshly built
torch module, and checks each against the exact distribution (one-sample KS) and against each other
(two-sample KS), every test at a false-positive rate of ``ALPHA = 1e-4`` with fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from core_blocks import ALPHA
from scipy import stats

from rnninit.errors import SpecError
from rnninit.inits import (
    Chrono,
    Constant,
    GlorotUniform,
    Identity,
    Normal,
    Ones,
    Orthogonal,
    TorchDefault,
    Uniform,
    Zeros,
)
from rnninit.layout.kinds import CELL_KINDS
from rnninit.spec import PRESETS, Spec

# preset -> which cell kinds it fits (all others must be a SpecError), as a rule on the cell kind,
# so that a cell kind added later is checked too
FITS = {
    "pytorch_default": lambda kind: True,
    "keras_default": lambda kind: kind.role("hh").form == "matrix",
    "irnn": lambda kind: not kind.gates,
    "forget_bias": lambda kind: "forget" in kind.gate_semantics,
    "chrono(t_max=100)": lambda kind: "forget" in kind.gate_semantics,
    "orthogonal": lambda kind: kind.role("hh").form == "matrix",
    "indrnn(t_max=100)": lambda kind: kind.role("hh").form == "diagonal",
}


def test_the_fit_rules_on_the_five_cells():
    fits = {
        preset: {name for name, kind in CELL_KINDS.items() if rule(kind)} for preset, rule in FITS.items()
    }
    known = {"elman", "lstm", "gru", "indrnn", "minimalrnn"}
    assert {preset: names & known for preset, names in fits.items()} == {
        "pytorch_default": known,
        "keras_default": known - {"indrnn"},
        "irnn": {"elman", "indrnn"},
        "forget_bias": {"lstm", "gru", "minimalrnn"},
        "chrono(t_max=100)": {"lstm", "gru", "minimalrnn"},
        "orthogonal": known - {"indrnn"},
        "indrnn(t_max=100)": {"indrnn"},
    }


def test_every_preset_is_covered_and_cites_a_source():
    assert {name.split("(")[0] for name in FITS} == set(PRESETS)
    for preset in PRESETS.values():
        assert preset.source and preset.doc


@pytest.mark.parametrize("preset", sorted(FITS))
@pytest.mark.parametrize("kind", sorted(CELL_KINDS))
def test_preset_resolves_where_it_fits_and_is_an_error_elsewhere(preset, kind):
    spec = Spec.parse(preset)
    if FITS[preset](CELL_KINDS[kind]):
        resolved = spec.resolve(kind)
        assert {role for role, _ in resolved.entries} == set(CELL_KINDS[kind].role_names)
    else:
        with pytest.raises(SpecError, match=f"preset {preset.split('(')[0]} .*{kind} cells") as info:
            spec.resolve(kind)
        assert info.value.position == 0


def test_preset_contents():
    lstm = Spec.parse("keras_default").resolve("lstm").entries
    assert lstm[("ih", None)] == GlorotUniform(fused=True)
    assert lstm[("hh", None)] == Orthogonal(fused=True)
    assert lstm[("bias", None)] == Zeros() and lstm[("bias", "f")] == Ones()
    assert Spec.parse("keras_default").resolve("elman").entries[("hh", None)] == Orthogonal()
    irnn = Spec.parse("irnn(std=0.01)").resolve("elman").entries
    assert irnn == {("ih", None): Normal(std=0.01), ("hh", None): Identity(), ("bias", None): Zeros()}
    assert Spec.parse("forget_bias(2)").resolve("gru").entries[("bias", "z")] == Constant(value=2.0)
    chrono = Spec.parse("chrono(t_max=30)").resolve("lstm").entries
    assert chrono[("bias", "f")] == chrono[("bias", "i")] == Chrono(t_max=30.0)
    assert chrono[("bias", None)] == TorchDefault()
    indrnn = Spec.parse("indrnn(t_max=100)").resolve("indrnn").entries
    assert indrnn[("hh", None)] == Uniform(low=0.0, high=2.0 ** (1 / 100))


def test_entries_after_a_preset_override_it():
    resolved = Spec.parse("forget_bias bias=zeros hh=orthogonal").resolve("lstm").entries
    assert ("bias", "f") not in resolved  # a role-wide entry replaces the preset's per-gate ones
    assert resolved[("bias", None)] == Zeros() and resolved[("hh", None)] == Orthogonal()
    kept = Spec.parse("forget_bias bias[i]=0.5").resolve("lstm").entries
    assert kept[("bias", "f")] == Constant(value=1.0) and kept[("bias", "i")] == Constant(value=0.5)


def test_a_bare_preset_name_with_defaults_is_a_spec():
    assert Spec.coerce("pytorch_default") == Spec(preset="pytorch_default")
    assert str(Spec.parse("forget_bias(value=1.0)")) == "forget_bias"


def _effective_biases(module, gates: slice) -> np.ndarray:
    out = []
    for name, param in module.named_parameters():
        if name.startswith("bias_ih"):
            hh = getattr(module, name.replace("bias_ih", "bias_hh"))
            out.append((param + hh).detach().numpy()[gates])
    return np.concatenate(out)


def _params(module, prefix: str, rows: slice = slice(None)) -> np.ndarray:
    return np.concatenate(
        [p.detach().numpy()[rows].ravel() for n, p in module.named_parameters() if n.startswith(prefix)]
    )


def _pair(cls, hidden: int, **kwargs):
    """A module with torch's own default init and one re-initialized by rnninit's pytorch_default."""
    from rnninit.torch import apply

    torch.manual_seed(0)
    own = cls(8, hidden, num_layers=2, bidirectional=True, **kwargs)
    ours = cls(8, hidden, num_layers=2, bidirectional=True, **kwargs)
    apply("pytorch_default", ours, seed=5)
    return own, ours


def _same_distribution(own: np.ndarray, ours: np.ndarray, dist) -> None:
    assert stats.kstest(ours, dist.cdf).pvalue > ALPHA
    assert stats.kstest(own, dist.cdf).pvalue > ALPHA
    assert stats.ks_2samp(own, ours).pvalue > ALPHA


HIDDEN = 256
BOUND = 1 / math.sqrt(HIDDEN)
UNIFORM = stats.uniform(-BOUND, 2 * BOUND)
TRIANGLE = stats.triang(0.5, loc=-2 * BOUND, scale=4 * BOUND)


def test_pytorch_default_reproduces_lstm_weights_and_its_triangular_effective_bias():
    own, ours = _pair(torch.nn.LSTM, HIDDEN)
    _same_distribution(_params(own, "weight"), _params(ours, "weight"), UNIFORM)
    _same_distribution(_effective_biases(own, slice(None)), _effective_biases(ours, slice(None)), TRIANGLE)
    assert not ours.bias_hh_l0.detach().any()  # rnninit stores the effective value once


def test_pytorch_default_reproduces_gru_with_uniform_n_gate_bias_and_bias_hn():
    own, ours = _pair(torch.nn.GRU, HIDDEN)
    _same_distribution(
        _effective_biases(own, slice(0, 2 * HIDDEN)), _effective_biases(ours, slice(0, 2 * HIDDEN)), TRIANGLE
    )
    n = slice(2 * HIDDEN, 3 * HIDDEN)
    _same_distribution(_params(own, "bias_ih", n), _params(ours, "bias_ih", n), UNIFORM)  # b_in
    _same_distribution(_params(own, "bias_hh", n), _params(ours, "bias_hh", n), UNIFORM)  # b_hn


def test_pytorch_default_reproduces_rnn_and_lstm_projection():
    own, ours = _pair(torch.nn.RNN, HIDDEN)
    _same_distribution(_effective_biases(own, slice(None)), _effective_biases(ours, slice(None)), TRIANGLE)
    own, ours = _pair(torch.nn.LSTM, HIDDEN, proj_size=64)
    _same_distribution(_params(own, "weight_hr"), _params(ours, "weight_hr"), UNIFORM)


def test_power_the_triangle_is_not_a_uniform():
    own, _ = _pair(torch.nn.LSTM, HIDDEN)
    assert (
        stats.kstest(_effective_biases(own, slice(None)), stats.uniform(-2 * BOUND, 4 * BOUND).cdf).pvalue
        < ALPHA
    )
