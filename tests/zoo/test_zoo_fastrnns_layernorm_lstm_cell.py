"""The TorchScript LayerNorm-LSTM cell of PyTorch's benchmarks (pytorch/benchmarks/fastrnns/custom_lstms.py,
``LayerNormLSTMCell(jit.ScriptModule)``, Ba, Kiros & Hinton 2016).

What matters in its design: there is no bias parameter. ``weight_ih (4H, in)`` and ``weight_hh (4H, H)``
(rows ``i, f, g, o``) are each followed by a ``LayerNorm(4H)``, ``layernorm_i`` and ``layernorm_h``;
their betas are what the cell has for gate biases (the source says so: "the layernorms provide
learnable biases"), so they are the two additive parts of the effective bias, and their gains are
per-gate roles of their own. ``layernorm_c`` normalizes the new cell state: its gain and beta act after
the gates, so they are neither gate biases nor gate gains, and are declared as cell-specific roles.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.jit as jit
from torch import nn
from zoo_checks import assert_audits_clean, assert_caught, assert_orthogonal, describe_round_trip, numpy, rows

import rnninit.torch as rt

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

IN, H = 10, 16
SPEC = "ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0 ln_i=ones ln_h=ones ln_c=ones ln_c_bias=zeros"

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in favour of torch.compile

    class LayerNormLSTMCell(jit.ScriptModule):
        # fmt: off
        rnninit_kind = "lstm"
        rnninit_roles = {"weight_ih": "ih", "weight_hh": "hh",
                         "layernorm_i.bias": "bias", "layernorm_h.bias": "+bias",
                         "layernorm_i.weight": "ln_i[i,f,g,o]", "layernorm_h.weight": "ln_h[i,f,g,o]",
                         "layernorm_c.weight": "ln_c", "layernorm_c.bias": "ln_c_bias"}
        # fmt: on

        def __init__(self, input_size, hidden_size):
            super().__init__()
            self.input_size, self.hidden_size = input_size, hidden_size
            self.weight_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))
            self.weight_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))
            self.layernorm_i = nn.LayerNorm(4 * hidden_size)
            self.layernorm_h = nn.LayerNorm(4 * hidden_size)
            self.layernorm_c = nn.LayerNorm(hidden_size)

        @jit.script_method
        def forward(self, input, state):
            # type: (Tensor, Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tuple[Tensor, Tensor]]
            hx, cx = state
            igates = self.layernorm_i(torch.mm(input, self.weight_ih.t()))
            hgates = self.layernorm_h(torch.mm(hx, self.weight_hh.t()))
            gates = igates + hgates
            ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
            cy = self.layernorm_c(
                torch.sigmoid(forgetgate) * cx + torch.sigmoid(ingate) * torch.tanh(cellgate)
            )
            hy = torch.sigmoid(outgate) * torch.tanh(cy)
            return hy, (hy, cy)


def make():
    return LayerNormLSTMCell(IN, H)


def as_tensor(value):
    return torch.tensor(value, dtype=torch.float32)


def layer_norm(z, gain, beta, eps=1e-5):
    return (z - z.mean(1, keepdims=True)) / np.sqrt(z.var(1, keepdims=True) + eps) * gain + beta


def test_every_block_is_where_the_cell_reads_it_and_the_step_is_its_equation():
    cell = make()
    rt.apply(SPEC, cell, seed=0)
    w_ih, w_hh = numpy(cell.weight_ih), numpy(cell.weight_hh)
    for k in range(4):  # ingate, forgetgate, cellgate, outgate
        block = rows(w_ih, k, H)
        assert abs(block.std() - 0.1) < 0.02 and abs(block.mean()) < 0.03
        assert_orthogonal(rows(w_hh, k, H))
    betas = numpy(cell.layernorm_i.bias), numpy(cell.layernorm_h.bias)
    np.testing.assert_array_equal(betas[0] + betas[1], np.repeat([0.0, 1.0, 0.0, 0.0], H))
    np.testing.assert_array_equal(betas[1], np.zeros(4 * H))  # the value goes to the first beta
    for gain in (cell.layernorm_i.weight, cell.layernorm_h.weight, cell.layernorm_c.weight):
        np.testing.assert_array_equal(numpy(gain), 1.0)
    np.testing.assert_array_equal(numpy(cell.layernorm_c.bias), 0.0)

    x, h, c = (np.random.default_rng(0).normal(size=(3, n)) for n in (IN, H, H))
    hy, (_, cy) = cell(as_tensor(x), (as_tensor(h), as_tensor(c)))
    z = layer_norm(x @ w_ih.T, 1.0, betas[0]) + layer_norm(h @ w_hh.T, 1.0, betas[1])
    i, f, o = (1 / (1 + np.exp(-z[:, k * H : (k + 1) * H])) for k in (0, 1, 3))
    g = np.tanh(z[:, 2 * H : 3 * H])
    want_c = layer_norm(f * c + i * g, 1.0, 0.0)
    np.testing.assert_allclose(numpy(cy), want_c, atol=1e-4)
    np.testing.assert_allclose(numpy(hy), o * np.tanh(want_c), atol=1e-4)


def test_the_audit_passes_and_names_a_forget_bias_put_in_both_layer_norms():
    cell = make()
    rt.apply(SPEC, cell, seed=1)
    assert_audits_clean(cell, SPEC)
    with torch.no_grad():
        cell.layernorm_h.bias[H : 2 * H] = 1.0  # both betas carry the forget bias: effectively 2
    assert_caught(cell, SPEC, tensor="layernorm_h.bias", role="bias", gate="f")


def test_describe_round_trips():
    cell = make()
    rt.apply(SPEC, cell, seed=2)
    described, report = describe_round_trip(cell, make(), SPEC, rt.apply, seed=3)
    assert report.ok, f"{described}\n{report.to_text()}"
