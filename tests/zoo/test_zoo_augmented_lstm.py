"""AllenNLP's augmented LSTM cell (allennlp/modules/augmented_lstm.py, ``AugmentedLSTMCell``).

What matters in its design: one fused ``Linear`` for the input and one for the state. Without the
highway, ``input_linearity`` is ``(4H, in)`` and ``state_linearity`` ``(4H, H)``, rows ``i, f, g, o``
(``g`` is AllenNLP's ``memory_init``). With ``use_highway`` the input linearity is ``(6H, in)``: rows
``4H:5H`` are the input's part of a highway gate and rows ``5H:6H`` a projection of the input that the
highway mixes into the output; the state linearity is ``(5H, H)``, rows ``4H:5H`` the highway gate's
state part. Rows ``4H:6H`` are not LSTM gates, so they are declared as extra blocks. Both linearities
have a bias, added before the gates: ``+bias`` says the input's is the additive part. AllenNLP itself
initializes both weights ``block_orthogonal`` and the state bias to zeros with a forget bias of 1
(Jozefowicz et al. 2015): the spec below says the same, per block.
"""

import numpy as np
import pytest
import torch
from torch import nn
from zoo_checks import assert_audits_clean, assert_caught, assert_orthogonal, describe_round_trip, rows

import rnninit as ri
import rnninit.torch as rt

EMBED, H = 12, 16

# fmt: off
PLAIN = {"input_linearity.weight": "ih", "input_linearity.bias": "+bias",
         "state_linearity.weight": "hh", "state_linearity.bias": "bias"}
HIGHWAY = {"input_linearity.weight": "ih, highway_ih, highway_proj",
           "input_linearity.bias": "+bias, +highway_bias, highway_proj_bias",
           "state_linearity.weight": "hh, highway_hh", "state_linearity.bias": "bias, highway_bias"}
# fmt: on

SPEC = "ih=orthogonal hh=orthogonal bias=zeros bias[f]=1.0"
HIGHWAY_SPEC = (
    SPEC + " highway_ih=orthogonal highway_hh=orthogonal highway_proj=orthogonal highway_bias=zeros"
)
HIGHWAY_SPEC += " highway_proj_bias=normal(std=0.1)"


class AugmentedLSTMCell(nn.Module):
    """The design, reduced to one step (no variational dropout)."""

    def __init__(self, embed_dim, lstm_dim, use_highway=True, use_bias=True):
        super().__init__()
        self.embed_dim, self.lstm_dim, self.use_highway = embed_dim, lstm_dim, use_highway
        n_input, n_state = (6, 5) if use_highway else (4, 4)
        self.input_linearity = nn.Linear(embed_dim, n_input * lstm_dim, bias=use_bias)
        self.state_linearity = nn.Linear(lstm_dim, n_state * lstm_dim, bias=True)

    def forward(self, x, states):
        hidden, memory = states
        projected_input = self.input_linearity(x)
        fused = projected_input[:, : 5 * self.lstm_dim] if self.use_highway else projected_input
        fused = fused + self.state_linearity(hidden)
        i, f, g, o, *highway = torch.chunk(fused, 5 if self.use_highway else 4, dim=1)
        memory = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * memory
        out = torch.sigmoid(o) * torch.tanh(memory)
        if self.use_highway:
            gate = torch.sigmoid(highway[0])
            out = gate * out + (1 - gate) * projected_input[:, 5 * self.lstm_dim :]
        return out, memory


def make(use_highway):
    cell = AugmentedLSTMCell(EMBED, H, use_highway=use_highway)
    return rt.declare(cell, HIGHWAY if use_highway else PLAIN, kind="lstm")


def spec_for(use_highway):
    return HIGHWAY_SPEC if use_highway else SPEC


def as_tensor(value):
    return torch.tensor(value, dtype=torch.float32)


def sigmoid(value):
    return 1 / (1 + np.exp(-value))


def arrays(cell):
    return {name: p.detach().numpy().astype(np.float64) for name, p in cell.named_parameters()}


variants = pytest.mark.parametrize("use_highway", [False, True], ids=["plain", "highway"])


