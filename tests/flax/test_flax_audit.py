"""rnninit.audit and rnninit.describe on Flax models (nnx modules and Linen bundles).

The audit reads the same blocks from a Flax model that it reads from the torch model given the
same spec and seed, so it computes the same statistics: the same p-values, hence the calibrated
false-positive rate of docs/audit-calibration.md (measured there on torch models) holds as is.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import pytest
import torch
from flax import nnx

import rnninit as ri
import rnninit.flax as rf
import rnninit.torch as rt
from rnninit.audit.calibration import CASES
from rnninit.errors import SpecError

X = jnp.ones((2, 3, 8))


def linen_applied(spec: str, model: nn.Module, x, seed: int = 0) -> rf.Linen:
    variables, _ = rf.apply_linen(spec, model, model.init(jax.random.key(0), x), x, seed=seed)
    return rf.linen(model, variables, x)


def flax_twin(description: str):
    """The Flax model whose blocks are those of calibration.build(description) (one layer only)."""
    name, _, rest = description.partition("(")
    inp, hidden = (int(a) for a in rest.rstrip(")").split(", ")[:2])
    if name == "gru":  # linen's GRU has b_hn, as torch's has: every calibration spec fits
        return linen_applied, nn.RNN(nn.GRUCell(hidden)), jnp.ones((2, 3, inp))
    cell = {"lstm": nnx.LSTMCell, "rnn": nnx.SimpleCell}[name]
    if "bidirectional" in rest:
        return (
            None,
            nnx.Bidirectional(
                nnx.RNN(cell(inp, hidden, rngs=nnx.Rngs(0))), nnx.RNN(cell(inp, hidden, rngs=nnx.Rngs(1)))
            ),
            None,
        )
    return None, nnx.RNN(cell(inp, hidden, rngs=nnx.Rngs(0))), None


@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_audit_of_a_flax_model_computes_the_p_values_of_the_torch_twin(case):
    description, spec = CASES[case]
    description = description.replace("layers=2, ", "")
    name, _, rest = description.partition("(")
    inp, hidden = (int(a) for a in rest.rstrip(")").split(", ")[:2])
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[name]
    torch_model = cls(inp, hidden, bidirectional="bidirectional" in rest)
    rt.apply(spec, torch_model, seed=case)
    linen, model, x = flax_twin(description)
    if linen is not None:
        model = linen(spec, model, x, seed=case)
    else:
        rf.apply(spec, model, seed=case)
    expected, got = ri.audit(torch_model, spec), ri.audit(model, spec)
    assert got.ok and got.framework == "flax"
    assert len(got.rows) == len(expected.rows) and got.tests == expected.tests
    for mine, theirs in zip(got.rows, expected.rows, strict=True):
        assert (mine.layer, mine.direction, mine.role, mine.gate) == (
            theirs.layer,
            theirs.direction,
            theirs.role,
            theirs.gate,
        )
        assert [(t.name, t.passed, t.p_value is None) for t in mine.tests] == [
            (t.name, t.passed, t.p_value is None) for t in theirs.tests
        ]
        p_values = [(a.p_value, b.p_value) for a, b in zip(mine.tests, theirs.tests) if a.p_value is not None]
        assert [a for a, _ in p_values] == pytest.approx([b for _, b in p_values], rel=1e-6)


SPEC = "ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0"


def test_a_doubled_recurrent_kernel_is_caught_and_named():
    lstm = nnx.RNN(nnx.OptimizedLSTMCell(8, 16, rngs=nnx.Rngs(0)))
    rf.apply(SPEC, lstm, seed=0)
    assert ri.audit(lstm, SPEC).ok
    lstm.cell.dense_h.kernel[...] = 2 * lstm.cell.dense_h.kernel[...]
    report = ri.audit(lstm, SPEC)
    assert not report.ok
    assert {(f.role, f.gate) for f in report.findings} == {("hh", g) for g in "ifgo"}
    assert all("cell.dense_h.kernel" in f.message and "gain 2" in f.message for f in report.findings)


def test_a_forget_bias_added_twice_is_caught():
    model = nn.Bidirectional(nn.RNN(nn.LSTMCell(16)), nn.RNN(nn.LSTMCell(16)))
    bundle = linen_applied(SPEC, model, X)
    assert ri.audit(bundle, SPEC).ok
    params = jax.tree_util.tree_map(lambda a: a, bundle.variables["params"])
    params["backward_rnn"]["cell"]["hf"]["bias"] = params["backward_rnn"]["cell"]["hf"]["bias"] + 1.0
    report = ri.audit(rf.linen(model, {"params": params}, X), SPEC)
    (finding,) = report.findings
    assert (finding.role, finding.gate, finding.cell) == ("bias", "f", "<model> (reverse)")
    assert "backward_rnn.cell.hf.bias" in finding.message and "found 2" in finding.message


def test_the_audit_refuses_a_bias_hn_an_nnx_gru_cannot_have_as_apply_does():
    gru = nnx.RNN(nnx.GRUCell(8, 16, rngs=nnx.Rngs(0)))
    rf.apply("ih=normal hh=orthogonal bias=zeros bias_hn=zeros", gru, seed=0)
    assert ri.audit(gru, "ih=normal hh=orthogonal bias=zeros bias_hn=zeros").ok
    with pytest.raises(SpecError, match="has no bias_hn"):
        ri.audit(gru, "ih=normal hh=orthogonal bias=zeros bias_hn=normal")


@pytest.mark.parametrize(
    "make, spec",
    [
        (lambda: nnx.RNN(nnx.LSTMCell(8, 16, rngs=nnx.Rngs(0))), SPEC),
        (
            lambda: nnx.RNN(nnx.SimpleCell(8, 16, rngs=nnx.Rngs(0))),
            "ih=normal(std=0.3) hh=orthogonal bias=zeros",
        ),
        (
            lambda: (nn.RNN(nn.MGUCell(16)),),
            "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0 bias_hn=zeros",
        ),
        # a preset naming bias_hn fits the nnx GRU (no b_hn) only with bias_hn=zeros: describe says so
        (lambda: nnx.RNN(nnx.GRUCell(8, 32, rngs=nnx.Rngs(0))), "pytorch_default bias_hn=zeros"),
    ],
)
def test_describe_of_an_applied_flax_model_passes_the_audit_against_the_spec_it_was_made_with(make, spec):
    made = make()
    if isinstance(made, tuple):
        model = linen_applied(spec, made[0], X)
    else:
        model = made
        rf.apply(spec, model, seed=1)
    described = ri.describe(model).spec
    assert ri.audit(model, described).ok, str(described)


def test_roles_by_name_audit_a_flax_cell_nobody_declared():
    class Cell(nnx.Module):
        def __init__(self):
            self.W = nnx.Param(jnp.zeros((8, 16)))
            self.U = nnx.Param(jnp.zeros((16, 16)))

    cell = rf.declare(Cell(), {"W": "ih", "U": "hh"})
    rf.apply("ih=normal(std=0.2) hh=orthogonal", cell, seed=0)
    undeclared = Cell()
    undeclared.W[...], undeclared.U[...] = cell.W[...], cell.U[...]
    report = ri.audit(undeclared, "ih=normal(std=0.2) hh=orthogonal", roles={"W": "ih", "U": "hh"})
    assert report.ok and {r.tensors for r in report.rows} == {("W",), ("U",)}
    wrong = ri.audit(undeclared, "ih=normal(std=1.0) hh=orthogonal", roles={"W": "ih", "U": "hh"})
    assert not wrong.ok and {f.tensors for f in wrong.findings} == {("W",)}
