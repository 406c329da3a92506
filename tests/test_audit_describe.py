"""rnninit.describe: a model initialized by a standard spec is described by that spec."""

import pytest
import torch

import rnninit as ri
import rnninit.torch as rt


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "module",
    [lambda: torch.nn.LSTM(8, 16, num_layers=2), lambda: torch.nn.GRU(5, 12), lambda: torch.nn.RNN(6, 10)],
)
def test_untouched_torch_modules_are_described_as_pytorch_default(module, seed):
    torch.manual_seed(seed)
    assert str(ri.describe(module())) == "pytorch_default"


@pytest.mark.parametrize(
    ("spec", "described"),
    [
        ("keras_default", "keras_default"),
        ("orthogonal", "orthogonal"),
        ("forget_bias(2.0)", "forget_bias(value=2.0)"),
        ("pytorch_default hh=orthogonal", "pytorch_default hh=orthogonal"),
        (
            "ih=glorot_uniform hh=orthogonal(gain=1.5) bias=zeros",
            "ih=glorot_uniform hh=orthogonal(gain=1.5) bias=zeros",
        ),
        (
            "ih=he_normal hh=he_uniform bias=zeros bias[f]=1.0",
            "ih=he_normal hh=he_uniform bias=zeros bias[f]=ones",
        ),
        ("ih=lecun_uniform hh=glorot_normal bias=zeros", "ih=lecun_uniform hh=glorot_normal bias=zeros"),
    ],
)
def test_standard_specs_are_given_back(spec, described):
    lstm = torch.nn.LSTM(24, 32)
    rt.apply(spec, lstm, seed=0)
    description = ri.describe(lstm)
    assert str(description) == described
    assert ri.Spec.parse(str(description)) == description.spec


def test_estimated_arguments_are_close_and_the_description_passes_its_own_audit():
    lstm = torch.nn.LSTM(32, 32)
    rt.apply("chrono(t_max=100) ih=normal(std=0.3) hh=orthogonal", lstm, seed=0)
    description = ri.describe(lstm)
    resolved = description.spec.resolve("lstm")
    assert resolved.lookup("ih", "i")[0].std == pytest.approx(0.3, rel=0.05)
    assert resolved.lookup("bias", "f")[0].t_max == pytest.approx(100, rel=0.1)
    assert resolved.lookup("bias", "i")[0] == resolved.lookup("bias", "f")[0]
    assert ri.audit(lstm, description.spec).ok


def test_describe_reports_per_block_evidence_and_disagreeing_cells():
    model = torch.nn.ModuleDict({"a": torch.nn.LSTM(8, 8), "b": torch.nn.LSTM(8, 8)})
    rt.apply("orthogonal", model["b"], seed=0)
    torch.manual_seed(0)
    model["a"] = torch.nn.LSTM(8, 8)
    description = ri.describe(model)
    assert description.cells == {"a": ri.Spec.parse("pytorch_default"), "b": ri.Spec.parse("orthogonal")}
    assert description.notes and "cells differ" in description.notes[0]
    assert {b.cell for b in description.blocks} == {"a", "b"}
    assert all(b.evidence for b in description.blocks)
