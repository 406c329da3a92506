"""rnninit.describe: a model initialized by a standard spec is described by that spec."""

import pytest
import torch

import rnninit as ri
import rnninit.torch as rt
from rnninit.audit.distributions import entry_distribution


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


# -- issue 12, item 6: per gate before fused, whatever the framework --------------------------------


def _keras_lstm(units, inputs):
    import keras

    layer = keras.layers.LSTM(units)
    layer.build((None, 5, inputs))
    return layer


def test_keras_per_gate_orthogonal_is_described_per_gate_not_as_fused_gain_2():
    import rnninit.keras as rk

    lstm = _keras_lstm(16, 8)
    rk.apply("ih=glorot_uniform hh=orthogonal bias=zeros", lstm, seed=0)
    description = ri.describe(lstm)
    assert description.spec.resolve("lstm").lookup("hh", "i")[0] == ri.Spec.parse("hh=orthogonal")["hh"]
    assert "fused" not in str(description) and "gain=2.0" not in str(description)
    fresh = _keras_lstm(16, 8)
    rk.apply(description.spec, fresh, seed=1)
    assert ri.audit(fresh, "hh=orthogonal").ok


@pytest.mark.parametrize(
    ("inputs", "hidden", "spec", "fused"),
    [
        (24, 32, "ih=orthogonal hh=orthogonal", False),  # tall gate blocks: per gate implies stacked
        (24, 32, "ih=orthogonal(fused=true) hh=orthogonal(fused=true)", True),
        (64, 8, "ih=orthogonal(fused=true)", True),  # 4·8 ≤ 64: rows orthonormal across gates
        (64, 8, "ih=orthogonal", False),
    ],
)
def test_orthogonal_per_gate_or_fused_is_the_more_specific_reading(inputs, hidden, spec, fused):
    lstm = torch.nn.LSTM(inputs, hidden)
    rt.apply(spec, lstm, seed=0)
    resolved = ri.describe(lstm).spec.resolve("lstm")
    assert resolved.lookup("ih", None)[0].fused is fused
    assert resolved.lookup("ih", None)[0].gain == 1.0


# -- issue 12, item 9: a block too small to tell is said to be, never guessed -----------------------


def test_small_uniform_block_is_left_open_not_called_normal():
    rnn = torch.nn.RNN(4, 8)
    rt.apply("ih=uniform(low=-0.5, high=0.5) hh=orthogonal bias=zeros", rnn, seed=0)
    description = ri.describe(rnn)
    assert ("ih", None) not in description.spec.entries and description.spec.preset is None
    [block] = description.open
    assert block.role == "ih" and block.init is None
    layout = rt.model_layout(rnn).cells[0]
    shapes = set()
    for candidate in block.candidates:  # e.g. kaiming_uniform(a=√5), which is U(±0.5) here, and normals
        dist = entry_distribution(ri.Spec.parse(f"x={candidate}")["x"], layout.block(layout.slot("ih")))
        shapes.add("normal" if dist.normal else "uniform" if dist.excess_kurtosis == -1.2 else "other")
    assert {"uniform", "normal"} <= shapes
    assert "32 entries are too few" in block.evidence
    assert any(n.startswith("left open: ih of") for n in description.notes)
    assert description.to_dict()["open"][0]["candidates"] == list(block.candidates)
    assert str(description) == "hh=orthogonal bias=zeros"


def test_large_uniform_block_is_told_from_a_normal():
    rnn = torch.nn.RNN(64, 128)
    rt.apply("ih=uniform(low=-0.5, high=0.5) hh=orthogonal bias=zeros", rnn, seed=0)
    description = ri.describe(rnn)
    assert not description.open
    expected = ri.Spec.parse("ih=uniform(low=-0.5, high=0.5) hh=orthogonal bias=zeros").resolve("elman")
    assert description.spec.resolve("elman").entries == expected.entries


def test_estimated_arguments_are_the_shortest_decimals_the_data_allow():
    lstm = torch.nn.LSTM(48, 64)
    rt.apply("ih=normal(std=0.3) hh=uniform(low=-0.2, high=0.3) bias=zeros", lstm, seed=0)
    assert str(ri.describe(lstm)) == "ih=normal(std=0.3) hh=uniform(low=-0.2, high=0.3) bias=zeros"


