"""Double backward (``create_graph=True``: gradient penalties, Hessian-vector products, MAML) works on
every module and every backend, and gives the built-ins' second derivatives.

The whole-sequence kernels' backward is hand-derived and not itself differentiable; when autograd
records it, it recomputes the layer with the reference loop and differentiates that. A plain
backward never does.
"""

import pytest
import torch
from torch import nn
from torch.func import functional_call

import rnninit.torch as rt
import rnninit.torch.fast as fast
from rnninit.torch.fast import elman as fast_elman
from rnninit.torch.fast import gru as fast_gru
from rnninit.torch.fast import lstm as fast_lstm

T, B, D, H = 3, 2, 2, 3
PATHS = ["kernels", "builtin", "loop"]
KINDS = {
    "lstm": (rt.LSTM, nn.LSTM, {}),
    "gru": (rt.GRU, nn.GRU, {}),
    "rnn_tanh": (rt.Elman, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.Elman, nn.RNN, {"nonlinearity": "relu"}),
}
LIBRARY_ONLY = {
    "indrnn": lambda: rt.IndRNN(D, H, bidirectional=True, seed=0, dtype=torch.float64),
    "minimalrnn": lambda: rt.MinimalRNN(D, H, bidirectional=True, seed=0, dtype=torch.float64),
    "lstm_proj": lambda: rt.LSTM(D, H, proj_size=2, bidirectional=True, seed=0, dtype=torch.float64),
}


def as_function(module, states: int):
    """``f(x, *states, *params) -> (output, *final states)``, for gradgradcheck."""
    names = [n for n, _ in module.named_parameters()]

    def f(x, *rest):
        hx = tuple(rest[:states]) if states == 2 else rest[0]
        output, final = functional_call(module, dict(zip(names, rest[states:], strict=True)), (x, hx))
        return (output, *(final if isinstance(final, tuple) else (final,)))

    return f


def check_inputs(module, states: int, dtype=torch.float64, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    directions = 2 if module.bidirectional else 1
    out = module.proj_size or module.hidden_size
    sizes = [out, module.hidden_size][:states]
    x = torch.randn(T, B, D, generator=gen, dtype=dtype)
    hx = [torch.randn(directions, B, size, generator=gen, dtype=dtype) for size in sizes]
    params = [p.detach().clone() for p in module.parameters()]
    return tuple(t.requires_grad_(True) for t in (x, *hx, *params))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_gradgradcheck_in_float64_on_every_backend(kind, path):
    ours_cls, _, extra = KINDS[kind]
    module = ours_cls(D, H, bidirectional=True, seed=0, dtype=torch.float64, **extra)
    states = 2 if kind == "lstm" else 1
    with fast.use_backend(path):
        assert torch.autograd.gradgradcheck(as_function(module, states), check_inputs(module, states))


@pytest.mark.parametrize("name", list(LIBRARY_ONLY))
def test_gradgradcheck_in_float64_on_the_modules_without_kernels(name):
    module = LIBRARY_ONLY[name]()
    states = 2 if name == "lstm_proj" else 1
    assert torch.autograd.gradgradcheck(as_function(module, states), check_inputs(module, states))


@pytest.mark.parametrize("cell", [rt.LSTMCell, rt.GRUCell, rt.ElmanCell, rt.IndRNNCell, rt.MinimalRNNCell])
def test_gradgradcheck_in_float64_on_the_cells(cell):
    module = cell(D, H, seed=0, dtype=torch.float64)
    names = [n for n, _ in module.named_parameters()]
    gen = torch.Generator().manual_seed(2)
    x, h = (
        torch.randn(B, D, generator=gen, dtype=torch.float64),
        torch.randn(B, H, generator=gen, dtype=torch.float64),
    )
    hx = (h, h.flip(0)) if cell is rt.LSTMCell else h

    def f(x, *params):
        return functional_call(module, dict(zip(names, params, strict=True)), (x, hx))

    params = [p.detach().clone().requires_grad_(True) for p in module.parameters()]
    assert torch.autograd.gradgradcheck(f, (x.requires_grad_(True), *params))


def hessian_vector_products(module, x, hx, seed: int = 3):
    """``d/dθ <∇_{x,θ} L, v>`` for a loss ``L`` of every output: second derivatives, by double backward."""
    x = x.clone().requires_grad_(True)
    output, final = module(x, hx)
    finals = final if isinstance(final, tuple) else (final,)
    gen = torch.Generator().manual_seed(seed)
    loss = sum(
        (t.tanh() * torch.randn(t.shape, generator=gen, dtype=t.dtype)).sum() for t in (output, *finals)
    )
    wrt = [x, *module.parameters()]
    grads = torch.autograd.grad(loss, wrt, create_graph=True)
    dot = sum((g * torch.randn(g.shape, generator=gen, dtype=g.dtype)).sum() for g in grads)
    return torch.autograd.grad(dot, wrt)


@pytest.mark.parametrize("path", ["auto", *PATHS])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_second_derivatives_equal_the_builtins(kind, dtype, path):
    ours_cls, theirs_cls, extra = KINDS[kind]
    config = {"num_layers": 2, "bidirectional": True, "dtype": dtype, **extra}
    ours, theirs = ours_cls(D, H, seed=4, **config), theirs_cls(D, H, **config)
    theirs.load_state_dict(ours.state_dict())
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(T, B, D, generator=gen, dtype=dtype)
    hx = tuple(torch.randn(4, B, H, generator=gen, dtype=dtype) for _ in range(2 if kind == "lstm" else 1))
    hx = hx if kind == "lstm" else hx[0]
    with fast.use_backend(path):
        got = hessian_vector_products(ours, x, hx)
    want = hessian_vector_products(theirs, x, hx)
    tol = 1e-9 if dtype is torch.float64 else 2e-4
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    ("kind", "module", "reference"),
    [
        ("lstm", lambda: rt.LSTM(D, H, seed=0, dtype=torch.float64), fast_lstm),
        ("gru", lambda: rt.GRU(D, H, seed=0), fast_gru),
        ("elman", lambda: rt.Elman(D, H, seed=0), fast_elman),
    ],
)
def test_a_plain_backward_stays_on_the_hand_derived_kernels(kind, module, reference, monkeypatch):
    def recompute(*args, **kwargs):
        raise AssertionError("a first-order backward recomputed the layer")

    monkeypatch.setattr(reference, "_reference", recompute)
    m = module()
    dtype = next(m.parameters()).dtype
    with fast.use_backend("kernels"):
        m(torch.randn(T, B, D, dtype=dtype, requires_grad=True))[0].sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with fast.use_backend("kernels"), pytest.raises(AssertionError, match="recomputed"):
        x = torch.randn(T, B, D, dtype=dtype, requires_grad=True)
        torch.autograd.grad(m(x)[0].sum(), x, create_graph=True)