@variants
def test_every_block_is_where_allennlp_puts_it(use_highway):
    cell = make(use_highway)
    result = rt.apply(spec_for(use_highway), cell, seed=0)
    assert result.skipped == () and not result.plan.untouched
    w = arrays(cell)
    w_in, w_state = w["input_linearity.weight"], w["state_linearity.weight"]
    b_in, b_state = w["input_linearity.bias"], w["state_linearity.bias"]
    for k in range(5 if use_highway else 4):  # i, f, g, o (, the highway gate): both linearities
        assert_orthogonal(rows(w_in, k, H))
        assert_orthogonal(rows(w_state, k, H))
    effective = rows(b_in, 0, 4 * H) + rows(b_state, 0, 4 * H)
    np.testing.assert_array_equal(effective, np.repeat([0.0, 1.0, 0.0, 0.0], H))
    np.testing.assert_array_equal(rows(b_in, 0, 4 * H), np.zeros(4 * H))  # the value went to the state bias
    if use_highway:
        assert_orthogonal(rows(w_in, 5, H))  # the highway's input projection
        np.testing.assert_array_equal(rows(b_in, 4, H) + rows(b_state, 4, H), np.zeros(H))
        projection_bias = rows(b_in, 5, H)
        assert 0.03 < projection_bias.std() < 0.2 and np.unique(projection_bias).size == H


@variants
def test_a_step_of_the_cell_is_the_lstm_the_rows_describe(use_highway):
    cell = make(use_highway)
    rt.apply(spec_for(use_highway), cell, seed=1)
    x, h, c = (np.random.default_rng(0).normal(size=(3, n)) for n in (EMBED, H, H))
    out, memory = cell(as_tensor(x), (as_tensor(h), as_tensor(c)))
    w = arrays(cell)
    from_input = np.split(
        x @ w["input_linearity.weight"].T + w["input_linearity.bias"], 6 if use_highway else 4, 1
    )
    from_state = np.split(
        h @ w["state_linearity.weight"].T + w["state_linearity.bias"], 5 if use_highway else 4, 1
    )
    i, f, g, o, *highway = (a + b for a, b in zip(from_input, from_state, strict=False))
    expected_memory = sigmoid(i) * np.tanh(g) + sigmoid(f) * c
    expected = sigmoid(o) * np.tanh(expected_memory)
    if use_highway:
        gate = sigmoid(highway[0])
        expected = gate * expected + (1 - gate) * from_input[5]
    np.testing.assert_allclose(memory.detach().numpy(), expected_memory, atol=1e-5)
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-5)


@variants
def test_the_audit_passes_and_names_a_planted_mistake(use_highway):
    cell = make(use_highway)
    spec = spec_for(use_highway)
    rt.apply(spec, cell, seed=2)
    assert_audits_clean(cell, spec)
    with torch.no_grad():
        if use_highway:  # the highway gate's state rows doubled
            cell.state_linearity.weight[4 * H : 5 * H] *= 2
            where = dict(tensor="state_linearity.weight", role="highway_hh", gate=None)
        else:  # the forget bias of 1 written into both biases: effectively 2
            cell.input_linearity.bias[H : 2 * H] = 1.0
            where = dict(tensor="input_linearity.bias", role="bias", gate="f")
    assert_caught(cell, spec, **where)


@variants
def test_describe_round_trips(use_highway):
    cell = make(use_highway)
    spec = spec_for(use_highway)
    rt.apply(spec, cell, seed=3)
    described, report = describe_round_trip(cell, make(use_highway), spec, rt.apply, seed=4)
    assert report.ok, f"{described}\n{report.to_text()}"


def test_the_highway_rows_declared_as_lstm_gates_are_refused_with_how_to_declare_them():
    cell = AugmentedLSTMCell(EMBED, H, use_highway=True)
    with pytest.raises(ri.LayoutError) as info:
        rt.declare(cell, PLAIN, kind="lstm")
    message = str(info.value)
    assert "'state_linearity.weight' of shape (80, 16)" in message
    assert "4 gate blocks of 16 rows and 16 more rows" in message
    assert "'hh[i,f,g,o], my_block'" in message
    # Declared alone (the input linearity left to strict=False), the gates would be cut at rows 20, 40, ...
    with pytest.raises(ri.LayoutError, match=r"\(80, 16\).*4 gate blocks of 16 rows and 16 more rows"):
        rt.declare(cell, {"state_linearity.weight": "hh", "state_linearity.bias": "bias"}, kind="lstm")

    class Undeclared(AugmentedLSTMCell):  # declared on the class: checked when apply meets an instance
        rnninit_kind, rnninit_roles = "lstm", PLAIN

    cell = Undeclared(EMBED, H)
    before = {k: v.clone() for k, v in cell.state_dict().items()}
    with pytest.raises(ri.LayoutError, match=r"'state_linearity.weight' of shape \(80, 16\)"):
        rt.apply(SPEC, cell, seed=0, strict=False)
    assert all(torch.equal(before[k], v) for k, v in cell.state_dict().items())
