"""rnninit.audit on PyTorch models: every init is checked, wrong blocks are named, correct ones pass."""

import json
import re

import numpy as np
import pytest
import torch
from torch import nn

import rnninit as ri
import rnninit.torch as rt
from rnninit.audit import audit
from rnninit.audit.checks import check_value


def _set(param: torch.nn.Parameter, rows: slice, value) -> None:
    with torch.no_grad():
        param[rows] = torch.as_tensor(value, dtype=param.dtype)


@pytest.mark.parametrize(
    "module",
    [
        lambda: torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True),
        lambda: torch.nn.LSTM(8, 16, proj_size=4),
        lambda: torch.nn.GRU(5, 24, num_layers=2),
        lambda: torch.nn.RNN(7, 20, nonlinearity="relu"),
        lambda: torch.nn.LSTMCell(6, 12),
        lambda: torch.nn.GRUCell(6, 12),
    ],
)
def test_untouched_torch_modules_pass_against_pytorch_default(module):
    torch.manual_seed(0)
    report = audit(module(), "pytorch_default")
    assert report.ok, report.findings
    assert all(row.verdict == "ok" for row in report.rows)


SPECS = [
    "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0",
    "ih=truncated_normal(mean=0.1, std=0.2) hh=orthogonal(gain=1.3) bias=uniform(low=-0.2, high=0.3)",
    "ih=glorot_uniform hh=he_normal bias=chrono(t_max=40)",
    "ih=lecun_uniform hh=glorot_normal bias=torch_default proj=he_uniform",
    "keras_default",
    "chrono(t_max=100) hh=orthogonal",
    "ih=lecun_normal hh=spectral(radius=0.8) bias=constant(0.25)",
]


@pytest.mark.parametrize("spec", SPECS)
def test_audit_passes_every_init_after_apply(spec):
    lstm = torch.nn.LSTM(12, 16, num_layers=2)
    rt.apply(spec, lstm, seed=3)
    report = audit(lstm, spec)
    assert report.ok, [str(f) for f in report.findings]
    assert all(row.init is not None for row in report.rows)


def test_identical_structured_blocks_are_not_a_shared_stream():
    rnn = torch.nn.RNN(10, 10, num_layers=3)
    rt.apply("irnn", rnn, seed=1)  # every layer's hh is the identity, every bias zero
    assert audit(rnn, "irnn").ok
    rt.apply("ih=normal hh=orthogonal bias=constant(0.3)", rnn, seed=1)
    assert audit(rnn, "ih=normal hh=orthogonal bias=constant(0.3)").ok


def test_wrong_std_names_the_tensor_and_the_numbers():
    lstm = torch.nn.LSTM(32, 64)
    rt.apply("ih=normal(std=0.5) hh=normal(std=0.5) bias=zeros", lstm, seed=0)
    report = audit(lstm, "ih=normal(std=0.5) hh=normal(std=1.0) bias=zeros")
    assert not report.ok
    assert {f.role for f in report.findings} == {"hh"}
    assert {f.gate for f in report.findings} == {"i", "f", "g", "o"}
    message = report.findings[0].message
    assert "weight_hh_l0 (hh[i] of <model>)" in message
    assert re.search(r"expected std 1\.0, found 0\.(49|5|51)\b", message), message


def test_forget_bias_of_one_in_both_torch_biases_is_an_effective_two():
    lstm = torch.nn.LSTM(4, 8)
    rt.apply("ih=normal hh=orthogonal bias=zeros", lstm, seed=0)
    _set(lstm.bias_ih_l0, slice(8, 16), 1.0)
    _set(lstm.bias_hh_l0, slice(8, 16), 1.0)
    report = audit(lstm, "ih=normal hh=orthogonal bias=zeros bias[f]=1.0")
    [finding] = report.findings
    assert (finding.role, finding.gate) == ("bias", "f")
    assert finding.tensors == ("bias_ih_l0", "bias_hh_l0")
    assert "max |error| 1" in finding.found
    row = next(r for r in report.rows if r.role == "bias" and r.gate == "f")
    assert row.observed["mean"] == pytest.approx(2.0)


def test_chrono_input_bias_must_be_the_negated_forget_bias():
    lstm = torch.nn.LSTM(4, 8)
    rt.apply("chrono(t_max=30)", lstm, seed=0)
    assert audit(lstm, "chrono(t_max=30)").ok
    b_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[8:16]
    _set(lstm.bias_ih_l0, slice(0, 8), -b_f.flip(0))  # right values, wrong order
    _set(lstm.bias_hh_l0, slice(0, 8), torch.zeros(8))
    [finding] = audit(lstm, "chrono(t_max=30)").findings
    assert (finding.gate, finding.expected) == ("i", "b_i = -b_f")


