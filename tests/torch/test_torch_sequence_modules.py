"""The sequence modules' conventions, for every library cell (IndRNN and MinimalRNN have no torch.nn twin):
packed input equals running each sequence alone, batch_first and unbatched input are transposes and
squeezes of the same computation, and layers compose as the functional layers do."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnninit.torch as rt
from rnninit.torch import functional as Fr

T, B, IN, H = 6, 3, 4, 5
MODULES = {
    "elman": lambda **kw: rt.Elman(IN, H, **kw),
    "lstm_proj": lambda **kw: rt.LSTM(IN, H, proj_size=2, **kw),
    "gru": lambda **kw: rt.GRU(IN, H, **kw),
    "indrnn": lambda **kw: rt.IndRNN(IN, H, **kw),
    "minimalrnn": lambda **kw: rt.MinimalRNN(IN, H, **kw),
}


def _states(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("enforce_sorted", [False, True], ids=["unsorted", "sorted"])
@pytest.mark.parametrize("name", list(MODULES))
def test_packed_input_equals_running_each_sequence_alone(name, enforce_sorted):
    torch.manual_seed(0)
    module = MODULES[name](num_layers=2, bidirectional=True, dtype=torch.float64, seed=0)
    lengths = [T, 4, 2] if enforce_sorted else [2, T, 4]
    x = torch.randn(T, B, IN, dtype=torch.float64)
    packed, packed_state = module(
        pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=enforce_sorted)
    )
    padded, _ = pad_packed_sequence(packed)
    for b, n in enumerate(lengths):
        alone, alone_state = module(x[:n, b : b + 1])
        torch.testing.assert_close(padded[:n, b : b + 1], alone, rtol=0, atol=1e-12)
        for got, want in zip(_states(packed_state), _states(alone_state), strict=True):
            torch.testing.assert_close(got[:, b : b + 1], want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(MODULES))
def test_batch_first_and_unbatched_inputs_are_the_same_computation(name):
    torch.manual_seed(0)
    seq = MODULES[name](num_layers=2, dtype=torch.float64, seed=0)
    bf = MODULES[name](num_layers=2, batch_first=True, dtype=torch.float64, seed=0)
    x = torch.randn(T, B, IN, dtype=torch.float64)
    out, state = seq(x)
    out_bf, state_bf = bf(x.transpose(0, 1))
    torch.testing.assert_close(out_bf.transpose(0, 1), out, rtol=0, atol=0)
    hx = tuple(s[:, 1].clone() for s in _states(state))
    one, one_state = seq(x[:, 1], hx if len(hx) == 2 else hx[0])
    ref, ref_state = seq(x[:, 1:2], tuple(h.unsqueeze(1) for h in hx) if len(hx) == 2 else hx[0].unsqueeze(1))
    torch.testing.assert_close(one, ref[:, 0], rtol=0, atol=1e-12)
    for got, want in zip(_states(one_state), _states(ref_state), strict=True):
        torch.testing.assert_close(got, want[:, 0], rtol=0, atol=1e-12)


def test_two_layer_bidirectional_indrnn_composes_its_functional_layers():
    torch.manual_seed(0)
    ind = rt.IndRNN(IN, H, num_layers=2, bidirectional=True, nonlinearity="tanh", dtype=torch.float64, seed=0)
    x = torch.randn(T, B, IN, dtype=torch.float64)
    h0 = torch.randn(4, B, H, dtype=torch.float64)
    out, h_n = ind(x, h0)
    p = dict(ind.named_parameters())

    def run(inp, k, suffix, reverse):
        w = [p[f"{n}{suffix}"] for n in ("weight_ih", "weight_hh", "bias")]
        return Fr.indrnn_layer(inp, h0[k], *w, nonlinearity="tanh", reverse=reverse)

    (f0, hf0), (r0, hr0) = run(x, 0, "_l0", False), run(x, 1, "_l0_reverse", True)
    mid = torch.cat([f0, r0], dim=2)
    (f1, hf1), (r1, hr1) = run(mid, 2, "_l1", False), run(mid, 3, "_l1_reverse", True)
    torch.testing.assert_close(out, torch.cat([f1, r1], dim=2), rtol=0, atol=0)
    torch.testing.assert_close(h_n, torch.stack([hf0, hr0, hf1, hr1]), rtol=0, atol=0)


@pytest.mark.parametrize("name", list(MODULES))
def test_gradients_flow_to_every_parameter_and_the_input(name):
    module = MODULES[name](num_layers=2, bidirectional=True, dtype=torch.float64, seed=0)
    x = torch.randn(T, B, IN, dtype=torch.float64, requires_grad=True)
    out, _ = module(x)
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for pname, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, pname


CELLS = {
    "elman_cell": lambda **kw: rt.ElmanCell(IN, H, **kw),
    "lstm_cell": lambda **kw: rt.LSTMCell(IN, H, **kw),
    "indrnn_cell": lambda **kw: rt.IndRNNCell(IN, H, **kw),
    "minimalrnn_cell": lambda **kw: rt.MinimalRNNCell(IN, H, **kw),
}


@pytest.mark.parametrize("name", [*MODULES, *CELLS])
def test_built_on_the_meta_device_then_materialized_a_module_gets_the_weights_its_seed_gives(name):
    make = {**MODULES, **CELLS}[name]
    module = make(
        device="meta", init="ih=normal hh=uniform(low=0.0, high=1.0)", seed=3
    )  # no storage: nothing written
    assert all(p.is_meta for p in module.parameters())
    module.to_empty(device="cpu")
    module.reset_parameters()
    want = make(init="ih=normal hh=uniform(low=0.0, high=1.0)", seed=3).state_dict()
    assert list(module.state_dict()) == list(want)
    for key, value in module.state_dict().items():
        torch.testing.assert_close(value, want[key], rtol=0, atol=0, msg=key)
