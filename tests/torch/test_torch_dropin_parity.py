"""rt.Elman/LSTM/GRU and their cells are drop-in replacements for torch.nn's: with the same weights
(copied through load_state_dict, both ways) they give the same outputs, final states and gradients
with respect to the input and every parameter: float64 to 1e-9, float32 to 1e-5."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

import rnninit.torch as rt

# torch warns that oneDNN does not do LSTM projections (it falls back to its default kernel)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

T, B, IN, H = 5, 3, 4, 6
TOL = {torch.float64: 1e-9, torch.float32: 1e-5}

# name -> (ours, torch's, extra constructor arguments)
KINDS = {
    "lstm": (rt.LSTM, nn.LSTM, {}),
    "lstm_proj": (rt.LSTM, nn.LSTM, {"proj_size": 3}),
    "gru": (rt.GRU, nn.GRU, {}),
    "rnn_tanh": (rt.Elman, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.Elman, nn.RNN, {"nonlinearity": "relu"}),
}
CONFIGS = {
    "2-layer-bidirectional": {"num_layers": 2, "bidirectional": True},
    "3-layer-batch-first": {"num_layers": 3, "batch_first": True},
    "1-layer-no-bias": {"num_layers": 1, "bias": False},
}


def _close(got, want, dtype, what):
    tol = TOL[dtype]
    torch.testing.assert_close(got, want, rtol=tol, atol=tol, msg=lambda m: f"{what}: {m}")


def _pair(kind, config, dtype, ours_first=False):
    ours_cls, theirs_cls, extra = KINDS[kind]
    kwargs = {**config, **extra, "dtype": dtype}
    ours = ours_cls(IN, H, seed=1, **kwargs)
    theirs = theirs_cls(IN, H, **kwargs)
    if ours_first:  # weights flow rt -> torch.nn
        theirs.load_state_dict(ours.state_dict())
    else:
        ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _initial_state(module, dtype):
    layers = module.num_layers * (2 if module.bidirectional else 1)
    out = getattr(module, "proj_size", 0) or module.hidden_size
    h0 = torch.randn(layers, B, out, dtype=dtype)
    if isinstance(module, nn.LSTM):
        return (h0, torch.randn(layers, B, module.hidden_size, dtype=dtype))
    return h0


def _flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run(module, x, hx, packed, lengths):
    x = x.detach().clone().requires_grad_(True)
    hx = None if hx is None else tuple(h.detach().clone().requires_grad_(True) for h in _flat(hx))
    inp = x
    if packed:
        inp = pack_padded_sequence(x, lengths, batch_first=module.batch_first, enforce_sorted=False)
    call_hx = None if hx is None else (hx if len(hx) == 2 else hx[0])
    output, state = module(inp, call_hx)
    out_tensor = output.data if packed else output
    states = _flat(state)
    gen = torch.Generator().manual_seed(7)
    loss = (out_tensor * torch.randn(out_tensor.shape, generator=gen, dtype=x.dtype)).sum()
    for s in states:
        loss = loss + (s * torch.randn(s.shape, generator=gen, dtype=x.dtype)).sum()
    loss.backward()
    grads = {name: p.grad for name, p in module.named_parameters()}
    grads["input"] = x.grad
    if hx is not None:
        for k, h in enumerate(hx):
            grads[f"hx{k}"] = h.grad
    return output, states, grads


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zero-state", "hx"])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_sequence_module_matches_torch_builtin(kind, config, with_hx, packed, dtype):
    torch.manual_seed(0)
    ours, theirs = _pair(kind, CONFIGS[config], dtype, ours_first=with_hx)
    shape = (B, T, IN) if ours.batch_first else (T, B, IN)
    x = torch.randn(shape, dtype=dtype)
    hx = _initial_state(theirs, dtype) if with_hx else None
    lengths = torch.tensor([3, T, 1])  # unequal and unsorted
    got_out, got_states, got_grads = _run(ours, x, hx, packed, lengths)
    want_out, want_states, want_grads = _run(theirs, x, hx, packed, lengths)
    if packed:
        assert torch.equal(got_out.batch_sizes, want_out.batch_sizes)
        assert torch.equal(got_out.sorted_indices, want_out.sorted_indices)
        assert torch.equal(got_out.unsorted_indices, want_out.unsorted_indices)
        got_out, want_out = got_out.data, want_out.data
    _close(got_out, want_out, dtype, "output")
    for k, (got, want) in enumerate(zip(got_states, want_states, strict=True)):
        _close(got, want, dtype, f"final state {k}")
    assert set(got_grads) == set(want_grads)
    for name in want_grads:
        _close(got_grads[name], want_grads[name], dtype, f"gradient of {name}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_state_dict_has_the_builtins_names_shapes_and_order(kind):
    ours, theirs = _pair(kind, CONFIGS["2-layer-bidirectional"], torch.float32)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in theirs.state_dict().items()
    ]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_unbatched_input_matches_torch_builtin(kind):
    torch.manual_seed(0)
    ours, theirs = _pair(kind, CONFIGS["2-layer-bidirectional"], torch.float64)
    x = torch.randn(T, IN, dtype=torch.float64)
    got, got_state = ours(x)
    want, want_state = theirs(x)
    _close(got, want, torch.float64, "output")
    for g, w in zip(_flat(got_state), _flat(want_state), strict=True):
        _close(g, w, torch.float64, "state")


# -- dropout between layers ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_dropout_is_inactive_in_eval_mode_and_at_p0(kind):
    torch.manual_seed(0)
    x = torch.randn(T, B, IN, dtype=torch.float64)
    for p, train in ((0.5, False), (0.0, True)):
        ours, theirs = _pair(kind, {"num_layers": 3, "dropout": p}, torch.float64)
        ours.train(train), theirs.train(train)
        _close(ours(x)[0], theirs(x)[0], torch.float64, f"dropout={p}, train={train}")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_dropout_in_training_changes_the_output_and_drops_whole_layer_inputs_at_p1(kind):
    torch.manual_seed(0)
    x = torch.randn(T, B, IN, dtype=torch.float64)
    ours, _ = _pair(kind, {"num_layers": 2, "dropout": 0.5}, torch.float64)
    ours.eval()
    eval_out = ours(x)[0]
    ours.train()
    assert not torch.allclose(ours(x)[0], eval_out)
    # p = 1 zeroes everything layer 1 sees, so the output is layer 1 run on zeros
    ours.dropout = 1.0
    ours_cls, _, extra = KINDS[kind]
    single = ours_cls(H, H, **extra, dtype=torch.float64)
    single.load_state_dict({k.replace("_l1", "_l0"): v for k, v in ours.state_dict().items() if "_l1" in k})
    _close(ours(x)[0], single(torch.zeros(T, B, H, dtype=torch.float64))[0], torch.float64, "p=1")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_dropout_in_training_draws_the_same_mask_as_torch_on_cpu(kind):
    # PyTorch's CPU kernel applies dropout to each intermediate layer output with the global
    # generator, as rt does, so the same seed gives the same masks.
    torch.manual_seed(0)
    x = torch.randn(T, B, IN, dtype=torch.float64)
    ours, theirs = _pair(kind, {"num_layers": 3, "dropout": 0.5, "bidirectional": True}, torch.float64)
    torch.manual_seed(1)
    want = theirs(x)[0]
    torch.manual_seed(1)
    got = ours(x)[0]
    _close(got, want, torch.float64, "output with dropout")


# -- cells ---------------------------------------------------------------------------------------

CELLS = {
    "lstm": (rt.LSTMCell, nn.LSTMCell, {}),
    "gru": (rt.GRUCell, nn.GRUCell, {}),
    "rnn_tanh": (rt.ElmanCell, nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.ElmanCell, nn.RNNCell, {"nonlinearity": "relu"}),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zero-state", "hx"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch_builtin_over_a_few_steps(kind, bias, with_hx, batched, dtype):
    torch.manual_seed(0)
    ours_cls, theirs_cls, extra = CELLS[kind]
    ours = ours_cls(IN, H, bias=bias, **extra, dtype=dtype, seed=3)
    theirs = theirs_cls(IN, H, bias=bias, **extra, dtype=dtype)
    (ours if with_hx else theirs).load_state_dict((theirs if with_hx else ours).state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    lead = (B,) if batched else ()
    xs = torch.randn(3, *lead, IN, dtype=dtype)
    results = []
    for module in (ours, theirs):
        x = xs.clone().requires_grad_(True)
        state = None
        if with_hx:
            h0 = torch.randn(*lead, H, dtype=dtype, generator=torch.Generator().manual_seed(2))
            state = (h0, h0.flip(-1)) if kind == "lstm" else h0
        loss = 0
        for xt in x.unbind(0):
            state = module(xt, state)
            for s in _flat(state):
                loss = loss + (s * torch.linspace(-1, 1, H, dtype=dtype)).sum()
        loss.backward()
        grads = {name: p.grad for name, p in module.named_parameters()}
        results.append((_flat(state), x.grad, grads))
    (got_state, got_gx, got_grads), (want_state, want_gx, want_grads) = results
    for g, w in zip(got_state, want_state, strict=True):
        _close(g, w, dtype, "state")
    _close(got_gx, want_gx, dtype, "input gradient")
    for name in want_grads:
        _close(got_grads[name], want_grads[name], dtype, f"gradient of {name}")


@pytest.mark.parametrize(
    ("ours_cls", "theirs_cls", "args"),
    [
        (rt.Elman, nn.RNN, (IN, H, 2, "relu", False, True, 0.0, True)),
        (rt.LSTM, nn.LSTM, (IN, H, 2, True, True, 0.0, True, 3)),
        (rt.GRU, nn.GRU, (IN, H, 2, False, True, 0.0, True)),
        (rt.ElmanCell, nn.RNNCell, (IN, H, False, "relu")),
        (rt.LSTMCell, nn.LSTMCell, (IN, H, False)),
        (rt.GRUCell, nn.GRUCell, (IN, H, True)),
    ],
)
def test_positional_constructor_arguments_mean_what_they_mean_for_torch(ours_cls, theirs_cls, args):
    ours, theirs = ours_cls(*args), theirs_cls(*args)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in theirs.state_dict().items()
    ]
    for attr in (
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
        "nonlinearity",
    ):
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