def test_chrono_forget_bias_out_of_its_range_is_caught():
    lstm = torch.nn.LSTM(4, 8)
    rt.apply("chrono(t_max=30)", lstm, seed=0)
    findings = audit(lstm, "chrono(t_max=10)").findings
    assert any(f.gate == "f" and "log(t_max - 1)" in f.expected for f in findings)


def test_identity_where_orthogonal_is_expected_is_not_random():
    rnn = torch.nn.RNN(6, 6)
    rt.apply("ih=normal hh=identity bias=zeros", rnn, seed=0)
    [finding] = audit(rnn, "ih=normal hh=orthogonal bias=zeros").findings
    assert finding.role == "hh" and "signed permutation" in finding.found


def test_orthogonal_with_the_wrong_gain_and_fused_versus_per_gate_orthogonal():
    lstm = torch.nn.LSTM(8, 8)
    rt.apply("ih=normal hh=orthogonal(gain=2.0) bias=zeros", lstm, seed=0)
    report = audit(lstm, "ih=normal hh=orthogonal bias=zeros")
    assert {f.role for f in report.findings} == {"hh"} and "found gain 2" in report.findings[0].message
    rt.apply("ih=normal hh=orthogonal(fused=true) bias=zeros", lstm, seed=0)
    assert audit(lstm, "ih=normal hh=orthogonal(fused=true) bias=zeros").ok
    per_gate = audit(lstm, "ih=normal hh=orthogonal bias=zeros")
    assert {f.gate for f in per_gate.findings} == {"i", "f", "g", "o"}


def test_spectral_radius_is_checked():
    rnn = torch.nn.RNN(5, 16)
    rt.apply("hh=spectral(radius=0.9)", rnn, seed=0)
    assert audit(rnn, "hh=spectral(radius=0.9)").ok
    [finding] = audit(rnn, "hh=spectral(radius=1.1)").findings
    assert "spectral radius 0.9" in finding.found


def test_uniform_out_of_range_is_an_exact_failure():
    rnn = torch.nn.RNN(40, 40)
    rt.apply("ih=uniform(low=-0.5, high=0.5)", rnn, seed=0)
    [finding] = audit(rnn, "ih=uniform(low=-0.4, high=0.4)").findings
    assert "values in [-0.4, 0.4]" in finding.expected


def test_nan_is_a_finding_even_for_a_block_the_spec_does_not_mention():
    lstm = torch.nn.LSTM(4, 8)
    rt.apply("ih=normal hh=orthogonal bias=zeros", lstm, seed=0)
    with torch.no_grad():
        lstm.weight_hh_l0[3, 2] = float("nan")
    [finding] = audit(lstm, "ih=normal bias=zeros").findings
    assert finding.kind == "nan" and finding.tensors == ("weight_hh_l0",) and finding.gate == "i"


def test_identical_blocks_are_a_shared_random_stream():
    lstm = torch.nn.LSTM(8, 8, num_layers=2)
    spec = "ih=normal(std=0.3) hh=normal(std=0.3) bias=zeros"
    rt.apply(spec, lstm, seed=0)
    with torch.no_grad():
        lstm.weight_hh_l1.copy_(lstm.weight_hh_l0)
    report = audit(lstm, spec)
    [finding] = report.findings
    assert finding.kind == "duplicate" and finding.tensors == ("weight_hh_l0", "weight_hh_l1")
    assert "hh[o] of <model> (layer 0) = hh[o] of <model> (layer 1)" in finding.message


def test_all_zeros_where_random_values_were_expected():
    rnn = torch.nn.RNN(4, 8)
    rt.apply("ih=zeros hh=orthogonal bias=zeros", rnn, seed=0)
    [finding] = audit(rnn, "ih=glorot_uniform hh=orthogonal bias=zeros").findings
    assert finding.kind == "zeros" and "all zeros" in finding.message


def test_a_module_apply_never_reached_is_reported_as_still_at_the_default():
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"encoder": torch.nn.LSTM(8, 32), "decoder": torch.nn.LSTM(32, 32)})
    spec = "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0"
    rt.apply(spec, model["encoder"], seed=0)
    report = audit(model, spec)
    assert report.findings[0].kind == "default" and report.findings[0].cell == "decoder"
    assert "apply was probably never called" in report.findings[0].message
    assert all(f.cell.startswith("decoder") for f in report.findings)


