"""ELMo's projected LSTM cell (allennlp/modules/lstm_cell_with_projection.py, ``LstmCellWithProjection``,
stacked forward and backward by allennlp/modules/elmo_lstm.py, ``ElmoLstm``).

What matters in its design: the memory cell (``cell_size`` C) is larger than the state it carries
(``hidden_size`` P): ``input_linearity (4C, in)`` without bias and ``state_linearity (4C, P)`` with the
only bias, rows ``i, f, g, o`` (``g`` is ``memory_init``), then ``state_projection (P, C)`` maps
``o * tanh(memory)`` to the next state. So ``hh`` reads the *projected* state, and the projection is
the LSTM kind's ``proj`` role. ``memory_cell_clip_value`` and ``state_projection_clip_value`` clamp the
memory and the projected state at each step: arguments of the forward pass, not parameters, so nothing
to initialize. ELMo's own ``reset_parameters`` is ``block_orthogonal`` on both linearities, a zero
bias with a forget bias of 1, and ``nn.Linear``'s default U(±1/√C) on the projection: ``SPEC`` below.
ElmoLstm keeps one such cell per layer and direction (``forward_layer_k``, ``backward_layer_k``).
"""

import numpy as np
import torch
from torch import nn
from zoo_checks import assert_audits_clean, assert_caught, assert_orthogonal, describe_round_trip, numpy, rows

import rnninit.torch as rt

IN, P, C = 10, 8, 24  # input, projected state (ELMo's hidden_size), memory cell (cell_size)
SPEC = "ih=orthogonal hh=orthogonal bias=zeros bias[f]=1.0 proj=torch_default"


class LstmCellWithProjection(nn.Module):
    """The design, one step (no variational dropout, no length bookkeeping)."""

    # fmt: off
    rnninit_kind = "lstm"
    rnninit_roles = {"input_linearity.weight": "ih", "state_linearity.weight": "hh",
                     "state_linearity.bias": "bias", "state_projection.weight": "proj"}
    # fmt: on

    def __init__(
        self, input_size, hidden_size, cell_size, memory_cell_clip_value=None, state_clip_value=None
    ):
        super().__init__()
        self.cell_size = cell_size
        self.memory_cell_clip_value, self.state_projection_clip_value = (
            memory_cell_clip_value,
            state_clip_value,
        )
        self.input_linearity = nn.Linear(input_size, 4 * cell_size, bias=False)
        self.state_linearity = nn.Linear(hidden_size, 4 * cell_size, bias=True)
        self.state_projection = nn.Linear(cell_size, hidden_size, bias=False)

    def forward(self, x, state):
        previous_state, previous_memory = state
        z = self.input_linearity(x) + self.state_linearity(previous_state)
        input_gate, forget_gate, memory_init, output_gate = z.chunk(4, dim=1)
        memory = (
            torch.sigmoid(input_gate) * torch.tanh(memory_init) + torch.sigmoid(forget_gate) * previous_memory
        )
        if self.memory_cell_clip_value:
            memory = torch.clamp(memory, -self.memory_cell_clip_value, self.memory_cell_clip_value)
        out = self.state_projection(torch.sigmoid(output_gate) * torch.tanh(memory))
        if self.state_projection_clip_value:
            out = torch.clamp(out, -self.state_projection_clip_value, self.state_projection_clip_value)
        return out, memory


class ElmoLstm(nn.Module):
    """ElmoLstm's stack: one cell per layer and direction, under its own name."""

    def __init__(self, num_layers=2, **clips):
        super().__init__()
        for k in range(num_layers):
            for direction in ("forward", "backward"):
                cell = LstmCellWithProjection(IN if k == 0 else P, P, C, **clips)
                self.add_module(f"{direction}_layer_{k}", cell)


def test_every_block_is_where_elmo_puts_it():
    cell = LstmCellWithProjection(IN, P, C)
    rt.apply(SPEC, cell, seed=0)
    w_in, w_state = numpy(cell.input_linearity.weight), numpy(cell.state_linearity.weight)
    for k in range(4):  # input_gate, forget_gate, memory_init, output_gate: blocks of C rows
        assert_orthogonal(rows(w_in, k, C))  # C x in
        assert_orthogonal(rows(w_state, k, C))  # C x P: reads the projected state
    np.testing.assert_array_equal(numpy(cell.state_linearity.bias), np.repeat([0.0, 1.0, 0.0, 0.0], C))
    projection = numpy(cell.state_projection.weight)  # P x C, nn.Linear's default bound 1/sqrt(C)
    assert projection.shape == (P, C)
    assert np.abs(projection).max() <= 1 / np.sqrt(C) and np.abs(projection).max() > 0.8 / np.sqrt(C)


def test_the_clipping_arguments_clamp_the_forward_pass_and_leave_the_init_alone():
    clipped, free = (
        ElmoLstm(memory_cell_clip_value=m, state_clip_value=s) for m, s in ((0.05, 0.02), (None, None))
    )
    for model in (clipped, free):
        rt.apply(SPEC, model, seed=1)
    for name, value in free.named_parameters():
        assert torch.equal(clipped.get_parameter(name), value), name  # same numbers: clipping is no parameter
    x = torch.randn(4, 3, IN)
    for model, memory_clip, state_clip in ((clipped, 0.05, 0.02), (free, np.inf, np.inf)):
        state = (torch.zeros(3, P), torch.zeros(3, C))
        for t in range(4):
            state = model.forward_layer_0(x[t], state)
        assert state[0].abs().max() <= state_clip and state[1].abs().max() <= memory_clip
    assert state[0].abs().max() > 0.02 and state[1].abs().max() > 0.05  # the unclipped cell goes beyond


def test_the_audit_passes_and_names_a_planted_mistake_in_one_layer_and_direction():
    model = ElmoLstm()
    rt.apply(SPEC, model, seed=2)
    report = assert_audits_clean(model, SPEC)
    assert {row.cell for row in report.rows} == {
        f"{d}_layer_{k}" for d in ("forward", "backward") for k in (0, 1)
    }
    with torch.no_grad():
        model.backward_layer_1.state_projection.weight *= 3  # beyond U(±1/sqrt(C))
    assert_caught(model, SPEC, tensor="backward_layer_1.state_projection.weight", role="proj", gate=None)


def test_describe_round_trips():
    model = ElmoLstm()
    rt.apply(SPEC, model, seed=3)
    described, report = describe_round_trip(model, ElmoLstm(), SPEC, rt.apply, seed=4)
    assert report.ok, f"{described}\n{report.to_text()}"
