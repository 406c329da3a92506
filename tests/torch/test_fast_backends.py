"""Every backend of rnninit.torch.fast gives rt.LSTM/GRU/Elman the built-ins' outputs and gradients."""

import pytest
import torch
from torch import nn

import rnninit.torch as rt
import rnninit.torch.fast as fast
from rnninit.torch.fast import backend

T, B, I, H = 5, 3, 4, 6
TOL = {torch.float64: 1e-9, torch.float32: 1e-5}
KINDS = {
    "lstm": (rt.LSTM, nn.LSTM, {}),
    "gru": (rt.GRU, nn.GRU, {}),
    "rnn_tanh": (rt.Elman, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.Elman, nn.RNN, {"nonlinearity": "relu"}),
}


def outputs_and_grads(module, x, hx):
    x = x.clone().requires_grad_(True)
    hx = tuple(h.clone().requires_grad_(True) for h in hx)
    output, state = module(x, hx if len(hx) == 2 else hx[0])
    states = list(state) if isinstance(state, tuple) else [state]
    gen = torch.Generator().manual_seed(7)
    loss = sum((t * torch.randn(t.shape, generator=gen, dtype=x.dtype)).sum() for t in [output, *states])
    loss.backward()
    grads = [x.grad, *(h.grad for h in hx), *(p.grad for p in module.parameters())]
    return [output, *states], grads


@pytest.mark.parametrize("name", ["kernels", "builtin", "loop"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_two_layer_bidirectional_module_matches_torch_builtin_on_every_backend(kind, dtype, name):
    ours_cls, theirs_cls, extra = KINDS[kind]
    config = {"num_layers": 2, "bidirectional": True, "batch_first": True, "dtype": dtype, **extra}
    ours, theirs = ours_cls(I, H, seed=1, **config), theirs_cls(I, H, **config)
    theirs.load_state_dict(ours.state_dict())
    torch.manual_seed(0)
    x = torch.randn(B, T, I, dtype=dtype)
    hx = [torch.randn(4, B, H, dtype=dtype) for _ in range(2 if kind == "lstm" else 1)]
    with fast.use_backend(name):
        got, got_grads = outputs_and_grads(ours, x, hx)
    want, want_grads = outputs_and_grads(theirs, x, hx)
    for g, w in zip(got + got_grads, want + want_grads, strict=True):
        torch.testing.assert_close(g, w, rtol=TOL[dtype], atol=TOL[dtype])


def test_auto_uses_the_fused_builtin_only_for_float32_lstm_on_cpu():
    x32, x64 = torch.zeros(2, 1, 1), torch.zeros(2, 1, 1, dtype=torch.float64)
    assert backend.resolve("lstm", x32) == ("builtin" if torch.backends.mkldnn.is_available() else "kernels")
    assert backend.resolve("lstm", x64) == "kernels"
    assert backend.resolve("gru", x32) == "kernels"
    assert backend.resolve("elman", x32) == "kernels"


def test_use_backend_restores_the_previous_choice_even_after_an_error():
    assert fast.get_backend() == "auto"
    with pytest.raises(RuntimeError), fast.use_backend("loop"):
        assert fast.get_backend() == "loop"
        raise RuntimeError("inside")
    assert fast.get_backend() == "auto"


def test_an_unknown_backend_is_a_value_error_listing_the_valid_ones():
    with pytest.raises(ValueError, match="'auto', 'kernels', 'builtin', 'loop'"):
        fast.set_backend("cudnn")
    assert fast.get_backend() == "auto"


def test_double_backward_through_the_kernels_is_an_error_and_the_loop_supports_it():
    lstm = rt.LSTM(I, H, seed=0, dtype=torch.float64)
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    with fast.use_backend("kernels"):
        (g,) = torch.autograd.grad(lstm(x)[0].pow(2).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="once_differentiable|differentiate twice"):
            g.sum().backward()
    with fast.use_backend("loop"):
        (g,) = torch.autograd.grad(lstm(x)[0].pow(2).sum(), x, create_graph=True)
        g.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("name", ["kernels", "builtin"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "elman"])
def test_a_layer_with_only_one_of_its_two_biases_matches_the_loop(kind, name):
    from rnninit.torch import functional as Fr

    torch.manual_seed(4)
    gates = {"lstm": 4, "gru": 3, "elman": 1}[kind]
    x = torch.randn(T, B, I, dtype=torch.float64)
    h = torch.randn(B, H, dtype=torch.float64)
    w_ih = torch.randn(gates * H, I, dtype=torch.float64)
    w_hh = torch.randn(gates * H, H, dtype=torch.float64)
    b_hh = torch.randn(gates * H, dtype=torch.float64)
    layer = {"lstm": Fr.lstm_layer, "gru": Fr.gru_layer, "elman": Fr.elman_layer}[kind]
    state = (h, h.clone()) if kind == "lstm" else h
    results = {}
    for backend_name in (name, "loop"):
        with fast.use_backend(backend_name):
            results[backend_name] = layer(x, state, w_ih, w_hh, None, b_hh, reverse=True)
    torch.testing.assert_close(results[name], results["loop"], rtol=1e-9, atol=1e-9)