def test_report_renders_as_table_json_and_markdown():
    lstm = torch.nn.LSTM(4, 8)
    rt.apply("ih=normal hh=orthogonal bias=zeros", lstm, seed=0)
    report = audit(lstm, "ih=normal hh=orthogonal bias=ones")
    data = json.loads(report.to_json())
    assert data["ok"] is False and len(data["blocks"]) == 12 and data["findings"][0]["role"] == "bias"
    assert data["blocks"][0]["tensors"] == ["weight_ih_l0"] and data["alpha"] == 1e-3
    markdown = report.to_markdown()
    assert markdown.count("\n| ") == 1 + 12 and "FAIL" in markdown
    from rich.table import Table

    table = report.to_table()
    assert isinstance(table, Table) and table.row_count == 12
    assert "bias_ih_l0, bias_hh_l0" in report.to_text()


def test_blocks_the_spec_leaves_out_are_listed_but_not_judged():
    lstm = torch.nn.LSTM(4, 8)
    report = audit(lstm, "ih=torch_default")
    assert report.ok
    assert {r.verdict for r in report.rows if r.role != "ih"} == {"not in spec"}


def test_declared_roles_for_a_custom_torch_cell():
    class Cell(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w_in = torch.nn.Parameter(torch.randn(64, 4) * 0.5)
            self.w_rec = torch.nn.Parameter(torch.randn(64, 64) * 0.5)

    torch.manual_seed(0)
    cell = Cell()
    report = audit(cell, "ih=normal(std=0.5) hh=normal(std=1.0)", roles={"w_in": "ih", "w_rec": "hh"})
    [finding] = report.findings
    assert finding.tensors == ("w_rec",) and finding.role == "hh"
    assert re.search(r"expected std 1\.0, found 0\.(49|5|51)\b", finding.message)


def test_roles_inferred_from_conventional_names_are_reported():
    class Cell(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight_ih = torch.nn.Parameter(torch.randn(16, 4) * 0.5)
            self.weight_hh = torch.nn.Parameter(torch.randn(16, 16))
            self.bias = torch.nn.Parameter(torch.zeros(16))

    torch.manual_seed(0)
    report = audit(Cell(), "ih=normal(std=0.5) hh=normal(std=1.0) bias=zeros")
    assert report.ok
    assert report.notes == [
        "roles inferred from tensor names: weight_ih → ih, weight_hh → hh, bias → bias "
        "(pass roles= to say otherwise)"
    ]


def test_bad_input_is_a_typed_error():
    with pytest.raises(ri.LayoutError, match="expected a torch.nn.Module, a Keras layer or model, a flax"):
        audit(object(), "pytorch_default")
    with pytest.raises(ri.SpecError, match="unknown init"):
        audit(torch.nn.LSTM(2, 2), "ih=gaussian")
    with pytest.raises(ri.LayoutError, match="roles="):
        audit(torch.nn.Sequential(torch.nn.ReLU()), "ih=normal")
    with pytest.raises(ri.LayoutError, match="do_not_exist"):
        audit(torch.nn.Linear(2, 2), "ih=normal", roles={"do_not_exist": "ih"})
    with pytest.raises(ri.SpecError, match="alpha"):
        audit(torch.nn.LSTM(2, 2), "pytorch_default", alpha=2.0)


@pytest.mark.parametrize("max_sample", [0, -1, 2.5, True, "100"])
def test_max_sample_that_would_test_nothing_or_crash_is_a_spec_error(max_sample):
    # max_sample=0 ran no distribution test at all, so a model 10x off its spec passed (ok=True);
    # a negative value raised numpy's "negative dimensions are not allowed".
    lstm = torch.nn.LSTM(8, 16)
    rt.apply("ih=normal(std=1.0) hh=normal(std=1.0) bias=zeros", lstm, seed=0)
    with pytest.raises(ri.SpecError, match=r"max_sample must be an integer >= 1"):
        audit(lstm, "ih=normal(std=0.1) hh=normal(std=0.1) bias=zeros", max_sample=max_sample)


def test_max_sample_one_still_tests_every_block():
    # The smallest accepted value is one that works: a correct model passes, a wrong one is found.
    lstm = torch.nn.LSTM(8, 16)
    rt.apply("ih=normal(std=1.0) hh=normal(std=1.0) bias=zeros", lstm, seed=0)
    assert audit(lstm, "ih=normal(std=1.0) hh=normal(std=1.0) bias=zeros", max_sample=1).ok
    assert not audit(lstm, "ih=normal(std=0.1) hh=normal(std=0.1) bias=zeros", max_sample=1).ok


def test_large_blocks_are_subsampled_but_range_and_nan_see_every_entry():
    rnn = torch.nn.RNN(300, 300, bias=False)
    rt.apply("ih=uniform(low=-0.1, high=0.1) hh=normal", rnn, seed=0)
    with torch.no_grad():
        rnn.weight_ih_l0[299, 299] = 0.2
    report = audit(rnn, "ih=uniform(low=-0.1, high=0.1) hh=normal", max_sample=1000)
    assert [f.role for f in report.findings] == ["ih"]
    assert {r.sample_size for r in report.rows} == {1000}
    assert np.isclose(report.rows[0].observed["max"], 0.2)


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("LSTM", "ih=normal(std=0.3) hh=orthogonal bias=zeros bias[f]=1.0"),
        ("GRU", "ih=glorot_uniform hh=orthogonal bias=zeros bias[z]=1.0 bias_hn=zeros"),
        ("Elman", "irnn"),
        ("IndRNN", "indrnn(t_max=10)"),
        ("MinimalRNN", "ih=normal hh=orthogonal zh=orthogonal bias=chrono(t_max=20) input_bias=zeros"),
    ],
)
def test_rnninit_library_cells_pass_the_spec_they_were_built_with(name, spec):
    model = getattr(rt, name)(8, 16, init=spec, seed=0)
    report = audit(model, spec)
    assert report.ok, [f.message for f in report.findings]
    assert audit(model, "ih=normal(std=2.0)").findings