def test_spectral_radius_is_recognized_and_random_matrices_are_not():
    for seed in range(3):
        rnn = torch.nn.RNN(16, 64)
        rt.apply("ih=normal(std=0.1) hh=spectral(radius=0.95) bias=zeros", rnn, seed=seed)
        assert ri.describe(rnn).spec.entries[("hh", None)] == ri.Spec.parse("hh=spectral(radius=0.95)")["hh"]
        rt.apply("hh=normal(std=0.125)", rnn, seed=seed)
        assert ri.describe(rnn).spec.entries[("hh", None)].name != "spectral"


def test_the_cli_names_the_blocks_it_left_open(tmp_path, capsys):
    import json

    from rnninit.cli import main

    path = tmp_path / "model.py"
    path.write_text(
        "import torch, rnninit.torch as rt\n"
        "def small():\n"
        "    rnn = torch.nn.RNN(4, 8)\n"
        "    rt.apply('ih=uniform(low=-0.5, high=0.5) hh=orthogonal bias=zeros', rnn, seed=0)\n"
        "    return rnn\n"
    )
    assert main(["describe", f"{path}:small"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert ri.Spec.parse(lines[0]) == ri.Spec.parse("hh=orthogonal bias=zeros")
    assert lines[1].startswith("# 1 block(s) left open")
    assert any(line.startswith("# left open: ih of") and "uniform(" in line for line in lines)
    assert main(["describe", f"{path}:small", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [b["role"] for b in data["open"]] == ["ih"]


def test_audit_says_when_a_block_is_too_small_to_tell_uniform_from_normal():
    small = torch.nn.RNN(4, 8)
    rt.apply("ih=uniform(low=-0.5, high=0.5) hh=orthogonal bias=zeros", small, seed=0)
    spec = "ih=normal(std=0.289) hh=orthogonal bias=zeros"  # the uniform's std, the wrong shape
    report = ri.audit(small, spec)
    assert report.ok  # 32 entries cannot tell: said, not silently passed
    [row] = [r for r in report.rows if r.role == "ih"]
    assert row.power.too_small and row.power.alternative == "uniform" and row.power.needed > 32
    assert report.to_dict()["blocks"][0]["power"]["needed"] == row.power.needed
    [limit] = report.limits
    assert limit.startswith("too small to tell the shape: ih of <model> (32 entries)")
    assert f"{row.power.needed} entries would give 99%" in limit
    assert limit in report.to_markdown() and "too small to tell the shape: ih of <model>" in report.to_text()
    large = torch.nn.RNN(64, 128)
    rt.apply("ih=uniform(low=-0.5, high=0.5) hh=orthogonal bias=zeros", large, seed=0)
    report = ri.audit(large, spec)
    assert [f.role for f in report.findings] == ["ih"] and not report.limits


def test_cells_of_different_kinds_from_one_spec_get_one_description():
    model = torch.nn.ModuleDict({"lstm": torch.nn.LSTM(24, 32), "gru": torch.nn.GRU(24, 32)})
    spec = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
    rt.apply(spec, model, seed=0)
    description = ri.describe(model)
    assert not any("cells differ" in n for n in description.notes)
    fresh = torch.nn.ModuleDict({"lstm": torch.nn.LSTM(24, 32), "gru": torch.nn.GRU(24, 32)})
    rt.apply(description.spec, fresh, seed=1)
    assert ri.audit(fresh, spec).ok


def test_a_block_one_cell_leaves_open_may_take_what_another_cell_decided_among_its_candidates():
    model = torch.nn.ModuleDict({"big": torch.nn.RNN(48, 64), "small": torch.nn.LSTM(6, 8)})
    spec = "ih=glorot_uniform hh=orthogonal bias=zeros"
    rt.apply(spec, model, seed=0)
    description = ri.describe(model)
    assert [(b.cell, b.role) for b in description.open] == [("small", "ih")] * 4
    assert "glorot_uniform" in description.open[0].candidates
    assert ("ih", None) not in description.cells["small"].entries
    assert description.spec.entries[("ih", None)] == ri.Spec.parse(spec)["ih"]
    assert not any("cells differ" in n for n in description.notes)
