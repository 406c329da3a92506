"""The TorchScript LSTM cell of PyTorch's own benchmarks (pytorch/benchmarks/fastrnns/custom_lstms.py,
``LSTMCell(jit.ScriptModule)``).

What matters in its design: it is a ``torch.jit.ScriptModule`` (its ``forward`` is compiled, and
setting an attribute on an instance goes to the compiled module), and it stores exactly what
``torch.nn.LSTMCell`` stores: ``weight_ih (4H, in)``, ``weight_hh (4H, H)``, ``bias_ih`` and ``bias_hh``
(both ``4H``, summed), rows ``i, f, g, o`` (``ingate, forgetgate, cellgate, outgate``). fastrnns tests its
cells by copying ``nn.LSTMCell``'s weights into them; declared, the cell gets the very numbers
``nn.LSTMCell`` gets at the same place, and computes the same step.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.jit as jit
from torch import nn
from zoo_checks import (
    assert_audits_clean,
    assert_caught,
    assert_glorot_uniform,
    assert_orthogonal,
    describe_round_trip,
    rows,
)

import rnninit.torch as rt

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

IN, H = 10, 16
SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
ROLES = {"weight_ih": "ih", "weight_hh": "hh", "bias_ih": "bias", "bias_hh": "+bias"}

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in favour of torch.compile

    class ScriptLSTMCell(jit.ScriptModule):
        """The design, undeclared."""

        def __init__(self, input_size, hidden_size):
            super().__init__()
            self.input_size, self.hidden_size = input_size, hidden_size
            self.weight_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))
            self.weight_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))
            self.bias_ih = nn.Parameter(torch.randn(4 * hidden_size))
            self.bias_hh = nn.Parameter(torch.randn(4 * hidden_size))

        @jit.script_method
        def forward(self, input, state):
            # type: (Tensor, Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tuple[Tensor, Tensor]]
            hx, cx = state
            gates = (
                torch.mm(input, self.weight_ih.t())
                + self.bias_ih
                + torch.mm(hx, self.weight_hh.t())
                + self.bias_hh
            )
            ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
            cy = torch.sigmoid(forgetgate) * cx + torch.sigmoid(ingate) * torch.tanh(cellgate)
            hy = torch.sigmoid(outgate) * torch.tanh(cy)
            return hy, (hy, cy)

    class LSTMCell(ScriptLSTMCell):
        """The design, declared."""

        rnninit_kind, rnninit_roles = "lstm", ROLES


def make():
    return LSTMCell(IN, H)


def test_every_block_is_where_the_cell_reads_it_and_equals_nn_lstm_cells():
    cell = make()
    rt.apply(SPEC, nn.ModuleDict({"cell": cell}), seed=0)
    reference = nn.LSTMCell(IN, H)
    rt.apply(SPEC, nn.ModuleDict({"cell": reference}), seed=0)  # the same path: the same block identities
    for name, value in reference.named_parameters():
        assert torch.equal(cell.get_parameter(name), value), name
    w_ih, w_hh = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    for k in range(4):  # ingate, forgetgate, cellgate, outgate
        assert_glorot_uniform(rows(w_ih, k, H), fan_in=IN, fan_out=H)
        assert_orthogonal(rows(w_hh, k, H))
    effective = (cell.bias_ih + cell.bias_hh).detach().numpy()
    np.testing.assert_array_equal(effective, np.repeat([0.0, 1.0, 0.0, 0.0], H))

    x, h, c = torch.randn(3, IN), torch.randn(3, H), torch.randn(3, H)
    hy, (_, cy) = cell(x, (h, c))
    want_h, want_c = reference(x, (h, c))
    torch.testing.assert_close(hy, want_h)
    torch.testing.assert_close(cy, want_c)


def test_the_audit_passes_and_names_a_doubled_gate_block():
    cell = make()
    rt.apply(SPEC, cell, seed=1)
    assert_audits_clean(cell, SPEC)
    with torch.no_grad():
        cell.weight_hh[2 * H : 3 * H] *= 2  # the cell gate's recurrent block
    assert_caught(cell, SPEC, tensor="weight_hh", role="hh", gate="g")


def test_describe_round_trips():
    cell = make()
    rt.apply(SPEC, cell, seed=2)
    described, report = describe_round_trip(cell, make(), SPEC, rt.apply, seed=3)
    assert report.ok, f"{described}\n{report.to_text()}"


def test_declaring_a_script_module_instance_is_not_lost_to_the_compiled_module():
    cell = rt.declare(ScriptLSTMCell(IN, H), ROLES, kind="lstm")  # the class declares nothing
    rt.apply("ih=zeros hh=zeros bias=zeros bias[f]=1.0", cell, seed=0)
    assert cell.bias_ih[H : 2 * H].eq(1).all() and cell.bias_hh.eq(0).all()

    # The class declares bias_ih as the biases' first tensor; this instance says bias_hh is.
    cell = rt.declare(make(), {**ROLES, "bias_ih": "+bias", "bias_hh": "bias"}, kind="lstm")
    assert cell.rnninit_roles["bias_hh"] == "bias"
    rt.apply("ih=zeros hh=zeros bias=zeros bias[f]=1.0", cell, seed=0)
    assert cell.bias_hh[H : 2 * H].eq(1).all() and cell.bias_ih.eq(0).all()
    assert type(cell).rnninit_roles["bias_ih"] == "bias"  # the class is left as it was