def test_recurrent_looking_weights_outside_any_layout_are_named_in_the_notes():
    class Custom(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight_hh = torch.nn.Parameter(torch.zeros(4, 4))

    model = torch.nn.ModuleDict(
        {"lstm": torch.nn.LSTM(4, 4), "custom": Custom(), "head": torch.nn.Linear(4, 1)}
    )
    report = audit(model, "pytorch_default")
    assert report.ok
    assert report.notes == [
        "not audited (no layout covers them): custom.weight_hh; pass roles= to audit a custom cell"
    ]


def test_check_value_judges_one_array_on_its_own():
    from rnninit.inits import Block, Normal, Orthogonal

    block = Block("hh", None, (64, 64), "matrix", 64)
    rng = np.random.default_rng(0)
    assert check_value(Normal(std=0.5), block, rng.normal(0, 0.5, (64, 64))).ok
    assert not check_value(Normal(std=0.5), block, rng.normal(0, 0.6, (64, 64))).ok
    assert check_value(Orthogonal(), block, Orthogonal().sample(block, rng)).ok
    assert not check_value(Orthogonal(), block, np.eye(64)).ok


class LayerNormLSTMCell(nn.Module):
    """The design of PyTorch's benchmarks/fastrnns LayerNormLSTMCell: no bias parameters of its own;
    the LayerNorms of the two pre-activations carry the gates' (additive) biases."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))
        self.layernorm_i = nn.LayerNorm(4 * hidden_size)
        self.layernorm_h = nn.LayerNorm(4 * hidden_size)
        self.layernorm_c = nn.LayerNorm(hidden_size)


def test_audit_roles_put_sub_module_tensors_in_their_cell():
    cell = LayerNormLSTMCell(3, 8)
    roles = {
        "weight_ih": "ih",
        "weight_hh": "hh",
        "layernorm_i.bias": "bias",
        "layernorm_h.bias": "+bias",
        "layernorm_i.weight": "ln_x[i,f,g,o]",
        "layernorm_h.weight": "ln_h[i,f,g,o]",
    }
    spec = "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0 ln_x=ones ln_h=ones"
    with torch.no_grad():
        cell.weight_ih.normal_(0, 0.5)
        cell.layernorm_i.bias[8:16] = 1.0  # the forget bias, in one of the two additive betas
        for k in range(4):
            nn.init.orthogonal_(cell.weight_hh[k * 8 : (k + 1) * 8])
    report = ri.audit(cell, spec, roles=roles, cell="lstm")
    assert report.ok, report.findings
    assert {row.cell for row in report.rows} == {"<model>"}  # one cell, not one per LayerNorm
    with torch.no_grad():
        cell.layernorm_h.bias[8:16] = 1.0  # now the forget bias is 2: the sum is what counts
    bad = ri.audit(cell, spec, roles=roles, cell="lstm")
    assert [(f.role, f.gate) for f in bad.findings] == [("bias", "f")]
    assert bad.findings[0].tensors == ("layernorm_i.bias", "layernorm_h.bias")
